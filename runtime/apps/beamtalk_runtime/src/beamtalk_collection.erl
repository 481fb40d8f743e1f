%% @doc Array (`{'$bt_array', Tuple}'), List (Erlang lists), Dictionary (maps), Tuple and Interval
%% (`{'$bt_interval', From, To, Step}': `1 to: 10', its elements computed when enumerated).
%%
%% All are immutable: `at:put:' answers a new collection.
-module(beamtalk_collection).

-export([respond/4, selectors/1, interval/3, enumerable/1]).

%% @doc The selectors `Class' answers here (what `respondsTo:' sees: a List is no keyed collection).
-spec selectors(atom()) -> [atom()].
selectors('Dictionary') ->
    [size, 'at:', 'at:put:', 'at:ifAbsent:', 'do:', 'collect:', 'select:', 'reject:', 'inject:into:', keys,
     values, 'keysAndValuesDo:', isEmpty, ',', 'removeKey:', 'includesKey:', max, min];
selectors(_) ->
    [size, 'at:', 'at:put:', 'at:ifAbsent:', 'do:', 'collect:', 'select:', 'reject:',
     'inject:into:', first, last, isEmpty, sort, 'sort:',
     reversed, ',', '++', 'add:', asList, asArray, 'doWithIndex:', max, min].

-spec respond(atom(), term(), atom(), [term()]) -> {ok, term()} | nomethod.
respond(_Class, {'$bt_value', _, _} = C, Sel, Args) ->
    user(C, Sel, Args);
respond(_Class, C, Sel, Args) ->
    case op(C, Sel, Args) of
        nomethod -> nomethod;
        V -> {ok, V}
    end.

%% A user's `Collection subclass:' (a value): what the protocol needs of it is `do:', which it defines;
%% the rest is enumeration through that `do:'. `collect:', `select:' and `reject:' answer a collection of
%% its `species' (its class unless it says otherwise) built with `withAll:' when that class has one, else
%% a List.
-spec user(tuple(), atom(), [term()]) -> {ok, term()} | nomethod.
user({'$bt_value', Class, _}, species, []) ->
    {ok, {'$bt_class', Class}};
user(C, Sel, Args) when Sel =:= 'collect:'; Sel =:= 'select:'; Sel =:= 'reject:' ->
    {ok, rebuilt(beamtalk_dispatch:send(C, species, []), op(elements(C), Sel, Args))};
user(C, Sel, Args) ->
    case lists:member(Sel, [size, isEmpty, 'inject:into:', asList, asArray, max, min, 'doWithIndex:',
                            first, last]) of
        true -> {ok, op(elements(C), Sel, Args)};
        false -> nomethod
    end.

-spec rebuilt(term(), [term()]) -> term().
rebuilt(Species, L) ->
    case beamtalk_dispatch:responds_to(Species, 'withAll:') of
        true -> beamtalk_dispatch:send(Species, 'withAll:', [L]);
        false -> L
    end.

%% The elements a user collection's `do:' visits, in order.
-spec elements(tuple()) -> [term()].
elements(C) ->
    Key = make_ref(),
    put(Key, []),
    try
        _ = beamtalk_dispatch:send(C, 'do:', [fun(X) -> put(Key, [X | get(Key)]) end]),
        lists:reverse(get(Key))
    after
        erase(Key)
    end.

%% @doc `From to: To by: Step'.
-spec interval(number(), number(), number()) -> {'$bt_interval', number(), number(), number()}.
interval(From, To, Step) when Step /= 0 ->
    {'$bt_interval', From, To, Step};
interval(_, _, _) ->
    beamtalk_error:raise(bad_argument, 'Interval', "step must not be 0").

%% @doc What inlined enumeration (`(1 to: n) collect: [...]') walks: an Interval's elements as a List,
%% anything else as it is.
-spec enumerable(term()) -> term().
enumerable({'$bt_interval', _, _, _} = I) -> items(I);
enumerable(X) -> X.

-spec items(term()) -> [term()].
items({'$bt_interval', From, To, Step}) when Step > 0, From > To; Step < 0, From < To -> [];
items({'$bt_interval', From, To, Step}) when is_integer(From), is_integer(To), is_integer(Step) ->
    lists:seq(From, To, Step);
items({'$bt_interval', From, To, Step}) ->
    N = trunc((To - From) / Step),
    [From + I * Step || I <- lists:seq(0, N)];
items({'$bt_array', T}) -> tuple_to_list(T);
items(L) when is_list(L) -> L;
items(M) when is_map(M) -> [V || {_, V} <- lists:sort(maps:to_list(M))];
items(T) when is_tuple(T) -> tuple_to_list(T).

