%% @doc Index of the classes in the standard library.
%%
%% The library's classes are written in Beamtalk (`src/*.bt') and compiled into this application's ebin
%% directory at build time by the beamtalk compiler; this module is the one hand-written part.
-module(beamtalk_stdlib).

-export([class_modules/0]).

%% @doc The modules of the compiled standard-library classes.
-spec class_modules() -> [module()].
class_modules() ->
    case code:which(?MODULE) of
        Path when is_list(Path) ->
            Beams = filelib:wildcard("bt_class_*.beam", filename:dirname(Path)),
            lists:sort([list_to_atom(filename:basename(B, ".beam")) || B <- Beams]);
        _ ->
            []
    end.
