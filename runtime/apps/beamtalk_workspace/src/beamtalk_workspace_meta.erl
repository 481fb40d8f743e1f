%% @doc The workspace's metadata: identity, activity, tracked actors and loaded modules.
%%
%% This is the API the CLI reads by RPC (there is no other channel). `info/0' returns one map with
%% everything `beamtalk workspace status' and `list' show; `touch/0' marks activity, which keeps the idle
%% monitor from stopping a workspace in use.
-module(beamtalk_workspace_meta).
-behaviour(gen_server).

-export([start_link/1, info/0, touch/0, last_active/0, idle_ms/0, set_id/1,
         register_actor/1, register_actor/2, actors/0, actors_detail/0, given_up/0, register_module/1,
         modules/0, dist_address/0, init_failed/3, actors_of/1]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

-type actor() :: #{pid := pid(), class := atom(), started_at := integer(), restarts := non_neg_integer()}.
%% An actor whose keeper gave up on it after too many restarts.
-type given_up() :: #{class := atom(), restarts := non_neg_integer(), reason := binary(), at := integer()}.
-type keeper() :: #{class := atom(), id := integer() | undefined, last_exit := term()}.
-type state() :: #{id := binary(), home := binary(), project_path := binary(), created_at := integer(),
                   last_active := integer(), last_active_mono := integer(), started_mono := integer(),
                   actors := #{pid() => {actor(), reference()}}, modules := [module()],
                   restarts := #{integer() => non_neg_integer()},
                   keepers := #{pid() => keeper()}, owners := #{pid() => pid()}, given_up := [given_up()]}.

%% How many actors `info/0' lists.
-define(INFO_ACTORS, 1000).
%% How many given-up actors are remembered.
-define(GIVEN_UP_KEPT, 20).

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

%% @doc The live actors of the classes `Classes' (pids), found without copying the others' records.
-spec actors_of([atom()]) -> [pid()].
actors_of(Classes) ->
    gen_server:call(?MODULE, {actors_of, Classes}).

%% @doc The live actors with figures for `:actors' and `beamtalk top': uptime, queue, memory, reductions.
-spec actors_detail() -> [map()].
actors_detail() ->
    Now = erlang:system_time(second),
    [A#{uptime_s => Now - Started, queue => Q, memory => M, reductions => R}
     || #{pid := P, started_at := Started} = A <- actors(),
        [{message_queue_len, Q}, {memory, M}, {reductions, R}] <-
            [erlang:process_info(P, [message_queue_len, memory, reductions])]].

%% @doc Actors stopped for good after exceeding their restart limit, latest first.
-spec given_up() -> [given_up()].
given_up() ->
    gen_server:call(?MODULE, given_up).

%% @doc An actor failed in `initialize' while starting (`Pid', still in its start): if its keeper is
%% tracked, this was a restart, and users hear why in Beamtalk terms; it is the keeper's last exit.
-spec init_failed(pid(), atom(), term()) -> ok.
init_failed(Pid, Class, Error) ->
    gen_server:cast(?MODULE, {init_failed, keeper_of(Pid), Class, Error}).

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
    S0 = #{id => maps:get(id, Config, <<"default">>),
           home => maps:get(home, Config, <<"">>),
           project_path => maps:get(project_path, Config, <<"">>),
           created_at => maps:get(created_at, Config, erlang:system_time(second)),
           last_active => erlang:system_time(second),
           last_active_mono => Now,
           started_mono => Now,
           actors => #{},
           modules => [],
           restarts => #{},
           keepers => #{},
           owners => #{},
           given_up => []},
    %% After a restart of this server the actors are still running: track them again.
    {ok, lists:foldl(fun track_running/2, S0, beamtalk_actor_sup:keepers())}.

-spec track_running(pid(), state()) -> state().
track_running(Keeper, S) ->
    case beamtalk_actor_keeper:actor(Keeper) of
        undefined -> S;
        Pid -> track(Pid, actor_dict(Pid, '$bt_actor_class'), S)
    end.

-spec handle_call(term(), gen_server:from(), state()) -> {reply, term(), state()}.
handle_call(info, _From, S) ->
    {reply, info_map(S), S};
