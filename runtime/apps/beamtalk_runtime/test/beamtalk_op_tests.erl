-module(beamtalk_op_tests).
-include_lib("eunit/include/eunit.hrl").

%% Each operator function with the selector whose send it stands for.
operators() ->
    [{'+', '+'}, {'-', '-'}, {'*', '*'}, {'<', '<'}, {'>', '>'}, {'=<', '<='}, {'>=', '>='},
     {'==', '='}, {'div', 'div:'}, {'rem', '\\\\'}].

outcome(F) ->
    try {value, F()}
    catch error:{'$bt_error', Class, Kind, _, _} -> {error, Class, Kind}
    end.

%% Integers (the fast path, and the signs where Erlang's `div'/`rem' and Beamtalk's differ), floats,
%% big integers, and operands that are no numbers at all: the function answers what the send answers.
each_operator_answers_what_its_send_answers_test_() ->
    Operands = [{7, 2}, {-7, 2}, {7, -2}, {0, 5}, {1 bsl 70, 3}, {2.5, 2}, {2, 2.5}, {3, 3.0},
                {<<"a">>, 1}, {1, <<"a">>}, {nil, 1}, {4, 0}],
    [{lists:flatten(io_lib:format("~p ~p", [F, {X, Y}])),
      ?_assertEqual(outcome(fun() -> beamtalk_dispatch:send(X, Selector, [Y]) end),
                    outcome(fun() -> beamtalk_op:F(X, Y) end))}
     || {F, Selector} <- operators(), {X, Y} <- Operands].

every_operator_the_compiler_may_call_is_here_test() ->
    Exported = beamtalk_op:module_info(exports),
    [?assert(lists:member({F, 2}, Exported)) || {F, _} <- operators()].
