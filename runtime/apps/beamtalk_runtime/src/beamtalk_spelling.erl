%% @doc "Did you mean ...?": the known name closest to a misspelt one (a selector, a class, a variable),
%% for the hint of the error that names it.
-module(beamtalk_spelling).

-export([suggest/3, distance/2]).

%% @doc `did you mean <Show(Best)>?' for the candidate closest to `Name' (the first in term order among
%% equals), or nil when none is close: one edit away for names of three to five characters, two for
%% longer ones; a name shorter than three is never guessed at (every other short name is one edit away).
-spec suggest(atom(), [atom()], fun((atom()) -> iodata())) -> binary() | nil.
suggest(Name, Candidates, Show) ->
    Text = atom_to_list(Name),
    Max = max_edits(length(Text)),
    Close = [{distance(Text, atom_to_list(C)), C}
             || C <- Candidates, C =/= Name, abs(length(atom_to_list(C)) - length(Text)) =< Max],
    case lists:sort([D || {N, _} = D <- Close, N =< Max]) of
        [{_, Best} | _] -> iolist_to_binary(["did you mean ", Show(Best), "?"]);
        [] -> nil
    end.

-spec max_edits(non_neg_integer()) -> non_neg_integer().
max_edits(Length) when Length < 3 -> 0;
max_edits(Length) when Length < 6 -> 1;
max_edits(_) -> 2.

%% @doc The Levenshtein distance of two short strings.
-spec distance(string(), string()) -> non_neg_integer().
distance(A, B) ->
    First = lists:seq(0, length(B)),
    Last = lists:foldl(fun({I, CA}, Prev) -> row(CA, B, Prev, [I]) end, First,
                       lists:zip(lists:seq(1, length(A)), A)),
    lists:last(Last).

-spec row(char(), string(), [non_neg_integer()], [non_neg_integer()]) -> [non_neg_integer()].
row(_, [], _, Acc) -> lists:reverse(Acc);
row(CA, [CB | Rest], [Diag, Up | PrevRest], [Left | _] = Acc) ->
    Cost = if CA =:= CB -> 0; true -> 1 end,
    row(CA, Rest, [Up | PrevRest], [min(min(Left + 1, Up + 1), Diag + Cost) | Acc]).
