-module(beamtalk_spelling_tests).
-include_lib("eunit/include/eunit.hrl").

show(A) -> atom_to_binary(A, utf8).

close_names_are_suggested_test() ->
    ?assertEqual(<<"did you mean floor?">>, beamtalk_spelling:suggest(flor, [ceiling, floor, round], fun show/1)),
    ?assertEqual(<<"did you mean counter?">>, beamtalk_spelling:suggest(countr, [counter, count2x], fun show/1)).

far_short_and_identical_names_are_not_test() ->
    ?assertEqual(nil, beamtalk_spelling:suggest(frobnicate, [floor, round], fun show/1)),
    ?assertEqual(nil, beamtalk_spelling:suggest(p, [a, q], fun show/1)),
    ?assertEqual(nil, beamtalk_spelling:suggest(size, [size], fun show/1)).

distance_counts_edits_test() ->
    ?assertEqual(0, beamtalk_spelling:distance("abc", "abc")),
    ?assertEqual(1, beamtalk_spelling:distance("flor", "floor")),
    ?assertEqual(3, beamtalk_spelling:distance("", "abc")).
