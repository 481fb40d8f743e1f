%% @doc Stops the workspace node after a stretch without activity (ADR 0004: 4 hours, checked every 10 min).
%% A connected CLI (a REPL left open, a long `beamtalk test' run) is activity: only a workspace nobody is
%% attached to is ever idle.
-module(beamtalk_idle_monitor).
-behaviour(gen_server).

-export([start_link/1, init/1, handle_call/3, handle_cast/2, handle_info/2]).

-type state() :: #{max_idle_ms := pos_integer(), check_interval_ms := pos_integer(),
                   stop := fun(() -> term()), attached := fun(() -> boolean())}.

%% @doc Starts the monitor. Options: `max_idle_ms', `check_interval_ms', `stop' (what to do when idle;
%% `beamtalk_workspace:stop/0' by default) and `attached' (whether a CLI is connected); the last two are
%% replaceable for tests.
-spec start_link(map()) -> {ok, pid()} | {error, term()}.
start_link(Opts) ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, Opts, []).

-spec init(map()) -> {ok, state()}.
init(Opts) ->
    S = #{max_idle_ms => maps:get(max_idle_ms, Opts, 14400000),
          check_interval_ms => maps:get(check_interval_ms, Opts, 600000),
          stop => maps:get(stop, Opts, fun beamtalk_workspace:stop/0),
          attached => maps:get(attached, Opts, fun cli_attached/0)},
    schedule(S),
    {ok, S}.

-spec handle_call(term(), gen_server:from(), state()) -> {reply, {error, unknown_request}, state()}.
handle_call(Request, _From, S) ->
    beamtalk_unexpected:log(?MODULE, call, Request),
    {reply, {error, unknown_request}, S}.

-spec handle_cast(term(), state()) -> {noreply, state()}.
handle_cast(Msg, S) ->
    beamtalk_unexpected:log(?MODULE, cast, Msg),
    {noreply, S}.

-spec handle_info(term(), state()) -> {noreply, state()}.
handle_info(check, #{max_idle_ms := Max, stop := Stop, attached := Attached} = S) ->
    _ = Attached() andalso beamtalk_workspace_meta:touch() =:= ok,
    Idle = beamtalk_workspace_meta:idle_ms(),
    case Idle >= Max of
        true ->
            logger:notice("beamtalk workspace idle for ~b ms (limit ~b ms): stopping", [Idle, Max]),
            Stop();
        false ->
            schedule(S)
    end,
    {noreply, S};
handle_info(Other, S) ->
    beamtalk_unexpected:log(?MODULE, info, Other),
    {noreply, S}.

%% Whether a beamtalk CLI (a hidden node of its name) is connected.
-spec cli_attached() -> boolean().
cli_attached() ->
    lists:any(fun(N) -> lists:prefix("beamtalk_cli_", atom_to_list(N)) end, nodes(hidden)).

-spec schedule(state()) -> reference().
schedule(#{check_interval_ms := Interval}) ->
    erlang:send_after(Interval, self(), check).
