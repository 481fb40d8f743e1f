%% @doc The workspace's actor-spawn callback (registered in the runtime's `actor_spawn_callback').
-module(beamtalk_repl_actors).

-export([on_actor_spawned/4]).

%% @doc Records a spawned actor in the workspace metadata (which monitors it) and makes the workspace
%% transcript its group leader, so output it writes after the evaluation that spawned it is kept.
-spec on_actor_spawned(pid() | undefined, pid(), atom(), module()) -> ok.
on_actor_spawned(_RegistryPid, Pid, ClassName, _Module) ->
    case whereis(beamtalk_transcript) of
        undefined -> ok;
        Transcript -> true = group_leader(Transcript, Pid)
    end,
    beamtalk_workspace_meta:register_actor(Pid, ClassName).
