%% @doc `beamtalk trace': the sends to a class's methods (or to one of them), as they run, streamed to a
%% CLI — calls with their arguments, returns with their values and durations, exceptions — on the BEAM's
%% own call tracing, without stopping anything. Bounded: at most ?MAX_RATE events a second reach the CLI
%% (the rest are counted and reported), and a tracer that falls behind (a very hot method) stops
%% tracing rather than let its queue grow. It ends when told to, when the CLI's node goes away, or when
%% its time is up, and always turns its tracing off.
-module(beamtalk_tracer).

-export([start/4, stop/1]).
-export([init/5]).

-define(MAX_RATE, 1000).
-define(MAX_QUEUE, 10000).

%% @doc Starts tracing the instance methods of `Class' (all, or only `Selector') and sending each event
%% to `Listener', for at most `Ms' milliseconds (`infinity': until `stop/1'). The tracer, or why not.
-spec start(pid(), atom(), atom(), non_neg_integer() | infinity) -> {ok, pid()} | {error, binary()}.
start(Listener, Class, Selector, Ms) when is_pid(Listener), is_atom(Class), is_atom(Selector) ->
    Module = beamtalk_class:module(Class),
    case code:ensure_loaded(Module) of
        {module, Module} ->
            Caller = self(),
            Pid = proc_lib:spawn(?MODULE, init, [Caller, Listener, Module, Selector, Ms]),
            Ref = monitor(process, Pid),
            receive
                {Pid, ok} -> demonitor(Ref, [flush]), {ok, Pid};
                {Pid, {error, Why}} -> demonitor(Ref, [flush]), {error, Why};
                {'DOWN', Ref, process, Pid, Reason} -> {error, iolist_to_binary(io_lib:format("~tp", [Reason]))}
            after 5000 ->
                exit(Pid, kill),
                {error, <<"the tracer did not start">>}
            end;
        _ ->
            {error, iolist_to_binary(["no class ", atom_to_list(Class), " is loaded"])}
    end.

%% @doc Stops a tracer (its tracing is turned off before it ends).
-spec stop(pid()) -> ok.
stop(Tracer) ->
    Tracer ! stop,
    ok.

-spec init(pid(), pid(), module(), atom(), non_neg_integer() | infinity) -> ok.
init(Caller, Listener, Module, Selector, Ms) ->
    %% The class's method functions (`'i:sel'/N'), not the functions that describe the class.
    Pattern = [{Module, F, A} || {F, A} <- Module:module_info(functions),
                                 "i:" ++ Name <- [atom_to_list(F)],
                                 Selector =:= '_' orelse Name =:= atom_to_list(Selector)],
    Spec = [{'_', [], [{return_trace}, {exception_trace}]}],
    _ = [erlang:trace_pattern(MFA, Spec, [local]) || MFA <- Pattern],
    case Pattern of
        [] ->
            Caller ! {self(), {error, iolist_to_binary([atom_to_list(beamtalk_class:of_module(Module)), " has no method ",
                                                        atom_to_list(Selector)])}};
        _ ->
            try erlang:trace(all, true, [call, timestamp, {tracer, self()}]) of
                _ ->
                    true = erlang:monitor_node(node(Listener), true),
                    Caller ! {self(), ok},
                    Deadline = case Ms of infinity -> infinity; _ -> erlang:monotonic_time(millisecond) + Ms end,
                    S = #{listener => Listener, module => Module, pattern => Pattern, deadline => Deadline,
                          window => erlang:monotonic_time(second), sent => 0, dropped => 0, calls => #{}},
                    loop(S)
            catch error:badarg ->
                _ = [erlang:trace_pattern(MFA, false, [local]) || MFA <- Pattern],
                Caller ! {self(), {error, <<"another trace is running on this node">>}}
            end
    end,
    ok.

