%% @doc `System': the workspace node's operating-system environment and unique numbers. The environment is
%% the node's own (what it was started with, and what `setEnv:value:' set since), not the shell's that
%% runs the CLI.
-module(beamtalk_os_env).

-export([get_env/1, set_env/2, unique_id/0]).

%% @doc The value of environment variable `Name' on this node, or `nil' when it is not set.
-spec get_env(binary()) -> binary() | nil.
get_env(Name) ->
    case os:getenv(name(Name, 'getEnv:')) of
        false -> nil;
        Value -> unicode:characters_to_binary(Value)
    end.

%% @doc Sets environment variable `Name' on this node (for this node and what it starts); answers nil.
-spec set_env(binary(), binary()) -> nil.
set_env(Name, Value) ->
    true = os:putenv(name(Name, 'setEnv:value:'), chars(Value, 'setEnv:value:')),
    nil.

%% @doc A positive integer no other call on this node answers while it runs.
-spec unique_id() -> pos_integer().
unique_id() ->
    erlang:unique_integer([positive]).

%% A variable's name: not empty, and no `=' (the OS would split the entry there).
-spec name(term(), atom()) -> string().
name(Text, Selector) ->
    case chars(Text, Selector) of
        [] -> bad(Selector, "a variable name must not be empty");
        Chars ->
            lists:member($=, Chars) andalso bad(Selector, "a variable name must not contain `='"),
            Chars
    end.

-spec chars(term(), atom()) -> string().
chars(Text, Selector) when is_binary(Text) ->
    case unicode:characters_to_list(Text) of
        Chars when is_list(Chars) ->
            lists:member(0, Chars) andalso bad(Selector, "the environment cannot hold a NUL character"),
            Chars;
        _ -> bad(Selector, "not valid UTF-8")
    end;
chars(_, Selector) ->
    bad(Selector, "expects a String").

-spec bad(atom(), string()) -> no_return().
bad(Selector, Why) ->
    beamtalk_error:raise(bad_argument, 'System', [atom_to_list(Selector), ": ", Why]).
