%% @doc Index of the classes in the standard library.
%%
%% The library's classes are written in Beamtalk and compiled into this application at build time; this
%% module is the one hand-written part, telling the runtime which class modules to load.
-module(beamtalk_stdlib).

-export([class_modules/0]).

%% @doc The modules of the compiled standard-library classes, in load order.
-spec class_modules() -> [module()].
class_modules() ->
    [].
