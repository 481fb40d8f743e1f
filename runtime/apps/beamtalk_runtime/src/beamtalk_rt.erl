%% @doc Helpers that generated code calls: mutable variables, slots, message sends, literals, returns.
%%
%% Beamtalk variables are mutable and blocks assign to the variables of the method or REPL line around them
%% (`sum := sum + i' inside `to:do:'), which Erlang's single assignment cannot express. So every assigned
%% variable lives in the process dictionary under `{bt_var, Frame, Name}', where `Frame' is `repl' for REPL
%% bindings and a fresh reference per method invocation; arguments stay plain Erlang variables.
-module(beamtalk_rt).

-export([get/2, set/3, destructure/3, match/3, new_frame/0, drop_frame/2, frame_vars/1, load_frame/2,
         send/3, cast/3, super_send/4, field/2, set_field/3,
         array/1, interpolate/1, non_local_return/2, catch_return/2]).

-type frame() :: repl | reference().
-export_type([frame/0]).

%% @doc Reads variable `Name' of `Frame'. A method's local not assigned yet is nil; a name the REPL has
%% no binding for is an error (`ERROR: undefined variable: foo'), never a silent nil.
-spec get(frame(), atom()) -> term().
get(Frame, Name) ->
    case {erlang:get({bt_var, Frame, Name}), Frame} of
        {{value, V}, _} -> V;
        {undefined, repl} -> beamtalk_error:raise('Error', 'undefined variable', undefined, atom_to_binary(Name, utf8));
        {undefined, _} -> nil
    end.

%% @doc Assigns variable `Name' of `Frame'; the value of an assignment is the value assigned.
-spec set(frame(), atom(), term()) -> term().
set(Frame, Name, Value) ->
    erlang:put({bt_var, Frame, Name}, {value, Value}),
    Value.

%% A destructuring pattern, as the compiler writes it.
-type pattern() :: {bind, atom()} | ignore | {lit, term()} | {tuple | list | array, [pattern()]}.

%% @doc `#(a, b) := value' and the like: binds every name of `Pattern' to its part of `Value' (all or
%% none), or raises `bad_match' naming both sides. Answers `Value'.
-spec destructure(frame(), pattern(), term()) -> term().
destructure(Frame, Pattern, Value) ->
    case bind(Pattern, Value, []) of
        {ok, Bindings} ->
            _ = [set(Frame, N, V) || {N, V} <- lists:reverse(Bindings)],
            Value;
        nomatch ->
            beamtalk_error:raise('Error', bad_match, undefined,
                                 [pattern_text(Pattern), " does not match ", beamtalk_print:print_string(Value)])
    end.

%% @doc `value match: [pattern -> expr; ...]': binds the names of the first arm whose pattern matches and
%% answers its value; no arm matching is a `bad_match'.
-spec match(frame(), term(), [{pattern(), fun(() -> term())}]) -> term().
match(_Frame, Value, []) ->
    beamtalk_error:raise('Error', bad_match, undefined,
                         ["no arm of match: matches ", beamtalk_print:print_string(Value)]);
match(Frame, Value, [{Pattern, Body} | Arms]) ->
    case bind(Pattern, Value, []) of
        {ok, Bindings} ->
            _ = [set(Frame, N, V) || {N, V} <- lists:reverse(Bindings)],
            Body();
        nomatch ->
            match(Frame, Value, Arms)
    end.

-spec bind(pattern(), term(), [{atom(), term()}]) -> {ok, [{atom(), term()}]} | nomatch.
bind({bind, Name}, Value, Acc) -> {ok, [{Name, Value} | Acc]};
bind(ignore, _Value, Acc) -> {ok, Acc};
bind({lit, Lit}, Value, Acc) when Lit == Value -> {ok, Acc};
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
bind({array, Ps}, {'$bt_array', T}, Acc) when tuple_size(T) =:= length(Ps) ->
    bind_all(Ps, tuple_to_list(T), Acc);
bind(_Pattern, _Value, _Acc) -> nomatch.

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
pattern_text({array, Ps}) -> ["#[", lists:join(", ", [pattern_text(P) || P <- Ps]), "]"].

%% @doc A fresh frame for one method invocation.
-spec new_frame() -> reference().
new_frame() ->
    make_ref().

%% @doc Forgets the variables `Names' of `Frame' (a method invocation that has returned).
-spec drop_frame(reference(), [atom()]) -> ok.
drop_frame(Frame, Names) ->
    _ = [erlang:erase({bt_var, Frame, N}) || N <- Names],
    ok.

%% @doc All variables of `Frame' as a map.
-spec frame_vars(frame()) -> #{atom() => term()}.
frame_vars(Frame) ->
    maps:from_list([{N, V} || {{bt_var, F, N}, {value, V}} <- erlang:get(), F =:= Frame]).

%% @doc Makes `Vars' the variables of `Frame'.
-spec load_frame(frame(), #{atom() => term()}) -> ok.
load_frame(Frame, Vars) ->
    maps:foreach(fun(N, V) -> set(Frame, N, V) end, Vars).

%% @doc Sends `Selector' with `Args' to `Receiver'.
-spec send(term(), atom(), [term()]) -> term().
send(Receiver, Selector, Args) ->
    beamtalk_dispatch:send(Receiver, Selector, Args).

%% @doc `receiver message!': fire and forget for actors; other receivers get an ordinary send. Answers nil.
-spec cast(term(), atom(), [term()]) -> nil.
cast({'$bt_actor', _, Pid}, Selector, Args) ->
    gen_server:cast(Pid, {send, Selector, Args}),
    nil;
cast(Receiver, Selector, Args) ->
    _ = send(Receiver, Selector, Args),
    nil.

%% @doc `super selector': looks the method up from the superclass of `Class'.
-spec super_send(atom(), term(), atom(), [term()]) -> term().
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
