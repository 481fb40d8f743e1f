%% @doc The workspace's bookkeeping: metadata, transcript, the ChangeLog, the heir of Beamtalk's ETS
%% tables, the durable actors' store, and the idle and EPMD monitors. Its restart
%% intensity is its own, so no run of bookkeeping crashes can restart the user's actors or bindings.
-module(beamtalk_bookkeeping_sup).
-behaviour(supervisor).

-export([start_link/1, init/1]).

-spec start_link(map()) -> {ok, pid()} | {error, term()}.
start_link(Config) ->
    supervisor:start_link({local, ?MODULE}, ?MODULE, Config).

-spec init(map()) -> {ok, {supervisor:sup_flags(), [supervisor:child_spec()]}}.
init(Config) ->
    Children = [
        #{id => beamtalk_workspace_meta, start => {beamtalk_workspace_meta, start_link, [Config]}},
        #{id => beamtalk_transcript, start => {beamtalk_transcript, start_link, []}},
        #{id => beamtalk_changes, start => {beamtalk_changes, start_link, []}},
        #{id => beamtalk_table_keeper, start => {beamtalk_table_keeper, start_link, []}},
        #{id => beamtalk_durable, start => {beamtalk_durable, start_link, []}},
        #{id => beamtalk_tracing, start => {beamtalk_tracing, start_link, []}},
        #{id => beamtalk_idle_monitor,
          start => {beamtalk_idle_monitor, start_link,
                    [#{max_idle_ms => maps:get(max_idle_ms, Config),
                       check_interval_ms => maps:get(check_interval_ms, Config)}]}},
        #{id => beamtalk_epmd_monitor,
          start => {beamtalk_epmd_monitor, start_link, [maps:get(epmd_check_ms, Config, 1000)]}}
    ],
    %% A restarted metadata server rebuilds its tracking from the running actors, so restarting these
    %% often costs nothing but their own state.
    {ok, {#{strategy => one_for_one, intensity => 10, period => 60}, Children}}.
