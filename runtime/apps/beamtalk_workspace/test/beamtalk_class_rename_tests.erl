-module(beamtalk_class_rename_tests).
-include_lib("eunit/include/eunit.hrl").

%% Values, references and classes of the old name are rewritten wherever they sit in a term, and nothing
%% else is: another class's value keeps its class, a Symbol of the name stays a Symbol.
rewrite_reaches_nested_values_and_nothing_else_test() ->
    Pid = self(),
    Term = #{a => {'$bt_value', 'Old', #{x => {'$bt_actor', 'Old', Pid}}},
             b => [{'$bt_class', 'Old'}, {'$bt_metaclass', 'Old'} | {'$bt_value', 'Other', #{}}],
             c => 'Old',
             d => {'$bt_object', 'Other', #{in => {'$bt_value', 'Old', #{}}}}},
    ?assertEqual(#{a => {'$bt_value', 'New', #{x => {'$bt_actor', 'New', Pid}}},
                   b => [{'$bt_class', 'New'}, {'$bt_metaclass', 'New'} | {'$bt_value', 'Other', #{}}],
                   c => 'Old',
                   d => {'$bt_object', 'Other', #{in => {'$bt_value', 'New', #{}}}}},
                 beamtalk_class_rename:rewrite_term(Term, 'Old', 'New')).

%% A term nested deeper than the bound is left as it is below it (the alias answers for what is there).
rewrite_stops_at_its_depth_test() ->
    Deep = lists:foldl(fun(_, Acc) -> [Acc] end, {'$bt_class', 'Old'}, lists:seq(1, 100)),
    ?assertEqual(Deep, beamtalk_class_rename:rewrite_term(Deep, 'Old', 'New')),
    ?assertEqual([[{'$bt_class', 'New'}]], beamtalk_class_rename:rewrite_term([[{'$bt_class', 'Old'}]], 'Old', 'New')).
