%% @doc The workspace application: adopts the cookie, hooks actor tracking into the runtime, starts the tree.
-module(beamtalk_workspace_app).
-behaviour(application).

-export([start/2, stop/1]).

-spec start(application:start_type(), term()) -> {ok, pid()} | {error, term()}.
start(_Type, _Args) ->
    case adopt_cookie(application:get_env(beamtalk_workspace, cookie_file, undefined)) of
        ok ->
            application:set_env(beamtalk_runtime, actor_spawn_callback, beamtalk_repl_actors),
            application:set_env(beamtalk_runtime, actor_starter, beamtalk_repl_actors),
            beamtalk_workspace_app_sup:start_link(config());
        {error, _} = Error ->
            Error
    end.

-spec stop(term()) -> ok.
stop(_State) ->
    application:unset_env(beamtalk_runtime, actor_spawn_callback),
    application:unset_env(beamtalk_runtime, actor_starter),
    ok.

%% The node boots with -nocookie (so the secret is never on a command line) and refuses every connection
%% until this sets the cookie from the private file.
-spec adopt_cookie(undefined | binary() | string()) -> ok | {error, term()}.
adopt_cookie(undefined) ->
    ok;
adopt_cookie(File) ->
    case file:read_file(File) of
        {ok, Bin} ->
            case string:trim(Bin) of
                <<>> -> {error, {empty_cookie_file, File}};
                Cookie -> set_cookie(binary_to_atom(Cookie, utf8))
            end;
        {error, Reason} ->
            {error, {cookie_file, File, Reason}}
    end.

-spec set_cookie(atom()) -> ok | {error, term()}.
set_cookie(Cookie) ->
    case node() of
        nonode@nohost -> {error, distribution_not_started};
        _ -> true = erlang:set_cookie(Cookie), ok
    end.

-spec config() -> map().
config() ->
    Env = fun(K, D) -> application:get_env(beamtalk_workspace, K, D) end,
    #{id => Env(workspace_id, <<"default">>),
      project_path => Env(project_path, <<"">>),
      created_at => Env(created_at, erlang:system_time(second)),
      max_idle_ms => Env(max_idle_ms, 14400000),
      check_interval_ms => Env(check_interval_ms, 600000)}.
