%% @doc Supervises what users start in the workspace, so it outlives the REPL that started it: the actor
%% hosts (`beamtalk_actor_host', one per scheduler, each running and restarting many actors) and the
%% keepers of Beamtalk supervisors (`App supervise').
%%
%% Nothing here waits on user code: hosts start actors asynchronously, and a Beamtalk supervisor starts
%% inside its own empty keeper (see `beamtalk_actor_keeper'). An actor's `initialize' may thus spawn
%% actors, supervise, or stop others.
-module(beamtalk_actor_sup).
-behaviour(supervisor).

-export([start_link/0, start_actor/4, rename_class/2, stop_actor/1, kill_actor/1, stop_owned/1, start_supervisor/1, stop_supervisor/1, actors/0,
         actors/1, actors_of/1, details/0, count/0, tree/0, supervisor_class/1, supervisor_refs/0, init/1]).

-export_type([tree_node/0]).

-define(KEEPERS, beamtalk_supervisor_keepers).
%% The hosts' registered names, in a tuple: picking one costs no atom building.
-define(HOSTS_KEY, {?MODULE, hosts}).
%% How long a keeper may take to stop its supervisor before it is killed.
-define(KEEPER_SHUTDOWN_MS, 10000).
%% How long a host may take to stop its actors (it kills them after 5 s).
-define(HOST_SHUTDOWN_MS, 10000).
%% How long `details/0' waits for a host's figures.
-define(DETAILS_MS, 30000).
%% How long `stop_actor/1' waits for an actor to end before killing it.
-define(STOP_MS, 5000).

-spec start_link() -> {ok, pid()} | {error, term()}.
start_link() ->
    supervisor:start_link({local, ?MODULE}, ?MODULE, top).

%% @doc Starts an actor of `Class' on one of the hosts, with the given restart policy; answers its pid once
%% its `initialize' has run. An actor that fails to start reports its own reason, and leaves nothing
%% behind.
-spec start_actor(atom(), map(), integer(), permanent | transient | temporary) -> {ok, pid()} | {error, term()}.
start_actor(Class, Init, Id, Restart) ->
    %% Spawned through an old name of a renamed class: an actor of the class as it is named now.
    beamtalk_actor_host:start_actor(host(), beamtalk_class:canonical(Class), Init, Id, Restart).

%% The host of the actors the calling process spawns: always the same one for a given spawner. (Picking
%% by the spawner's scheduler, which changes from one spawn to the next, made each spawn wake a
%% different host and cost 60 % more: see `cargo bench --bench scale'.)
-spec host() -> atom().
host() ->
    Hosts = persistent_term:get(?HOSTS_KEY),
    element(erlang:phash2(self(), tuple_size(Hosts)) + 1, Hosts).

%% @doc Kills an actor as a crash would (its policy decides whether it comes back).
-spec kill_actor(pid()) -> true | ok.
kill_actor(Pid) ->
    case host_of(Pid) of
        {ok, Host} -> beamtalk_actor_host:kill(Host, Pid);
        none -> exit(Pid, kill)
    end.

%% @doc Stops an actor for good (no restart, whatever its policy), and waits until it has ended.
-spec stop_actor(pid()) -> ok | {error, not_found}.
stop_actor(Pid) ->
    case parent_kind(Pid) of
        {host, Host} ->
            MRef = erlang:monitor(process, Pid),
            Stopped = beamtalk_actor_host:stop_actor(Host, Pid),
            receive {'DOWN', MRef, process, _, _} -> ok
            after ?STOP_MS -> exit(Pid, kill)
            end,
            _ = erlang:demonitor(MRef, [flush]),
            Stopped;
        _ ->
            {error, not_found}
    end.

%% @doc Stops, on every host, the actors that belong to `Owner' (see `beamtalk_actor:own/1'); how many.
-spec stop_owned(reference()) -> non_neg_integer().
stop_owned(Owner) ->
    lists:sum([beamtalk_actor_host:stop_owned(H, Owner) || H <- hosts()]).

%% @doc Starts the supervisor of Beamtalk class `Class' (`App supervise') here, never restarted by this
%% supervisor: it restarts its own children, and if it gives up, it is gone until supervised again.
-spec start_supervisor(atom()) -> {ok, pid()} | {error, term()}.
start_supervisor(Class) ->
    case supervisor:start_child(?KEEPERS, []) of
        {ok, Keeper} ->
            case beamtalk_actor_keeper:start(Keeper, {beamtalk_supervisor, start_link, [Class]}) of
                {ok, Pid} ->
                    ok = beamtalk_workspace_meta:watch_supervisor(Class, Pid, beamtalk_supervisor:limits(Class)),
                    {ok, Pid};
                {error, _} = Error ->
                    _ = supervisor:terminate_child(?KEEPERS, Keeper),
                    Error
            end;
        {error, _} = Error ->
            Error
    end.

%% @doc Stops a Beamtalk supervisor started here, and its children.
-spec stop_supervisor(pid()) -> ok.
stop_supervisor(Pid) ->
    case parent_kind(Pid) of
        %% Through the keepers' supervisor, whose wait is bounded (`KEEPER_SHUTDOWN_MS').
        {keeper, Keeper} ->
            _ = catch beamtalk_workspace_meta:stopping_supervisor(Pid),
            _ = supervisor:terminate_child(?KEEPERS, Keeper),
            ok;
        _ -> ok
    end.

%% What runs `Pid': one of the hosts (the one whose table has it: found so even before the actor has
%% linked to its host, see `beamtalk_actor_host:start_ready/3'), or the keeper of a Beamtalk supervisor.
-spec parent_kind(pid()) -> {host, atom()} | {keeper, pid()} | none.
parent_kind(Pid) ->
    case host_of(Pid) of
        {ok, Host} -> {host, Host};
        none -> keeper_of(Pid)
    end.

%% The host (its registered name) whose table has actor `Pid'; one lookup per host.
-spec host_of(pid()) -> {ok, atom()} | none.
host_of(Pid) ->
    case [N || N <- tuple_to_list(persistent_term:get(?HOSTS_KEY, {})), beamtalk_actor_host:holds(N, Pid)] of
        [Host | _] -> {ok, Host};
        [] -> none
    end.

-spec keeper_of(pid()) -> {keeper, pid()} | none.
keeper_of(Pid) ->
    Keepers = whereis(?KEEPERS),
    case parent(Pid) of
        undefined -> none;
        Parent when Keepers =/= undefined ->
            case parent(Parent) of
                Keepers -> {keeper, Parent};
                _ -> none
            end;
        _ -> none
    end.

-spec parent(pid()) -> pid() | undefined.
parent(Pid) when node(Pid) =:= node() ->
    case erlang:process_info(Pid, parent) of
        {parent, P} when is_pid(P) -> P;
        _ -> undefined
    end;
parent(_) ->
    undefined.

%% @doc The running actors: those of the hosts, then the children of Beamtalk supervisors.
-spec actors() -> [beamtalk_actor_host:actor()].
actors() ->
    lists:append([beamtalk_actor_host:actors(H) || H <- hosts()]) ++ supervised_actors().

%% @doc At most `Limit' of the running actors (`workspace list' costs the same with 100,000 as with ten).
-spec actors(non_neg_integer()) -> [beamtalk_actor_host:actor()].
actors(Limit) ->
    Hosted = lists:foldl(fun(H, Acc) -> Acc ++ beamtalk_actor_host:actors(H, Limit - length(Acc)) end,
                         [], hosts()),
    lists:sublist(Hosted ++ supervised_actors(), Limit).

