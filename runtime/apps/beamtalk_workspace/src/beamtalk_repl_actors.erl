%% @doc The workspace's actor-spawn callback (registered in the runtime's `actor_spawn_callback').
-module(beamtalk_repl_actors).

-export([on_actor_spawned/4]).

%% @doc Records a spawned actor in the workspace metadata, which monitors it.
-spec on_actor_spawned(pid() | undefined, pid(), atom(), module()) -> ok.
on_actor_spawned(_RegistryPid, Pid, ClassName, _Module) ->
    beamtalk_workspace_meta:register_actor(Pid, ClassName).
