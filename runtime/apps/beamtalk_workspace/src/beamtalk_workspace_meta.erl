%% @doc The workspace's metadata: identity, activity, tracked actors and loaded modules.
%%
%% This is the API the CLI reads by RPC (there is no other channel). `info/0' returns one map with
%% everything `beamtalk workspace status' and `list' show; `touch/0' marks activity, which keeps the idle
%% monitor from stopping a workspace in use.
-module(beamtalk_workspace_meta).
-behaviour(gen_server).

-export([start_link/1, info/0, touch/0, last_active/0, idle_ms/0, set_id/1,
         register_actor/1, register_actor/2, actors/0, actors_detail/0, register_module/1, modules/0,
         dist_address/0]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

-type actor() :: #{pid := pid(), class := atom(), started_at := integer(), restarts := non_neg_integer()}.
-type state() :: #{id := binary(), home := binary(), project_path := binary(), created_at := integer(),
                   last_active := integer(), last_active_mono := integer(), started_mono := integer(),
                   actors := #{pid() => {actor(), reference()}}, modules := [module()],
                   restarts := #{integer() => non_neg_integer()}}.

%% @doc Starts the metadata server; `Config' has `id', `project_path' and `created_at' (Unix seconds).
-spec start_link(map()) -> {ok, pid()} | {error, term()}.
start_link(Config) ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, Config, []).

%% @doc Everything known about the workspace, plus live figures (memory, processes, uptime).
-spec info() -> map().
info() ->
    gen_server:call(?MODULE, info).

%% @doc Records activity now (REPL input, eval, RPC through the CLI).
-spec touch() -> ok.
touch() ->
    gen_server:cast(?MODULE, touch).

%% @doc When the workspace was last active, in Unix seconds.
-spec last_active() -> integer().
last_active() ->
    gen_server:call(?MODULE, last_active).

%% @doc Milliseconds since the last activity (monotonic, immune to clock changes).
-spec idle_ms() -> non_neg_integer().
idle_ms() ->
    gen_server:call(?MODULE, idle_ms).

%% @doc Renames the workspace (the node keeps its name).
-spec set_id(binary()) -> ok.
set_id(Id) when is_binary(Id) ->
    gen_server:call(?MODULE, {set_id, Id}).

%% @doc Tracks an actor of unknown class until it exits.
-spec register_actor(pid()) -> ok.
register_actor(Pid) ->
    register_actor(Pid, undefined).

%% @doc Tracks an actor of class `Class' until it exits.
-spec register_actor(pid(), atom()) -> ok.
register_actor(Pid, Class) when is_pid(Pid) ->
    gen_server:call(?MODULE, {register_actor, Pid, Class}).

%% @doc The live actors: pid, class and start time (Unix seconds).
-spec actors() -> [actor()].
actors() ->
    gen_server:call(?MODULE, actors).

%% @doc The live actors with figures for `:actors' and `beamtalk top': uptime, queue, memory, reductions.
-spec actors_detail() -> [map()].
actors_detail() ->
    Now = erlang:system_time(second),
    [A#{uptime_s => Now - Started, queue => Q, memory => M, reductions => R}
     || #{pid := P, started_at := Started} = A <- actors(),
        [{message_queue_len, Q}, {memory, M}, {reductions, R}] <-
            [erlang:process_info(P, [message_queue_len, memory, reductions])]].

%% @doc Records a module loaded into the workspace (a compiled Beamtalk class).
-spec register_module(module()) -> ok.
register_module(Module) when is_atom(Module) ->
    gen_server:call(?MODULE, {register_module, Module}).

%% @doc Modules loaded into the workspace, in load order.
-spec modules() -> [module()].
modules() ->
    gen_server:call(?MODULE, modules).

%% @doc The address the node's distribution listener is bound to.
-spec dist_address() -> {inet:ip_address(), inet:port_number()} | undefined.
dist_address() ->
    {ok, [{_, DistPort} | _]} = dist_port(),
    Listeners = [Addr || P <- erlang:ports(),
                         erlang:port_info(P, name) =:= {name, "tcp_inet"},
                         {ok, {_, Port} = Addr} <- [inet:sockname(P)],
                         Port =:= DistPort,
                         {ok, []} =/= catch inet:peername(P)],
    case Listeners of
        [Addr | _] -> Addr;
        [] -> undefined
    end.

-spec dist_port() -> {ok, [{atom(), inet:port_number()}]}.
dist_port() ->
    [Name, Host] = string:split(atom_to_list(node()), "@"),
    {port, Port, _Version} = erl_epmd:port_please(Name, Host),
    {ok, [{node(), Port}]}.

