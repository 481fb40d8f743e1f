%% @doc The class hierarchy: built-in classes, and user classes compiled to modules `bt_class_<Name>'.
-module(beamtalk_class).
-include("beamtalk_abi.hrl").

-export([superclass/1, inherits_from/2, chain/1, responders/1, forget/0, forget/1, of_module/1, unknown/1,
         start_generations/0, facts_table/0,
         defines_class_method/2, user_modules/1, initializers/1, required/1, starts_alone/1, cached/2,
         process_methods/1, module/1, is_user_class/1,
         extension_module/1, extension/1, methods/1, method_funs/2, method_of/1,
         exists/1, taken/1, builtin/0, canonical/1, rename/2, own_module/1]).

%% What answers one selector in a method table: built-in methods of a class, or a user module's method
%% as the function that runs it (`fun Module:'i:sel'/N').
-type method() :: {builtin, atom()} | {user, module(), function()}.
-export_type([method/0]).

%% Where the generation counter of the method tables is kept (outside the `{?MODULE, _, _}' keys that
%% `forget/0' erases).
-define(GENERATION, {?MODULE, generation}).
%% The names classes had before `renameTo:', each with the class it stands for now (see `rename/2').
-define(RENAMED, {?MODULE, renamed}).
%% How each cached fact was computed: `{Key, Seq, Compute}' (see `refresh/1').
-define(FACTS, beamtalk_class_facts).

-define(BUILTIN, #{
    'Object' => none, 'Class' => 'Object',
    'Number' => 'Object', 'Integer' => 'Number', 'Float' => 'Number',
    'String' => 'Object', 'Symbol' => 'Object', 'Character' => 'Object',
    'Boolean' => 'Object', 'True' => 'Boolean', 'False' => 'Boolean', 'UndefinedObject' => 'Object',
    'Block' => 'Object',
    'Collection' => 'Value', 'Array' => 'Collection', 'List' => 'Collection',
    'Dictionary' => 'Collection', 'Tuple' => 'Collection', 'Interval' => 'Collection',
    'Exception' => 'Object', 'Error' => 'Exception', 'ArithmeticError' => 'Error',
    'ZeroDivide' => 'ArithmeticError', 'TypeError' => 'Error', 'InstantiationError' => 'Error',
    'ImmutableValue' => 'Error', 'ExitError' => 'Error', 'ThrowError' => 'Error',
    %% What goes wrong in dispatch and at the Erlang boundary, as chapter 12 groups it.
    'RuntimeError' => 'Error', 'DoesNotUnderstand' => 'RuntimeError', 'ErlangError' => 'RuntimeError',
    'ArgumentError' => 'Error', 'IndexOutOfBounds' => 'Error',
    'Timeout' => 'Error', 'ActorDead' => 'Error',
    'Value' => 'Object', 'Actor' => 'Object',
    'Supervisor' => 'Object', 'DynamicSupervisor' => 'Supervisor', 'SupervisionSpec' => 'Value',
    'Transcript' => 'Object', 'TranscriptStream' => 'Actor', 'Erlang' => 'Object', 'ErlangModule' => 'Object', 'Pid' => 'Object',
    'Beamtalk' => 'Object', 'SystemNavigation' => 'Object', 'Workspace' => 'Object', 'Session' => 'Value',
    'WorkspaceInterface' => 'Object', 'BeamtalkInterface' => 'Object',
    'ExceptionSet' => 'Object', 'WriteStream' => 'Object', 'ReadStream' => 'Object', 'Metaclass' => 'Object',
    'Protocol' => 'Object'
}).

%% @doc The built-in classes and their superclasses.
-spec builtin() -> #{atom() => atom()}.
builtin() ->
    ?BUILTIN.

%% @doc The module a user class compiles to.
-spec module(atom()) -> module().
module(Class) ->
    own_module(canonical(Class)).

%% @doc The module of the class named `Class' itself, whatever class the name stands for now (`module/1').
-spec own_module(atom()) -> module().
own_module(Class) ->
    binary_to_atom(<<?BT_CLASS_MODULE_PREFIX, (atom_to_binary(Class, utf8))/binary>>, utf8).

