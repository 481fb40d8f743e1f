%% @doc The workspace application: hooks its actor hosts into the runtime, loads the standard library's
%% extensions of built-in classes, and starts the tree.
-module(beamtalk_workspace_app).
-behaviour(application).

-export([start/2, stop/1]).

-spec start(application:start_type(), term()) -> {ok, pid()} | {error, term()}.
start(_Type, _Args) ->
    application:set_env(beamtalk_runtime, actor_spawn_callback, beamtalk_repl_actors),
    application:set_env(beamtalk_runtime, actor_starter, beamtalk_repl_actors),
    application:set_env(beamtalk_runtime, workspace_global, beamtalk_workspace_global),
    application:set_env(beamtalk_runtime, supervisor_starter, beamtalk_repl_actors),
    application:set_env(beamtalk_runtime, transcript, beamtalk_transcript),
    application:set_env(beamtalk_runtime, actor_store, beamtalk_durable),
    ok = beamtalk_stdlib:load_extensions(),
    beamtalk_workspace_sup:start_link(config()).

%% Nothing to undo: the runtime's hooks die with the node. (Unsetting them here called the application
%% controller while it waited for this application to stop, which held every stop for 5 s.)
-spec stop(term()) -> ok.
stop(_State) ->
    ok.

-spec config() -> map().
config() ->
    Env = fun(K, D) -> application:get_env(beamtalk_workspace, K, D) end,
    #{id => Env(workspace_id, <<"default">>),
      project_path => Env(project_path, <<"">>),
      home => Env(home, <<"">>),
      created_at => Env(created_at, erlang:system_time(second)),
      max_idle_ms => Env(max_idle_ms, 14400000),
      check_interval_ms => Env(check_interval_ms, 600000)}.
