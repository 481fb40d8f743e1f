%% @doc How values print: `printString' (source-like), `displayString' (for people), and the REPL's result.
-module(beamtalk_print).

-export([print_string/1, display_string/1, repl_string/1, class_name/1]).

%% @doc The REPL's form of a result: its `displayString' (strings and symbols bare).
-spec repl_string(term()) -> binary().
repl_string(V) -> display_string(V).

%% @doc For people (the REPL's results, string interpolation, `Transcript show:'): strings and symbols
%% without quotes or `#'; a value or object whose class defines `displayString' as that answers;
%% everything else as `printString'. (An actor is never asked: printing one must not wait on it.)
-spec display_string(term()) -> binary().
display_string(B) when is_binary(B) -> B;
display_string(A) when is_atom(A), A =/= nil, A =/= true, A =/= false -> atom_to_binary(A, utf8);
display_string({Tag, Class, _} = Obj) when Tag =:= '$bt_value'; Tag =:= '$bt_object' ->
    case defines(Class, displayString) andalso beamtalk_dispatch:send(Obj, displayString, []) of
        Text when is_binary(Text) -> Text;
        _ -> print_string(Obj)
    end;
display_string(V) -> print_string(V).

%% @doc The printed form of a value.
-spec print_string(term()) -> binary().
print_string(V) ->
    unicode:characters_to_binary(p(V)).

%% A class that defines `printString' decides how its instances print.
-spec p(term()) -> iodata().
p({Tag, Class, _} = Obj) when Tag =:= '$bt_value'; Tag =:= '$bt_object' ->
    case own_print_string(Class, Obj) of
        {ok, Text} -> Text;
        none -> builtin(Obj)
    end;
p(V) ->
    builtin(V).

