%% @doc Class-side variables (`classState: name = default'): one value per class and name, shared by every
%% process, kept across hot reloads of the class. A name is given its declared default the first time it
%% is read. The table is kept by `beamtalk_tables'.
-module(beamtalk_class_state).

-export([get/2, put/3]).

-define(TABLE, ?MODULE).

%% @doc The value of class variable `Name' of `Class' (its default until one is assigned).
-spec get(atom(), atom()) -> term().
get(Class, Name) ->
    case ets:lookup(?TABLE, {Class, Name}) of
        [{_, Value}] ->
            Value;
        [] ->
            Default = (declared(Class, Name))(),
            %% Two first readers compute the default; the first to store it wins, for both.
            _ = ets:insert_new(?TABLE, {{Class, Name}, Default}),
            [{_, Value}] = ets:lookup(?TABLE, {Class, Name}),
            Value
    end.

%% @doc Assigns class variable `Name' of `Class'; answers the value.
-spec put(atom(), atom(), term()) -> term().
put(Class, Name, Value) ->
    _ = declared(Class, Name),
    true = ets:insert(?TABLE, {{Class, Name}, Value}),
    Value.

%% The default of a declared class variable; anything else is an error naming the class.
-spec declared(atom(), atom()) -> fun(() -> term()).
declared(Class, Name) ->
    Module = beamtalk_class:module(Class),
    Declared = case beamtalk_class:is_user_class(Class)
                   andalso erlang:function_exported(Module, '__class_state__', 0) of
                   true -> Module:'__class_state__'();
                   false -> []
               end,
    case lists:keyfind(Name, 1, Declared) of
        {Name, Default} -> Default;
        false -> beamtalk_error:raise(no_field, Class, io_lib:format("has no class state ~s", [Name]))
    end.
