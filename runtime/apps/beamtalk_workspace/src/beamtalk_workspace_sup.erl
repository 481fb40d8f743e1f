%% @doc One workspace: its metadata, idle monitor, user actors and REPL sessions (ADR 0004, ADR 0009).
-module(beamtalk_workspace_sup).
-behaviour(supervisor).

-export([start_link/1, init/1]).

-spec start_link(map()) -> {ok, pid()} | {error, term()}.
start_link(Config) ->
    supervisor:start_link({local, ?MODULE}, ?MODULE, Config).

-spec init(map()) -> {ok, {supervisor:sup_flags(), [supervisor:child_spec()]}}.
init(Config) ->
    Children = [
        #{id => beamtalk_repl_state, start => {beamtalk_repl_state, start_link, []}},
        #{id => beamtalk_workspace_meta, start => {beamtalk_workspace_meta, start_link, [Config]}},
        #{id => beamtalk_transcript, start => {beamtalk_transcript, start_link, []}},
        #{id => beamtalk_actor_sup, start => {beamtalk_actor_sup, start_link, []}, type => supervisor},
        #{id => beamtalk_session_sup, start => {beamtalk_session_sup, start_link, []}, type => supervisor},
        #{id => beamtalk_idle_monitor,
          start => {beamtalk_idle_monitor, start_link,
                    [#{max_idle_ms => maps:get(max_idle_ms, Config),
                       check_interval_ms => maps:get(check_interval_ms, Config)}]}},
        #{id => beamtalk_epmd_monitor,
          start => {beamtalk_epmd_monitor, start_link, [maps:get(epmd_check_ms, Config, 1000)]}}
    ],
    %% one_for_one: each child stands alone. The bindings come first and are restarted by nothing but their
    %% own crash; a restarted metadata server rebuilds its tracking from the running actors instead of
    %% taking them with it.
    {ok, {#{strategy => one_for_one, intensity => 5, period => 60}, Children}}.
