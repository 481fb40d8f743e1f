%% @doc Actors: instances of `Actor subclass:' classes, each a gen_server holding its state slots.
%%
%% Sends to an actor are `gen_server' calls (5 s by default; on expiry the caller gets a Timeout error, never
%% a hang), `actor msg!' is a cast. An error inside a method is returned to the caller and the actor goes on.
%% The runtime never depends on the workspace application (ADR 0009): whoever runs actors registers modules
%% in this application's environment: `actor_starter' starts them (`start/1' and `serve/1' make a process an actor)
%% and kills them (`kill_actor/1'), and
%% `actor_spawn_callback' hears of the actors that supervisors of Beamtalk classes start.
-module(beamtalk_actor).
-behaviour(gen_server).

-export([registered_name/1, actor_name/1]).
-export([spawn/2, restore/1, spawn_as/3, spawn_persistent/3, spawn_durable/3, named/2, lookup/2, all_registered/0, lifecycle/2, start_link/3, start_child/1,
         start_child/2, run/1, start/1, serve/1, ready/2, serve_ready/4, call/4, restart_policy/1, own/1, stop_owned/1, register_as/2,
         on_exit/2]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2, terminate/2, code_change/3]).

-type ref() :: {'$bt_actor', atom(), pid()}.

%% The key in an actor's initial values under which `spawnAs:' passes its name.
-define(NAME_KEY, '$bt_name').
-define(NAME_PREFIX, "bt_actor:").
%% The key (in an actor's initial values) that makes it durable: its state is kept by the `actor_store'
%% module in this application's environment, under its name. In its process dictionary the same key holds
%% `{Name, Slots}': the state last stored.
-define(DURABLE_KEY, '$bt_durable').
%% The key under which `restore/1' marks a start that must not run `initialize' (once).
-define(RESTORE_KEY, '$bt_restore').
%% The key (in an actor's initial values and in a process's dictionary) of the owner its actors belong to.
-define(OWNER_KEY, '$bt_owner').
%% An actor idle this long hibernates (its heap shrinks to what it holds): a workspace of many idle
%% actors costs little memory, and a burst of messages never pays for it.
-define(START_OPTIONS, [{hibernate_after, 2000}]).
%% How long `named:' waits for an actor of that name that is being restarted (a call's timeout).
-define(NAMED_WAIT, 5000).
%% How long `stop' gives an actor's `terminate'.
-define(STOP_TIMEOUT, 5000).
%% How long an actor may take to answer a name request (it answers between two messages).
-define(ACTOR_CALL_MS, 5000).
%% How long an actor paused for its class's reload waits for the next step before going on regardless.
-define(RELOAD_PATIENCE, 60000).

%% @doc Starts an actor of `Class' with slot values from `Init' (the rest from their defaults). Whoever
%% runs actors may also supervise them: an `actor_starter' module in this application's environment
%% starts it (a process it makes an actor with `start/1' and `serve/1'); without one the actor runs
%% unsupervised.
-spec spawn(atom(), map()) -> ref().
spawn(Class, Init0) ->
    Id = erlang:unique_integer([positive]),
    Init = owned(Init0),
    Started = case application:get_env(beamtalk_runtime, actor_starter) of
                  {ok, Starter} -> Starter:start_actor(Class, Init, Id, restart_policy(Class, Init));
                  undefined -> gen_server:start(?MODULE, {Class, Init, Id}, ?START_OPTIONS)
              end,
    case Started of
        {ok, Pid} -> {'$bt_actor', Class, Pid};
        {error, {shutdown, {name_registered, Name}}} -> name_taken(Class, Name, whereis(registered_name(Name)));
        {error, {E, _Stack}} when element(1, E) =:= '$bt_error' -> error(E);
        {error, stopped} -> beamtalk_error:raise(spawn_failed, Class, "was stopped while it started (in its initialize)");
        {error, system_limit} ->
            beamtalk_error:raise(spawn_failed, Class,
                                 io_lib:format("cannot start: the node runs as many processes as it may (~b); stop "
                                               "some actors first", [erlang:system_info(process_limit)]));
        {error, Reason} -> beamtalk_error:raise(spawn_failed, Class, io_lib:format("failed to start: ~p", [Reason]))
    end.

%% An actor spawned while its spawner works for an owner (a test, see `own/1') belongs to that owner too,
%% and so do the actors it spawns in turn.
-spec owned(map()) -> map().
owned(Init) ->
    case erlang:get(?OWNER_KEY) of
        undefined -> Init;
        Owner -> Init#{?OWNER_KEY => Owner}
    end.

%% @doc Makes the actors the calling process spawns from now on (and the ones they spawn) belong to
%% `Owner', so they can be stopped together (`stop_owned/1'): a test's.
-spec own(reference()) -> ok.
own(Owner) ->
    _ = erlang:put(?OWNER_KEY, Owner),
    ok.

