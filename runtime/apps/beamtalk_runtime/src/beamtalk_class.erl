%% @doc The class hierarchy: built-in classes, and user classes compiled to modules `bt_class_<Name>'.
-module(beamtalk_class).

-export([superclass/1, inherits_from/2, chain/1, module/1, is_user_class/1, exists/1, builtin/0]).

-define(BUILTIN, #{
    'Object' => none,
    'Number' => 'Object', 'Integer' => 'Number', 'Float' => 'Number',
    'String' => 'Object', 'Symbol' => 'Object', 'Character' => 'Object',
    'Boolean' => 'Object', 'UndefinedObject' => 'Object', 'Block' => 'Object',
    'Collection' => 'Object', 'Array' => 'Collection', 'List' => 'Collection',
    'Dictionary' => 'Collection', 'Tuple' => 'Collection',
    'Exception' => 'Object', 'Error' => 'Exception', 'ZeroDivide' => 'Error',
    'DoesNotUnderstand' => 'Error', 'ArgumentError' => 'Error', 'IndexOutOfBounds' => 'Error',
    'TimeoutError' => 'Error',
    'Value' => 'Object', 'Actor' => 'Object',
    'Transcript' => 'Object', 'Erlang' => 'Object', 'ErlangModule' => 'Object', 'Pid' => 'Object'
}).

%% @doc The built-in classes and their superclasses.
-spec builtin() -> #{atom() => atom()}.
builtin() ->
    ?BUILTIN.

%% @doc The module a user class compiles to.
-spec module(atom()) -> module().
module(Class) ->
    list_to_atom("bt_class_" ++ atom_to_list(Class)).

%% @doc Whether `Class' is a loaded user class. Built-in names are never looked up as modules: a miss
%% makes the code server search the whole code path.
-spec is_user_class(atom()) -> boolean().
is_user_class(Class) ->
    Mod = module(Class),
    not maps:is_key(Class, ?BUILTIN) andalso
        (erlang:module_loaded(Mod) orelse code:ensure_loaded(Mod) =:= {module, Mod}).

%% @doc Whether `Class' names a class at all.
-spec exists(atom()) -> boolean().
exists(Class) ->
    maps:is_key(Class, ?BUILTIN) orelse is_user_class(Class).

%% @doc The superclass of `Class', or `none' for Object (and for unknown classes).
-spec superclass(atom()) -> atom().
superclass(Class) ->
    case maps:find(Class, ?BUILTIN) of
        {ok, Super} -> Super;
        error ->
            case is_user_class(Class) of
                true -> (module(Class)):'__superclass__'();
                false -> none
            end
    end.

%% @doc `Class' and its superclasses up to Object.
-spec chain(atom()) -> [atom()].
chain(none) -> [];
chain(Class) -> [Class | chain(superclass(Class))].

%% @doc Whether `Class' is `Ancestor' or inherits from it.
-spec inherits_from(atom(), atom()) -> boolean().
inherits_from(Class, Ancestor) ->
    lists:member(Ancestor, chain(Class)).
