%% The anchor of `cargo bench --bench scale': a hand-written gen_server equivalent to a Beamtalk actor
%% with one state slot, started with plain `gen_server:start/3', and the node-side helpers the benchmark
%% times (memory after a full collection, stopping one server).
-module(scale_anchor).
-behaviour(gen_server).

-export([spawn_many/1, stop_all/0, stop_one/0, memory/0, settle/0]).
-export([init/1, handle_call/3, handle_cast/2]).

%% Starts `N' servers; they are kept (by pid) until `stop_all/0', in a table rather than a persistent
%% term: replacing one of those makes every process scan its heap, work the next timing would pay for.
spawn_many(N) ->
    Pids = [begin {ok, P} = gen_server:start(?MODULE, [], []), P end || _ <- lists:seq(1, N)],
    true = ets:insert(table(), [{P} || P <- Pids]),
    N.

stop_all() ->
    T = table(),
    [exit(P, kill) || {P} <- ets:tab2list(T)],
    true = ets:delete_all_objects(T),
    ok.

%% The table of started servers, owned by a process that outlives the RPCs that start them.
table() ->
    case ets:whereis(?MODULE) of
        undefined ->
            Me = self(),
            spawn(fun() ->
                          ets:new(?MODULE, [named_table, public, set]),
                          Me ! {?MODULE, ready},
                          receive stop -> ok end
                  end),
            receive {?MODULE, ready} -> ets:whereis(?MODULE) end;
        T ->
            T
    end.

%% Microseconds to stop one freshly started server.
stop_one() ->
    {ok, P} = gen_server:start(?MODULE, [], []),
    {Micros, ok} = timer:tc(gen_server, stop, [P]),
    Micros.

%% Microseconds until no process waits to run: what a batch of spawns left for later (new processes
%% yet to run, signals to handle) is done, and belongs to the batch's time.
settle() ->
    settle(erlang:monotonic_time(microsecond)).

settle(Start) ->
    case erlang:statistics(total_run_queue_lengths) of
        0 -> erlang:monotonic_time(microsecond) - Start;
        _ -> erlang:yield(), settle(Start)
    end.

%% The node's memory after every process has been collected.
memory() ->
    [erlang:garbage_collect(P) || P <- processes()],
    erlang:memory(total).

init([]) -> {ok, #{n => 0}}.
handle_call(bump, _From, #{n := N} = S) -> {reply, N + 1, S#{n := N + 1}}.
handle_cast(_Msg, S) -> {noreply, S}.