%% @doc Stops the actors that belong to `Owner' and still run; how many there were.
-spec stop_owned(reference()) -> non_neg_integer().
stop_owned(Owner) ->
    case application:get_env(beamtalk_runtime, actor_starter) of
        {ok, Starter} -> Starter:stop_owned(Owner);
        undefined -> 0
    end.

%% @doc An actor of `Class' whose state is about to be put back (`workspace import'): its first start does
%% not run `initialize' (its slots get their defaults until the state is set); a restart after a crash
%% is an ordinary start.
-spec restore(atom()) -> ref().
restore(Class) ->
    ?MODULE:spawn(Class, #{?RESTORE_KEY => atomics:new(1, [])}).

%% @doc `Counter spawnAs: #main': an actor registered under `Name' on this node (again after each restart),
%% found by `Counter named: #main'. A name in use is an error.
-spec spawn_as(atom(), atom(), map()) -> ref().
spawn_as(Class, Name, Init) ->
    case whereis(registered_name(Name)) of
        undefined -> ?MODULE:spawn(Class, Init#{?NAME_KEY => Name});
        Pid -> name_taken(Class, Name, Pid)
    end.

%% @doc `Account spawnPersistentAs: #main': a named actor whose state is durable (see `persist/1'). A name
%% that holds the stored state of an actor of this class starts it with that state (its `initialize' does
%% not run); one that holds another class's is refused.
-spec spawn_persistent(atom(), atom(), map()) -> ref().
spawn_persistent(Class, Name, Init) ->
    Store = store(Class),
    case Store:claim(Name, Class) of
        ok -> spawn_as(Class, Name, Init#{?DURABLE_KEY => true});
        {error, {runs_on, Node}} ->
            beamtalk_error:raise('Error', durable_name_taken, Class,
                                 io_lib:format("cannot be spawned persistent as #~s: that actor runs on node ~s, "
                                               "which shares this store", [Name, Node]));
        {error, {held_by, Other}} ->
            beamtalk_error:raise('Error', durable_name_taken, Class,
                                 io_lib:format("cannot be spawned persistent as #~s: that name holds the state of "
                                               "a ~s; hint: `Workspace forget: #~s` deletes it", [Name, Other, Name]));
        {error, Reason} ->
            error(durable_error(Class, Reason))
    end.

%% @doc A durable actor coming back with its stored state (at boot, or when its class loads).
-spec spawn_durable(atom(), atom(), map()) -> ref().
spawn_durable(Class, Name, Init) ->
    spawn_as(Class, Name, Init#{?DURABLE_KEY => true}).

%% The module that stores durable actors' state.
-spec store(atom()) -> module().
store(Class) ->
    case application:get_env(beamtalk_runtime, actor_store) of
        {ok, Store} -> Store;
        undefined -> error(durable_error(Class, {unavailable, <<"this node runs no workspace">>}))
    end.

%% A failure of the durable store, as a Beamtalk error.
-spec durable_error(atom(), term()) -> beamtalk_error:error().
durable_error(Class, {unstorable, What}) ->
    beamtalk_error:new('Error', unstorable_state, Class,
                       ["state would hold ", What, ", which cannot be stored; the change was undone (hint: keep "
                        "names and data in a durable actor's state, not actor references or blocks)"]);
durable_error(Class, {write_failed, Why}) ->
    beamtalk_error:new('Error', durable_write_failed, Class,
                       ["state could not be stored: ", Why, "; the change was undone"]);
durable_error(Class, {unavailable, Why}) ->
    beamtalk_error:new('Error', durable_unavailable, Class, ["cannot use durable state: ", Why]);
durable_error(Class, Reason) ->
    beamtalk_error:new('Error', durable_write_failed, Class,
                       io_lib:format("state could not be stored (~P); the change was undone", [Reason, 10])).

-spec name_taken(atom(), atom(), pid() | undefined) -> no_return().
%% @doc `anActor registerAs: #main': names an actor spawned without one (as `spawnAs:' would have); the
%% actor answers, as after `spawnAs:', `registeredName' and `Counter named: #main'. A name in use, or an
%% actor that has a name already, is an error.
-spec register_as(ref(), atom()) -> ref().
register_as({'$bt_actor', Class, Pid} = Ref, Name) ->
    case gen_server:call(Pid, {'$bt_register_as', Name}, ?ACTOR_CALL_MS) of
        ok -> Ref;
        {error, taken} -> name_taken(Class, Name, whereis(registered_name(Name)));
        {error, already_named} ->
            beamtalk_error:raise('Error', name_registered, Class,
                                 io_lib:format("is registered as #~s already; hint: `unregister` it first",
                                               [lifecycle(Ref, registeredName)]))
    end.

%% @doc `anActor onExit: [:reason | ...]': the block runs, in a process of its own, once the actor has
%% ended, with why (`#normal', `#shutdown', `#killed', `#noproc' for one that had ended already, or the
%% reason's text); answers the actor.
-spec on_exit(ref(), fun((term()) -> term())) -> ref().
on_exit({'$bt_actor', _, Pid} = Ref, Block) ->
    Caller = self(),
    Ready = make_ref(),
    {Watcher, WatcherMonitor} =
        spawn_monitor(fun() ->
                              Monitor = erlang:monitor(process, Pid),
                              Caller ! {Ready, watching},
                              receive
                                  {'DOWN', Monitor, process, Pid, Reason} -> Block(exit_reason(Reason))
                              end
                      end),
    %% Answered once the watcher monitors the actor: an exit right after `onExit:' is heard too.
    receive
        {Ready, watching} -> erlang:demonitor(WatcherMonitor, [flush]);
        {'DOWN', WatcherMonitor, process, Watcher, _} -> ok
    end,
    Ref.

-spec exit_reason(term()) -> term().
exit_reason({shutdown, _}) -> shutdown;
exit_reason(Reason) when is_atom(Reason) -> Reason;
exit_reason(Reason) -> iolist_to_binary(io_lib:format("~0tp", [Reason])).

name_taken(Class, Name, Pid) ->
    Holder = case Pid of
                 undefined -> "another actor";
                 _ -> beamtalk_print:print_string(ref_of(Name, Pid))
             end,
    beamtalk_error:raise('Error', name_registered, Class,
                         io_lib:format("cannot be spawned as #~s: ~s is that name already", [Name, Holder])).

%% @doc `Counter named: #main' (ADR 0079): `Result ok:' the actor registered as `Name' (`Actor named:'
%% takes any class), or `Result error:' with a `name_not_registered' error when no actor is, and a
%% `wrong_class' one when it is not a `Class'. Waits, as `named/2' does, for one being restarted.
-spec lookup(atom(), atom()) -> term().
lookup(Class, Name) ->
    case named('Actor', Name) of
        nil ->
            beamtalk_rt:result_error(
              beamtalk_error:new('Error', name_not_registered, undefined,
                                 io_lib:format("no actor is registered as #~s", [Name])));
        {'$bt_actor', Own, _} = Ref ->
            case beamtalk_class:inherits_from(Own, Class) of
                true -> beamtalk_rt:result_ok(Ref);
                false ->
                    beamtalk_rt:result_error(
                      beamtalk_error:new('Error', wrong_class, undefined,
                                         io_lib:format("#~s is a ~s, not a ~s", [Name, Own, Class])))
            end
    end.

%% @doc The actor registered as `Name', if it is a `Class' (any class for `'Actor''); nil when there is
%% none. An actor of that name being restarted by its supervisor is waited for,
%% up to a call's timeout, so a call through a name survives the restart.
-spec named(atom(), atom()) -> ref() | nil.
named(Class, Name) ->
    named(Class, Name, erlang:monotonic_time(millisecond) + ?NAMED_WAIT).

