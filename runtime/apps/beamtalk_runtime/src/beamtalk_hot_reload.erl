%% @doc Hot reload of a class module with live actors, all or nothing.
%%
%% The actors of the class (and of its subclasses) are suspended (`sys:suspend/2': messages sent meanwhile
%% wait in their mailboxes, none is lost), the new code is loaded, and each actor's state is migrated by
%% `sys:change_code/4' (see `beamtalk_actor:code_change/3'). If any migration fails, every migrated actor is
%% restored from its snapshot and the previous code is loaded back before anyone resumes: nothing changes
%% for anyone, and the error names the actor and why. Old code is dropped with `code:soft_purge/1' only, so
%% no process is ever killed by a purge.
-module(beamtalk_hot_reload).

-export([install/4]).

-define(SUSPEND_TIMEOUT, 5000).

%% @doc Loads `Binary' as `Module' (the class `Class') and migrates `Actors' (pids of its live actors).
-spec install(module(), binary(), string(), [pid()]) -> {ok, non_neg_integer()} | {error, term()}.
install(Module, Binary, File, Actors) ->
    Previous = previous_binary(Module),
    Suspended = suspend_all(Actors),
    try
        case load(Module, Binary, File) of
            ok -> migrate(Module, Previous, File, Suspended);
            {error, _} = LoadError -> LoadError
        end
    after
        [catch sys:resume(P, ?SUSPEND_TIMEOUT) || P <- Suspended]
    end.

-spec suspend_all([pid()]) -> [pid()].
suspend_all(Actors) ->
    [P || P <- Actors, ok =:= (catch sys:suspend(P, ?SUSPEND_TIMEOUT))].

-spec load(module(), binary(), string()) -> ok | {error, term()}.
load(Module, Binary, File) ->
    _ = code:soft_purge(Module),
    case code:load_binary(Module, File, Binary) of
        {module, Module} ->
            persistent_term:put({?MODULE, Module}, Binary),
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