-spec loop(map()) -> ok.
loop(#{deadline := Deadline} = S) ->
    Timeout = case Deadline of
                  infinity -> infinity;
                  _ -> max(0, Deadline - erlang:monotonic_time(millisecond))
              end,
    receive
        stop -> finish(S, stopped);
        {nodedown, _} -> finish(S, listener_gone);
        {trace_ts, _, _, _, _} = T -> loop(overload_check(event(T, S)));
        {trace_ts, _, _, _, _, _} = T -> loop(overload_check(event(T, S)));
        Other ->
            logger:warning("beamtalk_tracer: unexpected message ~tp", [Other]),
            loop(S)
    after Timeout ->
        finish(S, time_up)
    end.

%% A tracer whose queue grows faster than it drains stops rather than take the node with it.
-spec overload_check(map()) -> map().
overload_check(S) ->
    case process_info(self(), message_queue_len) of
        {message_queue_len, N} when N > ?MAX_QUEUE -> finish(S, overloaded), exit(normal);
        _ -> S
    end.

-spec event(tuple(), map()) -> map().
event({trace_ts, Pid, call, {_M, F, Args}, TS}, #{calls := Calls} = S) ->
    Stack = maps:get(Pid, Calls, []),
    S1 = S#{calls := Calls#{Pid => [TS | Stack]}},
    emit(#{event => call, pid => Pid, selector => selector(F), args => tl_args(Args), at => TS}, S1);
event({trace_ts, Pid, return_from, {_M, F, _A}, Value, TS}, S) ->
    {Micros, S1} = elapsed(Pid, TS, S),
    emit(#{event => return, pid => Pid, selector => selector(F), value => Value, micros => Micros, at => TS}, S1);
event({trace_ts, Pid, exception_from, {_M, F, _A}, {Class, Reason}, TS}, S) ->
    {Micros, S1} = elapsed(Pid, TS, S),
    emit(#{event => exception, pid => Pid, selector => selector(F), error => {Class, Reason},
           micros => Micros, at => TS}, S1);
event(_Other, S) ->
    S.

%% The receiver comes first in a method's arguments; the rest are the message's.
-spec tl_args([term()] | arity()) -> [term()].
tl_args([_Self | Args]) -> Args;
tl_args(_) -> [].

-spec selector(atom()) -> atom().
selector(F) ->
    case atom_to_list(F) of
        "i:" ++ S -> list_to_atom(S);
        Other -> list_to_atom(Other)
    end.

-spec elapsed(pid(), erlang:timestamp(), map()) -> {integer() | nil, map()}.
elapsed(Pid, TS, #{calls := Calls} = S) ->
    case maps:get(Pid, Calls, []) of
        [Start | Rest] -> {timer:now_diff(TS, Start), S#{calls := Calls#{Pid => Rest}}};
        [] -> {nil, S}
    end.

%% Sends an event, unless this second's budget is spent (then it is counted, and the count reported
%% when the next second starts).
-spec emit(map(), map()) -> map().
emit(Event, #{listener := L, window := W, sent := Sent, dropped := Dropped} = S) ->
    Now = erlang:monotonic_time(second),
    case Now =/= W of
        true ->
            _ = [L ! {beamtalk_trace, #{event => dropped, count => Dropped}} || Dropped > 0],
            L ! {beamtalk_trace, described(Event)},
            S#{window := Now, sent := 1, dropped := 0};
        false when Sent < ?MAX_RATE ->
            L ! {beamtalk_trace, described(Event)},
            S#{sent := Sent + 1};
        false ->
            S#{dropped := Dropped + 1}
    end.

%% Values as Beamtalk prints them, so the CLI has text to show.
-spec described(map()) -> map().
described(#{args := Args} = E) ->
    common(E#{args := [print(A) || A <- Args]});
described(#{value := V} = E) ->
    common(E#{value := print(V)});
described(#{error := {Class, Reason}} = E) ->
    common(E#{error := iolist_to_binary(beamtalk_print:print_string(beamtalk_error:from_exception(Class, Reason, [])))}).

-spec common(map()) -> map().
common(#{pid := Pid, at := {Mega, Sec, Micro}} = E) ->
    E#{pid := list_to_binary(pid_to_list(Pid)), at := (Mega * 1000000 + Sec) * 1000000 + Micro}.

-spec print(term()) -> binary().
print(Term) ->
    try iolist_to_binary(beamtalk_print:print_string(Term))
    catch _:_ -> iolist_to_binary(io_lib:format("~tp", [Term]))
    end.

-spec finish(map(), atom()) -> ok.
finish(#{listener := L, pattern := Pattern, dropped := Dropped}, Why) ->
    _ = erlang:trace(all, false, [call]),
    _ = [erlang:trace_pattern(MFA, false, [local]) || MFA <- Pattern],
    _ = [L ! {beamtalk_trace, #{event => dropped, count => Dropped}} || Dropped > 0],
    L ! {beamtalk_trace, #{event => 'end', reason => Why}},
    ok.
