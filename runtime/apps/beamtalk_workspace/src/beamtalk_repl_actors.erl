%% @doc How the workspace runs actors, for the runtime (ADR 0009: the runtime never depends on the
%% workspace): its `actor_starter', `supervisor_starter' and `actor_spawn_callback'.
-module(beamtalk_repl_actors).

-export([on_actor_spawned/1, start_actor/4, stop_actor/1, kill_actor/1, stop_owned/1, start_supervisor/1,
         stop_supervisor/1, supervisor_ended/1]).

%% @doc The runtime's `actor_starter': every actor runs on one of the workspace's actor hosts.
-spec start_actor(atom(), map(), integer(), permanent | transient | temporary) -> {ok, pid()} | {error, term()}.
start_actor(Class, Init, Id, Restart) ->
    beamtalk_actor_sup:start_actor(Class, Init, Id, Restart).

%% @doc The runtime's `actor_starter' stopping an actor for good (`a stop'), whatever its restart policy.
-spec stop_actor(pid()) -> ok | {error, not_found}.
stop_actor(Pid) ->
    beamtalk_actor_sup:stop_actor(Pid).

%% @doc The runtime's `actor_starter' killing an actor (`a kill'), as a crash would end it.
-spec kill_actor(pid()) -> true | ok.
kill_actor(Pid) ->
    beamtalk_actor_sup:kill_actor(Pid).

%% @doc The runtime's `actor_starter' stopping the actors that belong to `Owner' (a finished test's).
-spec stop_owned(reference()) -> non_neg_integer().
stop_owned(Owner) ->
    beamtalk_actor_sup:stop_owned(Owner).

%% @doc The runtime's `supervisor_starter': a Beamtalk supervisor runs under the workspace's actor
%% supervisor, in a keeper of its own.
-spec start_supervisor(atom()) -> {ok, pid()} | {error, term()}.
start_supervisor(Class) ->
    beamtalk_actor_sup:start_supervisor(Class).

-spec stop_supervisor(pid()) -> ok.
stop_supervisor(Pid) ->
    beamtalk_actor_sup:stop_supervisor(Pid).

%% @doc Why a supervisor started here ended (it was stopped, or gave up), if the workspace remembers.
-spec supervisor_ended(pid()) -> binary() | undefined.
supervisor_ended(Pid) ->
    try beamtalk_workspace_meta:supervisor_ended(Pid)
    catch exit:_ -> undefined
    end.

%% @doc An actor a Beamtalk supervisor started: the workspace transcript becomes its group leader, so
%% output it writes outside a call is kept (actors on the hosts inherit it from their host).
-spec on_actor_spawned(pid()) -> ok.
on_actor_spawned(Pid) ->
    case whereis(beamtalk_transcript) of
        undefined -> ok;
        Transcript -> true = group_leader(Transcript, Pid), ok
    end.
