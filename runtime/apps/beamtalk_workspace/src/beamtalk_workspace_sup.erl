%% @doc One workspace, the application's top supervisor: REPL bindings, user actors, REPL sessions, and
%% the bookkeeping servers under a supervisor of their own (ADR 0004, ADR 0009).
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
        #{id => beamtalk_bookkeeping_sup, start => {beamtalk_bookkeeping_sup, start_link, [Config]},
          type => supervisor},
        #{id => beamtalk_actor_sup, start => {beamtalk_actor_sup, start_link, []}, type => supervisor},
        #{id => beamtalk_session_sup, start => {beamtalk_session_sup, start_link, []}, type => supervisor}
    ],
    %% one_for_one: each child stands alone. The bindings and the actors are restarted by nothing but their
    %% own crash. Bookkeeping crashes are absorbed by its own supervisor, which would need to give up
    %% five times in a minute (some sixty crashes) before this one gives up on the workspace.
    {ok, {#{strategy => one_for_one, intensity => 5, period => 60}, Children}}.
