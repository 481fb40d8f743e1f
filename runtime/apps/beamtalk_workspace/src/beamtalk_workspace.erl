%% @doc Entry point of a workspace node (`erl ... -s beamtalk_workspace boot').
-module(beamtalk_workspace).

-export([boot/0, stop/0, ready_marker/0]).

%% How long the boot waits for the durable actors' store to open.
-define(DURABLE_BOOT_MS, 120000).

%% @doc The line written to the boot log once the workspace answers; the CLI waits for it.
-spec ready_marker() -> string().
ready_marker() ->
    "beamtalk workspace ready".

%% @doc Starts the workspace application and everything it needs; on failure prints why and halts, so the
%% CLI waiting for the node sees the reason in the node's boot log.
%%
%% The application is permanent: if it ever stops, the node stops with it rather than lingering
%% unreachable and unmonitored.
-spec boot() -> ok.
boot() ->
    ok = restore_home(),
    case application:ensure_all_started(beamtalk_workspace, permanent) of
        {ok, _} ->
            %% Durable actors of the classes loaded now are back before anyone is told the node is ready.
            try beamtalk_durable:await_boot(?DURABLE_BOOT_MS) of
                {unavailable, Why} -> io:format(standard_error, "durable actors are unavailable: ~ts~n", [Why]);
                _ -> ok
            catch
                exit:Reason -> io:format(standard_error, "durable actors are unavailable: ~0p~n", [Reason])
            end,
            io:format("~s~n", [ready_marker()]);
        {error, Reason} ->
            io:format(standard_error, "beamtalk workspace failed to start: ~p~n", [Reason]),
            erlang:halt(1)
    end.

%% @doc Stops the node soon after answering: the workspace application first (actors and sessions end
%% through their supervisors), then the runtime halts. `init:stop/0' would also stop OTP's own
%% applications one by one, which takes a second longer and protects nothing of the user's.
-spec stop() -> ok.
stop() ->
    Stopper = spawn(fun() ->
                            receive go -> ok end,
                            _ = application:stop(beamtalk_workspace),
                            %% Durable actors' store: what Mnesia's log still holds in memory (a
                            %% replica's commits, say) reaches the disk before the node goes.
                            _ = catch mnesia:sync_log(),
                            erlang:halt(0)
                    end),
    %% Outside the application (whose processes its master kills when it stops), also when the caller
    %% is one of them (the idle monitor).
    {group_leader, GL} = erlang:process_info(whereis(init), group_leader),
    true = group_leader(GL, Stopper),
    Stopper ! go,
    ok.

%% The node boots with HOME pointing at a private directory whose .erlang.cookie is the workspace's cookie
%% file (so distribution starts with the real cookie); user code gets the user's HOME back.
-spec restore_home() -> ok.
restore_home() ->
    _ = application:load(beamtalk_workspace),
    case application:get_env(beamtalk_workspace, user_home) of
        {ok, Home} when is_binary(Home) -> true = os:putenv("HOME", unicode:characters_to_list(Home)), ok;
        {ok, false} -> true = os:unsetenv("HOME"), ok;
        undefined -> ok
    end.