%% (`printOn: aStream' is the Smalltalk way to say it: what it writes is the printString.)
-spec own_print_string(atom(), term()) -> {ok, binary()} | none.
own_print_string(Class, Obj) ->
    Defines = fun(Sel) -> defines(Class, Sel) end,
    Text = case Defines(printString) of
               true -> beamtalk_dispatch:send(Obj, printString, []);
               false ->
                   case Defines('printOn:') of
                       true -> beamtalk_stream:stream_contents(
                                 fun(S) -> beamtalk_dispatch:send(Obj, 'printOn:', [S]) end);
                       false -> none
                   end
           end,
    case Text of
        T when is_binary(T) -> {ok, T};
        _ -> none
    end.

%% Whether a user class in `Class''s chain defines `Selector' itself.
-spec defines(atom(), atom()) -> boolean().
defines(Class, Selector) ->
    lists:any(fun(C) -> lists:member(Selector, beamtalk_user_class:selectors(C)) end, beamtalk_class:chain(Class)).

-spec builtin(term()) -> iodata().
builtin(I) when is_integer(I) -> integer_to_list(I);
builtin(F) when is_float(F) -> float_to_list(F, [short]);
builtin(B) when is_binary(B) -> quote(B);
builtin(nil) -> "nil";
builtin(true) -> "true";
builtin(false) -> "false";
builtin(A) when is_atom(A) -> symbol(A);
builtin(F) when is_function(F) -> {arity, N} = erlang:fun_info(F, arity), ["a Block/", integer_to_list(N)];
builtin(L) when is_list(L) -> ["#(", join([p(X) || X <- L]), ")"];
builtin(M) when is_map(M) -> ["#{", join([[p(K), " => ", p(V)] || {K, V} <- lists:sort(maps:to_list(M))]), "}"];
builtin(P) when is_pid(P) -> ["#Pid", pid_to_list(P)];
builtin({'$bt_array', T}) -> ["#[", join([p(X) || X <- tuple_to_list(T)]), "]"];
builtin({'$bt_class', Name}) ->
    %% A name that is no class is an error where it shows, never a name that looks like one.
    case beamtalk_class:exists(Name) of
        true -> atom_to_list(Name);
        false -> beamtalk_class:unknown(Name)
    end;
builtin({'$bt_metaclass', Name}) -> [builtin({'$bt_class', Name}), " class"];
builtin({'$bt_actor', Class, Pid}) -> ["Actor(", atom_to_list(Class), ", ", pid_to_list(Pid), ")"];
builtin({'$bt_timed', Actor, Ms}) -> [builtin(Actor), " withTimeout: ", integer_to_list(Ms)];
builtin({'$bt_interval', F, T, 1}) -> ["(", p(F), " to: ", p(T), ")"];
builtin({'$bt_interval', F, T, S}) -> ["(", p(F), " to: ", p(T), " by: ", p(S), ")"];
builtin({'$bt_exception_set', Set}) -> lists:join(", ", [atom_to_list(C) || C <- Set]);
builtin({'$bt_supervisor', Class, Pid}) ->
    %% Headed by its kind (ADR 0094): a dynamic supervisor says so.
    Kind = case catch beamtalk_class:inherits_from(Class, 'DynamicSupervisor') of
               true -> "DynamicSupervisor(";
               _ -> "Supervisor("
           end,
    [Kind, atom_to_list(Class), ", ", pid_to_list(Pid), ")"];
builtin({'$bt_value', Class, Fields}) ->
    Order = [F || {F, _} <- safe_fields(Class)],
    Names = Order ++ (lists:sort(maps:keys(Fields)) -- Order),
    [atom_to_list(Class), "(", join([[atom_to_list(F), ": ", p(maps:get(F, Fields))] || F <- Names, maps:is_key(F, Fields)]), ")"];
builtin({'$bt_object', Class, _}) -> article(Class);
builtin({'$bt_error', Class, _, Message, _}) -> [atom_to_list(Class), ": ", Message];
builtin({'$bt_erlang', M}) -> ["#ErlangModule<", atom_to_list(M), ">"];
builtin(T) when is_tuple(T) -> ["{", join([p(X) || X <- tuple_to_list(T)]), "}"];
builtin(Other) -> io_lib:format("~p", [Other]).

-spec safe_fields(atom()) -> [{atom(), fun(() -> term())}].
safe_fields(Class) ->
    try beamtalk_user_class:fields(Class) catch _:_ -> [] end.

-spec join([iodata()]) -> iodata().
join(Items) -> lists:join(", ", Items).

-spec quote(binary()) -> iodata().
quote(B) -> [$", binary:replace(B, <<"\"">>, <<"\"\"">>, [global]), $"].

-spec symbol(atom()) -> iodata().
symbol(A) ->
    S = atom_to_list(A),
    Plain = case S of
                [C | _] when C >= $a, C =< $z; C >= $A, C =< $Z; C =:= $_ ->
                    lists:all(fun(X) -> X =:= $_ orelse X =:= $: orelse (X >= $a andalso X =< $z) orelse
                                            (X >= $A andalso X =< $Z) orelse (X >= $0 andalso X =< $9) end, S);
                _ -> lists:all(fun(X) -> lists:member(X, "+-*/\\%<>=~,&?@|") end, S) andalso S =/= []
            end,
    case Plain of
        true -> [$# | S];
        false -> ["#'", string:replace(S, "'", "''", all), "'"]
    end.

-spec article(atom()) -> iodata().
article(Class) ->
    Name = atom_to_list(Class),
    case hd(string:lowercase(Name)) of
        V when V =:= $a; V =:= $e; V =:= $i; V =:= $o; V =:= $u -> ["an ", Name];
        _ -> ["a ", Name]
    end.

%% @doc The name of a value's class, for messages.
-spec class_name(term()) -> binary().
class_name(V) ->
    case beamtalk_dispatch:class_of(V) of
        {meta, C} -> <<(atom_to_binary(C, utf8))/binary, " class">>;
        C -> atom_to_binary(C, utf8)
    end.
