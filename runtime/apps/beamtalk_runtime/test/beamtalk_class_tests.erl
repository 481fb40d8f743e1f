-module(beamtalk_class_tests).
-include_lib("eunit/include/eunit.hrl").

%% A user class module with only a superclass, as the compiler would make it.
class_module(Class, Super) ->
    Mod = beamtalk_class:module(Class),
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

of_module_names_the_class_of_class_and_extension_modules_test() ->
    ?assertEqual('Counter', beamtalk_class:of_module(bt_class_Counter)),
    ?assertEqual('Integer', beamtalk_class:of_module(bt_ext_Integer)),
    ?assertEqual(undefined, beamtalk_class:of_module(lists)).
