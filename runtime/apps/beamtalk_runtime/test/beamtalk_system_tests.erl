-module(beamtalk_system_tests).

-include_lib("eunit/include/eunit.hrl").

class_named_answers_built_in_classes_and_nil_for_other_names_test() ->
    ?assertEqual({ok, {'$bt_class', 'Integer'}}, beamtalk_system:beamtalk('classNamed:', [<<"Integer">>])),
    ?assertEqual({ok, nil}, beamtalk_system:beamtalk('classNamed:', [<<"NoSuchClassAnywhere42">>])),
    %% Asking for a name that is no class makes no atom of it.
    ?assertError(badarg, binary_to_existing_atom(<<"NoSuchClassAnywhere42">>, utf8)),
    %% A global that is not a class is not answered as one.
    ?assertEqual({ok, nil}, beamtalk_system:beamtalk('classNamed:', ['Transcript'])).

implementors_are_the_classes_defining_a_selector_themselves_test() ->
    {ok, Implementors} = beamtalk_system:navigation('implementorsOf:', [factorial]),
    ?assert(lists:member({'$bt_class', 'Integer'}, Implementors)),
    ?assertNot(lists:member({'$bt_class', 'Object'}, Implementors)).

help_of_a_built_in_class_lists_its_own_selectors_test() ->
    Help = beamtalk_system:help('Integer'),
    ?assertMatch(<<"Integer (Number subclass)\n  ", _/binary>>, Help),
    ?assertNotEqual(nomatch, binary:match(Help, <<"factorial">>)),
    ?assertEqual(<<"Integer>>printString (from Object)">>, beamtalk_system:help('Integer', printString)).
