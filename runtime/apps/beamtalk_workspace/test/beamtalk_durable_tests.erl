-module(beamtalk_durable_tests).
-include_lib("eunit/include/eunit.hrl").

storable_test_() ->
    [?_assertEqual(yes, beamtalk_durable:storable(#{balance => 3, note => <<"x">>, items => [1, {a, 2.5}]})),
     ?_assertMatch({no, <<"a process", _/binary>>}, beamtalk_durable:storable(#{peer => {'$bt_actor', 'A', self()}})),
     ?_assertMatch({no, <<"a block", _/binary>>}, beamtalk_durable:storable(#{f => [1, 2 | fun() -> ok end]})),
     ?_assertMatch({no, <<"a reference">>}, beamtalk_durable:storable(#{make_ref() => 1})),
     ?_assertMatch({no, <<"a port">>}, beamtalk_durable:storable([hd(erlang:ports())]))].

%% A store in a temporary directory: created on the first claim, written, read back after Mnesia
%% restarts, and deleted; concurrent writers share syncs and lose nothing.
store_test_() ->
    {setup,
     fun() ->
             Dir = filename:join(string:trim(os:cmd("mktemp -d")), "mnesia"),
             ok = application:set_env(beamtalk_workspace, durable_dir, Dir),
             {ok, Pid} = beamtalk_durable:start_link(),
             unlink(Pid),
             {Pid, Dir}
     end,
     fun({Pid, Dir}) ->
             exit(Pid, kill),
             stopped = mnesia:stop(),
             persistent_term:erase({beamtalk_durable, status}),
             application:unset_env(beamtalk_workspace, durable_dir),
             os:cmd("rm -rf " ++ filename:dirname(Dir))
     end,
     fun({_Pid, Dir}) ->
             [?_test(begin
                         ?assertEqual(absent, beamtalk_durable:await_boot(5000)),
                         ?assertNot(filelib:is_dir(Dir)),
                         ?assertEqual(ok, beamtalk_durable:claim(acct, 'Account')),
                         ?assert(filelib:is_regular(filename:join(Dir, "schema.DAT"))),
                         ?assertEqual(ok, beamtalk_durable:store(acct, 'Account', #{balance => 5})),
                         ?assertEqual({error, {held_by, 'Account'}}, beamtalk_durable:claim(acct, 'Bank')),
                         ?assertEqual({error, {unstorable, <<"a reference">>}},
                                      beamtalk_durable:store(acct, 'Account', #{r => make_ref()})),
                         Writers = [spawn_monitor(fun() ->
                                                          [ok = beamtalk_durable:store(list_to_atom("w" ++ integer_to_list(N)),
                                                                                       'Account', #{balance => I})
                                                           || I <- lists:seq(1, 20)]
                                                  end) || N <- lists:seq(1, 10)],
                         [receive {'DOWN', M, process, P, R} -> ?assertEqual(normal, R) end || {P, M} <- Writers],
                         %% Mnesia restarted: what was written is read from disk.
                         stopped = mnesia:stop(),
                         {ok, _} = application:ensure_all_started(mnesia),
                         ok = mnesia:wait_for_tables([beamtalk_durable], 5000),
                         ?assertEqual({ok, 'Account', #{balance => 5}}, beamtalk_durable:load(acct)),
                         ?assertEqual({ok, 'Account', #{balance => 20}}, beamtalk_durable:load(w7)),
                         {ok, Records} = beamtalk_durable:records(),
                         ?assertEqual(11, length(Records)),
                         ?assertMatch([#{name := acct, class := 'Account', version := 1, running := false} | _],
                                      Records),
                         ?assertEqual(ok, beamtalk_durable:delete(acct)),
                         ?assertEqual(not_found, beamtalk_durable:delete(acct)),
                         ?assertEqual(none, beamtalk_durable:load(acct))
                     end)]
     end}.
