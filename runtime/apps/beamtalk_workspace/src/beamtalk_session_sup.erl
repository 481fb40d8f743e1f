%% @doc Supervises REPL sessions attached to the workspace; sessions come and go, the workspace stays.
-module(beamtalk_session_sup).
-behaviour(supervisor).

-export([start_link/0, start_session/2, init/1]).

-spec start_link() -> {ok, pid()} | {error, term()}.
start_link() ->
    supervisor:start_link({local, ?MODULE}, ?MODULE, []).

%% @doc Starts `Module:start_link(Args...)' as a session; a session that ends is not restarted.
-spec start_session(module(), [term()]) -> {ok, pid()} | {error, term()}.
start_session(Module, Args) ->
    Id = {Module, erlang:unique_integer([positive])},
    supervisor:start_child(?MODULE, #{id => Id, start => {Module, start_link, Args}, restart => temporary}).

-spec init([]) -> {ok, {supervisor:sup_flags(), [supervisor:child_spec()]}}.
init([]) ->
    {ok, {#{strategy => one_for_one, intensity => 10, period => 10}, []}}.
