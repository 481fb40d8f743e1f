%% @doc Runs, restarts and lists the workspace's actors: one host per scheduler, each the parent of many
%% actors, with restart limits counted per actor (an actor that keeps crashing is given up alone).
%%
%% A host never waits on an actor. Starting one is asynchronous: the host spawns it (`proc_lib', linked)
%% and the actor answers its spawner itself once `initialize' has run, through an alias the spawner made.
%% An actor's `initialize' may therefore spawn, supervise or stop actors on any host, this one included.
%% A spawn costs one process and one message more than `gen_server:start/3' (see `cargo bench --bench
%% scale'), and the host is where the workspace's list of actors lives: nothing else registers them.
-module(beamtalk_actor_host).
-behaviour(gen_server).

-export([start_link/1, name/1, start_actor/5, stop_actor/2, stop_owned/2, actors/1, actors/2, pids_of/2,
         count/1, details_of/1, reason_text/1]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2, terminate/2]).

-export_type([actor/0, detail/0]).

-type restart() :: permanent | transient | temporary.
%% An actor as `beamtalk workspace actors' and `Workspace actors' list it.
-type actor() :: #{pid := pid(), class := atom(), started_at := integer(), restarts := non_neg_integer()}.
%% An actor with its live figures: pid, class, uptime (s), message queue, memory (bytes), reductions,
%% restarts.
-type detail() :: {pid(), atom(), integer(), non_neg_integer(), non_neg_integer(), non_neg_integer(),
                   non_neg_integer()}.
-type child() :: #{class := atom(), init := map(), id := integer(), restart := restart(),
                   started_at := integer(), restarts := non_neg_integer(), crashes := [integer()],
                   starter := reference() | none}.
-type state() :: #{children := #{pid() => child()}}.

