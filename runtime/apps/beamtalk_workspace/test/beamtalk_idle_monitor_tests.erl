-module(beamtalk_idle_monitor_tests).
-include_lib("eunit/include/eunit.hrl").

idle_test_() ->
    {foreach,
     fun() ->
         {ok, Meta} = beamtalk_workspace_meta:start_link(#{id => <<"ws">>}),
         unlink(Meta),
         Meta
     end,
     fun(Meta) ->
         [begin unlink(P), exit(P, kill) end || P <- [whereis(beamtalk_idle_monitor)], is_pid(P)],
         exit(Meta, kill),
         timer:sleep(20)
     end,
     [fun stops_after_the_idle_limit/0,
      fun activity_keeps_it_running/0,
      fun an_attached_cli_keeps_it_running/0]}.

start_monitor(MaxIdle) ->
    start_monitor(MaxIdle, fun() -> false end).

start_monitor(MaxIdle, Attached) ->
    Me = self(),
    {ok, _} = beamtalk_idle_monitor:start_link(#{max_idle_ms => MaxIdle, check_interval_ms => 20,
                                                 stop => fun() -> Me ! idle_stop end,
                                                 attached => Attached}).

stops_after_the_idle_limit() ->
    start_monitor(100),
    ?assertEqual(idle_stop, receive idle_stop -> idle_stop after 2000 -> timeout end).

%% Touched every 20 ms, idle for 600 ms at most: without the touches it would stop within the 1.5 s
%% watched (the limit is far above the interval, so a busy machine's pauses do not make it idle).
activity_keeps_it_running() ->
    start_monitor(600),
    Toucher = spawn(fun Loop() -> beamtalk_workspace_meta:touch(), timer:sleep(20), Loop() end),
    try
        ?assertEqual(still_running, receive idle_stop -> stopped after 1500 -> still_running end)
    after
        exit(Toucher, kill)
    end.

an_attached_cli_keeps_it_running() ->
    Attached = atomics:new(1, []),
    start_monitor(100, fun() -> atomics:get(Attached, 1) =:= 1 end),
    atomics:put(Attached, 1, 1),
    ?assertEqual(still_running, receive idle_stop -> stopped after 500 -> still_running end),
    %% Detached, it is idle again.
    atomics:put(Attached, 1, 0),
    ?assertEqual(idle_stop, receive idle_stop -> idle_stop after 2000 -> timeout end).
