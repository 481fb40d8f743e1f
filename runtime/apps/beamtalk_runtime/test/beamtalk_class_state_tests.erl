-module(beamtalk_class_state_tests).
-include_lib("eunit/include/eunit.hrl").

%% A user class module as the compiler would make it, with two class variables.
class_module() ->
    Src = ["-module(bt_class_StateTest).",
           "-export(['__class_state__'/0, '__superclass__'/0]).",
           "'__superclass__'() -> 'Object'.",
           "'__class_state__'() -> [{count, fun() -> 0 end}, {label, fun() -> <<\"x\">> end}]."],
    Forms = [begin {ok, Ts, _} = erl_scan:string(S), {ok, F} = erl_parse:parse_form(Ts), F end
             || S <- Src],
    {ok, M, Bin} = compile:forms(Forms),
    {module, M} = code:load_binary(M, "bt_class_StateTest.erl", Bin),
    M.

class_state_test_() ->
    {setup,
     fun() -> class_module(), {ok, Pid} = beamtalk_tables:start_link(), unlink(Pid), Pid end,
     fun(Pid) -> exit(Pid, kill), code:purge(bt_class_StateTest), code:delete(bt_class_StateTest) end,
     [fun defaults_then_assignments/0,
      fun undeclared_names_are_errors/0]}.

defaults_then_assignments() ->
    ?assertEqual(0, beamtalk_class_state:get('StateTest', count)),
    ?assertEqual(<<"x">>, beamtalk_class_state:get('StateTest', label)),
    ?assertEqual(5, beamtalk_class_state:put('StateTest', count, 5)),
    ?assertEqual(5, beamtalk_class_state:get('StateTest', count)).

undeclared_names_are_errors() ->
    ?assertError({'$bt_error', _, no_field, _, _}, beamtalk_class_state:get('StateTest', nope)),
    ?assertError({'$bt_error', _, no_field, _, _}, beamtalk_class_state:put('StateTest', nope, 1)).
