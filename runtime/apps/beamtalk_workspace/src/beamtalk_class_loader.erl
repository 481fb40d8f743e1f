%% @doc Compiles class modules the CLI generated (abstract forms) and loads them into the workspace.
%%
%% One RPC per class: `compile:forms/2', then `code:soft_purge/1' and `code:load_binary/3', then the module
%% is recorded in the workspace metadata. A class that does not compile leaves the loaded version untouched.
-module(beamtalk_class_loader).

-export([load/2, source/1]).

%% @doc Compiles and loads `Forms'; `File' names the source for stack traces.
-spec load([erl_parse:abstract_form()], binary()) ->
    {ok, module()} | {error, compile, [binary()]} | {error, load, term()}.
load(Forms, File) ->
    case compile:forms(Forms, [binary, return_errors, {source, binary_to_list(File)}]) of
        {ok, Module, Bin} -> install(Module, Bin, File);
        {ok, Module, Bin, _Warnings} -> install(Module, Bin, File);
        {error, Errors, _Warnings} -> {error, compile, format_errors(Errors)}
    end.

-spec install(module(), binary(), binary()) -> {ok, module()} | {error, load, term()}.
install(Module, Bin, File) ->
    _ = code:soft_purge(Module),
    case code:load_binary(Module, binary_to_list(File), Bin) of
        {module, Module} ->
            catch beamtalk_workspace_meta:register_module(Module),
            {ok, Module};
        {error, Reason} ->
            {error, load, Reason}
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
