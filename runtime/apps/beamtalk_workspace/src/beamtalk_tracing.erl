%% @doc `Tracing' (ADR 0069): the sends to user classes' methods, recorded while tracing is enabled —
%% each call's actor, class, selector, duration and outcome in a bounded buffer of events, and per actor
%% and method the calls, errors and durations — with queries over them and live process health.
%%
%% On the BEAM's own call tracing (`erlang:trace/3' with return and exception traces on the classes'
%% method functions), not on instrumentation in the send path: nothing is paid while tracing is off, so
%% the aggregates, which ADR 0069 keeps always on, are kept while tracing is on (a deliberate departure).
%% A recorder process writes the events to public ETS tables that queries read directly; one that falls
%% behind (a very hot method) turns tracing off rather than let its queue grow. A process has one tracer:
%% `beamtalk trace' and `Tracing enable' take it from each other.
-module(beamtalk_tracing).
-behaviour(gen_server).

-include_lib("beamtalk_runtime/include/beamtalk_abi.hrl").

-export([start_link/0, enable/0, disable/0, is_enabled/0, clear/0, class_loaded/1]).
-export([traces/0, traces_for/1, traces_for/2, stats/0, stats_for/1, slow_methods/1, hot_methods/1,
         error_methods/1, bottlenecks/1, health_for/1, system_health/0, max_events/0, max_events/1]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).
-export([record/1]).

-define(EVENTS, beamtalk_trace_events).
-define(STATS, beamtalk_trace_stats).
-define(CONFIG, beamtalk_trace_config).
%% {Pid, Class}: the class of the outermost method a process ran, its own (an actor runs other classes'
%% methods too, an error's among them; `stats' lists it under its own class).
-define(ACTORS, beamtalk_trace_actors).
-define(DEFAULT_MAX, 100000).
%% A recorder with more messages waiting than this is behind for good: tracing stops.
-define(MAX_QUEUE, 10000).

%% {{Pid, Class, Selector}, Calls, Ok, Errors, TotalUs, MinUs, MaxUs}
-type stats_row() :: {{pid(), atom(), atom()}, non_neg_integer(), non_neg_integer(), non_neg_integer(),
                      non_neg_integer(), non_neg_integer(), non_neg_integer()}.

%% === Control ===

-spec start_link() -> {ok, pid()} | ignore | {error, term()}.
start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

%% @doc Starts recording the sends to every loaded user class's methods (and to classes loaded later).
-spec enable() -> nil.
enable() ->
    ok = gen_server:call(?MODULE, enable),
    nil.

-spec disable() -> nil.
disable() ->
    ok = gen_server:call(?MODULE, disable),
    nil.

-spec is_enabled() -> boolean().
is_enabled() ->
    recorder() =/= none.

%% @doc Forgets every event and aggregate.
-spec clear() -> nil.
clear() ->
    true = ets:delete_all_objects(?EVENTS),
    true = ets:delete_all_objects(?STATS),
    true = ets:delete_all_objects(?ACTORS),
    nil.

%% @doc A class (re)loaded: its new code is traced too while tracing is on.
-spec class_loaded(module()) -> ok.
class_loaded(Module) ->
    case whereis(?MODULE) =/= undefined andalso is_enabled() andalso traced(Module) of
        true -> trace_module(Module, true);
        false -> ok
    end.

-spec max_events() -> pos_integer().
max_events() ->
    config(max, ?DEFAULT_MAX).

%% @doc Sets the buffer's capacity, and clears the events.
-spec max_events(pos_integer()) -> nil.
max_events(N) when is_integer(N), N > 0 ->
    true = ets:insert(?CONFIG, {max, N}),
    true = ets:delete_all_objects(?EVENTS),
    nil;
max_events(N) ->
    beamtalk_error:raise('Error', type_error, 'Tracing', ["maxEvents: takes a positive Integer, not ",
                                                          beamtalk_print:print_string(N)]).

%% === Queries ===

%% @doc The events recorded, newest first.
-spec traces() -> [map()].
traces() ->
    events(fun(_) -> true end).

-spec traces_for(term()) -> [map()].
traces_for(Actor) ->
    Pid = pid_of(Actor),
    events(fun({_, P, _, _, _, _}) -> P =:= Pid end).

