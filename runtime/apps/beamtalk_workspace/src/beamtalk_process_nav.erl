%% @doc ProcessNavigation (ADR 0092): what runs, as a snapshot of `SupervisionTree' and `SupervisionNode'
%% values. `default/0' is the workspace's own (Beamtalk supervisors and actors), `system/0' every
%% application's supervision tree, `from/1' the tree under one process.
%%
%% A snapshot is taken once, top down, one `which_children' per supervisor, and is never refreshed:
%% walking it never touches a process. Only a process whose initial call says it is a supervisor is asked
%% for its children (a call other servers would not understand), with a timeout; a child being restarted
%% is a node of kind `restarting' without a pid. A node's state (`status/1') is asked only when wanted.
-module(beamtalk_process_nav).

-export([default/0, system/0, from/1, status/1, as_supervisor/1]).

-ifdef(TEST).
-export([walk/2]).
-endif.

%% How long one supervisor or process may take to answer.
-define(CALL_MS, 1000).
%% Of the actors that run on their own, a snapshot lists at most this many.
-define(TREE_ACTORS, 1000).
%% Supervision trees are shallow; a deeper one is cut here rather than walked for ever.
-define(MAX_DEPTH, 64).

-type kind() :: workspace | system | beamtalkSupervisor | beamtalkActor | otpSupervisor | otpProcess | restarting.
-type snap() :: #{pid := pid() | nil, kind := kind(), class := atom(), children := [snap()]}.

%% @doc The workspace's processes: each Beamtalk supervisor with its children, and the actors that run on
%% their own (at most ?TREE_ACTORS), under one root standing for the workspace.
-spec default() -> term().
default() ->
    {Sups, Actors} = lists:partition(fun(#{kind := K}) -> K =:= supervisor end, beamtalk_actor_sup:tree()),
    Shown = Sups ++ lists:sublist(Actors, ?TREE_ACTORS),
    Root = snap(whereis(beamtalk_actor_sup), workspace, undefined, [from_actor_tree(N) || N <- Shown]),
    tree(Root, max(0, length(Actors) - ?TREE_ACTORS)).

-spec from_actor_tree(beamtalk_actor_sup:tree_node()) -> snap().
from_actor_tree(#{kind := actor, class := C, pid := P}) ->
    snap(P, beamtalkActor, C, []);
from_actor_tree(#{kind := supervisor, class := C, pid := P, children := Cs}) ->
    snap(P, beamtalkSupervisor, C, [from_actor_tree(X) || X <- Cs]).

%% @doc Everything: the top supervisor of every running application, walked down.
-spec system() -> term().
system() ->
    Tops = [Top || {App, _, _} <- application:which_applications(), Top <- [app_top(App)], is_pid(Top)],
    tree(snap(nil, system, undefined, [walk(T, 1) || T <- Tops]), 0).

%% @doc The tree under `Root' (a Beamtalk supervisor, an actor or a pid): `{ok, Tree}', or `{error, stale_handle}'
%% when it is not running. A process that is no supervisor is a tree of one node.
-spec from(term()) -> {ok, term()} | {error, stale_handle | not_a_process}.
from({'$bt_supervisor', _, Pid}) -> from(Pid);
from({'$bt_actor', _, Pid}) -> from(Pid);
from(Pid) when is_pid(Pid) ->
    case is_process_alive(Pid) of
        true -> {ok, tree(walk(Pid, 1), 0)};
        false -> {error, stale_handle}
    end;
from(_) ->
    {error, not_a_process}.

%% @doc What a process says of itself now, or nil when it is gone or does not answer in time: its status,
%% module, message queue length and memory.
-spec status(pid() | nil) -> map() | nil.
status(Pid) when is_pid(Pid) ->
    case erlang:process_info(Pid, [status, message_queue_len, memory, current_function]) of
        undefined -> nil;
        Info ->
            Module = case proplists:get_value(current_function, Info) of
                         {M, _, _} -> M;
                         _ -> nil
                     end,
            #{status => proplists:get_value(status, Info), module => Module,
              messageQueueLength => proplists:get_value(message_queue_len, Info),
              memory => proplists:get_value(memory, Info), answers => answers_sys(Pid)}
    end;
status(_) ->
    nil.

%% Whether the process answers OTP's system messages within the time allowed (a busy one does not). A
%% process that proc_lib did not start is not asked: the request would stay in its mailbox for good.
-spec answers_sys(pid()) -> boolean().
answers_sys(Pid) ->
    dictionary_value(Pid, '$initial_call') =/= undefined andalso
        try sys:get_status(Pid, ?CALL_MS) of
            _ -> true
        catch
            _:_ -> false
        end.

%% @doc The live Beamtalk supervisor a node stands for, or nil (a foreign or stopped process).
-spec as_supervisor(term()) -> term().
as_supervisor({'$bt_value', 'SupervisionNode', #{kind := beamtalkSupervisor, pid := Pid,
                                                   behaviourClass := {'$bt_class', Class}}}) when is_pid(Pid) ->
    case is_process_alive(Pid) of
        true -> {'$bt_supervisor', Class, Pid};
        false -> nil
    end;
as_supervisor(_) ->
    nil.

%% One process and what it supervises, `Depth' levels down.
-spec walk(pid(), pos_integer()) -> snap().
walk(Pid, Depth) ->
    case {is_supervisor(Pid), beamtalk_actor_class(Pid)} of
        {true, _} ->
            Class = beamtalk_actor_sup:supervisor_class(Pid),
            Kind = case Class of
                       undefined -> otpSupervisor;
                       _ -> beamtalkSupervisor
                   end,
            snap(Pid, Kind, Class, children(Pid, Depth));
        {false, undefined} ->
            snap(Pid, otpProcess, undefined, hosted(Pid));
        {false, Class} ->
            snap(Pid, beamtalkActor, Class, [])
    end.

-spec children(pid(), pos_integer()) -> [snap()].
children(_Sup, Depth) when Depth >= ?MAX_DEPTH -> [];
children(Sup, Depth) ->
    Children = try gen_server:call(Sup, which_children, ?CALL_MS) of
                   L when is_list(L) -> L;
                   _ -> []
               catch
                   _:_ -> []
               end,
    [case C of
         restarting -> snap(nil, restarting, class_of_id(Id), []);
         P when is_pid(P) -> walk(P, Depth + 1);
         _ -> snap(nil, otpProcess, undefined, [])
     end || {Id, C, _Type, _Mods} <- lists:reverse(Children)].

%% An actor host's actors are its children here, though no supervisor lists them (the host restarts them).
-spec hosted(pid()) -> [snap()].
hosted(Pid) ->
    case erlang:process_info(Pid, registered_name) of
        {registered_name, Name} ->
            case lists:prefix("beamtalk_actor_host_", atom_to_list(Name)) of
                true -> [snap(P, beamtalkActor, C, [])
                         || #{pid := P, class := C} <- beamtalk_actor_host:actors(Name, ?TREE_ACTORS)];
                false -> []
            end;
        _ -> []
    end.

-spec is_supervisor(pid()) -> boolean().
is_supervisor(Pid) ->
    case dictionary_value(Pid, '$initial_call') of
        {supervisor, _, _} -> true;
        _ -> false
    end.

-spec beamtalk_actor_class(pid()) -> atom().
beamtalk_actor_class(Pid) ->
    case dictionary_value(Pid, '$bt_actor_class') of
        Class when is_atom(Class) -> Class;
        _ -> undefined
    end.

%% What a process keeps under `Key' in its dictionary (undefined when it does not, or is gone).
-spec dictionary_value(pid(), atom()) -> term().
dictionary_value(Pid, Key) ->
    case erlang:process_info(Pid, dictionary) of
        {dictionary, D} -> proplists:get_value(Key, D);
        undefined -> undefined
    end.

%% The class a child id names, when it is one (Beamtalk supervisors use the class as the id).
-spec class_of_id(term()) -> atom().
class_of_id(Id) when is_atom(Id) ->
    case beamtalk_class:exists(Id) of
        true -> Id;
        false -> undefined
    end;
class_of_id(_) -> undefined.

-spec app_top(atom()) -> pid() | undefined.
app_top(App) ->
    try application_controller:get_master(App) of
        Master when is_pid(Master) ->
            case application_master:get_child(Master) of
                {Top, _} when is_pid(Top) -> Top;
                _ -> undefined
            end;
        _ -> undefined
    catch
        _:_ -> undefined
    end.

-spec snap(pid() | nil | undefined, kind(), atom(), [snap()]) -> snap().
snap(undefined, Kind, Class, Children) -> snap(nil, Kind, Class, Children);
snap(Pid, Kind, Class, Children) -> #{pid => Pid, kind => Kind, class => Class, children => Children}.

%% The snapshot as values: the tree, its root, every node depth first, and the outline people read.
-spec tree(snap(), non_neg_integer()) -> term().
tree(Root, Truncated) ->
    RootNode = node_value(Root, nil),
    Shown = case maps:get(kind, Root) of
                workspace -> maps:get(children, Root);
                _ -> [Root]
            end,
    Outline = lists:append([outline(N, 0) || N <- Shown]),
    %% The root that stands for the workspace or the node is no process of its own to list.
    Nodes = case maps:get(kind, Root) of
                K when K =:= workspace; K =:= system ->
                    {'$bt_value', _, #{childNodes := Top}} = RootNode,
                    lists:append([flat(N) || N <- Top]);
                _ -> flat(RootNode)
            end,
    beamtalk_user_class:new_value('SupervisionTree',
                                  #{root => RootNode, nodes => Nodes, truncated => Truncated,
                                    outline => iolist_to_binary(lists:join("\n", Outline))}).

%% A node as a `SupervisionNode': its parent is kept without its children (a value cannot hold its own
%% ancestor), which is all `node parent' needs.
-spec node_value(snap(), term()) -> term().
node_value(#{pid := Pid, kind := Kind, class := Class, children := Children}, Parent) ->
    Fields = #{pid => Pid, kind => Kind, registeredName => registered_name(Pid),
               behaviourClass => class_ref(Class), childCount => length(Children),
               strategy => nil, maxRestarts => nil, restartWindow => nil, parentNode => Parent,
               childNodes => []},
    Own = maps:merge(Fields, budget(Kind, Class)),
    Bare = beamtalk_user_class:new_value('SupervisionNode', Own),
    beamtalk_user_class:new_value('SupervisionNode', Own#{childNodes => [node_value(C, Bare) || C <- Children]}).

%% A Beamtalk supervisor's strategy and restart budget, as its class configures them.
-spec budget(kind(), atom()) -> map().
budget(beamtalkSupervisor, Class) when Class =/= undefined ->
    {Max, Window} = beamtalk_supervisor:limits(Class),
    #{strategy => beamtalk_supervisor:strategy_name(Class), maxRestarts => Max, restartWindow => Window};
budget(_, _) ->
    #{}.

-spec registered_name(pid() | nil) -> atom().
registered_name(Pid) when is_pid(Pid) ->
    case erlang:process_info(Pid, registered_name) of
        {registered_name, Name} -> Name;
        _ -> nil
    end;
registered_name(_) -> nil.

-spec class_ref(atom()) -> term().
class_ref(undefined) -> nil;
class_ref(Class) -> {'$bt_class', Class}.

-spec flat(term()) -> [term()].
flat({'$bt_value', 'SupervisionNode', #{childNodes := Children}} = Node) ->
    [Node | lists:append([flat(C) || C <- Children])].

-spec outline(snap(), non_neg_integer()) -> [iodata()].
outline(#{kind := Kind, class := Class, pid := Pid, children := Children}, Depth) ->
    What = case Class of
               undefined -> atom_to_list(Kind);
               _ -> [word(Kind), " ", atom_to_list(Class)]
           end,
    Line = io_lib:format("~s~s ~p", [lists:duplicate(2 * Depth, $\s), What, Pid]),
    [Line | lists:append([outline(C, Depth + 1) || C <- Children])].

-spec word(kind()) -> string().
word(beamtalkSupervisor) -> "supervisor";
word(beamtalkActor) -> "actor";
word(otpSupervisor) -> "otp supervisor";
word(otpProcess) -> "process";
word(Kind) -> atom_to_list(Kind).
