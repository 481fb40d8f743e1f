-module(beamtalk_dispatch_tests).
-include_lib("eunit/include/eunit.hrl").

send(R, S, A) -> beamtalk_dispatch:send(R, S, A).

error_kind(F) ->
    try F(), no_error
    catch error:{'$bt_error', _, Kind, _, _} -> Kind
    end.

class_of_test() ->
    ?assertEqual('Integer', beamtalk_dispatch:class_of(3)),
    ?assertEqual('Float', beamtalk_dispatch:class_of(3.0)),
    ?assertEqual('String', beamtalk_dispatch:class_of(<<"s">>)),
    ?assertEqual('Symbol', beamtalk_dispatch:class_of(ok)),
    ?assertEqual('UndefinedObject', beamtalk_dispatch:class_of(nil)),
    ?assertEqual('Array', beamtalk_dispatch:class_of({'$bt_array', {}})),
    ?assertEqual({meta, 'Integer'}, beamtalk_dispatch:class_of({'$bt_class', 'Integer'})).

numbers_test() ->
    ?assertEqual(7, send(3, '+', [4])),
    ?assertEqual(2.5, send(5, '/', [2])),
    ?assertEqual(-4, send(-7, '//', [2])),
    ?assertEqual(1, send(-7, '\\\\', [2])),
    ?assertEqual(120, send(5, factorial, [])),
    ?assertEqual(1024, send(2, '**', [10])),
    ?assertEqual(badarith, error_kind(fun() -> send(1, '/', [0]) end)).

lookup_walks_the_superclass_chain_test() ->
    %% printString is Object's, reached from Integer through Number.
    ?assertEqual(<<"42">>, send(42, printString, [])),
    ?assertEqual({'$bt_class', 'Integer'}, send(42, class, [])),
    ?assertEqual(true, send(42, 'respondsTo:', ['+'])),
    ?assertEqual(false, send(42, 'respondsTo:', [nope])).

does_not_understand_test() ->
    try send(3, foo, []), ?assert(false)
    catch error:{'$bt_error', 'DoesNotUnderstand', does_not_understand, Msg, _} ->
        ?assertEqual(<<"Integer does not understand #foo">>, Msg)
    end.

strings_test() ->
    ?assertEqual(<<"olleh">>, send(<<"hello">>, reversed, [])),
    ?assertEqual(<<"ab">>, send(<<"a">>, ',', [<<"b">>])),
    ?assertEqual(5, send(<<"héllo"/utf8>>, size, [])),
    ?assertEqual([<<"a">>, <<"b">>], send(<<"a,b">>, 'split:', [<<",">>])).

