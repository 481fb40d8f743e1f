%% @doc Supervises the actors and Beamtalk supervisors users start in the workspace, so they outlive the
%% REPL that started them.
%%
%% Each runs under its own `beamtalk_actor_keeper' (a temporary child here): restart limits are per actor,
%% so one crash-looping actor never exhausts this supervisor's intensity or stops its siblings.
%%
%% Starting is two steps so that this supervisor never waits on user code: it starts an empty keeper
%% (which runs nothing of the user's), then the caller asks the keeper to start the actor. An actor's
%% `initialize' therefore runs while only its own keeper waits on it, and may spawn actors, supervise, or
%% stop others: this supervisor is free to serve it.
-module(beamtalk_actor_sup).
-behaviour(supervisor).

-export([start_link/0, start_actor/3, stop_actor/1, start_supervisor/1, stop_supervisor/1, keepers/0,
         tree/0, init/1]).

%% How long a keeper may take to stop its actor (which has its own 5 s) before it is killed.
-define(KEEPER_SHUTDOWN_MS, 10000).

-spec start_link() -> {ok, pid()} | {error, term()}.
start_link() ->
    supervisor:start_link({local, ?MODULE}, ?MODULE, []).

%% @doc Starts `Module:start_link(Args...)' as a supervised actor with the given restart policy; answers the
%% actor's pid. An actor that fails to start reports its own reason, and leaves nothing behind.
-spec start_actor(module(), [term()], transient | permanent | temporary) -> {ok, pid()} | {error, term()}.
start_actor(Module, Args, Restart) ->
    start_in_keeper({actor, Restart}, {Module, start_link, Args}).

%% @doc Stops an actor for good (no restart, whatever its policy). O(1): the actor's keeper is its parent.
-spec stop_actor(pid()) -> ok | {error, not_found}.
stop_actor(Pid) ->
    case keeper_of(Pid) of
        {ok, Keeper} ->
            %% Through this supervisor, whose wait for a keeper is bounded (`KEEPER_SHUTDOWN_MS'): a call to
            %% the keeper itself could wait for ever on one busy starting its actor. (The class's own
            %% `terminate' has run already, in the actor, so the shutdown itself is quick.)
            _ = supervisor:terminate_child(?MODULE, Keeper),
            ok;
        error ->
            {error, not_found}
    end.

%% @doc Starts the supervisor of Beamtalk class `Class' (`App supervise') here, never restarted by this
%% supervisor: it restarts its own children, and if it gives up, it is gone until supervised again.
-spec start_supervisor(atom()) -> {ok, pid()} | {error, term()}.
start_supervisor(Class) ->
    start_in_keeper(supervisor, {beamtalk_supervisor, start_link, [Class]}).

%% @doc Stops a Beamtalk supervisor started here, and its children.
-spec stop_supervisor(pid()) -> ok.
stop_supervisor(Pid) ->
    case keeper_of(Pid) of
        {ok, Keeper} -> _ = supervisor:terminate_child(?MODULE, Keeper), ok;
        error -> ok
    end.

-spec start_in_keeper(beamtalk_actor_keeper:kind(), mfa_args()) -> {ok, pid()} | {error, term()}.
start_in_keeper(Kind, Start) ->
    case supervisor:start_child(?MODULE, [Kind]) of
        {ok, Keeper} ->
            case beamtalk_actor_keeper:start(Keeper, Kind, Start) of
                {ok, Pid} ->
                    {ok, Pid};
                {error, _} = Error ->
                    _ = supervisor:terminate_child(?MODULE, Keeper),
                    Error
            end;
        {error, _} = Error ->
            Error
    end.

-type mfa_args() :: {module(), atom(), [term()]}.

%% The keeper of something started here: its parent, if that is one of this supervisor's children.
-spec keeper_of(pid()) -> {ok, pid()} | error.
keeper_of(Pid) ->
    Sup = whereis(?MODULE),
    case parent(Pid) of
        undefined -> error;
        Keeper ->
            case Sup =/= undefined andalso parent(Keeper) =:= Sup of
                true -> {ok, Keeper};
                false -> error
            end
    end.

-spec parent(pid()) -> pid() | undefined.
parent(Pid) when node(Pid) =:= node() ->
    case erlang:process_info(Pid, parent) of
        {parent, P} when is_pid(P) -> P;
        _ -> undefined
    end;
parent(_) ->
    undefined.

%% @doc The keepers of the running actors.
-spec keepers() -> [pid()].
keepers() ->
    [K || K <- children(), beamtalk_actor_keeper:kind(K) =:= actor].

-type tree_node() :: #{kind := actor | supervisor, class := atom(), pid := pid(), children := [tree_node()]}.

%% @doc What runs here as a tree (`beamtalk workspace actors --tree'): each Beamtalk supervisor with its
%% children (nested supervisors within), and each actor on its own, in the order they were started.
-spec tree() -> [tree_node()].
tree() ->
    Classes = maps:from_list([{P, C} || #{pid := P, class := C} <- beamtalk_workspace_meta:actors()]),
    lists:append([top_node(K, Classes) || K <- lists:sort(children())]).

-spec top_node(pid(), #{pid() => atom()}) -> [tree_node()].
top_node(Keeper, Classes) ->
    case beamtalk_actor_keeper:running(Keeper) of
        {supervisor, Pid} ->
            Class = supervisor_class(Pid),
            [#{kind => supervisor, class => Class, pid => Pid, children => supervised(Pid, Classes)}];
        {actor, Pid} ->
            [#{kind => actor, class => maps:get(Pid, Classes, undefined), pid => Pid, children => []}];
        none ->
            []
    end.

%% A Beamtalk supervisor is registered under its class (see `beamtalk_supervisor').
-spec supervisor_class(pid()) -> atom().
supervisor_class(Pid) ->
    case erlang:process_info(Pid, registered_name) of
        {registered_name, Name} -> beamtalk_supervisor:class_of_name(Name);
        _ -> undefined
    end.

-spec supervised(pid(), #{pid() => atom()}) -> [tree_node()].
supervised(Sup, Classes) ->
    Children = try supervisor:which_children(Sup) catch exit:_ -> [] end,
    [case Type of
         supervisor -> #{kind => supervisor, class => Id, pid => C, children => supervised(C, Classes)};
         worker -> #{kind => actor, class => maps:get(C, Classes, Id), pid => C, children => []}
     end || {Id, C, Type, _} <- lists:reverse(Children), is_pid(C)].

-spec children() -> [pid()].
children() ->
    case whereis(?MODULE) of
        undefined -> [];
        _ -> [K || {_, K, _, _} <- supervisor:which_children(?MODULE), is_pid(K)]
    end.

-spec init([]) -> {ok, {supervisor:sup_flags(), [supervisor:child_spec()]}}.
init([]) ->
    %% Children are temporary keepers, never restarted here, so this intensity only bounds keepers that
    %% crash themselves (which they do not).
    Keeper = #{id => keeper, start => {beamtalk_actor_keeper, start_link, []}, restart => temporary,
               type => supervisor, shutdown => ?KEEPER_SHUTDOWN_MS},
    {ok, {#{strategy => simple_one_for_one, intensity => 10, period => 10}, [Keeper]}}.
