%% @doc Workspace export and import (ADR 0004 phase 4): what a workspace holds, as plain data.
%%
%% `export/0' gives the loaded classes' sources (in load order), every actor's class and state slots, and
%% the bindings whose values are plain data; references to actors inside bindings and slots become
%% `{'$bt_actor_key', N}' so `import/1' can relink them to the actors it spawns. Blocks, pids and other
%% values that only mean something in this node are left out and listed under `skipped'.
-module(beamtalk_workspace_export).
-include_lib("beamtalk_runtime/include/beamtalk_abi.hrl").

-export([export/0, import/1]).

%% @doc Everything exportable in this workspace.
-spec export() -> map().
export() ->
    %% Durable actors are carried by their stored state (running or not), not as live actors.
    Durable = beamtalk_durable:dump(),
    Named = [whereis(beamtalk_actor:registered_name(N)) || #{name := N} <- Durable],
    Actors = [{P, C} || #{pid := P, class := C} <- beamtalk_workspace_meta:actors(), is_atom(C),
                        not lists:member(P, Named)],
    Keys = maps:from_list([{P, N} || {{P, _}, N} <- lists:zip(Actors, lists:seq(1, length(Actors)))]),
    ActorData = [#{key => maps:get(P, Keys), class => C, slots => relink_out(slots(P), Keys)}
                 || {P, C} <- Actors],
    {Bindings, Skipped} = maps:fold(
        fun(Name, Value, {Acc, Skip}) ->
            Out = relink_out(Value, Keys),
            case is_plain(Out) of
                true -> {Acc#{Name => Out}, Skip};
                false -> {Acc, [Name | Skip]}
            end
        end, {#{}, []}, beamtalk_repl_state:bindings()),
    #{format => beamtalk_workspace_export,
      version => 1,
      workspace => maps:get(id, beamtalk_workspace_meta:info()),
      classes => [{class_name(M), M:'__source__'()} || M <- beamtalk_workspace_meta:modules(),
                                                        erlang:function_exported(M, '__source__', 0)],
      actors => ActorData,
      durable => Durable,
      bindings => Bindings,
      skipped => lists:sort(Skipped)}.

%% @doc Starts the exported actors with their state and restores the bindings (classes must be loaded).
%% No user code runs for an actor but its slots' defaults: `initialize' is skipped, since the state it
%% would set up is the one being restored. The CLI has checked the data; a class that is not an actor
%% class here is still refused before anything starts.
%% Durable actors' state goes into this workspace's own store (made for its node), and those of loaded
%% classes come back with it.
-spec import(map()) -> {ok, #{actors := non_neg_integer(), bindings := non_neg_integer()}}
                     | {error, term()}.
import(#{version := 1, actors := Actors, bindings := Bindings} = Data) ->
    case [C || #{class := C} <- Actors, not is_actor_class(C)] of
        [] ->
            case beamtalk_durable:put_records(maps:get(durable, Data, [])) of
                ok -> restore(Actors, Bindings);
                {error, Reason} -> {error, {durable, Reason}}
            end;
        [C | _] -> {error, {not_an_actor_class, C}}
    end.

-spec is_actor_class(term()) -> boolean().
is_actor_class(C) ->
    is_atom(C) andalso beamtalk_class:exists(C) andalso beamtalk_user_class:kind(C) =:= actor.

-spec restore([map()], map()) -> {ok, #{actors := non_neg_integer(), bindings := non_neg_integer()}}.
restore(Actors, Bindings) ->
    Refs = maps:from_list([{K, beamtalk_actor:restore(C)} || #{key := K, class := C} <- Actors]),
    [set_slots(maps:get(K, Refs), relink_in(S, Refs)) || #{key := K, slots := S} <- Actors],
    ok = beamtalk_repl_state:update(maps:map(fun(_, V) -> relink_in(V, Refs) end, Bindings)),
    {ok, #{actors => maps:size(Refs), bindings => maps:size(Bindings)}}.

-spec slots(pid()) -> map().
slots(Pid) ->
    case catch gen_server:call(Pid, slots, 5000) of
        {ok, Slots} -> Slots;
        _ -> #{}
    end.

-spec set_slots({'$bt_actor', atom(), pid()}, map()) -> ok.
set_slots({'$bt_actor', _, Pid}, Slots) ->
    ok = gen_server:call(Pid, {set_slots, Slots}).

-spec class_name(module()) -> atom().
class_name(Module) ->
    ?BT_CLASS_MODULE_PREFIX ++ Name = atom_to_list(Module),
    list_to_atom(Name).

-spec relink_out(term(), #{pid() => pos_integer()}) -> term().
relink_out({'$bt_actor', _, Pid} = Ref, Keys) ->
    case maps:find(Pid, Keys) of
        {ok, N} -> {'$bt_actor_key', N};
        error -> Ref
    end;
relink_out(L, Keys) when is_list(L) -> [relink_out(X, Keys) || X <- L];
relink_out(M, Keys) when is_map(M) -> maps:from_list([{relink_out(K, Keys), relink_out(V, Keys)} || {K, V} <- maps:to_list(M)]);
relink_out(T, Keys) when is_tuple(T) -> list_to_tuple(relink_out(tuple_to_list(T), Keys));
relink_out(X, _) -> X.

-spec relink_in(term(), #{pos_integer() => term()}) -> term().
relink_in({'$bt_actor_key', N}, Refs) -> maps:get(N, Refs, nil);
relink_in(L, Refs) when is_list(L) -> [relink_in(X, Refs) || X <- L];
relink_in(M, Refs) when is_map(M) -> maps:from_list([{relink_in(K, Refs), relink_in(V, Refs)} || {K, V} <- maps:to_list(M)]);
relink_in(T, Refs) when is_tuple(T) -> list_to_tuple(relink_in(tuple_to_list(T), Refs));
relink_in(X, _) -> X.

%% Data that means the same on any node.
-spec is_plain(term()) -> boolean().
is_plain(X) when is_number(X); is_atom(X); is_binary(X) -> true;
is_plain(L) when is_list(L) -> lists:all(fun is_plain/1, L);
is_plain(M) when is_map(M) -> lists:all(fun({K, V}) -> is_plain(K) andalso is_plain(V) end, maps:to_list(M));
is_plain({'$bt_actor', _, _}) -> false;
is_plain(T) when is_tuple(T) -> is_plain(tuple_to_list(T));
is_plain(_) -> false.
