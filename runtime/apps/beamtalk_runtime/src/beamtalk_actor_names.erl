%% @doc The classes of named actors (`spawnAs:'), so a name is resolved to a typed reference without asking
%% the actor (which may be busy, or restarting). The node's registry maps the name to a pid; this table adds
%% the class, keyed by name and pid, so an entry of a previous holder of the name never answers for the
%% current one. Each entry also names the holder's supervisor, so a name whose actor is being restarted
%% can be waited for. Actors write their own entries; the table is kept by `beamtalk_tables'.
-module(beamtalk_actor_names).

-export([claim/3, class_of/2, restarting/1, rename_class/2]).

-define(TABLE, ?MODULE).

%% @doc Registers the calling actor, of `Class', as `Registered'; false if the name is taken. The class is
%% recorded before the name is, so whoever finds the name finds the class.
-spec claim(atom(), atom(), atom()) -> boolean().
claim(Registered, Name, Class) ->
    Self = self(),
    Parent = case erlang:process_info(Self, parent) of
                 {parent, P} when is_pid(P) -> P;
                 _ -> undefined
             end,
    true = ets:insert(?TABLE, {{Name, Self}, Class, Parent}),
    try register(Registered, Self) of
        true ->
            %% Entries of earlier holders of the name (which ended) are no longer needed.
            _ = ets:select_delete(?TABLE, [{{{Name, '$1'}, '_', '_'}, [{'=/=', '$1', Self}], [true]}]),
            true
    catch
        error:badarg ->
            true = ets:delete(?TABLE, {Name, Self}),
            false
    end.

%% @doc The class of the actor `Pid' holding name `Name', if it is a named actor.
-spec class_of(atom(), pid()) -> {ok, atom()} | error.
class_of(Name, Pid) ->
    case ets:whereis(?TABLE) =/= undefined andalso ets:lookup(?TABLE, {Name, Pid}) of
        [{_, Class, _}] -> {ok, Class};
        _ -> error
    end.

%% @doc Named actors recorded as of class `Old' are of class `New' (`Old renameTo: New').
-spec rename_class(atom(), atom()) -> ok.
rename_class(Old, New) ->
    _ = ets:whereis(?TABLE) =/= undefined andalso
        ets:select_replace(?TABLE, [{{'$1', Old, '$2'}, [], [{{'$1', {const, New}, '$2'}}]}]),
    ok.

%% @doc Whether the last holder of `Name' has ended while its supervisor lives on: it is being
%% restarted, and will take the name again (or its supervisor gives up, and ends).
-spec restarting(atom()) -> boolean().
restarting(Name) ->
    Holders = case ets:whereis(?TABLE) of
                  undefined -> [];
                  _ -> ets:select(?TABLE, [{{{Name, '$1'}, '_', '$2'}, [], [{{'$1', '$2'}}]}])
              end,
    lists:any(fun({Pid, Parent}) ->
                      is_pid(Parent) andalso not is_process_alive(Pid) andalso is_process_alive(Parent)
              end, Holders).
