%% @doc Application-level supervisor: holds the node's one workspace tree.
-module(beamtalk_workspace_app_sup).
-behaviour(supervisor).

-export([start_link/1, init/1]).

-spec start_link(map()) -> {ok, pid()} | {error, term()}.
start_link(Config) ->
    supervisor:start_link({local, ?MODULE}, ?MODULE, Config).

-spec init(map()) -> {ok, {supervisor:sup_flags(), [supervisor:child_spec()]}}.
init(Config) ->
    Workspace = #{id => beamtalk_workspace_sup,
                  start => {beamtalk_workspace_sup, start_link, [Config]},
                  type => supervisor},
    {ok, {#{strategy => one_for_one, intensity => 3, period => 60}, [Workspace]}}.
