%% @doc Regular expressions for Strings (`matchesRegex:', `firstMatch:', `allMatches:', `replaceRegex:with:',
%% `splitRegex:', `Regex'), on top of OTP's `re' (PCRE, Unicode). A pattern is a string or a `Regex' (a
%% pattern with options: `#caseless', `#multiline', `#dotall', `#extended', `#ungreedy'). A pattern that
%% does not compile is an Error naming it and why.
-module(beamtalk_regex).

-export([search/2, search/3, matches/2, first_match/2, all_matches/2, replace/3, replace_all/3, split/2,
         valid/1, from/2]).

-type pattern() :: binary() | {'$bt_value', 'Regex', map()}.

%% @doc Whether `Pattern' matches somewhere in `Text' (anchor it with `^' and `$' for the whole).
-spec search(binary(), pattern()) -> boolean().
search(Text, Pattern) ->
    re:run(Text, compile(Pattern)) =/= nomatch.

%% @doc The same with `Options' (symbols) added to the pattern's own.
-spec search(binary(), pattern(), [atom()] | {'$bt_array', tuple()}) -> boolean().
search(Text, Pattern, Options) ->
    re:run(Text, compile(with_options(Pattern, options(Options)))) =/= nomatch.

%% @doc Whether the whole of `Text' matches `Pattern' (`Regex matches:').
-spec matches(binary(), pattern()) -> boolean().
matches(Text, Pattern) ->
    {Source, Options} = source(Pattern),
    re:run(Text, compile({<<"^(?:", Source/binary, ")$">>, Options}, Source)) =/= nomatch.

%% @doc The first part of `Text' that `Pattern' matches, or nil.
-spec first_match(binary(), pattern()) -> binary() | nil.
first_match(Text, Pattern) ->
    case re:run(Text, compile(Pattern), [{capture, first, binary}]) of
        {match, [M]} -> M;
        nomatch -> nil
    end.

%% @doc Every part of `Text' that `Pattern' matches, in order.
-spec all_matches(binary(), pattern()) -> [binary()].
all_matches(Text, Pattern) ->
    case re:run(Text, compile(Pattern), [global, {capture, first, binary}]) of
        {match, Ms} -> [M || [M] <- Ms];
        nomatch -> []
    end.

%% @doc `Text' with the first match of `Pattern' replaced by `Replacement' (`\1' refers to a group).
-spec replace(binary(), pattern(), binary()) -> binary().
replace(Text, Pattern, Replacement) ->
    re:replace(Text, compile(Pattern), Replacement, [{return, binary}]).

%% @doc `Text' with every match of `Pattern' replaced by `Replacement'.
-spec replace_all(binary(), pattern(), binary()) -> binary().
replace_all(Text, Pattern, Replacement) ->
    re:replace(Text, compile(Pattern), Replacement, [global, {return, binary}]).

%% @doc The parts of `Text' between matches of `Pattern' (empty ones included).
-spec split(binary(), pattern()) -> [binary()].
split(Text, Pattern) ->
    re:split(Text, compile(Pattern), [{return, binary}]).

%% @doc Whether `Pattern' compiles.
-spec valid(binary()) -> boolean().
valid(Pattern) ->
    element(1, re:compile(Pattern, [unicode])) =:= ok.

%% @doc `Regex from: source options: #(...)': `Result ok:' the Regex, or `Result error:' why the source
%% does not compile.
-spec from(binary(), [atom()] | {'$bt_array', tuple()}) -> term().
from(Source, Options) when is_binary(Source) ->
    Regex = {'$bt_value', 'Regex', #{pattern => Source, options => options(Options)}},
    beamtalk_rt:result_of(fun() -> _ = compile(Regex), Regex end).

-spec source(pattern()) -> {binary(), [atom()]}.
source({'$bt_value', 'Regex', #{pattern := P} = F}) -> {P, maps:get(options, F, [])};
source(P) when is_binary(P) -> {P, []}.

-spec with_options(pattern(), [atom()]) -> {binary(), [atom()]}.
with_options(Pattern, Extra) ->
    {Source, Own} = source(Pattern),
    {Source, Own ++ Extra}.

-spec options([atom()] | {'$bt_array', tuple()}) -> [atom()].
options({'$bt_array', T}) -> options(tuple_to_list(T));
options(Options) when is_list(Options) ->
    [case O of
         caseless -> caseless;
         multiline -> multiline;
         dotall -> dotall;
         extended -> extended;
         ungreedy -> ungreedy;
         _ -> beamtalk_error:raise('Error', bad_argument, 'Regex',
                                   io_lib:format("unknown option #~p: use #caseless, #multiline, #dotall, "
                                                 "#extended or #ungreedy", [O]))
     end || O <- Options].

-spec compile(pattern() | {binary(), [atom()]}) -> re:mp().
compile({Source, Options}) when is_binary(Source) -> compile({Source, Options}, Source);
compile(Pattern) -> compile(source(Pattern)).

-spec compile({binary(), [atom()]}, binary()) -> re:mp().
compile({Source, Options}, Shown) ->
    case re:compile(Source, [unicode | Options]) of
        {ok, MP} -> MP;
        {error, {Why, At}} ->
            beamtalk_error:raise('Error', bad_regex, undefined,
                                 io_lib:format("bad regular expression ~ts: ~s at ~b", [Shown, Why, At]))
    end.
