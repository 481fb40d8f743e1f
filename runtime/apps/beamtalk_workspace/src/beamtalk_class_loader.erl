%% @doc Compiles class modules the CLI generated (abstract forms) and loads them into the workspace.
%%
%% One RPC per class: `compile:forms/2', then `beamtalk_hot_reload:install/4', which loads the code and, for
%% a class already loaded, migrates every live actor of it and of its subclasses — all or nothing. The
%% module is recorded in the workspace metadata. A class that does not compile changes nothing.
-module(beamtalk_class_loader).

-export([load/2, source/1, load_extension/2, extension_source/1]).

%% @doc Compiles and loads `Forms'; `File' names the source for stack traces.
-spec load([erl_parse:abstract_form()], binary()) ->
    {ok, module()} | {error, compile, [binary()]} | {error, load, binary()}.
load(Forms, File) ->
    case sealed_superclass(Forms) of
        none -> compile_and_install(Forms, File);
        Super -> {error, load, iolist_to_binary(["cannot subclass ", atom_to_binary(Super, utf8),
                                                  ": it is sealed"])}
    end.

-spec compile_and_install([erl_parse:abstract_form()], binary()) ->
    {ok, module()} | {error, compile, [binary()]} | {error, load, binary()}.
compile_and_install(Forms, File) ->
    compiled(Forms, File, fun install/3).

%% Compiles `Forms' and hands the module to `Install'; a module that does not compile changes nothing.
-spec compiled([erl_parse:abstract_form()], binary(),
               fun((module(), binary(), binary()) -> {ok, module()} | {error, load, binary()})) ->
    {ok, module()} | {error, compile, [binary()]} | {error, load, binary()}.
compiled(Forms, File, Install) ->
    case compile:forms(Forms, [binary, return_errors, {source, binary_to_list(File)}]) of
        {ok, Module, Bin} -> Install(Module, Bin, File);
        {ok, Module, Bin, _Warnings} -> Install(Module, Bin, File);
        {error, Errors, _Warnings} -> {error, compile, format_errors(Errors)}
    end.

%% The superclass the forms name, when it is a loaded class declared `sealed'.
-spec sealed_superclass([erl_parse:abstract_form()]) -> atom() | none.
sealed_superclass(Forms) ->
    Supers = [S || {function, _, '__superclass__', 0, [{clause, _, [], [], [{atom, _, S}]}]} <- Forms],
    case Supers of
        [Super] -> case lists:member(sealed, beamtalk_user_class:modifiers(Super)) of
                       true -> Super;
                       false -> none
                   end;
        _ -> none
    end.

-spec install(module(), binary(), binary()) -> {ok, module()} | {error, load, binary()}.
install(Module, Bin, File) ->
    beamtalk_hot_reload:serialized(fun() -> upgrade(Module, Bin, File) end).

-spec upgrade(module(), binary(), binary()) -> {ok, module()} | {error, load, binary()}.
upgrade(Module, Bin, File) ->
    Actors = case erlang:module_loaded(Module) of
                 true -> actors_of(Module);
                 false -> []
             end,
    case beamtalk_hot_reload:install(Module, Bin, binary_to_list(File), Actors) of
        {ok, _Upgraded} ->
            catch beamtalk_workspace_meta:register_module(Module),
            {ok, Module};
        {error, {suspend_timeout, Pid}} ->
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
    "bt_class_" ++ Name = atom_to_list(Module),
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
    case beamtalk_class:is_user_class(Class) of
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
