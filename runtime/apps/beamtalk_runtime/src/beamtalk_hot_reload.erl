%% @doc Hot reload of a class module with live actors, all or nothing.
%%
%% The actors of the class (and of its subclasses) are suspended (`sys:suspend': messages sent meanwhile
%% wait in their mailboxes, none is lost), the new code is loaded, and each actor's state is migrated by
%% `sys:change_code/4' (see `beamtalk_actor:code_change/3'). If any migration fails, every migrated actor is
%% restored from its snapshot and the previous code is loaded back before anyone resumes: nothing changes
%% for anyone, and the error names the actor and why. If any actor does not suspend within the deadline (it
%% is busy in a long method), nothing is loaded and the others are resumed; the late suspend is answered by
%% a helper that resumes the actor at once, so no actor is ever left suspended. Old code is dropped with
%% `code:soft_purge/1' only, so no process is ever killed by a purge. Reloads on a node run one at a time
%% (`serialized/1'): two at once would suspend and migrate the same actors twice.
-module(beamtalk_hot_reload).

-export([install/4, serialized/1]).

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
        {ok, Suspended, Helpers} ->
            try
                case load(Module, Binary, File) of
                    ok -> migrate(Module, Previous, File, Suspended);
                    {error, _} = LoadError -> LoadError
                end
            after
                resume_all(Tag, Helpers)
            end;
        {error, _} = Busy ->
            Busy
    end.

%% Suspends every actor through helpers, each for a chunk of them (one helper per actor would double the
%% processes of a workspace with many actors). All suspended within the deadline: the actors that are still
%% alive, to migrate. Otherwise every helper resumes its actors (now, or when a late suspend completes) and
%% the first actor that did not suspend is named.
-spec suspend_all(reference(), [pid()]) -> {ok, [pid()], [pid()]} | {error, {suspend_timeout, pid()}}.
suspend_all(Tag, Actors) ->
    Me = self(),
    Helpers = [spawn(fun() -> suspender(Me, Tag, Chunk) end) || Chunk <- chunks(Actors, ?CHUNK)],
    Deadline = erlang:monotonic_time(millisecond) + ?SUSPEND_TIMEOUT,
    case collect(Tag, maps:from_keys(Actors, true), Deadline, []) of
        {ok, Suspended} ->
            {ok, Suspended, Helpers};
        {timeout, Pid} ->
            [H ! {Tag, abandon} || H <- Helpers],
            {error, {suspend_timeout, Pid}}
    end.

-spec chunks([pid()], pos_integer()) -> [[pid()]].
chunks([], _) -> [];
chunks(L, N) when length(L) =< N -> [L];
chunks(L, N) -> {Chunk, Rest} = lists:split(N, L), [Chunk | chunks(Rest, N)].