%% Rebuilds a collection of the same kind as `Like' from a list.
-spec like(term(), [term()]) -> term().
like({'$bt_interval', _, _, _}, L) -> L;
like({'$bt_array', _}, L) -> {'$bt_array', list_to_tuple(L)};
like(T, L) when is_tuple(T) -> list_to_tuple(L);
like(_, L) -> L.

-spec op(term(), atom(), [term()]) -> term().
op(M, Sel, Args) when is_map(M) -> dict(M, Sel, Args);
op({'$bt_interval', _, _, _} = I, size, []) -> length(items(I));
op({'$bt_interval', F, _, _} = I, first, []) -> case items(I) of [] -> empty(I); _ -> F end;
op(C, size, []) -> length(items(C));
op(C, 'at:', [I]) when is_integer(I) -> at(C, I);
op(C, 'at:ifAbsent:', [I, B]) when is_integer(I) ->
    L = items(C),
    case I >= 1 andalso I =< length(L) of
        true -> lists:nth(I, L);
        false -> B()
    end;
op(C, 'at:put:', [I, V]) when is_integer(I) ->
    L = items(C),
    check_index(C, I, length(L)),
    {Before, [_ | After]} = lists:split(I - 1, L),
    like(C, Before ++ [V | After]);
op(C, 'do:', [F]) -> lists:foreach(F, items(C)), C;
op(C, 'doWithIndex:', [F]) ->
    lists:foldl(fun(X, I) -> F(X, I), I + 1 end, 1, items(C)), C;
op(C, 'collect:', [F]) -> like(C, [F(X) || X <- items(C)]);
op(C, 'select:', [F]) -> like(C, [X || X <- items(C), F(X) =:= true]);
op(C, 'reject:', [F]) -> like(C, [X || X <- items(C), F(X) =/= true]);
op(C, 'inject:into:', [Acc, F]) -> lists:foldl(fun(X, A) -> F(A, X) end, Acc, items(C));
op(C, first, []) -> first(items(C), C);
op(C, last, []) -> first(lists:reverse(items(C)), C);
op(C, isEmpty, []) -> items(C) =:= [];
op(C, sort, []) -> like(C, lists:sort(items(C)));
op(C, 'sort:', [F]) -> like(C, lists:sort(fun(A, B) -> F(A, B) =:= true end, items(C)));
op(C, reversed, []) -> like(C, lists:reverse(items(C)));
op(C, ',', [D]) -> like(C, items(C) ++ items(D));
op(C, '++', [D]) -> like(C, items(C) ++ items(D));
op(C, 'add:', [X]) -> like(C, items(C) ++ [X]);
op(C, max, []) -> lists:max(items(C));
op(C, min, []) -> lists:min(items(C));
op(C, asList, []) -> items(C);
op(C, asArray, []) -> {'$bt_array', list_to_tuple(items(C))};
op(_, _, _) -> nomethod.

-spec dict(map(), atom(), [term()]) -> term().
dict(M, size, []) -> maps:size(M);
dict(M, 'at:', [K]) ->
    case maps:find(K, M) of
        {ok, V} -> V;
        error -> beamtalk_error:raise(key_not_found, 'Dictionary', ["has no key ", beamtalk_print:print_string(K)])
    end;
dict(M, 'at:ifAbsent:', [K, B]) ->
    case maps:find(K, M) of
        {ok, V} -> V;
        error -> B()
    end;
dict(M, 'at:put:', [K, V]) -> M#{K => V};
dict(M, 'removeKey:', [K]) -> maps:remove(K, M);
dict(M, 'includesKey:', [K]) -> maps:is_key(K, M);
dict(M, keys, []) -> lists:sort(maps:keys(M));
dict(M, values, []) -> items(M);
dict(M, 'keysAndValuesDo:', [F]) -> [F(K, V) || {K, V} <- lists:sort(maps:to_list(M))], M;
dict(M, 'do:', [F]) -> lists:foreach(F, items(M)), M;
dict(M, 'collect:', [F]) -> maps:map(fun(_, V) -> F(V) end, M);
dict(M, 'select:', [F]) -> maps:filter(fun(_, V) -> F(V) =:= true end, M);
dict(M, 'reject:', [F]) -> maps:filter(fun(_, V) -> F(V) =/= true end, M);
dict(M, isEmpty, []) -> maps:size(M) =:= 0;
dict(M, ',', [N]) when is_map(N) -> maps:merge(M, N);
dict(M, Sel, Args) when Sel =:= 'inject:into:'; Sel =:= max; Sel =:= min ->
    op(items(M), Sel, Args);
dict(_, _, _) -> nomethod.

-spec at(term(), integer()) -> term().
at(C, I) ->
    L = items(C),
    check_index(C, I, length(L)),
    lists:nth(I, L).

-spec check_index(term(), integer(), non_neg_integer()) -> ok.
check_index(_, I, N) when I >= 1, I =< N -> ok;
check_index(C, I, N) ->
    beamtalk_error:raise(index_out_of_bounds, beamtalk_print:class_name(C),
                         io_lib:format("index ~b is out of bounds 1..~b", [I, N])).

-spec first([term()], term()) -> term().
first([X | _], _) -> X;
first([], C) -> empty(C).

-spec empty(term()) -> no_return().
empty(C) ->
    beamtalk_error:raise(empty_collection, beamtalk_print:class_name(C), "is empty").

