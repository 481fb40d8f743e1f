%% @doc Regular expressions for Strings (`matchesRegex:', `firstMatch:', `allMatches:', `Regex'), on top
%% of OTP's `re' (PCRE, Unicode). A pattern that does not compile is an Error naming it and why.
-module(beamtalk_regex).

-export([matches/2, first_match/2, all_matches/2, replace/3, split/2, valid/1]).

%% @doc Whether the whole of `Text' matches `Pattern'.
-spec matches(binary(), binary()) -> boolean().
matches(Text, Pattern) ->
    re:run(Text, compile(<<"^(?:", Pattern/binary, ")$">>, Pattern)) =/= nomatch.

%% @doc The first part of `Text' that `Pattern' matches, or nil.
-spec first_match(binary(), binary()) -> binary() | nil.
first_match(Text, Pattern) ->
    case re:run(Text, compile(Pattern, Pattern), [{capture, first, binary}]) of
        {match, [M]} -> M;
        nomatch -> nil
    end.

%% @doc Every part of `Text' that `Pattern' matches, in order.
-spec all_matches(binary(), binary()) -> [binary()].
all_matches(Text, Pattern) ->
    case re:run(Text, compile(Pattern, Pattern), [global, {capture, first, binary}]) of
        {match, Ms} -> [M || [M] <- Ms];
        nomatch -> []
    end.

%% @doc `Text' with every match of `Pattern' replaced by `Replacement' (`\\1' refers to a group).
-spec replace(binary(), binary(), binary()) -> binary().
replace(Text, Pattern, Replacement) ->
    re:replace(Text, compile(Pattern, Pattern), Replacement, [global, {return, binary}]).

%% @doc The parts of `Text' between matches of `Pattern'.
-spec split(binary(), binary()) -> [binary()].
split(Text, Pattern) ->
    re:split(Text, compile(Pattern, Pattern), [{return, binary}]).

%% @doc Whether `Pattern' compiles.
-spec valid(binary()) -> boolean().
valid(Pattern) ->
    element(1, re:compile(Pattern, [unicode])) =:= ok.

-spec compile(binary(), binary()) -> re:mp().
compile(Source, Pattern) ->
    case re:compile(Source, [unicode]) of
        {ok, MP} -> MP;
        {error, {Why, At}} ->
            beamtalk_error:raise('Error', bad_regex, undefined,
                                 io_lib:format("bad regular expression ~ts: ~s at ~b", [Pattern, Why, At]))
    end.