-spec named(atom(), atom(), integer()) -> ref() | nil.
named(Class, Name, Deadline) ->
    Registered = whereis(registered_name(Name)),
    Live = is_pid(Registered) andalso is_process_alive(Registered),
    Waiting = not Live andalso erlang:monotonic_time(millisecond) < Deadline andalso
        (is_pid(Registered) orelse beamtalk_actor_names:restarting(Name)),
    case {Live, Waiting} of
        {true, _} -> typed(Class, ref_of(Name, Registered));
        {false, true} -> timer:sleep(5), named(Class, Name, Deadline);
        {false, false} -> nil
    end.

%% `Ref' if its actor is a `Class', else nil.
-spec typed(atom(), ref() | nil) -> ref() | nil.
typed(Class, {'$bt_actor', Own, _} = Ref) ->
    case beamtalk_class:inherits_from(Own, Class) of
        true -> Ref;
        false -> nil
    end;
typed(_, nil) ->
    nil.

%% @doc `Actor allRegistered': the names of the registered actors, sorted.
-spec all_registered() -> [atom()].
all_registered() ->
    lists:sort([N || R <- registered(), N <- [actor_name(R)], N =/= nil]).

%% @doc The registered name of the actor named `Name'. Registered names live in the node's one namespace,
%% so an actor's carries a prefix: `#logger' never takes the place of Erlang's own `logger'.
-spec registered_name(atom()) -> atom().
registered_name(Name) ->
    list_to_atom(?NAME_PREFIX ++ atom_to_list(Name)).

%% @doc The actor name a registered name stands for (`registered_name/1' backwards), or nil for a name
%% that is not an actor's.
-spec actor_name(atom()) -> atom().
actor_name(Registered) ->
    case atom_to_list(Registered) of
        ?NAME_PREFIX ++ Name -> list_to_atom(Name);
        _ -> nil
    end.

%% The reference of the actor registered as `Name', from the class it recorded when it took the name:
%% the actor is not asked (it may be busy for longer than the caller would wait).
-spec ref_of(atom(), pid()) -> ref() | nil.
ref_of(Name, Pid) ->
    case beamtalk_actor_names:class_of(Name, Pid) of
        {ok, Class} -> {'$bt_actor', Class, Pid};
        error -> nil
    end.

%% @doc The lifecycle messages every actor reference answers without calling the actor: `isAlive',
%% `stop' (its `terminate' runs, then it ends for good whatever its restart policy) and `kill' (killed
%% at once, and restarted as its policy says).
%% `monitor' and `link' are the caller's: an actor that monitors another is sent `actorDown: ref reason:
%% reason' (if its class has that method) when the other ends; one that links to another ends with it
%% (and is restarted as its own policy says).
-spec lifecycle(ref(), isAlive | stop | kill | monitor | link | unlink | registeredName | isRegistered |
                       isDurable | forget | unregister) ->
          term().
