%% @doc Compiles class modules the CLI generated (abstract forms) and loads them into the workspace.
%%
%% One RPC per class: `compile:forms/2', then `beamtalk_hot_reload:install/4', which loads the code and, for
%% a class already loaded, migrates every live actor of it and of its subclasses — all or nothing. The
%% module is recorded in the workspace metadata. A class that does not compile changes nothing.
%%
%% A load of many classes splits the two: `compile/2' for several classes at once (one RPC each, run side
%% by side on the node's schedulers), then `install_compiled/4' for each in order, which checks the class
%% against the classes loaded before it, as `load/2' does.
-module(beamtalk_class_loader).
-include_lib("beamtalk_runtime/include/beamtalk_abi.hrl").

-export([load/2, compile_slots/0, compile/2, install_compiled/4, source/1, load_extension/2, extension_source/1]).

%% The encoded forms from which a class is compiled in a process with a heap sized for it, and the most
%% that heap is given (words: 128 MB).
-define(BIG_CLASS_BYTES, 1000000).
-define(MAX_COMPILE_HEAP_WORDS, 16000000).

%% The callbacks the checks before installing read (see `sealed_superclass/1', `undeclared_slots/1').
-define(CHECKED, ['__superclass__', '__slot_uses__', '__fields__', '__class_state__']).

%% @doc Compiles and loads `Forms'; `File' names the source for stack traces.
-spec load([erl_parse:abstract_form()], binary()) ->
    {ok, module()} | {error, compile, [binary()]} | {error, load, binary()}.
load(Forms, File) ->
    case checks(Forms) of
        ok -> compile_and_install(Forms, File);
        Refused -> Refused
    end.

%% What refuses a class before it is installed, against the classes loaded by now: a sealed superclass,
%% `self.x' that no class in its chain declares.
-spec checks([erl_parse:abstract_form()]) -> ok | {error, compile, [binary()]} | {error, load, binary()}.
checks(Forms) ->
    case {sealed_superclass(Forms), sealed_overrides(Forms), undeclared_slots(Forms)} of
        {none, [], []} -> ok;
        {none, [], Undeclared} -> {error, compile, Undeclared};
        {none, Overrides, _} -> {error, compile, Overrides};
        {Super, _, _} -> {error, load, sealed(Super)}
    end.

%% @doc How many classes are worth compiling at once here: one per scheduler.
-spec compile_slots() -> pos_integer().
compile_slots() ->
    erlang:system_info(schedulers_online).

%% @doc Compiles `Forms' without loading anything: the module, its code, and the few forms the checks
%% before installing need (`install_compiled/4' takes them back). The CLI sends the forms encoded
%% (`term_to_binary/1' of the list), which costs both sides a copy of bytes rather than of a tree.
-spec compile([erl_parse:abstract_form()] | binary(), binary()) ->
    {ok, module(), binary(), [erl_parse:abstract_form()]} | {error, compile, [binary()]}.
compile(Encoded, File) when is_binary(Encoded), byte_size(Encoded) > ?BIG_CLASS_BYTES ->
    %% A class of thousands of methods: its compile spends more time collecting garbage than compiling
    %% in a heap grown step by step (a 5,000-method class took 12 s, 6 s in a heap sized from the start).
    Words = min(byte_size(Encoded), ?MAX_COMPILE_HEAP_WORDS),
    Compile = fun() -> compiled_forms(binary_to_term(Encoded), File, [no_spawn_compiler_process]) end,
    {Pid, Ref} = spawn_opt(fun() -> exit({compiled, Compile()}) end, [monitor, {min_heap_size, Words}]),
    receive
        {'DOWN', Ref, process, Pid, {compiled, Result}} -> Result;
        {'DOWN', Ref, process, Pid, Reason} -> {error, compile, [iolist_to_binary(io_lib:format("~p", [Reason]))]}
    end;
compile(Encoded, File) when is_binary(Encoded) ->
    compile(binary_to_term(Encoded), File);
compile(Forms, File) ->
    compiled_forms(Forms, File, []).

-spec compiled_forms([erl_parse:abstract_form()], binary(), [compile:option()]) ->
    {ok, module(), binary(), [erl_parse:abstract_form()]} | {error, compile, [binary()]}.
compiled_forms(Forms, File, Options) ->
    case compile_forms(Forms, File, Options) of
        {ok, Module, Bin} -> {ok, Module, Bin, checked_forms(Forms)};
        Failed -> Failed
    end.

%% @doc Installs a module `compile/2' made, after the checks `load/2' makes (against the classes loaded
%% by now: a superclass may have been installed since it was compiled).
-spec install_compiled([erl_parse:abstract_form()], module(), binary(), binary()) ->
    {ok, module()} | {error, compile, [binary()]} | {error, load, binary()}.
