%% @doc Runs the calls of one CLI connection without a distributed spawn per call.
%%
%% Each call the CLI makes with `SPAWN_REQUEST' costs the node a remote spawn, a spawn reply and a remote
%% monitor. Under many concurrent calls the CLI starts one of these servers and sends it
%% `{call, Ref, M, F, A, GroupLeader}' instead: the server spawns a local worker (monitored), the worker
%% sends `{beamtalk_rpc, Ref, Result}' straight to the owner, where `Result' is what `erpc:execute_call/4'
%% exits with (`{Ref, return | throw | exit, Value}' or `{Ref, error, Reason, Stack}'). A worker that dies
%% otherwise is reported as `{beamtalk_rpc, Ref, Reason}'; `{cancel, Ref}' kills a worker. The server
%% stops, killing its workers, when the owner goes (the CLI exits or its connection drops).
%%
%% It is a special process in OTP's sense: it answers system messages (`sys:get_state/1',
%% `sys:suspend/1', ...), and a message it does not expect is logged, never dropped silently.
%%
%% The CLI loads this module with `code:load_binary/3' on nodes that lack it, so it depends on nothing
%% but kernel and stdlib.
-module(beamtalk_rpc_server).

-export([start/1]).
-export([system_continue/3, system_terminate/4, system_get_state/1, system_replace_state/2,
         system_code_change/4]).

%% Ref => {Pid, MonitorRef} and MonitorRef => Ref, for every running worker.
-type workers() :: #{reference() => {pid(), reference()} | reference()}.

%% @doc Serves `Owner' until it is gone.
-spec start(pid()) -> no_return().
start(Owner) ->
    OwnerRef = erlang:monitor(process, Owner),
    loop(Owner, OwnerRef, #{}).

-spec loop(pid(), reference(), workers()) -> no_return().
loop(Owner, OwnerRef, Workers) ->
    receive
        {system, From, Request} ->
            sys:handle_system_msg(Request, From, Owner, ?MODULE, [], {Owner, OwnerRef, Workers});
        {call, Ref, M, F, A, GroupLeader} ->
            {Pid, MRef} = spawn_monitor(fun() -> run(Owner, Ref, M, F, A, GroupLeader) end),
            loop(Owner, OwnerRef, Workers#{Ref => {Pid, MRef}, MRef => Ref});
        {cancel, Ref} ->
            loop(Owner, OwnerRef, cancel(Ref, Workers));
        {'DOWN', OwnerRef, process, _, _} ->
            _ = [exit(Pid, kill) || {Pid, _} <- maps:values(Workers)],
            exit(normal);
        {'DOWN', MRef, process, _, Reason} ->
            loop(Owner, OwnerRef, finished(Owner, MRef, Reason, Workers));
        Other ->
            logger:warning("~p: unexpected message ~0P", [?MODULE, Other, 12]),
            loop(Owner, OwnerRef, Workers)
    end.

-type state() :: {pid(), reference(), workers()}.

-spec system_continue(pid(), [sys:debug_option()], state()) -> no_return().
system_continue(_Parent, _Debug, {Owner, OwnerRef, Workers}) ->
    loop(Owner, OwnerRef, Workers).

-spec system_terminate(term(), pid(), [sys:debug_option()], state()) -> no_return().
system_terminate(Reason, _Parent, _Debug, {_, _, Workers}) ->
    _ = [exit(Pid, kill) || {Pid, _} <- maps:values(Workers)],
    exit(Reason).

-spec system_get_state(state()) -> {ok, state()}.
system_get_state(State) ->
    {ok, State}.

-spec system_replace_state(fun((state()) -> state()), state()) -> {ok, state(), state()}.
system_replace_state(Replace, State) ->
    New = Replace(State),
    {ok, New, New}.

-spec system_code_change(state(), module(), term(), term()) -> {ok, state()}.
system_code_change(State, _Module, _OldVsn, _Extra) ->
    {ok, State}.

-spec run(pid(), reference(), module(), atom(), list(), pid()) -> ok.
run(Owner, Ref, M, F, A, GroupLeader) ->
    group_leader(GroupLeader, self()),
    Result =
        try
            {Ref, return, apply(M, F, A)}
        catch
            throw:Value -> {Ref, throw, Value};
            exit:Reason -> {Ref, exit, Reason};
            error:Reason:Stack -> {Ref, error, Reason, Stack}
        end,
    Owner ! {beamtalk_rpc, Ref, Result},
    ok.

-spec cancel(reference(), workers()) -> workers().
cancel(Ref, Workers) ->
    case maps:take(Ref, Workers) of
        {{Pid, MRef}, Rest} ->
            erlang:demonitor(MRef, [flush]),
            exit(Pid, kill),
            maps:remove(MRef, Rest);
        error ->
            Workers
    end.

%% A worker ended: normally after replying, or killed/crashed before it could (then the owner is told).
-spec finished(pid(), reference(), term(), workers()) -> workers().
finished(Owner, MRef, Reason, Workers) ->
    case maps:take(MRef, Workers) of
        {Ref, Rest} ->
            case Reason of
                normal -> ok;
                _ -> Owner ! {beamtalk_rpc, Ref, Reason}
            end,
            maps:remove(Ref, Rest);
        error ->
            Workers
    end.

-ifdef(TEST).
-include_lib("eunit/include/eunit.hrl").

call(Server, M, F, A) ->
    Ref = make_ref(),
    Server ! {call, Ref, M, F, A, group_leader()},
    receive {beamtalk_rpc, Ref, Result} -> Result after 5000 -> timeout end.

calls_return_raise_and_are_cancelled_test() ->
    Owner = self(),
    Server = spawn(fun() -> start(Owner) end),
    ?assertMatch({_, return, 3}, call(Server, erlang, '+', [1, 2])),
    ?assertMatch({_, throw, x}, call(Server, erlang, throw, [x])),
    ?assertMatch({_, exit, bye}, call(Server, erlang, exit, [bye])),
    ?assertMatch({_, error, badarith, [_ | _]}, call(Server, erlang, '/', [1, 0])),
    Ref = make_ref(),
    Server ! {call, Ref, timer, sleep, [infinity], group_leader()},
    Server ! {cancel, Ref},
    receive {beamtalk_rpc, Ref, _} -> ?assert(false) after 200 -> ok end,
    exit(Server, kill).

a_killed_worker_is_reported_test() ->
    Owner = self(),
    Server = spawn(fun() -> start(Owner) end),
    Me = self(),
    Ref2 = make_ref(),
    Server ! {call, Ref2, erlang, apply, [fun() -> Me ! {worker, self()}, timer:sleep(infinity) end, []], group_leader()},
    Worker = receive {worker, W} -> W end,
    exit(Worker, kill),
    ?assertEqual(killed, receive {beamtalk_rpc, Ref2, R} -> R after 2000 -> timeout end),
    exit(Server, kill).

it_answers_system_messages_test() ->
    Owner = self(),
    Server = spawn(fun() -> start(Owner) end),
    ?assertMatch({Owner, _, #{}}, sys:get_state(Server, 2000)),
    ok = sys:suspend(Server, 2000),
    ok = sys:resume(Server, 2000),
    ?assertMatch({_, return, 3}, call(Server, erlang, '+', [1, 2])),
    exit(Server, kill).

the_server_stops_with_its_owner_test() ->
    Parent = self(),
    Owner = spawn(fun() -> receive stop -> ok end end),
    Server = spawn(fun() -> start(Owner) end),
    MRef = erlang:monitor(process, Server),
    Server ! {call, make_ref(), timer, sleep, [infinity], group_leader()},
    Owner ! stop,
    ?assertEqual(normal, receive {'DOWN', MRef, process, _, R} -> R after 2000 -> timeout end),
    Parent ! done.
-endif.
