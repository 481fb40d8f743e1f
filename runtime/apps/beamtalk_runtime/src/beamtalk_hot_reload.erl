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

%% @doc Runs `Fun' while holding this node's reload lock (waiting for any reload in progress).
-spec serialized(fun(() -> T)) -> T.
serialized(Fun) ->
    global:trans({?MODULE, self()}, Fun, [node()], infinity).

%% @doc Loads `Binary' as `Module' (the class `Class') and migrates `Actors' (pids of its live actors).
-spec install(module(), binary(), string(), [pid()]) -> {ok, non_neg_integer()} | {error, term()}.
install(Module, Binary, File, Actors) ->
    Previous = previous_binary(Module),
    case suspend_all(Actors) of
        {ok, Suspended, Helpers} ->
            try
                case load(Module, Binary, File) of
                    ok -> migrate(Module, Previous, File, Suspended);
                    {error, _} = LoadError -> LoadError
                end
            after
                [catch sys:resume(P, ?SUSPEND_TIMEOUT) || P <- Suspended],
                [H ! {self(), done} || H <- Helpers]
            end;
        {error, _} = Busy ->
            Busy
    end.

%% Suspends every actor through a helper each. All suspended within the deadline: the actors that are still
%% alive, to migrate. Otherwise every helper resumes its actor (now, or when its late suspend completes) and
%% the first actor that did not suspend is named.
-spec suspend_all([pid()]) -> {ok, [pid()], [pid()]} | {error, {suspend_timeout, pid()}}.
suspend_all(Actors) ->
    Me = self(),
    Helpers = [{spawn(fun() -> suspender(Me, P) end), P} || P <- Actors],
    Deadline = erlang:monotonic_time(millisecond) + ?SUSPEND_TIMEOUT,
    case collect(Helpers, Deadline, []) of
        {ok, Suspended} ->
            {ok, Suspended, [H || {H, _} <- Helpers]};
        {timeout, Pid} ->
            [H ! {Me, abandon} || {H, _} <- Helpers],
            {error, {suspend_timeout, Pid}}
    end.

-spec collect([{pid(), pid()}], integer(), [pid()]) -> {ok, [pid()]} | {timeout, pid()}.
collect([], _Deadline, Suspended) ->
    {ok, lists:reverse(Suspended)};
collect([{Helper, Pid} | Rest], Deadline, Suspended) ->
    Left = max(0, Deadline - erlang:monotonic_time(millisecond)),
    receive
        {Helper, suspended, ok} -> collect(Rest, Deadline, [Pid | Suspended]);
        %% The actor ended meanwhile: nothing to migrate.
        {Helper, suspended, _Died} -> collect(Rest, Deadline, Suspended)
    after Left ->
        {timeout, Pid}
    end.

%% Suspends `Pid' for `Parent', however long it takes, then waits for the verdict: `done' (the parent has
%% resumed it), or `abandon' or the parent's death (resume it here).
-spec suspender(pid(), pid()) -> ok.
suspender(Parent, Pid) ->
    Ref = erlang:monitor(process, Parent),
    Result = case catch sys:suspend(Pid, infinity) of
                 ok -> ok;
                 Other -> {failed, Other}
             end,
    Parent ! {self(), suspended, Result},
    receive
        {Parent, done} -> ok;
        {Parent, abandon} -> resume(Result, Pid);
        {'DOWN', Ref, process, Parent, _} -> resume(Result, Pid)
    end.

-spec resume(ok | {failed, term()}, pid()) -> ok.
resume(ok, Pid) -> _ = (catch sys:resume(Pid, ?SUSPEND_TIMEOUT)), ok;
resume(_, _Pid) -> ok.

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
