%% The anchor of `cargo bench --bench scale': a hand-written gen_server equivalent to a Beamtalk actor
%% with one state slot, started with plain `gen_server:start/3', and the node-side helpers the benchmark
%% times (memory after a full collection, stopping one server).
-module(scale_anchor).
-behaviour(gen_server).

-export([spawn_many/1, stop_all/0, stop_one/0, memory/0, settle/0]).
-export([init/1, handle_call/3, handle_cast/2]).

%% Starts `N' servers; they are kept (by pid) until `stop_all/0'.
spawn_many(N) ->
    Pids = [begin {ok, P} = gen_server:start(?MODULE, [], []), P end || _ <- lists:seq(1, N)],
    persistent_term:put(?MODULE, Pids ++ persistent_term:get(?MODULE, [])),
    N.

stop_all() ->
    [exit(P, kill) || P <- persistent_term:get(?MODULE, [])],
    persistent_term:erase(?MODULE),
    ok.

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