lifecycle({'$bt_actor', _, Pid}, registeredName) ->
    %% The name `spawnAs:' gave it (ADR 0079), or nil.
    case erlang:process_info(Pid, registered_name) of
        {registered_name, Registered} -> actor_name(Registered);
        _ -> nil
    end;
lifecycle(Ref, isRegistered) ->
    lifecycle(Ref, registeredName) =/= nil;
lifecycle({'$bt_actor', _, Pid} = Ref, monitor) ->
    MRef = erlang:monitor(process, Pid),
    erlang:put({bt_monitor, MRef}, Ref),
    Ref;
lifecycle({'$bt_actor', _, Pid} = Ref, link) ->
    true = link(Pid),
    Ref;
lifecycle({'$bt_actor', _, Pid} = Ref, unlink) ->
    true = unlink(Pid),
    Ref;
lifecycle({'$bt_actor', Class, _} = Ref, isDurable) ->
    case lifecycle(Ref, registeredName) of
        nil -> false;
        Name -> application:get_env(beamtalk_runtime, actor_store) =/= undefined andalso
                    element(1, (store(Class)):load(Name)) =:= ok
    end;
lifecycle({'$bt_actor', Class, _} = Ref, forget) ->
    %% Stopped first: its `terminate' may still store a last state.
    case lifecycle(Ref, isDurable) of
        true ->
            Name = lifecycle(Ref, registeredName),
            ok = lifecycle(Ref, stop),
            case (store(Class)):delete(Name) of
                {error, Reason} -> error(durable_error(Class, Reason));
                _ -> nil
            end;
        false ->
            beamtalk_error:raise('Error', not_durable, Class,
                                 "is not a durable actor: there is no stored state to forget (hint: "
                                 "`spawnPersistentAs:` makes one)")
    end;
lifecycle({'$bt_actor', _, Pid}, unregister) ->
    ok = gen_server:call(Pid, '$bt_unregister', ?ACTOR_CALL_MS),
    nil;
lifecycle({'$bt_actor', _, Pid}, isAlive) ->
    is_process_alive(Pid);
