%% @doc Logs a message a server did not expect, instead of dropping it silently. Rate-limited per server
%% and kind (as cowboy and ranch do), so a flood of stray messages cannot flood the log as well.
-module(beamtalk_unexpected).

-export([log/3]).

%% At most this many reports per server and kind in each window.
-define(PER_WINDOW, 10).
-define(WINDOW_MS, 60000).

%% @doc Reports `Msg', received by `Server' as a call, cast or info message.
-spec log(atom(), call | cast | info, term()) -> ok.
log(Server, Kind, Msg) ->
    Now = erlang:monotonic_time(millisecond),
    Key = {'$bt_unexpected', Kind},
    {Start, Count} = case erlang:get(Key) of
                         {S, C} when Now - S < ?WINDOW_MS -> {S, C};
                         _ -> {Now, 0}
                     end,
    _ = erlang:put(Key, {Start, Count + 1}),
    if
        Count < ?PER_WINDOW ->
            logger:warning("~p: unexpected ~p message ~0P", [Server, Kind, Msg, 12]);
        Count =:= ?PER_WINDOW ->
            logger:warning("~p: more unexpected ~p messages; not reported for ~b s", [Server, Kind, ?WINDOW_MS div 1000]);
        true ->
            ok
    end.