%% Restarts allowed per actor within the period before it is given up (as an OTP supervisor's intensity).
-define(MAX_RESTARTS, 5).
-define(PERIOD_MS, 10000).
%% How long a stopping host gives its actors to end before it kills them.
-define(SHUTDOWN_MS, 5000).

-spec start_link(pos_integer()) -> {ok, pid()} | {error, term()}.
start_link(N) ->
    gen_server:start_link({local, name(N)}, ?MODULE, [], []).

%% @doc The registered name of host `N'.
-spec name(pos_integer()) -> atom().
name(N) ->
    list_to_atom("beamtalk_actor_host_" ++ integer_to_list(N)).

%% @doc Starts an actor of `Class' on `Host' and waits for its `initialize'; answers its pid, or why it did
%% not start (as `gen_server:start/3' would). Nothing is left behind when it fails.
-spec start_actor(atom(), atom(), map(), integer(), restart()) -> {ok, pid()} | {error, term()}.
start_actor(Host, Class, Init, Id, Restart) ->
    %% The alias ends with the first answer: a late one (the host's, for an actor that died after it
    %% answered) is dropped by the runtime instead of reaching this process.
    Starter = erlang:monitor(process, Host, [{alias, reply_demonitor}]),
    gen_server:cast(Host, {start, Starter, #{class => Class, init => Init, id => Id, restart => Restart}}),
    receive
        {Starter, Reply} -> Reply;
        {'DOWN', Starter, process, _, Reason} -> {error, {host_down, Reason}}
    end.

%% @doc Stops actor `Pid' of `Host' for good (it is not restarted, whatever its policy).
-spec stop_actor(atom() | pid(), pid()) -> ok | {error, not_found}.
stop_actor(Host, Pid) ->
    gen_server:call(Host, {stop, Pid}).

%% @doc Stops the actors of `Host' that belong to `Owner' (their initial values say so); how many.
-spec stop_owned(atom() | pid(), reference()) -> non_neg_integer().
stop_owned(Host, Owner) ->
    gen_server:call(Host, {stop_owned, Owner}).

%% @doc The actors of `Host'.
-spec actors(atom() | pid()) -> [actor()].
actors(Host) ->
    gen_server:call(Host, actors).

%% @doc At most `Limit' of the actors of `Host'.
-spec actors(atom() | pid(), non_neg_integer()) -> [actor()].
actors(_Host, 0) -> [];
actors(Host, Limit) ->
    gen_server:call(Host, {actors, Limit}).

%% @doc `Actors' with their live figures (those still running).
-spec details_of([actor()]) -> [detail()].
details_of(Actors) ->
    Now = erlang:system_time(second),
    [{P, C, Now - At, Q, M, R, N}
     || #{pid := P, class := C, started_at := At, restarts := N} <- Actors,
        [{message_queue_len, Q}, {memory, M}, {reductions, R}] <-
            [erlang:process_info(P, [message_queue_len, memory, reductions])]].

%% @doc The pids of the actors of `Host' whose class is one of `Classes'.
-spec pids_of(atom() | pid(), [atom()]) -> [pid()].
pids_of(Host, Classes) ->
    gen_server:call(Host, {pids_of, Classes}).

%% @doc How many actors `Host' runs.
-spec count(atom() | pid()) -> non_neg_integer().
count(Host) ->
    gen_server:call(Host, count).

%% @doc Why an actor ended, in Beamtalk terms where it was a Beamtalk error (`ZeroDivide: 1 / 0: ...'),
%% else the exit reason, cut short.
-spec reason_text(term()) -> binary().
reason_text({'$bt_error', _, _, _, _} = E) -> iolist_to_binary(beamtalk_error:describe(E));
reason_text({{'$bt_error', _, _, _, _} = E, Stack}) when is_list(Stack) -> reason_text(E);
reason_text(Reason) -> iolist_to_binary(io_lib:format("~P", [Reason, 8])).

%% gen_server callbacks

-spec init([]) -> {ok, state()}.
init([]) ->
    process_flag(trap_exit, true),
    {ok, #{children => #{}}}.

-spec handle_call(term(), gen_server:from(), state()) -> {reply, term(), state()}.
handle_call({stop, Pid}, _From, #{children := Cs} = S) ->
    case maps:take(Pid, Cs) of
        {Child, Rest} ->
            %% Stopped in its `initialize' (by an actor it spawned, say): its spawner hears so.
            tell_starter(Child, stopped),
            exit(Pid, shutdown),
            {reply, ok, S#{children := Rest}};
        error ->
            {reply, {error, not_found}, S}
    end;
handle_call({stop_owned, Owner}, _From, #{children := Cs} = S) ->
    {Owned, Rest} = maps:fold(fun(Pid, #{init := Init} = C, {O, R}) ->
                                      case Init of
                                          #{'$bt_owner' := Owner} -> {[{Pid, C} | O], R};
                                          _ -> {O, R#{Pid => C}}
                                      end
                              end, {[], #{}}, Cs),
    [begin tell_starter(C, stopped), exit(Pid, shutdown) end || {Pid, C} <- Owned],
    {reply, length(Owned), S#{children := Rest}};
handle_call(actors, _From, #{children := Cs} = S) ->
    {reply, maps:fold(fun(Pid, C, Acc) -> [listed(Pid, C) | Acc] end, [], Cs), S};
handle_call({actors, Limit}, _From, #{children := Cs} = S) ->
    {reply, take(maps:next(maps:iterator(Cs)), Limit, []), S};
handle_call(details, _From, #{children := Cs} = S) ->
    {reply, details_of(maps:fold(fun(Pid, C, Acc) -> [listed(Pid, C) | Acc] end, [], Cs)), S};
handle_call({pids_of, Classes}, _From, #{children := Cs} = S) ->
    Pids = maps:fold(fun(P, #{class := C}, Acc) ->
                             case lists:member(C, Classes) of
                                 true -> [P | Acc];
                                 false -> Acc
                             end
                     end, [], Cs),
    {reply, Pids, S};
handle_call(count, _From, #{children := Cs} = S) ->
    {reply, maps:size(Cs), S};
handle_call(Other, _From, S) ->
    beamtalk_unexpected:log(?MODULE, call, Other),
    {reply, {error, unknown_request}, S}.

-spec handle_cast(term(), state()) -> {noreply, state()}.
handle_cast({start, Starter, Spec}, S) ->
    Child = Spec#{started_at => erlang:system_time(second), restarts => 0, crashes => [], starter => Starter},
    {noreply, run(Child, S)};
handle_cast(Other, S) ->
    beamtalk_unexpected:log(?MODULE, cast, Other),
    {noreply, S}.

-spec handle_info(term(), state()) -> {noreply, state()}.
handle_info({'EXIT', Pid, Reason}, #{children := Cs} = S) ->
    case maps:take(Pid, Cs) of
        {Child, Rest} -> {noreply, exited(Pid, Reason, Child, S#{children := Rest})};
        error -> {noreply, S}   % an actor stopped on purpose, or a link an actor's method made
    end;
handle_info(Other, S) ->
    beamtalk_unexpected:log(?MODULE, info, Other),
    {noreply, S}.

%% Stops every actor, as a supervisor stops its children: `shutdown', then killed after ?SHUTDOWN_MS.
%% Their exits are taken in arrival order (each receive takes the first message), so stopping 100,000
%% actors costs no more than sending them the signal.
-spec terminate(term(), state()) -> ok.
terminate(_Reason, #{children := Cs}) ->
    maps:foreach(fun(Pid, _) -> exit(Pid, shutdown) end, Cs),
    Left = await_exits(Cs, erlang:monotonic_time(millisecond) + ?SHUTDOWN_MS),
    maps:foreach(fun(Pid, _) -> exit(Pid, kill) end, Left).

-spec await_exits(#{pid() => child()}, integer()) -> #{pid() => child()}.
await_exits(Left, _Deadline) when map_size(Left) =:= 0 ->
    Left;
await_exits(Left, Deadline) ->
    Wait = max(0, Deadline - erlang:monotonic_time(millisecond)),
    receive
        {'EXIT', Pid, _} -> await_exits(maps:remove(Pid, Left), Deadline)
    after Wait ->
        Left
    end.

%% Runs `Child' in a new process, which answers its starter (if any) when `initialize' has run.
-spec run(child(), state()) -> state().
run(#{class := Class, init := Init, id := Id, starter := Starter} = Child, #{children := Cs} = S) ->
    ok = use_transcript(),
    try proc_lib:spawn_opt(beamtalk_actor, run, [Starter, {Class, Init, Id}], [link]) of
        Pid -> S#{children := Cs#{Pid => Child}}
    catch
        %% The node's process limit: this actor does not start, and the host and its other actors go on.
        error:system_limit ->
            not_started(Child, system_limit),
            S
    end.

%% A first start that could not happen fails its spawn; a restart that could not happen gives up.
-spec not_started(child(), term()) -> ok.
not_started(#{starter := none} = Child, Reason) -> give_up(Child, Reason);
not_started(Child, Reason) -> tell_starter(Child, Reason).

%% Actors inherit this host's group leader: output they write outside a call is kept in the transcript.
-spec use_transcript() -> ok.
use_transcript() ->
    case whereis(beamtalk_transcript) of
        undefined -> ok;
        T when T =:= self() -> ok;
        T ->
            _ = group_leader() =:= T orelse group_leader(T, self()),
            ok
    end.

%% An actor ended: if its start failed, its starter hears why (after it is forgotten here, so a failed
%% spawn is never listed); otherwise report a crash, then restart as its policy says, until it has
%% crashed too often.
-spec exited(pid(), term(), child(), state()) -> state().
exited(_Pid, {shutdown, {'$bt_init_failed', Reason}}, #{starter := Starter} = Child, S) when Starter =/= none ->
    tell_starter(Child, Reason),
    S;
exited(_Pid, {shutdown, {'$bt_init_failed', Reason}}, #{class := Class} = Child, S) ->
    %% A restart that failed is a crash: retried while the limit allows.
    broadcast("[actor ~s could not restart: ~ts]~n", [Class, reason_text(Reason)]),
    restart(Child, Reason, S);
exited(Pid, Reason, #{class := Class, restart := Restart} = Child, S) ->
    tell_starter(Child, Reason),
    Clean = clean_exit(Reason),
    _ = Clean orelse broadcast("[actor ~s ~p crashed: ~ts]~n", [Class, Pid, reason_text(Reason)]),
    case Restart =:= permanent orelse (Restart =:= transient andalso not Clean) of
        true -> restart(Child, Reason, S);
        false -> S
    end.

%% The first start of an actor failed, or it ended: its starter hears why, unless it had its answer
%% already (the alias answers once, see start_actor/5).
-spec tell_starter(child(), term()) -> ok.
tell_starter(#{starter := none}, _) -> ok;
tell_starter(#{starter := Starter}, Reason) ->
    Starter ! {Starter, {error, Reason}},
    ok.

-spec restart(child(), term(), state()) -> state().
restart(#{crashes := Crashes, restarts := N} = Child, Reason, S) ->
    Now = erlang:monotonic_time(millisecond),
    Recent = [Now | [T || T <- Crashes, Now - T < ?PERIOD_MS]],
    case length(Recent) > ?MAX_RESTARTS of
        true ->
            give_up(Child, Reason),
            S;
        false ->
            run(Child#{crashes := Recent, restarts := N + 1, starter := none,
                       started_at := erlang:system_time(second)}, S)
    end.

%% Too many crashes: the actor is gone for good, and users hear why in Beamtalk terms.
-spec give_up(child(), term()) -> ok.
give_up(#{class := Class, restarts := Restarts}, Reason) ->
    Text = reason_text(Reason),
    broadcast("[actor ~s stopped for good: it crashed ~b times in a row (last: ~s)]~n", [Class, Restarts + 1, Text]),
    beamtalk_workspace_meta:gave_up(#{class => Class, restarts => Restarts, reason => Text,
                                      at => erlang:system_time(second)}).

-spec broadcast(string(), [term()]) -> ok.
broadcast(Format, Args) ->
    beamtalk_repl_shell:broadcast(io_lib:format(Format, Args)).

-spec take(none | {pid(), child(), maps:iterator()}, non_neg_integer(), [actor()]) -> [actor()].
take(none, _, Acc) -> Acc;
take(_, 0, Acc) -> Acc;
take({Pid, C, Next}, N, Acc) -> take(maps:next(Next), N - 1, [listed(Pid, C) | Acc]).

-spec listed(pid(), child()) -> actor().
listed(Pid, #{class := Class, started_at := At, restarts := N}) ->
    #{pid => Pid, class => Class, started_at => At, restarts => N}.

-spec clean_exit(term()) -> boolean().
clean_exit(normal) -> true;
clean_exit(shutdown) -> true;
clean_exit({shutdown, _}) -> true;
clean_exit(_) -> false.
