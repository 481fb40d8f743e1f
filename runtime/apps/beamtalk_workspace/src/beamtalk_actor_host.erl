%% @doc Runs, restarts and lists the workspace's actors: one host per scheduler, each the parent of many
%% actors, with restart limits counted per actor (an actor that keeps crashing is given up alone).
%%
%% A host never waits on an actor, and a spawn does not pass through it. The spawner starts the actor
%% itself, as `gen_server:start/3' would (on its own scheduler: a spawn that had to wake another one would
%% cost twice as much), and the new process records itself in its host's table and links to the host
%% before `initialize' runs. That table is the workspace's list of actors (nothing else registers them),
%% and the link is how the host hears of a crash and restarts the actor. An actor's `initialize' may
%% therefore spawn, supervise or stop actors on any host, this one included.
-module(beamtalk_actor_host).
-behaviour(gen_server).

-export([start_link/1, name/1, start_actor/5, actor/3, ready_actor/3, stop_actor/2, kill/2, holds/2, stop_owned/2, actors/1,
         actors/2, pids_of/2, rename_class/3, count/1, details_of/1, reason_text/1]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2, terminate/2]).

-export_type([actor/0, detail/0]).

-type restart() :: permanent | transient | temporary.
%% An actor as `beamtalk workspace actors' and `Workspace actors' list it.
-type actor() :: #{pid := pid(), class := atom(), started_at := integer(), restarts := non_neg_integer()}.
%% An actor with its live figures: pid, class, uptime (s), message queue, memory (bytes), reductions,
%% restarts, and the name of a durable actor (else nil).
-type detail() :: {pid(), atom(), integer(), non_neg_integer(), non_neg_integer(), non_neg_integer(),
                   non_neg_integer(), atom()}.
%% What an actor is started from, as its spawner gives it.
-type spec() :: #{class := atom(), init := map(), id := integer(), restart := restart()}.
%% An actor of a host, as its table holds it (keyed by pid).
-type child() :: #{class := atom(), init := map(), id := integer(), restart := restart(),
                   started_at := integer(), restarts := non_neg_integer(), crashes := [integer()]}.
%% The host's table of actors is named as the host is registered.
-type row() :: {pid(), atom(), integer(), non_neg_integer(), child()}.
-type state() :: #{table := atom()}.