lifecycle({'$bt_actor', _, Pid}, kill) ->
    %% Whoever runs actors hears of the kill even of one that has not run yet (see `ready/2').
    _ = case application:get_env(beamtalk_runtime, actor_starter) of
            {ok, Starter} -> Starter:kill_actor(Pid);
            undefined -> exit(Pid, kill)
        end,
    nil;
%% `stop' answers #ok, and again for an actor stopped already (chapter 11: it is idempotent).
lifecycle({'$bt_actor', _, Pid}, stop) when Pid =:= self() ->
    %% From its own method: a supervisor waits for the actor it stops, so another process asks.
    _ = spawn(fun() -> stop(Pid) end),
    ok;
lifecycle({'$bt_actor', Class, Pid}, stop) ->
    case stop(Pid) of
        ok -> ok;
        busy -> io:format("[~s ~p was busy for ~b s: stopped without running its terminate]~n",
                          [Class, Pid, ?STOP_TIMEOUT div 1000])
    end,
    ok.

%% Runs the actor's `terminate', then ends it for good; `busy' if it was too busy (in a long method) to
%% run its `terminate' within ?STOP_TIMEOUT, and was ended without.
-spec stop(pid()) -> ok | busy.
stop(Pid) ->
    Terminated = try gen_server:call(Pid, {'$bt_terminate', group_leader()}, ?STOP_TIMEOUT) of
                     _ -> ok
                 catch
                     exit:{timeout, _} -> busy;
                     exit:_ -> ok   % gone already
                 end,
    Stopped = case application:get_env(beamtalk_runtime, actor_starter) of
                  {ok, Starter} -> Starter:stop_actor(Pid);
                  undefined -> {error, not_found}
              end,
    _ = case Stopped of
            ok -> ok;
            {error, not_found} when Terminated =:= busy -> exit(Pid, kill);
            {error, not_found} -> catch gen_server:stop(Pid, normal, ?STOP_TIMEOUT)
        end,
    Terminated.

%% @doc Starts an actor linked to the caller (a supervisor); `Id' stays the same across restarts.
-spec start_link(atom(), map(), integer()) -> {ok, pid()} | {error, term()}.
start_link(Class, Init, Id) ->
    gen_server:start_link(?MODULE, {Class, Init, Id}, ?START_OPTIONS).

%% @doc Starts an actor as the child of a supervisor of a Beamtalk `Supervisor' class.
-spec start_child(atom()) -> {ok, pid()} | {error, term()}.
start_child(Class) ->
    start_child(Class, #{}).

%% @doc The same with initial values (`pool startChild: #{#n => 5}').
-spec start_child(atom(), map()) -> {ok, pid()} | {error, term()}.
start_child(Class, Init) ->
    start_link(Class, Init, erlang:unique_integer([positive])).

%% @doc How a supervisor restarts actors of `Class': never (`temporary', chapter 17 of the documentation)
%% unless the class answers `supervisionPolicy' (or its older name `restartPolicy') on its class side with
%% #permanent, #transient or #temporary.
-spec restart_policy(atom()) -> permanent | transient | temporary.
restart_policy(Class) ->
    restart_policy(Class, #{}).

%% A durable actor is always restarted: its state outlives its crashes.
-spec restart_policy(atom(), map()) -> permanent | transient | temporary.
restart_policy(_Class, #{?DURABLE_KEY := true}) ->
    permanent;
restart_policy(Class, _Init) ->
    %% Asked only of classes that answer it: a does-not-understand error is costly to raise (its hint
    %% looks through every selector), and every spawn asks (one cached lookup).
    Answered = [beamtalk_dispatch:send({'$bt_class', Class}, S, [])
                || S <- beamtalk_class:cached({policy_selectors, Class}, fun() -> policy_selectors(Class) end)],
    case Answered of
        [P | _] when P =:= permanent; P =:= transient; P =:= temporary -> P;
        _ -> temporary
    end.

%% The class-side methods `Class' defines (itself or its superclasses) that name its restart policy.
-spec policy_selectors(atom()) -> [atom()].
policy_selectors(Class) ->
    [S || S <- [supervisionPolicy, restartPolicy], beamtalk_class:defines_class_method(Class, S)].

%% @doc Sends a message to an actor and waits for the answer.
-spec call(ref(), atom(), [term()], timeout()) -> term().
call({'$bt_actor', Class, Pid}, Selector, Args, Timeout) ->
    try gen_server:call(Pid, request(Selector, Args), Timeout) of
        {ok, V} -> V;
        {error, E} -> error(E)
    catch
        exit:{timeout, _} ->
            beamtalk_error:raise(timeout, Class, io_lib:format("did not answer #~s within ~b ms", [Selector, Timeout]));
        exit:{noproc, _} ->
            beamtalk_error:raise(actor_dead, Class, io_lib:format("actor ~p is not running", [Pid]));
        exit:{Reason, _} ->
            beamtalk_error:raise(actor_dead, Class, io_lib:format("actor ~p stopped: ~p", [Pid, Reason]))
    end.

%% A call's request carries the caller's group leader (see handle_call/3) and is kept small: the size of
%% every message is paid on each call, and a unary send is the common case.
-spec request(atom(), [term()]) -> {atom(), pid()} | {atom(), [term(), ...], pid()}.
request(Selector, []) -> {Selector, group_leader()};
request(Selector, Args) -> {Selector, Args, group_leader()}.

%% @doc The body of an actor process that nobody waits for (a restart, spawned with `proc_lib' by whoever
%% runs actors): starts the actor, then serves messages. One that fails to start exits with `{shutdown,
%% {'$bt_init_failed', Reason}}' (`Reason' as `gen_server:start/3' would give it; `shutdown' as this is no
%% crash to log): its parent, which sees the exit, decides what comes next.
-spec run({atom(), map(), integer()}) -> no_return().
run(Args) ->
    case start(Args) of
        {ok, Self} -> serve(Self);
        {error, Reason} -> exit({shutdown, {'$bt_init_failed', Reason}})
    end.

%% @doc Serves the actor's messages, for as long as it lives.
-spec serve(ref()) -> no_return().
serve(Self) ->
    gen_server:enter_loop(?MODULE, ?START_OPTIONS, Self).

%% @doc Makes the calling process (one started with `proc_lib') the actor `Args' describes, running its
%% `initialize'; a failure is caught as `gen_server' catches one in `init/1'. `serve/1' comes next.
-spec start({atom(), map(), integer()}) -> {ok, ref()} | {error, term()}.
start(Args) ->
    case caught(fun() -> start_actor(Args) end) of
        {ok, {ok, Self}} -> {ok, Self};
        {ok, {stop, Reason}} -> {error, Reason};
        {error, Reason} -> {error, Reason}
    end.

%% Runs `F', catching a failure as `gen_server' catches one in `init/1'.
-spec caught(fun(() -> T)) -> {ok, T} | {error, term()}.
caught(F) ->
    try {ok, F()}
    catch
        error:R:S -> {error, {R, S}};
        exit:R -> {error, R};
        throw:T:S -> {error, {{nocatch, T}, S}}
    end.

%% @doc The slot values an actor of `Class' starts with, computed by its spawner, when nothing else at its
%% start can fail or must be waited for (see `beamtalk_class:starts_alone/1'; no name to claim, no stored
%% state to read): the spawner need not wait for it, as `gen_server:start/3' must wait for an `init/1' that
%% might fail. `wait' otherwise; an error in a default is the spawn's, as it would be at the actor's start.
-spec ready(atom(), map()) -> {ok, [{atom(), term()}]} | {error, term()} | wait.
ready(Class, Init) ->
    case beamtalk_class:starts_alone(Class) of
        {alone, Fields} when not is_map_key(?NAME_KEY, Init), not is_map_key(?DURABLE_KEY, Init) ->
            caught(fun() -> slot_values(Fields, Init) end);
        _ ->
            wait
    end.

%% @doc Makes the calling process (one started with `proc_lib') the actor `ready/2' prepared, and serves
%% its messages for as long as it lives.
-spec serve_ready(atom(), map(), integer(), [{atom(), term()}]) -> no_return().
serve_ready(Class, Init, Id, Slots) ->
    Self = enter(Class, Init, Id),
    [erlang:put({bt_slot, F}, {value, V}) || {F, V} <- Slots],
    serve(Self).

-spec init({atom(), map(), integer()}) -> {ok, ref()} | {stop, {shutdown, {name_registered, atom()}}}.
init(Args) ->
    case start_actor(Args) of
        {ok, _} = Started ->
            %% Read by whoever lists the children of Beamtalk supervisors.
            erlang:put('$bt_started_at', erlang:system_time(second)),
            ok = report_spawned(self()),
            Started;
        Stop ->
            Stop
    end.

%% Tells the registered tracker, if any, of an actor a supervisor of a Beamtalk class started.
-spec report_spawned(pid()) -> ok.
report_spawned(Pid) ->
    case application:get_env(beamtalk_runtime, actor_spawn_callback) of
        {ok, Callback} -> Callback:on_actor_spawned(Pid);
        undefined -> ok
    end.

-spec start_actor({atom(), map(), integer()}) -> {ok, ref()} | {stop, {shutdown, {name_registered, atom()}}}.
start_actor({Class, Init, Id}) ->
    case Init of
        #{?NAME_KEY := Name} ->
            %% Checked by the spawner already, but another spawner may have taken it since.
            case beamtalk_actor_names:claim(registered_name(Name), Name, Class) of
                true -> init_slots(Class, Init, Id);
                false -> {stop, {shutdown, {name_registered, Name}}}
            end;
        #{} ->
            init_slots(Class, Init, Id)
    end.

-spec init_slots(atom(), map(), integer()) -> {ok, ref()}.
init_slots(Class, Init, Id) ->
    _ = beamtalk_class:exists(Class) orelse beamtalk_class:unknown(Class),
    Self = enter(Class, Init, Id),
    Fields = beamtalk_user_class:fields(Class),
    case stored_state(Class, Init) of
        {ok, Name, Stored} ->
            ok = put_slots(Fields, Stored),
            erlang:put(?DURABLE_KEY, {Name, slots()});
        none ->
            ok = put_slots(Fields, Init),
            case first_restore(Init) of
                true -> ok;
                false ->
                    [Initialize(Self) || Initialize <- beamtalk_class:initializers(Class)],
                    ok = check_required(Class)
            end,
            ok = begin_durable(Class, Init)
    end,
    {ok, Self}.

%% The calling process becomes actor `Id' of `Class' (what its process dictionary says of it).
-spec enter(atom(), map(), integer()) -> ref().
enter(Named, Init, Id) ->
    %% Started through an old name of a renamed class (a supervisor's child specification, say): an actor
    %% of the class as it is named now.
    Class = beamtalk_class:canonical(Named),
    erlang:put('$bt_actor_id', Id),
    erlang:put('$bt_actor_class', Class),
    _ = is_map_key(?OWNER_KEY, Init) andalso erlang:put(?OWNER_KEY, maps:get(?OWNER_KEY, Init)),
    {'$bt_actor', Class, self()}.

%% Slots from `Values' where it has them, else their defaults (which may read the ones already set).
-spec put_slots([{atom(), fun(() -> term())}], map()) -> ok.
put_slots(Fields, Values) ->
    [erlang:put({bt_slot, F}, {value, maps:get(F, Values)}) || {F, _} <- Fields, maps:is_key(F, Values)],
    [erlang:put({bt_slot, F}, {value, D()}) || {F, D} <- Fields, not maps:is_key(F, Values)],
    ok.

%% Slots from `Values' where it has them, else their defaults, none of which reads a slot.
-spec slot_values([{atom(), fun(() -> term())}], map()) -> [{atom(), term()}].
slot_values(Fields, Values) ->
    [{F, case Values of #{F := V} -> V; #{} -> D() end} || {F, D} <- Fields].

%% The state stored for a durable actor, if there is one (the actor comes back with it).
-spec stored_state(atom(), map()) -> {ok, atom(), map()} | none.
stored_state(Class, #{?DURABLE_KEY := true, ?NAME_KEY := Name}) ->
    case (store(Class)):load(Name) of
        {ok, Class, State} -> {ok, Name, State};
        {ok, Other, _} ->
            beamtalk_error:raise('Error', durable_name_taken, Class,
                                 io_lib:format("cannot run as #~s: that name holds the state of a ~s", [Name, Other]));
        none -> none;
        {error, Reason} -> error(durable_error(Class, Reason))
    end;
stored_state(_Class, _Init) ->
    none.

%% A new durable actor's first state is stored before its spawner hears of it.
-spec begin_durable(atom(), map()) -> ok.
begin_durable(Class, #{?DURABLE_KEY := true, ?NAME_KEY := Name}) ->
    Slots = slots(),
    case (store(Class)):store(Name, Class, Slots) of
        ok -> erlang:put(?DURABLE_KEY, {Name, Slots}), ok;
        {error, Reason} -> error(durable_error(Class, Reason))
    end;
begin_durable(_Class, _Init) ->
    ok.

%% After a message: a durable actor whose state changed stores it, and is on disk before it answers. A
%% state that cannot be stored is undone (the last stored one is put back), and the error answered.
-spec persist(atom()) -> ok | {error, beamtalk_error:error()}.
persist(Class) ->
    case erlang:get(?DURABLE_KEY) of
        undefined -> ok;
        {Name, Last} ->
            case slots() of
                Last -> ok;
                Now ->
                    case (store(Class)):store(Name, Class, Now) of
                        ok -> erlang:put(?DURABLE_KEY, {Name, Now}), ok;
                        {error, Reason} ->
                            ok = reset_slots(Last),
                            {error, durable_error(Class, Reason)}
                    end
            end
    end.

%% `persist/1' where nobody waits for an answer: a failure is logged.
-spec persist_quietly(ref()) -> ok.
persist_quietly({'$bt_actor', Class, _} = Self) ->
    case persist(Class) of
        ok -> ok;
        {error, E} -> logger:warning("durable actor ~p: ~ts", [Self, beamtalk_error:describe(E)])
    end.

%% Replaces every slot by those of `Slots'.
-spec reset_slots(map()) -> ok.
reset_slots(Slots) ->
    [erlang:erase(K) || {{bt_slot, _} = K, _} <- erlang:get()],
    [erlang:put({bt_slot, F}, {value, V}) || {F, V} <- maps:to_list(Slots)],
    ok.

%% In a class declared `typed' (or one of its superclasses), state with a type and no default must have
%% been set by the `initialize' chain (ADR 0078): one left nil fails the spawn, naming it.
-spec check_required(atom()) -> ok.
check_required(Class) ->
    Unset = [{F, T} || {F, T} <- beamtalk_class:required(Class), erlang:get({bt_slot, F}) =:= {value, nil}],
    case Unset of
        [] -> ok;
        [{F, T} | _] ->
            beamtalk_error:raise('InstantiationError', uninitialized_state, Class,
                                 io_lib:format("state `~s` (:: ~ts) was not set by initialize; hint: set it in "
                                               "`initialize`, or give it a default", [F, T]))
    end.

%% Whether this is the first start of an actor made by `restore/1' (the mark is spent by it).
-spec first_restore(map()) -> boolean().
first_restore(#{?RESTORE_KEY := Once}) -> atomics:compare_exchange(Once, 1, 0, 1) =:= ok;
first_restore(#{}) -> false.

%% @doc The slot values, name to value.
-spec slots() -> #{atom() => term()}.
slots() ->
    maps:from_list([{F, V} || {{bt_slot, F}, {value, V}} <- erlang:get()]).

%% During a call the actor writes through the caller's group leader, so output reaches the REPL that asked;
%% otherwise through its own (the workspace transcript). The caller's stays set after the call, so a run of
%% calls from one caller switches once; a cast or any other message switches back first.
-spec handle_call(term(), gen_server:from(), ref()) -> {reply, term(), ref()}.
handle_call({'$bt_terminate', CallerGL}, _From, Self) ->
    use_group_leader(CallerGL),
    erlang:put('$bt_terminated', true),
    Terminated = run_terminate(Self),
    ok = persist_quietly(Self),
    {reply, Terminated, Self};
handle_call({Selector, CallerGL}, _From, Self) when is_pid(CallerGL) ->
    {reply, answer(Selector, [], CallerGL, Self), Self};
handle_call({Selector, Args, CallerGL}, _From, Self) when is_list(Args), is_pid(CallerGL) ->
    {reply, answer(Selector, Args, CallerGL, Self), Self};
%% `registerAs:' and `unregister' (the Actor protocol): names are claimed by the actor itself, as
%% `spawnAs:' claims them, so the name's class entry is the holder's own.
handle_call({'$bt_register_as', Name}, _From, {'$bt_actor', Class, _} = Self) when is_atom(Name) ->
    Reply = case erlang:process_info(self(), registered_name) of
                {registered_name, _} -> {error, already_named};
                _ -> case beamtalk_actor_names:claim(registered_name(Name), Name, Class) of
                         true -> ok;
                         false -> {error, taken}
                     end
            end,
    {reply, Reply, Self};
handle_call('$bt_unregister', _From, Self) ->
    _ = case erlang:process_info(self(), registered_name) of
            {registered_name, Registered} -> unregister(Registered);
            _ -> ok
        end,
    {reply, ok, Self};
handle_call(slots, _From, Self) ->
    {reply, {ok, slots()}, Self};
handle_call({set_slots, Slots}, _From, {'$bt_actor', Class, _} = Self) when is_map(Slots) ->
    [erlang:put({bt_slot, F}, {value, V}) || {F, V} <- maps:to_list(Slots)],
    {reply, persist(Class), Self};
handle_call(Other, _From, Self) ->
    beamtalk_unexpected:log(?MODULE, call, Other),
    {reply, {error, unknown_request}, Self}.

-spec answer(atom(), [term()], pid(), ref()) -> {ok, term()} | {error, term()}.
answer(Selector, Args, CallerGL, {'$bt_actor', Class, _} = Self) ->
    use_group_leader(CallerGL),
    Reply = try beamtalk_dispatch:reply_from(Class, Self, Selector, Args)
            catch C:R:S -> {error, beamtalk_error:from_exception(C, R, S)}
            end,
    ok = done_with_message(Reply),
    case persist(Class) of
        ok -> Reply;
        {error, _} = Failed -> Failed
    end.

%% After each message: streams the message made that neither the state nor `Answer' holds are ended
%% (only a pdict read while the actor has no streams).
-spec done_with_message(term()) -> ok.
done_with_message(Answer) ->
    case erlang:get('$bt_streams') of
        undefined -> ok;
        [] -> ok;
        _ -> beamtalk_stream:sweep([Answer | maps:values(slots())])
    end.

%% Makes `GL' this actor's group leader, remembering its own the first time.
-spec use_group_leader(pid()) -> ok.
use_group_leader(GL) ->
    case group_leader() of
        GL -> ok;
        Current ->
            _ = erlang:get('$bt_own_gl') =:= undefined andalso erlang:put('$bt_own_gl', Current),
            group_leader(GL, self()),
            ok
    end.

%% Back to the actor's own group leader (outside a call).
-spec own_group_leader() -> ok.
own_group_leader() ->
    case erlang:get('$bt_own_gl') of
        undefined -> ok;
        Own -> use_group_leader(Own)
    end.

%% The class's own `terminate', if it has one; its failure does not keep the actor from stopping.
-spec run_terminate(ref()) -> ok.
run_terminate(Self) ->
    case beamtalk_dispatch:responds_to(Self, terminate) of
        true ->
            try beamtalk_dispatch:send(Self, terminate, []), ok
            catch C:R:S ->
                logger:warning("actor ~p: #terminate failed: ~p", [Self, beamtalk_error:from_exception(C, R, S)])
            end;
        false -> ok
    end.

%% Stopped by `gen_server:stop' (no supervisor to ask): the class's `terminate' runs here instead.
-spec terminate(term(), ref()) -> ok.
terminate(normal, Self) ->
    case erlang:get('$bt_terminated') of
        true -> ok;
        _ -> run_terminate(Self)
    end;
terminate(_Reason, _Self) ->
    ok.

-spec handle_cast(term(), ref()) -> {noreply, ref()}.
handle_cast({send, Selector, Args}, Self) ->
    own_group_leader(),
    try beamtalk_dispatch:send(Self, Selector, Args)
    catch C:R:S ->
        logger:warning("actor ~p: #~s failed: ~p", [Self, Selector, beamtalk_error:from_exception(C, R, S)])
    end,
    ok = done_with_message(nil),
    ok = persist_quietly(Self),
    {noreply, Self};
handle_cast(Other, Self) ->
    beamtalk_unexpected:log(?MODULE, cast, Other),
    {noreply, Self}.

-spec handle_info(term(), ref()) -> {noreply, ref()}.
handle_info({'DOWN', MRef, process, _Pid, Reason}, Self) ->
    own_group_leader(),
    case erlang:erase({bt_monitor, MRef}) of
        undefined -> ok;
        Watched ->
            case beamtalk_dispatch:responds_to(Self, 'actorDown:reason:') of
                true ->
                    try beamtalk_dispatch:send(Self, 'actorDown:reason:', [Watched, Reason])
                    catch C:R:S ->
                        logger:warning("actor ~p: #actorDown:reason: failed: ~p",
                                       [Self, beamtalk_error:from_exception(C, R, S)])
                    end;
                false -> ok
            end
    end,
    ok = done_with_message(nil),
    ok = persist_quietly(Self),
    {noreply, Self};
handle_info({'$bt_reload', Tag, Helper}, Self) ->
    own_group_leader(),
    MRef = erlang:monitor(process, Helper),
    Helper ! {Tag, ready, self()},
    ok = reloading(Tag, {Helper, MRef}, Self, slots()),
    {noreply, Self};
handle_info(Other, Self) ->
    own_group_leader(),
    beamtalk_unexpected:log(?MODULE, info, Other),
    {noreply, Self}.

%% A hot reload of the actor's class (driven by `beamtalk_hot_reload'): paused here, between two messages,
%% the actor does what its reload helper says. `migrate': keep the slots the class still declares, give new
%% ones their defaults, drop removed ones, and let the class finish with its own `migrateFrom:' (given the
%% old slots as a Dictionary); a durable actor stores the result, so a failed write fails the reload.
%% `restore': put back the slots it had when it paused (the reload is undone). `resume': go on serving. A
%% helper that dies lets the actor go on too, and so does one that says nothing for ?RELOAD_PATIENCE (it
%% waits on the actor only with deadlines, so this is a guard, never the normal path).
-spec reloading(reference(), {pid(), reference()}, ref(), map()) -> ok.
reloading(Tag, {Helper, MRef} = H, Self, Snapshot) ->
    receive
        {Tag, migrate} ->
            Helper ! {Tag, migrated, self(), migrate(Self, Snapshot)},
            reloading(Tag, H, Self, Snapshot);
        {Tag, restore} ->
            ok = reset_slots(Snapshot),
            ok = persist_quietly(Self),
            Helper ! {Tag, restored, self()},
            reloading(Tag, H, Self, Snapshot);
        {Tag, resume} ->
            erlang:demonitor(MRef, [flush]),
            ok;
        {'DOWN', MRef, process, Helper, _} ->
            %% Gone before this actor paused (a reload given up): its word to resume may be here too.
            receive {Tag, resume} -> ok after 0 -> ok end
    after ?RELOAD_PATIENCE ->
        logger:warning("actor ~p: its class's reload said nothing for ~b ms; going on", [self(), ?RELOAD_PATIENCE]),
        erlang:demonitor(MRef, [flush]),
        ok
    end.

-spec migrate(ref(), map()) -> ok | {error, term()}.
migrate({'$bt_actor', Class, _} = Self, Old) ->
    try
        Fields = beamtalk_user_class:fields(Class),
        Keep = [F || {F, _} <- Fields],
        [erlang:erase({bt_slot, F}) || F <- maps:keys(Old), not lists:member(F, Keep)],
        [erlang:put({bt_slot, F}, {value, D()}) || {F, D} <- Fields, not maps:is_key(F, Old)],
        case beamtalk_dispatch:responds_to(Self, 'migrateFrom:') of
            true -> _ = beamtalk_dispatch:send(Self, 'migrateFrom:', [Old]);
            false -> ok
        end,
        persist(Class)
    catch
        C:R:S -> {error, beamtalk_error:from_exception(C, R, S)}
    end.

%% @doc Code changes made through `sys' (release handling) change nothing of an actor: a class's hot
%% reload migrates its actors itself (see `reloading/4').
-spec code_change(term(), ref(), term()) -> {ok, ref()}.
code_change(_OldVsn, Self, _Extra) ->
    {ok, Self}.
