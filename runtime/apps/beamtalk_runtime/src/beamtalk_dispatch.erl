%% @doc Message dispatch: finds the method for a selector along the receiver's class chain.
%%
%% User classes answer through their module's `'__respond__'/3' (instance side) and `'__class_respond__'/3'
%% (class side); built-in classes through the primitive modules. A selector nobody answers raises
%% `does_not_understand' naming the receiver's class and the selector.
-module(beamtalk_dispatch).

-export([send/3, send_from/4, reply_from/4, class_of/1, responds_to/2]).

%% What an Erlang module proxy answers as an object rather than as a call to one of its functions.
-define(OBJECT_PROTOCOL(S), (S =:= printString orelse S =:= displayString orelse S =:= class
                             orelse S =:= 'respondsTo:' orelse S =:= isNil orelse S =:= notNil
                             orelse S =:= '==' orelse S =:= '=' orelse S =:= yourself orelse S =:= inspect
                             orelse S =:= printNl orelse S =:= displayNl)).

%% Actor calls wait this long by default (language.md: 5 s).
-define(ACTOR_TIMEOUT, 5000).

%% @doc Sends `Selector' with `Args' to `Receiver'.
-spec send(term(), atom(), [term()]) -> term().
send({'$bt_actor', _, Pid}, pid, []) ->
    Pid;
send({'$bt_actor', _, _} = Actor, 'withTimeout:', [Ms]) when is_integer(Ms), Ms > 0 ->
    {'$bt_timed', Actor, Ms};
send({'$bt_timed', Actor, _}, Selector, Args) when Selector =:= pid; Selector =:= isAlive;
                                                  Selector =:= stop; Selector =:= kill;
                                                  Selector =:= 'withTimeout:' ->
    send(Actor, Selector, Args);
send({'$bt_timed', Actor, Ms}, Selector, Args) ->
    beamtalk_actor:call(Actor, Selector, Args, Ms);
send({'$bt_actor', _, _} = Actor, Selector, []) when Selector =:= isAlive; Selector =:= stop;
                                                     Selector =:= kill; Selector =:= monitor;
                                                     Selector =:= link; Selector =:= unlink;
                                                     Selector =:= registeredName;
                                                     Selector =:= isRegistered;
                                                     Selector =:= unregister ->
    beamtalk_actor:lifecycle(Actor, Selector);
send({'$bt_actor', _, Pid} = Actor, 'registerAs:', [Name]) when is_atom(Name), Pid =/= self() ->
    beamtalk_actor:register_as(Actor, Name);
send({'$bt_actor', _, _} = Actor, 'onExit:', [Block]) when is_function(Block, 1) ->
    beamtalk_actor:on_exit(Actor, Block);
send({'$bt_actor', Class, Pid} = Actor, Selector, []) when (Selector =:= forget orelse Selector =:= isDurable),
                                                         Pid =/= self() ->
    %% Durable actors' lifecycle, unless the class has a method of that name.
    case maps:is_key(Selector, beamtalk_class:methods(Class)) of
        true -> beamtalk_actor:call(Actor, Selector, [], ?ACTOR_TIMEOUT);
        false -> beamtalk_actor:lifecycle(Actor, Selector)
    end;
send({'$bt_actor', _, Pid} = Actor, Selector, Args) when Pid =/= self() ->
    beamtalk_actor:call(Actor, Selector, Args, ?ACTOR_TIMEOUT);
send({'$bt_erlang', Module}, Selector, Args) when not ?OBJECT_PROTOCOL(Selector) ->
    %% `Erlang lists reverse: x' calls Erlang even where Object has a method of that name (`error:').
    beamtalk_object:erlang_call(Module, Selector, Args);
send(Receiver, Selector, Args) ->
    send_from(class_of(Receiver), Receiver, Selector, Args).

%% @doc Sends starting the method lookup at `Class' (for `super').
-spec send_from(atom() | {meta, atom()}, term(), atom(), [term()]) -> term().
send_from(Class, Receiver, Selector, Args) ->
    case lookup(Class, Receiver, Selector, Args) of
        {ok, Value} -> Value;
        nomethod when is_atom(Class) ->
            {ok, Value} = own_dnu(beamtalk_class:methods(Class), Class, Receiver, Selector, Args),
            Value;
        nomethod -> not_understood(Receiver, Selector, Args)
    end.

