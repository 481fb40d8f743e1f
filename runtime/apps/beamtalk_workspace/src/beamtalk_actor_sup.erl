%% @doc Supervises the actors users spawn in the workspace, so they outlive the REPL that spawned them.
-module(beamtalk_actor_sup).
-behaviour(supervisor).

-export([start_link/0, start_actor/3, init/1]).

-spec start_link() -> {ok, pid()} | {error, term()}.
start_link() ->
    supervisor:start_link({local, ?MODULE}, ?MODULE, []).

%% @doc Starts `Module:start_link(Args...)' as a supervised actor with the given restart policy.
-spec start_actor(module(), [term()], transient | permanent | temporary) -> {ok, pid()} | {error, term()}.
start_actor(Module, Args, Restart) ->
    Id = {Module, erlang:unique_integer([positive])},
    supervisor:start_child(?MODULE, #{id => Id, start => {Module, start_link, Args}, restart => Restart}).

-spec init([]) -> {ok, {supervisor:sup_flags(), [supervisor:child_spec()]}}.
init([]) ->
    {ok, {#{strategy => one_for_one, intensity => 10, period => 10}, []}}.
