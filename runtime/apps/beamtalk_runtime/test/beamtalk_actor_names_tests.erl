-module(beamtalk_actor_names_tests).
-include_lib("eunit/include/eunit.hrl").

names_test_() ->
    {setup,
     fun() -> {ok, Pid} = beamtalk_tables:start_link(), unlink(Pid), Pid end,
     fun(Pid) -> exit(Pid, kill) end,
     [fun racing_claims_have_one_winner_and_no_crash/0,
      fun a_later_holder_answers_with_its_own_class/0,
      fun a_name_is_restarting_while_its_holders_supervisor_lives/0]}.

%% Fifty processes claim one name at once: exactly one wins, the others are told (none crashes), and the
%% name resolves to the winner's class.
racing_claims_have_one_winner_and_no_crash() ->
    Parent = self(),
    Go = make_ref(),
    Pids = [spawn(fun() ->
                          receive Go -> ok end,
                          Parent ! {self(), beamtalk_actor_names:claim(bt_test_racy, racy, 'Counter')},
                          receive stop -> ok end
                  end) || _ <- lists:seq(1, 50)],
    [P ! Go || P <- Pids],
    Results = [receive {P, R} -> {P, R} after 5000 -> {P, timeout} end || P <- Pids],
    Winners = [P || {P, true} <- Results],
    ?assertEqual(1, length(Winners)),
    ?assertEqual(49, length([P || {P, false} <- Results])),
    [Winner] = Winners,
    ?assertEqual(Winner, whereis(bt_test_racy)),
    ?assertEqual({ok, 'Counter'}, beamtalk_actor_names:class_of(racy, Winner)),
    [?assertEqual(error, beamtalk_actor_names:class_of(racy, P)) || P <- Pids, P =/= Winner],
    [P ! stop || P <- Pids].

a_later_holder_answers_with_its_own_class() ->
    Self = self(),
    First = spawn(fun() -> Self ! {claimed, beamtalk_actor_names:claim(bt_test_again, again, 'Counter')},
                           receive stop -> ok end end),
    ?assertEqual(true, receive {claimed, C0} -> C0 after 5000 -> timeout end),
    Ref = monitor(process, First),
    First ! stop,
    receive {'DOWN', Ref, _, _, _} -> ok end,
    Second = spawn(fun() -> Self ! {claimed, beamtalk_actor_names:claim(bt_test_again, again, 'Logger')},
                            receive stop -> ok end end),
    ?assertEqual(true, receive {claimed, C} -> C after 5000 -> timeout end),
    ?assertEqual({ok, 'Logger'}, beamtalk_actor_names:class_of(again, Second)),
    ?assertEqual(error, beamtalk_actor_names:class_of(again, First)),
    Second ! stop.

a_name_is_restarting_while_its_holders_supervisor_lives() ->
    Self = self(),
    Parent = spawn(fun() ->
                           Holder = spawn(fun() ->
                                                  Self ! {claimed, beamtalk_actor_names:claim(bt_test_re, re, 'C')},
                                                  receive stop -> ok end
                                          end),
                           Self ! {holder, Holder},
                           receive stop -> ok end
                   end),
    Holder = receive {holder, H} -> H after 5000 -> timeout end,
    ?assertEqual(true, receive {claimed, C} -> C after 5000 -> timeout end),
    ?assertNot(beamtalk_actor_names:restarting(re)),
    Ref = monitor(process, Holder),
    Holder ! stop,
    receive {'DOWN', Ref, _, _, _} -> ok end,
    ?assert(beamtalk_actor_names:restarting(re)),
    PRef = monitor(process, Parent),
    Parent ! stop,
    receive {'DOWN', PRef, _, _, _} -> ok end,
    ?assertNot(beamtalk_actor_names:restarting(re)).
