-module(beamtalk_actor_tests).
-include_lib("eunit/include/eunit.hrl").

-export([on_actor_spawned/4]).

%% Test callback: tells the test process what it was given.
on_actor_spawned(Registry, Pid, Class, Module) ->
    Registry ! {spawned, Pid, Class, Module},
    ok.

without_callback_test() ->
    application:unset_env(beamtalk_runtime, actor_spawn_callback),
    ?assertEqual(ok, beamtalk_actor:register_spawned(undefined, self(), 'Counter', counter)).

with_callback_test() ->
    application:set_env(beamtalk_runtime, actor_spawn_callback, ?MODULE),
    try
        ok = beamtalk_actor:register_spawned(self(), self(), 'Counter', counter),
        Me = self(),
        ?assertEqual({spawned, Me, 'Counter', counter}, receive M -> M after 1000 -> timeout end)
    after
        application:unset_env(beamtalk_runtime, actor_spawn_callback)
    end.
