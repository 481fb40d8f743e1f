%% @doc String: UTF-8 binaries.
-module(beamtalk_string).

-export([respond/3, selectors/0, graphemes/1]).

%% @doc Each grapheme cluster of `S' as a String of its own.
-spec graphemes(binary()) -> [binary()].
graphemes(S) ->
    [unicode:characters_to_binary([G]) || G <- string:to_graphemes(S)].

-spec selectors() -> [atom()].
selectors() ->
    [size, ',', '++', reversed, asUppercase, asLowercase, 'includesSubstring:', 'split:', 'at:', asSymbol,
     asInteger, asNumber, trim, lines, isEmpty, notEmpty, '=', '==', '=:=', '/=', '=/=', '<', '>', '<=', '>=',
     'startsWith:', 'endsWith:', 'replaceAll:with:', 'do:', 'collect:', 'select:', first, last, asString,
     displayString, 'indexOf:', 'copyFrom:to:', asList, words, 'occurrencesOf:', uppercase, lowercase,
     asFloat].

-spec respond(binary(), atom(), [term()]) -> {ok, term()} | nomethod.
respond(S, Sel, Args) ->
    case op(S, Sel, Args) of
        nomethod -> nomethod;
        V -> {ok, V}
    end.

-spec op(binary(), atom(), [term()]) -> term().
op(S, size, []) -> string:length(S);
op(S, ',', [T]) -> <<S/binary, (beamtalk_print:display_string(T))/binary>>;
op(S, '++', [T]) -> <<S/binary, (beamtalk_print:display_string(T))/binary>>;
op(S, reversed, []) -> unicode:characters_to_binary(string:reverse(S));
op(S, asUppercase, []) -> string:uppercase(S);
op(S, uppercase, []) -> string:uppercase(S);
op(S, lowercase, []) -> string:lowercase(S);
op(S, asLowercase, []) -> string:lowercase(S);
op(S, 'includesSubstring:', [T]) when is_binary(T) -> string:find(S, T) =/= nomatch;
op(S, 'startsWith:', [T]) when is_binary(T) -> string:prefix(S, T) =/= nomatch;
op(S, 'endsWith:', [T]) when is_binary(T) ->
    N = byte_size(T), byte_size(S) >= N andalso binary:part(S, byte_size(S) - N, N) =:= T;
op(S, 'split:', [Sep]) when is_binary(Sep), Sep =/= <<>> -> binary:split(S, Sep, [global]);
op(S, words, []) -> string:lexemes(S, " \t\n");
op(S, lines, []) ->
    %% A line end ends a line; it does not start an empty one after it.
    case binary:split(S, [<<"\r\n">>, <<"\n">>], [global]) of
        [<<>>] -> [];
        Parts -> case lists:last(Parts) of
                     <<>> -> lists:droplast(Parts);
                     _ -> Parts
                 end
    end;
op(S, 'at:', [I]) when is_integer(I) ->
    case I >= 1 andalso I =< string:length(S) of
        true -> hd(string:to_graphemes(string:slice(S, I - 1, 1)));
        false -> beamtalk_error:raise(index_out_of_bounds, 'String', io_lib:format("index ~b is out of bounds 1..~b", [I, string:length(S)]))
    end;
op(S, 'copyFrom:to:', [From, To]) when is_integer(From), is_integer(To) -> string:slice(S, From - 1, max(0, To - From + 1));
op(S, 'indexOf:', [T]) when is_integer(T); is_binary(T) ->
    %% A character (a code point) or a string: the position, counted in characters, of its first
    %% occurrence; 0 when there is none.
    Needle = case T of
                 C when is_integer(C) -> [C];
                 B -> B
             end,
    case string:find(S, Needle) of
        nomatch -> 0;
        Rest -> string:length(S) - string:length(Rest) + 1
    end;
op(S, 'occurrencesOf:', [C]) when is_integer(C) -> length([X || X <- unicode:characters_to_list(S), X =:= C]);
op(S, asSymbol, []) -> binary_to_atom(S, utf8);
op(S, asInteger, []) ->
    case to_number(S, fun binary_to_integer/1) of
        nil -> not_a_number(S, asInteger);
        I -> I
    end;
op(S, asFloat, []) ->
    case {to_number(S, fun binary_to_float/1), to_number(S, fun binary_to_integer/1)} of
        {nil, nil} -> not_a_number(S, asFloat);
        {nil, I} -> float(I);
        {F, _} -> F
    end;
op(S, asNumber, []) ->
    case {to_number(S, fun binary_to_integer/1), to_number(S, fun binary_to_float/1)} of
        {nil, nil} -> not_a_number(S, asNumber);
        {nil, F} -> F;
        {I, _} -> I
    end;
op(S, trim, []) -> string:trim(S);
op(S, isEmpty, []) -> S =:= <<>>;
op(S, notEmpty, []) -> S =/= <<>>;
op(S, first, []) -> hd(unicode:characters_to_list(S));
op(S, last, []) -> lists:last(unicode:characters_to_list(S));
op(S, asString, []) -> S;
op(S, asList, []) -> unicode:characters_to_list(S);
op(S, 'replaceAll:with:', [A, B]) when is_binary(A), is_binary(B), A =/= <<>> -> binary:replace(S, A, B, [global]);
op(S, 'do:', [F]) when is_function(F, 1) -> lists:foreach(F, unicode:characters_to_list(S)), S;
op(S, 'collect:', [F]) when is_function(F, 1) -> [F(C) || C <- unicode:characters_to_list(S)];
op(S, 'select:', [F]) when is_function(F, 1) -> unicode:characters_to_binary([C || C <- unicode:characters_to_list(S), F(C) =:= true]);
op(S, '<', [T]) when is_binary(T) -> S < T;
op(S, '>', [T]) when is_binary(T) -> S > T;
op(S, '<=', [T]) when is_binary(T) -> S =< T;
op(S, '>=', [T]) when is_binary(T) -> S >= T;
op(_, _, _) -> nomethod.

%% A String that is no number raises (chapter 12 parses with `[str asInteger] on: Error do: ...').
-spec not_a_number(binary(), atom()) -> no_return().
not_a_number(S, Selector) ->
    beamtalk_error:raise('ArgumentError', bad_argument, 'String',
                         [beamtalk_print:print_string(S), " ", atom_to_list(Selector), ": not a number"],
                         #{receiver => S, selector => Selector,
                           hint => <<"check first, or catch it: `[s asInteger] on: Error do: [:e | 0]`">>}).

-spec to_number(binary(), fun((binary()) -> number())) -> number() | nil.
to_number(S, F) ->
    try F(string:trim(S)) catch error:badarg -> nil end.
