%% @doc Hot reload of a class module with live actors, all or nothing.
%%
%% The actors of the class (and of its subclasses) are suspended (`sys:suspend': messages sent meanwhile
%% wait in their mailboxes, none is lost), the new code is loaded, and each actor's state is migrated by
%% `sys:change_code/4' (see `beamtalk_actor:code_change/3'). If any migration fails, every migrated actor is
%% restored from its snapshot and the previous code is loaded back before anyone resumes: nothing changes
%% for anyone, and the error names the actor and why. If any actor does not suspend within the deadline (it
%% is busy in a long method), nothing is loaded and the others are resumed; the late suspend is answered by
%% a helper that resumes the actor at once, so no actor is ever left suspended. The work on the actors is
%% done by helpers, one per 1,000 actors, which send each step's system messages (`sys''s own requests) to
%% all their actors at once and gather the answers: with many actors a reload costs a few passes of
%% messages, not a round trip per actor per step. Old code is dropped with
%% `code:soft_purge/1' only, so no process is ever killed by a purge. Reloads on a node run one at a time
%% (`serialized/1'): two at once would suspend and migrate the same actors twice.
-module(beamtalk_hot_reload).

-export([install/4, serialized/1, replace_code/3]).

-define(SUSPEND_TIMEOUT, 5000).
%% Actors per suspending helper.
-define(CHUNK, 1000).

