%% @doc The workspace's metadata: identity, activity, actors given up, and loaded modules.
%%
%% This is the API the CLI reads by RPC (there is no other channel). `info/0' returns one map with
%% everything `beamtalk workspace status' and `list' show; `touch/0' marks activity, which keeps the idle
%% monitor from stopping a workspace in use.
-module(beamtalk_workspace_meta).
-behaviour(gen_server).

-export([start_link/1, info/0, touch/0, last_active/0, idle_ms/0, set_id/1,
         actors/0, actors_detail/0, given_up/0, gave_up/1, register_module/1, forget_module/1, modules/0, dist_address/0,
         actors_of/1, watch_supervisor/3, stopping_supervisor/1, supervisor_ended/1, register_source/2,
         register_source/3, sources/0, class_file/1,
         rename_class/2]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

-type actor() :: beamtalk_actor_host:actor().
%% An actor given up after too many restarts.
-type given_up() :: #{class := atom(), restarts := non_neg_integer(), reason := binary(), at := integer()}.
-type state() :: #{id := binary(), home := binary(), project_path := binary(), created_at := integer(),
                   last_active := integer(), last_active_mono := integer(), started_mono := integer(),
                   modules := [module()], given_up := [given_up()],
                   supervisors := #{reference() => watched()}, stopping := #{pid() => true},
                   ended := #{pid() => binary()}, sources := #{binary() => binary()},
                   class_files := #{atom() => binary()}}.
%% A Beamtalk supervisor started in the workspace, with its restart limits (for saying why it ended).
-type watched() :: #{class := atom(), pid := pid(), restarts := non_neg_integer(), window_s := non_neg_integer()}.

%% How many actors `info/0' lists.
-define(INFO_ACTORS, 1000).
%% How many given-up actors are remembered.
-define(GIVEN_UP_KEPT, 20).
%% How many ended supervisors are remembered (for `supervisor_ended/1').
-define(ENDED_KEPT, 100).

%% @doc Starts the metadata server; `Config' has `id', `project_path' and `created_at' (Unix seconds).
-spec start_link(map()) -> {ok, pid()} | {error, term()}.
start_link(Config) ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, Config, []).

%% @doc Everything known about the workspace, plus live figures (memory, processes, uptime).
-spec info() -> map().
info() ->
    %% The actors are the hosts' to list, not this server's.
    (gen_server:call(?MODULE, info))#{actor_count => beamtalk_actor_sup:count(),
                                      actors => beamtalk_actor_sup:actors(?INFO_ACTORS)}.

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
%% @doc The live actors: pid, class and start time (Unix seconds).
-spec actors() -> [actor()].
actors() ->
    beamtalk_actor_sup:actors().

%% @doc The live actors of the classes `Classes' (pids), found without copying the others' records.
-spec actors_of([atom()]) -> [pid()].
actors_of(Classes) ->
    beamtalk_actor_sup:actors_of(Classes).

%% @doc The live actors with figures for `:actors', `workspace actors' and `beamtalk top', one tuple each
%% (a map each would double what 100,000 actors cost to send): `{Pid, Class, UptimeS, Queue, Memory,
%% Reductions, Restarts}'.
-spec actors_detail() -> [beamtalk_actor_host:detail()].
actors_detail() ->
    beamtalk_actor_sup:details().

%% @doc Actors stopped for good after exceeding their restart limit, latest first.
-spec given_up() -> [given_up()].
given_up() ->
    gen_server:call(?MODULE, given_up).

%% @doc Records an actor given up after too many restarts (its host reports it).
-spec gave_up(given_up()) -> ok.
gave_up(Entry) ->
    gen_server:cast(?MODULE, {gave_up, Entry}).

%% @doc Watches a Beamtalk supervisor started in the workspace (`App supervise'), which restarts its
%% children up to `Restarts' times in `WindowS' seconds: if it ends without being stopped, it gave up,
%% and users hear so.
-spec watch_supervisor(atom(), pid(), {non_neg_integer(), non_neg_integer()}) -> ok.
watch_supervisor(Class, Pid, {Restarts, WindowS}) ->
    gen_server:cast(?MODULE, {watch_supervisor, #{class => Class, pid => Pid, restarts => Restarts,
                                                   window_s => WindowS}}).

