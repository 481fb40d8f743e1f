-module(beamtalk_rt_tests).
-include_lib("eunit/include/eunit.hrl").

%% A module as the compiler makes one whose code keeps an expression as data: its table, tag 7, holds
%% `X + Y' (names, then the abstract expression).
deferred_module() ->
    Entry = {['X', 'Y'], {op, 1, '+', {var, 1, 'X'}, {var, 1, 'Y'}}},
    Forms = [{attribute, 1, module, bt_deferred_probe},
             {attribute, 1, export, [{'__deferred__', 0}]},
             {function, 1, '__deferred__', 0, [{clause, 1, [], [], [erl_parse:abstract({7, {Entry}})]}]}],
    {ok, Mod, Bin} = compile:forms(Forms),
    {module, Mod} = code:load_binary(Mod, "bt_deferred_probe.erl", Bin),
    Mod.

deferred_at_evaluates_the_entry_with_the_values_test() ->
    Mod = deferred_module(),
    Key = (7 bsl 16) bor 1,
    ?assertEqual(5, beamtalk_rt:deferred_at(Mod, Key, 2, 3)),
    ?assertEqual(9, beamtalk_rt:deferred_many(Mod, Key, {4, 5})).

a_key_of_another_table_is_refused_not_run_test() ->
    Mod = deferred_module(),
    %% Code compiled against another version of the module (tag 8) must not run this table's entry.
    ?assertError({'$bt_error', 'RuntimeError', code_replaced, _, _},
                 beamtalk_rt:deferred_at(Mod, (8 bsl 16) bor 1, 2, 3)).
