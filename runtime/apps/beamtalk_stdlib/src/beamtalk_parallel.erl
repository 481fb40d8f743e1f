%% @doc `parallelCollect:': a block applied to every element of a list in processes of their own, at most
%% `Max' at a time, the results in the list's order. Each worker is monitored, so one that fails (or is
%% killed) fails the whole call with its reason, and the remaining workers of its chunk are stopped.
-module(beamtalk_parallel).

-export([collect/3]).

-spec collect([term()], fun((term()) -> term()), pos_integer()) -> [term()].
collect(Items, Fun, Max) when is_list(Items), is_function(Fun, 1), is_integer(Max), Max > 0 ->
    lists:append([chunk(C, Fun) || C <- chunks(Items, Max)]).

-spec chunks([term()], pos_integer()) -> [[term()]].
chunks([], _) -> [];
chunks(Items, Max) when length(Items) =< Max -> [Items];
chunks(Items, Max) ->
    {Chunk, Rest} = lists:split(Max, Items),
    [Chunk | chunks(Rest, Max)].

%% One chunk at once: the caller's group leader is theirs too (output goes where the caller's does).
-spec chunk([term()], fun((term()) -> term())) -> [term()].
chunk(Items, Fun) ->
    Workers = [spawn_monitor(fun() -> exit({value, Fun(X)}) end) || X <- Items],
    try
        [receive
             {'DOWN', Ref, process, Pid, {value, V}} -> V;
             %% The block raised: the same error, here.
             {'DOWN', Ref, process, Pid, {Reason, Stack}} when is_list(Stack) -> erlang:raise(error, Reason, Stack);
             {'DOWN', Ref, process, Pid, Reason} -> exit(Reason)
         end || {Pid, Ref} <- Workers]
    after
        [begin exit(Pid, kill), erlang:demonitor(Ref, [flush]) end || {Pid, Ref} <- Workers]
    end.
