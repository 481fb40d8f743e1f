%% @doc Hot reload of a class module with live actors, all or nothing.
%%
%% The actors of the class (and of its subclasses) are paused between two messages (messages sent
%% meanwhile wait in their mailboxes, none is lost), the new code is loaded, and each actor migrates its
%% state (see `beamtalk_actor:reloading/4'). If any migration fails, every migrated actor puts back the
%% slots it had when it paused and the previous code is loaded back before anyone resumes: nothing changes
%% for anyone, and the error names the actor and why. If any actor does not pause within the deadline (it
%% is busy in a long method), nothing is loaded and the others resume; the late one resumes as soon as it
%% gets to the request, which finds the word to resume already waiting, so no actor is ever left paused.
%% The work on the actors is done by helpers, one per 1,000 actors, which send each step to all their
%% actors at once and gather the answers: with many actors a reload costs a few passes of messages, not a
%% round trip per actor per step. The actors pause in a receive of their own rather than through
%% `sys:suspend/1': a hibernating actor woken by `sys' hibernates again after every system message, so each
%% of the steps (pause, migrate, resume) would wake it again. Old code is dropped with soft purges only
%% (`beamtalk_old_code'), so no process is ever killed by a purge. Reloads on a node run one at a time
%% (`serialized/1'): two at once would pause and migrate the same actors twice.
-module(beamtalk_hot_reload).

-export([install/4, unchanged/3, serialized/1, replace_code/3, unload/1, code_table/0]).

-define(PAUSE_TIMEOUT, 5000).
%% The code of each class as last loaded: `{Module, {Binary, File}}'.
-define(CODE, beamtalk_class_code).
%% Actors per helper.
-define(CHUNK, 1000).

%% @doc Runs `Fun' while holding this node's reload lock (waiting for any reload in progress).
-spec serialized(fun(() -> T)) -> T.
serialized(Fun) ->
    global:trans({?MODULE, self()}, Fun, [node()], infinity).

%% @doc Loads `Binary' as `Module' (the class `Class') and migrates `Actors' (pids of its live actors).
-spec install(module(), binary(), string(), [pid()]) -> {ok, non_neg_integer()} | {error, term()}.
install(Module, Binary, File, Actors) ->
    Previous = kept(Module),
    Tag = make_ref(),
    case pause_all(Tag, Actors) of
        {ok, Count, Helpers} ->
            try
                case load(Module, Binary, File) of
                    ok -> migrate(Module, Previous, {Tag, Helpers}, Count);
                    {error, _} = LoadError -> LoadError
                end
            after
                finish(Tag, Helpers)
            end;
        {error, _} = Busy ->
            Busy
    end.

-type helper() :: {pid(), reference()}.
%% A helper's actors, each with its monitor.
-type actors() :: #{pid() => reference()}.

%% Pauses every actor through the helpers. All paused within the deadline: how many are still alive, to
%% migrate. Otherwise every helper tells its actors to resume (a late one finds that when it pauses) and
%% the first actor that did not pause is named.
-spec pause_all(reference(), [pid()]) ->
          {ok, non_neg_integer(), [helper()]} | {error, {pause_timeout, pid()}}.
pause_all(Tag, Actors) ->
    Me = self(),
    Helpers = [spawn_monitor(fun() -> helper(Me, Tag, Chunk) end) || Chunk <- chunks(Actors, ?CHUNK)],
    Deadline = erlang:monotonic_time(millisecond) + ?PAUSE_TIMEOUT,
    case collect(Tag, maps:from_list(Helpers), Deadline, 0) of
        {ok, Count} ->
            {ok, Count, Helpers};
        timeout ->
            [H ! {Tag, abandon} || {H, _} <- Helpers],
            {error, {pause_timeout, straggler(Tag)}}
    end.

%% The first actor a helper still waited for when the reload was abandoned.
-spec straggler(reference()) -> pid() | undefined.
straggler(Tag) ->
    receive {Tag, waiting_for, Pid} -> Pid
    after ?PAUSE_TIMEOUT -> undefined
    end.

-spec chunks([pid()], pos_integer()) -> [[pid()]].
chunks([], _) -> [];
chunks(L, N) when length(L) =< N -> [L];
chunks(L, N) -> {Chunk, Rest} = lists:split(N, L), [Chunk | chunks(Rest, N)].

%% Each helper reports once, when all its actors have paused (or ended: nothing to migrate).
-spec collect(reference(), #{pid() => reference()}, integer(), non_neg_integer()) ->
          {ok, non_neg_integer()} | timeout.
collect(_Tag, Waiting, _Deadline, Count) when map_size(Waiting) =:= 0 ->
    {ok, Count};
collect(Tag, Waiting, Deadline, Count) ->
    Left = max(0, Deadline - erlang:monotonic_time(millisecond)),
    receive
        {Tag, paused, H, N} -> collect(Tag, maps:remove(H, Waiting), Deadline, Count + N)
    after Left ->
        timeout
    end.

%% Every helper migrates its actors. If any fails, every helper has its actors restore their slots, and
%% the previous code is loaded back.
-spec migrate(module(), {binary(), string()} | none, {reference(), [helper()]}, non_neg_integer()) ->
          {ok, non_neg_integer()} | {error, term()}.
migrate(Module, Previous, {Tag, Helpers}, Count) ->
    case lists:append(ask(Tag, Helpers, migrate, migrated)) of
        [] ->
            {ok, Count};
        [{Pid, Reason} | _] ->
            _ = ask(Tag, Helpers, restore, restored),
            _ = rollback(Module, Previous),
            {error, {migration_failed, Pid, Reason}}
    end.

%% Sends `Command' to every helper and gathers their answers (a helper that died answers that).
-spec ask(reference(), [helper()], migrate | restore, atom()) -> [term()].
ask(Tag, Helpers, Command, Answer) ->
    [H ! {Tag, Command} || {H, _} <- Helpers],
    [receive
         {Tag, Answer, H, Result} -> Result;
         {'DOWN', M, process, H, Why} = Down ->
             %% Kept for `finish/2', which waits for every helper's end.
             self() ! Down,
             [{H, {helper_died, Why}}]
     end || {H, M} <- Helpers].

%% The helpers tell their actors to resume, and end.
-spec finish(reference(), [helper()]) -> ok.
finish(Tag, Helpers) ->
    [H ! {Tag, done} || {H, _} <- Helpers],
    _ = [receive {'DOWN', M, process, H, _} -> ok end || {H, M} <- Helpers],
    ok.

%% One helper: pauses `Pids' for `Parent', reporting when all have paused (or ended), however long that
%% takes; then does what the parent asks, until it is done. If the parent abandons the reload or dies,
%% every actor is told to resume, those still to pause included (they will find it when they pause).
-spec helper(pid(), reference(), [pid()]) -> ok.
helper(Parent, Tag, Pids) ->
    PRef = erlang:monitor(process, Parent),
    Pending = maps:from_list([{P, erlang:monitor(process, P)} || P <- Pids]),
    [P ! {'$bt_reload', Tag, self()} || P <- Pids],
    pausing({Parent, PRef, Tag}, Pending, #{}).

-spec pausing({pid(), reference(), reference()}, actors(), actors()) -> ok.
pausing({Parent, _, Tag} = H, Pending, Paused) when map_size(Pending) =:= 0 ->
    Parent ! {Tag, paused, self(), map_size(Paused)},
    serve(H, Paused);
pausing({Parent, PRef, Tag} = H, Pending, Paused) ->
    receive
        {Tag, ready, Pid} when is_map_key(Pid, Pending) ->
            {MRef, Rest} = maps:take(Pid, Pending),
            pausing(H, Rest, Paused#{Pid => MRef});
        {'DOWN', _, process, Pid, _} when is_map_key(Pid, Pending) ->
            pausing(H, maps:remove(Pid, Pending), Paused);
        {Tag, abandon} ->
            Parent ! {Tag, waiting_for, hd(maps:keys(Pending))},
            resume(Tag, maps:merge(Pending, Paused));
        {'DOWN', PRef, process, Parent, _} ->
            resume(Tag, maps:merge(Pending, Paused))
    end.

%% The parent's commands, once every actor of this helper has paused.
-spec serve({pid(), reference(), reference()}, actors()) -> ok.
serve({Parent, PRef, Tag} = H, Paused) ->
    receive
        {Tag, migrate} ->
            {Alive, Failed} = gather(Tag, Paused, migrate, migrated),
            Parent ! {Tag, migrated, self(), Failed},
            serve(H, Alive);
        {Tag, restore} ->
            {Alive, _} = gather(Tag, Paused, restore, restored),
            Parent ! {Tag, restored, self(), []},
            serve(H, Alive);
        {Tag, done} ->
            resume(Tag, Paused);
        {Tag, abandon} ->
            resume(Tag, Paused);
        {'DOWN', PRef, process, Parent, _} ->
            resume(Tag, Paused)
    end.

-spec resume(reference(), actors()) -> ok.
resume(Tag, Actors) ->
    _ = [P ! {Tag, resume} || P <- maps:keys(Actors)],
    ok.

%% `Step' sent to every actor of `Actors' at once, and the answers gathered (each actor has
%% ?PAUSE_TIMEOUT, in parallel): the actors still alive, and those that did not answer ok with why. An
%% actor late to answer still does the step (it does the next one after it), so it stays in the reload.
-spec gather(reference(), actors(), migrate | restore, migrated | restored) -> {actors(), [{pid(), term()}]}.
gather(Tag, Actors, Step, Answer) ->
    _ = [P ! {Tag, Step} || P <- maps:keys(Actors)],
    replies({Tag, Answer}, Actors, Actors, {erlang:monotonic_time(millisecond) + ?PAUSE_TIMEOUT, []}).

-spec replies({reference(), atom()}, actors(), actors(), {integer(), [{pid(), term()}]}) ->
          {actors(), [{pid(), term()}]}.
replies(_, Waiting, Alive, {_, Failed}) when map_size(Waiting) =:= 0 ->
    {Alive, Failed};
replies({Tag, Answer} = Step, Waiting, Alive, {Deadline, Failed}) ->
    Left = max(0, Deadline - erlang:monotonic_time(millisecond)),
    receive
        {Tag, migrated, Pid, Result} when Answer =:= migrated, is_map_key(Pid, Waiting) ->
            Why = [{Pid, R} || {error, R} <- [Result]],
            replies(Step, maps:remove(Pid, Waiting), Alive, {Deadline, Why ++ Failed});
        {Tag, restored, Pid} when Answer =:= restored, is_map_key(Pid, Waiting) ->
            replies(Step, maps:remove(Pid, Waiting), Alive, {Deadline, Failed});
        {'DOWN', _, process, Pid, Why} when is_map_key(Pid, Waiting) ->
            replies(Step, maps:remove(Pid, Waiting), maps:remove(Pid, Alive),
                    {Deadline, [{Pid, {died, Why}} | Failed]})
    after Left ->
        {Alive, Failed ++ [{Pid, timeout} || Pid <- maps:keys(Waiting)]}
    end.

-spec load(module(), binary(), string()) -> ok | {error, term()}.
load(Module, Binary, File) ->
    case replace_code(Module, File, Binary) of
        {module, Module} ->
            ok = keep(Module, {Binary, File}),
            beamtalk_class:forget(beamtalk_class:of_module(Module)),
            ok;
        {error, Reason} ->
            {error, {load, Reason}}
    end.

%% @doc `code:load_binary/3' for a module that may be loaded already. The code it replaces is purged in
%% the background (`beamtalk_old_code'); a load purges first only if that has not happened yet (or could
%% not: a process still runs the old code).
-spec replace_code(module(), string(), binary()) -> {module, module()} | {error, term()}.
replace_code(Module, File, Binary) ->
    _ = erlang:check_old_code(Module) andalso code:soft_purge(Module),
    case code:load_binary(Module, File, Binary) of
        {module, Module} = Loaded ->
            ok = beamtalk_old_code:purge_later(Module),
            Loaded;
        {error, _} = Error ->
            Error
    end.

%% @doc Whether `Binary' is the code `Module' runs already, loaded from `File': a project loaded again
%% compiles every class again, and one whose source did not change then costs nothing (no purge, no
%% actor paused). The whole binary is compared, not only the code's MD5, which leaves out line numbers.
-spec unchanged(module(), binary(), string()) -> boolean().
unchanged(Module, Binary, File) ->
    %% Not `code:is_loaded/1': the code server may be busy for a while (a purge).
    erlang:module_loaded(Module) andalso kept(Module) =:= {Binary, File} andalso
        beam_lib:md5(Binary) =:= {ok, {Module, erlang:get_module_info(Module, md5)}}.

%% The code of a class as last loaded, and the file it was loaded from: loaded again if the next version's
%% migration fails. In a table, not a persistent term: replacing one of those costs a scan of every
%% process.
-spec kept(module()) -> {binary(), string()} | none.
kept(Module) ->
    case ets:whereis(?CODE) of
        undefined -> none;
        _ -> case ets:lookup(?CODE, Module) of [{_, Kept}] -> Kept; [] -> none end
    end.

-spec keep(module(), {binary(), string()}) -> ok.
keep(Module, Kept) ->
    case ets:whereis(?CODE) of
        undefined -> ok;
        _ -> true = ets:insert(?CODE, {Module, Kept}), ok
    end.

%% @doc Unloads the module of a class that is removed (or renamed): soft purges only, as everywhere here,
%% so a process still running its old code is never killed; the code kept of it is forgotten.
-spec unload(module()) -> ok.
unload(Module) ->
    _ = code:soft_purge(Module),
    _ = code:delete(Module),
    _ = code:soft_purge(Module),
    case ets:whereis(?CODE) of
        undefined -> ok;
        _ -> true = ets:delete(?CODE, Module), ok
    end.

%% @doc Creates the table of the loaded code of classes (owned by `beamtalk_tables').
-spec code_table() -> ok.
code_table() ->
    _ = ets:new(?CODE, [named_table, public, set]),
    ok.

-spec rollback(module(), {binary(), string()} | none) -> ok | {error, term()}.
rollback(_Module, none) -> ok;
rollback(Module, {Binary, File}) -> load(Module, Binary, File).
