%% @doc Beamtalk errors: a kind (an atom), the class of the error object, and a message.
%%
%% Errors are raised as `error({'$bt_error', Class, Kind, Message})'; Erlang exceptions are translated on
%% the way into `on:do:' handlers and the REPL (`badarith' becomes ZeroDivide, `undef' DoesNotUnderstand).
-module(beamtalk_error).

-export([raise/3, raise/4, from_exception/3, is_kind_of/2, kind/1, message/1, class/1, format/1, describe/1]).

-type error() :: {'$bt_error', atom(), atom(), binary()}.
-export_type([error/0]).

%% @doc Raises an error of `Kind' about a receiver of class `ReceiverClass'.
-spec raise(atom(), atom() | binary(), iodata()) -> no_return().
raise(Kind, ReceiverClass, Message) ->
    raise(class_for(Kind), Kind, ReceiverClass, Message).

%% @doc Raises an error object of class `Class'.
-spec raise(atom(), atom(), atom() | binary() | undefined, iodata()) -> no_return().
raise(Class, Kind, undefined, Message) ->
    error({'$bt_error', Class, Kind, unicode:characters_to_binary(Message)});
raise(Class, Kind, ReceiverClass, Message) ->
    Text = unicode:characters_to_binary([to_text(ReceiverClass), " ", Message]),
    error({'$bt_error', Class, Kind, Text}).

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
class_for(_) -> 'Error'.

%% @doc The Beamtalk error for any caught exception.
-spec from_exception(error | exit | throw, term(), list()) -> error().
from_exception(error, {'$bt_error', _, _, _} = E, _Stack) ->
    E;
from_exception(error, badarith, _Stack) ->
    {'$bt_error', 'ZeroDivide', badarith, <<"arithmetic error (division by zero or a non-number)">>};
from_exception(error, {badarith, _}, Stack) ->
    from_exception(error, badarith, Stack);
from_exception(error, undef, [{M, F, A, _} | _]) ->
    Arity = if is_list(A) -> length(A); true -> A end,
    {'$bt_error', 'DoesNotUnderstand', does_not_understand,
     unicode:characters_to_binary(io_lib:format("Erlang ~s:~s/~b is not defined", [M, F, Arity]))};
from_exception(Class, Reason, _Stack) ->
    Kind = case Reason of
               T when is_tuple(T), tuple_size(T) > 0, is_atom(element(1, T)) -> element(1, T);
               A when is_atom(A) -> A;
               _ -> Class
           end,
    {'$bt_error', 'Error', Kind,
     unicode:characters_to_binary(io_lib:format("~p", [Reason], [{chars_limit, 500}]))}.

%% @doc Whether the error is an instance of `HandlerClass' (or of a subclass).
-spec is_kind_of(error(), atom()) -> boolean().
is_kind_of({'$bt_error', Class, _, _}, HandlerClass) ->
    beamtalk_class:inherits_from(Class, HandlerClass).

-spec kind(error()) -> atom().
kind({'$bt_error', _, Kind, _}) -> Kind.

-spec message(error()) -> binary().
message({'$bt_error', _, _, Message}) -> Message.

-spec class(error()) -> atom().
class({'$bt_error', Class, _, _}) -> Class.

%% @doc The REPL's one-line form: `ERROR: kind: message'.
-spec format(error()) -> binary().
format({'$bt_error', _, Kind, Message}) ->
    unicode:characters_to_binary(["ERROR: ", atom_to_binary(Kind, utf8), ": ", Message]).

%% @doc The error by its class, for a report about it (a failing test): `ZeroDivide: 1 / 0: division by
%% zero'. A plain `Error' also names its kind, which then says what happened (`Error (badmatch): ...').
-spec describe(error()) -> binary().
describe({'$bt_error', Class, Kind, Message}) ->
    Name = atom_to_binary(Class, utf8),
    case Class =:= 'Error' andalso Kind =/= signal of
        true -> unicode:characters_to_binary([Name, " (", atom_to_binary(Kind, utf8), "): ", Message]);
        false -> unicode:characters_to_binary([Name, ": ", Message])
    end.
