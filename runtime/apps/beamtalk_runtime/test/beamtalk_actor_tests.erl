-module(beamtalk_actor_tests).
-include_lib("eunit/include/eunit.hrl").

%% An actor process that cannot start (here: its class does not exist) ends with the reason
%% `gen_server:start/3' would give, marked for its parent, which decides what comes next.
a_failed_start_ends_marked_for_its_parent_test() ->
    {Pid, MRef} = proc_lib:spawn_opt(beamtalk_actor, run, [{'NoSuchClass', #{}, 1}], [monitor]),
    Exit = receive {'DOWN', MRef, process, Pid, E} -> E after 5000 -> timeout end,
    ?assertMatch({shutdown, {'$bt_init_failed', {{'$bt_error', _, _, _, _}, _Stack}}}, Exit).
