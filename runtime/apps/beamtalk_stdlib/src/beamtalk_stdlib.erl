%% @doc Index of the classes in the standard library.
%%
%% The library's classes are written in Beamtalk (`src/*.bt') and compiled into this application's ebin
%% directory at build time by the beamtalk compiler; this module is the one hand-written part.
-module(beamtalk_stdlib).

-export([class_modules/0, load_extensions/0]).

%% @doc Loads the library's extension modules (`Integer >> even => ...' in `src/*.bt': `bt_ext_<Class>').
%% Classes are found on the code path when first sent to; a built-in class never is (see
%% `beamtalk_class:extension/1'), so its extensions must be loaded before anything runs.
-spec load_extensions() -> ok.
load_extensions() ->
    _ = [{module, M} = code:ensure_loaded(M) || M <- modules("bt_ext_*.beam")],
    ok.

%% @doc The modules of the compiled standard-library classes.
-spec class_modules() -> [module()].
class_modules() ->
    modules("bt_class_*.beam").

-spec modules(string()) -> [module()].
modules(Pattern) ->
    case code:which(?MODULE) of
        Path when is_list(Path) ->
            Beams = filelib:wildcard(Pattern, filename:dirname(Path)),
            lists:sort([list_to_atom(filename:basename(B, ".beam")) || B <- Beams]);
        _ ->
            []
    end.
