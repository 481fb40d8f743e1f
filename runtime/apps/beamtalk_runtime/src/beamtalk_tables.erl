%% @doc The owner of the runtime's shared ETS tables: class-side variables (`beamtalk_class_state'), the
%% classes of named actors (`beamtalk_actor_names'), the cross-reference index (`beamtalk_xref'), how
%% class facts are computed (`beamtalk_class') and the loaded code of classes
%% (`beamtalk_hot_reload'). Reads and writes go to the tables directly; this server only keeps them alive.
-module(beamtalk_tables).
-behaviour(gen_server).

-export([start_link/0]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

-spec start_link() -> {ok, pid()} | {error, term()}.
start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

-spec init([]) -> {ok, #{}}.
init([]) ->
    _ = ets:new(beamtalk_class_state, [named_table, public, set, {read_concurrency, true}]),
    %% Ordered: rows are keyed `{Name, Pid}', and the rows of one name are looked up by that prefix, which
    %% only an ordered set can do without visiting every row (10,000 named actors made `spawnAs:' slow).
    _ = ets:new(beamtalk_actor_names, [named_table, public, ordered_set, {read_concurrency, true},
                                       {write_concurrency, true}]),
    ok = beamtalk_xref:tables(),
    ok = beamtalk_class:facts_table(),
    ok = beamtalk_hot_reload:code_table(),
    {ok, #{}}.

-spec handle_call(term(), gen_server:from(), map()) -> {reply, {error, unknown_request}, map()}.
handle_call(Request, _From, S) ->
    beamtalk_unexpected:log(?MODULE, call, Request),
    {reply, {error, unknown_request}, S}.

-spec handle_cast(term(), map()) -> {noreply, map()}.
handle_cast(Msg, S) ->
    beamtalk_unexpected:log(?MODULE, cast, Msg),
    {noreply, S}.

-spec handle_info(term(), map()) -> {noreply, map()}.
handle_info(Msg, S) ->
    beamtalk_unexpected:log(?MODULE, info, Msg),
    {noreply, S}.
