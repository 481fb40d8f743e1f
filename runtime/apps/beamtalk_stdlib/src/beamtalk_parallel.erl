%% @doc Blocks run in processes of their own while the caller waits. `parallelCollect:': a block applied
%% to every element of a list, at most `Max' at a time, the results in the list's order; each worker is
%% monitored, so one that fails (or is killed) fails the whole call with its reason, and the remaining
%% workers of its chunk are stopped. `Parallel all:'/`all:timeout:'/`any:': every block at once,
%% answering `{ok, _}' or `{error, _}' (a Result, as any Erlang call answering those is). No worker
%% outlives the call that started it.
-module(beamtalk_parallel).

-export([collect/3, all/2, any/1]).

-type worker() :: {pid(), reference()}.

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

%% @doc `Parallel all:' (`Timeout' infinity) and `all:timeout:': `{ok, Values}' in the blocks' order once
%% every block has answered; `{error, Reason}' for the first that fails, or `{error, timeout}' when
%% `Timeout' milliseconds pass first. The workers still running are stopped either way.
-spec all([term()], timeout()) -> {ok, [term()]} | {error, term()}.
all(Blocks, Timeout) when is_list(Blocks), (Timeout =:= infinity orelse (is_integer(Timeout) andalso Timeout >= 0)) ->
    Workers = start(Blocks),
    Deadline = deadline(Timeout),
    try gather(maps:from_list([{Ref, pending} || {_, Ref} <- Workers]), length(Workers), Deadline) of
        {ok, Values} -> {ok, [maps:get(Ref, Values) || {_, Ref} <- Workers]};
        Failed -> Failed
    after
        stop(Workers)
    end.

%% @doc `Parallel any:': `{ok, Value}' of the first block to answer (the others are stopped), or
%% `{error, Reason}' of the last to fail when every one fails (`{error, empty}' for no blocks).
-spec any([term()]) -> {ok, term()} | {error, term()}.
any([]) ->
    {error, empty};
any(Blocks) when is_list(Blocks) ->
    Workers = start(Blocks),
    try first(maps:from_list([{Ref, pending} || {_, Ref} <- Workers]), none)
    after
        stop(Workers)
    end.

-spec start([term()]) -> [worker()].
start(Blocks) ->
    %% Something that is no block fails in its worker (`badfun'), as a block that raises does.
    [spawn_monitor(fun() -> exit({value, Block()}) end) || Block <- Blocks].

%% Waits for the workers whose monitors are the keys of `Pending' still `pending'; only their 'DOWN'
%% messages are taken (the caller may be an actor with other monitors of its own).
-spec gather(#{reference() => term()}, non_neg_integer(), integer() | infinity) ->
    {ok, #{reference() => term()}} | {error, term()}.
gather(Done, 0, _Deadline) ->
    {ok, Done};
gather(Pending, Left, Deadline) ->
    receive
        {'DOWN', Ref, process, _, {value, V}} when is_map_key(Ref, Pending) ->
            gather(Pending#{Ref := V}, Left - 1, Deadline);
        {'DOWN', Ref, process, _, Reason} when is_map_key(Ref, Pending) ->
            {error, failure(Reason)}
    after remaining(Deadline) ->
        {error, timeout}
    end.

-spec first(#{reference() => pending}, term()) -> {ok, term()} | {error, term()}.
first(Pending, LastFailure) when map_size(Pending) =:= 0 ->
    {error, LastFailure};
first(Pending, _) ->
    receive
        {'DOWN', Ref, process, _, {value, V}} when is_map_key(Ref, Pending) ->
            {ok, V};
        {'DOWN', Ref, process, _, Reason} when is_map_key(Ref, Pending) ->
            first(maps:remove(Ref, Pending), failure(Reason))
    end.

%% What a block raised (the error itself, without the stack its process died with).
-spec failure(term()) -> term().
failure({Reason, Stack}) when is_list(Stack) -> Reason;
failure(Reason) -> Reason.

-spec stop([worker()]) -> ok.
stop(Workers) ->
    lists:foreach(fun({Pid, Ref}) -> exit(Pid, kill), erlang:demonitor(Ref, [flush]) end, Workers).

-spec deadline(timeout()) -> integer() | infinity.
deadline(infinity) -> infinity;
deadline(Ms) -> erlang:monotonic_time(millisecond) + Ms.

-spec remaining(integer() | infinity) -> timeout().
remaining(infinity) -> infinity;
remaining(Deadline) -> max(0, Deadline - erlang:monotonic_time(millisecond)).
