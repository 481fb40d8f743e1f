%% @doc JSON for the standard library's `Json' class, on top of jiffy (Debian's `erlang-jiffy'; OTP 25 has
%% no JSON module of its own). JSON objects become Dictionaries with String keys, arrays Lists, null nil.
-module(beamtalk_json).

-export([parse/1, encode/1, pretty/1]).

%% @doc `Json parse: text': `Result ok: value', or `Result error:' saying where the text is not JSON.
-spec parse(binary()) -> tuple().
parse(Text) when is_binary(Text) ->
    try jiffy:decode(Text, [return_maps, {null_term, nil}]) of
        Value -> beamtalk_rt:result_ok(Value)
    catch
        error:undef -> missing();
        error:{Pos, Why} when is_integer(Pos) ->
            beamtalk_rt:result_error(iolist_to_binary(io_lib:format("not JSON at byte ~b: ~p", [Pos, Why])));
        throw:{error, {Pos, Why}} ->
            beamtalk_rt:result_error(iolist_to_binary(io_lib:format("not JSON at byte ~b: ~p", [Pos, Why])));
        error:Other ->
            beamtalk_rt:result_error(iolist_to_binary(io_lib:format("not JSON: ~p", [Other])))
    end.

%% @doc `Json encode: value': the JSON text of Strings, Symbols (as strings), numbers, Booleans, nil, Lists,
%% Arrays, Dictionaries and value objects (their fields); anything else is a TypeError.
-spec encode(term()) -> binary().
encode(Value) ->
    encode(Value, []).

%% @doc `Json prettyPrint: value': the same, indented over several lines.
-spec pretty(term()) -> binary().
pretty(Value) ->
    encode(Value, [pretty]).

-spec encode(term(), [pretty]) -> binary().
encode(Value, Options) ->
    Json = to_json(Value),
    try iolist_to_binary(jiffy:encode(Json, Options))
    catch error:undef -> missing()
    end.

-spec to_json(term()) -> term().
to_json(nil) -> null;
to_json(B) when is_boolean(B) -> B;
to_json(N) when is_number(N) -> N;
to_json(S) when is_binary(S) -> S;
to_json(A) when is_atom(A) -> atom_to_binary(A, utf8);
to_json(L) when is_list(L) -> [to_json(X) || X <- L];
to_json({'$bt_array', T}) -> [to_json(X) || X <- tuple_to_list(T)];
to_json({'$bt_value', _Class, Fields}) -> to_json(Fields);
to_json(M) when is_map(M) -> maps:from_list([{key(K), to_json(V)} || {K, V} <- maps:to_list(M)]);
to_json(Other) ->
    beamtalk_error:raise('TypeError', type_error, 'Json',
                         ["cannot encode ", beamtalk_print:print_string(Other), " as JSON"]).

-spec key(term()) -> binary().
key(K) when is_binary(K) -> K;
key(K) when is_atom(K) -> atom_to_binary(K, utf8);
key(K) when is_integer(K) -> integer_to_binary(K);
key(K) -> beamtalk_error:raise('TypeError', type_error, 'Json',
                               ["a JSON key must be a String, Symbol or Integer, not ", beamtalk_print:print_string(K)]).

-spec missing() -> no_return().
missing() ->
    beamtalk_error:raise('Error', not_installed, 'Json',
                         "needs jiffy on the node (Debian: apt-get install erlang-jiffy)").
