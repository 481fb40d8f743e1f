%% @doc Root supervisor of the runtime: the owner of its shared tables, and the purger of old class code.
-module(beamtalk_runtime_sup).
-behaviour(supervisor).

-export([start_link/0, init/1]).

-spec start_link() -> {ok, pid()} | {error, term()}.
start_link() ->
    supervisor:start_link({local, ?MODULE}, ?MODULE, []).

-spec init([]) -> {ok, {supervisor:sup_flags(), [supervisor:child_spec()]}}.
init([]) ->
    Tables = #{id => beamtalk_tables, start => {beamtalk_tables, start_link, []}},
    OldCode = #{id => beamtalk_old_code, start => {beamtalk_old_code, start_link, []}},
    {ok, {#{strategy => one_for_one, intensity => 5, period => 10}, [Tables, OldCode]}}.
