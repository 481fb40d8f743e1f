%% @doc Helpers that generated code calls: cells, patterns, message sends, slots, literals, returns.
%%
%% A method's locals are Erlang variables (the compiler threads them through inlined control flow). Two
%% kinds of variable cannot be: REPL bindings, which outlive the line, and a local that a block assigns
%% when that block is not inlined (`b := [n := n + 1]'). Those live in *cells*: process-dictionary entries
%% `{bt_var, Frame, Name}', where `Frame' is `repl' for REPL bindings and a fresh reference per method
%% invocation (`invoke/2' opens them and erases them on the way out, so nothing grows per call).
%%
%% A block carries, for every cell it reads, the value the cell had when the block was made (its
%% snapshot). Run in the process that owns the cell while the cell is open, the block sees and assigns
%% the live cell; run anywhere else (another process, or after its method returned) it reads its
%% snapshot, and assigning is an error that says so, never a write that silently goes nowhere.
-module(beamtalk_rt).
-include("beamtalk_abi.hrl").

-export([get/2, get/3, peek/2, set/3, invoke/2, scoped/3, own_repl/0,
         destructure/2, match_arm/2, frame_vars/1, load_frame/2, cast/3, super_send/4, field/2, set_field/3,
         array/1, interpolate/1, non_local_return/2, catch_return/2, deferred/2, deferred_at/3, deferred_at/4, deferred_at/5,
         deferred_at/6, deferred_at/7, deferred_at/8, deferred_many/3]).

-type frame() :: repl | reference().
-export([result_ok/1, result_error/1, result_of/1, transcript/0]).
-export_type([frame/0]).

-ifdef(TEST).
-export([pattern_text/1]).
-endif.

%% What `peek/2' answers for a cell this process does not hold.
-define(ABSENT, '$bt_absent').

%% @doc Reads cell `Name' of `Frame'. A REPL name with no binding is an error (`ERROR: undefined variable:
%% foo'), never a silent nil.
-spec get(frame(), atom()) -> term().
get(Frame, Name) ->
    case erlang:get({bt_var, Frame, Name}) of
        {value, V} -> V;
        undefined -> unbound(Frame, Name)
    end.

%% @doc Reads cell `Name' of `Frame' from inside a block: the live cell where this process holds it,
%% otherwise the block's `Snapshot' of it.
-spec get(frame(), atom(), term()) -> term().
get(Frame, Name, Snapshot) ->
    case erlang:get({bt_var, Frame, Name}) of
        {value, V} -> V;
        undefined when Snapshot =:= ?ABSENT -> unbound(Frame, Name);
        undefined -> Snapshot
    end.

-spec unbound(frame(), atom()) -> term().
unbound(repl, Name) ->
    Bound = [N || {{bt_var, repl, N}, _} <- erlang:get()],
    Hint = beamtalk_spelling:suggest(Name, Bound, fun(N) -> atom_to_binary(N, utf8) end),
    beamtalk_error:raise('Error', 'undefined variable', undefined, atom_to_binary(Name, utf8), #{hint => Hint});
unbound(_Frame, _Name) ->
    nil.

%% @doc The value of cell `Name' of `Frame' as a block's snapshot of it.
-spec peek(frame(), atom()) -> term().
peek(Frame, Name) ->
    case erlang:get({bt_var, Frame, Name}) of
        {value, V} -> V;
        undefined -> ?ABSENT
    end.

%% @doc Assigns cell `Name' of `Frame'; the value of an assignment is the value assigned. Only the
%% process that owns the cell, while it is open, may assign it.
-spec set(frame(), atom(), term()) -> term().
set(repl, Name, Value) ->
    case erlang:get('$bt_repl_owner') of
        true -> erlang:put({bt_var, repl, Name}, {value, Value}), Value;
        _ -> foreign_assignment(Name, "a REPL binding can only be assigned by the REPL")
    end;
set(Frame, Name, Value) ->
    Key = {bt_var, Frame, Name},
    case erlang:get(Key) of
        {value, _} -> erlang:put(Key, {value, Value}), Value;
        undefined -> foreign_assignment(Name, "its method has returned, or the block runs in another process")
    end.

-spec foreign_assignment(atom(), string()) -> no_return().
foreign_assignment(Name, Why) ->
    beamtalk_error:raise('Error', 'invalid assignment', undefined,
                         ["a block cannot assign ", atom_to_binary(Name, utf8), " here: ", Why]).

%% @doc Marks this process as the REPL's evaluator: the one process that may assign REPL bindings.
-spec own_repl() -> ok.
own_repl() ->
    _ = erlang:put('$bt_repl_owner', true),
    ok.

%% @doc Runs one method invocation whose body needs a frame: `Cells' opened (nil) for it and erased when
%% it ends however it ends, and a `^' inside a block ending it with that value.
-spec invoke([atom()], fun((reference()) -> term())) -> term().
invoke(Cells, Body) ->
    Frame = make_ref(),
    _ = [erlang:put({bt_var, Frame, N}, {value, nil}) || N <- Cells],
    try
        Body(Frame)
    catch
        throw:{'$bt_nlr', F, Value} when F =:= Frame -> Value
    after
        _ = [erlang:erase({bt_var, Frame, N}) || N <- Cells]
    end.

%% @doc Runs `Body' (a send whose block arguments assign the caller's locals) with those locals in cells
%% opened at `Values'; answers `{Result, ValuesAfter}'. The cells are erased however `Body' ends.
-spec scoped([atom()], [term()], fun((reference()) -> term())) -> {term(), [term()]}.
scoped(Names, Values, Body) ->
    Frame = make_ref(),
    _ = [erlang:put({bt_var, Frame, N}, {value, V}) || {N, V} <- lists:zip(Names, Values)],
    try
        Result = Body(Frame),
        {Result, [element(2, erlang:get({bt_var, Frame, N})) || N <- Names]}
    after
        _ = [erlang:erase({bt_var, Frame, N}) || N <- Names]
    end.

%% @doc Evaluates an expression the compiler kept as data rather than code (`term_to_binary' of the names
%% of the variables it uses from around it and its abstract form), with those variables' values, in the
%% same order: the send a conditional makes to a receiver that is no Boolean, which is too rare to be
%% worth compiling into every method. (Values alone, not name-value pairs: pairs cost the compiler as
%% much again at every conditional.)
-spec deferred(binary(), [term()]) -> term().
deferred(Kept, Values) ->
    evaluate(binary_to_term(Kept), Values).

%% @doc The same for an entry of `Module''s table of deferred code (`'__deferred__'() -> {Tag, Entries}'):
%% `Key' is the entry's index in its low 16 bits, the tag of the table it was compiled with above them.
%% Values as arguments of their own, one to six of them (`deferred_many/3' takes them in a tuple).
-spec deferred_at(module(), non_neg_integer(), term()) -> term().
deferred_at(Module, Key, A) -> kept(Module, Key, [A]).
-spec deferred_at(module(), non_neg_integer(), term(), term()) -> term().
deferred_at(Module, Key, A, B) -> kept(Module, Key, [A, B]).
-spec deferred_at(module(), non_neg_integer(), term(), term(), term()) -> term().
deferred_at(Module, Key, A, B, C) -> kept(Module, Key, [A, B, C]).
-spec deferred_at(module(), non_neg_integer(), term(), term(), term(), term()) -> term().
deferred_at(Module, Key, A, B, C, D) -> kept(Module, Key, [A, B, C, D]).
-spec deferred_at(module(), non_neg_integer(), term(), term(), term(), term(), term()) -> term().
deferred_at(Module, Key, A, B, C, D, E) -> kept(Module, Key, [A, B, C, D, E]).
-spec deferred_at(module(), non_neg_integer(), term(), term(), term(), term(), term(), term()) -> term().
deferred_at(Module, Key, A, B, C, D, E, F) -> kept(Module, Key, [A, B, C, D, E, F]).

%% @doc `deferred_at' with the values in a tuple.
-spec deferred_many(module(), non_neg_integer(), tuple()) -> term().
deferred_many(Module, Key, Values) -> kept(Module, Key, tuple_to_list(Values)).

%% The entry is read from the module's current code: a method still running the code a reload replaced
%% has a table the module no longer has, which its tag tells (it fails rather than run another entry).
-spec kept(module(), non_neg_integer(), [term()]) -> term().
kept(Module, Key, Values) ->
    {Tag, Entries} = Module:?BT_DEFERRED_TABLE(),
    case Key bsr 16 of
        Tag -> evaluate(element(Key band 16#ffff, Entries), Values);
        _ -> beamtalk_error:raise('RuntimeError', code_replaced, beamtalk_class:of_module(Module),
                                  "this method's code was replaced while it ran; hint: run it again")
    end.

-spec evaluate({[atom()], erl_parse:abstract_expr()}, [term()]) -> term().
evaluate({Names, Expr}, Values) ->
    Env = lists:foldl(fun({Name, Value}, B) -> erl_eval:add_binding(Name, Value, B) end,
                      erl_eval:new_bindings(), lists:zip(Names, Values)),
    {value, Value, _} = erl_eval:expr(Expr, Env),
    Value.

%% A destructuring pattern, as the compiler writes it.
-type pattern() :: {bind, atom()} | ignore | {lit, term()} | {tuple | list | array, [pattern()]}
                 | {map, [{term(), pattern()}]} | {result, ok | error, pattern()} | {typed, atom(), atom()}
                 | {binary, [segment()]}.
%% One segment of a binary pattern: what stands there, its size in the type's units (`default': the
%% type's own), type, signedness and byte order.
-type segment() :: {pattern(), default | non_neg_integer() | {name, atom()},
                    integer | float | binary | bitstring | utf8 | utf16 | utf32, boolean(),
                    big | little | native}.
%% A `match:' arm: its pattern, or its pattern and the guard (`when: [...]'), a fun of the pattern's names.
-type arm() :: pattern() | {guarded, pattern(), function()}.

%% @doc `#(a, b) := value' and the like: the values for the names of `Pattern', in order (all or none), or
%% a `bad_match' error naming both sides.
-spec destructure(pattern(), term()) -> [term()].
destructure(Pattern, Value) ->
    case bind(Pattern, Value, []) of
        {ok, Bindings} ->
            [V || {_, V} <- lists:reverse(Bindings)];
        nomatch ->
            %% A RuntimeError, as chapter 14 has it, saying what Erlang would have (`badmatch', `badkey').
            beamtalk_error:raise('RuntimeError', bad_match, undefined,
                                 [pattern_text(Pattern), " does not match ", beamtalk_print:print_string(Value),
                                  " (", erlang_reason(Pattern, Value), ")"])
    end.

-spec erlang_reason(pattern(), term()) -> iodata().
erlang_reason({map, Pairs}, M) when is_map(M) ->
    case [K || {K, _} <- Pairs, not is_map_key(K, M)] of
        [Missing | _] -> ["badkey ", beamtalk_print:print_string(Missing)];
        [] -> "badmatch"
    end;
erlang_reason(_, _) -> "badmatch".

%% @doc `value match: [pattern -> expr; ...]': the position (from 1) of the first arm whose pattern
%% matches, with the values of its names; no arm matching is a `bad_match'.
-spec match_arm(term(), [arm()]) -> {pos_integer(), [term()]}.
match_arm(Value, Patterns) ->
    match_arm(Value, Patterns, 1).

match_arm(Value, [], _) ->
    beamtalk_error:raise('Error', bad_match, undefined,
                         ["no arm of match: matches ", beamtalk_print:print_string(Value)]);
match_arm(Value, [{guarded, Pattern, Guard} | Rest], N) ->
    case bind(Pattern, Value, []) of
        {ok, Bindings} ->
            Values = [V || {_, V} <- lists:reverse(Bindings)],
            case apply(Guard, Values) of
                true -> {N, Values};
                _ -> match_arm(Value, Rest, N + 1)
            end;
        nomatch -> match_arm(Value, Rest, N + 1)
    end;
match_arm(Value, [Pattern | Rest], N) ->
    case bind(Pattern, Value, []) of
        {ok, Bindings} -> {N, [V || {_, V} <- lists:reverse(Bindings)]};
        nomatch -> match_arm(Value, Rest, N + 1)
    end.

-spec bind(pattern(), term(), [{atom(), term()}]) -> {ok, [{atom(), term()}]} | nomatch.
%% A name bound already (`#[x, x]') matches only an equal value.
bind({bind, Name}, Value, Acc) ->
    case lists:keyfind(Name, 1, Acc) of
        false -> {ok, [{Name, Value} | Acc]};
        {_, Bound} when Bound =:= Value -> {ok, Acc};
        _ -> nomatch
    end;
bind({typed, Name, Class}, Value, Acc) ->
    case beamtalk_dispatch:class_of(Value) of
        {meta, _} -> nomatch;
        Of -> case beamtalk_class:inherits_from(Of, Class) of
                  true when Name =:= '_' -> {ok, Acc};
                  true -> bind({bind, Name}, Value, Acc);
                  false -> nomatch
              end
    end;
bind({result, Kind, P}, {'$bt_value', 'Result', #{isOk := IsOk} = R}, Acc) ->
    case {Kind, IsOk} of
        {ok, true} -> bind(P, maps:get(value, R), Acc);
        {error, false} -> bind(P, maps:get(error, R), Acc);
        _ -> nomatch
    end;
bind({map, Pairs}, M, Acc) when is_map(M) ->
    bind_pairs(Pairs, M, Acc);
bind(ignore, _Value, Acc) -> {ok, Acc};
bind({lit, Lit}, Value, Acc) when Lit == Value -> {ok, Acc};
%% `{ok, v}' and `{error, r}' also match a Result (Erlang's tuples become Results at the boundary, and
%% code written against the tuples keeps working).
bind({tuple, [_, _] = Ps}, {'$bt_value', 'Result', #{isOk := IsOk} = R}, Acc) ->
    bind_all(Ps, case IsOk of
                     true -> [ok, maps:get(value, R)];
                     false -> [error, maps:get(error, R)]
                 end, Acc);
bind({tuple, Ps}, T, Acc) when is_tuple(T), tuple_size(T) =:= length(Ps) ->
    case is_object(T) of
        true -> nomatch;
        false -> bind_all(Ps, tuple_to_list(T), Acc)
    end;
bind({list, Ps}, L, Acc) when is_list(L) ->
    case length(L) =:= length(Ps) of
        true -> bind_all(Ps, L, Acc);
        false -> nomatch
    end;
%% An array pattern names the first elements: those after them are ignored (chapter 14).
bind({array, Ps}, {'$bt_array', T}, Acc) when tuple_size(T) >= length(Ps) ->
    bind_all(Ps, lists:sublist(tuple_to_list(T), length(Ps)), Acc);
%% ... of a List too (`#[runner, name] := self start', a method answering `#(actor, name)').
bind({array, Ps}, L, Acc) when is_list(L) ->
    case length(L) >= length(Ps) of
        true -> bind_all(Ps, lists:sublist(L, length(Ps)), Acc);
        false -> nomatch
    end;
bind({binary, Segments}, Bin, Acc) when is_bitstring(Bin) ->
    bind_segments(Segments, Bin, Acc);
bind(_Pattern, _Value, _Acc) -> nomatch.

%% Segments are read from the left; the pattern matches only if they use the whole binary.
-spec bind_segments([segment()], bitstring(), [{atom(), term()}]) -> {ok, [{atom(), term()}]} | nomatch.
bind_segments([], <<>>, Acc) -> {ok, Acc};
bind_segments([], _Left, _Acc) -> nomatch;
bind_segments([{P, Size, Type, Signed, Endian} | Rest], Bin, Acc) ->
    case segment_bits(Size, Type, Acc) of
        nomatch -> nomatch;
        Bits ->
            case take_segment(Type, Bits, Signed, Endian, Bin) of
                {ok, V, Tail} ->
                    case bind(P, V, Acc) of
                        {ok, Acc1} -> bind_segments(Rest, Tail, Acc1);
                        nomatch -> nomatch
                    end;
                nomatch -> nomatch
            end
    end.

%% How many bits a segment takes (`rest' for a binary without a size, `char' for UTF).
-spec segment_bits(default | non_neg_integer() | {name, atom()}, atom(), [{atom(), term()}]) ->
          non_neg_integer() | rest | char | nomatch.
segment_bits(_, Utf, _Acc) when Utf =:= utf8; Utf =:= utf16; Utf =:= utf32 -> char;
segment_bits(default, integer, _Acc) -> 8;
segment_bits(default, float, _Acc) -> 64;
segment_bits(default, _Binary, _Acc) -> rest;
segment_bits({name, Name}, Type, Acc) ->
    case lists:keyfind(Name, 1, Acc) of
        {_, N} when is_integer(N), N >= 0 -> segment_bits(N, Type, Acc);
        _ -> nomatch
    end;
segment_bits(N, binary, _Acc) -> N * 8;
segment_bits(N, _Type, _Acc) -> N.

-spec take_segment(atom(), non_neg_integer() | rest | char, boolean(), big | little | native, bitstring()) ->
          {ok, term(), bitstring()} | nomatch.
take_segment(binary, rest, _, _, Bin) when is_binary(Bin) -> {ok, Bin, <<>>};
take_segment(bitstring, rest, _, _, Bin) -> {ok, Bin, <<>>};
take_segment(utf8, char, _, _, <<C/utf8, T/bitstring>>) -> {ok, C, T};
take_segment(utf16, char, _, little, <<C/utf16-little, T/bitstring>>) -> {ok, C, T};
take_segment(utf16, char, _, big, <<C/utf16, T/bitstring>>) -> {ok, C, T};
take_segment(utf32, char, _, little, <<C/utf32-little, T/bitstring>>) -> {ok, C, T};
take_segment(utf32, char, _, big, <<C/utf32, T/bitstring>>) -> {ok, C, T};
take_segment(Type, char, Signed, native, Bin) ->
    take_segment(Type, char, Signed, native_endian(), Bin);
take_segment(Type, Bits, Signed, Endian, Bin) when is_integer(Bits) ->
    case Bin of
        <<Raw:Bits/bitstring, T/bitstring>> ->
            case decode_segment(Type, Bits, Signed, Endian, Raw) of
                {ok, V} -> {ok, V, T};
                nomatch -> nomatch
            end;
        _ -> nomatch
    end;
take_segment(_Type, _Bits, _Signed, _Endian, _Bin) -> nomatch.

-spec decode_segment(atom(), non_neg_integer(), boolean(), big | little | native, bitstring()) ->
          {ok, term()} | nomatch.
decode_segment(binary, Bits, _, _, Raw) when Bits rem 8 =:= 0 -> {ok, Raw};
decode_segment(binary, _Bits, _, _, _Raw) -> nomatch;
decode_segment(bitstring, _Bits, _, _, Raw) -> {ok, Raw};
decode_segment(Type, Bits, Signed, native, Raw) ->
    decode_segment(Type, Bits, Signed, native_endian(), Raw);
decode_segment(integer, Bits, false, big, Raw) -> <<V:Bits>> = Raw, {ok, V};
decode_segment(integer, Bits, true, big, Raw) -> <<V:Bits/signed>> = Raw, {ok, V};
decode_segment(integer, Bits, false, little, Raw) -> <<V:Bits/little>> = Raw, {ok, V};
decode_segment(integer, Bits, true, little, Raw) -> <<V:Bits/little-signed>> = Raw, {ok, V};
%% NaN and the infinities are not floats on the BEAM: such bits match no float segment.
decode_segment(float, Bits, _, big, Raw) ->
    case Raw of <<F:Bits/float>> -> {ok, F}; _ -> nomatch end;
decode_segment(float, Bits, _, little, Raw) ->
    case Raw of <<F:Bits/float-little>> -> {ok, F}; _ -> nomatch end.

-spec native_endian() -> big | little.
native_endian() ->
    case <<1:16/native>> of
        <<1:16/big>> -> big;
        _ -> little
    end.

-spec bind_pairs([{term(), pattern()}], map(), [{atom(), term()}]) -> {ok, [{atom(), term()}]} | nomatch.
bind_pairs([], _M, Acc) -> {ok, Acc};
bind_pairs([{K, P} | Rest], M, Acc) ->
    case M of
        #{K := V} ->
            case bind(P, V, Acc) of
                {ok, Acc1} -> bind_pairs(Rest, M, Acc1);
                nomatch -> nomatch
            end;
        #{} -> nomatch
    end.

-spec bind_all([pattern()], [term()], [{atom(), term()}]) -> {ok, [{atom(), term()}]} | nomatch.
bind_all([], [], Acc) -> {ok, Acc};
bind_all([P | Ps], [V | Vs], Acc) ->
    case bind(P, V, Acc) of
        {ok, Acc1} -> bind_all(Ps, Vs, Acc1);
        nomatch -> nomatch
    end.

%% Beamtalk's own values (actors, value objects, arrays, classes...) are tuples underneath, not tuples.
-spec is_object(tuple()) -> boolean().
is_object(T) when tuple_size(T) > 0, is_atom(element(1, T)) ->
    lists:prefix("$bt_", atom_to_list(element(1, T)));
is_object(_) -> false.

-spec pattern_text(pattern()) -> iolist().
pattern_text({bind, Name}) -> atom_to_list(Name);
pattern_text(ignore) -> "_";
pattern_text({lit, Lit}) -> beamtalk_print:print_string(Lit);
pattern_text({tuple, Ps}) -> ["{", lists:join(", ", [pattern_text(P) || P <- Ps]), "}"];
pattern_text({list, Ps}) -> ["#(", lists:join(", ", [pattern_text(P) || P <- Ps]), ")"];
pattern_text({array, Ps}) -> ["#[", lists:join(", ", [pattern_text(P) || P <- Ps]), "]"];
pattern_text({map, Pairs}) ->
    ["#{", lists:join(", ", [[beamtalk_print:print_string(K), " => ", pattern_text(P)] || {K, P} <- Pairs]), "}"];
pattern_text({result, Kind, P}) -> ["Result ", atom_to_list(Kind), ": ", pattern_text(P)];
pattern_text({typed, Name, Class}) -> [atom_to_list(Name), " :: ", atom_to_list(Class)];
pattern_text({binary, Segments}) -> ["<<", lists:join(", ", [segment_text(S) || S <- Segments]), ">>"].

-spec segment_text(segment()) -> iolist().
segment_text({P, Size, Type, Signed, Endian}) ->
    SizeText = case Size of
                   default -> "";
                   {name, N} -> [":", atom_to_list(N)];
                   N -> [":", integer_to_list(N)]
               end,
    Quals = [atom_to_list(Type)] ++ [signed || Signed] ++ [atom_to_list(Endian) || Endian =/= big],
    [pattern_text(P), SizeText, "/", lists:join("-", [if is_atom(Q) -> atom_to_list(Q); true -> Q end || Q <- Quals])].

%% @doc All variables of `Frame' as a map.
-spec frame_vars(frame()) -> #{atom() => term()}.
frame_vars(Frame) ->
    maps:from_list([{N, V} || {{bt_var, F, N}, {value, V}} <- erlang:get(), F =:= Frame]).

%% @doc Makes `Vars' the variables of `Frame' in this process.
-spec load_frame(frame(), #{atom() => term()}) -> ok.
load_frame(Frame, Vars) ->
    maps:foreach(fun(N, V) -> erlang:put({bt_var, Frame, N}, {value, V}) end, Vars).

%% @doc `receiver message!': fire and forget for actors; other receivers get an ordinary send. Answers nil.
-spec cast(term(), atom(), [term()]) -> nil.
cast({'$bt_actor', _, Pid}, Selector, Args) ->
    gen_server:cast(Pid, {send, Selector, Args}),
    nil;
cast(Receiver, Selector, Args) ->
    _ = beamtalk_dispatch:send(Receiver, Selector, Args),
    nil.

%% @doc `super selector': looks the method up from the superclass of `Class'.
-spec super_send(atom(), term(), atom(), [term()]) -> term().
%% An actor's `super initialize' does nothing: every class's own `initialize' has run already, parents
%% first, when the actor started (ADR 0078), and running a parent's twice would set its state up twice.
super_send(_Class, {'$bt_actor', _, _} = Self, initialize, []) ->
    Self;
super_send(Class, Self, Selector, Args) ->
    beamtalk_dispatch:send_from(beamtalk_class:superclass(Class), Self, Selector, Args).

%% @doc `self.name'.
-spec field(term(), atom()) -> term().
field({'$bt_value', _, Fields}, Name) ->
    maps:get(Name, Fields, nil);
field({'$bt_actor', _, _}, Name) ->
    case erlang:get({bt_slot, Name}) of
        undefined -> nil;
        {value, V} -> V
    end;
field({'$bt_class', Class}, Name) ->
    beamtalk_class_state:get(Class, Name);
field(Other, Name) ->
    beamtalk_error:raise(no_field, beamtalk_print:class_name(Other), io_lib:format("has no field ~s", [Name])).

%% @doc `self.name := value' (actors only: value objects are immutable).
-spec set_field(term(), atom(), term()) -> term().
set_field({'$bt_actor', _, _}, Name, Value) ->
    erlang:put({bt_slot, Name}, {value, Value}),
    Value;
set_field({'$bt_class', Class}, Name, Value) ->
    beamtalk_class_state:put(Class, Name, Value);
set_field(Other, Name, _Value) ->
    beamtalk_error:raise(immutable, beamtalk_print:class_name(Other),
                         io_lib:format("cannot assign field ~s: only actors have mutable state", [Name])).

%% @doc An Array literal.
-spec array([term()]) -> {'$bt_array', tuple()}.
array(Items) ->
    {'$bt_array', list_to_tuple(Items)}.

%% @doc A string with interpolated values: text pieces as they are, values as their display strings.
-spec interpolate([term()]) -> binary().
interpolate(Pieces) ->
    iolist_to_binary([beamtalk_print:display_string(P) || P <- Pieces]).

%% @doc `^value' inside a block: returns from the method (or REPL line) that owns `Frame'.
-spec non_local_return(frame(), term()) -> no_return().
non_local_return(Frame, Value) ->
    throw({'$bt_nlr', Frame, Value}).

%% @doc Runs `Body' as the owner of `Frame': a `^' anywhere inside ends it with that value.
-spec catch_return(frame(), fun(() -> term())) -> term().
catch_return(Frame, Body) ->
    try
        Body()
    catch
        throw:{'$bt_nlr', F, Value} when F =:= Frame -> Value
    end.

%% @doc `Result ok: Value' (the standard library's `Result', built here for the runtime's own answers).
-spec result_ok(term()) -> {'$bt_value', 'Result', map()}.
result_ok(Value) ->
    {'$bt_value', 'Result', #{isOk => true, value => Value, error => nil}}.

%% @doc `Result error: Reason'.
-spec result_error(term()) -> {'$bt_value', 'Result', map()}.
result_error(Reason) ->
    {'$bt_value', 'Result', #{isOk => false, value => nil, error => Reason}}.

%% @doc What `Fun' answers as `Result ok:', or the Beamtalk error it raises as `Result error:'.
-spec result_of(fun(() -> term())) -> {'$bt_value', 'Result', map()}.
result_of(Fun) ->
    try result_ok(Fun())
    catch error:{'$bt_error', _, _, _, _} = E -> result_error(E)
    end.

%% @doc The value of `Transcript': the workspace's TranscriptStream actor (registered under the name its
%% application gives in this application's environment, `transcript'), or, with no workspace, the
%% built-in class that writes straight to the group leader.
-spec transcript() -> {'$bt_actor', 'TranscriptStream', pid()} | {'$bt_class', 'Transcript'}.
transcript() ->
    case application:get_env(beamtalk_runtime, transcript) of
        {ok, Name} ->
            case whereis(Name) of
                Pid when is_pid(Pid) -> {'$bt_actor', 'TranscriptStream', Pid};
                undefined -> {'$bt_class', 'Transcript'}
            end;
        undefined -> {'$bt_class', 'Transcript'}
    end.