handle_call(last_active, _From, #{last_active := T} = S) ->
    {reply, T, S};
handle_call(idle_ms, _From, #{last_active_mono := T} = S) ->
    {reply, erlang:monotonic_time(millisecond) - T, S};
handle_call({set_id, Id}, _From, S) ->
    {reply, ok, S#{id := Id}};
handle_call({register_actor, Pid, Class}, _From, S) ->
    {reply, ok, track(Pid, Class, S)};
handle_call(given_up, _From, #{given_up := G} = S) ->
    {reply, G, S};
handle_call({actors_of, Classes}, _From, #{actors := As} = S) ->
    Of = maps:fold(fun(P, {#{class := C}, _}, Acc) ->
                           case lists:member(C, Classes) of
                               true -> [P | Acc];
                               false -> Acc
                           end
                   end, [], As),
    {reply, Of, S};
handle_call(actors, _From, #{actors := As} = S) ->
    {reply, [A || {A, _} <- maps:values(As)], S};
handle_call({register_module, M}, _From, #{modules := Ms} = S) ->
    {reply, ok, S#{modules := (Ms -- [M]) ++ [M]}};
handle_call(modules, _From, #{modules := Ms} = S) ->
    {reply, Ms, S};
handle_call(Other, _From, S) ->
    beamtalk_unexpected:log(?MODULE, call, Other),
    {reply, {error, unknown_request}, S}.

-spec handle_cast(term(), state()) -> {noreply, state()}.
handle_cast(touch, S) ->
    {noreply, S#{last_active := erlang:system_time(second),
                 last_active_mono := erlang:monotonic_time(millisecond)}};
handle_cast({init_failed, Keeper, Class, Error}, #{keepers := Ks} = S) ->
    case maps:find(Keeper, Ks) of
        {ok, K} ->
            beamtalk_repl_shell:broadcast(
              io_lib:format("[actor ~s could not restart: ~ts]~n", [Class, reason_text(Error)])),
            {noreply, S#{keepers := Ks#{Keeper := K#{last_exit := Error}}}};
        error ->
            {noreply, S}
    end;
handle_cast(Other, S) ->
    beamtalk_unexpected:log(?MODULE, cast, Other),
    {noreply, S}.

-spec handle_info(term(), state()) -> {noreply, state()}.
handle_info({'DOWN', _Ref, process, Pid, Reason}, #{actors := As, keepers := Ks} = S) ->
    case {maps:find(Pid, As), maps:find(Pid, Ks)} of
        {{ok, {Actor, _}}, _} -> {noreply, actor_down(Pid, Actor, Reason, S)};
        {error, {ok, Keeper}} -> {noreply, keeper_down(Pid, Keeper, S)};
        {error, error} -> {noreply, S}
    end;
handle_info(Other, S) ->
    beamtalk_unexpected:log(?MODULE, info, Other),
    {noreply, S}.

%% Tracks a live actor (once) and the keeper that restarts it.
-spec track(pid(), atom(), state()) -> state().
track(Pid, Class, #{actors := As, restarts := Rs, keepers := Ks, owners := Os} = S) ->
    case maps:is_key(Pid, As) of
        true ->
            S;
        false ->
            Ref = erlang:monitor(process, Pid),
            Id = actor_id(Pid),
            %% An actor restarted by its keeper registers again with the same id.
            {Restarts, Rs1} = case Id of
                                  undefined -> {0, Rs};
                                  _ -> N = maps:get(Id, Rs, -1) + 1, {N, Rs#{Id => N}}
                              end,
            Actor = #{pid => Pid, class => Class, started_at => erlang:system_time(second), restarts => Restarts},
            {Ks1, Os1} = case keeper_of(Pid) of
                             K when is_pid(K), is_map_key(K, Ks) ->
                                 {Ks, Os#{Pid => K}};
                             K when is_pid(K) ->
                                 _ = erlang:monitor(process, K),
                                 {Ks#{K => #{class => Class, id => Id, last_exit => normal}}, Os#{Pid => K}};
                             undefined ->
                                 {Ks, Os}
                         end,
            S#{actors := As#{Pid => {Actor, Ref}}, restarts := Rs1, keepers := Ks1, owners := Os1}
    end.

-spec actor_down(pid(), actor(), term(), state()) -> state().
actor_down(Pid, #{class := Class}, Reason, #{actors := As, keepers := Ks, owners := Os} = S) ->
    case clean_exit(Reason) of
        true -> ok;
        false ->
            beamtalk_repl_shell:broadcast(
              io_lib:format("[actor ~s ~p crashed: ~ts]~n", [Class, Pid, reason_text(Reason)]))
    end,
    Ks1 = case maps:find(Pid, Os) of
              {ok, K} when is_map_key(K, Ks) -> Ks#{K := (maps:get(K, Ks))#{last_exit := Reason}};
              _ -> Ks
          end,
    S#{actors := maps:remove(Pid, As), keepers := Ks1, owners := maps:remove(Pid, Os)}.

%% A keeper that stops after its actor crashed has given up on it (its restart limit was exceeded); one
%% that stops after a clean exit was stopped on purpose or ended with its actor.
-spec keeper_down(pid(), keeper(), state()) -> state().
keeper_down(Keeper, #{class := Class, id := Id, last_exit := Last}, #{keepers := Ks, restarts := Rs} = S) ->
    S1 = S#{keepers := maps:remove(Keeper, Ks)},
    case clean_exit(Last) of
        true ->
            S1;
        false ->
            Restarts = maps:get(Id, Rs, 0),
            Reason = reason_text(Last),
            beamtalk_repl_shell:broadcast(
              io_lib:format("[actor ~s stopped for good: it crashed ~b times in a row (last: ~s)]~n",
                            [Class, Restarts + 1, Reason])),
            Entry = #{class => Class, restarts => Restarts, reason => Reason, at => erlang:system_time(second)},
            #{given_up := G} = S1,
            S1#{given_up := lists:sublist([Entry | G], ?GIVEN_UP_KEPT)}
    end.

%% Why an actor ended, in Beamtalk terms where it was a Beamtalk error (`ZeroDivide: 1 / 0: ...'), else
%% the exit reason, cut short.
-spec reason_text(term()) -> binary().
reason_text({'$bt_error', _, _, _, _} = E) -> iolist_to_binary(beamtalk_error:describe(E));
reason_text({{'$bt_error', _, _, _, _} = E, Stack}) when is_list(Stack) -> reason_text(E);
reason_text(Reason) -> iolist_to_binary(io_lib:format("~P", [Reason, 8])).

-spec clean_exit(term()) -> boolean().
clean_exit(normal) -> true;
clean_exit(shutdown) -> true;
clean_exit(noproc) -> true;
clean_exit({shutdown, _}) -> true;
clean_exit(_) -> false.

-spec actor_id(pid()) -> integer() | undefined.
actor_id(Pid) ->
    actor_dict(Pid, '$bt_actor_id').

-spec actor_dict(pid(), atom()) -> term().
actor_dict(Pid, Key) ->
    case erlang:process_info(Pid, dictionary) of
        {dictionary, D} -> proplists:get_value(Key, D);
        undefined -> undefined
    end.

%% The supervisor that started `Pid' (its keeper).
-spec keeper_of(pid()) -> pid() | undefined.
keeper_of(Pid) ->
    case erlang:process_info(Pid, parent) of
        {parent, Parent} when is_pid(Parent) -> Parent;
        _ -> undefined
    end.

%% The actors `info/0' lists: all of them up to ?INFO_ACTORS (`actor_count' says how many run), so that
%% `workspace list' and `status' cost the same with 100,000 actors as with ten.
-spec listed_actors(#{pid() => {actor(), reference()}}) -> [actor()].
listed_actors(As) ->
    take_actors(maps:next(maps:iterator(As)), ?INFO_ACTORS, []).

-spec take_actors(none | {pid(), {actor(), reference()}, maps:iterator()}, non_neg_integer(), [actor()]) ->
          [actor()].
take_actors(none, _, Acc) -> lists:reverse(Acc);
take_actors(_, 0, Acc) -> lists:reverse(Acc);
take_actors({_, {A, _}, Next}, N, Acc) -> take_actors(maps:next(Next), N - 1, [A | Acc]).

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
      actors => listed_actors(As),
      modules => maps:get(modules, S),
      given_up => maps:get(given_up, S),
      otp_release => list_to_binary(erlang:system_info(otp_release))}.