%% gen_server callbacks

-spec init(map()) -> {ok, state()}.
init(Config) ->
    Now = erlang:monotonic_time(millisecond),
    {ok, #{id => maps:get(id, Config, <<"default">>),
           home => maps:get(home, Config, <<"">>),
           project_path => maps:get(project_path, Config, <<"">>),
           created_at => maps:get(created_at, Config, erlang:system_time(second)),
           last_active => erlang:system_time(second),
           last_active_mono => Now,
           started_mono => Now,
           actors => #{},
           modules => [],
           restarts => #{}}}.

-spec handle_call(term(), gen_server:from(), state()) -> {reply, term(), state()}.
handle_call(info, _From, S) ->
    {reply, info_map(S), S};
handle_call(last_active, _From, #{last_active := T} = S) ->
    {reply, T, S};
handle_call(idle_ms, _From, #{last_active_mono := T} = S) ->
    {reply, erlang:monotonic_time(millisecond) - T, S};
handle_call({set_id, Id}, _From, S) ->
    {reply, ok, S#{id := Id}};
handle_call({register_actor, Pid, Class}, _From, #{actors := As, restarts := Rs} = S) ->
    case maps:is_key(Pid, As) of
        true ->
            {reply, ok, S};
        false ->
            Ref = erlang:monitor(process, Pid),
            %% An actor restarted by its supervisor registers again with the same id.
            {Restarts, Rs1} = case actor_id(Pid) of
                                  undefined -> {0, Rs};
                                  Id -> N = maps:get(Id, Rs, -1) + 1, {N, Rs#{Id => N}}
                              end,
            Actor = #{pid => Pid, class => Class, started_at => erlang:system_time(second), restarts => Restarts},
            {reply, ok, S#{actors := As#{Pid => {Actor, Ref}}, restarts := Rs1}}
    end;
handle_call(actors, _From, #{actors := As} = S) ->
    {reply, [A || {A, _} <- maps:values(As)], S};
handle_call({register_module, M}, _From, #{modules := Ms} = S) ->
    {reply, ok, S#{modules := (Ms -- [M]) ++ [M]}};
handle_call(modules, _From, #{modules := Ms} = S) ->
    {reply, Ms, S};
handle_call(_Other, _From, S) ->
    {reply, {error, unknown_request}, S}.

-spec handle_cast(term(), state()) -> {noreply, state()}.
handle_cast(touch, S) ->
    {noreply, S#{last_active := erlang:system_time(second),
                 last_active_mono := erlang:monotonic_time(millisecond)}};
handle_cast(_Other, S) ->
    {noreply, S}.

-spec handle_info(term(), state()) -> {noreply, state()}.
handle_info({'DOWN', _Ref, process, Pid, Reason}, #{actors := As} = S) ->
    case {maps:find(Pid, As), Reason} of
        {{ok, _}, R} when R =:= normal; R =:= shutdown; R =:= noproc -> ok;
        {{ok, _}, {shutdown, _}} -> ok;
        {{ok, {#{class := Class}, _}}, _} ->
            beamtalk_repl_shell:broadcast(
              io_lib:format("[actor ~s ~p crashed: ~P]~n", [Class, Pid, Reason, 8]));
        {error, _} -> ok
    end,
    {noreply, S#{actors := maps:remove(Pid, As)}};
handle_info(_Other, S) ->
    {noreply, S}.

-spec actor_id(pid()) -> integer() | undefined.
actor_id(Pid) ->
    case erlang:process_info(Pid, dictionary) of
        {dictionary, D} -> proplists:get_value('$bt_actor_id', D);
        undefined -> undefined
    end.

-spec info_map(state()) -> map().
info_map(#{actors := As, started_mono := Started, last_active_mono := Last} = S) ->
    Now = erlang:monotonic_time(millisecond),
    #{id => maps:get(id, S),
      node => node(),
      home => maps:get(home, S),
      project_path => maps:get(project_path, S),
      created_at => maps:get(created_at, S),
      last_active => maps:get(last_active, S),
      idle_ms => Now - Last,
      uptime_ms => Now - Started,
      memory => erlang:memory(total),
      process_count => erlang:system_info(process_count),
      actor_count => maps:size(As),
      actors => [A || {A, _} <- maps:values(As)],
      modules => maps:get(modules, S),
      otp_release => list_to_binary(erlang:system_info(otp_release))}.