-spec traces_for(term(), atom()) -> [map()].
traces_for(Actor, Selector) ->
    Pid = pid_of(Actor),
    events(fun({_, P, _, S, _, _}) -> P =:= Pid andalso S =:= Selector end).

%% @doc Per actor (its pid, printed), its class and per method: calls, ok, errors, average, least and
%% most microseconds.
-spec stats() -> #{binary() => map()}.
stats() ->
    by_actor(ets:tab2list(?STATS)).

-spec stats_for(term()) -> map().
stats_for(Actor) ->
    Pid = pid_of(Actor),
    case by_actor([R || {{P, _, _}, _, _, _, _, _, _} = R <- ets:tab2list(?STATS), P =:= Pid]) of
        #{} = M when map_size(M) =:= 0 -> #{};
        M -> hd(maps:values(M))
    end.

%% @doc The `Limit' methods (over all actors) slowest on average.
-spec slow_methods(integer()) -> [map()].
slow_methods(Limit) ->
    top(Limit, fun(#{<<"avg_us">> := A}) -> A end, methods()).

-spec hot_methods(integer()) -> [map()].
hot_methods(Limit) ->
    top(Limit, fun(#{<<"calls">> := C}) -> C end, methods()).

%% @doc The `Limit' methods that fail most often (by share of calls), those that never did left out.
-spec error_methods(integer()) -> [map()].
error_methods(Limit) ->
    Failing = [M#{<<"error_rate">> => E / C} || #{<<"errors">> := E, <<"calls">> := C} = M <- methods(), E > 0],
    top(Limit, fun(#{<<"error_rate">> := R}) -> R end, Failing).

%% @doc The `Limit' actors with the longest message queues now.
-spec bottlenecks(integer()) -> [map()].
bottlenecks(Limit) ->
    Live = [#{<<"actor">> => pid_text(P), <<"class">> => atom_to_binary(C, utf8),
              <<"queue_depth">> => Q, <<"memory_kb">> => Mem div 1024}
            || #{pid := P, class := C} <- beamtalk_actor_sup:actors(),
               [{message_queue_len, Q}, {memory, Mem}] <- [process_info(P, [message_queue_len, memory])]],
    top(Limit, fun(#{<<"queue_depth">> := Q}) -> Q end, Live).

%% @doc An actor's process now: status, queue, memory, reductions; a dead one says so.
-spec health_for(term()) -> map().
health_for({'$bt_actor', Class, Pid}) ->
    Base = #{<<"pid">> => pid_text(Pid), <<"class">> => atom_to_binary(Class, utf8)},
    case process_info(Pid, [status, message_queue_len, memory, reductions]) of
        undefined ->
            Base#{<<"status">> => <<"dead">>, <<"error">> => <<"process not alive">>};
        [{status, S}, {message_queue_len, Q}, {memory, M}, {reductions, R}] ->
            Base#{<<"status">> => atom_to_binary(S, utf8), <<"queue_depth">> => Q,
                  <<"memory_kb">> => M div 1024, <<"reductions">> => R}
    end;
health_for(Other) ->
    beamtalk_error:raise('Error', type_error, 'Tracing', ["healthFor: takes an actor, not ",
                                                          beamtalk_print:print_string(Other)]).

%% @doc The VM: schedulers, processes, run queue, memory, uptime.
-spec system_health() -> map().
system_health() ->
    Memory = erlang:memory(),
    {Uptime, _} = erlang:statistics(wall_clock),
    #{<<"schedulers">> => erlang:system_info(schedulers_online),
      <<"process_count">> => erlang:system_info(process_count),
      <<"run_queue">> => erlang:statistics(total_run_queue_lengths),
      <<"memory_total_kb">> => proplists:get_value(total, Memory) div 1024,
      <<"memory_processes_kb">> => proplists:get_value(processes, Memory) div 1024,
      <<"memory_ets_kb">> => proplists:get_value(ets, Memory) div 1024,
      <<"uptime_ms">> => Uptime,
      <<"tracing">> => is_enabled()}.

%% === The server: owns the tables and the recorder ===

-spec init([]) -> {ok, #{}}.
init([]) ->
    %% The recorder is linked: its end (killed by `disable', or a crash) is told here, not fatal.
    process_flag(trap_exit, true),
    Opts = [named_table, public, {read_concurrency, true}],
    ?EVENTS = ets:new(?EVENTS, [ordered_set | Opts]),
    ?STATS = ets:new(?STATS, [set | Opts]),
    ?CONFIG = ets:new(?CONFIG, [set | Opts]),
    ?ACTORS = ets:new(?ACTORS, [set | Opts]),
    true = ets:insert(?CONFIG, {recorder, none}),
    {ok, #{}}.

-spec handle_call(enable | disable | term(), gen_server:from(), #{}) -> {reply, ok | {error, unknown}, #{}}.
handle_call(enable, _From, S) ->
    case recorder() of
        none ->
            Recorder = proc_lib:spawn_link(?MODULE, record, [self()]),
            true = ets:insert(?CONFIG, {recorder, Recorder}),
            _ = erlang:trace(all, true, [call, timestamp, {tracer, Recorder}]),
            %% Neither the recorder nor this server sends to user classes: their own calls are not traced.
            _ = [erlang:trace(P, false, [call, timestamp]) || P <- [Recorder, self()]],
            _ = [trace_module(M, true) || M <- user_modules()],
            {reply, ok, S};
        _ ->
            {reply, ok, S}
    end;
handle_call(disable, _From, S) ->
    stop_recording(),
    {reply, ok, S};
handle_call(Other, _From, S) ->
    logger:warning("beamtalk_tracing: unexpected call ~p", [Other]),
    {reply, {error, unknown}, S}.

-spec handle_cast(term(), #{}) -> {noreply, #{}}.
handle_cast(Other, S) ->
    logger:warning("beamtalk_tracing: unexpected cast ~p", [Other]),
    {noreply, S}.

-spec handle_info(term(), #{}) -> {noreply, #{}}.
handle_info({overloaded, Recorder}, S) ->
    case recorder() of
        Recorder ->
            logger:warning("beamtalk_tracing: the recorder fell ~p events behind; tracing is off", [?MAX_QUEUE]),
            stop_recording();
        _ ->
            ok
    end,
    {noreply, S};
handle_info({'EXIT', Pid, Reason}, S) ->
    case recorder() of
        Pid ->
            logger:warning("beamtalk_tracing: the recorder stopped (~p); tracing is off", [Reason]),
            stop_recording();
        _ ->
            ok
    end,
    {noreply, S};
handle_info(Other, S) ->
    logger:warning("beamtalk_tracing: unexpected message ~p", [Other]),
    {noreply, S}.

-spec stop_recording() -> ok.
stop_recording() ->
    case recorder() of
        none -> ok;
        Recorder ->
            _ = [trace_module(M, false) || M <- user_modules()],
            _ = erlang:trace(all, false, [call, timestamp]),
            true = ets:insert(?CONFIG, {recorder, none}),
            %% The events already traced are recorded before the recorder stops: once the VM says every
            %% trace message is in its queue, a stop sent now comes after them. Bounded: a recorder
            %% that cannot finish in time is killed.
            Ref = erlang:trace_delivered(all),
            receive {trace_delivered, all, Ref} -> ok after 5000 -> ok end,
            unlink(Recorder),
            MRef = monitor(process, Recorder),
            Recorder ! stop,
            receive
                {'DOWN', MRef, process, Recorder, _} -> ok
            after 5000 ->
                exit(Recorder, kill),
                receive {'DOWN', MRef, process, Recorder, _} -> ok end
            end,
            ok
    end.

%% === The recorder ===

%% @doc The recorder's loop: pairs each traced call with its return or exception (per process, a stack
%% of call times) and writes an event and the aggregate.
-spec record(pid()) -> no_return().
record(Owner) ->
    process_flag(priority, high),
    record(Owner, #{}, 0).

-spec record(pid(), #{pid() => [integer()]}, non_neg_integer()) -> no_return().
record(Owner, Calls, N) ->
    _ = N rem 1000 =:= 0 andalso overloaded(Owner),
    receive
        {trace_ts, Pid, call, _MFA, TS} ->
            record(Owner, Calls#{Pid => [micros(TS) | maps:get(Pid, Calls, [])]}, N + 1);
        {trace_ts, Pid, return_from, {M, F, _}, _Value, TS} ->
            record(Owner, finish(Pid, M, F, ok, TS, Calls), N + 1);
        {trace_ts, Pid, exception_from, {M, F, _}, _Exception, TS} ->
            record(Owner, finish(Pid, M, F, error, TS, Calls), N + 1);
        stop ->
            exit(normal);
        _Other ->
            %% Other trace messages (a process's spawn, link...) are not sends: nothing to record.
            record(Owner, Calls, N + 1)
    end.

-spec overloaded(pid()) -> ok.
overloaded(Owner) ->
    case process_info(self(), message_queue_len) of
        {message_queue_len, Q} when Q > ?MAX_QUEUE -> Owner ! {overloaded, self()}, ok;
        _ -> ok
    end.

-spec finish(pid(), module(), atom(), ok | error, erlang:timestamp(), #{pid() => [integer()]}) ->
          #{pid() => [integer()]}.
finish(Pid, M, F, Outcome, TS, Calls) ->
    case maps:get(Pid, Calls, []) of
        [] ->
            Calls;
        [Started | Rest] ->
            End = micros(TS),
            Class = beamtalk_class:of_module(M),
            write(Pid, Class, selector(F), End - Started, Outcome, End),
            case Rest of
                [] ->
                    _ = ets:insert_new(?ACTORS, {Pid, Class}),
                    maps:remove(Pid, Calls);
                _ -> Calls#{Pid => Rest}
            end
    end.

-spec write(pid(), atom(), atom(), integer(), ok | error, integer()) -> ok.
write(Pid, Class, Selector, Us, Outcome, At) ->
    true = ets:insert(?EVENTS, {{At, erlang:unique_integer([monotonic])}, Pid, Class, Selector, Us, Outcome}),
    trim(),
    Key = {Pid, Class, Selector},
    {Ok, Err} = case Outcome of ok -> {1, 0}; error -> {0, 1} end,
    case ets:lookup(?STATS, Key) of
        [] -> true = ets:insert(?STATS, {Key, 1, Ok, Err, Us, Us, Us});
        [{Key, Calls, Oks, Errs, Total, Min, Max}] ->
            true = ets:insert(?STATS, {Key, Calls + 1, Oks + Ok, Errs + Err, Total + Us, min(Min, Us), max(Max, Us)})
    end,
    ok.

%% The buffer over its capacity loses its oldest tenth.
-spec trim() -> ok.
trim() ->
    Max = max_events(),
    case ets:info(?EVENTS, size) > Max of
        true -> drop(?EVENTS, ets:first(?EVENTS), max(1, Max div 10));
        false -> ok
    end.

-spec drop(atom(), term(), non_neg_integer()) -> ok.
drop(_, '$end_of_table', _) -> ok;
drop(_, _, 0) -> ok;
drop(T, Key, N) ->
    Next = ets:next(T, Key),
    true = ets:delete(T, Key),
    drop(T, Next, N - 1).

%% === Helpers ===

-spec recorder() -> pid() | none.
recorder() ->
    config(recorder, none).

-spec config(atom(), term()) -> term().
config(Key, Default) ->
    try ets:lookup(?CONFIG, Key) of
        [{Key, V}] -> V;
        [] -> Default
    catch error:badarg -> Default
    end.

-spec user_modules() -> [module()].
user_modules() ->
    [M || {M, _} <- code:all_loaded(), lists:prefix(?BT_CLASS_MODULE_PREFIX, atom_to_list(M)), traced(M)].

%% Every class's methods but the `Tracing' class's own: reading the traces would be traced, and
%% `Tracing clear' would leave a trace of itself behind (ADR 0069: traces after a clear are empty).
-spec traced(module()) -> boolean().
traced(Module) ->
    beamtalk_class:of_module(Module) =/= 'Tracing'.

%% Every method function of `Module' (instance and class side) traced, or not.
-spec trace_module(module(), boolean()) -> ok.
trace_module(Module, On) ->
    Spec = case On of
               true -> [{'_', [], [{return_trace}, {exception_trace}]}];
               false -> false
           end,
    _ = [erlang:trace_pattern({Module, F, A}, Spec, [local])
         || {F, A} <- Module:module_info(functions), is_method(F)],
    ok.

-spec is_method(atom()) -> boolean().
is_method(F) ->
    beamtalk_class:method_of(F) =/= none.

-spec selector(atom()) -> atom().
selector(F) ->
    case beamtalk_class:method_of(F) of
        {ok, {instance, S}} -> S;
        {ok, {class, S}} -> list_to_atom("class " ++ atom_to_list(S));
        none -> F
    end.

-spec micros(erlang:timestamp()) -> integer().
micros({Mega, Sec, Micro}) ->
    (Mega * 1000000 + Sec) * 1000000 + Micro.

-spec pid_of(term()) -> pid() | none.
pid_of({'$bt_actor', _, Pid}) -> Pid;
pid_of(Pid) when is_pid(Pid) -> Pid;
pid_of(_) -> none.

-spec pid_text(pid()) -> binary().
pid_text(Pid) ->
    list_to_binary(pid_to_list(Pid)).

-spec events(fun((tuple()) -> boolean())) -> [map()].
events(Keep) ->
    [event(E) || E <- lists:reverse(ets:tab2list(?EVENTS)), Keep(E)].

-spec event(tuple()) -> map().
event({{At, _}, Pid, Class, Selector, Us, Outcome}) ->
    #{<<"timestamp_us">> => At, <<"actor">> => pid_text(Pid), <<"class">> => atom_to_binary(Class, utf8),
      <<"selector">> => atom_to_binary(Selector, utf8), <<"duration_us">> => Us,
      <<"outcome">> => atom_to_binary(Outcome, utf8)}.

-spec by_actor([stats_row()]) -> #{binary() => map()}.
by_actor(Rows) ->
    lists:foldl(
      fun({{Pid, Class, Selector}, Calls, Ok, Err, Total, Min, Max}, Acc) ->
              Key = pid_text(Pid),
              Own = case ets:lookup(?ACTORS, Pid) of
                        [{Pid, C}] -> C;
                        [] -> Class
                    end,
              Entry = maps:get(Key, Acc, #{<<"class">> => atom_to_binary(Own, utf8), <<"methods">> => #{}}),
              Method = #{<<"calls">> => Calls, <<"ok">> => Ok, <<"errors">> => Err,
                         <<"avg_us">> => Total div Calls, <<"min_us">> => Min, <<"max_us">> => Max},
              Methods = maps:get(<<"methods">>, Entry),
              Acc#{Key => Entry#{<<"methods">> => Methods#{atom_to_binary(Selector, utf8) => Method}}}
      end, #{}, Rows).

%% Per class and method, over all actors.
-spec methods() -> [map()].
methods() ->
    Merged = lists:foldl(
               fun({{_, Class, Selector}, Calls, _, Err, Total, _, Max}, Acc) ->
                       {C0, E0, T0, M0} = maps:get({Class, Selector}, Acc, {0, 0, 0, 0}),
                       Acc#{{Class, Selector} => {C0 + Calls, E0 + Err, T0 + Total, max(M0, Max)}}
               end, #{}, ets:tab2list(?STATS)),
    [#{<<"class">> => atom_to_binary(Class, utf8), <<"selector">> => atom_to_binary(Selector, utf8),
       <<"calls">> => Calls, <<"errors">> => Err, <<"avg_us">> => Total div Calls, <<"max_us">> => Max}
     || {{Class, Selector}, {Calls, Err, Total, Max}} <- maps:to_list(Merged)].

-spec top(integer(), fun((map()) -> number()), [map()]) -> [map()].
top(Limit, By, Items) when is_integer(Limit), Limit >= 0 ->
    lists:sublist(lists:sort(fun(A, B) -> By(A) >= By(B) end, Items), Limit);
top(Limit, _, _) ->
    beamtalk_error:raise('Error', type_error, 'Tracing', ["takes a count (an Integer of 0 or more), not ",
                                                          beamtalk_print:print_string(Limit)]).
