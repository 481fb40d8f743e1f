%% @doc Integer and Float.
-module(beamtalk_number).

%% The selectors whose one argument must be a number.
-define(NUMERIC_ARG(S), (S =:= '+' orelse S =:= '-' orelse S =:= '*' orelse S =:= '/' orelse S =:= '//'
                         orelse S =:= '\\\\' orelse S =:= '%' orelse S =:= '**' orelse S =:= 'raisedTo:'
                         orelse S =:= '<' orelse S =:= '>' orelse S =:= '<=' orelse S =:= '>='
                         orelse S =:= 'div:' orelse S =:= 'rem:' orelse S =:= 'mod:')).

-export([respond/4, selectors/0]).

-spec selectors() -> [atom()].
selectors() ->
    ['+', '-', '*', '/', '//', '\\\\', '%', '**', '<', '>', '<=', '>=', '=:=', '==', '/=', '=/=', '=',
     'div:', 'rem:', 'mod:', sqrt, factorial,
     'printString:', asFloat, asInteger, rounded, truncated, floor, ceiling, 'timesRepeat:',
     'to:do:', 'to:by:do:', 'to:', 'to:by:', asCharacter, isNumber, isInteger, isFloat, 'raisedTo:'].

-spec respond(atom(), number(), atom(), [term()]) -> {ok, term()} | nomethod.
respond(_Class, X, Sel, [Y]) when not is_number(Y), ?NUMERIC_ARG(Sel) ->
    beamtalk_error:raise('TypeError', type_error, beamtalk_print:class_name(X),
                         io_lib:format("~s expects a number, not ~s", [Sel, article(Y)]),
                         #{receiver => X, selector => Sel});
respond(_Class, X, Sel, Args) ->
    try op(X, Sel, Args) of
        nomethod -> nomethod;
        V -> {ok, V}
    catch
        error:badarith -> arith_error(X, Sel, Args);
        error:function_clause -> bad_argument(X, Sel, Args)
    end.

-spec op(number(), atom(), [term()]) -> term().
op(X, '+', [Y]) when is_number(Y) -> X + Y;
op(X, '-', [Y]) when is_number(Y) -> X - Y;
op(X, '*', [Y]) when is_number(Y) -> X * Y;
op(X, '/', [Y]) when is_number(Y) -> X / Y;
op(X, '//', [Y]) when is_integer(X), is_integer(Y) -> floor_div(X, Y);
op(X, '\\\\', [Y]) when is_integer(X), is_integer(Y) -> X - floor_div(X, Y) * Y;
op(X, 'mod:', [Y]) when is_integer(X), is_integer(Y) -> X - floor_div(X, Y) * Y;
op(X, '%', [Y]) when is_integer(X), is_integer(Y) -> X rem Y;
op(X, 'div:', [Y]) when is_integer(X), is_integer(Y) -> X div Y;
op(X, 'rem:', [Y]) when is_integer(X), is_integer(Y) -> X rem Y;
op(X, '**', [Y]) when is_number(Y) -> power(X, Y);
op(X, 'raisedTo:', [Y]) when is_number(Y) -> power(X, Y);
op(X, '<', [Y]) when is_number(Y) -> X < Y;
op(X, '>', [Y]) when is_number(Y) -> X > Y;
op(X, '<=', [Y]) when is_number(Y) -> X =< Y;
op(X, '>=', [Y]) when is_number(Y) -> X >= Y;
op(X, '==', [Y]) -> X == Y;
op(X, '=', [Y]) -> X == Y;
op(X, '/=', [Y]) -> X /= Y;
op(X, '=:=', [Y]) -> X =:= Y;
op(X, '=/=', [Y]) -> X =/= Y;
op(X, sqrt, []) -> math:sqrt(X);
op(X, factorial, []) when is_integer(X), X >= 0 -> factorial(X, 1);
op(X, factorial, []) when is_integer(X) ->
    beamtalk_error:raise(bad_argument, 'Integer', "factorial is not defined for negative numbers");
op(X, 'printString:', [Base]) when is_integer(X), is_integer(Base), Base >= 2, Base =< 36 ->
    list_to_binary(string:lowercase(integer_to_list(X, Base)));
op(X, asFloat, []) -> float(X);
op(X, asInteger, []) -> trunc(X);
op(X, rounded, []) -> round(X);
op(X, truncated, []) -> trunc(X);
op(X, floor, []) -> floor(X);
op(X, ceiling, []) -> ceil(X);
op(X, asCharacter, []) when is_integer(X) -> X;
op(X, 'timesRepeat:', [B]) when is_integer(X), is_function(B, 0) -> repeat(X, B), nil;
op(X, 'to:do:', [Y, B]) when is_function(B, 1) -> loop(X, Y, 1, B), X;
op(X, 'to:by:do:', [Y, Step, B]) when is_function(B, 1), Step =/= 0 -> loop(X, Y, Step, B), X;
op(X, 'to:', [Y]) when is_number(Y) -> beamtalk_collection:interval(X, Y, 1);
op(X, 'to:by:', [Y, Step]) when is_number(Y), is_number(Step) -> beamtalk_collection:interval(X, Y, Step);
op(_, isNumber, []) -> true;
op(X, isInteger, []) -> is_integer(X);
op(X, isFloat, []) -> is_float(X);
op(_, _, _) -> nomethod.

-spec floor_div(integer(), integer()) -> integer().
floor_div(X, Y) ->
    Q = X div Y,
    case (X rem Y =/= 0) andalso ((X < 0) =/= (Y < 0)) of
        true -> Q - 1;
        false -> Q
    end.

-spec power(number(), number()) -> number().
power(X, Y) when is_integer(X), is_integer(Y), Y >= 0 -> ipow(X, Y, 1);
power(X, Y) -> math:pow(X, Y).

-spec ipow(integer(), non_neg_integer(), integer()) -> integer().
ipow(_, 0, Acc) -> Acc;
ipow(X, N, Acc) when N rem 2 =:= 1 -> ipow(X * X, N div 2, Acc * X);
ipow(X, N, Acc) -> ipow(X * X, N div 2, Acc).

-spec factorial(non_neg_integer(), pos_integer()) -> pos_integer().
factorial(0, Acc) -> Acc;
factorial(N, Acc) -> factorial(N - 1, Acc * N).

-spec repeat(integer(), fun(() -> term())) -> ok.
repeat(N, _) when N =< 0 -> ok;
repeat(N, B) -> B(), repeat(N - 1, B).

-spec loop(number(), number(), number(), fun((number()) -> term())) -> ok.
loop(I, Stop, Step, _) when Step > 0, I > Stop -> ok;
loop(I, Stop, Step, _) when Step < 0, I < Stop -> ok;
loop(I, Stop, Step, B) -> B(I), loop(I + Step, Stop, Step, B).

-spec arith_error(number(), atom(), [term()]) -> no_return().
arith_error(X, Sel, [Y]) when Y == 0, Sel =:= '/' orelse Sel =:= '//' orelse Sel =:= '\\\\'
                                  orelse Sel =:= 'div:' orelse Sel =:= 'rem:' orelse Sel =:= '%'
                                  orelse Sel =:= 'mod:' ->
    beamtalk_error:raise('ZeroDivide', badarith, undefined,
                         io_lib:format("~s ~s 0: division by zero", [beamtalk_print:print_string(X), Sel]));
arith_error(X, Sel, Args) ->
    beamtalk_error:raise('Error', badarith, undefined,
                         io_lib:format("~s ~s ~s: bad arithmetic", [beamtalk_print:print_string(X), Sel,
                                                                     lists:join(" ", [beamtalk_print:print_string(A) || A <- Args])])).

%% `a String', `an Integer': the class of a value, as a noun.
-spec article(term()) -> iodata().
article(V) ->
    Text = binary_to_list(beamtalk_print:class_name(V)),
    case Text of
        [C | _] when C =:= $A; C =:= $E; C =:= $I; C =:= $O; C =:= $U -> ["an ", Text];
        _ -> ["a ", Text]
    end.

-spec bad_argument(number(), atom(), [term()]) -> no_return().
bad_argument(X, Sel, Args) ->
    beamtalk_error:raise(bad_argument, beamtalk_print:class_name(X),
                         io_lib:format("~s cannot take ~s", [Sel, lists:join(", ", [beamtalk_print:print_string(A) || A <- Args])])).
