%% @doc What every object answers, plus Boolean, UndefinedObject, Symbol, error objects, Erlang interop,
%% and the class side of every class (`new', `spawn', `name', `signal:', `Transcript show:' ...).
-module(beamtalk_object).
-include("beamtalk_abi.hrl").

-export([respond/4, class_side/3, selectors/1, own_selectors/1, transcript_write/3, erlang_call/3, edit_class/2,
         side_edit/2]).

-spec respond(atom(), term(), atom(), [term()]) -> {ok, term()} | nomethod.
respond(Class, R, Sel, Args) ->
    case specific(Class, R, Sel, Args) of
        nomethod -> common(R, Sel, Args);
        Found -> Found
    end.

-spec specific(atom(), term(), atom(), [term()]) -> {ok, term()} | nomethod.
specific('Boolean', B, Sel, Args) -> boolean(B, Sel, Args);
specific('UndefinedObject', nil, Sel, Args) -> undefined(Sel, Args);
specific('Symbol', A, asString, []) -> {ok, atom_to_binary(A, utf8)};
specific('Symbol', A, size, []) -> {ok, length(atom_to_list(A))};
specific('Symbol', A, 'value:', [R]) -> {ok, beamtalk_dispatch:send(R, A, [])};
specific('ErlangModule', {'$bt_erlang', M}, Sel, Args) -> {ok, erlang_call(M, Sel, Args)};
specific(Class, {'$bt_error', _, _, _, _} = E, Sel, Args) when Class =/= 'Object' -> error_object(E, Sel, Args);
specific('SystemNavigation', _, Sel, Args) -> beamtalk_system:navigation(Sel, Args);
specific('Metaclass', {'$bt_metaclass', Class}, Sel, Args) -> metaclass(Class, Sel, Args);
%% A session's bindings are the workspace's, which every session shares (`Workspace bindings').
specific('Session', {'$bt_value', 'Session', _}, bindings, []) -> workspace(respond, bindings, []);
specific(C, {'$bt_object', C, #{ref := _}} = S, Sel, Args) when C =:= 'WriteStream'; C =:= 'ReadStream' ->
    beamtalk_stream:respond(S, Sel, Args);
specific('ExceptionSet', {'$bt_exception_set', Set}, ',', [{'$bt_class', C}]) ->
    {ok, {'$bt_exception_set', Set ++ [C]}};
specific('SupervisionSpec', {'$bt_value', 'SupervisionSpec', _} = Spec, Sel, Args) when Args =/= [] ->
    beamtalk_supervisor:spec_respond(Spec, Sel, Args);
specific('SupervisionSpec', {'$bt_value', 'SupervisionSpec', _} = Spec, id, []) ->
    {ok, beamtalk_supervisor:spec_id(Spec)};
specific(C, {'$bt_supervisor', _, _} = Sup, Sel, Args) when C =:= 'Supervisor'; C =:= 'DynamicSupervisor' ->
    beamtalk_supervisor:respond(Sup, Sel, Args);
specific(_, {'$bt_value', Class, Fields}, Sel, [V]) ->
    case with_field(Sel) of
        {ok, F} when is_map_key(F, Fields) -> {ok, {'$bt_value', Class, Fields#{F := V}}};
        _ -> nomethod
    end;
%% A test's fixture (TestCase is a Value in the documents): `setUp' answers `self withStack: s'.
%% Here the test runs as its instance's own process, so the setter sets the slot and answers the test.
specific(_, {'$bt_actor', Class, Pid} = Test, Sel, [V]) when Pid =:= self() ->
    case with_field(Sel) of
        {ok, F} ->
            case is_fixture_field(Class, F) of
                true -> erlang:put({bt_slot, F}, {value, V}), {ok, Test};
                false -> nomethod
            end;
        _ -> nomethod
    end;
specific(_, {'$bt_actor', Class, Pid}, Sel, []) when Pid =:= self() ->
    %% ... and reads its fields as a Value's are read (`updated tmpDir').
    case is_fixture_field(Class, Sel) of
        true ->
            {value, V} = erlang:get({bt_slot, Sel}),
            {ok, V};
        false -> nomethod
    end;
specific(_, {'$bt_value', _Class, Fields}, Sel, []) ->
    case maps:find(Sel, Fields) of
        {ok, V} -> {ok, V};
        error -> nomethod
    end;
specific(_, _, _, _) -> nomethod.

%% `withAmount:' names the field `amount'.
-spec with_field(atom()) -> {ok, atom()} | none.
with_field(Sel) ->
    case atom_to_list(Sel) of
        "with" ++ [C | Rest] when C >= $A, C =< $Z ->
            case lists:reverse(Rest) of
                ":" ++ R -> {ok, list_to_atom([C + 32 | lists:reverse(R)])};
                _ -> none
            end;
        _ -> none
    end.

-spec common(term(), atom(), [term()]) -> {ok, term()} | nomethod.
common(R, class, []) -> {ok, class_ref(R)};
%% `self error: "Insufficient funds"': an Error of kind `user_error' (what `should:raise:' names it by).
common(R, 'error:', [Text]) ->
    beamtalk_error:raise('Error', user_error, undefined, beamtalk_print:display_string(Text), #{receiver => R});
common(R, printString, []) -> {ok, beamtalk_print:print_string(R)};
common(R, displayString, []) -> {ok, beamtalk_print:display_string(R)};
common(R, printNl, []) -> io:format("~ts~n", [beamtalk_print:print_string(R)]), {ok, R};
common(R, displayNl, []) -> io:format("~ts~n", [beamtalk_print:display_string(R)]), {ok, R};
common(R, '=:=', [X]) -> {ok, R =:= X};
common(R, '=/=', [X]) -> {ok, R =/= X};
common(R, '==', [X]) -> {ok, R == X};
common(R, '=', [X]) -> {ok, R == X};
common(R, '/=', [X]) -> {ok, R /= X};
common(R, '~=', [X]) -> {ok, R /= X};
common(R, hash, []) -> {ok, erlang:phash2(R)};
common(R, 'ifNil:', [_]) -> {ok, R};
common(R, 'ifNotNil:', [B]) -> {ok, value(B, [R])};
common(R, 'ifNil:ifNotNil:', [_, B]) -> {ok, value(B, [R])};
common(R, 'ifNotNil:ifNil:', [B, _]) -> {ok, value(B, [R])};
common(R, 'respondsTo:', [S]) when is_atom(S) -> {ok, beamtalk_dispatch:responds_to(R, S)};
common(R, '->', [X]) -> {ok, {'$bt_value', 'Association', #{key => R, value => X}}};
common(R, 'isKindOf:', [{'$bt_class', C}]) ->
    {ok, case beamtalk_dispatch:class_of(R) of
             {meta, _} -> false;
             Own -> beamtalk_class:inherits_from(Own, C)
         end};
common(R, 'perform:', [S]) when is_atom(S) -> {ok, beamtalk_dispatch:send(R, S, [])};
common(R, 'perform:with:', [S, A]) when is_atom(S) -> {ok, beamtalk_dispatch:send(R, S, [A])};
common(R, 'perform:with:with:', [S, A, B]) when is_atom(S) -> {ok, beamtalk_dispatch:send(R, S, [A, B])};
common(R, 'perform:withArguments:', [S, Args]) when is_atom(S), is_list(Args) ->
    {ok, beamtalk_dispatch:send(R, S, Args)};
common(R, 'isMemberOf:', [{'$bt_class', C}]) -> {ok, beamtalk_dispatch:class_of(R) =:= C};
common(R, fieldNames, []) -> {ok, field_names(R)};
common(R, 'fieldAt:', [F]) when is_atom(F) -> field_at(R, F);
common(R, 'fieldAt:put:', [F, V]) when is_atom(F) -> field_at_put(R, F, V);
common(R, inspect, []) -> io:put_chars([inspect_text(R), $\n]), {ok, R};
common(R, isString, []) -> {ok, is_binary(R)};
common(R, isSymbol, []) -> {ok, is_atom(R) andalso R =/= nil andalso not is_boolean(R)};
common(R, isNumber, []) -> {ok, is_number(R)};
common(_, _, _) -> nomethod.

-spec field_names(term()) -> [atom()].
field_names({'$bt_value', C, _}) -> [F || {F, _} <- beamtalk_user_class:fields(C)];
field_names({'$bt_actor', C, _}) -> [F || {F, _} <- beamtalk_user_class:fields(C)];
field_names({'$bt_object', C, _}) -> [F || {F, _} <- beamtalk_user_class:fields(C)];
field_names(_) -> [].

%% A value object's field, or (in its own process) an actor's.
-spec field_at(term(), atom()) -> {ok, term()} | nomethod.
field_at({'$bt_value', _, Fields} = R, F) ->
    case maps:find(F, Fields) of
        {ok, V} -> {ok, V};
        error -> no_field(R, F)
    end;
field_at({'$bt_actor', _, Pid} = R, F) when Pid =:= self() ->
    case erlang:get({bt_slot, F}) of
        {value, V} -> {ok, V};
        undefined -> no_field(R, F)
    end;
field_at({'$bt_object', _, _} = R, F) ->
    no_field(R, F);
field_at({'$bt_actor', _, _} = R, F) ->
    no_field(R, F);
%% A number, a String, a collection: a primitive value, with no fields to read (chapter 24).
field_at(R, F) ->
    beamtalk_error:raise('ImmutableValue', immutable_value, beamtalk_print:class_name(R),
                         ["is a primitive value: it has no field #", atom_to_list(F)],
                         #{receiver => R, selector => 'fieldAt:'}).

%% Only an actor, in its own process, changes a field; everything else is immutable.
-spec field_at_put(term(), atom(), term()) -> {ok, term()}.
field_at_put({'$bt_actor', C, Pid} = R, F, V) when Pid =:= self() ->
    case lists:member(F, field_names(R)) of
        true -> erlang:put({bt_slot, F}, {value, V}), {ok, V};
        false -> no_field({'$bt_actor', C, Pid}, F)
    end;
field_at_put(R, F, _) ->
    beamtalk_error:raise('ImmutableValue', immutable_value, beamtalk_print:class_name(R),
                         ["is immutable: cannot set #", atom_to_list(F),
                          " (a Value answers a changed copy with with", capitalized(F), ":)"],
                         #{receiver => R, selector => 'fieldAt:put:'}).

-spec no_field(term(), atom()) -> no_return().
no_field(R, F) ->
    beamtalk_error:raise('Error', no_field, beamtalk_print:class_name(R), ["has no field #", atom_to_list(F)]).

-spec capitalized(atom()) -> string().
capitalized(F) ->
    [C | Rest] = atom_to_list(F),
    [string:to_upper(C) | Rest].

%% `inspect': the object and each of its fields on a line.
-spec inspect_text(term()) -> iodata().
inspect_text({'$bt_value', _, Fields} = R) ->
    [beamtalk_print:print_string(R) | [["\n  ", atom_to_list(F), ": ", beamtalk_print:print_string(maps:get(F, Fields))]
                                       || F <- field_names(R), maps:is_key(F, Fields)]];
inspect_text(R) ->
    [beamtalk_print:print_string(R), " (", beamtalk_print:class_name(R), ")"].

-spec class_ref(term()) -> {'$bt_class', atom()}.
class_ref({'$bt_class', 'Workspace'}) -> {'$bt_class', 'WorkspaceInterface'};
class_ref({'$bt_class', 'Beamtalk'}) -> {'$bt_class', 'BeamtalkInterface'};
%% A class's class is its metaclass (`Point class'); a metaclass's class is the metaclass of Metaclass,
%% whose class is itself: the tower grounds there rather than going on for ever.
class_ref({'$bt_metaclass', _}) -> {'$bt_metaclass', 'Metaclass'};
class_ref(R) ->
    %% Under the class's name now: a value made before a rename carries the old one.
    case beamtalk_dispatch:class_of(R) of
        {meta, Name} -> {'$bt_metaclass', beamtalk_class:canonical(Name)};
        C -> {'$bt_class', beamtalk_class:canonical(C)}
    end.

-spec value(term(), [term()]) -> term().
value(B, Args) when is_function(B, length(Args)) -> apply(B, Args);
value(B, _) when is_function(B, 0) -> B();
value(V, _) -> V.

-spec boolean(boolean(), atom(), [term()]) -> {ok, term()} | nomethod.
%% A branch not taken answers the receiver (`false ifTrue: [...]' is false).
boolean(B, 'ifTrue:', [T]) -> {ok, if B -> value(T, []); true -> B end};
boolean(B, 'ifFalse:', [F]) -> {ok, if B -> B; true -> value(F, []) end};
boolean(B, 'ifTrue:ifFalse:', [T, F]) -> {ok, if B -> value(T, []); true -> value(F, []) end};
boolean(B, 'ifFalse:ifTrue:', [F, T]) -> {ok, if B -> value(T, []); true -> value(F, []) end};
boolean(B, 'and:', [X]) -> {ok, B andalso value(X, []) =:= true};
boolean(B, 'or:', [X]) -> {ok, B orelse value(X, []) =:= true};
boolean(_, _, _) -> nomethod.

-spec undefined(atom(), [term()]) -> {ok, term()} | nomethod.
undefined('ifNil:', [B]) -> {ok, value(B, [])};
undefined('ifNotNil:', [_]) -> {ok, nil};
undefined('ifNil:ifNotNil:', [B, _]) -> {ok, value(B, [])};
undefined('ifNotNil:ifNil:', [_, B]) -> {ok, value(B, [])};
undefined(_, _) -> nomethod.

-spec error_object(beamtalk_error:error(), atom(), [term()]) -> {ok, term()} | nomethod.
error_object(E, messageText, []) -> {ok, beamtalk_error:message(E)};
error_object(E, message, []) -> {ok, beamtalk_error:message(E)};
error_object(E, description, []) -> {ok, beamtalk_error:message(E)};
error_object(E, kind, []) -> {ok, beamtalk_error:kind(E)};
error_object(E, Key, []) when Key =:= hint; Key =:= reason; Key =:= receiver; Key =:= selector ->
    {ok, beamtalk_error:extra(E, Key)};
error_object(E, signal, []) -> error(E);
error_object(E, 'signal:', [Text]) -> error(beamtalk_error:with_message(E, beamtalk_print:display_string(Text)));
%% In a handler: on to the next handler out (`outer' is the same for errors, which do not resume).
error_object(E, pass, []) -> throw({'$bt_pass', E});
error_object(E, outer, []) -> throw({'$bt_pass', E});
error_object(E, 'resignalAs:', [{'$bt_error', _, _, _, _} = Other]) -> throw({'$bt_resignal', E, Other});
error_object(E, retry, []) -> throw({'$bt_retry', E});
error_object(E, 'return:', [V]) -> throw({'$bt_return', E, V});
error_object(E, return, []) -> throw({'$bt_return', E, nil});
error_object(_, _, _) -> nomethod.

%% `Erlang lists reverse: #(1, 2)' calls lists:reverse/1: the first keyword names the function and every
%% keyword part is one more argument. Erlang exceptions become Beamtalk errors where they are caught.
%%
%% Two conversions happen at this boundary, and nowhere else (ADR 0076). A function that refuses a String
%% because it takes charlists (`Erlang os getenv: "HOME"') is called again with the Strings as charlists,
%% and the text it answers is a String. And Erlang's `{ok, V}' / `{error, R}' (and bare `ok' / `error')
%% become `Result ok: V' / `Result error: R' (`R' as Erlang gave it, `#enoent' say, as chapter 12 of the
%% documentation has reasons; ADR 0076 would wrap it in an ErlangError).
-spec erlang_call(module(), atom(), [term()]) -> term().
erlang_call(M, Sel, Args) ->
    F = list_to_atom(hd(string:split(atom_to_list(Sel), ":"))),
    from_erlang(call_with_text(M, F, Args)).

-spec call_with_text(module(), atom(), [term()]) -> term().
call_with_text(M, F, Args) ->
    try apply(M, F, Args)
    catch
        error:Reason:Stack when Reason =:= badarg; Reason =:= function_clause ->
            case lists:any(fun is_text/1, Args) andalso refused_on_entry(M, Stack) of
                true -> text_answer(apply(M, F, [charlist(A) || A <- Args]));
                false -> erlang:raise(error, Reason, Stack)
            end
    end.

%% Whether the call failed before doing anything but look at its arguments: every frame above this module's
%% is of the module called (or a BIF it called). Only then is a second call with charlists safe.
-spec refused_on_entry(module(), list()) -> boolean().
refused_on_entry(M, Stack) ->
    Inner = lists:takewhile(fun(Frame) -> element(1, Frame) =/= ?MODULE end, Stack),
    Inner =/= [] andalso lists:all(fun(Frame) -> lists:member(element(1, Frame), [M, erlang]) end, Inner).

-spec is_text(term()) -> boolean().
is_text(B) when is_binary(B) -> is_list(unicode:characters_to_list(B));
is_text(_) -> false.

-spec charlist(term()) -> term().
charlist(B) when is_binary(B) ->
    case unicode:characters_to_list(B) of
        L when is_list(L) -> L;
        _ -> B
    end;
charlist(Other) -> Other.

%% What a function that takes charlists answers: its text (also inside `{ok, _}') as a String.
-spec text_answer(term()) -> term().
text_answer({ok, L}) -> {ok, text_answer(L)};
text_answer([_ | _] = L) ->
    case io_lib:printable_unicode_list(L) of
        true -> unicode:characters_to_binary(L);
        false -> L
    end;
text_answer(Other) -> Other.

-spec from_erlang(term()) -> term().
from_erlang({ok, V}) -> beamtalk_rt:result_ok(V);
from_erlang({error, R}) -> beamtalk_rt:result_error(R);
from_erlang(ok) -> beamtalk_rt:result_ok(nil);
from_erlang(error) -> beamtalk_rt:result_error(nil);
from_erlang(V) -> V.

%% @doc Class-side messages every class answers.
-spec class_side(atom(), atom(), [term()]) -> {ok, term()} | nomethod.
class_side('Erlang', Module, []) -> {ok, {'$bt_erlang', Module}};
class_side('Transcript', Sel, Args) -> transcript(Sel, Args);
class_side('Beamtalk', Sel, Args) -> beamtalk_system:beamtalk(Sel, Args);
class_side('WriteStream', 'on:', [Text]) when is_binary(Text) -> {ok, beamtalk_stream:write_stream(Text)};
class_side('WriteStream', new, []) -> {ok, beamtalk_stream:write_stream(<<>>)};
class_side('ReadStream', 'on:', [C]) when is_binary(C); is_list(C); element(1, C) =:= '$bt_array' ->
    {ok, beamtalk_stream:read_stream(C)};
class_side('String', 'streamContents:', [B]) when is_function(B, 1) -> {ok, beamtalk_stream:stream_contents(B)};
class_side('String', new, []) -> {ok, <<>>};
class_side('String', 'fromCodePoint:', [C]) when is_integer(C) -> {ok, code_points([C])};
class_side('String', 'fromCodePoints:', [Cs]) when is_list(Cs) -> {ok, code_points(Cs)};
%% Made here, not by an Erlang call: `Erlang erlang list_to_tuple:' would answer `{ok, V}' as a Result.
class_side('Tuple', Sel, [Items]) when Sel =:= 'withAll:'; Sel =:= 'new:' ->
    case Items of
        L when is_list(L) -> {ok, list_to_tuple(L)};
        {'$bt_array', T} -> {ok, T};
        _ -> nomethod
    end;
class_side('SystemNavigation', default, []) -> {ok, {'$bt_object', 'SystemNavigation', #{}}};
class_side('Workspace', Sel, Args) -> workspace(respond, Sel, Args);
class_side('Session', current, []) -> workspace(session, current, []);
%% The singletons' classes (chapter 22): how compiled code reaches them by name.
class_side('WorkspaceInterface', current, []) -> {ok, {'$bt_class', 'Workspace'}};
class_side('BeamtalkInterface', current, []) -> {ok, {'$bt_class', 'Beamtalk'}};
class_side('TranscriptStream', current, []) -> {ok, beamtalk_rt:transcript()};
%% The commonest class-side sends of all, which no exception class answers differently.
class_side(Class, Sel, Args) when Sel =:= spawn; Sel =:= 'spawnWith:' ->
    class_common(Class, Sel, Args);
class_side(Class, Sel, Args) ->
    case beamtalk_class:inherits_from(Class, 'Exception') of
        true -> exception_class(Class, Sel, Args);
        false -> class_common(Class, Sel, Args)
    end.

-spec exception_class(atom(), atom(), [term()]) -> {ok, term()} | nomethod.
exception_class(Class, 'signal:', [Text]) ->
    beamtalk_error:raise(Class, signal, undefined, beamtalk_print:display_string(Text));
exception_class(Class, signal, []) ->
    beamtalk_error:raise(Class, signal, undefined, atom_to_list(Class));
exception_class(Class, 'signalOn:', [Receiver]) ->
    beamtalk_error:raise(Class, signal, undefined, [beamtalk_print:print_string(Receiver), ": ", atom_to_list(Class)],
                         #{receiver => Receiver});
exception_class(Class, 'signalOn:reason:', [Receiver, Text]) ->
    beamtalk_error:raise(Class, signal, undefined, beamtalk_print:display_string(Text), #{receiver => Receiver});
exception_class(Class, new, []) ->
    {ok, {'$bt_error', Class, signal, atom_to_binary(Class, utf8), #{}}};
exception_class(Class, ',', [{'$bt_class', Other}]) ->
    {ok, {'$bt_exception_set', [Class, Other]}};
exception_class(Class, Sel, Args) ->
    class_common(Class, Sel, Args).

%% Whether `F' is a field of test class `Class' (the slot its process holds).
-spec is_fixture_field(atom(), atom()) -> boolean().
is_fixture_field(Class, F) ->
    beamtalk_class:inherits_from(Class, 'TestCase')
        andalso lists:keymember(F, 1, beamtalk_user_class:fields(Class))
        andalso erlang:get({bt_slot, F}) =/= undefined.

%% The selectors protocol `Class' requires, or none when it is no protocol.
-spec protocol_selectors(atom()) -> [atom()] | none.
protocol_selectors(Class) ->
    case beamtalk_class:is_user_class(Class) andalso beamtalk_class:module(Class) of
        false -> none;
        M ->
            case erlang:function_exported(M, ?BT_PROTOCOL_CALLBACK, 0) of
                true -> M:?BT_PROTOCOL_CALLBACK();
                false -> none
            end
    end.

%% Whether instances of `Class' answer every one of `Selectors' (a class that answers anything, through
%% its own `doesNotUnderstand:', conforms to every protocol).
-spec conforms(atom(), [atom()]) -> boolean().
conforms(Class, Selectors) ->
    Understood = selectors(Class),
    lists:member('doesNotUnderstand:', Understood)
        orelse lists:all(fun(S) -> lists:member(S, Understood) end, Selectors).

%% The String of `Codes' (Unicode code points); a number that is none is an error naming it.
-spec code_points([term()]) -> binary().
code_points(Codes) ->
    case lists:all(fun is_integer/1, Codes) andalso unicode:characters_to_binary(Codes) of
        Text when is_binary(Text) -> Text;
        _ ->
            beamtalk_error:raise('ArgumentError', bad_argument, 'String',
                                 ["fromCodePoints: takes code points (0 to 16r10FFFF, no surrogates), got ",
                                  beamtalk_print:print_string(Codes)])
    end.

-spec class_common(atom(), atom(), [term()]) -> {ok, term()} | nomethod.
class_common(Class, name, []) -> {ok, atom_to_binary(Class, utf8)};
class_common(Class, printString, []) -> {ok, atom_to_binary(Class, utf8)};
class_common(Class, superclass, []) ->
    {ok, case beamtalk_class:superclass(Class) of none -> nil; S -> {'$bt_class', S} end};
class_common(Class, methods, []) -> {ok, lists:sort(selectors(Class))};
class_common(Class, selectors, []) -> {ok, lists:sort(selectors(Class))};
class_common(Class, Sel, []) when Sel =:= allMethods; Sel =:= allSelectors -> {ok, lists:sort(selectors(Class))};
class_common(Class, 'canUnderstand:', [S]) when is_atom(S) -> {ok, lists:member(S, selectors(Class))};
class_common(Class, 'includesSelector:', [S]) when is_atom(S) -> {ok, lists:member(S, own_selectors(Class))};
class_common(Class, 'inheritsFrom:', [{'$bt_class', C}]) ->
    {ok, Class =/= C andalso beamtalk_class:inherits_from(Class, C)};
class_common(Class, allSuperclasses, []) -> {ok, [{'$bt_class', C} || C <- tl(beamtalk_class:chain(Class))]};
class_common(Class, subclasses, []) -> {ok, subclasses(Class)};
class_common(Class, allSubclasses, []) -> {ok, all_subclasses(Class)};
class_common(Class, instanceVariableNames, []) -> {ok, [F || {F, _} <- beamtalk_user_class:fields(Class)]};
class_common(_Class, category, []) -> {ok, nil};
class_common(Class, comment, []) -> {ok, class_comment(Class)};
class_common(_Class, isClass, []) -> {ok, true};
class_common(_Class, isMeta, []) -> {ok, false};
class_common(Class, new, []) -> instantiate(Class, #{});
class_common(Class, 'new:', [Init]) when is_map(Init) -> instantiate(Class, Init);
class_common(Class, spawn, []) -> spawn_actor(Class, #{});
class_common(Class, 'spawnWith:', [Init]) when is_map(Init) -> spawn_actor(Class, Init);
class_common(Class, 'spawnAs:', [Name]) when is_atom(Name) -> spawn_named(Class, Name, #{});
class_common(Class, 'spawnAs:with:', [Name, Init]) when is_atom(Name), is_map(Init) ->
    spawn_named(Class, Name, Init);
class_common(Class, 'spawnWith:as:', [Init, Name]) when is_atom(Name), is_map(Init) ->
    spawn_named(Class, Name, Init);
class_common(Class, 'spawnPersistentAs:', [Name]) when is_atom(Name) -> spawn_persistent(Class, Name, #{});
class_common(Class, 'spawnPersistentAs:with:', [Name, Init]) when is_atom(Name), is_map(Init) ->
    spawn_persistent(Class, Name, Init);
class_common(Class, 'named:', [Name]) when is_atom(Name) ->
    case is_actor_class(Class) of
        true -> {ok, beamtalk_actor:lookup(Class, Name)};
        false -> nomethod
    end;
class_common('Actor', allRegistered, []) -> {ok, beamtalk_actor:all_registered()};
class_common(Class, '>>', [Selector]) when is_atom(Selector) ->
    {ok, compiled_method(Class, instance, Selector)};
class_common(Class, sourceFile, []) ->
    workspace(respond, 'sourceFileOf:', [{'$bt_class', Class}]);
class_common(Class, 'renameTo:', [New]) ->
    workspace(respond, 'renameClass:to:', [{'$bt_class', Class}, New]);
class_common(Class, removeFromSystem, []) ->
    workspace(respond, 'removeClass:', [{'$bt_class', Class}]);
class_common(Class, reload, []) ->
    %% The class loaded again from its file, as `Workspace load:' would (the CLI of the evaluation
    %% compiles; live actors are migrated).
    case workspace(respond, 'sourceFileOf:', [{'$bt_class', Class}]) of
        {ok, File} when is_binary(File) ->
            {ok, _} = workspace(respond, 'load:', [File]),
            {ok, {'$bt_class', Class}};
        _ ->
            beamtalk_error:raise('Error', no_source_file, undefined,
                                 [atom_to_list(Class), " was not loaded from a file; hint: `beamtalk load FILE`"])
    end;
class_common(Class, Sel, Args) when Sel =:= 'compile:source:'; Sel =:= 'tryCompile:source:';
                                    Sel =:= 'removeSelector:'; Sel =:= 'removeSelector:ifAbsent:';
                                    Sel =:= 'renameSelector:to:'; Sel =:= 'renameSelector:to:ifAbsent:' ->
    method_edit(Class, instance, Sel, Args);
class_common(Class, supervisionPolicy, []) ->
    case is_actor_class(Class) of
        true -> {ok, beamtalk_actor:restart_policy(Class)};
        false -> nomethod
    end;
class_common(Class, supervisionSpec, []) ->
    case is_actor_class(Class) of
        true -> {ok, beamtalk_supervisor:spec(Class)};
        false -> nomethod
    end;
class_common(Class, supervise, []) ->
    case is_supervisor_class(Class) of
        true -> ok = concrete(Class),
                {ok, beamtalk_rt:result_of(fun() -> beamtalk_supervisor:supervise(Class) end)};
        false -> nomethod
    end;
class_common(Class, current, []) ->
    case is_supervisor_class(Class) of
        true -> {ok, beamtalk_supervisor:current(Class)};
        false -> nomethod
    end;
class_common(Class, isSupervisor, []) -> {ok, beamtalk_class:inherits_from(Class, 'Supervisor')};
%% A DynamicSupervisor's worker class, however it was given (`DynamicSupervisor(Counter) subclass:').
class_common(Class, childClass, []) ->
    case beamtalk_supervisor:worker(Class) of
        none -> nomethod;
        Worker -> {ok, {'$bt_class', Worker}}
    end;
%% Protocols (chapter 27): named sets of messages a class conforms to by answering them all.
class_common(Class, requiredMethods, []) ->
    case protocol_selectors(Class) of
        none -> nomethod;
        Selectors -> {ok, lists:sort(Selectors)}
    end;
class_common(Class, 'conformsTo:', [{'$bt_class', Protocol}]) ->
    case protocol_selectors(Protocol) of
        none -> beamtalk_error:raise('TypeError', type_error, Class,
                                     [atom_to_list(Protocol), " is no protocol; hint: `Protocol define: Name`"]);
        Selectors -> {ok, conforms(Class, Selectors)}
    end;
class_common(Class, protocols, []) ->
    {ok, [{'$bt_class', P} || {'$bt_class', P} <- beamtalk_system:all_classes(),
                              Selectors <- [protocol_selectors(P)], Selectors =/= none,
                              conforms(Class, Selectors)]};
%% A supervisor class that does not say answers the default (its own `class strategy' answers first).
class_common(Class, strategy, []) ->
    case is_supervisor_class(Class) of
        true -> {ok, beamtalk_supervisor:strategy_name(Class)};
        false -> nomethod
    end;
class_common(Class, Sel, Args) ->
    case keyword_fields(Class, Sel, Args) of
        {ok, Init} -> instantiate(Class, Init);
        nomethod -> nomethod
    end.

-spec subclasses(atom()) -> [{'$bt_class', atom()}].
subclasses(Class) ->
    [Ref || {'$bt_class', C} = Ref <- beamtalk_system:all_classes(), beamtalk_class:superclass(C) =:= Class].

-spec all_subclasses(atom()) -> [{'$bt_class', atom()}].
all_subclasses(Class) ->
    lists:append([[Ref | all_subclasses(C)] || {'$bt_class', C} = Ref <- subclasses(Class)]).

%% The `///' comment above the class, or nil.
-spec class_comment(atom()) -> binary() | nil.
class_comment(Class) ->
    M = beamtalk_class:module(Class),
    case beamtalk_class:is_user_class(Class) andalso erlang:function_exported(M, '__docs__', 0) of
        true ->
            case M:'__docs__'() of
                {<<>>, _} -> nil;
                {Doc, _} -> Doc
            end;
        false -> nil
    end.

%% `Money amount: 5 currency: #USD': a keyword constructor whose parts are field names.
-spec keyword_fields(atom(), atom(), [term()]) -> {ok, map()} | nomethod.
keyword_fields(Class, Sel, Args) ->
    Parts = [list_to_atom(P) || P <- string:lexemes(atom_to_list(Sel), ":")],
    Fields = [F || {F, _} <- beamtalk_user_class:fields(Class)],
    case Args =/= [] andalso length(Parts) =:= length(Args) andalso Parts -- Fields =:= [] of
        true -> {ok, maps:from_list(lists:zip(Parts, Args))};
        false -> nomethod
    end.

-spec instantiate(atom(), map()) -> {ok, term()} | nomethod.
instantiate(Class, Init) ->
    ok = concrete(Class),
    beamtalk_class:inherits_from(Class, 'Protocol') andalso
        beamtalk_error:raise('InstantiationError', instantiation_error, Class,
                             "is a protocol: it has no instances (classes conform to it)"),
    case beamtalk_user_class:kind(Class) of
        value -> {ok, beamtalk_user_class:new_value(Class, Init)};
        object -> {ok, beamtalk_user_class:new_object(Class)};
        %% An actor is a process: it is spawned, never made with `new' (chapter 11, the Actor protocol).
        actor when Init =:= #{} ->
            beamtalk_error:raise('InstantiationError', instantiation_error, Class,
                                 "is an actor: use spawn (or spawnWith: for initial state), not new");
        actor ->
            beamtalk_error:raise('InstantiationError', instantiation_error, Class,
                                 "is an actor: use spawnWith:, not new:");
        none when Class =:= 'Object' -> {ok, {'$bt_object', 'Object', #{}}};
        none ->
            case beamtalk_class:inherits_from(Class, 'Exception') of
                true -> nomethod;
                false -> beamtalk_error:raise('InstantiationError', instantiation_error, Class,
                                              "cannot be instantiated with new: its values are literals "
                                              "or come from other messages (3, \"text\", #(1, 2))")
            end
    end.

%% An abstract class has no instances of its own.
-spec concrete(atom()) -> ok.
concrete(Class) ->
    case lists:member(abstract, beamtalk_user_class:modifiers(Class)) of
        true -> beamtalk_error:raise('Error', instantiation_error, Class,
                                     "is abstract: create an instance of a concrete subclass");
        false -> ok
    end.

-spec spawn_actor(atom(), map()) -> {ok, term()} | nomethod.
spawn_actor(Class, Init) ->
    spawned(Class, fun() -> beamtalk_actor:spawn(Class, Init) end).

-spec spawn_named(atom(), atom(), map()) -> {ok, term()} | nomethod.
spawn_named(Class, Name, Init) ->
    spawned(Class, fun() -> beamtalk_rt:result_of(fun() -> beamtalk_actor:spawn_as(Class, Name, Init) end) end).

-spec spawn_persistent(atom(), atom(), map()) -> {ok, term()} | nomethod.
spawn_persistent(Class, Name, Init) ->
    spawned(Class, fun() -> beamtalk_rt:result_of(fun() -> beamtalk_actor:spawn_persistent(Class, Name, Init) end) end).

%% What `Start' answers when instances of `Class' are actors (spawning an abstract class is an error;
%% any other class does not understand it). One cached lookup for both questions: every spawn asks.
-spec spawned(atom(), fun(() -> term())) -> {ok, term()} | nomethod.
spawned(Class, Start) ->
    case beamtalk_class:cached({spawnable, Class}, fun() -> spawnable(Class) end) of
        actor -> {ok, Start()};
        abstract -> ok = concrete(Class), nomethod;
        other -> nomethod
    end.

-spec spawnable(atom()) -> actor | abstract | other.
spawnable(Class) ->
    case {lists:member(abstract, beamtalk_user_class:modifiers(Class)), beamtalk_user_class:kind(Class)} of
        {true, _} -> abstract;
        {false, actor} -> actor;
        {false, _} -> other
    end.

%% A class of the user's own supervisors (Supervisor and DynamicSupervisor themselves start nothing).
-spec is_supervisor_class(atom()) -> boolean().
is_supervisor_class(Class) ->
    Class =/= 'Supervisor' andalso Class =/= 'DynamicSupervisor' andalso
        beamtalk_class:inherits_from(Class, 'Supervisor').

-spec is_actor_class(atom()) -> boolean().
is_actor_class(Class) ->
    beamtalk_class:inherits_from(Class, 'Actor').

%% `Workspace' is the workspace application's (the runtime never depends on it, ADR 0009): it registers
%% the module that answers in this application's environment (`workspace_global').
-spec workspace(respond | session, atom(), [term()]) -> {ok, term()} | nomethod.
workspace(Function, Sel, Args) ->
    case application:get_env(beamtalk_runtime, workspace_global) of
        {ok, Module} -> Module:Function(Sel, Args);
        undefined -> beamtalk_error:raise('Error', no_workspace, 'Workspace', "is not running on this node")
    end.

%% @doc What a TranscriptStream does with a message, writing to `Out' (an io device); its answer.
-spec transcript_write(atom(), [term()], fun((iodata()) -> ok)) -> ok | nomethod.
transcript_write(Sel, [X], Out) when Sel =:= 'show:'; Sel =:= 'display:' -> Out(beamtalk_print:display_string(X));
transcript_write(Sel, [X], Out) when Sel =:= 'showLine:'; Sel =:= 'showln:'; Sel =:= 'displayNl:' ->
    Out([beamtalk_print:display_string(X), $\n]);
transcript_write('print:', [X], Out) -> Out(beamtalk_print:print_string(X));
transcript_write(cr, [], Out) -> Out("\n");
transcript_write(tab, [], Out) -> Out("\t");
transcript_write(space, [], Out) -> Out(" ");
transcript_write(_, _, _) -> nomethod.

-spec transcript(atom(), [term()]) -> {ok, term()} | nomethod.
transcript(Sel, Args) ->
    case transcript_write(Sel, Args, fun(Text) -> io:put_chars(Text) end) of
        ok -> {ok, {'$bt_class', 'Transcript'}};
        nomethod -> nomethod
    end.

%% @doc Selectors instances of `Class' answer (own and inherited).
-spec selectors(atom() | {meta, atom()}) -> [atom()].
selectors({meta, 'Workspace'}) ->
    %% The workspace's own messages are the workspace application's to list.
    Own = case application:get_env(beamtalk_runtime, workspace_global) of
              {ok, Module} -> Module:selectors();
              undefined -> []
          end,
    lists:usort(Own ++ selectors({meta, 'Object'}));
selectors({meta, _}) ->
    [new, spawn, 'spawnWith:', 'spawnAs:', 'spawnAs:with:', 'spawnWith:as:', 'spawnPersistentAs:',
     'spawnPersistentAs:with:', 'named:', name, methods, allMethods, allSelectors,
     superclass, selectors, 'canUnderstand:', 'includesSelector:', 'inheritsFrom:', allSuperclasses,
     subclasses, allSubclasses, instanceVariableNames, category, comment, isClass, isMeta, isSupervisor,
     'conformsTo:', protocols, sourceFile, reload, removeFromSystem, 'renameTo:', 'compile:source:', 'tryCompile:source:',
     'removeSelector:', 'removeSelector:ifAbsent:', 'renameSelector:to:', 'renameSelector:to:ifAbsent:'];
selectors(Class) ->
    lists:sort(maps:keys(beamtalk_class:methods(Class))).

%% @doc The selectors `Class' itself defines (not inherited ones).
-spec own_selectors(atom()) -> [atom()].
own_selectors('Integer') -> beamtalk_number:selectors();
own_selectors('Float') -> beamtalk_number:selectors();
own_selectors('String') -> beamtalk_string:selectors();
own_selectors('Block') -> beamtalk_block:selectors();
own_selectors(C) when C =:= 'Array'; C =:= 'List'; C =:= 'Dictionary'; C =:= 'Tuple'; C =:= 'Interval' ->
    beamtalk_collection:selectors(C);
own_selectors('UndefinedObject') -> ['ifNil:', 'ifNotNil:', 'ifNil:ifNotNil:', 'ifNotNil:ifNil:'];
own_selectors('Symbol') -> [asString, size, 'value:'];
own_selectors('Exception') ->
    [messageText, message, description, kind, hint, reason, receiver, selector, signal, 'signal:', pass,
     outer, 'resignalAs:', retry, 'return:', return];
own_selectors(C) when C =:= 'Supervisor'; C =:= 'DynamicSupervisor' -> beamtalk_supervisor:selectors(C);
own_selectors('SupervisionSpec') -> beamtalk_supervisor:spec_selectors();
own_selectors('Session') -> [id, kind, started, bindings];
own_selectors('TranscriptStream') ->
    ['show:', 'display:', 'showLine:', 'showln:', 'displayNl:', 'print:', cr, tab, space, recent, clear,
     subscribe, unsubscribe];
own_selectors('ExceptionSet') -> [','];
own_selectors('Metaclass') ->
    [name, isMeta, isClass, instanceClass, soleInstance, thisClass, superclass, selectors, methods, 'includesSelector:',
     '>>', 'compile:source:', 'tryCompile:source:', 'removeSelector:', 'removeSelector:ifAbsent:',
     'renameSelector:to:', 'renameSelector:to:ifAbsent:'];
own_selectors(C) when C =:= 'WriteStream'; C =:= 'ReadStream' -> beamtalk_stream:selectors(C);
own_selectors('SystemNavigation') -> [allClasses, allSelectors, 'classesInCategory:', 'implementorsOf:', 'sendersOf:', 'referencesTo:'];
own_selectors('Boolean') -> ['ifTrue:', 'ifFalse:', 'ifTrue:ifFalse:', 'ifFalse:ifTrue:', 'and:', 'or:'];
own_selectors('Object') ->
    [class, printString, displayString, printNl, displayNl, '=:=', '=/=', '==', '=', '/=', hash,
     'perform:', 'perform:with:', 'perform:with:with:', 'perform:withArguments:', 'isMemberOf:',
     fieldNames, 'fieldAt:', 'fieldAt:put:', inspect,
     'ifNil:', 'ifNotNil:', 'ifNil:ifNotNil:', 'ifNotNil:ifNil:', 'respondsTo:', '->', 'isKindOf:',
     isString, isSymbol, isNumber, '~=', 'error:'];
own_selectors(C) -> beamtalk_user_class:selectors(C).

%% `Point class': the class side of `Class' as an object of its own, for reflection and for editing the
%% class side (`Counter class removeSelector: #ofSize:', `Counter class >> #ofSize:').
-spec metaclass(atom(), atom(), [term()]) -> {ok, term()} | nomethod.
metaclass(Class, name, []) -> {ok, iolist_to_binary([atom_to_list(Class), " class"])};
metaclass(_Class, isMeta, []) -> {ok, true};
metaclass(_Class, isClass, []) -> {ok, false};
metaclass(Class, instanceClass, []) -> {ok, {'$bt_class', Class}};
metaclass(Class, soleInstance, []) -> {ok, {'$bt_class', Class}};
%% Chapter 24's name for it.
metaclass(Class, thisClass, []) -> {ok, {'$bt_class', Class}};
metaclass(Class, superclass, []) ->
    {ok, case beamtalk_class:superclass(Class) of
             none -> {'$bt_class', 'Class'};
             Super -> {'$bt_metaclass', Super}
         end};
metaclass(Class, Sel, []) when Sel =:= selectors; Sel =:= methods ->
    {ok, lists:usort([S || {class, S, _} <- method_sources(Class)])};
metaclass(Class, 'includesSelector:', [S]) when is_atom(S) ->
    {ok, lists:keymember(S, 2, [M || {class, _, _} = M <- method_sources(Class)])};
metaclass(Class, '>>', [S]) when is_atom(S) -> {ok, compiled_method(Class, class, S)};
metaclass(Class, Sel, Args) when Sel =:= 'compile:source:'; Sel =:= 'tryCompile:source:';
                                  Sel =:= 'removeSelector:'; Sel =:= 'removeSelector:ifAbsent:';
                                  Sel =:= 'renameSelector:to:'; Sel =:= 'renameSelector:to:ifAbsent:' ->
    method_edit(Class, class, Sel, Args);
metaclass(_Class, _Sel, _Args) -> nomethod.

%% A method of `Class' on `Side' installed or removed: the CLI running this evaluation makes the edit
%% (see `edit_class/2'); the class, or its metaclass, answers so edits chain in a cascade. `tryCompile:'
%% is logged as ephemeral: tried, not meant to be kept (a flush skips it, a restart drops it).
-spec method_edit(atom(), instance | class, atom(), [term()]) -> {ok, term()} | nomethod.
method_edit(Class, Side, 'compile:source:', [S, Source]) when is_atom(S), is_binary(Source) ->
    ok = edit_class(Class, side_edit(Side, {compile, S, Source, durable})),
    {ok, side_owner(Class, Side)};
method_edit(Class, Side, 'tryCompile:source:', [S, Source]) when is_atom(S), is_binary(Source) ->
    ok = edit_class(Class, side_edit(Side, {compile, S, Source, ephemeral})),
    {ok, side_owner(Class, Side)};
method_edit(Class, Side, 'removeSelector:', [S]) when is_atom(S) ->
    case edit_class(Class, side_edit(Side, {remove, S})) of
        not_found -> not_defined(Class, Side, S);
        ok -> {ok, side_owner(Class, Side)}
    end;
method_edit(Class, Side, 'removeSelector:ifAbsent:', [S, Absent]) when is_atom(S), is_function(Absent, 0) ->
    case edit_class(Class, side_edit(Side, {remove, S})) of
        not_found -> {ok, Absent()};
        ok -> {ok, side_owner(Class, Side)}
    end;
%% ADR 0114: the method renamed, and the `self'/`super' sends of it in the class and its subclasses
%% rewritten, but only when no subclass overrides it (else one of those sends may mean the override, and
%% only the definition is renamed). Other senders are for a person to review (`sendersOf:').
method_edit(Class, Side, 'renameSelector:to:', [Old, New]) when is_atom(Old), is_atom(New) ->
    case rename_selector(Class, Side, Old, New) of
        not_found -> not_defined(Class, Side, Old);
        ok -> {ok, side_owner(Class, Side)}
    end;
method_edit(Class, Side, 'renameSelector:to:ifAbsent:', [Old, New, Absent])
  when is_atom(Old), is_atom(New), is_function(Absent, 0) ->
    case rename_selector(Class, Side, Old, New) of
        not_found -> {ok, Absent()};
        ok -> {ok, side_owner(Class, Side)}
    end;
method_edit(_Class, _Side, _Sel, _Args) ->
    nomethod.

-spec rename_selector(atom(), instance | class, atom(), atom()) -> ok | not_found.
rename_selector(Class, Side, Old, New) ->
    Family = [Class | [C || {'$bt_class', C} <- all_subclasses(Class)]],
    Overridden = [C || C <- tl(Family), lists:keymember(Old, 2, [E || {Sd, _, _} = E <- method_sources(C), Sd =:= Side])],
    edit_class(Class, {rename, Side, Old, New, Family, Overridden =:= []}).

%% @doc The edit the CLI is asked for (see `beamtalk_io_proxy'), for a method of either side.
-spec side_edit(instance | class, tuple()) -> tuple().
side_edit(instance, Edit) -> Edit;
side_edit(class, {compile, S, Source, Intent}) -> {compile_class_side, S, Source, Intent};
side_edit(class, {remove, S}) -> {remove_class_side, S}.

-spec side_owner(atom(), instance | class) -> term().
side_owner(Class, instance) -> {'$bt_class', Class};
side_owner(Class, class) -> {'$bt_metaclass', Class}.

-spec not_defined(atom(), instance | class, atom()) -> no_return().
not_defined(Class, Side, Selector) ->
    Owner = case Side of
                instance -> atom_to_list(Class);
                class -> [atom_to_list(Class), " class"]
            end,
    beamtalk_error:raise('Error', selector_not_found, undefined,
                         [Owner, " does not define ", beamtalk_print:print_string(Selector), " itself"],
                         #{selector => Selector,
                           hint => <<"use `includesSelector:` to check first, or `removeSelector:ifAbsent:`">>}).

%% @doc A class edit: Beamtalk is compiled by the CLI running this evaluation, which its io proxy asks. Anything
%% else evaluating here (an actor's own output, an RPC) has no compiler behind its group leader.
-spec edit_class(atom(), tuple()) -> ok | not_found.
edit_class(Class, Edit) ->
    case io:request(group_leader(), {beamtalk_edit, {Class, Edit}}) of
        ok -> ok;
        {error, not_found} -> not_found;
        {error, Message} when is_binary(Message) ->
            beamtalk_error:raise('Error', compile_error, undefined, [atom_to_list(Class), ": ", Message]);
        _ ->
            beamtalk_error:raise('Error', not_supported, Class,
                                 "changing a class needs the CLI that runs this evaluation to compile "
                                 "Beamtalk (a REPL or `beamtalk eval`)")
    end.

%% The sources of `Class''s methods, both sides, from its extension methods first, then its own (as a
%% send finds them).
-spec method_sources(atom()) -> [{instance | class, atom(), binary()}].
method_sources(Class) ->
    Modules = [M || M <- [beamtalk_class:extension(Class)], M =/= none]
        ++ [beamtalk_class:module(Class) || beamtalk_class:is_user_class(Class)],
    [Entry || M <- Modules, erlang:function_exported(M, '__method_sources__', 0),
              Entry <- M:'__method_sources__'()].

%% `Counter >> #increment' (`Counter class >> #make' on the class side): the method as a CompiledMethod
%% (its selector, its source as written, its class). A class without that method (or a built-in one, whose
%% methods have no source here) raises, naming the closest selector.
-spec compiled_method(atom(), instance | class, atom()) -> tuple().
compiled_method(Class, Side, Selector) ->
    Sources = [{S, Source} || {Sd, S, Source} <- method_sources(Class), Sd =:= Side],
    case lists:keyfind(Selector, 1, Sources) of
        {_, Source} ->
            {'$bt_value', 'CompiledMethod', #{selector => Selector, source => Source,
                                              methodClass => side_owner(Class, Side)}};
        false ->
            Known = [S || {S, _} <- Sources],
            Hint = case beamtalk_spelling:suggest(Selector, Known, fun(S) -> ["#", atom_to_list(S)] end) of
                       nil -> #{};
                       H -> #{hint => H}
                   end,
            beamtalk_error:raise('Error', no_such_method, Class,
                                 io_lib:format("has no method #~s with a source here", [Selector]), Hint)
    end.
