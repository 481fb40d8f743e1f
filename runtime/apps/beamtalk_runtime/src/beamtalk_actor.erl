%% @doc Actor lifecycle hooks shared by every actor class.
%%
%% The runtime never depends on the workspace application (ADR 0009): whoever tracks actors registers a
%% callback module in this application's environment (`actor_spawn_callback'), and every spawned actor is
%% reported to it. Without a callback, actors run untracked.
-module(beamtalk_actor).

-export([register_spawned/4]).

%% @doc Reports a freshly spawned actor to the registered tracker, if any.
-spec register_spawned(pid() | undefined, pid(), atom(), module()) -> ok.
register_spawned(RegistryPid, ActorPid, ClassName, Module) ->
    case application:get_env(beamtalk_runtime, actor_spawn_callback) of
        {ok, Callback} ->
            Callback:on_actor_spawned(RegistryPid, ActorPid, ClassName, Module);
        undefined ->
            ok
    end.
