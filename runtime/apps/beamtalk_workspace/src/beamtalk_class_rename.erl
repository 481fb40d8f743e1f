%% @doc `Counter renameTo: #Accumulator' (ADR 0114): a class of this workspace takes a new name, and the
%% code that names it is rewritten with it.
%%
%% The CLI running the evaluation does the compiling (Beamtalk is compiled there): it rewrites the name
%% in the class's own source and in the kept source of its direct subclasses (their headers) and of every
%% class the cross-reference index says names it, compiles them all, and only then installs them, the
%% renamed class first, so a rename that cannot compile changes nothing. Then this module retires the old
%% name: the old module goes, the workspace's records (actors, names, file, bindings) take the new name,
%% live actors of the class answer as the new class, and each rewritten class is logged, so a flush writes
%% the new name into the files (and moves the class's own file when it is named after the class).
%%
%% Values made under the old name live on in places no rename can reach (another actor's state, a table,
%% a closure): the old name stays an alias of the class (`beamtalk_class:rename/2'), so they keep answering.
%% The name is free for a new class all the same.
-module(beamtalk_class_rename).

-export([rename/2, rewrite_term/3]).

%% How long each live actor of the class is given to take its new name; one busy for longer keeps
%% answering under the old name (through the alias).
-define(ACTOR_TIMEOUT_MS, 2000).
%% How deep a binding's value is searched for the old name (a value nested deeper keeps it: the alias
%% still answers for it).
-define(MAX_DEPTH, 64).

%% @doc Renames class `Old' to `New'; the class under its new name.
-spec rename(atom(), atom()) -> {'$bt_class', atom()}.
rename(Old, New) ->
    ok = check(Old, New),
    Rewrite = [Old | lists:usort(subclasses(Old) ++ referrers(Old)) -- [Old]],
    case io:request(group_leader(), {beamtalk_edit, {rename_class, Old, New, Rewrite}}) of
        {ok, Rewritten} when is_list(Rewritten) ->
            ok = retire(Old, New),
            ok = log(Old, New, [binary_to_atom(C, utf8) || C <- Rewritten]),
            {'$bt_class', New};
        {error, Message} when is_binary(Message) ->
            refuse(Old, ["renameTo: ", Message]);
        _ ->
            beamtalk_error:raise('Error', not_supported, Old,
                                 "renameTo: needs the CLI that runs this evaluation to compile Beamtalk "
                                 "(a REPL or `beamtalk eval`)")
    end.

%% A class of this workspace, to a name that is a class name and no class's.
-spec check(atom(), term()) -> ok.
check(Old, New) when is_atom(New) ->
    case beamtalk_class:canonical(Old) of
        Old -> ok;
        Now -> refuse(Old, [atom_to_list(Old), " was renamed to ", atom_to_list(Now), " already; hint: `",
                            atom_to_list(Now), " renameTo: #", atom_to_list(New), "`"])
    end,
    lists:member(beamtalk_class:module(Old), beamtalk_workspace_meta:modules()) orelse
        refuse(Old, ["cannot rename ", atom_to_list(Old),
                     ": only classes loaded into this workspace can be renamed (not the standard library's)"]),
    class_name(New) orelse
        refuse(Old, [beamtalk_print:print_string(New), " is no class name; hint: a capital letter, then "
                     "letters, digits or _ (#Accumulator)"]),
    New =/= Old orelse refuse(Old, [atom_to_list(Old), " has that name already"]),
    beamtalk_class:taken(New) andalso
        refuse(Old, ["cannot rename ", atom_to_list(Old), " to ", atom_to_list(New), ": ",
                     atom_to_list(New), " already exists; hint: remove or rename the existing class first"]),
    maps:is_key(New, beamtalk_repl_state:bindings()) andalso
        refuse(Old, ["cannot rename ", atom_to_list(Old), " to ", atom_to_list(New), ": ",
                     atom_to_list(New), " is a global of this workspace; hint: `Workspace unbind: #",
                     atom_to_list(New), "` first"]),
    ok;
check(Old, New) ->
    refuse(Old, ["renameTo: takes a Symbol, not ", beamtalk_print:print_string(New)]).

-spec class_name(atom()) -> boolean().
class_name(Name) ->
    case atom_to_list(Name) of
        [First | Rest] when First >= $A, First =< $Z ->
            lists:all(fun(C) -> (C >= $a andalso C =< $z) orelse (C >= $A andalso C =< $Z)
                                    orelse (C >= $0 andalso C =< $9) orelse C =:= $_ end, Rest);
        _ -> false
    end.

-spec refuse(atom(), iodata()) -> no_return().
refuse(Class, Message) ->
    beamtalk_error:raise('Error', rename_refused, Class, Message).

%% The classes whose headers name `Class' as their superclass.
-spec subclasses(atom()) -> [atom()].
subclasses(Class) ->
    [C || {'$bt_class', C} <- beamtalk_dispatch:send({'$bt_class', Class}, subclasses, [])].

%% The classes of this workspace whose methods name `Class' (the index of what is loaded: a method patched
%% live is in it too). Extension methods of other classes are not rewritten: the alias answers for them.
-spec referrers(atom()) -> [atom()].
referrers(Class) ->
    Ours = beamtalk_workspace_meta:modules(),
    [C || {C, _, _, _} <- beamtalk_xref:references(Class),
          lists:member(beamtalk_class:module(C), Ours)].