%% @doc Runs `Fun' while holding this node's reload lock (waiting for any reload in progress).
-spec serialized(fun(() -> T)) -> T.
serialized(Fun) ->
    global:trans({?MODULE, self()}, Fun, [node()], infinity).

%% @doc Loads `Binary' as `Module' (the class `Class') and migrates `Actors' (pids of its live actors).
-spec install(module(), binary(), string(), [pid()]) -> {ok, non_neg_integer()} | {error, term()}.
install(Module, Binary, File, Actors) ->
    Previous = previous_binary(Module),
    Tag = make_ref(),
    case suspend_all(Tag, Actors) of
        {ok, Count, Helpers} ->
            Token = make_ref(),
            try
                case load(Module, Binary, File) of
                    ok -> migrate(Module, Previous, File, {Tag, Token, Helpers}, Count);
                    {error, _} = LoadError -> LoadError
                end
            after
                finish(Tag, Token, Helpers)
            end;
        {error, _} = Busy ->
            Busy
    end.

-type helper() :: {pid(), reference()}.

%% Suspends every actor through the helpers. All suspended within the deadline: how many are still alive,
%% to migrate. Otherwise every helper resumes its actors (now, or when a late suspend completes) and the
%% first actor that did not suspend is named.
-spec suspend_all(reference(), [pid()]) ->
          {ok, non_neg_integer(), [helper()]} | {error, {suspend_timeout, pid()}}.
suspend_all(Tag, Actors) ->
    Me = self(),
    Helpers = [spawn_monitor(fun() -> helper(Me, Tag, Chunk) end) || Chunk <- chunks(Actors, ?CHUNK)],
    Deadline = erlang:monotonic_time(millisecond) + ?SUSPEND_TIMEOUT,
    case collect(Tag, maps:from_list(Helpers), Deadline, 0) of
        {ok, Count} ->
            {ok, Count, Helpers};
        timeout ->
            [H ! {Tag, abandon} || {H, _} <- Helpers],
            {error, {suspend_timeout, straggler(Tag)}}
    end.

%% The first actor a helper still waited for when the reload was abandoned.
-spec straggler(reference()) -> pid() | undefined.
straggler(Tag) ->
    receive {Tag, waiting_for, Pid} -> Pid
    after ?SUSPEND_TIMEOUT -> undefined
    end.

-spec chunks([pid()], pos_integer()) -> [[pid()]].
chunks([], _) -> [];
chunks(L, N) when length(L) =< N -> [L];
chunks(L, N) -> {Chunk, Rest} = lists:split(N, L), [Chunk | chunks(Rest, N)].

%% Each helper reports once, when all its actors are suspended (or ended: nothing to migrate).
-spec collect(reference(), #{pid() => reference()}, integer(), non_neg_integer()) ->
          {ok, non_neg_integer()} | timeout.
collect(_Tag, Waiting, _Deadline, Count) when map_size(Waiting) =:= 0 ->
    {ok, Count};
collect(Tag, Waiting, Deadline, Count) ->
    Left = max(0, Deadline - erlang:monotonic_time(millisecond)),
    receive
        {Tag, suspended, H, N} -> collect(Tag, maps:remove(H, Waiting), Deadline, Count + N)
    after Left ->
        timeout
    end.

%% Every helper migrates its actors. If any fails, every helper restores its actors' snapshots and the
%% previous code is loaded back.
-spec migrate(module(), binary() | none, string(), {reference(), reference(), [helper()]},
              non_neg_integer()) -> {ok, non_neg_integer()} | {error, term()}.
migrate(Module, Previous, File, {Tag, Token, Helpers}, Count) ->
    case lists:append(ask(Tag, Helpers, {migrate, Token}, migrated)) of
        [] ->
            {ok, Count};
        [{Pid, Reason} | _] ->
            _ = ask(Tag, Helpers, {restore, Token}, restored),
            _ = rollback(Module, Previous, File),
            {error, {migration_failed, Pid, Reason}}
    end.

%% Sends `Command' to every helper and gathers their answers (a helper that died answers that).
-spec ask(reference(), [helper()], term(), atom()) -> [term()].
ask(Tag, Helpers, Command, Answer) ->
    [H ! {Tag, Command} || {H, _} <- Helpers],
    [receive
         {Tag, Answer, H, Result} -> Result;
         {'DOWN', M, process, H, Why} = Down ->
             %% Kept for `finish/3', which waits for every helper's end.
             self() ! Down,
             [{H, {helper_died, Why}}]
     end || {H, M} <- Helpers].

%% The helpers drop the snapshots and resume their actors; answers once all are running again.
-spec finish(reference(), reference(), [helper()]) -> ok.
finish(Tag, Token, Helpers) ->
    [H ! {Tag, {done, Token}} || {H, _} <- Helpers],
    _ = [receive {'DOWN', M, process, H, _} -> ok end || {H, M} <- Helpers],
    ok.

%% One helper: suspends `Pids' for `Parent', reporting each as it is answered, however long that takes;
%% then does what the parent asks, until it is done. If the parent abandons the reload or dies, the
%% suspended actors are resumed at once, and a late suspend as soon as it is answered.
-spec helper(pid(), reference(), [pid()]) -> ok.
helper(Parent, Tag, Pids) ->
    PRef = erlang:monitor(process, Parent),
    Pending = maps:from_list([{request(P, suspend), P} || P <- Pids]),
    suspending({Parent, PRef, Tag}, Pending, []).

-spec suspending({pid(), reference(), reference()}, #{reference() => pid()}, [pid()]) -> ok.
suspending({Parent, _, Tag} = H, Pending, Suspended) when map_size(Pending) =:= 0 ->
    Parent ! {Tag, suspended, self(), length(Suspended)},
    serve(H, Suspended);
suspending({Parent, PRef, Tag} = H, Pending, Suspended) ->
    receive
        {MRef, ok} when is_map_key(MRef, Pending) ->
            erlang:demonitor(MRef, [flush]),
            {Pid, Rest} = maps:take(MRef, Pending),
            suspending(H, Rest, [Pid | Suspended]);
        {'DOWN', MRef, process, _, _} when is_map_key(MRef, Pending) ->
            suspending(H, maps:remove(MRef, Pending), Suspended);
        {Tag, abandon} ->
            Parent ! {Tag, waiting_for, hd(maps:values(Pending))},
            release(Pending, Suspended);
        {'DOWN', PRef, process, Parent, _} ->
            release(Pending, Suspended)
    end.

%% The parent's commands, once every actor of this helper is suspended.
-spec serve({pid(), reference(), reference()}, [pid()]) -> ok.
serve({Parent, PRef, Tag} = H, Suspended) ->
    receive
        {Tag, {migrate, Token}} ->
            {_, Failed} = gather(Suspended, {change_code, beamtalk_actor, undefined, {migrate, Token}}),
            Parent ! {Tag, migrated, self(), Failed},
            serve(H, Suspended);
        {Tag, {restore, Token}} ->
            _ = gather(Suspended, {change_code, beamtalk_actor, undefined, {restore, Token}}),
            Parent ! {Tag, restored, self(), []},
            serve(H, Suspended);
        {Tag, {done, Token}} ->
            _ = gather(Suspended, {change_code, beamtalk_actor, undefined, {forget, Token}}),
            resume_each(Suspended);
        {Tag, abandon} ->
            resume_each(Suspended);
        {'DOWN', PRef, process, Parent, _} ->
            resume_each(Suspended)
    end.

%% After an abandoned reload: resumes the suspended actors now, and each late one as it is answered.
-spec release(#{reference() => pid()}, [pid()]) -> ok.
release(Pending, Suspended) ->
    ok = resume_each(Suspended),
    late(Pending).

-spec late(#{reference() => pid()}) -> ok.
late(Pending) when map_size(Pending) =:= 0 ->
    ok;
late(Pending) ->
    receive
        {MRef, ok} when is_map_key(MRef, Pending) ->
            erlang:demonitor(MRef, [flush]),
            {Pid, Rest} = maps:take(MRef, Pending),
            ok = resume_each([Pid]),
            late(Rest);
        {'DOWN', MRef, process, _, _} when is_map_key(MRef, Pending) ->
            late(maps:remove(MRef, Pending))
    end.

%% `Msg' sent to every actor of `Pids' at once as a system message, and the answers gathered (each
%% actor has ?SUSPEND_TIMEOUT, in parallel): the actors that answered ok, and the others with why.
-spec gather([pid()], term()) -> {[pid()], [{pid(), term()}]}.
gather(Pids, Msg) ->
    Refs = maps:from_list([{request(P, Msg), P} || P <- Pids]),
    replies(Refs, erlang:monotonic_time(millisecond) + ?SUSPEND_TIMEOUT, [], []).

-spec replies(#{reference() => pid()}, integer(), [pid()], [{pid(), term()}]) ->
          {[pid()], [{pid(), term()}]}.
replies(Refs, _Deadline, Ok, Failed) when map_size(Refs) =:= 0 ->
    {Ok, Failed};
replies(Refs, Deadline, Ok, Failed) ->
    Left = max(0, Deadline - erlang:monotonic_time(millisecond)),
    receive
        {MRef, Reply} when is_map_key(MRef, Refs) ->
            erlang:demonitor(MRef, [flush]),
            {Pid, Rest} = maps:take(MRef, Refs),
            case Reply of
                ok -> replies(Rest, Deadline, [Pid | Ok], Failed);
                {error, Reason} -> replies(Rest, Deadline, Ok, [{Pid, Reason} | Failed]);
                Other -> replies(Rest, Deadline, Ok, [{Pid, Other} | Failed])
            end;
        {'DOWN', MRef, process, _, Why} when is_map_key(MRef, Refs) ->
            {Pid, Rest} = maps:take(MRef, Refs),
            replies(Rest, Deadline, Ok, [{Pid, {died, Why}} | Failed])
    after Left ->
        _ = [erlang:demonitor(M, [flush]) || M <- maps:keys(Refs)],
        {Ok, Failed ++ [{Pid, timeout} || Pid <- maps:values(Refs)]}
    end.

%% `sys''s own request (`{system, {From, Tag}, Msg}', answered `{Tag, Reply}'), sent without waiting; the
%% tag is a monitor, so an actor that dies is seen too.
-spec request(pid(), term()) -> reference().
request(Pid, Msg) ->
    MRef = erlang:monitor(process, Pid),
    Pid ! {system, {self(), MRef}, Msg},
    MRef.

%% Resumes `Pids', all at once.
-spec resume_each([pid()]) -> ok.
resume_each(Pids) ->
    _ = gather(Pids, resume),
    ok.

-spec load(module(), binary(), string()) -> ok | {error, term()}.
load(Module, Binary, File) ->
    case replace_code(Module, File, Binary) of
        {module, Module} ->
            persistent_term:put({?MODULE, Module}, Binary),
            beamtalk_class:forget(beamtalk_class:of_module(Module)),
            ok;
        {error, Reason} ->
            {error, {load, Reason}}
    end.

%% @doc `code:load_binary/3' for a module that may be loaded already. A purge looks at every process of
%% the node (a second with 100,000 actors), so the code just replaced is purged in the background, and a
%% load purges first only if an earlier purge has not finished (or could not: a process still runs it).
-spec replace_code(module(), string(), binary()) -> {module, module()} | {error, term()}.
replace_code(Module, File, Binary) ->
    _ = erlang:check_old_code(Module) andalso code:soft_purge(Module),
    case code:load_binary(Module, File, Binary) of
        {module, Module} = Loaded ->
            _ = spawn(fun() -> code:soft_purge(Module) end),
            Loaded;
        {error, _} = Error ->
            Error
    end.

-spec previous_binary(module()) -> binary() | none.
previous_binary(Module) ->
    persistent_term:get({?MODULE, Module}, none).

-spec rollback(module(), binary() | none, string()) -> ok | {error, term()}.
rollback(_Module, none, _File) -> ok;
rollback(Module, Previous, File) -> load(Module, Previous, File).