install_compiled(Checked, Module, Bin, File) ->
    case checks(Checked) of
        ok -> install(Module, Bin, File);
        Refused -> Refused
    end.

-spec checked_forms([erl_parse:abstract_form()]) -> [erl_parse:abstract_form()].
checked_forms(Forms) ->
    [F || F <- Forms, is_checked(F)].

-spec is_checked(erl_parse:abstract_form()) -> boolean().
is_checked({attribute, _, module, _}) -> true;
is_checked({attribute, _, export, _}) -> true;
is_checked({function, _, Name, 0, _}) -> lists:member(Name, ?CHECKED);
is_checked(_) -> false.

-spec sealed(atom()) -> binary().
sealed(Super) ->
    iolist_to_binary(["cannot subclass ", atom_to_binary(Super, utf8), ": it is sealed"]).

-spec compile_and_install([erl_parse:abstract_form()], binary()) ->
    {ok, module()} | {error, compile, [binary()]} | {error, load, binary()}.
compile_and_install(Forms, File) ->
    compiled(Forms, File, fun install/3).

%% Compiles `Forms' and hands the module to `Install'; a module that does not compile changes nothing.
-spec compiled([erl_parse:abstract_form()], binary(),
               fun((module(), binary(), binary()) -> {ok, module()} | {error, load, binary()})) ->
    {ok, module()} | {error, compile, [binary()]} | {error, load, binary()}.
compiled(Forms, File, Install) ->
    case compile_forms(Forms, File) of
        {ok, Module, Bin} -> Install(Module, Bin, File);
        Failed -> Failed
    end.

-spec compile_forms([erl_parse:abstract_form()], binary()) ->
    {ok, module(), binary()} | {error, compile, [binary()]}.
compile_forms(Forms, File) ->
    compile_forms(Forms, File, []).

-spec compile_forms([erl_parse:abstract_form()], binary(), [compile:option()]) ->
    {ok, module(), binary()} | {error, compile, [binary()]}.
compile_forms(Forms, File, Options) ->
    case compile:forms(Forms, [binary, return_errors, {source, binary_to_list(File)} | Options]) of
        {ok, Module, Bin} -> {ok, Module, Bin};
        {ok, Module, Bin, _Warnings} -> {ok, Module, Bin};
        {error, Errors, _Warnings} -> {error, compile, format_errors(Errors)}
    end.

%% The superclass the forms name, when it is a loaded class declared `sealed'.
-spec sealed_superclass([erl_parse:abstract_form()]) -> atom() | none.
sealed_superclass(Forms) ->
    case body(Forms, '__superclass__') of
        {ok, {atom, _, Super}} ->
            case lists:member(sealed, beamtalk_user_class:modifiers(Super)) of
                true -> Super;
                false -> none
            end;
        _ -> none
    end.

%% The methods the forms define that a superclass declares `sealed' (no subclass may override them).
-spec sealed_overrides([erl_parse:abstract_form()]) -> [binary()].
sealed_overrides(Forms) ->
    case literal(Forms, '__superclass__') of
        {ok, Super} when is_atom(Super) ->
            Own = own_methods(Forms),
            [sealed_override(Side, Owner, Sel)
             || Owner <- beamtalk_class:chain(Super),
                {sealed, Side, Sel} <- beamtalk_user_class:modifiers(Owner),
                lists:member({Side, Sel}, Own)];
        _ -> []
    end.

