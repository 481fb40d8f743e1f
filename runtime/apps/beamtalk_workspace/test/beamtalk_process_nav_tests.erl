%% The walk under ProcessNavigation, on a plain OTP tree this test starts: kinds, children, and what
%% happens to a process that is no supervisor; the status of a process that runs and of one that ended.
-module(beamtalk_process_nav_tests).
-behaviour(supervisor).
-include_lib("eunit/include/eunit.hrl").

-export([init/1, start_worker/0]).

-spec init(term()) -> {ok, {supervisor:sup_flags(), [supervisor:child_spec()]}}.
init(plain) ->
    {ok, {#{strategy => one_for_one},
          [#{id => worker, start => {?MODULE, start_worker, []}},
           #{id => inner, start => {supervisor, start_link, [?MODULE, empty]}, type => supervisor}]}};
init(empty) ->
    {ok, {#{strategy => one_for_one}, []}}.

-spec start_worker() -> {ok, pid()}.
start_worker() ->
    {ok, spawn_link(fun() -> receive stop -> ok end end)}.

walk_test() ->
    {ok, Sup} = supervisor:start_link(?MODULE, plain),
    try
        #{kind := otpSupervisor, children := [W, Inner]} = beamtalk_process_nav:walk(Sup, 1),
        ?assertMatch(#{kind := otpProcess, children := []}, W),
        ?assertMatch(#{kind := otpSupervisor, children := []}, Inner),
        %% A process that is no supervisor is never asked for children: a node of its own.
        ?assertMatch(#{kind := otpProcess, children := []}, beamtalk_process_nav:walk(maps:get(pid, W), 1))
    after
        unlink(Sup),
        exit(Sup, shutdown)
    end.

a_process_that_ended_has_no_status_test() ->
    Pid = spawn(fun() -> ok end),
    Ref = monitor(process, Pid),
    receive {'DOWN', Ref, process, Pid, _} -> ok end,
    ?assertEqual(nil, beamtalk_process_nav:status(Pid)),
    ?assertEqual({error, stale_handle}, beamtalk_process_nav:from(Pid)),
    ?assertEqual({error, not_a_process}, beamtalk_process_nav:from(42)).

a_running_process_reports_its_status_test() ->
    Pid = spawn(fun() -> receive stop -> ok end end),
    try
        %% A plain process is not sent OTP's system messages (it would keep them unread): it answers none.
        #{status := Status, answers := false} = beamtalk_process_nav:status(Pid),
        ?assert(lists:member(Status, [running, runnable, waiting])),
        ?assertEqual({message_queue_len, 0}, erlang:process_info(Pid, message_queue_len)),
        %% An OTP process does answer.
        {ok, Sup} = supervisor:start_link(?MODULE, empty),
        unlink(Sup),
        ?assertMatch(#{answers := true}, beamtalk_process_nav:status(Sup)),
        exit(Sup, shutdown)
    after
        Pid ! stop
    end.
