%% @doc One actor's own supervisor, so restart limits are per actor: an actor that keeps crashing exhausts
%% only its keeper's intensity. The keeper then stops (it is a temporary child of `beamtalk_actor_sup', never
%% restarted) and takes nothing else with it; `beamtalk_workspace_meta' reports the actor as given up.
-module(beamtalk_actor_keeper).
-behaviour(supervisor).

-export([start_link/3, actor/1, init/1]).

%% Restarts allowed per actor within the period before it is given up.
-define(MAX_RESTARTS, 5).
-define(PERIOD_S, 10).

-spec start_link(module(), [term()], permanent | transient | temporary) -> {ok, pid()} | {error, term()}.
start_link(Module, Args, Restart) ->
    supervisor:start_link(?MODULE, {Module, Args, Restart}).

%% @doc The keeper's actor, if it runs.
-spec actor(pid()) -> pid() | undefined.
actor(Keeper) ->
    case catch supervisor:which_children(Keeper) of
        [{actor, Pid, _, _}] when is_pid(Pid) -> Pid;
        _ -> undefined
    end.

-spec init({module(), [term()], permanent | transient | temporary}) ->
          {ok, {supervisor:sup_flags(), [supervisor:child_spec()]}}.
init({Module, Args, Restart}) ->
    %% A transient or temporary actor that ends for good ends its keeper too (a significant child);
    %% a permanent one is restarted until it exceeds the limit.
    Significant = Restart =/= permanent,
    AutoShutdown = case Significant of
                       true -> any_significant;
                       false -> never
                   end,
    Flags = #{strategy => one_for_one, intensity => ?MAX_RESTARTS, period => ?PERIOD_S,
              auto_shutdown => AutoShutdown},
    Child = #{id => actor, start => {Module, start_link, Args}, restart => Restart,
              significant => Significant},
    {ok, {Flags, [Child]}}.
