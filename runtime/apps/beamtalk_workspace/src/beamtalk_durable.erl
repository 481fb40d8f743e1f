%% @doc Durable actors' state, on Mnesia (ADR 0004's "hybrid" answer to "state lost on node crash").
%%
%% The runtime's actors write through this module (`actor_store' in the runtime's environment): one row
%% per durable actor in a `disc_copies' table, keyed by the actor's name, which is its identity across
%% restarts. This server is the only writer, and writes in batches (a group commit): the states that
%% actors hand it while one batch is written go together into the next, as one `sync_transaction'
%% followed by one sync of Mnesia's log, so concurrent callers share one `fsync'. Both steps are needed:
%% a plain transaction hands its commit record to the log asynchronously (a write that fails, on a full
%% disk say, is then only a warning, and the transaction counts as committed), while a sync transaction
%% writes it before it commits and aborts when that fails; and `disk_log' may still hold what it wrote
%% in memory. A failed write can leave a torn record at the end of the log, which would hide every
%% record written after it from the next start: so after a failure nothing more is written until the
%% log has been dumped into the table's files (which leaves a fresh log) — the writer is the only one
%% that could have written after it.
%%
%% Mnesia runs only in workspaces that use durable actors: its directory (`mnesia' in the node's private
%% directory) is created by the first `spawnPersistentAs:', and a node that finds one at boot opens it and
%% brings back the actors of the classes loaded then; the others come back when their class is loaded.
%% A directory that cannot be opened leaves the workspace running and durable actors unavailable, with
%% the reason; nothing in it is ever deleted here.
-module(beamtalk_durable).
-behaviour(gen_server).

-export([start_link/0, await_boot/1, status/0, claim/2, load/1, store/3, delete/1, records/0,
         class_loaded/1, storable/1, names/0, dump/0, put_records/1, replicate_to/1, prepare_replica/0,
         joined/0]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

-export_type([record/0]).

-define(TABLE, beamtalk_durable).
%% The row of one durable actor; `version' counts its writes.
-record(beamtalk_durable, {name :: atom(), class :: atom(), state :: map(),
                           version :: pos_integer() | undefined,   % set by the write
                           node :: node()}).
%% How long opening the store may wait for Mnesia's tables.
-define(OPEN_MS, 30000).
%% How long a class's load waits for its durable actors to come back (each start has limits of its own).
-define(RESTORE_MS, 60000).
%% How long opening waits for the other copy of a replicated store before it loads its own.
-define(COPY_WAIT_MS, 5000).
%% How long a write waits for its sync.
-define(SYNC_MS, 15000).
%% The store's state, where every caller reads it without asking the server.
-define(STATUS_KEY, {?MODULE, status}).

-type status() :: closed | absent | ready | {unavailable, binary()}.
-type record() :: #{name := atom(), class := atom(), version := pos_integer(), running := boolean()}.
-type state() :: #{pending := [{gen_server:from(), #beamtalk_durable{}}], started := #{atom() => true},
                   torn := boolean()}.

-spec start_link() -> {ok, pid()} | {error, term()}.
start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

%% @doc Opens the store if the workspace has one, and brings back the durable actors whose classes are
%% loaded; the node's boot waits for it before it reports the workspace ready.
-spec await_boot(timeout()) -> status().
await_boot(Timeout) ->
    gen_server:call(?MODULE, boot, Timeout).

