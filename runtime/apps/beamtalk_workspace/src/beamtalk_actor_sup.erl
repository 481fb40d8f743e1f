%% @doc Supervises the actors users spawn in the workspace, so they outlive the REPL that spawned them.
-module(beamtalk_actor_sup).
-behaviour(supervisor).

-export([start_link/0, start_actor/3, stop_actor/1, init/1]).

-spec start_link() -> {ok, pid()} | {error, term()}.
start_link() ->
    supervisor:start_link({local, ?MODULE}, ?MODULE, []).

%% @doc Starts `Module:start_link(Args...)' as a supervised actor with the given restart policy.
-spec start_actor(module(), [term()], transient | permanent | temporary) -> {ok, pid()} | {error, term()}.
start_actor(Module, Args, Restart) ->
    Id = {Module, erlang:unique_integer([positive])},
    supervisor:start_child(?MODULE, #{id => Id, start => {Module, start_link, Args}, restart => Restart}).

%% @doc Stops an actor for good (no restart, whatever its policy).
-spec stop_actor(pid()) -> ok | {error, not_found}.
stop_actor(Pid) ->
    case [Id || {Id, P, _, _} <- supervisor:which_children(?MODULE), P =:= Pid] of
        [Id] ->
            _ = supervisor:terminate_child(?MODULE, Id),
            _ = supervisor:delete_child(?MODULE, Id),
            ok;
        [] ->
            {error, not_found}
    end.

-spec init([]) -> {ok, {supervisor:sup_flags(), [supervisor:child_spec()]}}.
init([]) ->
    {ok, {#{strategy => one_for_one, intensity => 10, period => 10}, []}}.
