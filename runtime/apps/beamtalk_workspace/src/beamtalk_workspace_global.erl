%% @doc The `Workspace' global: the workspace itself as an object — its actors, classes, REPL bindings,
%% metadata and attached sessions. The runtime sends `Workspace' messages here (`workspace_global' in its
%% environment).
-module(beamtalk_workspace_global).
-include_lib("beamtalk_runtime/include/beamtalk_abi.hrl").

-export([respond/2, session/2, selectors/0, global/1]).

-type actor_ref() :: {'$bt_actor', atom(), pid()}.

%% Each test's time limit for `Workspace test' (as `beamtalk test' gives by default).
-define(TEST_TIMEOUT_MS, 10000).

%% @doc The messages `Workspace' answers (for `respondsTo:').
-spec selectors() -> [atom()].
selectors() ->
    [actors, 'actorAt:', 'actorsOf:', classes, bindings, 'bind:as:', 'unbind:', info, sessions, 'load:',
     changes, clearChanges, 'revertChange:', 'sourceFileOf:', 'newClass:at:', 'moveClass:to:', 'renameClass:to:', 'removeClass:', durableActors,
     'forget:', flush, 'flush:', flushIncludingDestructive, 'flush:confirmDestructive:', globals, testClasses,
     test, 'test:', processes, supervisors, supervisor, currentSession].

%% @doc The value bound to `Name' by `Workspace bind: value as: #Name': what a send to the name `Name'
%% reaches when no class has that name (every session resolves it).
-spec global(atom()) -> {ok, term()} | error.
global(Name) ->
    maps:find(Name, beamtalk_repl_state:bindings()).

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
                      || M <- beamtalk_workspace_meta:modules(), ?BT_CLASS_MODULE_PREFIX ++ C <- [atom_to_list(M)]])};
respond(bindings, []) ->
    {ok, beamtalk_repl_state:bindings()};
