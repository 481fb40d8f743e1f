%% @doc Class-side variables (`classState: name = default'): one value per class and name, shared by every
%% process, kept across hot reloads of the class. A name is given its declared default the first time it
%% is read. This server only owns the table; reads and writes go to the table directly.
-module(beamtalk_class_state).
-behaviour(gen_server).

-export([start_link/0, get/2, put/3]).
-export([init/1, handle_call/3, handle_cast/2]).

-define(TABLE, ?MODULE).

-spec start_link() -> {ok, pid()} | {error, term()}.
start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

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

-spec init([]) -> {ok, #{}}.
init([]) ->
    _ = ets:new(?TABLE, [named_table, public, set, {read_concurrency, true}]),
    {ok, #{}}.

-spec handle_call(term(), gen_server:from(), map()) -> {reply, {error, unknown_request}, map()}.
handle_call(Request, _From, S) ->
    beamtalk_unexpected:log(?MODULE, call, Request),
    {reply, {error, unknown_request}, S}.

-spec handle_cast(term(), map()) -> {noreply, map()}.
handle_cast(Msg, S) ->
    beamtalk_unexpected:log(?MODULE, cast, Msg),
    {noreply, S}.
