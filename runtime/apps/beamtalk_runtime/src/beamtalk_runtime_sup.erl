%% @doc Root supervisor of the runtime: the owners of the class-state and actor-name tables.
-module(beamtalk_runtime_sup).
-behaviour(supervisor).

-export([start_link/0, init/1]).

-spec start_link() -> {ok, pid()} | {error, term()}.
start_link() ->
    supervisor:start_link({local, ?MODULE}, ?MODULE, []).

-spec init([]) -> {ok, {supervisor:sup_flags(), [supervisor:child_spec()]}}.
init([]) ->
    ClassState = #{id => beamtalk_class_state, start => {beamtalk_class_state, start_link, []}},
    Names = #{id => beamtalk_actor_names, start => {beamtalk_actor_names, start_link, []}},
    {ok, {#{strategy => one_for_one, intensity => 5, period => 10}, [ClassState, Names]}}.
