%% @doc The `Workspace' global: the workspace itself as an object — its actors, classes, REPL bindings,
%% metadata and attached sessions. The runtime sends `Workspace' messages here (`workspace_global' in its
%% environment).
-module(beamtalk_workspace_global).

-export([respond/2]).

-type actor_ref() :: {'$bt_actor', atom(), pid()}.

-spec respond(atom(), [term()]) -> {ok, term()} | nomethod.
respond(actors, []) ->
    {ok, actors()};
respond('actorAt:', [Pid]) when is_pid(Pid) ->
    {ok, case [A || {_, _, P} = A <- actors(), P =:= Pid] of
             [A | _] -> A;
             [] -> nil
         end};
respond('actorAt:', [Name]) when is_atom(Name) ->
    {ok, beamtalk_actor:named('Actor', Name)};
respond('actorsOf:', [{'$bt_class', Class}]) ->
    {ok, [A || {_, C, _} = A <- actors(), beamtalk_class:inherits_from(C, Class)]};
respond(classes, []) ->
    {ok, lists:usort([{'$bt_class', list_to_atom(C)}
                      || M <- beamtalk_workspace_meta:modules(), "bt_class_" ++ C <- [atom_to_list(M)]])};
respond(bindings, []) ->
    {ok, beamtalk_repl_state:bindings()};
respond('bind:as:', [Value, Name]) when is_atom(Name) ->
    ok = beamtalk_repl_state:update(#{Name => Value}),
    {ok, Value};
respond('unbind:', [Name]) when is_atom(Name) ->
    {ok, beamtalk_repl_state:remove(Name)};
respond(info, []) ->
    {ok, beamtalk_workspace_meta:info()};
respond(sessions, []) ->
    {ok, [#{client => Client, since => Since} || #{client := Client, since := Since} <- beamtalk_repl_shell:sessions()]};
respond('load:', [_]) ->
    beamtalk_error:raise('Error', not_supported, 'Workspace',
                         "load: cannot compile here: Beamtalk is compiled by the CLI. "
                         "Use `:load PATH` at the REPL or `beamtalk load PATH`");
respond(_, _) ->
    nomethod.

%% The live actors, oldest first.
-spec actors() -> [actor_ref()].
actors() ->
    Sorted = lists:sort(fun(#{started_at := A}, #{started_at := B}) -> A =< B end,
                        beamtalk_workspace_meta:actors()),
    [{'$bt_actor', Class, Pid} || #{pid := Pid, class := Class} <- Sorted, Class =/= undefined].
