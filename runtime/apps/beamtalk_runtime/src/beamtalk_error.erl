%% @doc Beamtalk errors: the class of the error object, a kind (an atom), a message, and what else is known
%% (the receiver and selector of a `doesNotUnderstand', the Erlang reason of a BEAM exception, a hint).
%%
%% Errors are raised as `error({'$bt_error', Class, Kind, Message, Extra})'; Erlang exceptions are
%% translated on the way into `on:do:' handlers and the REPL: `badarith' becomes ZeroDivide, `undef'
%% DoesNotUnderstand, and any other `error', `exit' or `throw' an ErlangError, ExitError or ThrowError.
-module(beamtalk_error).

-export([raise/3, raise/4, raise/5, new/4, new/5, from_exception/3, is_kind_of/2, kind/1, message/1, class/1, extra/2,
         with_message/2, format/1, describe/1]).

-type error() :: {'$bt_error', atom(), atom(), binary(), map()}.
-export_type([error/0]).

%% @doc Raises an error of `Kind' about a receiver of class `ReceiverClass'.
-spec raise(atom(), atom() | binary(), iodata()) -> no_return().
raise(Kind, ReceiverClass, Message) ->
    raise(class_for(Kind), Kind, ReceiverClass, Message).

%% @doc Raises an error object of class `Class'.
-spec raise(atom(), atom(), atom() | binary() | undefined, iodata()) -> no_return().
raise(Class, Kind, ReceiverClass, Message) ->
    raise(Class, Kind, ReceiverClass, Message, #{}).

%% @doc The same with what else is known (`receiver', `selector', `hint', `reason').
-spec raise(atom(), atom(), atom() | binary() | undefined, iodata(), map()) -> no_return().
raise(Class, Kind, ReceiverClass, Message, Extra) ->
    error(new(Class, Kind, ReceiverClass, Message, Extra)).

%% @doc The error `raise/4' raises, as a value (for `Result error:').
-spec new(atom(), atom(), atom() | binary() | undefined, iodata()) -> error().
new(Class, Kind, ReceiverClass, Message) ->
    new(Class, Kind, ReceiverClass, Message, #{}).

-spec new(atom(), atom(), atom() | binary() | undefined, iodata(), map()) -> error().
new(Class, Kind, undefined, Message, Extra) ->
    {'$bt_error', Class, Kind, unicode:characters_to_binary(Message), Extra};
new(Class, Kind, ReceiverClass, Message, Extra) ->
    Text = unicode:characters_to_binary([to_text(ReceiverClass), " ", Message]),
    {'$bt_error', Class, Kind, Text, Extra}.

-spec to_text(atom() | binary()) -> binary().
to_text(A) when is_atom(A) -> atom_to_binary(A, utf8);
to_text(B) -> B.

-spec class_for(atom()) -> atom().
class_for(does_not_understand) -> 'DoesNotUnderstand';
class_for(badarith) -> 'ZeroDivide';
class_for(zero_divide) -> 'ZeroDivide';
class_for(wrong_arity) -> 'ArgumentError';
class_for(bad_argument) -> 'ArgumentError';
class_for(index_out_of_bounds) -> 'IndexOutOfBounds';
class_for(timeout) -> 'Timeout';
class_for(actor_dead) -> 'ActorDead';
class_for(instantiation_error) -> 'InstantiationError';
class_for(type_error) -> 'TypeError';
class_for(_) -> 'Error'.

%% @doc The Beamtalk error for any caught exception.
-spec from_exception(error | exit | throw, term(), list()) -> error().
from_exception(error, {'$bt_error', _, _, _, _} = E, _Stack) ->
    E;
from_exception(error, badarith, _Stack) ->
    {'$bt_error', 'ZeroDivide', badarith, <<"arithmetic error (division by zero or a non-number)">>,
     #{reason => badarith}};
from_exception(error, {badarith, _}, Stack) ->
    from_exception(error, badarith, Stack);
from_exception(error, undef, [{M, F, A, _} | _]) ->
    Arity = if is_list(A) -> length(A); true -> A end,
    {'$bt_error', 'DoesNotUnderstand', does_not_understand,
     unicode:characters_to_binary(io_lib:format("Erlang ~s:~s/~b is not defined", [M, F, Arity])),
     #{receiver => {'$bt_erlang', M}, selector => F, reason => undef}};
from_exception(Class, Reason, _Stack) ->
    Kind = case Reason of
               T when is_tuple(T), tuple_size(T) > 0, is_atom(element(1, T)) -> element(1, T);
               A when is_atom(A) -> A;
               _ -> Class
           end,
    {'$bt_error', erlang_class(Class), Kind,
     unicode:characters_to_binary(io_lib:format("~p", [Reason], [{chars_limit, 500}])),
     #{reason => Reason}}.

%% The classes of the BEAM's own exceptions, one for each of `error', `exit' and `throw'.
-spec erlang_class(error | exit | throw) -> atom().
erlang_class(error) -> 'ErlangError';
erlang_class(exit) -> 'ExitError';
erlang_class(throw) -> 'ThrowError'.

%% @doc Whether the error is an instance of `HandlerClass' (or of a subclass).
-spec is_kind_of(error(), atom()) -> boolean().
is_kind_of({'$bt_error', Class, _, _, _}, HandlerClass) ->
    beamtalk_class:inherits_from(Class, HandlerClass).

-spec kind(error()) -> atom().
kind({'$bt_error', _, Kind, _, _}) -> Kind.

-spec message(error()) -> binary().
message({'$bt_error', _, _, Message, _}) -> Message.

-spec class(error()) -> atom().
class({'$bt_error', Class, _, _, _}) -> Class.

%% @doc What else is known of the error under `Key' (`receiver', `selector', `reason', `hint'), or nil.
-spec extra(error(), atom()) -> term().
extra({'$bt_error', _, _, _, Extra}, Key) -> maps:get(Key, Extra, nil).

%% @doc The same error with another message (`e signal: "text"').
-spec with_message(error(), binary()) -> error().
with_message({'$bt_error', Class, Kind, _, Extra}, Message) -> {'$bt_error', Class, Kind, Message, Extra}.

%% @doc The REPL's one-line form: `ERROR: kind: message', then `; hint: ...' when there is one. An error signalled by its class (`MyError
%% signal: "x"', or `self error: "x"') has no kind that says more: its class stands there (`ERROR: MyError: x').
-spec format(error()) -> binary().
format({'$bt_error', Class, Kind, Message, Extra}) when Kind =:= signal; Kind =:= user_error ->
    unicode:characters_to_binary(["ERROR: ", atom_to_binary(Class, utf8), ": ", Message, hint_text(Extra)]);
format({'$bt_error', _, Kind, Message, Extra}) ->
    unicode:characters_to_binary(["ERROR: ", atom_to_binary(Kind, utf8), ": ", Message, hint_text(Extra)]).

-spec hint_text(map()) -> iodata().
hint_text(#{hint := Hint}) when is_binary(Hint) -> ["; hint: ", Hint];
hint_text(_) -> [].

%% @doc The error by its class, for a report about it (a failing test): `ZeroDivide: 1 / 0: division by
%% zero'. A class that says little by itself (`Error', the BEAM's own) also names the kind.
-spec describe(error()) -> binary().
describe({'$bt_error', Class, Kind, Message, _}) ->
    Name = atom_to_binary(Class, utf8),
    Generic = lists:member(Class, ['Error', 'RuntimeError', 'ErlangError', 'ExitError', 'ThrowError']),
    case Generic andalso Kind =/= signal andalso Kind =/= user_error of
        true -> unicode:characters_to_binary([Name, " (", atom_to_binary(Kind, utf8), "): ", Message]);
        false -> unicode:characters_to_binary([Name, ": ", Message])
    end.
