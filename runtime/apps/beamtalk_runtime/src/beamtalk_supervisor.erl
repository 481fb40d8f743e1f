%% @doc Supervisors as classes: `Supervisor subclass: App' with `class children => #(Counter, Logger)'
%% (actor or supervisor classes), `class strategy => #oneForOne' (`#oneForAll', `#restForOne'),
%% `class maxRestarts', `class restartWindow' (seconds); `App supervise' starts a real OTP supervisor.
%% `DynamicSupervisor(Worker) subclass: Pool' starts its actors on demand (`startChild', `startChild:').
%%
%% Each running supervisor is registered under its class (`App current' finds it). Where it runs is the
%% workspace's business (ADR 0009): a `supervisor_starter' module in this application's environment
%% starts it under the workspace's actor supervisor.
-module(beamtalk_supervisor).
-behaviour(supervisor).

-export([supervise/1, current/1, class_of_name/1, limits/1, start_link/1, respond/3, selectors/1, spec/1, spec_respond/3,
         spec_selectors/0, spec_id/1, strategy_name/1, worker/1, init/1]).

-type ref() :: {'$bt_supervisor', atom(), pid()}.
-type spec() :: {'$bt_value', 'SupervisionSpec', map()}.
-export_type([ref/0]).

-define(NAME_PREFIX, "bt_sup:").
-define(DEFAULT_RESTARTS, 3).
-define(DEFAULT_WINDOW_S, 5).
%% How long `which:' waits for a child that is being restarted (a call's timeout).
-define(WHICH_WAIT_MS, 5000).

%% @doc `App supervise': starts the supervisor of `Class' with its children, or raises why it could not.
%% One already running is the answer as it is (ADR 0080: what the caller wants, a running supervisor,
%% holds), so every entry point of an application may say `App supervise'.
-spec supervise(atom()) -> ref().
supervise(Class) ->
    case current(Class) of
        nil -> start(Class);
        Running -> Running
    end.

-spec start(atom()) -> ref().
start(Class) ->
    Started = case application:get_env(beamtalk_runtime, supervisor_starter) of
                  {ok, Starter} -> Starter:start_supervisor(Class);
                  undefined -> beamtalk_error:raise('Error', no_workspace, Class,
                                                    "cannot supervise: no workspace runs on this node")
              end,
    case Started of
        {ok, Pid} -> {'$bt_supervisor', Class, Pid};
        {error, Reason} -> beamtalk_error:raise('Error', supervise_failed, Class, failure(Reason))
    end.

%% @doc `App current': the running supervisor of `Class', or nil.
-spec current(atom()) -> ref() | nil.
current(Class) ->
    case whereis(registered_name(Class)) of
        undefined -> nil;
        Pid -> {'$bt_supervisor', Class, Pid}
    end.

-spec start_link(atom()) -> {ok, pid()} | {error, term()}.
start_link(Class) ->
    supervisor:start_link({local, registered_name(Class)}, ?MODULE, Class).

-spec registered_name(atom()) -> atom().
registered_name(Class) ->
    list_to_atom(?NAME_PREFIX ++ atom_to_list(Class)).

%% @doc The class of the supervisor registered as `Name', or undefined if that is no supervisor's name.
-spec class_of_name(atom()) -> atom().
class_of_name(Name) ->
    case atom_to_list(Name) of
        ?NAME_PREFIX ++ Class -> list_to_existing_atom(Class);
        _ -> undefined
    end.

%% @doc The restart limits of supervisor class `Class': at most this many restarts in this many seconds.
-spec limits(atom()) -> {non_neg_integer(), pos_integer()}.
limits(Class) ->
    {class_value(Class, maxRestarts, ?DEFAULT_RESTARTS), class_value(Class, restartWindow, ?DEFAULT_WINDOW_S)}.

-spec init(atom()) -> {ok, {supervisor:sup_flags(), [supervisor:child_spec()]}}.
init(Class) ->
    {Restarts, Window} = limits(Class),
    Flags = #{intensity => Restarts, period => Window},
    case worker(Class) of
        none ->
            Children = [child_spec(C) || C <- children(Class)],
            {ok, {Flags#{strategy => strategy(Class)}, Children}};
        Worker ->
            Child = #{id => Worker, start => {beamtalk_actor, start_child, [Worker]},
                      restart => beamtalk_actor:restart_policy(Worker)},
            {ok, {Flags#{strategy => simple_one_for_one}, [Child]}}
    end.

%% A child: an actor class (a worker), another supervisor class (nested), or a `supervisionSpec' value.
-spec child_spec(atom() | spec()) -> supervisor:child_spec().
child_spec({'$bt_value', 'SupervisionSpec', #{actor := {'$bt_class', C}, args := Args, restart := R,
                                              name := Name}} = Spec) ->
    Init = case Name of
               nil -> Args;
               _ -> Args#{'$bt_name' => Name}
           end,
    #{id => spec_id(Spec), start => {beamtalk_actor, start_child, [C, Init]}, restart => R};
child_spec(Class) ->
    case beamtalk_class:inherits_from(Class, 'Supervisor') of
        true ->
            #{id => Class, start => {?MODULE, start_link, [Class]}, type => supervisor,
              restart => permanent};
        false ->
            #{id => Class, start => {beamtalk_actor, start_child, [Class]},
              restart => beamtalk_actor:restart_policy(Class)}
    end.

%% @doc `Counter supervisionSpec': how a supervisor starts one Counter, refined with `withArgs:' (initial
%% values), `withRestart:' (#permanent, #transient, #temporary) and `withName:' (registered, as `spawnAs:').
-spec spec(atom()) -> spec().
spec(Class) ->
    {'$bt_value', 'SupervisionSpec', #{actor => {'$bt_class', Class}, args => #{},
                                       restart => beamtalk_actor:restart_policy(Class), name => nil}}.

%% @doc What a `SupervisionSpec' answers: its fields, and every message made of one to four of
%% `withArgs:', `withRestart:', `withName:', `withId:' in any order.
-spec spec_selectors() -> [atom()].
spec_selectors() ->
    Parts = ["withArgs:", "withRestart:", "withName:", "withId:"],
    Runs = [[A] || A <- Parts] ++ [[A, B] || A <- Parts, B <- Parts, B =/= A]
        ++ [[A, B, C] || A <- Parts, B <- Parts -- [A], C <- Parts -- [A, B]]
        ++ [[A, B, C, D] || A <- Parts, B <- Parts -- [A], C <- Parts -- [A, B], D <- Parts -- [A, B, C]],
    [actor, args, restart, name, id | [list_to_atom(lists:append(R)) || R <- Runs]].

%% @doc The child id a spec starts under: set with `withId:', else its registered name, else its class.
-spec spec_id(spec()) -> atom().
spec_id({'$bt_value', 'SupervisionSpec', #{id := Id}}) -> Id;
spec_id({'$bt_value', 'SupervisionSpec', #{name := Name}}) when Name =/= nil -> Name;
spec_id({'$bt_value', 'SupervisionSpec', #{actor := {'$bt_class', C}}}) -> C.

%% Any run of the parts in one message: `withArgs: a withRestart: r withName: n'.
-spec spec_respond(spec(), atom(), [term()]) -> {ok, spec()} | nomethod.
spec_respond({V, C, F}, Selector, Args) ->
    Parts = string:lexemes(atom_to_list(Selector), ":"),
    case length(Parts) =:= length(Args) andalso refine(F, lists:zip(Parts, Args)) of
        false -> nomethod;
        nomethod -> nomethod;
        Refined -> {ok, {V, C, Refined}}
    end.

-spec refine(map(), [{string(), term()}]) -> map() | nomethod.
refine(F, []) -> F;
refine(F, [{"withArgs", Args} | Rest]) when is_map(Args) -> refine(F#{args := Args}, Rest);
refine(F, [{"withRestart", R} | Rest]) when R =:= permanent; R =:= transient; R =:= temporary ->
    refine(F#{restart := R}, Rest);
refine(F, [{"withName", Name} | Rest]) when is_atom(Name) -> refine(F#{name := Name}, Rest);
refine(F, [{"withId", Id} | Rest]) when is_atom(Id) -> refine(F#{id => Id}, Rest);
refine(_, _) -> nomethod.

-spec children(atom()) -> [atom() | spec()].
children(Class) ->
    case class_value(Class, children, []) of
        L when is_list(L) -> [child_class(Class, C) || C <- L];
        {'$bt_array', T} when is_tuple(T) -> [child_class(Class, C) || C <- tuple_to_list(T)];
        Other -> beamtalk_error:raise('Error', bad_argument, Class,
                                      ["children must be a list of classes, not ",
                                       beamtalk_print:print_string(Other)])
    end.

-spec child_class(atom(), term()) -> atom() | spec().
child_class(_, {'$bt_value', 'SupervisionSpec', _} = Spec) ->
    Spec;
child_class(Sup, {'$bt_class', C}) ->
    case beamtalk_class:inherits_from(C, 'Actor') orelse beamtalk_class:inherits_from(C, 'Supervisor') of
        true -> C;
        false -> beamtalk_error:raise('Error', bad_argument, Sup,
                                      io_lib:format("cannot supervise ~s: not an actor or supervisor class", [C]))
    end;
child_class(Sup, Other) ->
    beamtalk_error:raise('Error', bad_argument, Sup,
                         ["children must be classes, not ", beamtalk_print:print_string(Other)]).

%% @doc `CounterApp strategy': the strategy as the class names it (#oneForOne by default).
-spec strategy_name(atom()) -> atom().
strategy_name(Class) ->
    case strategy(Class) of
        one_for_one -> oneForOne;
        one_for_all -> oneForAll;
        rest_for_one -> restForOne
    end.

-spec strategy(atom()) -> supervisor:strategy().
strategy(Class) ->
    case class_value(Class, strategy, oneForOne) of
        oneForOne -> one_for_one;
        oneForAll -> one_for_all;
        restForOne -> rest_for_one;
        Other -> beamtalk_error:raise('Error', bad_argument, Class,
                                      ["strategy must be #oneForOne, #oneForAll or #restForOne, not ",
                                       beamtalk_print:print_string(Other)])
    end.

%% @doc A DynamicSupervisor's worker class: `DynamicSupervisor(Worker) subclass: Pool', or `class
%% childClass' (chapter 17's name; `class worker' is kept too).
-spec worker(atom()) -> atom() | none.
worker(Class) ->
    case beamtalk_class:inherits_from(Class, 'DynamicSupervisor') of
        false -> none;
        true ->
            case [W || S <- [childClass, worker], {'$bt_class', W} <- [class_value(Class, S, nil)]] of
                [W | _] -> W;
                [] -> declared_worker(Class)
            end
    end.

-spec declared_worker(atom()) -> atom().
declared_worker(Class) ->
    M = beamtalk_class:module(Class),
    Params = case erlang:function_exported(M, '__superclass_params__', 0) of
                 true -> M:'__superclass_params__'();
                 false -> []
             end,
    case Params of
        [W | _] -> W;
        [] -> beamtalk_error:raise('Error', bad_argument, Class,
                                   "names no worker class: write DynamicSupervisor(Worker) subclass: ..., "
                                   "or give it `class childClass => Worker`")
    end.

%% A class-side method's answer, or `Default' when the class has none.
%% (An error inside that method is the caller's, not a reason to use the default.)
-spec class_value(atom(), atom(), term()) -> term().
class_value(Class, Selector, Default) ->
    case beamtalk_class:defines_class_method(Class, Selector) of
        true -> beamtalk_dispatch:send({'$bt_class', Class}, Selector, []);
        false -> Default
    end.

%% @doc What a supervisor reference answers. A supervisor that is gone (stopped, or given up after
%% too many restarts of its children) says so in Beamtalk terms.
-spec respond(ref(), atom(), [term()]) -> {ok, term()} | nomethod.
respond({_, _, Pid}, pid, []) -> {ok, Pid};
respond({_, _, Pid}, isAlive, []) -> {ok, is_process_alive(Pid)};
respond({_, Class, Pid} = Ref, Selector, Args) ->
    try answer(Ref, Selector, Args)
    catch exit:{Reason, {gen_server, call, _}} when Reason =:= noproc; Reason =:= normal;
                                                    Reason =:= shutdown ->
        not_running(Class, Pid)
    end.

-spec answer(ref(), atom(), [term()]) -> {ok, term()} | nomethod.
answer({_, _, Pid}, children, []) -> {ok, child_refs(Pid)};
answer({_, _, Pid}, count, []) -> {ok, length(child_refs(Pid))};
answer({_, Class, Pid}, 'which:', [{'$bt_class', C}]) ->
    {ok, which(Class, Pid, C, erlang:monotonic_time(millisecond) + ?WHICH_WAIT_MS)};
answer({_, Class, Pid}, stop, []) -> ok = stop(Class, Pid), {ok, nil};
answer({_, _, Pid}, 'restart:', [{_, Class, _}]) ->
    _ = supervisor:terminate_child(Pid, Class),
    case supervisor:restart_child(Pid, Class) of
        {ok, Child} -> {ok, ref(Class, Child)};
        {error, Reason} -> beamtalk_error:raise('Error', restart_failed, Class, failure(Reason))
    end;
answer({_, Class, Pid}, startChild, []) -> {ok, start_child(Class, Pid, #{})};
answer({_, Class, Pid}, 'startChild:', [Init]) when is_map(Init) -> {ok, start_child(Class, Pid, Init)};
answer({_, Class, Pid}, 'terminateChild:', [{'$bt_actor', _, Child}]) ->
    {ok, terminated(Class, supervisor:terminate_child(Pid, Child))};
answer({_, Class, Pid}, 'terminate:', [{'$bt_class', C}]) ->
    {ok, terminated(Class, supervisor:terminate_child(Pid, C))};
answer(_, _, _) -> nomethod.

%% What `terminateChild:' and `terminate:' answer (ADR 0080): `Result ok: nil' once the child is not
%% running, whether this call stopped it or it was gone already.
-spec terminated(atom(), ok | {error, term()}) -> term().
terminated(_Class, ok) -> beamtalk_rt:result_ok(nil);
terminated(_Class, {error, not_found}) -> beamtalk_rt:result_ok(nil);
terminated(Class, {error, Reason}) ->
    beamtalk_rt:result_error(beamtalk_error:new('Error', terminate_failed, Class, failure(Reason))).

%% `sup which: Counter': `Result ok:' the running child of that class, or `Result error:' when there is
%% none. A child that crashed and is being restarted is waited for (up to a call's timeout), so
%% `(sup which: Counter) unwrap kill. (sup which: Counter) unwrap count' reaches the new one.
-spec which(atom(), pid(), atom(), integer()) -> term().
which(Class, Pid, C, Deadline) ->
    Children = supervisor:which_children(Pid),
    Live = [R || {Id, Child, _, Mods} <- Children, is_pid(Child), is_process_alive(Child),
                 R <- [ref(child_class_of(Id, Mods), Child)], beamtalk_class:inherits_from(element(2, R), C)],
    Restarting = [Id || {Id, Child, _, Mods} <- Children,
                        Child =:= restarting orelse (is_pid(Child) andalso not is_process_alive(Child)),
                        beamtalk_class:inherits_from(child_class_of(Id, Mods), C)],
    case {Live, Restarting =/= [] andalso erlang:monotonic_time(millisecond) < Deadline} of
        {[R | _], _} ->
            beamtalk_rt:result_ok(R);
        {[], true} ->
            timer:sleep(5),
            which(Class, Pid, C, Deadline);
        {[], false} ->
            beamtalk_rt:result_error(
              beamtalk_error:new('Error', no_child, Class, ["has no running ", atom_to_binary(C, utf8), " child"]))
    end.

%% A supervisor that is gone: why, if the workspace knows (it gave up after too many restarts).
-spec not_running(atom(), pid()) -> no_return().
not_running(Class, Pid) ->
    Why = case application:get_env(beamtalk_runtime, supervisor_starter) of
              {ok, Starter} -> Starter:supervisor_ended(Pid);
              undefined -> undefined
          end,
    Text = case Why of
               undefined -> io_lib:format("~p is not running", [Pid]);
               _ -> io_lib:format("~p is not running: ~ts", [Pid, Why])
           end,
    beamtalk_error:raise('ActorDead', actor_dead, Class, Text,
                         #{hint => iolist_to_binary(["`", atom_to_binary(Class, utf8),
                                                     " supervise` starts it again"])}).

%% @doc The selectors a supervisor of `Class' (`Supervisor' or `DynamicSupervisor') answers.
-spec selectors(atom()) -> [atom()].
selectors('DynamicSupervisor') -> [startChild, 'startChild:', 'terminateChild:'];
selectors(_) -> [children, count, 'which:', pid, isAlive, stop, 'restart:', 'terminate:'].

-spec start_child(atom(), pid(), map()) -> term().
start_child(Class, Pid, Init) ->
    case supervisor:start_child(Pid, [Init]) of
        {ok, Child} -> beamtalk_rt:result_ok(ref(worker(Class), Child));
        {error, Reason} ->
            beamtalk_rt:result_error(beamtalk_error:new('Error', child_start_failed, Class, failure(Reason)))
    end.

%% Stopped for good, its children first (a nested one by its parent, which restarts it: only a top-level
%% supervisor is stopped here).
-spec stop(atom(), pid()) -> ok.
stop(Class, Pid) ->
    case application:get_env(beamtalk_runtime, supervisor_starter) of
        {ok, Starter} -> ok = Starter:stop_supervisor(Pid);
        undefined -> beamtalk_error:raise('Error', no_workspace, Class, "cannot stop: no workspace runs on this node")
    end.

%% The running children, as references: actors, and supervisors for nested ones.
-spec child_refs(pid()) -> [term()].
child_refs(Pid) ->
    [ref(child_class_of(Id, Mods), Child)
     || {Id, Child, _Type, Mods} <- supervisor:which_children(Pid), is_pid(Child)].

-spec child_class_of(term(), term()) -> atom().
child_class_of(Id, _) when is_atom(Id), Id =/= undefined ->
    case beamtalk_class:exists(Id) of
        true -> Id;
        false -> 'Actor'   % a name given by `withName:'
    end;
child_class_of(_, _) -> 'Actor'.

-spec ref(atom(), pid()) -> term().
ref(Class, Pid) ->
    case beamtalk_class:inherits_from(Class, 'Supervisor') of
        true -> {'$bt_supervisor', Class, Pid};
        false -> {'$bt_actor', actor_class(Class, Pid), Pid}
    end.

%% A dynamic child's class is known only to the child itself.
-spec actor_class(atom(), pid()) -> atom().
actor_class('Actor', Pid) ->
    try sys:get_state(Pid, 1000) of
        {'$bt_actor', C, _} -> C;
        _ -> 'Actor'
    catch exit:_ -> 'Actor'
    end;
actor_class(Class, _) -> Class.

%% Why a start failed, in Beamtalk terms: a child's `initialize' error as that error's message.
-spec failure(term()) -> iodata().
failure({shutdown, {failed_to_start_child, Child, Reason}}) ->
    io_lib:format("could not start ~s: ~s", [Child, failure(Reason)]);
failure({already_started, Pid}) ->
    io_lib:format("it runs already (~p)", [Pid]);
failure({Reason, Child}) when element(1, Child) =:= child ->
    %% supervisor:start_child/2's error: the reason, then the child's specification.
    failure(Reason);
failure({{'$bt_error', _, _, _, _} = E, _Stack}) -> beamtalk_error:message(E);
failure({'$bt_error', _, _, _, _} = E) -> beamtalk_error:message(E);
failure(Reason) -> io_lib:format("~tp", [Reason]).
