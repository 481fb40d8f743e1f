%% The hand-written Erlang each row of `cargo bench --bench language` compares Beamtalk with: the same work,
%% written as an Erlang programmer would, compiled and run on the same workspace node.
-module(lang_anchor).
-behaviour(gen_server).

-export([loop/1, fib/1, pipeline/1, strings/1, dict/1, calls/1]).
-export([init/1, handle_call/3, handle_cast/2]).

loop(N) -> loop(1, N, 0).

loop(I, N, S) when I > N -> S;
loop(I, N, S) -> loop(I + 1, N, S + I).

fib(N) when N < 2 -> N;
fib(N) -> fib(N - 1) + fib(N - 2).

pipeline(N) ->
    Doubled = [X * 2 || X <- lists:seq(1, N)],
    lists:foldl(fun(X, A) -> A + X end, 0, [X || X <- Doubled, X rem 3 =:= 0]).

strings(N) ->
    byte_size(lists:foldl(fun(_, S) -> <<S/binary, "x">> end, <<>>, lists:seq(1, N))).

dict(N) ->
    map_size(lists:foldl(fun(I, D) -> maps:put(I, I, D) end, #{}, lists:seq(1, N))).

calls(N) ->
    {ok, P} = gen_server:start(?MODULE, 0, []),
    _ = [gen_server:call(P, bump) || _ <- lists:seq(1, N)],
    gen_server:stop(P),
    N.

init(N) -> {ok, N}.

handle_call(bump, _From, N) -> {reply, N + 1, N + 1}.

handle_cast(_Msg, N) -> {noreply, N}.
