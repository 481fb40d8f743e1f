%% Runs on the hidden node that `beamtalk workspace observer` starts, never on the workspace node: opens
%% OTP's Observer there, points it at the workspace node, and halts this node when the Observer window
%% closes. The workspace is only connected to, so closing Observer leaves it running.
-module(beamtalk_observer).

-export([open/1]).

-ifdef(TEST).
-export([index/2]).
-endif.

%% observer_defs.hrl (OTP 25): the items of Observer's "Nodes" menu have ids 1001, 1002, ... in the
%% order of its node list, which OTP 25 offers no call to change other than that menu.
-define(NODES_MENU_BASE, 1000).
-define(SWITCH_DEADLINE_MS, 10000).

%% `erl -s beamtalk_observer open Node`: the node comes as an atom, so nothing needs quoting.
-spec open([atom()]) -> no_return().
open([Node]) ->
    case net_kernel:connect_node(Node) of
        true -> ok;
        _ -> fail("cannot connect to the workspace node ~s", [Node])
    end,
    case code:ensure_loaded(observer) of
        {module, observer} -> ok;
        _ -> fail("Erlang's observer application is not installed (Debian: erlang-observer)", [])
    end,
    case observer:start() of
        ok -> ok;
        Error -> fail("Observer did not start: ~p", [Error])
    end,
    Ref = monitor(process, whereis(observer)),
    case show(Node) of
        ok -> io:format("Observer connected to ~s~n", [Node]);
        {error, Active} -> fail("Observer shows ~s, not the workspace node ~s", [Active, Node])
    end,
    receive
        {'DOWN', Ref, process, _, _} -> erlang:halt(0)
    end.

-spec show(node()) -> ok | {error, node()}.
show(Node) ->
    case index(Node, nodes_menu()) of
        0 ->
            {error, observer_wx:get_active_node()};
        N ->
            observer ! {wx, ?NODES_MENU_BASE + N, undefined, [], {wxCommand, command_menu_selected, [], 0, 0}},
            await_active(Node, erlang:monotonic_time(millisecond) + ?SWITCH_DEADLINE_MS)
    end.

%% The node list Observer built its "Nodes" menu from when it started (observer_wx:get_nodes/0, OTP 25):
%% the nodes registered with the local EPMD on this node's host, this node, and every connected node.
-spec nodes_menu() -> [node()].
nodes_menu() ->
    [_, Host] = string:split(atom_to_list(node()), "@"),
    Registered =
        case net_adm:names() of
            {ok, Names} -> [list_to_atom(Name ++ "@" ++ Host) || {Name, _Port} <- Names];
            {error, _} -> []
        end,
    lists:usort(Registered ++ [node() | nodes(connected)]).

-spec index(node(), [node()]) -> non_neg_integer().
index(Node, Nodes) ->
    case lists:splitwith(fun(N) -> N =/= Node end, Nodes) of
        {Before, [Node | _]} -> length(Before) + 1;
        _ -> 0
    end.

-spec await_active(node(), integer()) -> ok | {error, node()}.
await_active(Node, Deadline) ->
    case observer_wx:get_active_node() of
        Node ->
            ok;
        Other ->
            case erlang:monotonic_time(millisecond) > Deadline of
                true ->
                    {error, Other};
                false ->
                    timer:sleep(50),
                    await_active(Node, Deadline)
            end
    end.

-spec fail(string(), list()) -> no_return().
fail(Format, Args) ->
    io:format(standard_error, "error: " ++ Format ++ "~n", Args),
    erlang:halt(1).