%% Restarts allowed per actor within the period before it is given up (as an OTP supervisor's intensity).
-define(MAX_RESTARTS, 5).
-define(PERIOD_MS, 10000).
%% How long a stopping host gives its actors to end before it kills them.
-define(SHUTDOWN_MS, 5000).
%% Selects the columns of a row that listings show.
-define(LISTED, {{'$1', '$2', '$3', '$4', '_'}, [], [{{'$1', '$2', '$3', '$4'}}]}).
-spec start_link(pos_integer()) -> {ok, pid()} | {error, term()}.
start_link(N) ->
    gen_server:start_link({local, name(N)}, ?MODULE, name(N), []).

%% @doc The registered name of host `N'.
-spec name(pos_integer()) -> atom().
name(N) ->
    list_to_atom("beamtalk_actor_host_" ++ integer_to_list(N)).

%% @doc Starts an actor of `Class' on host `Host', and waits for its `initialize'; answers its pid, or why it
%% did not start (as `gen_server:start/3' would). Nothing is left behind when it fails. An actor with
%% nothing to run at its start (`beamtalk_actor:ready/2') is not waited for.
-spec start_actor(atom(), atom(), map(), integer(), restart()) -> {ok, pid()} | {error, term()}.
start_actor(Host, Class, Init, Id, Restart) ->
    Spec = #{class => Class, init => Init, id => Id, restart => Restart},
    try start(Host, Spec, beamtalk_actor:ready(Class, Init))
    catch
        %% The node's process limit: this actor does not start, and everything else goes on.
        error:system_limit -> {error, system_limit}
    end.

-spec start(atom(), spec(), {ok, [{atom(), term()}]} | {error, term()} | wait) -> {ok, pid()} | {error, term()}.
start(Host, Spec, wait) ->
    {Pid, Mon} = proc_lib:spawn_opt(?MODULE, actor, [Host, self(), Spec], [monitor]),
    await_start(Pid, Mon);
start(Host, Spec, {ok, Slots}) ->
    start_ready(Host, Spec, Slots);
start(_Host, _Spec, {error, Reason}) ->
    {error, Reason}.

%% The spawner records the actor in the host's table before anyone else knows its pid, so the host finds
%% it when its exit arrives (the actor links to the host before it serves its first message).
-spec start_ready(atom(), spec(), [{atom(), term()}]) -> {ok, pid()} | {error, term()}.
start_ready(Host, Spec, Slots) ->
    Pid = proc_lib:spawn_opt(?MODULE, ready_actor, [Host, Spec, Slots], []),
    try ets:insert(Host, record(Pid, child(Spec))) of
        true -> {ok, Pid}
    catch
        %% The host is restarting (its table is gone with it): this actor was never anyone's.
        error:badarg ->
            exit(Pid, kill),
            {error, stopped}
    end.

%% The actor answers once; if it dies after that, its `DOWN' is flushed with the monitor.
-spec await_start(pid(), reference()) -> {ok, pid()} | {error, term()}.
await_start(Pid, Mon) ->
    receive
        {'$bt_started', Pid} ->
            erlang:demonitor(Mon, [flush]),
            {ok, Pid};
        {'DOWN', Mon, process, Pid, Reason} ->
            {error, not_started(Reason)}
    end.

%% Why a spawned actor did not start, from how it ended.
-spec not_started(term()) -> term().
not_started({shutdown, {'$bt_init_failed', Reason}}) -> Reason;
not_started(shutdown) -> stopped;          % stopped in its `initialize' (by an actor it spawned, say)
not_started(Reason) -> Reason.

%% @doc The body of an actor a spawner starts: joins `Host' (recorded in its table, then linked, so the
%% host knows it before any exit of it arrives), runs `initialize' and answers `Spawner'. One that fails
%% to start leaves the table before it ends, so a failed spawn is never listed, not even while its
%% spawner hears why.
-spec actor(atom(), pid(), spec()) -> no_return().
actor(Host, Spawner, #{class := Class, init := Init, id := Id} = Spec) ->
    ok = use_transcript(),
    true = ets:insert(Host, record(self(), child(Spec))),
    true = link(whereis(Host)),
    %% Its parent is the host (`gen_server' reads it here), not the process that spawned it.
    _ = erlang:put('$ancestors', [Host, beamtalk_actor_sup]),
    case beamtalk_actor:start({Class, Init, Id}) of
        {ok, Self} ->
            Spawner ! {'$bt_started', self()},
            beamtalk_actor:serve(Self);
        {error, Reason} ->
            true = ets:delete(Host, self()),
            exit({shutdown, {'$bt_init_failed', Reason}})
    end.

%% @doc The body of an actor `start_ready/3' starts: joins `Host' (linked, as the spawner has recorded it),
%% then serves.
-spec ready_actor(atom(), spec(), [{atom(), term()}]) -> no_return().
ready_actor(Host, #{class := Class, init := Init, id := Id}, Slots) ->
    ok = use_transcript(),
    true = link(whereis(Host)),
    _ = erlang:put('$ancestors', [Host, beamtalk_actor_sup]),
    beamtalk_actor:serve_ready(Class, Init, Id, Slots).

-spec child(spec()) -> child().
child(Spec) ->
    Spec#{started_at => erlang:system_time(second), restarts => 0, crashes => []}.

%% An actor as its host's table holds it: what listings read first, as columns a match specification can
%% pick out without copying the rest (its initial values may be large, and there may be 100,000 rows).
-spec record(pid(), child()) -> row().
record(Pid, #{class := Class, started_at := At, restarts := N} = Child) ->
    {Pid, Class, At, N, Child}.

%% @doc Stops actor `Pid' of `Host' for good (it is not restarted, whatever its policy).
-spec stop_actor(atom() | pid(), pid()) -> ok | {error, not_found}.
stop_actor(Host, Pid) ->
    gen_server:call(Host, {stop, Pid}).

%% @doc Kills actor `Pid' of `Host' as a crash would. One that has not linked to its host yet (its spawner
%% did not wait for it, see `start_ready/3') is reported to the host here, as no exit of it ever will be;
%% should it link in between, the host hears of it twice and acts once (the first takes its row).
-spec kill(atom(), pid()) -> ok.
kill(Host, Pid) ->
    Linked = case erlang:process_info(Pid, links) of
                 {links, Links} -> lists:member(whereis(Host), Links);
                 undefined -> true      % ended already: its exit, if linked, is on its way
             end,
    exit(Pid, kill),
    _ = Linked orelse gen_server:cast(Host, {unlinked_exit, Pid, killed}),
    ok.

%% @doc Whether `Host''s table has actor `Pid'.
-spec holds(atom(), pid()) -> boolean().
holds(Host, Pid) ->
    read(Host, fun(T) -> ets:member(T, Pid) end, false).

%% @doc Stops the actors of `Host' that belong to `Owner' (their initial values say so); how many.
-spec stop_owned(atom() | pid(), reference()) -> non_neg_integer().
stop_owned(Host, Owner) ->
    gen_server:call(Host, {stop_owned, Owner}).

%% @doc The actors of `Host'.
-spec actors(atom()) -> [actor()].
actors(Host) ->
    read(Host, fun(T) -> [listed(R) || R <- ets:select(T, [?LISTED])] end, []).

%% @doc At most `Limit' of the actors of `Host'.
-spec actors(atom(), non_neg_integer()) -> [actor()].
actors(_Host, 0) -> [];
actors(Host, Limit) ->
    read(Host, fun(T) ->
                       case ets:select(T, [?LISTED], Limit) of
                           {Found, _More} -> [listed(R) || R <- Found];
                           '$end_of_table' -> []
                       end
               end, []).

%% @doc `Actors' with their live figures (those still running).
-spec details_of([actor()]) -> [detail()].
details_of(Actors) ->
    Now = erlang:system_time(second),
    Durable = beamtalk_durable:names(),
    [{P, C, Now - At, Q, M, R, N, durable_name(Registered, Durable)}
     || #{pid := P, class := C, started_at := At, restarts := N} <- Actors,
        [{message_queue_len, Q}, {memory, M}, {reductions, R}, {registered_name, Registered}] <-
            [erlang:process_info(P, [message_queue_len, memory, reductions, registered_name])]].

%% The name of a durable actor registered as `Registered' (durable actors are always named), else nil.
-spec durable_name(atom() | [], #{atom() => true}) -> atom().
durable_name(Registered, Durable) when is_atom(Registered), map_size(Durable) > 0 ->
    Name = beamtalk_actor:actor_name(Registered),
    case maps:is_key(Name, Durable) of
        true -> Name;
        false -> nil
    end;
durable_name(_, _) ->
    nil.

%% @doc The pids of the actors of `Host' whose class is one of `Classes'.
-spec pids_of(atom(), [atom()]) -> [pid()].
pids_of(Host, Classes) ->
    read(Host, fun(T) ->
                       ets:select(T, [{{'$1', C, '_', '_', '_'}, [], ['$1']} || C <- Classes])
               end, []).

%% @doc The actors of `Host' listed as of class `Old' are listed as of class `New' (`Old renameTo: New').
-spec rename_class(atom(), atom(), atom()) -> non_neg_integer().
rename_class(Host, Old, New) ->
    read(Host, fun(T) ->
                       ets:select_replace(T, [{{'$1', Old, '$2', '$3', '$4'}, [],
                                               [{{'$1', {const, New}, '$2', '$3', '$4'}}]}])
               end, 0).

%% @doc How many actors `Host' runs.
-spec count(atom()) -> non_neg_integer().
count(Host) ->
    read(Host, fun(T) -> ets:info(T, size) end, 0).

%% Reads the table of host `Host' (its name), which is gone while the host restarts.
-spec read(atom(), fun((atom()) -> R), R) -> R.
read(Host, Read, Gone) ->
    try Read(Host)
    catch error:badarg -> Gone
    end.

%% @doc Why an actor ended, in Beamtalk terms where it was a Beamtalk error (`ZeroDivide: 1 / 0: ...'),
%% else the exit reason, cut short.
-spec reason_text(term()) -> binary().
reason_text({'$bt_error', _, _, _, _} = E) -> iolist_to_binary(beamtalk_error:describe(E));
reason_text({{'$bt_error', _, _, _, _} = E, Stack}) when is_list(Stack) -> reason_text(E);
reason_text(Reason) -> iolist_to_binary(io_lib:format("~P", [Reason, 8])).

%% gen_server callbacks

-spec init(atom()) -> {ok, state()}.
init(Table) ->
    process_flag(trap_exit, true),
    %% Public: actors record themselves, and listings read it without asking the host.
    Table = ets:new(Table, [set, public, named_table, {write_concurrency, true}, {read_concurrency, true}]),
    {ok, #{table => Table}}.

-spec handle_call(term(), gen_server:from(), state()) -> {reply, term(), state()}.
handle_call({stop, Pid}, _From, #{table := T} = S) ->
    case ets:take(T, Pid) of
        [_] ->
            exit(Pid, shutdown),
            {reply, ok, S};
        [] ->
            {reply, {error, not_found}, S}
    end;
handle_call({stop_owned, Owner}, _From, #{table := T} = S) ->
    Owned = ets:foldl(fun({Pid, _, _, _, #{init := #{'$bt_owner' := O}}}, Acc) when O =:= Owner -> [Pid | Acc];
                         (_, Acc) -> Acc
                      end, [], T),
    [begin ets:delete(T, Pid), exit(Pid, shutdown) end || Pid <- Owned],
    {reply, length(Owned), S};
handle_call(details, _From, #{table := T} = S) ->
    {reply, details_of(actors(T)), S};
handle_call(Other, _From, S) ->
    beamtalk_unexpected:log(?MODULE, call, Other),
    {reply, {error, unknown_request}, S}.

-spec handle_cast(term(), state()) -> {noreply, state()}.
handle_cast({unlinked_exit, Pid, Reason}, S) ->
    handle_info({'EXIT', Pid, Reason}, S);
handle_cast(Other, S) ->
    beamtalk_unexpected:log(?MODULE, cast, Other),
    {noreply, S}.

-spec handle_info(term(), state()) -> {noreply, state()}.
handle_info({'EXIT', Pid, Reason}, #{table := T} = S) ->
    case ets:take(T, Pid) of
        [{_, _, _, _, Child}] -> {noreply, exited(Pid, Reason, Child, S)};
        [] -> {noreply, S}   % an actor stopped on purpose, one that failed to start, or a link a method made
    end;
handle_info(Other, S) ->
    beamtalk_unexpected:log(?MODULE, info, Other),
    {noreply, S}.

%% Stops every actor, as a supervisor stops its children: `shutdown', then killed after ?SHUTDOWN_MS.
%% Their exits are taken in arrival order (each receive takes the first message), so stopping 100,000
%% actors costs no more than sending them the signal.
-spec terminate(term(), state()) -> ok.
terminate(_Reason, #{table := T}) ->
    %% Only the living are waited for: one that ended before it linked (killed in the moment after its
    %% spawn) sends no exit.
    All = maps:from_list([{Pid, []} || Pid <- ets:select(T, [{{'$1', '_', '_', '_', '_'}, [], ['$1']}]),
                                       is_process_alive(Pid)]),
    maps:foreach(fun(Pid, _) -> exit(Pid, shutdown) end, All),
    Left = await_exits(All, erlang:monotonic_time(millisecond) + ?SHUTDOWN_MS),
    maps:foreach(fun(Pid, _) -> exit(Pid, kill) end, Left).

-spec await_exits(#{pid() => []}, integer()) -> #{pid() => []}.
await_exits(Left, _Deadline) when map_size(Left) =:= 0 ->
    Left;
await_exits(Left, Deadline) ->
    Wait = max(0, Deadline - erlang:monotonic_time(millisecond)),
    receive
        {'EXIT', Pid, _} -> await_exits(maps:remove(Pid, Left), Deadline)
    after Wait ->
        Left
    end.

%% Runs `Child' again in a new process (a restart, which nobody waits for).
-spec run(child(), state()) -> state().
run(#{class := Named, init := Init, id := Id} = Child0, #{table := T} = S) ->
    %% Under the class's name now: it may have been renamed since this actor was spawned.
    Class = beamtalk_class:canonical(Named),
    Child = Child0#{class := Class},
    ok = use_transcript(),
    try proc_lib:spawn_opt(beamtalk_actor, run, [{Class, Init, Id}], [link]) of
        Pid ->
            true = ets:insert(T, record(Pid, Child)),
            S
    catch
        %% The node's process limit: this actor cannot come back, and the host and its others go on.
        error:system_limit ->
            give_up(Child, system_limit),
            S
    end.

%% Actors write through the transcript (their group leader) outside a call: their output is kept there.
-spec use_transcript() -> ok.
use_transcript() ->
    case whereis(beamtalk_transcript) of
        undefined -> ok;
        T when T =:= self() -> ok;
        T ->
            _ = group_leader() =:= T orelse group_leader(T, self()),
            ok
    end.

%% An actor ended (one whose first start failed has left already: its spawner heard why): report a
%% crash, then restart as its policy says, until it has crashed too often.
-spec exited(pid(), term(), child(), state()) -> state().
exited(_Pid, {shutdown, {'$bt_init_failed', Reason}}, #{class := Class} = Child, S) ->
    %% A restart that failed is a crash: retried while the limit allows.
    broadcast("[actor ~s could not restart: ~ts]~n", [Class, reason_text(Reason)]),
    restart(Child, Reason, S);
exited(Pid, Reason, #{class := Class, restart := Restart} = Child, S) ->
    Clean = clean_exit(Reason),
    _ = Clean orelse broadcast("[actor ~s ~p crashed: ~ts]~n", [Class, Pid, reason_text(Reason)]),
    case Restart =:= permanent orelse (Restart =:= transient andalso not Clean) of
        true -> restart(Child, Reason, S);
        false -> S
    end.

-spec restart(child(), term(), state()) -> state().
restart(#{crashes := Crashes, restarts := N} = Child, Reason, S) ->
    Now = erlang:monotonic_time(millisecond),
    Recent = [Now | [T || T <- Crashes, Now - T < ?PERIOD_MS]],
    case length(Recent) > ?MAX_RESTARTS of
        true ->
            give_up(Child, Reason),
            S;
        false ->
            run(Child#{crashes := Recent, restarts := N + 1, started_at := erlang:system_time(second)}, S)
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

-spec listed({pid(), atom(), integer(), non_neg_integer()}) -> actor().
listed({Pid, Class, At, N}) ->
    #{pid => Pid, class => Class, started_at => At, restarts => N}.

-spec clean_exit(term()) -> boolean().
clean_exit(normal) -> true;
clean_exit(shutdown) -> true;
clean_exit({shutdown, _}) -> true;
clean_exit(_) -> false.
