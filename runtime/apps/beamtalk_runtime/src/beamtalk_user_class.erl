%% @doc What the runtime knows of a user class module: its kind, fields and methods, and instances.
-module(beamtalk_user_class).

-export([kind/1, modifiers/1, fields/1, selectors/1, new_value/2, new_object/1]).

%% @doc The modifiers a user class was declared with (`abstract', `sealed', `typed'), then
%% `{sealed, Side, Selector}' for each of its methods declared `sealed'; none for anything else.
-spec modifiers(atom()) -> [atom() | {sealed, instance | class, atom()}].
modifiers(Class) ->
    %% Cached: every spawn and `new' asks.
    beamtalk_class:cached({modifiers, Class},
                          fun() ->
                                  Mod = beamtalk_class:module(Class),
                                  case beamtalk_class:is_user_class(Class) andalso
                                      erlang:function_exported(Mod, '__modifiers__', 0) of
                                      true -> Mod:'__modifiers__'();
                                      false -> []
                                  end
                          end).

%% @doc `value', `actor' or `object' for a user class (by its root), `none' for anything else.
-spec kind(atom()) -> value | actor | object | none.
kind(Class) ->
    beamtalk_class:cached({kind, Class}, fun() -> kind_of(Class) end).

-spec kind_of(atom()) -> value | actor | object | none.
kind_of(Class) ->
    case beamtalk_class:is_user_class(Class) of
        false -> none;
        true ->
            Chain = beamtalk_class:chain(Class),
            case {lists:member('Value', Chain), lists:member('Actor', Chain)} of
                {true, _} -> value;
                {_, true} -> actor;
                _ -> object
            end
    end.

%% @doc Declared fields (Value) or state slots (Actor), superclass ones first, with their default thunks.
-spec fields(atom()) -> [{atom(), fun(() -> term())}].
fields(Class) ->
    lists:append([M:'__fields__'() || M <- beamtalk_class:user_modules(Class)]).

%% @doc Selectors defined by a user class itself.
-spec selectors(atom()) -> [atom()].
selectors(Class) ->
    case beamtalk_class:is_user_class(Class) of
        true -> (beamtalk_class:module(Class)):'__selectors__'();
        false -> []
    end.

%% @doc A value object: defaults, overridden by `Init'; unknown keys are an error.
-spec new_value(atom(), map()) -> {'$bt_value', atom(), map()}.
new_value(Class, Init) ->
    Fields = fields(Class),
    Known = [F || {F, _} <- Fields],
    case maps:keys(Init) -- Known of
        [] -> ok;
        Unknown -> beamtalk_error:raise(bad_argument, Class, io_lib:format("has no field(s) ~p", [Unknown]))
    end,
    Values = maps:from_list([{F, maps:get(F, Init, nil)} || {F, _} <- Fields, maps:is_key(F, Init)] ++
                            [{F, D()} || {F, D} <- Fields, not maps:is_key(F, Init)]),
    Obj = {'$bt_value', Class, Values},
    initialize(Obj).

%% @doc A plain object.
-spec new_object(atom()) -> {'$bt_object', atom(), map()}.
new_object(Class) ->
    initialize({'$bt_object', Class, #{}}).

-spec initialize(T) -> T.
initialize(Obj) ->
    case beamtalk_dispatch:responds_to(Obj, initialize) of
        true ->
            case beamtalk_dispatch:send(Obj, initialize, []) of
                {'$bt_value', _, _} = New -> New;
                {'$bt_object', _, _} = New -> New;
                _ -> Obj
            end;
        false -> Obj
    end.
