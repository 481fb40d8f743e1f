-module(beamtalk_workspace_meta_tests).
-include_lib("eunit/include/eunit.hrl").

meta_test_() ->
    {foreach,
     fun() ->
         {ok, Pid} = beamtalk_workspace_meta:start_link(#{id => <<"ws">>, project_path => <<"/p">>,
                                                          created_at => 1700000000}),
         unlink(Pid),
         Pid
     end,
     fun(Pid) -> exit(Pid, kill), wait_gone(beamtalk_workspace_meta) end,
     [fun info_has_identity_and_live_figures/0,
      fun touch_resets_idle_time/0,
      fun given_up_actors_are_kept_latest_first/0,
      fun modules_are_recorded_once_in_load_order/0,
      fun rename_changes_the_id/0]}.

info_has_identity_and_live_figures() ->
    I = beamtalk_workspace_meta:info(),
    ?assertMatch(#{id := <<"ws">>, project_path := <<"/p">>, created_at := 1700000000,
                   actor_count := 0, modules := []}, I),
    ?assert(maps:get(memory, I) > 0),
    ?assert(maps:get(process_count, I) > 0).

touch_resets_idle_time() ->
    timer:sleep(30),
    ?assert(beamtalk_workspace_meta:idle_ms() >= 30),
    ok = beamtalk_workspace_meta:touch(),
    ?assert(beamtalk_workspace_meta:idle_ms() < 30).

given_up_actors_are_kept_latest_first() ->
    [ok = beamtalk_workspace_meta:gave_up(#{class => C, restarts => 5, reason => <<"boom">>, at => 1})
     || C <- ['A', 'B']],
    ?assertMatch([#{class := 'B'}, #{class := 'A'}], beamtalk_workspace_meta:given_up()).

modules_are_recorded_once_in_load_order() ->
    ok = beamtalk_workspace_meta:register_module(a),
    ok = beamtalk_workspace_meta:register_module(b),
    ok = beamtalk_workspace_meta:register_module(a),
    ?assertEqual([b, a], beamtalk_workspace_meta:modules()).

rename_changes_the_id() ->
    ok = beamtalk_workspace_meta:set_id(<<"other">>),
    ?assertMatch(#{id := <<"other">>}, beamtalk_workspace_meta:info()).

wait_until(F) -> wait_until(F, 100).
wait_until(F, 0) -> ?assert(F());
wait_until(F, N) ->
    case F() of
        true -> ok;
        false -> timer:sleep(10), wait_until(F, N - 1)
    end.

wait_gone(Name) -> wait_until(fun() -> whereis(Name) =:= undefined end).