%% @doc A supervisor about to be stopped on purpose (`sup stop'): its end is no giving up.
-spec stopping_supervisor(pid()) -> ok.
stopping_supervisor(Pid) ->
    gen_server:call(?MODULE, {stopping_supervisor, Pid}).

%% @doc Why a supervisor started in the workspace ended, if it did and it is remembered.
-spec supervisor_ended(pid()) -> binary() | undefined.
supervisor_ended(Pid) ->
    gen_server:call(?MODULE, {supervisor_ended, Pid}).

%% @doc Records that the source file `Path' (as the loading CLI names it) was loaded with content digest
%% `Digest', so `workspace status' can say whether it changed on disk since.
-spec register_source(binary(), binary()) -> ok.
register_source(Path, Digest) when is_binary(Path), is_binary(Digest) ->
    register_source(Path, Digest, []).

%% @doc The same, with the classes the file defines: their `sourceFile', where a flush writes them.
-spec register_source(binary(), binary(), [atom()]) -> ok.
register_source(Path, Digest, Classes) when is_binary(Path), is_binary(Digest), is_list(Classes) ->
    gen_server:call(?MODULE, {register_source, Path, Digest, Classes}).

%% @doc The file `Class' was last loaded from, or nil (a class typed at the REPL, or a built-in one).
-spec class_file(atom()) -> binary() | nil.
class_file(Class) when is_atom(Class) ->
    gen_server:call(?MODULE, {class_file, Class}).

%% @doc The source files loaded into the workspace, each with the digest it had when loaded.
-spec sources() -> [{binary(), binary()}].
sources() ->
    gen_server:call(?MODULE, sources).

%% @doc Records a module loaded into the workspace (a compiled Beamtalk class).
%% @doc Forgets a module the workspace no longer has (its class was removed).
-spec forget_module(module()) -> ok.
forget_module(Module) when is_atom(Module) ->
    gen_server:call(?MODULE, {forget_module, Module}).

%% @doc Class `Old' is `New' now (`Old renameTo: New'): its file is `New''s, and its module is gone.
-spec rename_class(atom(), atom()) -> ok.
rename_class(Old, New) when is_atom(Old), is_atom(New) ->
    gen_server:call(?MODULE, {rename_class, Old, New}).

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
           modules => [],
           given_up => [],
           supervisors => #{},
           stopping => #{},
           ended => #{},
           sources => #{}, class_files => #{}},
    {ok, S0}.

-spec handle_call(term(), gen_server:from(), state()) -> {reply, term(), state()}.
handle_call(info, _From, S) ->
    {reply, info_map(S), S};
handle_call(last_active, _From, #{last_active := T} = S) ->
    {reply, T, S};
handle_call(idle_ms, _From, #{last_active_mono := T} = S) ->
    {reply, erlang:monotonic_time(millisecond) - T, S};
handle_call({set_id, Id}, _From, S) ->
    {reply, ok, S#{id := Id}};
handle_call(given_up, _From, #{given_up := G} = S) ->
    {reply, G, S};
handle_call({stopping_supervisor, Pid}, _From, #{stopping := St} = S) ->
    {reply, ok, S#{stopping := St#{Pid => true}}};
handle_call({supervisor_ended, Pid}, _From, #{ended := E} = S) ->
    {reply, maps:get(Pid, E, undefined), S};
handle_call({register_source, Path, Digest, Classes}, _From, #{sources := Ss, class_files := Cs} = S) ->
    {reply, ok, S#{sources := Ss#{Path => Digest},
                   class_files := maps:merge(Cs, maps:from_list([{C, Path} || C <- Classes]))}};
handle_call({class_file, Class}, _From, #{class_files := Cs} = S) ->
    {reply, maps:get(Class, Cs, nil), S};
handle_call(sources, _From, #{sources := Ss} = S) ->
    {reply, lists:sort(maps:to_list(Ss)), S};
handle_call({register_module, M}, _From, #{modules := Ms} = S) ->
    {reply, ok, S#{modules := (Ms -- [M]) ++ [M]}};
handle_call({forget_module, M}, _From, #{modules := Ms, class_files := Cs} = S) ->
    {reply, ok, S#{modules := Ms -- [M], class_files := maps:remove(beamtalk_class:of_module(M), Cs)}};
handle_call({rename_class, Old, New}, _From, #{modules := Ms, class_files := Cs} = S) ->
    Files = case maps:take(Old, Cs) of
                {File, Rest} -> Rest#{New => File};
                error -> Cs
            end,
    {reply, ok, S#{modules := Ms -- [beamtalk_class:own_module(Old)], class_files := Files}};
handle_call(modules, _From, #{modules := Ms} = S) ->
    {reply, Ms, S};
handle_call(Other, _From, S) ->
    beamtalk_unexpected:log(?MODULE, call, Other),
    {reply, {error, unknown_request}, S}.

-spec handle_cast(term(), state()) -> {noreply, state()}.
handle_cast(touch, S) ->
    {noreply, S#{last_active := erlang:system_time(second),
                 last_active_mono := erlang:monotonic_time(millisecond)}};
handle_cast({gave_up, Entry}, #{given_up := G} = S) ->
    {noreply, S#{given_up := lists:sublist([Entry | G], ?GIVEN_UP_KEPT)}};
handle_cast({watch_supervisor, #{pid := Pid} = W}, #{supervisors := Ws} = S) ->
    {noreply, S#{supervisors := Ws#{erlang:monitor(process, Pid) => W}}};
handle_cast(Other, S) ->
    beamtalk_unexpected:log(?MODULE, cast, Other),
    {noreply, S}.

-spec handle_info(term(), state()) -> {noreply, state()}.
handle_info({'DOWN', MRef, process, Pid, _Reason}, #{supervisors := Ws, stopping := St} = S)
  when is_map_key(MRef, Ws) ->
    {W, Ws1} = maps:take(MRef, Ws),
    S1 = S#{supervisors := Ws1, stopping := maps:remove(Pid, St)},
    case maps:is_key(Pid, St) of
        true -> {noreply, ended(Pid, <<"it was stopped">>, S1)};
        false -> {noreply, supervisor_gave_up(W, S1)}
    end;
handle_info(Other, S) ->
    beamtalk_unexpected:log(?MODULE, info, Other),
    {noreply, S}.

%% A supervisor ended on its own: its children crashed more often than its limits allow.
-spec supervisor_gave_up(watched(), state()) -> state().
supervisor_gave_up(#{class := Class, pid := Pid, restarts := N, window_s := W}, #{given_up := G} = S) ->
    Why = iolist_to_binary(io_lib:format("it gave up: its children crashed more than ~b times in ~b s", [N, W])),
    beamtalk_repl_shell:broadcast(io_lib:format("[supervisor ~s ~p stopped: ~s]~n", [Class, Pid, Why])),
    Entry = #{class => Class, restarts => N, reason => Why, at => erlang:system_time(second)},
    ended(Pid, Why, S#{given_up := lists:sublist([Entry | G], ?GIVEN_UP_KEPT)}).

-spec ended(pid(), binary(), state()) -> state().
ended(Pid, Why, #{ended := E} = S) ->
    E1 = case maps:size(E) >= ?ENDED_KEPT of
             true -> maps:remove(lists:min(maps:keys(E)), E);
             false -> E
         end,
    S#{ended := E1#{Pid => Why}}.

-spec info_map(state()) -> map().
info_map(#{started_mono := Started, last_active_mono := Last} = S) ->
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
      modules => maps:get(modules, S),
      given_up => maps:get(given_up, S),
      sources => lists:sort(maps:to_list(maps:get(sources, S))),
      otp_release => list_to_binary(erlang:system_info(otp_release))}.