%% @doc The class `Name' stands for: itself, or the class it was renamed to.
-spec canonical(atom()) -> atom().
canonical(Name) ->
    case persistent_term:get(?RENAMED, #{}) of
        #{Name := Class} -> Class;
        #{} -> Name
    end.

%% @doc `Old renameTo: New': the name `Old' stands for class `New' from now on, so that values and
%% references made under the old name (in bindings, in other actors' state, in code no rename rewrote)
%% keep answering as the class does. The old name is free all the same (`taken/1'): a class loaded
%% under it ends the alias (`forget/1').
-spec rename(atom(), atom()) -> ok.
rename(Old, New) ->
    Renamed = maps:remove(New, persistent_term:get(?RENAMED, #{})),
    Repointed = maps:map(fun(_, C) when C =:= Old -> New; (_, C) -> C end, Renamed),
    persistent_term:put(?RENAMED, Repointed#{Old => New}).

%% A name a class has been loaded under again stands for that class.
-spec drop_alias(atom()) -> ok.
drop_alias(Class) ->
    Renamed = persistent_term:get(?RENAMED, #{}),
    case is_map_key(Class, Renamed) andalso erlang:module_loaded(own_module(Class)) of
        true -> persistent_term:put(?RENAMED, maps:remove(Class, Renamed));
        false -> ok
    end.

%% @doc The class whose code `Module' holds (`bt_class_Counter', `bt_ext_Counter': `Counter'), or
%% undefined for any other module.
-spec of_module(module()) -> atom() | undefined.
of_module(Module) ->
    case atom_to_list(Module) of
        ?BT_CLASS_MODULE_PREFIX ++ C -> list_to_atom(C);
        ?BT_EXTENSION_MODULE_PREFIX ++ C -> list_to_atom(C);
        _ -> undefined
    end.

%% @doc The module that holds the extension methods of `Class' (`Integer >> double => ...').
-spec extension_module(atom()) -> module().
extension_module(Class) ->
    list_to_atom(?BT_EXTENSION_MODULE_PREFIX ++ atom_to_list(Class)).

%% @doc The loaded extension module of `Class', or `none'. Extensions are loaded with
%% `code:load_binary/3', never from the code path, so nothing is searched for.
-spec extension(atom()) -> module() | none.
extension(Class) ->
    Mod = extension_module(Class),
    case erlang:module_loaded(Mod) of
        true -> Mod;
        false -> none
    end.

%% @doc Whether `Class' is a loaded user class. Built-in names are never looked up as modules: a miss
%% makes the code server search the whole code path.
-spec is_user_class(atom()) -> boolean().
is_user_class(Class) ->
    Mod = module(Class),
    not maps:is_key(Class, ?BUILTIN) andalso
        (erlang:module_loaded(Mod) orelse code:ensure_loaded(Mod) =:= {module, Mod}).

%% @doc Raises `unknown class', with the closest class name as a hint (`did you mean Counter?').
-spec unknown(atom()) -> no_return().
unknown(Class) ->
    Known = maps:keys(?BUILTIN) ++ [C || {M, _} <- code:all_loaded(), C <- [of_module(M)], C =/= undefined],
    Hint = beamtalk_spelling:suggest(Class, lists:usort(Known), fun(C) -> atom_to_binary(C, utf8) end),
    beamtalk_error:raise('Error', unknown_class, undefined, ["unknown class ", atom_to_binary(Class, utf8)],
                         #{hint => Hint}).

%% @doc Whether `Class' names a class at all (an old name of a renamed class does).
-spec exists(atom()) -> boolean().
exists(Class) ->
    maps:is_key(Class, ?BUILTIN) orelse is_user_class(Class).

%% @doc Whether a class has the name `Name' (not only as its old name): a new class may not take it.
-spec taken(atom()) -> boolean().
taken(Name) ->
    canonical(Name) =:= Name andalso exists(Name).

%% @doc The superclass of `Class', or `none' for Object (and for unknown classes).
-spec superclass(atom()) -> atom().
superclass(Class) ->
    case maps:find(Class, ?BUILTIN) of
        {ok, Super} -> Super;
        error ->
            case is_user_class(Class) of
                true -> (module(Class)):'__superclass__'();
                false -> none
            end
    end.

%% @doc `Class' and its superclasses up to Object. Cached per class (see `forget/0').
-spec chain(atom()) -> [atom()].
chain(none) -> [];
chain(Class) ->
    %% An old name's chain is its class's, so that the class's loads refresh what is cached of it.
    cached({chain, Class}, fun() -> [canonical(Class) | chain(superclass(Class))] end).

%% @doc What answers messages to instances of `Class', most specific first: `{builtin, C}' for a built-in
%% class, `{user, Module}' for a user class's module. Cached, so a send does no atom building or
%% superclass walk; an unknown class raises `unknown class'.
-spec responders(atom()) -> [{builtin, atom()} | {user, module()}].
responders(Class) ->
    cached({responders, Class},
           fun() ->
                   exists(Class) orelse unknown(Class),
                   %% A class's extension methods come before its own, as Smalltalk's replace them.
                   lists:append([[{user, M} || M <- [extension(C)], M =/= none] ++
                                     [case maps:is_key(C, ?BUILTIN) of
                                          true -> {builtin, C};
                                          false -> {user, module(C)}
                                      end] || C <- chain(Class)])
           end).

%% @doc The method table of `Class': every selector its instances answer, with the responder that answers
%% it (the most specific: an extension module, then the class's own module or built-in methods, then its
%% superclass's...). Flattened once per class and cached like the responders, so it is rebuilt whenever a
%% class or an extension loads. Dispatch, `respondsTo:', completion and `methods' all read it.
-spec methods(atom()) -> #{atom() => method()}.
methods(Class) ->
    %% Every send reads this: the hit path builds no closure.
    case persistent_term:get({?MODULE, methods, Class}, undefined) of
        undefined -> cached({methods, Class}, fun() -> method_table(Class) end);
        Table -> Table
    end.

-spec method_table(atom()) -> #{atom() => method()}.
method_table(Class) ->
    Table = lists:foldl(fun(R, Table) -> maps:merge(responder_methods(R), Table) end, #{}, responders(Class)),
    %% A value object's fields read as unary messages, unless a method says otherwise.
    Fields = [{F, {builtin, 'Value'}} || beamtalk_user_class:kind(Class) =:= value,
                                         {F, _} <- beamtalk_user_class:fields(Class)],
    maps:merge(maps:from_list(Fields), Table).

%% A responder's methods: a user module's as the functions that run them, so that a send calls the method
%% it looked up with no second lookup in the module.
-spec responder_methods({builtin, atom()} | {user, module()}) -> #{atom() => method()}.
responder_methods({builtin, C} = R) -> maps:from_list([{S, R} || S <- beamtalk_object:own_selectors(C)]);
responder_methods({user, M}) -> maps:map(fun(_, F) -> {user, M, F} end, method_funs(M, instance)).

%% @doc The methods `Module' (a class's or an extension's) defines on one side, each as a fun of the
%% receiver and the arguments: read from its exports (`'i:sel'', `'c:sel'', see `beamtalk_abi.hrl').
%% Cached until the next load of its class.
-spec method_funs(module(), instance | class) -> #{atom() => function()}.
method_funs(Module, Side) ->
    Class = case of_module(Module) of
                undefined -> Module;
                C -> canonical(C)
            end,
    cached({{method_funs, Module, Side}, Class}, fun() -> exported_methods(Module, Side) end).

-spec exported_methods(module(), instance | class) -> #{atom() => function()}.
exported_methods(Module, Side) ->
    maps:from_list([{Selector, erlang:make_fun(Module, F, A)}
                    || {F, A} <- Module:module_info(exports), {ok, {S, Selector}} <- [method_of(F)], S =:= Side]).

%% @doc The method a function of a class module runs, by the naming scheme of `beamtalk_abi.hrl'
%% (`'i:sel'', `'c:sel''), or `none' for any other function.
-spec method_of(atom()) -> {ok, {instance | class, atom()}} | none.
method_of(Function) ->
    case atom_to_list(Function) of
        ?BT_INSTANCE_METHOD_PREFIX ++ Sel -> {ok, {instance, list_to_atom(Sel)}};
        ?BT_CLASS_METHOD_PREFIX ++ Sel -> {ok, {class, list_to_atom(Sel)}};
        _ -> none
    end.

%% @doc The `initialize' methods a new instance of `Class' runs, the most distant ancestor's first (ADR
%% 0078: parents are initialized before their children, and nobody writes `super initialize'), each a fun
%% of the instance. For each class, its extension's `initialize' replaces its own, as it does for a send.
%% Cached until the next load.
-spec initializers(atom()) -> [function()].
initializers(Class) ->
    cached({initializers, Class},
           fun() ->
                   Own = fun(C) ->
                                 Candidates = [M || M <- [extension(C)], M =/= none] ++
                                     [module(C) || is_user_class(C)],
                                 [F || M <- Candidates, #{initialize := F} <- [method_funs(M, instance)]]
                         end,
                   [hd(Fs) || C <- lists:reverse(chain(Class)), Fs <- [Own(C)], Fs =/= []]
           end).

%% @doc The slots of `Class' (its own and inherited) that a `typed' class declares with a type and no
%% default, with their types: `initialize' must set them. Cached until the next load.
-spec required(atom()) -> [{atom(), binary()}].
required(Class) ->
    cached({required, Class},
           fun() ->
                   [R || M <- user_modules(Class), erlang:function_exported(M, '__required__', 0),
                         R <- M:'__required__'()]
           end).

%% @doc The slots (with their defaults) of an instance of actor class `Class' that can start with nobody
%% waiting for it: its start runs no `initialize' (none in its chain), checks no typed state, and its slot
%% defaults do not mention `self', so its spawner can compute them (and hear their errors). `waited'
%% otherwise. Cached until the next load: every spawn asks.
-spec starts_alone(atom()) -> {alone, [{atom(), fun(() -> term())}]} | waited.
starts_alone(Class) ->
    cached({starts_alone, Class},
           fun() ->
                   SelfFree = fun(M) -> erlang:function_exported(M, '__self_free_defaults__', 0)
                                            andalso M:'__self_free_defaults__'()
                              end,
                   case is_user_class(Class) andalso initializers(Class) =:= [] andalso required(Class) =:= []
                       andalso lists:all(SelfFree, user_modules(Class)) of
                       true -> {alone, lists:append([M:'__fields__'() || M <- user_modules(Class)])};
                       false -> waited
                   end
           end).

%% @doc Whether user class `Class' or one of its superclasses defines the class-side method `Selector'
%% (`class children', `class withAll: list').
-spec defines_class_method(atom(), atom()) -> boolean().
defines_class_method(Class, Selector) ->
    %% Cached (until the next load): every spawn asks whether its class answers `restartPolicy'.
    cached({{class_method, Selector}, Class},
           fun() ->
                   lists:any(fun(C) -> maps:is_key(Selector, method_funs(module(C), class)) end,
                             [C || is_user_class(Class), C <- chain(Class), is_user_class(C)])
           end).

%% @doc The modules of the user classes in `Class''s chain, superclasses first (those that declare
%% fields). Cached until the next load.
-spec user_modules(atom()) -> [module()].
user_modules(Class) ->
    cached({user_modules, Class}, fun() -> [module(C) || C <- lists:reverse(chain(Class)), is_user_class(C)] end).

%% @doc Brings every cached fact about every class up to date (see `forget/1').
-spec forget() -> ok.
forget() ->
    refresh([K || {{?MODULE, _, _} = K, _} <- persistent_term:get()]),
    beamtalk_xref:invalidate().

%% @doc Brings up to date what is cached about `Class' and the classes that inherit from it: `Class' was
%% loaded (or reloaded, perhaps with another superclass), given extension methods, or removed. Each fact is
%% computed again and replaced only if it changed; one whose class is gone, or that cannot be computed
%% now, is erased. Erasing or replacing a fact costs a scan of every process (a global garbage
%% collection: the old value may be in use), about 3 us a process, so with 100,000 actors each one
%% spared saves a third of a second of the node's time; facts about other classes are not touched.
-spec forget(atom()) -> ok.
forget(undefined) ->
    forget();
forget(Class) ->
    ok = drop_alias(Class),
    %% `C =:= Class': an old name loaded as a class of its own again cached the chain of the class it
    %% stood for, which does not hold it.
    refresh([K || {{?MODULE, _, C} = K, _} <- persistent_term:get(), is_atom(C),
                  C =:= Class orelse lists:member(Class, chain(C))]),
    %% Its code changed: what it sends and names too.
    beamtalk_xref:reindex(Class).

%% Facts are computed again in the order they were first computed, so a fact is computed after the facts
%% it reads (a fact reads others through `cached/2', which keeps them first). Then a generation is counted,
%% so that copies kept by processes (`process_methods/1') are refetched.
-spec refresh([{?MODULE, term(), atom()}]) -> ok.
refresh(Keys) ->
    Known = [{Seq, K, Compute} || K <- Keys, {_, Seq, Compute} <- computation(K)],
    Unknown = Keys -- [K || {_, K, _} <- Known],
    _ = [persistent_term:erase(K) || K <- Unknown],
    _ = [refresh(K, Compute) || {_, K, Compute} <- lists:sort(Known)],
    case persistent_term:get(?GENERATION, undefined) of
        undefined -> ok;
        Ref -> atomics:add(Ref, 1, 1)
    end.

-spec refresh({?MODULE, term(), atom()}, fun(() -> term())) -> ok.
refresh({?MODULE, _, Class} = Key, Compute) ->
    Now = case exists(Class) of
              true -> try {ok, Compute()} catch _:_ -> gone end;
              false -> gone
          end,
    case {Now, persistent_term:get(Key, undefined)} of
        {{ok, Same}, Same} -> ok;
        {{ok, Value}, _} -> persistent_term:put(Key, Value);
        {gone, _} -> ets:delete(?FACTS, Key), _ = persistent_term:erase(Key), ok
    end.

%% How the fact under `Key' was computed: `[{Key, Seq, Compute}]' (the order it was first computed in), or
%% none where the table of computations does not exist (a bare node).
-spec computation(term()) -> [{term(), integer(), fun(() -> term())}].
computation(Key) ->
    case ets:whereis(?FACTS) of
        undefined -> [];
        _ -> ets:lookup(?FACTS, Key)
    end.

%% @doc Creates the table of how facts are computed (owned by `beamtalk_tables').
-spec facts_table() -> ok.
facts_table() ->
    _ = ets:new(?FACTS, [named_table, public, set]),
    ok.

%% @doc Creates the generation counter of the method tables; once, before any actor runs (the runtime
%% application's start), so every process reads the same counter.
-spec start_generations() -> ok.
start_generations() ->
    case persistent_term:get(?GENERATION, undefined) of
        undefined -> persistent_term:put(?GENERATION, atomics:new(1, []));
        _ -> ok
    end.

%% @doc `methods(Class)' for a process that asks for the same class's table on every message (an actor):
%% a copy kept in its process dictionary, used while no class has loaded since it was taken. Reading
%% the counter costs a fraction of reading the shared table.
-spec process_methods(atom()) -> #{atom() => method()}.
process_methods(Class) ->
    case erlang:get('$bt_generation') of
        undefined ->
            case persistent_term:get(?GENERATION, undefined) of
                undefined -> methods(Class);
                Ref -> erlang:put('$bt_generation', Ref), process_methods(Class)
            end;
        Ref ->
            Gen = atomics:get(Ref, 1),
            case erlang:get('$bt_methods') of
                {Gen, Class, Table} -> Table;
                _ ->
                    Table = methods(Class),
                    erlang:put('$bt_methods', {Gen, Class, Table}),
                    Table
            end
    end.

%% @doc A fact about `Class' (`{Fact, Class}'), computed by `Compute' on first use and kept, brought up to
%% date whenever `Class' or a class it inherits from is loaded again (`forget/1'). Facts about unknown
%% classes are never kept, so a class loaded later is never shadowed by a stale miss.
-spec cached({term(), atom()}, fun(() -> T)) -> T.
cached({What, Class}, Compute) ->
    Key = {?MODULE, What, Class},
    case persistent_term:get(Key, undefined) of
        undefined ->
            Value = Compute(),
            case exists(Class) of
                true -> persistent_term:put(Key, Value), remember(Key, Compute);
                false -> ok
            end,
            Value;
        Value ->
            Value
    end.

%% Keeps how the fact under `Key' was computed, so that `forget/1' can compute it again.
-spec remember(term(), fun(() -> term())) -> ok.
remember(Key, Compute) ->
    case ets:whereis(?FACTS) of
        undefined -> ok;
        _ -> true = ets:insert(?FACTS, {Key, erlang:unique_integer([monotonic]), Compute}), ok
    end.

%% @doc Whether `Class' is `Ancestor' or inherits from it.
-spec inherits_from(atom(), atom()) -> boolean().
inherits_from(Class, Ancestor) ->
    lists:member(canonical(Ancestor), chain(Class)).
