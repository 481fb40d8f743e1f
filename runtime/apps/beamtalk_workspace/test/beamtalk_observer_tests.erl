-module(beamtalk_observer_tests).

-include_lib("eunit/include/eunit.hrl").

%% Observer's "Nodes" menu items count from 1 in the order of its node list; 0 means not listed.
index_is_the_one_based_menu_position_test() ->
    Nodes = [a@h, b@h, c@h],
    ?assertEqual(1, beamtalk_observer:index(a@h, Nodes)),
    ?assertEqual(3, beamtalk_observer:index(c@h, Nodes)),
    ?assertEqual(0, beamtalk_observer:index(d@h, Nodes)).
