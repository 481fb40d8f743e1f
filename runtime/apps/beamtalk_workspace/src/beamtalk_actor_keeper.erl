%% @doc The keeper of one Beamtalk supervisor (`App supervise'): an empty supervisor started first, which
%% then starts the Beamtalk supervisor as its one child. The Beamtalk supervisor's start (its children's
%% `initialize') thus runs in a call to this keeper alone, never inside a supervisor shared by others, and
%% may spawn actors or supervise. It is never restarted: when it gives up, its keeper stops too.
-module(beamtalk_actor_keeper).
-behaviour(supervisor).

-export([start_link/0, start/2, supervisor/1, init/1]).

-define(CHILD, kept).

-spec start_link() -> {ok, pid()} | {error, term()}.
start_link() ->
    supervisor:start_link(?MODULE, []).

%% @doc Starts the keeper's Beamtalk supervisor (`{M, F, Args}'); answers its pid, or why it did not start.
-spec start(pid(), {module(), atom(), [term()]}) -> {ok, pid()} | {error, term()}.
start(Keeper, Start) ->
    %% A significant child: when it ends for good, its keeper ends too.
    Spec = #{id => ?CHILD, start => Start, restart => temporary, type => supervisor, significant => true},
    case supervisor:start_child(Keeper, Spec) of
        {ok, Pid} when is_pid(Pid) -> {ok, Pid};
        {ok, undefined} -> {error, not_started};
        {error, {Reason, _ChildRecord}} -> {error, Reason};
        {error, _} = Error -> Error
    end.

%% @doc The keeper's Beamtalk supervisor, if it runs.
-spec supervisor(pid()) -> pid() | undefined.
supervisor(Keeper) ->
    case catch supervisor:which_children(Keeper) of
        [{?CHILD, Pid, supervisor, _}] when is_pid(Pid) -> Pid;
        _ -> undefined
    end.

-spec init([]) -> {ok, {supervisor:sup_flags(), [supervisor:child_spec()]}}.
init([]) ->
    {ok, {#{strategy => one_for_one, intensity => 0, period => 1, auto_shutdown => any_significant}, []}}.
