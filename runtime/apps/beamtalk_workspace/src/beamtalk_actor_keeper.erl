%% @doc One actor's own supervisor (or one Beamtalk supervisor's), so restart limits are per actor: an actor
%% that keeps crashing exhausts only its keeper's intensity. The keeper then stops (it is a temporary child
%% of `beamtalk_actor_sup', never restarted) and takes nothing else with it; `beamtalk_workspace_meta'
%% reports the actor as given up.
%%
%% A keeper starts empty; `start/3' then adds its one child. The child's start (an actor's `initialize')
%% thus runs in a call to this keeper alone, never inside `beamtalk_actor_sup'.
-module(beamtalk_actor_keeper).
-behaviour(supervisor).

-export([start_link/1, start/3, kind/1, actor/1, running/1, init/1]).

-export_type([kind/0]).

%% What a keeper keeps: an actor with its restart policy, or a Beamtalk supervisor (never restarted).
-type kind() :: {actor, permanent | transient | temporary} | supervisor.

%% Restarts allowed per actor within the period before it is given up.
-define(MAX_RESTARTS, 5).
-define(PERIOD_S, 10).
-define(CHILD, kept).

-spec start_link(kind()) -> {ok, pid()} | {error, term()}.
start_link(Kind) ->
    supervisor:start_link(?MODULE, Kind).

%% @doc Starts the keeper's child (`{M, F, Args}'); answers its pid, or why it did not start.
-spec start(pid(), kind(), {module(), atom(), [term()]}) -> {ok, pid()} | {error, term()}.
start(Keeper, Kind, Start) ->
    Restart = case Kind of
                  {actor, R} -> R;
                  supervisor -> temporary
              end,
    Type = case Kind of
               {actor, _} -> worker;
               supervisor -> supervisor
           end,
    %% A transient or temporary child that ends for good ends its keeper too (a significant child);
    %% a permanent one is restarted until it exceeds the limit.
    Spec = #{id => ?CHILD, start => Start, restart => Restart, type => Type,
             significant => Restart =/= permanent},
    case supervisor:start_child(Keeper, Spec) of
        {ok, Pid} when is_pid(Pid) -> {ok, Pid};
        {ok, undefined} -> {error, not_started};
        {error, {Reason, _ChildRecord}} -> {error, Reason};
        {error, _} = Error -> Error
    end.

%% @doc What a keeper keeps, read from its child specification list (never from the child itself).
-spec kind(pid()) -> actor | supervisor | none.
kind(Keeper) ->
    case running(Keeper) of
        {Kind, _} -> Kind;
        none -> none
    end.

%% @doc The keeper's actor, if it runs.
-spec actor(pid()) -> pid() | undefined.
actor(Keeper) ->
    case running(Keeper) of
        {actor, Pid} -> Pid;
        _ -> undefined
    end.

%% @doc The keeper's running child and its kind.
-spec running(pid()) -> {actor | supervisor, pid()} | none.
running(Keeper) ->
    case catch supervisor:which_children(Keeper) of
        [{?CHILD, Pid, worker, _}] when is_pid(Pid) -> {actor, Pid};
        [{?CHILD, Pid, supervisor, _}] when is_pid(Pid) -> {supervisor, Pid};
        _ -> none
    end.

-spec init(kind()) -> {ok, {supervisor:sup_flags(), [supervisor:child_spec()]}}.
init(Kind) ->
    AutoShutdown = case Kind of
                       {actor, permanent} -> never;
                       _ -> any_significant
                   end,
    {ok, {#{strategy => one_for_one, intensity => ?MAX_RESTARTS, period => ?PERIOD_S,
            auto_shutdown => AutoShutdown}, []}}.
