%% @doc Actors: instances of `Actor subclass:' classes, each a gen_server holding its state slots.
%%
%% Sends to an actor are `gen_server' calls (5 s by default; on expiry the caller gets a TimeoutError, never
%% a hang), `actor msg!' is a cast. An error inside a method is returned to the caller and the actor goes on.
%% The runtime never depends on the workspace application (ADR 0009): whoever tracks actors registers a
%% callback module in this application's environment (`actor_spawn_callback'), and every spawned actor is
%% reported to it.
-module(beamtalk_actor).
-behaviour(gen_server).

-export([spawn/2, call/4, register_spawned/4]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

-type ref() :: {'$bt_actor', atom(), pid()}.

%% @doc Starts an actor of `Class' with slot values from `Init' (the rest from their defaults).
-spec spawn(atom(), map()) -> ref().
spawn(Class, Init) ->
    case gen_server:start(?MODULE, {Class, Init}, []) of
        {ok, Pid} ->
            ok = register_spawned(undefined, Pid, Class, beamtalk_class:module(Class)),
            {'$bt_actor', Class, Pid};
        {error, {E, _Stack}} when element(1, E) =:= '$bt_error' -> error(E);
        {error, Reason} -> beamtalk_error:raise(spawn_failed, Class, io_lib:format("failed to start: ~p", [Reason]))
    end.

%% @doc Sends a message to an actor and waits for the answer.
-spec call(ref(), atom(), [term()], timeout()) -> term().
call({'$bt_actor', Class, Pid}, Selector, Args, Timeout) ->
    try gen_server:call(Pid, {send, Selector, Args, group_leader()}, Timeout) of
        {ok, V} -> V;
        {error, E} -> error(E)
    catch
        exit:{timeout, _} ->
            beamtalk_error:raise(timeout, Class, io_lib:format("did not answer #~s within ~b ms", [Selector, Timeout]));
        exit:{noproc, _} ->
            beamtalk_error:raise(actor_dead, Class, io_lib:format("actor ~p is not running", [Pid]));
        exit:{Reason, _} ->
            beamtalk_error:raise(actor_dead, Class, io_lib:format("actor ~p stopped: ~p", [Pid, Reason]))
    end.

%% @doc Reports a freshly spawned actor to the registered tracker, if any.
-spec register_spawned(pid() | undefined, pid(), atom(), module()) -> ok.
register_spawned(RegistryPid, ActorPid, ClassName, Module) ->
    case application:get_env(beamtalk_runtime, actor_spawn_callback) of
        {ok, Callback} ->
            Callback:on_actor_spawned(RegistryPid, ActorPid, ClassName, Module);
        undefined ->
            ok
    end.

-spec init({atom(), map()}) -> {ok, ref()}.
init({Class, Init}) ->
    Self = {'$bt_actor', Class, self()},
    [erlang:put({bt_slot, F}, {value, maps:get(F, Init, undefined_default)}) || {F, _} <- beamtalk_user_class:fields(Class)],
    [erlang:put({bt_slot, F}, {value, D()}) || {F, D} <- beamtalk_user_class:fields(Class), not maps:is_key(F, Init)],
    case beamtalk_dispatch:responds_to(Self, initialize) of
        true -> _ = beamtalk_dispatch:send(Self, initialize, []);
        false -> ok
    end,
    {ok, Self}.

%% During a call the actor writes through the caller's group leader, so output reaches the REPL that asked;
%% otherwise through its own (the workspace transcript).
-spec handle_call(term(), gen_server:from(), ref()) -> {reply, term(), ref()}.
handle_call({send, Selector, Args, CallerGL}, _From, Self) ->
    Own = group_leader(),
    group_leader(CallerGL, self()),
    Reply = try {ok, beamtalk_dispatch:send(Self, Selector, Args)}
            catch C:R:S -> {error, beamtalk_error:from_exception(C, R, S)}
            after group_leader(Own, self())
            end,
    {reply, Reply, Self};
handle_call(_Other, _From, Self) ->
    {reply, {error, unknown_request}, Self}.

-spec handle_cast(term(), ref()) -> {noreply, ref()}.
handle_cast({send, Selector, Args}, Self) ->
    try beamtalk_dispatch:send(Self, Selector, Args)
    catch C:R:S ->
        logger:warning("actor ~p: #~s failed: ~p", [Self, Selector, beamtalk_error:from_exception(C, R, S)])
    end,
    {noreply, Self};
handle_cast(_Other, Self) ->
    {noreply, Self}.

-spec handle_info(term(), ref()) -> {noreply, ref()}.
handle_info(_Other, Self) ->
    {noreply, Self}.