respond('bind:as:', [Value, Name]) when is_atom(Name) ->
    case beamtalk_class:exists(Name) orelse lists:member(Name, ['Transcript', 'Workspace', 'Beamtalk']) of
        true ->
            beamtalk_error:raise('Error', name_taken, 'Workspace',
                                 [atom_to_binary(Name, utf8), " is a class or a global of the system; bind another name"]);
        false ->
            ok = beamtalk_repl_state:update(#{Name => Value}),
            {ok, Value}
    end;
respond('unbind:', [Name]) when is_atom(Name) ->
    {ok, beamtalk_repl_state:remove(Name)};
respond(info, []) ->
    {ok, beamtalk_workspace_meta:info()};
respond(sessions, []) ->
    {ok, [session_value(S) || S <- beamtalk_repl_shell:sessions()]};
respond('load:', [Path]) when is_binary(Path) ->
    %% The CLI running this evaluation compiles (its io server answers this request); anything else
    %% evaluating here (an actor's own output, an RPC) has no compiler behind its group leader.
    case io:request(group_leader(), {beamtalk_load, Path}) of
        {ok, Names} when is_list(Names) ->
            {ok, [{'$bt_class', binary_to_atom(N, utf8)} || N <- Names]};
        {error, Message} when is_binary(Message) ->
            beamtalk_error:raise('Error', load_failed, undefined, Message);
        _ ->
            beamtalk_error:raise('Error', not_supported, 'Workspace',
                                 "load: needs the CLI that runs this evaluation to compile Beamtalk "
                                 "(a REPL or `beamtalk eval`); use `beamtalk load PATH`")
    end;
respond(changes, []) ->
    {ok, {'$bt_value', 'ChangeLog', #{entries => [change_entry(E) || E <- beamtalk_changes:entries()]}}};
respond(clearChanges, []) ->
    ok = beamtalk_changes:clear(),
    {ok, nil};
respond('newClass:at:', [Source, Path]) when is_binary(Source), is_binary(Path) ->
    %% A class made from source here, whose file a flush writes (ADR 0082's new-class flow): the CLI of
    %% this evaluation checks the path (inside its project, not there yet, named after the class),
    %% compiles and loads the class, and logs it.
    case io:request(group_leader(), {beamtalk_edit, {new_class, Source, Path}}) of
        {ok, Name} when is_binary(Name) -> {ok, {'$bt_class', binary_to_atom(Name, utf8)}};
        {error, Message} when is_binary(Message) ->
            beamtalk_error:raise('Error', new_class_refused, undefined, ["newClass:at: ", Message]);
        _ ->
            beamtalk_error:raise('Error', not_supported, 'Workspace',
                                 "newClass:at: needs the CLI that runs this evaluation to compile Beamtalk "
                                 "(a REPL or `beamtalk eval`)")
    end;
respond('moveClass:to:', [{'$bt_class', Class}, Path]) when is_binary(Path) ->
    %% ADR 0114's path-only move: the class keeps its name, and the next flush moves its file. The CLI
    %% of this evaluation checks the class's file and the new path (inside its project, not there yet,
    %% named after the class) and logs the move.
    case io:request(group_leader(), {beamtalk_edit, {move_class, Class, Path}}) of
        {ok, To} when is_binary(To) -> {ok, {'$bt_class', Class}};
        {error, Message} when is_binary(Message) ->
            beamtalk_error:raise('Error', move_class_refused, Class, ["moveClass:to: ", Message]);
        _ ->
            beamtalk_error:raise('Error', not_supported, 'Workspace',
                                 "moveClass:to: needs the CLI that runs this evaluation (a REPL or `beamtalk eval`)")
    end;
respond('renameClass:to:', [{'$bt_class', Class}, New]) ->
    {ok, beamtalk_class_rename:rename(Class, New)};
respond('removeClass:', [{'$bt_class', Class}]) ->
    ok = remove_class(Class),
    {ok, nil};
respond('revertChange:', [Id]) when is_integer(Id) ->
    %% The method as it was before the change: its previous text compiled again, or, for a method the
    %% change added, removed. The CLI running this evaluation compiles, and logs the revert as a change.
    case beamtalk_changes:entry(Id) of
        {ok, #{kind := new_class, class := Class}} ->
            revert_new_class(Class),
            {ok, nil};
        {ok, #{kind := move_class, class := Class}} ->
            %% Not flushed yet, the file has not moved: taking the move back is forgetting it.
            ok = beamtalk_changes:discard(Id),
            {ok, {'$bt_class', Class}};
        {ok, #{kind := remove_class} = Entry} ->
            {ok, revert_removal(Entry)};
        {ok, #{kind := rename_class, selector := Old, source := New}} ->
            %% The rename rewrote several classes at once, and live actors took the new name with it.
            beamtalk_error:raise('Error', not_supported, binary_to_atom(New, utf8),
                                 ["a rename is taken back by another: `", New, " renameTo: #",
                                  atom_to_binary(Old, utf8), "`"]);
        {ok, #{class := Class, side := Side, selector := Sel, previous := nil}} ->
            _ = beamtalk_object:edit_class(Class, beamtalk_object:side_edit(Side, {remove, Sel})),
            {ok, {'$bt_class', Class}};
        {ok, #{class := Class, side := Side, selector := Sel, previous := Previous}} ->
            Edit = beamtalk_object:side_edit(Side, {compile, Sel, Previous, durable}),
            ok = beamtalk_object:edit_class(Class, Edit),
            {ok, {'$bt_class', Class}};
        error ->
            beamtalk_error:raise('Error', no_such_change, 'Workspace',
                                 ["the ChangeLog has no entry ", integer_to_list(Id)])
    end;
%% ADR 0092's flat entry points beside `processes': the supervisors started here, and the first of them
%% (the application's, when there is one), or nil.
respond(supervisors, []) ->
    {ok, beamtalk_actor_sup:supervisor_refs()};
respond(supervisor, []) ->
    {ok, case beamtalk_actor_sup:supervisor_refs() of
             [First | _] -> First;
             [] -> nil
         end};
%% ADR 0081: the same as `Session current'.
respond(currentSession, []) ->
    session(current, []);
respond(processes, []) ->
    {ok, beamtalk_process_nav:default()};
respond(globals, []) ->
    {ok, beamtalk_repl_state:bindings()};
respond(testClasses, []) ->
    {ok, [{'$bt_class', C} || C <- test_classes()]};
respond(test, []) ->
    {ok, beamtalk_test:result(beamtalk_test:run(test_classes(), all, ?TEST_TIMEOUT_MS))};
respond('test:', [{'$bt_class', Class}]) ->
    case beamtalk_test:test_classes([Class]) of
        [Class] -> {ok, beamtalk_test:result(beamtalk_test:run([Class], all, ?TEST_TIMEOUT_MS))};
        [] -> beamtalk_error:raise('Error', not_a_test_class, Class, "is not a TestCase class")
    end;
respond(flush, []) ->
    {ok, flush({flush, all})};
respond('flush:', [{'$bt_class', Class}]) ->
    {ok, flush({flush, Class})};
respond(flushIncludingDestructive, []) ->
    {ok, flush({flush, all, destructive})};
respond('flush:confirmDestructive:', [{'$bt_class', Class}, true]) ->
    {ok, flush({flush, Class, destructive})};
respond('flush:confirmDestructive:', [{'$bt_class', Class}, false]) ->
    {ok, flush({flush, Class})};
respond(durableActors, []) ->
    case beamtalk_durable:records() of
        {ok, Records} -> {ok, Records};
        {error, {unavailable, Why}} -> beamtalk_error:raise('Error', durable_unavailable, undefined, Why);
        {error, Status} -> beamtalk_error:raise('Error', durable_unavailable, undefined, io_lib:format("~p", [Status]))
    end;
respond('forget:', [Name]) when is_atom(Name) ->
    {ok, forget_durable(Name)};
respond('sourceFileOf:', [{'$bt_class', Class}]) ->
    {ok, beamtalk_workspace_meta:class_file(Class)};
respond(_, _) ->
    nomethod.

%% The TestCase classes loaded into this workspace, by name.
-spec test_classes() -> [atom()].
test_classes() ->
    Loaded = [list_to_atom(C) || M <- beamtalk_workspace_meta:modules(), ?BT_CLASS_MODULE_PREFIX ++ C <- [atom_to_list(M)]],
    beamtalk_test:test_classes(lists:usort(Loaded)).

%% `Workspace flush' / `flush: Counter' (ADR 0082): the durable changes written into their `.bt` files by
%% the CLI running this evaluation (the files and the compiler are its), inside its project; answers the
%% report. A file changed on disk since it was loaded is left alone, and that is an error (its changes
%% are kept). A removed class leaves its file only in the forms that say so (ADR 0113:
%% `flushIncludingDestructive', `flush: Counter confirmDestructive: true').
-spec flush({flush, atom()} | {flush, atom(), destructive}) -> binary().
flush(Request) ->
    case io:request(group_leader(), {beamtalk_edit, Request}) of
        {ok, Report} when is_binary(Report) -> Report;
        {error, Report} when is_binary(Report) ->
            beamtalk_error:raise('Error', flush_conflict, undefined, Report);
        _ ->
            beamtalk_error:raise('Error', not_supported, 'Workspace',
                                 "flush needs the CLI that runs this evaluation to write the files (a REPL or "
                                 "`beamtalk eval`); hint: `beamtalk workspace flush`")
    end.

%% `Workspace forget: #main': the stored state of durable actor `main' deleted, the actor stopped first if
%% it runs; whether there was any.
-spec forget_durable(atom()) -> boolean().
forget_durable(Name) ->
    case beamtalk_durable:load(Name) of
        {ok, _, _} ->
            case beamtalk_actor:named('Actor', Name) of
                nil -> ok;
                Ref -> beamtalk_dispatch:send(Ref, stop, [])
            end,
            beamtalk_durable:delete(Name) =:= ok;
        _ ->
            false
    end.

%% `Counter removeFromSystem': a class loaded into this workspace, with no subclasses, removed: its live
%% actors stopped (their `terminate' runs), its module unloaded, the workspace's records of it dropped,
%% and the removal logged. Standard library classes and classes with subclasses are refused.
-spec remove_class(atom()) -> ok.
remove_class(Class) ->
    Module = beamtalk_class:module(Class),
    lists:member(Module, beamtalk_workspace_meta:modules()) orelse
        beamtalk_error:raise('Error', cannot_remove, undefined,
                             ["cannot remove ", atom_to_list(Class),
                              ": only classes loaded into this workspace can be removed"]),
    case beamtalk_dispatch:send({'$bt_class', Class}, subclasses, []) of
        [] -> ok;
        Subclasses ->
            beamtalk_error:raise('Error', has_subclasses, undefined,
                                 [atom_to_list(Class), " has subclasses (",
                                  lists:join(", ", [atom_to_list(S) || {'$bt_class', S} <- Subclasses]),
                                  "); hint: remove them first"])
    end,
    _ = [beamtalk_dispatch:send(A, stop, []) || {'$bt_actor', C, _} = A <- actors(), C =:= Class],
    ok = beamtalk_hot_reload:unload(Module),
    ok = beamtalk_class:forget(Class),
    %% Logged while the workspace still knows the class's file.
    _ = beamtalk_changes:record(#{kind => remove_class, class => Class, selector => nil}),
    ok = beamtalk_workspace_meta:forget_module(Module).

%% A removal not flushed yet is taken back by loading the class's file again (it is still there: only a
%% destructive flush takes it away) and forgetting the removal. Changes made to the class before it was
%% removed and not flushed would be missing from what loads, so they are flushed first; a class that came
%% from no file cannot come back this way.
-spec revert_removal(beamtalk_changes:entry()) -> {'$bt_class', atom()}.
revert_removal(#{id := Id, class := Class, file := File, flushed := false}) when is_binary(File) ->
    case [E || #{class := C, id := I} = E <- beamtalk_changes:pending(), C =:= Class, I < Id] of
        [] -> ok;
        _ -> beamtalk_error:raise('Error', not_supported, Class,
                                  "has changes made before its removal that are not in its file yet; hint: "
                                  "`Workspace flush: " ++ atom_to_list(Class) ++ "` writes them, then revert")
    end,
    _ = respond('load:', [File]),
    ok = beamtalk_changes:discard(Id),
    {'$bt_class', Class};
revert_removal(#{class := Class, flushed := true}) ->
    beamtalk_error:raise('Error', not_supported, Class,
                         "was removed from its file already (a destructive flush); hint: bring the file back "
                         "(from version control) and load it");
revert_removal(#{class := Class}) ->
    beamtalk_error:raise('Error', not_supported, Class,
                         "came from no file, so there is nothing to load it again from").

%% A class made in the workspace goes again (its actors stopped, as `removeFromSystem' does). Never
%% flushed, it leaves nothing to write: its pending changes, the removal too, are settled here, so a flush
%% neither creates its file nor reports it removed.
-spec revert_new_class(atom()) -> ok.
revert_new_class(Class) ->
    ok = remove_class(Class),
    Pending = [E || #{class := C} = E <- beamtalk_changes:pending(), C =:= Class],
    case [E || #{kind := new_class} = E <- Pending] of
        [_ | _] -> beamtalk_changes:flushed([Id || #{id := Id} <- Pending]);
        [] -> ok
    end.

%% A ChangeLog entry as the Beamtalk value `ChangeEntry'.
-spec change_entry(beamtalk_changes:entry()) -> term().
change_entry(#{class := Class} = E) ->
    Fields = maps:with([id, kind, side, selector, source, previous, intent, file, at, flushed], E),
    {'$bt_value', 'ChangeEntry', Fields#{className => Class}}.

%% @doc `Session current': the session evaluating this — an attached REPL (its output goes to that REPL's
%% client, directly or through its io proxy, which monitors the client), or else a one-off evaluation
%% (`beamtalk eval', an RPC).
-spec session(atom(), [term()]) -> {ok, term()} | nomethod.
session(current, []) ->
    GL = group_leader(),
    Clients = [GL | proxied(GL)],
    {ok, case [S || #{client := C} = S <- beamtalk_repl_shell:sessions(), lists:member(C, Clients)] of
             [S | _] -> session_value(S);
             [] -> {'$bt_value', 'Session', #{id => nil, kind => eval, started => nil}}
         end};
session(_, _) ->
    nomethod.

%% The processes a local io proxy forwards to (it monitors its sink).
-spec proxied(pid()) -> [pid()].
proxied(GL) when node(GL) =:= node() ->
    case process_info(GL, monitors) of
        {monitors, Ms} -> [P || {process, P} <- Ms, is_pid(P)];
        undefined -> []
    end;
proxied(_) ->
    [].

-spec session_value(map()) -> term().
session_value(#{client := Client, since := Since}) ->
    {'$bt_value', 'Session', #{id => list_to_binary(pid_to_list(Client)), kind => repl, started => Since}}.

%% The live actors, oldest first.
-spec actors() -> [actor_ref()].
actors() ->
    Sorted = lists:sort(fun(#{started_at := A}, #{started_at := B}) -> A =< B end,
                        beamtalk_workspace_meta:actors()),
    [{'$bt_actor', Class, Pid} || #{pid := Pid, class := Class} <- Sorted, Class =/= undefined].