%% @doc As `send_from/4' for an actor's own process, answering `{ok, Value}': its reply, as the method
%% built it (a compiled method answers `{ok, Value}' already, so nothing is unwrapped and wrapped again).
-spec reply_from(atom(), term(), atom(), [term()]) -> {ok, term()}.
reply_from(Class, Receiver, Selector, Args) ->
    %% The actor's own copy of the table (`process_methods/1'), not the shared one.
    Table = beamtalk_class:process_methods(Class),
    case lookup_in(Table, Class, Receiver, Selector, Args) of
        {ok, _} = Found -> Found;
        nomethod -> own_dnu(Table, Class, Receiver, Selector, Args)
    end.

%% A message no method answers goes to the class's own `doesNotUnderstand: selector args: arguments'
%% when it (or a user superclass) defines one; otherwise it is not understood.
-spec own_dnu(#{atom() => beamtalk_class:method()}, atom(), term(), atom(), [term()]) ->
          {ok, term()}.
own_dnu(#{'doesNotUnderstand:args:' := {user, _, _}} = Table, Class, Receiver, Selector, Args)
  when Selector =/= 'doesNotUnderstand:args:' ->
    case lookup_in(Table, Class, Receiver, 'doesNotUnderstand:args:', [Selector, Args]) of
        {ok, _} = Found -> Found;
        nomethod -> not_understood(Receiver, Selector, Args)
    end;
own_dnu(_Table, _Class, Receiver, Selector, Args) ->
    not_understood(Receiver, Selector, Args).

-spec lookup(atom() | {meta, atom()}, term(), atom(), [term()]) -> {ok, term()} | nomethod.
lookup({meta, Class}, Receiver, Selector, Args) ->
    case class_responders(Class) of
        {global, Value} -> {ok, send(Value, Selector, Args)};
        Responders -> class_lookup(Responders, Class, Receiver, Selector, Args)
    end;
lookup(Class, Receiver, Selector, Args) ->
    lookup_in(beamtalk_class:methods(Class), Class, Receiver, Selector, Args).

%% The lookup in `Class''s method table `Table'.
-spec lookup_in(#{atom() => beamtalk_class:method()}, atom(), term(), atom(), [term()]) ->
          {ok, term()} | nomethod.
lookup_in(Table, Class, Receiver, Selector, Args) ->
    case Table of
        #{Selector := Responder} ->
            case answer(Responder, Receiver, Selector, Args) of
                %% Listed but declined (a built-in method whose guards do not hold): the rest may answer.
                nomethod -> instance_side(beamtalk_class:responders(Class), Receiver, Selector, Args);
                Found -> Found
            end;
        #{} ->
            %% Not listed: answered, if at all, by built-in methods no table can list (an Erlang
            %% function of any name, the fields of a value object).
            instance_side(beamtalk_class:responders(Class), Receiver, Selector, Args)
    end.

-spec answer(beamtalk_class:method() | {user, module()}, term(), atom(), [term()]) -> {ok, term()} | nomethod.
answer({builtin, C}, Receiver, Selector, Args) -> builtin(C, Receiver, Selector, Args);
answer({user, _, F}, Receiver, _Selector, Args) -> run(F, Receiver, Args);
answer({user, M}, Receiver, Selector, Args) -> run_found(M, instance, Receiver, Selector, Args).

%% `Module''s method for `Selector' on `Side', run, or `nomethod' when it defines none.
-spec run_found(module(), instance | class, term(), atom(), [term()]) -> {ok, term()} | nomethod.
run_found(Module, Side, Receiver, Selector, Args) ->
    case beamtalk_class:method_funs(Module, Side) of
        #{Selector := F} -> run(F, Receiver, Args);
        #{} -> nomethod
    end.

%% A method's function called with the receiver and the arguments (`nomethod' for arguments it cannot
%% take, which a selector's own arity rules out unless the arguments came from `perform:').
-spec run(function(), term(), [term()]) -> {ok, term()} | nomethod.
run(F, R, []) when is_function(F, 1) -> {ok, F(R)};
run(F, R, [A]) when is_function(F, 2) -> {ok, F(R, A)};
run(F, R, [A, B]) when is_function(F, 3) -> {ok, F(R, A, B)};
run(F, R, Args) ->
    case is_function(F, length(Args) + 1) of
        true -> {ok, apply(F, [R | Args])};
        false -> nomethod
    end.

-spec instance_side([{builtin, atom()} | {user, module()}], term(), atom(), [term()]) ->
          {ok, term()} | nomethod.
instance_side([], _Receiver, _Selector, _Args) ->
    nomethod;
instance_side([First | Rest], Receiver, Selector, Args) ->
    case answer(First, Receiver, Selector, Args) of
        nomethod -> instance_side(Rest, Receiver, Selector, Args);
        Found -> Found
    end.

-spec class_side([{builtin, atom()} | {user, module()}], term(), atom(), [term()]) ->
          {ok, term()} | nomethod.
class_side([], _Receiver, _Selector, _Args) ->
    nomethod;
class_side([{builtin, _} | Rest], Receiver, Selector, Args) ->
    class_side(Rest, Receiver, Selector, Args);
class_side([{user, M} | Rest], Receiver, Selector, Args) ->
    case run_found(M, class, Receiver, Selector, Args) of
        nomethod -> class_side(Rest, Receiver, Selector, Args);
        Found -> Found
    end.

-spec builtin(atom(), term(), atom(), [term()]) -> {ok, term()} | nomethod.
builtin(Class, R, S, A) when Class =:= 'Integer'; Class =:= 'Float'; Class =:= 'Number' ->
    beamtalk_number:respond(Class, R, S, A);
builtin('String', R, S, A) -> beamtalk_string:respond(R, S, A);
builtin('Block', R, S, A) -> beamtalk_block:respond(R, S, A);
builtin(Class, R, S, A) when Class =:= 'Array'; Class =:= 'List'; Class =:= 'Dictionary'; Class =:= 'Interval';
                             Class =:= 'Tuple'; Class =:= 'Collection' ->
    beamtalk_collection:respond(Class, R, S, A);
builtin(Class, R, S, A) -> beamtalk_object:respond(Class, R, S, A).

%% @doc The class of any value (`{meta, Class}' for a class itself).
-spec class_of(term()) -> atom() | {meta, atom()}.
class_of(I) when is_integer(I) -> 'Integer';
class_of(F) when is_float(F) -> 'Float';
class_of(B) when is_binary(B) -> 'String';
class_of(nil) -> 'UndefinedObject';
class_of(true) -> 'True';
class_of(false) -> 'False';
class_of(A) when is_atom(A) -> 'Symbol';
class_of(F) when is_function(F) -> 'Block';
class_of(L) when is_list(L) -> 'List';
class_of(M) when is_map(M) -> 'Dictionary';
class_of(P) when is_pid(P) -> 'Pid';
class_of({'$bt_array', _}) -> 'Array';
class_of({'$bt_interval', _, _, _}) -> 'Interval';
class_of({'$bt_class', Name}) -> {meta, Name};
class_of({'$bt_metaclass', _}) -> 'Metaclass';
class_of({'$bt_actor', Class, _}) -> Class;
class_of({'$bt_supervisor', Class, _}) -> Class;
class_of({'$bt_exception_set', _}) -> 'ExceptionSet';
class_of({'$bt_timed', {'$bt_actor', Class, _}, _}) -> Class;
class_of({'$bt_value', Class, _}) -> Class;
class_of({'$bt_object', Class, _}) -> Class;
class_of({'$bt_error', Class, _, _, _}) -> Class;
class_of({'$bt_erlang', _}) -> 'ErlangModule';
class_of(T) when is_tuple(T) -> 'Tuple';
class_of(_) -> 'Object'.

%% @doc Whether `Receiver' understands `Selector' (without sending it).
-spec responds_to(term(), atom()) -> boolean().
responds_to(Receiver, Selector) ->
    case class_of(Receiver) of
        {meta, Class} = Meta ->
            lists:member(Selector, beamtalk_object:selectors(Meta))
                orelse beamtalk_class:defines_class_method(Class, Selector);
        Class -> maps:is_key(Selector, beamtalk_class:methods(Class))
    end.

%% A message with no method for these arguments. When the receiver does understand the selector and a
%% block among the arguments is what did not fit (`1 to: 3 do: [1]'), that block's arity is the error.
-spec not_understood(term(), atom(), [term()]) -> no_return().
not_understood(Receiver, Selector, Args) ->
    Blocks = [B || B <- Args, is_function(B)],
    case Blocks =/= [] andalso understands(Receiver, Selector) of
        true ->
            Arities = lists:join(", ", [integer_to_list(beamtalk_block:arity(B)) || B <- Blocks]),
            beamtalk_error:raise('ArgumentError', wrong_arity, beamtalk_print:class_name(Receiver),
                                 [beamtalk_print:print_string(Selector), " cannot use a block of ", Arities,
                                  " argument(s) here; hint: give the block as many arguments as ",
                                  beamtalk_print:print_string(Selector), " passes it"]);
        false ->
            does_not_understand(Receiver, Selector)
    end.

-spec understands(term(), atom()) -> boolean().
understands(Receiver, Selector) ->
    case class_of(Receiver) of
        {meta, _} -> false;
        Class -> maps:is_key(Selector, beamtalk_class:methods(Class))
    end.

-spec does_not_understand(term(), atom()) -> no_return().
does_not_understand(Receiver, Selector) ->
    Extra = #{receiver => Receiver, selector => Selector, hint => hint(Receiver, Selector)},
    beamtalk_error:raise('DoesNotUnderstand', does_not_understand, beamtalk_print:class_name(Receiver),
                         ["does not understand ", beamtalk_print:print_string(Selector)], Extra).

%% `did you mean #size?': a selector the receiver understands that is one or two edits away.
-spec hint(term(), atom()) -> binary() | nil.
hint(Receiver, Selector) ->
    Known = case class_of(Receiver) of
                {meta, _} -> [];
                Class -> maps:keys(beamtalk_class:methods(Class))
            end,
    beamtalk_spelling:suggest(Selector, Known, fun beamtalk_print:print_string/1).

%% A class-side lookup in `Responders' (the class's own and its superclasses').
-spec class_lookup([{builtin, atom()} | {user, module()}], atom(), term(), atom(), [term()]) ->
          {ok, term()} | nomethod.
class_lookup(Responders, Class, Receiver, Selector, Args) ->
    case class_side(Responders, Receiver, Selector, Args) of
        nomethod ->
            case beamtalk_object:class_side(Class, Selector, Args) of
                %% A class is an object too: Object's methods, built in or added (`isNil', `yourself').
                nomethod -> instance_side(object_responders(), Receiver, Selector, Args);
                Found -> Found
            end;
        Found ->
            Found
    end.

%% Object's own methods first, then its extension methods: a class answers as any object does.
-spec object_responders() -> [{builtin, atom()} | {user, module()}].
object_responders() ->
    [{builtin, 'Object'} | [R || {user, _} = R <- beamtalk_class:responders('Object')]].

%% What answers a class's messages; for a name no class has, the value a workspace bound to it
%% (`Workspace bind: v as: #Name'), else the unknown-class error. The lookup of a real class is as before
%% (a catch frame costs nothing until something is raised).
-spec class_responders(atom()) -> [{builtin, atom()} | {user, module()}] | {global, term()}.
class_responders(Class) ->
    try
        beamtalk_class:responders(Class)
    catch
        error:Reason:Stack ->
            case bound_global(Class) of
                {ok, Value} -> {global, Value};
                error -> erlang:raise(error, Reason, Stack)
            end
    end.

-spec bound_global(atom()) -> {ok, term()} | error.
bound_global(Name) ->
    case application:get_env(beamtalk_runtime, workspace_global) of
        {ok, Module} -> Module:global(Name);
        undefined -> error
    end.