%% @doc Whether durable actors can be stored: `absent' before the first one (nothing opened yet).
-spec status() -> status().
status() ->
    persistent_term:get(?STATUS_KEY, closed).

%% @doc Prepares `Name' for a durable actor of `Class' (opening or creating the store): refused when
%% the store cannot be used, or when the name holds the state of an actor of another class.
-spec claim(atom(), atom()) -> ok | {error, {unavailable, binary()} | {held_by, atom()}}.
claim(Name, Class) ->
    case gen_server:call(?MODULE, {claim, Name}, ?OPEN_MS + 5000) of
        ready ->
            case mnesia:dirty_read(?TABLE, Name) of
                [#beamtalk_durable{class = Other}] when Other =/= Class -> {error, {held_by, Other}};
                [#beamtalk_durable{node = Node}] when Node =/= node() ->
                    case is_up(Node) of
                        true -> {error, {runs_on, Node}};
                        false -> ok
                    end;
                _ -> ok
            end;
        {unavailable, _} = Unavailable -> {error, Unavailable}
    end.

%% @doc The stored state of the durable actor `Name', if it has one.
-spec load(atom()) -> {ok, atom(), map()} | none | {error, term()}.
load(Name) ->
    case status() of
        ready ->
            %% Dirty: this server is the only writer, and what it wrote is committed.
            try mnesia:dirty_read(?TABLE, Name) of
                [#beamtalk_durable{class = Class, state = State}] -> {ok, Class, State};
                [] -> none
            catch exit:{aborted, Reason} -> {error, Reason}
            end;
        Other ->
            {error, Other}
    end.

%% @doc Stores `State' as the state of durable actor `Name' of `Class', on disk when it answers `ok'.
-spec store(atom(), atom(), map()) -> ok | {error, term()}.
store(Name, Class, State) ->
    case {storable(State), status()} of
        {{no, What}, _} -> {error, {unstorable, What}};
        {yes, ready} ->
            Row = #beamtalk_durable{name = Name, class = Class, state = State, node = node()},
            try gen_server:call(?MODULE, {write, Row}, ?SYNC_MS)
            catch exit:{Reason, _} -> {error, {write_failed, io_lib:format("the store did not answer: ~0p", [Reason])}}
            end;
        {yes, Other} -> {error, Other}
    end.

%% Writes a batch in one transaction, on disk when it answers `ok'.
-spec write_batch([#beamtalk_durable{}]) -> ok | {error, term()}.
write_batch(Rows) ->
    Write = fun() -> lists:foreach(fun write_row/1, Rows) end,
    case mnesia:sync_transaction(Write) of
        {atomic, ok} -> sync_log();
        {aborted, Reason} -> {error, why(Reason)}
    end.

-spec write_row(#beamtalk_durable{}) -> ok.
write_row(#beamtalk_durable{name = Name} = Row) ->
    Version = case mnesia:read(?TABLE, Name, write) of
                  [#beamtalk_durable{version = V}] -> V + 1;
                  [] -> 1
              end,
    mnesia:write(?TABLE, Row#beamtalk_durable{version = Version}, write).

%% This node's log, then the replicas' (their commits too may still be in their logs' memory): an
%% acknowledged write survives losing either host. A replica that does not answer holds up nothing.
-spec sync_log() -> ok | {error, term()}.
sync_log() ->
    try mnesia:sync_log() of
        ok ->
            Replicas = [N || N <- mnesia:table_info(?TABLE, disc_copies), N =/= node(), is_up(N)],
            _ = Replicas =:= [] orelse erpc:multicall(Replicas, mnesia, sync_log, [], ?SYNC_MS),
            ok;
        {error, Reason} -> {error, why(Reason)}
    catch C:R -> {error, why({C, R})}
    end.

%% What keeps a write from the disk, in words where it can be said (a full disk, say).
-spec why(term()) -> term().
why(Reason) ->
    case file_error(Reason) of
        {File, Posix} -> {write_failed, unicode:characters_to_binary(
                                         io_lib:format("cannot write ~ts: ~ts", [File, file:format_error(Posix)]))};
        none -> Reason
    end.

-spec file_error(term()) -> {string(), atom()} | none.
file_error({file_error, File, Posix}) when is_atom(Posix) -> {File, Posix};
file_error(T) when is_tuple(T) -> file_error(tuple_to_list(T));
file_error([H | T]) ->
    case file_error(H) of
        none -> file_error(T);
        Found -> Found
    end;
file_error(_) -> none.

%% @doc Deletes the stored state of `Name' (`forget'); `not_found' when there was none.
-spec delete(atom()) -> ok | not_found | {error, term()}.
delete(Name) ->
    case status() of
        ready -> gen_server:call(?MODULE, {delete, Name}, ?SYNC_MS);
        absent -> not_found;
        Other -> {error, Other}
    end.

%% @doc Every stored durable actor, by name; the store's status when it cannot be read.
-spec records() -> {ok, [record()]} | {error, status()}.
records() ->
    case gen_server:call(?MODULE, open, ?OPEN_MS + 5000) of
        ready ->
            Rows = lists:keysort(#beamtalk_durable.name, ets:tab2list(?TABLE)),
            {ok, [#{name => N, class => C, version => V, running => running(N)}
                  || #beamtalk_durable{name = N, class = C, version = V} <- Rows]};
        absent -> {ok, []};
        Other -> {error, Other}
    end.

%% @doc The names of the stored durable actors (none while the store is not open).
-spec names() -> #{atom() => true}.
names() ->
    case status() of
        ready -> maps:from_keys(mnesia:dirty_all_keys(?TABLE), true);
        _ -> #{}
    end.

%% @doc Every stored durable actor's name, class and state (`workspace export'): none while the store
%% has never been made; an error when it cannot be read, since an export without it would lose it.
-spec dump() -> [#{name := atom(), class := atom(), state := map()}].
dump() ->
    case gen_server:call(?MODULE, open, ?OPEN_MS + 5000) of
        ready -> [#{name => N, class => C, state => S}
                  || #beamtalk_durable{name = N, class = C, state = S} <- ets:tab2list(?TABLE)];
        absent -> [];
        {unavailable, Why} -> error({durable_unavailable, Why})
    end.

%% @doc Stores durable actors' state (`workspace import', which has checked it), in one transaction on
%% disk, then brings back those of loaded classes.
-spec put_records([#{name := atom(), class := atom(), state := map()}]) -> ok | {error, term()}.
put_records([]) ->
    ok;
put_records(Records) ->
    gen_server:call(?MODULE, {put_records, Records}, ?RESTORE_MS).

%% @doc `beamtalk workspace replicate NAME --to OTHER', on NAME's node: the node `Replica' (a workspace
%% with no store of its own) gets a copy of this store on its disk (`disc_copies' on both): every write
%% is committed on both before its caller hears of it, and either node can bring the actors back if the
%% other's host is lost. The actors keep running where they run (each row names its node).
-spec replicate_to(node()) -> ok | {error, binary()}.
replicate_to(Replica) ->
    Steps = [fun() -> expect(ready, gen_server:call(?MODULE, create, ?OPEN_MS + 5000),
                             "this workspace's store cannot be opened") end,
             fun() -> expect(ok, catch erpc:call(Replica, ?MODULE, prepare_replica, [], ?OPEN_MS),
                             "the other workspace cannot take a replica") end,
             fun() -> expect({ok, [Replica]}, mnesia:change_config(extra_db_nodes, [Replica]),
                             "Mnesia on the other node did not join") end,
             fun() -> expect({atomic, ok}, mnesia:change_table_copy_type(schema, Replica, disc_copies),
                             "the schema could not be put on the other node's disk") end,
             fun() -> expect({atomic, ok}, mnesia:add_table_copy(?TABLE, Replica, disc_copies),
                             "the table could not be copied") end,
             fun() -> expect(ready, catch erpc:call(Replica, ?MODULE, joined, [], ?OPEN_MS),
                             "the replica did not open its copy") end],
    run_steps(Steps).

-spec run_steps([fun(() -> ok | {error, binary()})]) -> ok | {error, binary()}.
run_steps([]) -> ok;
run_steps([Step | Rest]) ->
    case Step() of
        ok -> run_steps(Rest);
        Failed -> Failed
    end.

-spec expect(term(), term(), string()) -> ok | {error, binary()}.
expect(Want, Want, _What) -> ok;
expect({atomic, ok}, {aborted, {already_exists, _, _}}, _What) -> ok;
expect(_Want, {error, Why}, What) when is_binary(Why) -> {error, iolist_to_binary([What, ": ", Why])};
expect(_Want, Got, What) -> {error, unicode:characters_to_binary(io_lib:format("~s: ~0p", [What, Got]))}.

%% @doc On the node that is to hold a replica: Mnesia started on an empty schema in its store's
%% directory, ready to join. Refused when this workspace has a store of its own.
-spec prepare_replica() -> ok | {error, binary()}.
prepare_replica() ->
    Dir = dir(),
    case {empty_or_missing(Dir), mnesia:system_info(is_running)} of
        {false, _} ->
            {error, <<"it has durable actors of its own (a store in ", (unicode:characters_to_binary(Dir))/binary,
                      "); hint: replicate to a workspace that has none">>};
        {true, yes} ->
            ok;
        {true, _} ->
            ok = filelib:ensure_dir(filename:join(Dir, "x")),
            ok = use_dir(Dir),
            case application:ensure_all_started(mnesia) of
                {ok, _} -> ok;
                {error, Reason} -> {error, unicode:characters_to_binary(io_lib:format("~0p", [Reason]))}
            end
    end.

%% @doc On the replica, once its copy is made: the store is open.
-spec joined() -> status().
joined() ->
    gen_server:call(?MODULE, joined, ?OPEN_MS).

%% @doc `Class' was loaded: its durable actors that have not run on this node yet come back.
-spec class_loaded(atom()) -> ok.
class_loaded(Class) ->
    gen_server:call(?MODULE, {restore, [Class]}, ?RESTORE_MS).

%% @doc Whether `Term' can be stored: processes, ports, references and functions live only as long as
%% the node (or the code) that made them.
-spec storable(term()) -> yes | {no, binary()}.
storable(T) when is_pid(T) -> {no, <<"a process (an actor reference or pid)">>};
storable(T) when is_port(T) -> {no, <<"a port">>};
storable(T) when is_reference(T) -> {no, <<"a reference">>};
storable(T) when is_function(T) -> {no, <<"a block (a function)">>};
storable([H | T]) -> first_unstorable([H, T]);
storable(T) when is_tuple(T) -> first_unstorable(tuple_to_list(T));
storable(T) when is_map(T) -> first_unstorable(maps:keys(T) ++ maps:values(T));
storable(_) -> yes.

-spec first_unstorable([term()]) -> yes | {no, binary()}.
first_unstorable([]) -> yes;
first_unstorable([T | Rest]) ->
    case storable(T) of
        yes -> first_unstorable(Rest);
        No -> No
    end.

%% Whether `Node', which holds a copy of the store, runs with it now.
-spec is_up(node()) -> boolean().
is_up(Node) ->
    lists:member(Node, mnesia:system_info(running_db_nodes)).

-spec running(atom()) -> boolean().
running(Name) ->
    is_pid(whereis(beamtalk_actor:registered_name(Name))).

%% gen_server callbacks

-spec init([]) -> {ok, state()}.
init([]) ->
    {ok, #{pending => [], started => #{}, torn => false}}.

-spec handle_call(term(), gen_server:from(), state()) -> {reply, term(), state()} | {noreply, state()}.
handle_call(boot, _From, S) ->
    case open(false) of
        ready -> {reply, ready, restore(loaded_classes(), S)};
        Status -> {reply, Status, S}
    end;
handle_call(joined, _From, S) ->
    Status = case mnesia:wait_for_tables([?TABLE], ?OPEN_MS) of
                 ok -> ready;
                 Other -> unavailable(dir(), io_lib:format("its copy did not load: ~0p", [Other]))
             end,
    persistent_term:put(?STATUS_KEY, Status),
    {reply, Status, S};
handle_call(create, _From, S) ->
    {reply, open(true), S};
handle_call(open, _From, S) ->
    {reply, open(false), S};
handle_call({claim, Name}, _From, #{started := Started} = S) ->
    {reply, open(true), S#{started := Started#{Name => true}}};
handle_call({restore, Classes}, _From, S) ->
    case status() of
        ready -> {reply, ok, restore(Classes, S)};
        _ -> {reply, ok, S}
    end;
handle_call({put_records, Records}, _From, S) ->
    case open(true) of
        ready ->
            Rows = [#beamtalk_durable{name = N, class = C, state = St, version = 1, node = node()}
                    || #{name := N, class := C, state := St} <- Records],
            Write = fun() -> lists:foreach(fun(R) -> mnesia:write(?TABLE, R, write) end, Rows) end,
            case mnesia:sync_transaction(Write) of
                {atomic, ok} ->
                    ok = mnesia:sync_log(),
                    Classes = lists:usort([C || #beamtalk_durable{class = C} <- Rows, beamtalk_class:exists(C)]),
                    {reply, ok, restore(Classes, S)};
                {aborted, Reason} -> {reply, {error, why(Reason)}, S}
            end;
        Status ->
            {reply, {error, Status}, S}
    end;
handle_call({write, Row}, From, #{pending := Pending} = S) ->
    _ = Pending =:= [] andalso (self() ! flush),
    {noreply, S#{pending := [{From, Row} | Pending]}};
handle_call({delete, Name}, _From, S) ->
    Delete = fun() ->
                     case mnesia:read(?TABLE, Name, write) of
                         [] -> not_found;
                         [_] -> mnesia:delete(?TABLE, Name, write)
                     end
             end,
    {Reply, S1} = after_tear(fun() ->
                                     case mnesia:sync_transaction(Delete) of
                                         {atomic, ok} -> sync_log();
                                         {atomic, not_found} -> not_found;
                                         {aborted, Reason} -> {error, why(Reason)}
                                     end
                             end, S),
    {reply, Reply, S1};
handle_call(Other, _From, S) ->
    beamtalk_unexpected:log(?MODULE, call, Other),
    {reply, {error, unknown_request}, S}.

-spec handle_cast(term(), state()) -> {noreply, state()}.
handle_cast(Other, S) ->
    beamtalk_unexpected:log(?MODULE, cast, Other),
    {noreply, S}.

%% Every write handed over before this message arrived goes into one batch.
-spec handle_info(term(), state()) -> {noreply, state()}.
handle_info(flush, #{pending := Pending} = S) ->
    {Result, S1} = after_tear(fun() -> write_batch([Row || {_, Row} <- lists:reverse(Pending)]) end, S),
    [gen_server:reply(From, Result) || {From, _} <- Pending],
    {noreply, S1#{pending := []}};
handle_info(Other, S) ->
    beamtalk_unexpected:log(?MODULE, info, Other),
    {noreply, S}.

%% Runs a write, first dumping the log if the last one failed (see the module's comment); a failure
%% marks the log torn.
-spec after_tear(fun(() -> R), state()) -> {R | {error, term()}, state()}.
after_tear(Write, #{torn := true} = S) ->
    case repair(dir()) of
        ok -> after_tear(Write, S#{torn := false});
        {error, Why} -> {{error, {write_failed, [Why, "; writes resume once it can be repaired"]}}, S}
    end;
after_tear(Write, S) ->
    case Write() of
        {error, _} = Failed -> {Failed, S#{torn := true}};
        Done -> {Done, S}
    end.

%% Leaves a fresh log after a failed write. Only where there is room for it: dumping the log with the
%% disk still full is a fatal error for Mnesia (it stops). If it stopped anyway, starting it again
%% repairs the log as a start after a crash does.
-spec repair(file:filename()) -> ok | {error, iodata()}.
repair(Dir) ->
    Log = filename:join(Dir, "LATEST.LOG"),
    Probe = filename:join(Dir, "room.probe"),
    Room = max(65536, 2 * filelib:file_size(Log)),
    Fits = file:write_file(Probe, <<0:Room/unit:8>>),
    _ = file:delete(Probe),
    case {Fits, mnesia:system_info(is_running)} of
        {{error, Posix}, _} ->
            {error, io_lib:format("the store's log was left torn by a failed write, and ~ts has no room to "
                                  "repair it (~ts)", [Dir, file:format_error(Posix)])};
        {ok, yes} ->
            case catch mnesia:dump_log() of
                dumped -> ok;
                Failed -> {error, io_lib:format("the store's log could not be repaired: ~0p", [Failed])}
            end;
        {ok, _} ->
            case start(Dir) of
                ready -> ok;
                {unavailable, Why} -> {error, Why}
            end
    end.

%% Opening

%% The store's status after opening it if it is not open yet; `Create' makes one where there is none.
-spec open(boolean()) -> status().
open(Create) ->
    case status() of
        ready -> ready;
        {unavailable, _} = Unavailable -> Unavailable;
        _ ->
            Dir = dir(),
            %% Whatever goes wrong, the workspace goes on without durable actors.
            Status = try open_dir(Dir, Create)
                     catch C:R:St -> unavailable(Dir, io_lib:format("~0p", [{C, R, St}]))
                     end,
            _ = Status =:= absent orelse report(Status),
            persistent_term:put(?STATUS_KEY, Status),
            Status
    end.

-spec report(status()) -> ok.
report({unavailable, Why}) ->
    logger:error("durable actors are unavailable: ~ts", [Why]);
report(_) ->
    ok.

%% The store's directory: `mnesia' in the node's private directory (the HOME it booted with), unless the
%% application's environment names one (tests).
-spec dir() -> file:filename().
dir() ->
    case application:get_env(beamtalk_workspace, durable_dir) of
        {ok, Dir} -> Dir;
        undefined ->
            {ok, [[Home | _] | _]} = init:get_argument(home),
            filename:join(Home, "mnesia")
    end.

-spec open_dir(file:filename(), boolean()) -> status().
open_dir(Dir, Create) ->
    Schema = filename:join(Dir, "schema.DAT"),
    case {filelib:is_regular(Schema), empty_or_missing(Dir)} of
        {true, _} ->
            case readable_schema(Schema) of
                ok -> start(Dir);
                {error, Why} -> unavailable(Dir, Why)
            end;
        {false, true} when Create -> create(Dir);
        {false, true} -> absent;
        {false, false} -> unavailable(Dir, "it has no schema.DAT (not a Mnesia directory, or a damaged one)")
    end.

%% Whether Mnesia could read its schema: opened read-only and without repair, so a damaged file is
%% reported rather than changed (Mnesia itself would stop only after a 10 s fatal-error delay).
-spec readable_schema(file:filename()) -> ok | {error, iodata()}.
readable_schema(Schema) ->
    Table = make_ref(),
    case dets:open_file(Table, [{file, Schema}, {access, read}, {repair, false}, {keypos, 2}]) of
        {ok, Table} -> dets:close(Table);
        {error, Reason} -> {error, io_lib:format("its schema.DAT cannot be read: ~0p", [Reason])}
    end.

-spec empty_or_missing(file:filename()) -> boolean().
empty_or_missing(Dir) ->
    case file:list_dir(Dir) of
        {ok, []} -> true;
        {error, enoent} -> true;
        _ -> false
    end.

-spec create(file:filename()) -> status().
create(Dir) ->
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    ok = use_dir(Dir),
    case mnesia:create_schema([node()]) of
        ok -> start(Dir);
        {error, Reason} -> unavailable(Dir, io_lib:format("creating its schema failed: ~p", [Reason]))
    end.

-spec start(file:filename()) -> status().
start(Dir) ->
    ok = use_dir(Dir),
    case application:ensure_all_started(mnesia) of
        {ok, _} -> table(Dir);
        {error, Reason} -> unavailable(Dir, io_lib:format("Mnesia did not start: ~p", [Reason]))
    end.

%% Mnesia reads its directory when it starts; one started already (by user code) must be using ours.
-spec use_dir(file:filename()) -> ok.
use_dir(Dir) ->
    _ = application:load(mnesia),
    %% Its core files (written when it fails) go beside the store, not to the node's working directory
    %% (the user's project).
    ok = application:set_env(mnesia, core_dir, filename:dirname(Dir)),
    application:set_env(mnesia, dir, Dir).

-spec table(file:filename()) -> status().
table(Dir) ->
    Disc = (catch mnesia:table_info(schema, storage_type)) =:= disc_copies,
    Exists = Disc andalso lists:member(?TABLE, mnesia:system_info(tables)),
    case {Disc, Exists} of
        {false, _} -> unavailable(Dir, "its schema is not on disk (was it made for another node name?)");
        {true, false} ->
            case mnesia:create_table(?TABLE, [{disc_copies, [node()]},
                                              {attributes, record_info(fields, beamtalk_durable)}]) of
                {atomic, ok} -> ready;
                {aborted, Reason} -> unavailable(Dir, io_lib:format("creating its table failed: ~p", [Reason]))
            end;
        {true, true} ->
            case mnesia:wait_for_tables([?TABLE], ?COPY_WAIT_MS) of
                ok -> ready;
                {timeout, _} ->
                    %% A replica whose other copy is on a node that is down waits for it (Mnesia cannot
                    %% know which copy is newer): with that node gone, this copy is the one there is.
                    case mnesia:force_load_table(?TABLE) of
                        yes -> ready;
                        Other -> unavailable(Dir, io_lib:format("its table did not load: ~0p", [Other]))
                    end;
                {error, Reason} -> unavailable(Dir, io_lib:format("its table did not load: ~p", [Reason]))
            end
    end.

-spec unavailable(file:filename(), iodata()) -> status().
unavailable(Dir, Why) ->
    {unavailable, unicode:characters_to_binary(io_lib:format("the store ~ts cannot be opened: ~ts; nothing in it "
                                                             "was changed", [Dir, Why]))}.

%% Restoring

%% Starts the durable actors of `Classes' (loaded ones) that have not run on this node yet.
-spec restore([atom()], state()) -> state().
restore(Classes, #{started := Started} = S) ->
    %% A row names the node its actor runs on: another node's is left to it while that node is up.
    Rows = [R || C <- Classes, R <- mnesia:dirty_match_object(?TABLE, {?TABLE, '_', C, '_', '_', '_'}),
                 R#beamtalk_durable.node =:= node() orelse not is_up(R#beamtalk_durable.node)],
    Names = [N || #beamtalk_durable{name = N} <- Rows, not maps:is_key(N, Started)],
    [restore_one(R) || #beamtalk_durable{name = N} = R <- Rows, lists:member(N, Names)],
    S#{started := maps:merge(Started, maps:from_keys(Names, true))}.

-spec restore_one(#beamtalk_durable{}) -> ok.
restore_one(#beamtalk_durable{name = Name, class = Class}) ->
    try beamtalk_actor:spawn_durable(Class, Name, #{}) of
        _ -> ok
    catch C:R:St ->
        logger:error("durable actor #~s (~s) did not come back: ~ts",
                     [Name, Class, beamtalk_error:describe(beamtalk_error:from_exception(C, R, St))])
    end.

-spec loaded_classes() -> [atom()].
loaded_classes() ->
    lists:usort([C || #beamtalk_durable{class = C} <- ets:tab2list(?TABLE), beamtalk_class:exists(C)]).
