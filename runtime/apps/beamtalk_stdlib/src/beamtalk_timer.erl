%% @doc `Timer' (ADR 0065): a block run once after a delay, or again and again at an interval, in a
%% process of its own linked to the process that made it — an actor that ends takes its timers with it,
%% and no tick is left running for nobody. An error in the block is logged and the timer goes on.
-module(beamtalk_timer).

-export([after_ms/2, every/2, cancel/1]).

%% @doc Runs `Block' once, `Ms' milliseconds from now; the timer's process.
-spec after_ms(non_neg_integer(), fun(() -> term())) -> pid().
after_ms(Ms, Block) ->
    ok = check(Ms, Block),
    spawn_link(fun() -> receive cancel -> ok after Ms -> run(Block) end end).

%% @doc Runs `Block' every `Ms' milliseconds until cancelled (or its maker ends); the timer's process.
-spec every(pos_integer(), fun(() -> term())) -> pid().
every(Ms, Block) ->
    ok = check(Ms, Block),
    Ms > 0 orelse beamtalk_error:raise(bad_argument, 'Timer', "every: needs an interval of at least 1 ms"),
    spawn_link(fun() -> tick(Ms, Block, erlang:monotonic_time(millisecond) + Ms) end).

%% Ticks on a fixed schedule: a slow block does not make the timer drift.
-spec tick(pos_integer(), fun(() -> term()), integer()) -> ok.
tick(Ms, Block, Next) ->
    receive cancel -> ok
    after max(0, Next - erlang:monotonic_time(millisecond)) ->
        run(Block),
        tick(Ms, Block, Next + Ms)
    end.

%% @doc Stops a timer; whether it was still waiting to run.
-spec cancel(pid()) -> boolean().
cancel(Timer) ->
    Alive = is_process_alive(Timer),
    unlink(Timer),
    Timer ! cancel,
    Alive.

-spec run(fun(() -> term())) -> ok.
run(Block) ->
    try Block(), ok
    catch C:R:S ->
        logger:warning("Timer block failed: ~ts", [beamtalk_error:describe(beamtalk_error:from_exception(C, R, S))])
    end.

-spec check(term(), term()) -> ok.
check(Ms, Block) when is_integer(Ms), Ms >= 0, is_function(Block, 0) -> ok;
check(Ms, _Block) when not is_integer(Ms); Ms < 0 ->
    beamtalk_error:raise(bad_argument, 'Timer', "needs a number of milliseconds (an Integer, 0 or more)");
check(_Ms, _Block) ->
    beamtalk_error:raise(bad_argument, 'Timer', "needs a block without arguments").