%% The old name's records and actors moved to the new name, then its module unloaded.
-spec retire(atom(), atom()) -> ok.
retire(Old, New) ->
    OldModule = beamtalk_class:own_module(Old),
    Pids = beamtalk_actor_sup:actors_of([Old]),
    ok = beamtalk_workspace_meta:rename_class(Old, New),
    ok = beamtalk_class:rename(Old, New),
    _ = beamtalk_actor_sup:rename_class(Old, New),
    ok = beamtalk_actor_names:rename_class(Old, New),
    ok = rename_actors(Pids, Old, New),
    ok = rename_bindings(Old, New),
    ok = beamtalk_hot_reload:unload(OldModule),
    %% What is cached of the old name is computed again, as the class it stands for now.
    beamtalk_class:forget(Old).

%% Each live actor of the class takes the new name (as `self' and as its class), all at once; one that
%% does not within the deadline goes on under the old name, which the alias answers for.
-spec rename_actors([pid()], atom(), atom()) -> ok.
rename_actors(Pids, Old, New) ->
    Rename = fun({'$bt_actor', C, P}) when C =:= Old ->
                     erlang:put('$bt_actor_class', New),
                     {'$bt_actor', New, P};
                (Other) ->
                     Other
             end,
    Workers = [spawn_monitor(fun() -> sys:replace_state(Pid, Rename, ?ACTOR_TIMEOUT_MS) end) || Pid <- Pids],
    Deadline = erlang:monotonic_time(millisecond) + ?ACTOR_TIMEOUT_MS + 1000,
    lists:foreach(fun({_, Ref}) -> await(Ref, Deadline) end, Workers).

-spec await(reference(), integer()) -> ok.
await(Ref, Deadline) ->
    receive
        {'DOWN', Ref, process, _, normal} -> ok;
        {'DOWN', Ref, process, _, Why} ->
            logger:notice("an actor kept its class's old name after a rename: ~p", [Why])
    after max(0, Deadline - erlang:monotonic_time(millisecond)) ->
        erlang:demonitor(Ref, [flush]),
        ok
    end.

%% The workspace's bindings that hold the old name hold the new one.
-spec rename_bindings(atom(), atom()) -> ok.
rename_bindings(Old, New) ->
    Changed = maps:filtermap(fun(_, V) ->
                                     case rewrite_term(V, Old, New) of
                                         V -> false;
                                         V2 -> {true, V2}
                                     end
                             end, beamtalk_repl_state:bindings()),
    beamtalk_repl_state:update(Changed).

%% @doc `Term' with the values and references of class `Old' made values and references of `New', to a
%% bounded depth.
-spec rewrite_term(term(), atom(), atom()) -> term().
rewrite_term(Term, Old, New) ->
    rewrite_term(Term, Old, New, ?MAX_DEPTH).

-spec rewrite_term(term(), atom(), atom(), non_neg_integer()) -> term().
rewrite_term(Term, _Old, _New, 0) ->
    Term;
rewrite_term({Tag, Old, Rest}, Old, New, D) when Tag =:= '$bt_value'; Tag =:= '$bt_object';
                                                 Tag =:= '$bt_actor' ->
    {Tag, New, rewrite_term(Rest, Old, New, D - 1)};
rewrite_term({Tag, Old}, Old, New, _) when Tag =:= '$bt_class'; Tag =:= '$bt_metaclass' ->
    {Tag, New};
rewrite_term(List, Old, New, D) when is_list(List) ->
    rewrite_list(List, Old, New, D - 1);
rewrite_term(Tuple, Old, New, D) when is_tuple(Tuple) ->
    list_to_tuple([rewrite_term(E, Old, New, D - 1) || E <- tuple_to_list(Tuple)]);
rewrite_term(Map, Old, New, D) when is_map(Map) ->
    maps:map(fun(_, V) -> rewrite_term(V, Old, New, D - 1) end, Map);
rewrite_term(Term, _Old, _New, _) ->
    Term.

%% A list, proper or not, element by element (a long one is not a deep one).
-spec rewrite_list(term(), atom(), atom(), non_neg_integer()) -> term().
rewrite_list([H | T], Old, New, D) ->
    [rewrite_term(H, Old, New, D) | rewrite_list(T, Old, New, D)];
rewrite_list(Tail, Old, New, D) ->
    rewrite_term(Tail, Old, New, D).

%% Each rewritten class logged, the renamed one first: a flush writes the new name into its file.
-spec log(atom(), atom(), [atom()]) -> ok.
log(Old, New, Rewritten) ->
    _ = [beamtalk_changes:record(#{kind => rename_class, class => C, selector => Old,
                                   source => atom_to_binary(New, utf8)})
         || C <- Rewritten],
    ok.
