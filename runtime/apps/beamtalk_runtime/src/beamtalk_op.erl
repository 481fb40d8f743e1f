%% @doc Number operators as calls, for compiled code that runs once per call of its method.
%%
%% The compiler writes `a + b' where both may be anything as a test of the operands, Erlang's own operator
%% when they are numbers of the kind it cannot fail on, and a message send otherwise. Written out at each
%% operator that is several times the code of the operator itself, and OTP's compiler takes time in
%% proportion: a project of straight-line methods compiled several times slower than the same logic
%% written in Erlang. Where code does not repeat (no loop, no recursion, not inside a block) the compiler
%% calls these functions instead: the same test, the same operator, the same send, once, here.
%% Each function is named after the Erlang operator of its fast path (`div:' and `\\' after `div' and
%% `rem'), and answers exactly what the inline form answers.
-module(beamtalk_op).

-export(['+'/2, '-'/2, '*'/2, '<'/2, '>'/2, '=<'/2, '>='/2, '=='/2, 'div'/2, 'rem'/2]).

-spec '+'(term(), term()) -> term().
'+'(X, Y) when is_integer(X), is_integer(Y) -> X + Y;
'+'(X, Y) -> beamtalk_dispatch:send(X, '+', [Y]).

-spec '-'(term(), term()) -> term().
'-'(X, Y) when is_integer(X), is_integer(Y) -> X - Y;
'-'(X, Y) -> beamtalk_dispatch:send(X, '-', [Y]).

-spec '*'(term(), term()) -> term().
'*'(X, Y) when is_integer(X), is_integer(Y) -> X * Y;
'*'(X, Y) -> beamtalk_dispatch:send(X, '*', [Y]).

-spec '<'(term(), term()) -> term().
'<'(X, Y) when is_number(X), is_number(Y) -> X < Y;
'<'(X, Y) -> beamtalk_dispatch:send(X, '<', [Y]).

-spec '>'(term(), term()) -> term().
'>'(X, Y) when is_number(X), is_number(Y) -> X > Y;
'>'(X, Y) -> beamtalk_dispatch:send(X, '>', [Y]).

-spec '=<'(term(), term()) -> term().
'=<'(X, Y) when is_number(X), is_number(Y) -> X =< Y;
'=<'(X, Y) -> beamtalk_dispatch:send(X, '<=', [Y]).

-spec '>='(term(), term()) -> term().
'>='(X, Y) when is_number(X), is_number(Y) -> X >= Y;
'>='(X, Y) -> beamtalk_dispatch:send(X, '>=', [Y]).

-spec '=='(term(), term()) -> term().
'=='(X, Y) when is_number(X), is_number(Y) -> X == Y;
'=='(X, Y) -> beamtalk_dispatch:send(X, '=', [Y]).

%% Erlang's `div' and `rem' truncate and Beamtalk's `\\' floors: they agree for a non-negative dividend
%% and a positive divisor, which is all the fast path takes (as inline).
-spec 'div'(term(), term()) -> term().
'div'(X, Y) when is_integer(X), is_integer(Y), X >= 0, Y > 0 -> X div Y;
'div'(X, Y) -> beamtalk_dispatch:send(X, 'div:', [Y]).

-spec 'rem'(term(), term()) -> term().
'rem'(X, Y) when is_integer(X), is_integer(Y), X >= 0, Y > 0 -> X rem Y;
'rem'(X, Y) -> beamtalk_dispatch:send(X, '\\\\', [Y]).