%% `{instance | class, Selector}' of each method the forms define, read from their exports.
-spec own_methods([erl_parse:abstract_form()]) -> [{instance | class, atom()}].
own_methods(Forms) ->
    [Method || {attribute, _, export, Exports} <- Forms, {F, _} <- Exports,
               {ok, Method} <- [beamtalk_class:method_of(F)]].

-spec sealed_override(instance | class, atom(), atom()) -> binary().
sealed_override(Side, Owner, Sel) ->
    Where = case Side of
                instance -> [atom_to_list(Owner), ">>", atom_to_list(Sel)];
                class -> [atom_to_list(Owner), " class>>", atom_to_list(Sel)]
            end,
    unicode:characters_to_binary(
      io_lib:format("cannot override ~ts: it is sealed; hint: give this method another name", [Where])).

%% `self.x' in a method where neither the class nor any of its superclasses declares `x' (the compiler
%% lists the uses its class does not declare itself, `'__slot_uses__'/0'; the superclasses are known
%% here): a typo that would otherwise write a hidden slot or read nil. One message per use, as the
%% compiler's errors are.
-spec undeclared_slots([erl_parse:abstract_form()]) -> [binary()].
undeclared_slots(Forms) ->
    case {literal(Forms, '__slot_uses__'), literal(Forms, '__superclass__')} of
        %% A superclass not loaded yet (its file comes later) cannot be asked: the check waits for the
        %% next load rather than refuse slots it may well declare.
        {{ok, [_ | _] = Uses}, {ok, Super}} when is_atom(Super) ->
            case beamtalk_class:exists(Super) of
                true -> undeclared_slots(Forms, Super, Uses);
                false -> []
            end;
        _ ->
            []
    end.

-spec undeclared_slots([erl_parse:abstract_form()], atom(), [{instance | class, atom(), integer()}]) -> [binary()].
undeclared_slots(Forms, Super, Uses) ->
    Class = beamtalk_class:of_module(module_of(Forms)),
    Known = #{instance => own_slots(Forms, '__fields__') ++ [F || {F, _} <- inherited(Super, '__fields__')],
              class => own_slots(Forms, '__class_state__') ++ [F || {F, _} <- inherited(Super, '__class_state__')]},
    [undeclared(Class, Super, Use, maps:get(Side, Known))
     || {Side, Name, _} = Use <- Uses, not lists:member(Name, maps:get(Side, Known))].

-spec undeclared(atom(), atom(), {instance | class, atom(), integer()}, [atom()]) -> binary().
undeclared(Class, Super, {Side, Name, Line}, Known) ->
    Kind = case Side of
               class -> "classState";
               instance ->
                   case Super =:= 'Actor' orelse beamtalk_class:inherits_from(Super, 'Actor') of
                       true -> "state";
                       false -> "field"
                   end
           end,
    Hint = case beamtalk_spelling:suggest(Name, Known, fun(N) -> ["`self.", atom_to_list(N), "`"] end) of
               nil -> io_lib:format("declare it: `~s: ~s = nil`", [Kind, Name]);
               Suggestion -> Suggestion
           end,
    unicode:characters_to_binary(io_lib:format("line ~b: `self.~s`: ~s has no ~s `~s`; hint: ~s",
                                               [Line, Name, Class, Kind, Name, Hint])).

%% The slots of `Super' and its superclasses, from `Getter' (none for a built-in class).
-spec inherited(atom(), atom()) -> [{atom(), term()}].
inherited(Super, Getter) ->
    lists:append([M:Getter() || M <- beamtalk_class:user_modules(Super)]).

%% The names a class's own `'__fields__'' or `'__class_state__'' declares, read from its forms: a list
%% of `{Name, DefaultFun}'.
-spec own_slots([erl_parse:abstract_form()], atom()) -> [atom()].
own_slots(Forms, Getter) ->
    case body(Forms, Getter) of
        {ok, Body} -> [Name || {tuple, _, [{atom, _, Name}, _]} <- cons_items(Body)];
        none -> []
    end.

-spec cons_items(erl_parse:abstract_expr()) -> [erl_parse:abstract_expr()].
cons_items({cons, _, H, T}) -> [H | cons_items(T)];
cons_items(_) -> [].

%% What a function of arity 0 in `Forms' answers, when that is a literal.
-spec literal([erl_parse:abstract_form()], atom()) -> {ok, term()} | none.
literal(Forms, Name) ->
    case body(Forms, Name) of
        {ok, Body} -> try {ok, erl_parse:normalise(Body)} catch _:_ -> none end;
        none -> none
    end.

%% The one expression a function of arity 0 in `Forms' answers (the generated callbacks are all such).
-spec body([erl_parse:abstract_form()], atom()) -> {ok, erl_parse:abstract_expr()} | none.
body(Forms, Name) ->
    case [Body || {function, _, N, 0, [{clause, _, [], [], [Body]}]} <- Forms, N =:= Name] of
        [Body] -> {ok, Body};
        _ -> none
    end.

-spec module_of([erl_parse:abstract_form()]) -> module().
module_of(Forms) ->
    hd([M || {attribute, _, module, M} <- Forms]).

-spec install(module(), binary(), binary()) -> {ok, module()} | {error, load, binary()}.
install(Module, Bin, File) ->
    case beamtalk_hot_reload:serialized(fun() -> upgrade(Module, Bin, File) end) of
        {ok, _} = Loaded ->
            %% Its durable actors come back now (outside the upgrade: they start as any actor does).
            ok = beamtalk_durable:class_loaded(beamtalk_class:of_module(Module)),
            ok = beamtalk_tracing:class_loaded(Module),
            Loaded;
        Failed ->
            Failed
    end.

-spec upgrade(module(), binary(), binary()) -> {ok, module()} | {error, load, binary()}.
upgrade(Module, Bin, File) ->
    case beamtalk_hot_reload:unchanged(Module, Bin, binary_to_list(File)) of
        true -> {ok, Module};
        false -> replace(Module, Bin, File)
    end.

-spec replace(module(), binary(), binary()) -> {ok, module()} | {error, load, binary()}.
replace(Module, Bin, File) ->
    Actors = case erlang:module_loaded(Module) of
                 true -> actors_of(Module);
                 false -> []
             end,
    case beamtalk_hot_reload:install(Module, Bin, binary_to_list(File), Actors) of
        {ok, _Upgraded} ->
            catch beamtalk_workspace_meta:register_module(Module),
            {ok, Module};
        {error, {pause_timeout, Pid}} ->
            {error, load, unicode:characters_to_binary(
                            io_lib:format("actor ~p did not pause for the upgrade within 5 s (it is busy in a "
                                          "long method); nothing was changed: load again when it is idle",
                                          [Pid]))};
        {error, {migration_failed, Pid, Reason}} ->
            {error, load, unicode:characters_to_binary(
                            io_lib:format("migrating actor ~p failed: ~ts; nothing was changed",
                                          [Pid, reason_text(Reason)]))};
        {error, Reason} ->
            {error, load, unicode:characters_to_binary(io_lib:format("~p", [Reason]))}
    end.

-spec reason_text(term()) -> iodata().
reason_text({'$bt_error', _, _, _, _} = E) -> beamtalk_error:format(E);
reason_text(Other) -> io_lib:format("~p", [Other]).

%% Live actors of the class a module implements, and of its subclasses (the metadata server picks them:
%% loading an unrelated class costs nothing per actor).
-spec actors_of(module()) -> [pid()].
actors_of(Module) ->
    ?BT_CLASS_MODULE_PREFIX ++ Name = atom_to_list(Module),
    Class = list_to_atom(Name),
    Family = [C || {'$bt_class', C} <- beamtalk_system:all_classes(),
                   catch beamtalk_class:inherits_from(C, Class)],
    beamtalk_workspace_meta:actors_of(lists:usort([Class | Family])).

%% @doc Compiles and loads the extension module of a class (`Integer >> double => ...': see
%% `beamtalk_class:extension/1'); no actor holds state of it, so nothing migrates. A module that does not
%% compile changes nothing.
-spec load_extension([erl_parse:abstract_form()], binary()) ->
    {ok, module()} | {error, compile, [binary()]} | {error, load, binary()}.
load_extension(Forms, File) ->
    compiled(Forms, File, fun install_extension/3).

-spec install_extension(module(), binary(), binary()) -> {ok, module()} | {error, load, binary()}.
install_extension(Module, Bin, File) ->
    beamtalk_hot_reload:serialized(
      fun() ->
              case beamtalk_hot_reload:replace_code(Module, binary_to_list(File), Bin) of
                  {module, Module} ->
                      beamtalk_class:forget(beamtalk_class:of_module(Module)),
                      {ok, Module};
                  {error, Reason} ->
                      {error, load, unicode:characters_to_binary(io_lib:format("~p", [Reason]))}
              end
      end).

%% @doc The source of the extension methods of `Class' loaded so far (empty if none).
-spec extension_source(atom()) -> binary().
extension_source(Class) ->
    case beamtalk_class:extension(Class) of
        none -> <<>>;
        M -> M:'__source__'()
    end.

%% @doc The Beamtalk source a loaded class was compiled from, or `undefined'.
-spec source(atom()) -> binary() | undefined.
source(Class) ->
    Mod = beamtalk_class:module(Class),
    %% An old name of a renamed class has no source: a class given that name is a new one.
    case beamtalk_class:taken(Class) andalso beamtalk_class:is_user_class(Class) of
        true -> Mod:'__source__'();
        false -> undefined
    end.

-spec format_errors([{file:filename(), [{erl_anno:location(), module(), term()}]}]) -> [binary()].
format_errors(Errors) ->
    [unicode:characters_to_binary(io_lib:format("line ~s: ~ts", [location(Loc), Mod:format_error(Desc)]))
     || {_File, Es} <- Errors, {Loc, Mod, Desc} <- Es].

-spec location(erl_anno:location() | none) -> string().
location({Line, _Col}) -> integer_to_list(Line);
location(Line) when is_integer(Line) -> integer_to_list(Line);
location(_) -> "?".
