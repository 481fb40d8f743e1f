-module(beamtalk_actor_host_tests).
-include_lib("eunit/include/eunit.hrl").

-export([initialize/1, fill_up/0]).

%% Actor classes as the compiler would make them (a method is an exported `'i:sel'/N+1'), each running its
%% `initialize' here: `HostPlain' does
%% nothing on start; `HostNest' starts a `HostPlain' on the same host from its `initialize'; `HostBad'
%% fails in `initialize'.
class_module(Class) ->
    Mod = list_to_atom("bt_class_" ++ atom_to_list(Class)),
    Src = ["-module(" ++ atom_to_list(Mod) ++ ").",
           "-export(['__superclass__'/0, '__fields__'/0, '__selectors__'/0, 'i:initialize'/1]).",
           "'__superclass__'() -> 'Actor'.",
           "'__fields__'() -> [{child, fun() -> nil end}].",
           "'__selectors__'() -> [initialize].",
           "'i:initialize'(R) -> beamtalk_actor_host_tests:initialize(R)."],
    Forms = [begin {ok, Ts, _} = erl_scan:string(S), {ok, F} = erl_parse:parse_form(Ts), F end || S <- Src],
    {ok, Mod, Bin} = compile:forms(Forms),
    {module, Mod} = code:load_binary(Mod, atom_to_list(Mod) ++ ".erl", Bin),
    Mod.

initialize({'$bt_actor', 'HostNest', _}) ->
    {ok, Child} = beamtalk_actor_host:start_actor(host(), 'HostPlain', #{}, 2, temporary),
    erlang:put({bt_slot, child}, {value, Child}),
    nil;
initialize({'$bt_actor', 'HostBad', _}) ->
    error(bad_initialize);
initialize({'$bt_actor', 'HostSlow', _}) ->
    receive never -> nil end;
initialize(_) ->
    nil.

host() -> beamtalk_actor_host:name(1).

host_test_() ->
    {setup,
     fun() ->
         [class_module(C) || C <- ['HostPlain', 'HostNest', 'HostBad', 'HostSlow']],
         {ok, Tables} = beamtalk_tables:start_link(),
         {ok, Host} = beamtalk_actor_host:start_link(1),
         [unlink(P) || P <- [Tables, Host]],
         {Tables, Host}
     end,
     fun({Tables, Host}) ->
         [exit(P, kill) || P <- [Host, Tables]],
         beamtalk_class:forget()
     end,
     [fun an_actor_starts_and_is_listed/0,
      fun an_initialize_that_starts_an_actor_on_the_same_host_completes/0,
      fun a_failed_start_is_reported_and_leaves_nothing/0,
      fun a_killed_actor_is_restarted_with_its_history/0,
      fun a_crash_looping_actor_is_given_up_alone/0,
      fun a_stopped_actor_is_not_restarted/0,
      fun an_actor_stopped_in_its_initialize_fails_its_spawn/0]}.

start(Class, Restart) ->
    beamtalk_actor_host:start_actor(host(), Class, #{}, erlang:unique_integer([positive]), Restart).

an_actor_starts_and_is_listed() ->
    {ok, Pid} = start('HostPlain', transient),
    ?assert(lists:member(#{pid => Pid, class => 'HostPlain'},
                         [maps:with([pid, class], A) || A <- beamtalk_actor_host:actors(host())])),
    %% It joined its host: linked to it, and its OTP parent (which `gen_server' obeys) is the host.
    ?assert(lists:member(whereis(host()), element(2, erlang:process_info(Pid, links)))),
    ?assertEqual({ok, whereis(host())}, gen_server_parent(Pid)),
    ?assert(lists:member(Pid, beamtalk_actor_host:pids_of(host(), ['HostPlain']))),
    ?assertNot(lists:member(Pid, beamtalk_actor_host:pids_of(host(), ['HostBad']))).

an_initialize_that_starts_an_actor_on_the_same_host_completes() ->
    Before = beamtalk_actor_host:count(host()),
    {ok, Pid} = start('HostNest', transient),
    ?assertEqual(Before + 2, beamtalk_actor_host:count(host())),
    ?assert(is_process_alive(Pid)).

a_failed_start_is_reported_and_leaves_nothing() ->
    Before = beamtalk_actor_host:count(host()),
    ?assertMatch({error, {bad_initialize, _Stack}}, start('HostBad', permanent)),
    %% At once: the error comes from the host, once it has forgotten the actor.
    ?assertEqual(Before, beamtalk_actor_host:count(host())).

a_killed_actor_is_restarted_with_its_history() ->
    {ok, Pid} = start('HostPlain', transient),
    exit(Pid, kill),
    New = wait_for(fun() -> [P || #{pid := P, restarts := 1} <- beamtalk_actor_host:actors(host())] end),
    ?assertNotEqual([Pid], New).

a_crash_looping_actor_is_given_up_alone() ->
    {ok, Keep} = start('HostPlain', permanent),
    {ok, First} = start('HostPlain', permanent),
    Id = id_of(First),
    Last = kill_times(First, 6),
    wait_for(fun() -> [gone || not lists:keymember(Last, 1, pids())] end),
    timer:sleep(100),   % a restart, were there one, would be under way by now
    ?assertEqual([], [P || {P, I} <- pids(), I =:= Id]),
    ?assert(lists:keymember(Keep, 1, pids())).

a_stopped_actor_is_not_restarted() ->
    {ok, Pid} = start('HostPlain', permanent),
    Before = beamtalk_actor_host:count(host()),
    MRef = erlang:monitor(process, Pid),
    ok = beamtalk_actor_host:stop_actor(host(), Pid),
    receive {'DOWN', MRef, process, Pid, shutdown} -> ok after 5000 -> error(not_stopped) end,
    ?assertEqual(Before - 1, beamtalk_actor_host:count(host())),
    ?assertEqual({error, not_found}, beamtalk_actor_host:stop_actor(host(), Pid)).

an_actor_stopped_in_its_initialize_fails_its_spawn() ->
    Me = self(),
    Before = beamtalk_actor_host:count(host()),
    spawn(fun() -> Me ! {spawned, start('HostSlow', permanent)} end),
    wait_for(fun() -> [x || beamtalk_actor_host:count(host()) > Before] end),
    [Slow] = [P || #{pid := P, class := 'HostSlow'} <- beamtalk_actor_host:actors(host())],
    ok = beamtalk_actor_host:stop_actor(host(), Slow),
    ?assertEqual({spawned, {error, stopped}}, receive {spawned, _} = M -> M after 5000 -> timeout end).

gen_server_parent(Pid) ->
    {status, Pid, _, [_Dict, _Status, Parent | _]} = sys:get_status(Pid),
    {ok, Parent}.

%% Kills the actor `Pid' and each of its restarts, `N' times in all; answers the last pid killed.
kill_times(Pid, 1) -> exit(Pid, kill), Pid;
kill_times(Pid, N) ->
    Id = id_of(Pid),
    exit(Pid, kill),
    Next = wait_for(fun() -> [P || {P, I} <- pids(), I =:= Id, P =/= Pid] end),
    kill_times(Next, N - 1).

pids() ->
    [{P, id_of(P)} || #{pid := P} <- beamtalk_actor_host:actors(host())].

id_of(Pid) ->
    case erlang:process_info(Pid, dictionary) of
        {dictionary, D} -> proplists:get_value('$bt_actor_id', D);
        undefined -> undefined
    end.

%% Polls `F' until it answers a non-empty list (its first element is answered), for up to 5 s.
wait_for(F) -> wait_for(F, 500).
wait_for(F, 0) -> error({timeout, F()});
wait_for(F, N) ->
    case F() of
        [X | _] -> X;
        [] -> timer:sleep(10), wait_for(F, N - 1)
    end.

%% At the node's process limit a spawn fails with `system_limit' and the host, with every actor it
%% runs, goes on (on a node of its own, started with the smallest limit OTP allows).
a_full_node_fails_the_spawn_not_the_host_test_() ->
    {timeout, 60,
     fun() ->
         {ok, Peer, _Node} = peer:start_link(#{connection => standard_io,
                                               args => ["+P", "1024" | lists:append([["-pa", D] || D <- code:get_path()])]}),
         try
             {Started, Failed, HostAlive, Count} = peer:call(Peer, ?MODULE, fill_up, [], 30000),
             ?assert(Started > 100),
             ?assertEqual({error, system_limit}, Failed),
             ?assert(HostAlive),
             ?assertEqual(Started, Count)
         after
             peer:stop(Peer)
         end
     end}.

%% On the peer: starts actors until the process limit refuses one.
fill_up() ->
    [class_module(C) || C <- ['HostPlain']],
    {ok, _} = beamtalk_tables:start_link(),
    {ok, Host} = beamtalk_actor_host:start_link(1),
    Started = fill(0),
    Failed = start('HostPlain', temporary),
    {Started, Failed, is_process_alive(Host) andalso whereis(host()) =:= Host, beamtalk_actor_host:count(host())}.

fill(N) ->
    case start('HostPlain', temporary) of
        {ok, _} -> fill(N + 1);
        {error, system_limit} -> N
    end.
