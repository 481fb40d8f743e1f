%% @doc What an editor needs to know of the classes a node has: each class's name, superclass, the selectors
%% it adds to its superclass's, its class-side selectors and its help text. The editor server (`beamtalk
%% lsp') asks a running workspace for it; the build asks a bare node for the built-in catalog it embeds.
-module(beamtalk_catalog).

-include_lib("beamtalk_runtime/include/beamtalk_abi.hrl").

-export([classes/0]).

-type entry() :: {binary(), binary(), [binary()], [binary()], binary()}.

%% @doc Every class of this node (built-in, standard library, loaded), sorted by name. A class whose
%% facts cannot be read (a half-loaded module) is left out rather than failing the whole catalog.
-spec classes() -> [entry()].
classes() ->
    ok = beamtalk_stdlib:load_extensions(),
    Modules = [M || {M, _} <- code:all_loaded()] ++ beamtalk_stdlib:class_modules(),
    Names = lists:usort(maps:keys(beamtalk_class:builtin()) ++
                            [C || M <- Modules, C <- [beamtalk_class:of_module(M)], C =/= undefined]),
    lists:append([entry(C) || C <- Names]).

-spec entry(atom()) -> [entry()].
entry(Class) ->
    try
        true = beamtalk_class:exists(Class),
        Super = beamtalk_class:superclass(Class),
        Inherited = case Super of
                        none -> [];
                        _ -> beamtalk_object:selectors(Super)
                    end,
        Own = beamtalk_object:selectors(Class) -- Inherited,
        [{bin(Class), bin(Super), [bin(S) || S <- Own], [bin(S) || S <- class_side(Class)],
          beamtalk_system:help(Class)}]
    catch
        Kind:Reason ->
            logger:notice("beamtalk_catalog: ~p left out (~p:~p)", [Class, Kind, Reason]),
            []
    end.

%% The messages the class itself answers: every class's, and the class methods of its module and of its
%% extensions.
-spec class_side(atom()) -> [atom()].
class_side(Class) ->
    Modules = [beamtalk_class:module(Class) || beamtalk_class:is_user_class(Class)]
        ++ [E || E <- [beamtalk_class:extension(Class)], E =/= none],
    Own = [list_to_atom(Name) || M <- Modules, {F, _} <- M:module_info(exports),
                                 ?BT_CLASS_METHOD_PREFIX ++ Name <- [atom_to_list(F)]],
    lists:usort(Own ++ beamtalk_object:selectors({meta, Class})).

-spec bin(atom()) -> binary().
bin(none) -> <<"nil">>;
bin(A) -> atom_to_binary(A, utf8).
