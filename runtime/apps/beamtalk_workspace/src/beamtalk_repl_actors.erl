%% @doc The workspace's actor-spawn callback (registered in the runtime's `actor_spawn_callback').
-module(beamtalk_repl_actors).

-export([on_actor_spawned/4, on_actor_init_failed/3, start_actor/4, stop_actor/1, start_supervisor/1, stop_supervisor/1]).

%% @doc The runtime's `actor_starter': every actor is a child of the workspace's actor supervisor.
-spec start_actor(atom(), map(), integer(), permanent | transient | temporary) -> {ok, pid()} | {error, term()}.
start_actor(Class, Init, Id, Restart) ->
    beamtalk_actor_sup:start_actor(beamtalk_actor, [Class, Init, Id], Restart).

%% @doc The runtime's `actor_starter' stopping an actor for good (`a stop'), whatever its restart policy.
-spec stop_actor(pid()) -> ok | {error, not_found}.
stop_actor(Pid) ->
    beamtalk_actor_sup:stop_actor(Pid).

%% @doc The runtime's `supervisor_starter': a Beamtalk supervisor is a child of the workspace's actor
%% supervisor, like an actor's keeper.
-spec start_supervisor(atom()) -> {ok, pid()} | {error, term()}.
start_supervisor(Class) ->
    beamtalk_actor_sup:start_supervisor(Class).

-spec stop_supervisor(pid()) -> ok.
stop_supervisor(Pid) ->
    beamtalk_actor_sup:stop_supervisor(Pid).

%% @doc Records a spawned actor in the workspace metadata (which monitors it) and makes the workspace
%% transcript its group leader, so output it writes after the evaluation that spawned it is kept.
-spec on_actor_spawned(pid() | undefined, pid(), atom(), module()) -> ok.
on_actor_spawned(_RegistryPid, Pid, ClassName, _Module) ->
    case whereis(beamtalk_transcript) of
        undefined -> ok;
        Transcript -> true = group_leader(Transcript, Pid)
    end,
    beamtalk_workspace_meta:register_actor(Pid, ClassName).

%% @doc An actor's `initialize' failed (in its process, while it starts): the metadata server reports it
%% in Beamtalk terms if it was a restart.
-spec on_actor_init_failed(pid(), atom(), term()) -> ok.
on_actor_init_failed(Pid, Class, Error) ->
    beamtalk_workspace_meta:init_failed(Pid, Class, Error).
