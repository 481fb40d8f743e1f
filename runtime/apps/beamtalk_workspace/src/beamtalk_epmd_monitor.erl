%% @doc Keeps the node registered with EPMD.
%%
%% OTP registers a node with EPMD once, at start. If EPMD dies and a new one starts, the node is no longer
%% listed: clients cannot find it, and `beamtalk' would take the workspace for stopped. Every `interval_ms'
%% this asks EPMD for the node's own name and, when it is missing (or listed with another port), registers
%% it again with its distribution port (the pattern of RabbitMQ's `rabbit_epmd_monitor').
-module(beamtalk_epmd_monitor).
-behaviour(gen_server).

-export([start_link/1]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

-type state() :: #{name := string(), host := string(), port := inet:port_number(),
                   family := inet | inet6, interval := pos_integer()}.

-spec start_link(pos_integer()) -> {ok, pid()} | ignore | {error, term()}.
start_link(IntervalMs) ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, IntervalMs, []).

-spec init(pos_integer()) -> {ok, state()} | ignore.
init(IntervalMs) ->
    case string:split(atom_to_list(node()), "@") of
        [Name, Host] ->
            case erl_epmd:port_please(Name, Host) of
                {port, Port, _Version} ->
                    erlang:send_after(IntervalMs, self(), check),
                    {ok, #{name => Name, host => Host, port => Port, family => family(),
                           interval => IntervalMs}};
                _ ->
                    %% Not registered at start (a node without EPMD): nothing to keep.
                    ignore
            end;
        _ ->
            ignore
    end.

-spec handle_call(term(), gen_server:from(), state()) -> {reply, {error, unknown_request}, state()}.
handle_call(Request, _From, S) ->
    beamtalk_unexpected:log(?MODULE, call, Request),
    {reply, {error, unknown_request}, S}.

-spec handle_cast(term(), state()) -> {noreply, state()}.
handle_cast(Msg, S) ->
    beamtalk_unexpected:log(?MODULE, cast, Msg),
    {noreply, S}.

-spec handle_info(term(), state()) -> {noreply, state()}.
handle_info(check, #{interval := Interval} = S) ->
    ok = check(S),
    erlang:send_after(Interval, self(), check),
    {noreply, S};
handle_info(Other, S) ->
    logger:notice("beamtalk_epmd_monitor: stray message ~p", [Other]),
    {noreply, S}.

-spec check(state()) -> ok.
check(#{name := Name, host := Host, port := Port, family := Family}) ->
    case erl_epmd:port_please(Name, Host) of
        {port, Port, _} ->
            ok;
        Listed ->
            case erl_epmd:register_node(Name, Port, Family) of
                {ok, _Creation} ->
                    logger:notice("registered again with EPMD (it had ~p)", [Listed]);
                {error, Reason} ->
                    logger:debug("EPMD registration not possible yet: ~p", [Reason])
            end,
            ok
    end.

-spec family() -> inet | inet6.
family() ->
    case init:get_argument(proto_dist) of
        {ok, [[Proto | _] | _]} ->
            case lists:prefix("inet6", Proto) of
                true -> inet6;
                false -> inet
            end;
        _ ->
            inet
    end.