collections_test() ->
    ?assertEqual([2, 4], send([1, 2], 'collect:', [fun(X) -> X * 2 end])),
    ?assertEqual({'$bt_array', {1, 9}}, send({'$bt_array', {1, 2}}, 'at:put:', [2, 9])),
    ?assertEqual(#{a => 1, b => 2}, send(#{a => 1}, 'at:put:', [b, 2])),
    ?assertEqual(6, send([1, 2, 3], 'inject:into:', [0, fun(A, X) -> A + X end])),
    ?assertEqual(index_out_of_bounds, error_kind(fun() -> send([1], 'at:', [5]) end)).

blocks_and_booleans_test() ->
    ?assertEqual(3, send(fun(A, B) -> A + B end, 'value:value:', [1, 2])),
    ?assertEqual(wrong_arity, error_kind(fun() -> send(fun(A) -> A end, value, []) end)),
    ?assertEqual(yes, send(true, 'ifTrue:ifFalse:', [fun() -> yes end, fun() -> no end])),
    ?assertEqual(false, send(false, 'and:', [fun() -> error(never) end])).

on_do_catches_by_class_test() ->
    Handler = fun(E) -> beamtalk_error:class(E) end,
    ?assertEqual('ZeroDivide', send(fun() -> 1 / zero() end, 'on:do:', [{'$bt_class', 'Error'}, Handler])),
    ?assertEqual(does_not_understand,
                 error_kind(fun() -> send(fun() -> send(1, foo, []) end, 'on:do:', [{'$bt_class', 'ZeroDivide'}, Handler]) end)).

zero() -> 0.

printing_test() ->
    P = fun beamtalk_print:print_string/1,
    ?assertEqual(<<"3.5">>, P(3.5)),
    ?assertEqual(<<"#(1, \"a\")">>, P([1, <<"a">>])),
    ?assertEqual(<<"#[1, 2]">>, P({'$bt_array', {1, 2}})),
    ?assertEqual(<<"#{#a => 1, #b => 2}">>, P(#{b => 2, a => 1})),
    ?assertEqual(<<"{1, 2}">>, P({1, 2})),
    ?assertEqual(<<"#'with space'">>, P('with space')),
    ?assertEqual(<<"a Block/1">>, P(fun(X) -> X end)),
    ?assertEqual(<<"hi">>, beamtalk_print:repl_string(<<"hi">>)).

cells_are_opened_and_erased_by_invoke_test() ->
    Self = self(),
    V = beamtalk_rt:invoke([x], fun(F) ->
                                        ?assertEqual(nil, beamtalk_rt:get(F, x)),
                                        ?assertEqual(3, beamtalk_rt:set(F, x, 3)),
                                        ?assertEqual(#{x => 3}, beamtalk_rt:frame_vars(F)),
                                        Self ! {frame, F},
                                        beamtalk_rt:non_local_return(F, 7)
                                end),
    ?assertEqual(7, V),
    F = receive {frame, Fr} -> Fr end,
    ?assertEqual(#{}, beamtalk_rt:frame_vars(F)).

a_block_elsewhere_reads_its_snapshot_and_cannot_assign_test() ->
    Parent = self(),
    beamtalk_rt:invoke([n], fun(F) ->
                                    beamtalk_rt:set(F, n, 5),
                                    Snap = beamtalk_rt:peek(F, n),
                                    spawn(fun() ->
                                                  Read = beamtalk_rt:get(F, n, Snap),
                                                  Set = (catch beamtalk_rt:set(F, n, 6)),
                                                  Parent ! {got, Read, Set}
                                          end),
                                    receive {got, R, S} ->
                                            ?assertEqual(5, R),
                                            ?assertMatch({'EXIT', _}, S)
                                    end,
                                    ?assertEqual(5, beamtalk_rt:get(F, n, Snap))
                            end).

scoped_cells_answer_their_final_values_test() ->
    ?assertEqual({done, [3, b]},
                 beamtalk_rt:scoped([x, y], [1, a], fun(F) ->
                                                            beamtalk_rt:set(F, x, beamtalk_rt:get(F, x) + 2),
                                                            beamtalk_rt:set(F, y, b),
                                                            done
                                                    end)),
    ?assertEqual([], [K || {{bt_var, _, _} = K, _} <- erlang:get()]).

repl_bindings_are_assigned_only_by_the_repl_test() ->
    ?assertMatch({'EXIT', _}, catch beamtalk_rt:set(repl, zz, 1)),
    ok = beamtalk_rt:own_repl(),
    ?assertEqual(1, beamtalk_rt:set(repl, zz, 1)),
    erlang:erase('$bt_repl_owner'),
    erlang:erase({bt_var, repl, zz}).

patterns_test() ->
    ?assertEqual([1, 2], beamtalk_rt:destructure({list, [{bind, a}, {bind, b}]}, [1, 2])),
    ?assertEqual({2, [x]}, beamtalk_rt:match_arm({ok, x}, [{lit, 3}, {tuple, [{lit, ok}, {bind, v}]}])),
    ?assertMatch({'EXIT', _}, catch beamtalk_rt:destructure({tuple, [ignore]}, {'$bt_array', {1}})).

%% Binary segments read from the left with Erlang's meaning; the whole binary must be used.
binary_patterns_test() ->
    Seg = fun(P, Size, Type) -> {P, Size, Type, false, big} end,
    Rest = Seg({bind, rest}, default, binary),
    ?assertEqual([65, <<"BC">>], beamtalk_rt:destructure({binary, [Seg({bind, a}, default, integer), Rest]}, <<"ABC">>)),
    %% A size bound by an earlier segment; a literal string segment is its bytes.
    LenPrefixed = {binary, [Seg({bind, n}, 8, integer), Seg({bind, d}, {name, n}, binary), Seg({lit, <<"!">>}, 1, binary)]},
    ?assertEqual([2, <<"hi">>], beamtalk_rt:destructure(LenPrefixed, <<2, "hi!">>)),
    ?assertEqual({2, []}, beamtalk_rt:match_arm(<<3, "hi!">>, [LenPrefixed, {binary, [Seg(ignore, default, bitstring)]}])),
    %% Bytes left over, or too few: no match.
    ?assertEqual({2, []}, beamtalk_rt:match_arm(<<1, 2>>, [{binary, [Seg(ignore, 8, integer)]}, ignore])),
    ?assertEqual({2, []}, beamtalk_rt:match_arm(<<1>>, [{binary, [Seg(ignore, 16, integer)]}, ignore])),
    ?assertEqual([-2], beamtalk_rt:destructure({binary, [{{bind, x}, 16, integer, true, little}]}, <<254, 255>>)),
    ?assertEqual([$é, <<>>], beamtalk_rt:destructure({binary, [Seg({bind, c}, default, utf8), Rest]}, <<"é"/utf8>>)),
    ?assertEqual([1.5], beamtalk_rt:destructure({binary, [Seg({bind, f}, 32, float)]}, <<1.5:32/float>>)),
    ?assertEqual({2, []}, beamtalk_rt:match_arm(atom, [{binary, [Rest]}, ignore])),
    ?assertEqual("<<n:8/integer, d:n/binary, _/bitstring>>",
                 lists:flatten(beamtalk_rt:pattern_text({binary, [Seg({bind, n}, 8, integer), Seg({bind, d}, {name, n}, binary), Seg(ignore, default, bitstring)]}))).

%% `respondsTo:', completion and `methods' read the selector lists; dispatch runs the clauses. Every
%% selector a clause answers must be listed for its class, or the two disagree (`3 isString' worked while
%% `3 respondsTo: #isString' was false).
selectors_cover_every_method_clause_test_() ->
    Cases = [{beamtalk_number, op, 'Integer'}, {beamtalk_number, op, 'Float'},
             {beamtalk_string, op, 'String'}, {beamtalk_block, op, 'Block'},
             {beamtalk_collection, op, 'List'}, {beamtalk_collection, op, 'Array'},
             {beamtalk_collection, dict, 'Dictionary'},
             {beamtalk_object, common, 'Object'}, {beamtalk_object, common, 'Integer'},
             {beamtalk_object, boolean, 'Boolean'}, {beamtalk_object, undefined, 'UndefinedObject'},
             {beamtalk_object, error_object, 'Exception'}],
    [{atom_to_list(M) ++ ":" ++ atom_to_list(F) ++ " for " ++ atom_to_list(C),
      fun() ->
              %% Listed as the class's own, so the method table sends them to the class's methods.
              Listed = beamtalk_object:own_selectors(C) ++ beamtalk_object:own_selectors('Object'),
              ?assertEqual([], [S || S <- clause_selectors(M, F), not lists:member(S, Listed)])
      end} || {M, F, C} <- Cases].

%% The literal selectors in the clause heads of `M:F' (the selector is the argument before the last).
clause_selectors(M, F) ->
    {ok, {M, [{abstract_code, {raw_abstract_v1, Forms}}]}} = beam_lib:chunks(code:which(M), [abstract_code]),
    lists:usort([S || {function, _, Name, Arity, Cs} <- Forms, Name =:= F,
                      {clause, _, Params, _, _} <- Cs,
                      {atom, _, S} <- [lists:nth(Arity - 1, Params)]]).

method_table_maps_each_selector_to_its_most_specific_responder_test() ->
    T = beamtalk_class:methods('Integer'),
    ?assertMatch(#{'+' := {builtin, 'Integer'}, printString := {builtin, 'Object'}}, T),
    ?assert(beamtalk_dispatch:responds_to(3, isString)),
    ?assertNot(beamtalk_dispatch:responds_to(3, frobnicate)),
    ?assertEqual(lists:sort(maps:keys(T)), beamtalk_object:selectors('Integer')).

%% An actor keeps its class's method table in its process dictionary; a class loading anywhere (forget/0)
%% makes it fetch the table again.
a_process_copy_of_a_method_table_is_refetched_after_a_load_test() ->
    ok = beamtalk_class:start_generations(),
    Real = beamtalk_class:process_methods('Integer'),
    ?assertEqual(beamtalk_class:methods('Integer'), Real),
    {Gen, 'Integer', _} = erlang:get('$bt_methods'),
    erlang:put('$bt_methods', {Gen, 'Integer', #{stale => true}}),
    ?assertEqual(#{stale => true}, beamtalk_class:process_methods('Integer')),
    ok = beamtalk_class:forget(),
    ?assertEqual(Real, beamtalk_class:process_methods('Integer')),
    %% Another class's table is never taken for this one's.
    ?assertEqual(beamtalk_class:methods('Float'), beamtalk_class:process_methods('Float')),
    erlang:erase('$bt_methods'),
    erlang:erase('$bt_generation').