-spec supervised_actors() -> [beamtalk_actor_host:actor()].
supervised_actors() ->
    [A || S <- supervisors(), A <- supervised_actors(S)].

%% @doc The running actors with their live figures (see `beamtalk_actor_host:details/1'), the hosts asked
%% all at once, each measuring its own actors.
-spec details() -> [beamtalk_actor_host:detail()].
details() ->
    Requests = [gen_server:send_request(H, details) || H <- hosts()],
    Hosted = lists:append([case gen_server:wait_response(R, ?DETAILS_MS) of
                               {reply, Ds} -> Ds;
                               _ -> []
                           end || R <- Requests]),
    Hosted ++ beamtalk_actor_host:details_of([A || A <- supervised_actors()]).

%% @doc The pids of the running actors of the classes `Classes'.
-spec actors_of([atom()]) -> [pid()].
actors_of(Classes) ->
    %% Each host picks its own (a load asks, and copying every actor's record to filter it here cost
    %% a load with 100,000 actors running).
    lists:append([beamtalk_actor_host:pids_of(H, Classes) || H <- hosts()]) ++
        [P || #{pid := P, class := C} <- supervised_actors(), lists:member(C, Classes)].

%% @doc The hosted actors listed as of class `Old' are listed as of `New' (`Old renameTo: New'); how
%% many. (Children of Beamtalk supervisors are listed by what their processes say.)
-spec rename_class(atom(), atom()) -> non_neg_integer().
rename_class(Old, New) ->
    lists:sum([beamtalk_actor_host:rename_class(H, Old, New) || H <- hosts()]).

%% @doc How many actors run.
-spec count() -> non_neg_integer().
count() ->
    lists:sum([beamtalk_actor_host:count(H) || H <- hosts()]) + length(supervised_actors()).

%% The names of the running hosts.
-spec hosts() -> [atom()].
hosts() ->
    [N || N <- tuple_to_list(persistent_term:get(?HOSTS_KEY, {})), is_pid(whereis(N))].

%% @doc The running Beamtalk supervisors started here (`App supervise'), as references.
-spec supervisor_refs() -> [{'$bt_supervisor', atom(), pid()}].
supervisor_refs() ->
    [{'$bt_supervisor', C, P} || P <- supervisors(), C <- [supervisor_class(P)], C =/= undefined].

%% The running Beamtalk supervisors started here.
-spec supervisors() -> [pid()].
supervisors() ->
    [P || K <- keepers(), P <- [beamtalk_actor_keeper:supervisor(K)], is_pid(P)].

-spec keepers() -> [pid()].
keepers() ->
    [K || {_, K, _, _} <- which_children(?KEEPERS), is_pid(K)].

-spec which_children(atom() | pid()) -> [{term(), pid() | restarting | undefined, worker | supervisor, term()}].
which_children(Sup) ->
    try supervisor:which_children(Sup) catch exit:_ -> [] end.

%% The actors under a Beamtalk supervisor, nested ones included; each knows its class and start time.
-spec supervised_actors(pid()) -> [beamtalk_actor_host:actor()].
supervised_actors(Sup) ->
    lists:append([case Type of
                      supervisor -> supervised_actors(C);
                      worker -> [A || A <- [supervised_actor(C)], is_map(A)]
                  end || {_, C, Type, _} <- which_children(Sup), is_pid(C)]).

-spec supervised_actor(pid()) -> beamtalk_actor_host:actor() | none.
supervised_actor(Pid) ->
    case erlang:process_info(Pid, dictionary) of
        {dictionary, D} ->
            case {proplists:get_value('$bt_actor_class', D), proplists:get_value('$bt_started_at', D)} of
                {Class, At} when is_atom(Class), Class =/= undefined, is_integer(At) ->
                    #{pid => Pid, class => Class, started_at => At, restarts => 0};
                _ ->
                    none
            end;
        undefined ->
            none
    end.

-type tree_node() :: #{kind := actor | supervisor, class := atom(), pid := pid(), children := [tree_node()]}.

%% @doc What runs here as a tree (`beamtalk workspace actors --tree'): each Beamtalk supervisor with its
%% children (nested supervisors within), and each actor on its own, in the order they were started.
-spec tree() -> [tree_node()].
tree() ->
    Actors = lists:append([beamtalk_actor_host:actors(H) || H <- hosts()]),
    Tops = [{P, #{kind => actor, class => C, pid => P, children => []}} || #{pid := P, class := C} <- Actors] ++
        [{P, supervisor_node(P)} || P <- supervisors()],
    [N || {_, N} <- lists:keysort(1, Tops)].

-spec supervisor_node(pid()) -> tree_node().
supervisor_node(Pid) ->
    #{kind => supervisor, class => supervisor_class(Pid), pid => Pid, children => supervised(Pid)}.

%% @doc The class of a Beamtalk supervisor (registered under its class, see `beamtalk_supervisor'), or
%% undefined for any other process.
-spec supervisor_class(pid()) -> atom().
supervisor_class(Pid) ->
    case erlang:process_info(Pid, registered_name) of
        {registered_name, Name} -> beamtalk_supervisor:class_of_name(Name);
        _ -> undefined
    end.

-spec supervised(pid()) -> [tree_node()].
supervised(Sup) ->
    [case Type of
         supervisor -> #{kind => supervisor, class => Id, pid => C, children => supervised(C)};
         worker -> #{kind => actor, class => worker_class(C, Id), pid => C, children => []}
     end || {Id, C, Type, _} <- lists:reverse(which_children(Sup)), is_pid(C)].

-spec worker_class(pid(), term()) -> atom().
worker_class(Pid, Id) ->
    case supervised_actor(Pid) of
        #{class := Class} -> Class;
        none when is_atom(Id) -> Id;
        none -> undefined
    end.

-spec init(top | keepers) -> {ok, {supervisor:sup_flags(), [supervisor:child_spec()]}}.
init(top) ->
    N = erlang:system_info(schedulers),
    persistent_term:put(?HOSTS_KEY, list_to_tuple([beamtalk_actor_host:name(I) || I <- lists:seq(1, N)])),
    Hosts = [#{id => {host, I}, start => {beamtalk_actor_host, start_link, [I]}, shutdown => ?HOST_SHUTDOWN_MS}
             || I <- lists:seq(1, N)],
    Keepers = #{id => ?KEEPERS, start => {supervisor, start_link, [{local, ?KEEPERS}, ?MODULE, keepers]},
                type => supervisor},
    %% A host restarts its own actors; it is restarted here only if it crashed itself (its actors with it).
    {ok, {#{strategy => one_for_one, intensity => 10, period => 10}, Hosts ++ [Keepers]}};
init(keepers) ->
    %% Children are temporary keepers, never restarted here, so this intensity only bounds keepers that
    %% crash themselves (which they do not).
    Keeper = #{id => keeper, start => {beamtalk_actor_keeper, start_link, []}, restart => temporary,
               type => supervisor, shutdown => ?KEEPER_SHUTDOWN_MS},
    {ok, {#{strategy => simple_one_for_one, intensity => 10, period => 10}, [Keeper]}}.
