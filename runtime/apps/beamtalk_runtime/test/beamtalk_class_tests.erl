-module(beamtalk_class_tests).
-include_lib("eunit/include/eunit.hrl").

%% A user class module with only a superclass, as the compiler would make it.
class_module(Class, Super) ->
    %% The class's own module, whatever the name stands for now.
    Mod = list_to_atom("bt_class_" ++ atom_to_list(Class)),
    Src = ["-module(" ++ atom_to_list(Mod) ++ ").",
           "-export(['__superclass__'/0]).",
           "'__superclass__'() -> '" ++ atom_to_list(Super) ++ "'."],
    Forms = [begin {ok, Ts, _} = erl_scan:string(S), {ok, F} = erl_parse:parse_form(Ts), F end || S <- Src],
    {ok, Mod, Bin} = compile:forms(Forms),
    {module, Mod} = code:load_binary(Mod, atom_to_list(Mod) ++ ".erl", Bin),
    Mod.

cached_chain(Class) ->
    persistent_term:get({beamtalk_class, chain, Class}, undefined).

%% Loading a class forgets what was cached about it and its subclasses, and nothing else.
forgetting_a_class_keeps_the_facts_of_unrelated_classes_test() ->
    [class_module(C, S) || {C, S} <- [{'FgBase', 'Object'}, {'FgSub', 'FgBase'}, {'FgOther', 'Object'}]],
    try
        [beamtalk_class:chain(C) || C <- ['FgBase', 'FgSub', 'FgOther']],
        ?assertEqual(['FgSub', 'FgBase', 'Object'], cached_chain('FgSub')),
        ok = beamtalk_class:forget('FgBase'),
        ?assertEqual(undefined, cached_chain('FgBase')),
        ?assertEqual(undefined, cached_chain('FgSub')),
        ?assertEqual(['FgOther', 'Object'], cached_chain('FgOther'))
    after
        beamtalk_class:forget(),
        [begin code:purge(M), code:delete(M) end
         || M <- [bt_class_FgBase, bt_class_FgSub, bt_class_FgOther]]
    end.

%% Where the runtime keeps how facts are computed, loading a class computes its facts again: a fact that
%% changed is replaced, one that did not is left as it was (replacing a fact costs a scan of every
%% process), and the facts of a class that is gone are erased.
loading_a_class_recomputes_its_facts_and_replaces_only_changed_ones_test() ->
    ok = beamtalk_class:facts_table(),
    Probe = ets:new(probe, [public]),
    [class_module(C, S) || {C, S} <- [{'FrBase', 'Object'}, {'FrSub', 'FrBase'}]],
    try
        ets:insert(Probe, {value, 1}),
        Read = fun() -> ets:lookup_element(Probe, value, 2) end,
        ?assertEqual(1, beamtalk_class:cached({probe, 'FrSub'}, Read)),
        ['FrSub', 'FrBase', 'Object'] = beamtalk_class:chain('FrSub'),
        BaseChain = cached_chain('FrBase'),
        ets:insert(Probe, {value, 2}),
        ?assertEqual(1, beamtalk_class:cached({probe, 'FrSub'}, Read), "kept until a load"),
        class_module('FrSub', 'Object'),
        ok = beamtalk_class:forget('FrSub'),
        ?assertEqual(['FrSub', 'Object'], cached_chain('FrSub')),
        ?assertEqual(2, persistent_term:get({beamtalk_class, probe, 'FrSub'})),
        ok = beamtalk_class:forget('FrBase'),
        ?assert(erts_debug:same(BaseChain, cached_chain('FrBase'))),
        code:purge(bt_class_FrSub), code:delete(bt_class_FrSub), code:purge(bt_class_FrSub),
        ok = beamtalk_class:forget('FrSub'),
        ?assertEqual(undefined, cached_chain('FrSub')),
        ?assertEqual(undefined, persistent_term:get({beamtalk_class, probe, 'FrSub'}, undefined))
    after
        ets:delete(beamtalk_class_facts),
        ets:delete(Probe),
        beamtalk_class:forget(),
        [begin code:purge(M), code:delete(M), code:purge(M) end || M <- [bt_class_FrBase, bt_class_FrSub]]
    end.

of_module_names_the_class_of_class_and_extension_modules_test() ->
    ?assertEqual('Counter', beamtalk_class:of_module(bt_class_Counter)),
    ?assertEqual('Integer', beamtalk_class:of_module(bt_ext_Integer)),
    ?assertEqual(undefined, beamtalk_class:of_module(lists)).

%% A renamed class's old name stands for it (its chain, its superclass, `inherits_from'), yet is free: a
%% class loaded under it is a class of its own again, and names that stood for the class follow it
%% through a second rename.
an_old_name_stands_for_the_renamed_class_until_a_class_takes_it_test() ->
    class_module('RnBase', 'Object'),
    class_module('RnNew', 'RnBase'),
    try
        ok = beamtalk_class:rename('RnOld', 'RnNew'),
        ?assertEqual('RnNew', beamtalk_class:canonical('RnOld')),
        ?assert(beamtalk_class:exists('RnOld')),
        ?assertNot(beamtalk_class:taken('RnOld')),
        ?assert(beamtalk_class:taken('RnNew')),
        ?assertEqual(['RnNew', 'RnBase', 'Object'], beamtalk_class:chain('RnOld')),
        ?assert(beamtalk_class:inherits_from('RnNew', 'RnOld')),
        ok = beamtalk_class:rename('RnNew', 'RnLast'),
        ?assertEqual('RnLast', beamtalk_class:canonical('RnOld')),
        ?assertEqual('RnLast', beamtalk_class:canonical('RnNew')),
        ok = beamtalk_class:rename('RnLast', 'RnNew'),
        ?assertEqual('RnNew', beamtalk_class:canonical('RnNew')),
        class_module('RnOld', 'Object'),
        ok = beamtalk_class:forget('RnOld'),
        ?assertEqual('RnOld', beamtalk_class:canonical('RnOld')),
        ?assert(beamtalk_class:taken('RnOld')),
        ?assertEqual(['RnOld', 'Object'], beamtalk_class:chain('RnOld'))
    after
        persistent_term:erase({beamtalk_class, renamed}),
        beamtalk_class:forget(),
        [begin code:purge(M), code:delete(M) end || M <- [bt_class_RnBase, bt_class_RnNew, bt_class_RnOld]]
    end.
