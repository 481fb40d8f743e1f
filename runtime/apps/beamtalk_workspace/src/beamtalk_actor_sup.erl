%% @doc Supervises the actors users spawn in the workspace, so they outlive the REPL that spawned them.
%%
%% Each actor runs under its own `beamtalk_actor_keeper' (a temporary child here): restart limits are per
%% actor, so one crash-looping actor never exhausts this supervisor's intensity or stops its siblings.
-module(beamtalk_actor_sup).
-behaviour(supervisor).

-export([start_link/0, start_actor/3, stop_actor/1, start_supervisor/1, stop_supervisor/1, keepers/0,
         tree/0, init/1]).

-spec start_link() -> {ok, pid()} | {error, term()}.
start_link() ->
    supervisor:start_link({local, ?MODULE}, ?MODULE, []).

%% @doc Starts `Module:start_link(Args...)' as a supervised actor with the given restart policy; answers the
%% actor's pid. An actor that fails to start reports its own reason.
-spec start_actor(module(), [term()], transient | permanent | temporary) -> {ok, pid()} | {error, term()}.
start_actor(Module, Args, Restart) ->
    Id = {Module, erlang:unique_integer([positive])},
    Spec = #{id => Id, start => {beamtalk_actor_keeper, start_link, [Module, Args, Restart]},
             restart => temporary, type => supervisor},
    case supervisor:start_child(?MODULE, Spec) of
        {ok, Keeper} ->
            case beamtalk_actor_keeper:actor(Keeper) of
                undefined -> {error, not_started};
                Pid -> {ok, Pid}
            end;
        {error, {shutdown, {failed_to_start_child, actor, Reason}}} ->
            {error, Reason};
        {error, _} = Error ->
            Error
    end.

%% @doc Stops an actor for good (no restart, whatever its policy).
-spec stop_actor(pid()) -> ok | {error, not_found}.
stop_actor(Pid) ->
    case [Id || {Id, K} <- children(), not is_supervisor_id(Id), beamtalk_actor_keeper:actor(K) =:= Pid] of
        [Id | _] ->
            _ = supervisor:terminate_child(?MODULE, Id),
            ok;
        [] ->
            {error, not_found}
    end.

%% @doc Starts the supervisor of Beamtalk class `Class' (`App supervise') here, never restarted by this
%% supervisor: it restarts its own children, and if it gives up, it is gone until supervised again.
-spec start_supervisor(atom()) -> {ok, pid()} | {error, term()}.
start_supervisor(Class) ->
    Spec = #{id => {supervisor, Class}, start => {beamtalk_supervisor, start_link, [Class]},
             restart => temporary, type => supervisor},
    _ = supervisor:delete_child(?MODULE, {supervisor, Class}),
    case supervisor:start_child(?MODULE, Spec) of
        {ok, Pid} -> {ok, Pid};
        {error, _} = Error -> Error
    end.

%% @doc Stops a Beamtalk supervisor started here, and its children.
-spec stop_supervisor(pid()) -> ok.
stop_supervisor(Pid) ->
    _ = [supervisor:terminate_child(?MODULE, Id) || {Id, P} <- children(), P =:= Pid],
    ok.

%% @doc The keepers of the running actors.
-spec keepers() -> [pid()].
keepers() ->
    [K || {Id, K} <- children(), not is_supervisor_id(Id)].

-type tree_node() :: #{kind := actor | supervisor, class := atom(), pid := pid(), children := [tree_node()]}.

%% @doc What runs here as a tree (`beamtalk workspace actors --tree'): each Beamtalk supervisor with its
%% children (nested supervisors within), and each actor on its own.
-spec tree() -> [tree_node()].
tree() ->
    Classes = maps:from_list([{P, C} || #{pid := P, class := C} <- beamtalk_workspace_meta:actors()]),
    lists:append([top_node(Id, K, Classes) || {Id, K} <- lists:reverse(children())]).

-spec top_node(term(), pid(), #{pid() => atom()}) -> [tree_node()].
top_node({supervisor, Class}, Pid, Classes) ->
    [#{kind => supervisor, class => Class, pid => Pid, children => supervised(Pid, Classes)}];
top_node(_, Keeper, Classes) ->
    case beamtalk_actor_keeper:actor(Keeper) of
        undefined -> [];
        Pid -> [#{kind => actor, class => maps:get(Pid, Classes, undefined), pid => Pid, children => []}]
    end.

-spec supervised(pid(), #{pid() => atom()}) -> [tree_node()].
supervised(Sup, Classes) ->
    Children = try supervisor:which_children(Sup) catch exit:_ -> [] end,
    [case Type of
         supervisor -> #{kind => supervisor, class => Id, pid => C, children => supervised(C, Classes)};
         worker -> #{kind => actor, class => maps:get(C, Classes, Id), pid => C, children => []}
     end || {Id, C, Type, _} <- lists:reverse(Children), is_pid(C)].

-spec is_supervisor_id(term()) -> boolean().
is_supervisor_id({supervisor, _}) -> true;
is_supervisor_id(_) -> false.

-spec children() -> [{term(), pid()}].
children() ->
    case whereis(?MODULE) of
        undefined -> [];
        _ -> [{Id, K} || {Id, K, _, _} <- supervisor:which_children(?MODULE), is_pid(K)]
    end.

-spec init([]) -> {ok, {supervisor:sup_flags(), [supervisor:child_spec()]}}.
init([]) ->
    %% Children are temporary keepers, never restarted here, so this intensity only bounds keepers that
    %% crash themselves (which they do not).
    {ok, {#{strategy => one_for_one, intensity => 10, period => 10}, []}}.
