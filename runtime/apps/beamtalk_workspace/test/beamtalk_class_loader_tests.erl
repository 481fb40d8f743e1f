-module(beamtalk_class_loader_tests).
-include_lib("eunit/include/eunit.hrl").

%% A module of `N' functions, each carrying a string literal, as abstract forms.
forms(Module, N) ->
    Functions = [{function, 1, list_to_atom("f" ++ integer_to_list(I)), 0,
                  [{clause, 1, [], [], [{string, 1, lists:duplicate(400, $x) ++ integer_to_list(I)}]}]}
                 || I <- lists:seq(1, N)],
    Exports = [{Name, 0} || {function, _, Name, 0, _} <- Functions],
    [{attribute, 1, module, Module}, {attribute, 1, export, Exports} | Functions] ++ [{eof, 1}].

%% Encoded forms over the size where compiling moves to a process with a heap sized for them, and under
%% it, compile alike; a compile error comes back from that process as from any other.
a_big_class_compiles_in_a_process_of_its_own_as_a_small_one_does_test() ->
    Big = term_to_binary(forms(bt_loader_big_probe, 3000)),
    ?assert(byte_size(Big) > 1000000),
    ?assertMatch({ok, bt_loader_big_probe, <<_/binary>>, [_ | _]},
                 beamtalk_class_loader:compile(Big, <<"big.bt">>)),
    Small = term_to_binary(forms(bt_loader_small_probe, 3)),
    ?assertMatch({ok, bt_loader_small_probe, <<_/binary>>, [_ | _]},
                 beamtalk_class_loader:compile(Small, <<"small.bt">>)),
    Unbound = {function, 1, g, 0, [{clause, 1, [], [], [{var, 1, 'Unbound'}]}]},
    Broken = term_to_binary((forms(bt_loader_big_probe, 3000) -- [{eof, 1}]) ++ [Unbound, {eof, 1}]),
    ?assertMatch({error, compile, [_ | _]}, beamtalk_class_loader:compile(Broken, <<"big.bt">>)).
