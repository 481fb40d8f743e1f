%% @doc The cross-reference index of the running system (ADR 0087): which methods send a selector, which
%% name a class, which classes implement a selector — each with where (class, side, method, line). The
%% answer to `SystemNavigation default sendersOf:', `referencesTo:' and `implementorsOf:', read from ETS
%% instead of walking every loaded module.
%%
%% It mirrors what is loaded, not the files: built on first use from every loaded class, then kept
%% current by `reindex/1', which `beamtalk_class:forget/1' calls whenever a class's code changes (a load,
%% a hot reload, a method edit, an extension, a removal). Each class module says what it sends and names
%% (`'__xref__'/0', written by the compiler); a class's rows are replaced as a whole.
-module(beamtalk_xref).
-include("beamtalk_abi.hrl").

-export([tables/0, reindex/1, invalidate/0, senders/1, references/1, implementors/1]).

-define(SENDS, beamtalk_xref_sends).
-define(REFS, beamtalk_xref_refs).
-define(IMPLS, beamtalk_xref_impls).
%% Per class, the rows it put in the three tables (so they can be taken out again), and `'$built'' once
%% the index holds every loaded class.
-define(OWNED, beamtalk_xref_owned).

-type site() :: {atom(), instance | class, atom(), non_neg_integer()}.

%% @doc Creates the index's tables (in the process that keeps the runtime's tables).
-spec tables() -> ok.
tables() ->
    Bag = [named_table, public, bag, {read_concurrency, true}],
    _ = [ets:new(T, Bag) || T <- [?SENDS, ?REFS, ?IMPLS]],
    _ = ets:new(?OWNED, [named_table, public, set]),
    ok.

%% @doc The methods that send `Selector', as `{Class, Side, Method, Line}', sorted.
-spec senders(atom()) -> [site()].
senders(Selector) ->
    lookup(?SENDS, Selector).

%% @doc The methods that name class `Class'.
-spec references(atom()) -> [site()].
references(Class) ->
    lookup(?REFS, Class).

%% @doc The classes that define `Selector' themselves (either side), sorted.
-spec implementors(atom()) -> [atom()].
implementors(Selector) ->
    lists:usort([C || {_, C} <- rows_of(?IMPLS, Selector)]).

-spec lookup(atom(), atom()) -> [site()].
lookup(Table, Key) ->
    lists:usort([{C, Side, M, L} || {_, C, Side, M, L} <- rows_of(Table, Key)]).

%% The rows under `Key': from the index, or (where the runtime's tables do not run: a bare node, a
%% test) worked out from every class there is.
-spec rows_of(atom(), atom()) -> [tuple()].
rows_of(Table, Key) ->
    case ets:whereis(?OWNED) of
        undefined ->
            [Row || {'$bt_class', C} <- beamtalk_system:all_classes(), {T, Row} <- rows(C), T =:= Table,
                    element(1, Row) =:= Key];
        _ ->
            ok = built(),
            ets:lookup(Table, Key)
    end.

%% @doc `Class''s code changed: its rows are replaced by what its modules say now (none once it is gone).
%% Nothing happens before the index is first used: it is built then from what is loaded.
-spec reindex(atom()) -> ok.
reindex(Class) ->
    case ets:whereis(?OWNED) =/= undefined andalso ets:member(?OWNED, '$built') of
        true -> index(Class);
        false -> ok
    end.

%% @doc Every class may have changed: the index is built again at its next use.
-spec invalidate() -> ok.
invalidate() ->
    case ets:whereis(?OWNED) of
        undefined -> ok;
        _ -> _ = [ets:delete_all_objects(T) || T <- [?OWNED, ?SENDS, ?REFS, ?IMPLS]], ok
    end.

%% Builds the index once, from every class there is.
-spec built() -> ok.
built() ->
    case ets:member(?OWNED, '$built') of
        true -> ok;
        false ->
            [index(C) || {'$bt_class', C} <- beamtalk_system:all_classes()],
            true = ets:insert(?OWNED, {'$built', true}),
            ok
    end.

-spec index(atom()) -> ok.
index(Class) ->
    case ets:lookup(?OWNED, Class) of
        [{_, Old}] -> [true = ets:delete_object(T, Row) || {T, Row} <- Old];
        [] -> ok
    end,
    Rows = rows(Class),
    [true = ets:insert(T, Row) || {T, Row} <- Rows],
    true = case Rows of
               [] -> ets:delete(?OWNED, Class);
               _ -> ets:insert(?OWNED, {Class, Rows})
           end,
    ok.

%% The rows of `Class': from its own module and its extension module (a class is its own module's
%% methods plus the extensions' ones), and a built-in class's selectors.
-spec rows(atom()) -> [{atom(), tuple()}].
rows(Class) ->
    Modules = [M || M <- [beamtalk_class:module(Class), beamtalk_class:extension_module(Class)],
                    erlang:module_loaded(M) orelse code:is_loaded(M) =/= false],
    Sites = lists:append([M:'__xref__'() || M <- Modules, erlang:function_exported(M, '__xref__', 0)]),
    Sends = [{?SENDS, {S, Class, Side, Method, L}} || {Side, Method, _, Sent, _} <- Sites, {S, L} <- Sent],
    Refs = [{?REFS, {R, Class, Side, Method, L}} || {Side, Method, _, _, Named} <- Sites, {R, L} <- Named],
    Own = lists:usort([S || M <- Modules, erlang:function_exported(M, '__selectors__', 0), S <- M:'__selectors__'()]
                      ++ [Method || {_, Method, _, _, _} <- Sites]
                      ++ builtin_selectors(Class)),
    Sends ++ Refs ++ [{?IMPLS, {S, Class}} || S <- Own].

-spec builtin_selectors(atom()) -> [atom()].
builtin_selectors(Class) ->
    case maps:is_key(Class, beamtalk_class:builtin()) of
        true -> beamtalk_object:own_selectors(Class);
        false -> []
    end.
