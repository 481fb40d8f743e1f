%% @doc Entry point of a workspace node (`erl ... -s beamtalk_workspace boot').
-module(beamtalk_workspace).

-export([boot/0, ready_marker/0]).

%% @doc The line written to the boot log once the workspace answers; the CLI waits for it.
-spec ready_marker() -> string().
ready_marker() ->
    "beamtalk workspace ready".

%% @doc Starts the workspace application and everything it needs; on failure prints why and halts, so the
%% CLI waiting for the node sees the reason in the node's boot log.
-spec boot() -> ok.
boot() ->
    case application:ensure_all_started(beamtalk_workspace) of
        {ok, _} ->
            io:format("~s~n", [ready_marker()]);
        {error, Reason} ->
            io:format(standard_error, "beamtalk workspace failed to start: ~p~n", [Reason]),
            erlang:halt(1)
    end.