-spec collect(reference(), #{pid() => true}, integer(), [pid()]) -> {ok, [pid()]} | {timeout, pid()}.
collect(_Tag, Pending, _Deadline, Suspended) when map_size(Pending) =:= 0 ->
    {ok, lists:reverse(Suspended)};
collect(Tag, Pending, Deadline, Suspended) ->
    Left = max(0, Deadline - erlang:monotonic_time(millisecond)),
    receive
        {Tag, suspended, Pid, ok} -> collect(Tag, maps:remove(Pid, Pending), Deadline, [Pid | Suspended]);
        %% The actor ended meanwhile: nothing to migrate.
        {Tag, suspended, Pid, died} -> collect(Tag, maps:remove(Pid, Pending), Deadline, Suspended)
    after Left ->
        {timeout, hd(maps:keys(Pending))}
    end.

%% Every helper resumes its actors (in parallel); answers once all are running again.
-spec resume_all(reference(), [pid()]) -> ok.
resume_all(Tag, Helpers) ->
    Monitors = [{H, erlang:monitor(process, H)} || H <- Helpers],
    [H ! {Tag, done} || H <- Helpers],
    _ = [receive {'DOWN', M, process, H, _} -> ok end || {H, M} <- Monitors],
    ok.

%% Suspends `Pids' for `Parent' with system messages sent at once (a busy actor delays only itself),
%% reporting each as it is answered, however long that takes; then resumes them when the parent is done,
%% or when it abandons the reload or dies (a late suspend is then resumed as soon as it is answered).
-spec suspender(pid(), reference(), [pid()]) -> ok.
suspender(Parent, Tag, Pids) ->
    PRef = erlang:monitor(process, Parent),
    Pending = maps:from_list([{suspend_request(P), P} || P <- Pids]),
    suspending(Parent, PRef, Tag, Pending, [], waiting).

-spec suspend_request(pid()) -> reference().
suspend_request(Pid) ->
    MRef = erlang:monitor(process, Pid),
    %% `sys:suspend/2''s own request (`sys' answers `{Tag, ok}' to `{system, {From, Tag}, suspend}'),
    %% sent without waiting.
    Pid ! {system, {self(), MRef}, suspend},
    MRef.

-spec suspending(pid(), reference(), reference(), #{reference() => pid()}, [pid()], waiting | release) ->
          ok.
suspending(_Parent, _PRef, _Tag, Pending, Suspended, release) when map_size(Pending) =:= 0 ->
    resume_each(Suspended);
suspending(Parent, PRef, Tag, Pending, Suspended, Mode) ->
    receive
        {MRef, ok} when is_map_key(MRef, Pending) ->
            erlang:demonitor(MRef, [flush]),
            {Pid, Rest} = maps:take(MRef, Pending),
            _ = Mode =:= waiting andalso (Parent ! {Tag, suspended, Pid, ok}),
            case Mode of
                waiting -> suspending(Parent, PRef, Tag, Rest, [Pid | Suspended], Mode);
                release -> resume_each([Pid]), suspending(Parent, PRef, Tag, Rest, Suspended, Mode)
            end;
        {'DOWN', MRef, process, _, _} when is_map_key(MRef, Pending) ->
            {Pid, Rest} = maps:take(MRef, Pending),
            _ = Mode =:= waiting andalso (Parent ! {Tag, suspended, Pid, died}),
            suspending(Parent, PRef, Tag, Rest, Suspended, Mode);
        {Tag, done} ->
            resume_each(Suspended);
        {Tag, abandon} ->
            resume_each(Suspended),
            suspending(Parent, PRef, Tag, Pending, [], release);
        {'DOWN', PRef, process, Parent, _} ->
            resume_each(Suspended),
            suspending(Parent, PRef, Tag, Pending, [], release)
    end.

-spec resume_each([pid()]) -> ok.
resume_each(Pids) ->
    _ = [catch sys:resume(P, ?SUSPEND_TIMEOUT) || P <- Pids],
    ok.

-spec load(module(), binary(), string()) -> ok | {error, term()}.
load(Module, Binary, File) ->
    _ = code:soft_purge(Module),
    case code:load_binary(Module, File, Binary) of
        {module, Module} ->
            persistent_term:put({?MODULE, Module}, Binary),
            beamtalk_class:forget(),
            ok;
        {error, Reason} ->
            {error, {load, Reason}}
    end.

-spec previous_binary(module()) -> binary() | none.
previous_binary(Module) ->
    persistent_term:get({?MODULE, Module}, none).

-spec migrate(module(), binary() | none, string(), [pid()]) -> {ok, non_neg_integer()} | {error, term()}.
migrate(Module, Previous, File, Actors) ->
    Token = make_ref(),
    case migrate_each(Actors, Token, []) of
        {ok, Done} ->
            [catch sys:change_code(P, beamtalk_actor, undefined, {forget, Token}, ?SUSPEND_TIMEOUT) || P <- Done],
            {ok, length(Done)};
        {error, Failed, Reason, Done} ->
            [catch sys:change_code(P, beamtalk_actor, undefined, {restore, Token}, ?SUSPEND_TIMEOUT) || P <- Done],
            _ = rollback(Module, Previous, File),
            {error, {migration_failed, Failed, Reason}}
    end.

-spec migrate_each([pid()], reference(), [pid()]) -> {ok, [pid()]} | {error, pid(), term(), [pid()]}.
migrate_each([], _Token, Done) ->
    {ok, Done};
migrate_each([P | Rest], Token, Done) ->
    case catch sys:change_code(P, beamtalk_actor, undefined, {migrate, Token}, ?SUSPEND_TIMEOUT) of
        ok -> migrate_each(Rest, Token, [P | Done]);
        {error, Reason} -> {error, P, Reason, [P | Done]};
        Other -> {error, P, Other, [P | Done]}
    end.

-spec rollback(module(), binary() | none, string()) -> ok | {error, term()}.
rollback(_Module, none, _File) -> ok;
rollback(Module, Previous, File) -> load(Module, Previous, File).
