%% @doc The workspace's ChangeLog (ADR 0082): every change made to a class in memory — a method compiled
%% at the REPL or by `compile:source:', one removed by `removeSelector:' — as an entry, kept in a file
%% of the node's private directory so that it survives a restart of the workspace. `beamtalk workspace
%% flush' writes the durable ones back into their source files (the CLI does the writing) and then marks
%% them flushed here. Ephemeral entries (`tryCompile:source:') describe memory a restart loses: they are
%% dropped when the log is read back.
-module(beamtalk_changes).
-behaviour(gen_server).

-export([start_link/0, start_link/1, record/1, entries/0, pending/0, clear/0, flushed/1, discard/1, entry/1]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

-type entry() :: #{id := pos_integer(), kind := compile | remove | new_class | remove_class | move_class | rename_class,
                   class := atom(),
                   side := instance | class, selector := atom(),
                   source := binary() | nil, previous := binary() | nil,
                   intent := durable | ephemeral, file := binary() | nil,
                   %% The file's digest when it was last loaded before this change.
                   digest := binary() | nil,
                   at := integer(), flushed := boolean()}.
-export_type([entry/0]).

-define(MAX_ENTRIES, 10000).

-spec start_link() -> {ok, pid()} | {error, term()}.
start_link() ->
    start_link(default_file()).

%% @doc The server keeping its log in `File' (`none': in memory only).
-spec start_link(file:filename() | none) -> {ok, pid()} | {error, term()}.
start_link(File) ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, File, []).

%% @doc Appends a change (`id', `at' and `flushed' are filled in); the entry as recorded.
-spec record(map()) -> entry().
record(#{class := Class} = Change) ->
    %% The file's digest as it was loaded is kept with the change: a flush after a restart of the
    %% workspace (which loads the file as it is now) still tells a file changed on disk since.
    {File, Digest} = case whereis(beamtalk_workspace_meta) of
                         undefined -> {nil, nil};
                         _ ->
                             F = beamtalk_workspace_meta:class_file(Class),
                             {F, proplists:get_value(F, beamtalk_workspace_meta:sources(), nil)}
                     end,
    gen_server:call(?MODULE, {record, maps:merge(#{file => File, digest => Digest}, Change)}).

%% @doc Every entry, oldest first.
-spec entries() -> [entry()].
entries() ->
    gen_server:call(?MODULE, entries).

%% @doc The durable entries not yet written back to their files, oldest first.
-spec pending() -> [entry()].
pending() ->
    [E || #{intent := durable, flushed := false} = E <- entries()].

%% @doc The entry `Id', if the log still has it.
-spec entry(pos_integer()) -> {ok, entry()} | error.
entry(Id) ->
    case [E || #{id := I} = E <- entries(), I =:= Id] of
        [E] -> {ok, E};
        [] -> error
    end.

-spec clear() -> ok.
clear() ->
    gen_server:call(?MODULE, clear).

%% @doc Marks the entries `Ids' as written back to their files.
-spec flushed([pos_integer()]) -> ok.
flushed(Ids) when is_list(Ids) ->
    gen_server:call(?MODULE, {flushed, Ids}).

%% @doc Drops entry `Id' (a pending file move taken back: nothing in memory is to undo).
-spec discard(pos_integer()) -> ok.
discard(Id) when is_integer(Id) ->
    gen_server:call(?MODULE, {discard, Id}).

%% In the node's private directory (the HOME it booted with, which `-home' names: user code gets the
%% user's own HOME back, see `beamtalk_workspace'), which lives as long as the workspace.
-spec default_file() -> file:filename() | none.
default_file() ->
    case init:get_argument(home) of
        {ok, [[Home] | _]} -> filename:join(Home, "changes.terms");
        _ -> none
    end.

%% State: the log file and the entries, newest first.
-spec init(file:filename() | none) -> {ok, state()}.
init(File) ->
    Entries = [E || #{intent := durable} = E <- read(File)],
    S = #{file => File, entries => lists:reverse(Entries)},
    ok = write(S),
    {ok, S}.

-type state() :: #{file := file:filename() | none, entries := [entry()]}.

-spec handle_call(term(), gen_server:from(), state()) -> {reply, term(), state()}.
handle_call({record, Change}, _From, #{entries := Es} = S) ->
    Id = case Es of [#{id := Last} | _] -> Last + 1; [] -> 1 end,
    Entry = maps:merge(#{side => instance, source => nil, previous => nil, intent => durable, file => nil,
                         digest => nil},
                       Change#{id => Id, at => erlang:system_time(second), flushed => false}),
    %% The oldest entries go first when the log is very long: it is an audit trail, not the source.
    S1 = S#{entries := lists:sublist([Entry | Es], ?MAX_ENTRIES)},
    ok = append(S1, Entry),
    {reply, Entry, S1};
handle_call(entries, _From, #{entries := Es} = S) ->
    {reply, lists:reverse(Es), S};
handle_call(clear, _From, S) ->
    S1 = S#{entries := []},
    {reply, write(S1), S1};
handle_call({flushed, Ids}, _From, #{entries := Es} = S) ->
    S1 = S#{entries := [case lists:member(Id, Ids) of
                            true -> E#{flushed := true};
                            false -> E
                        end || #{id := Id} = E <- Es]},
    {reply, write(S1), S1};
handle_call({discard, Id}, _From, #{entries := Es} = S) ->
    S1 = S#{entries := [E || #{id := I} = E <- Es, I =/= Id]},
    {reply, write(S1), S1};
handle_call(Other, _From, S) ->
    logger:warning("beamtalk_changes: unexpected call ~tp", [Other]),
    {reply, {error, unknown_request}, S}.

-spec handle_cast(term(), state()) -> {noreply, state()}.
handle_cast(Other, S) ->
    logger:warning("beamtalk_changes: unexpected cast ~tp", [Other]),
    {noreply, S}.

-spec handle_info(term(), state()) -> {noreply, state()}.
handle_info(Other, S) ->
    logger:warning("beamtalk_changes: unexpected message ~tp", [Other]),
    {noreply, S}.

%% The entries of a log file; an unreadable one is reported and set aside, never fatal.
-spec read(file:filename() | none) -> [entry()].
read(none) ->
    [];
read(File) ->
    case file:consult(File) of
        {ok, Terms} -> [T || #{id := _, class := _} = T <- Terms];
        {error, enoent} -> [];
        {error, Reason} ->
            logger:error("beamtalk_changes: ~ts cannot be read (~tp); it is kept as ~ts.bad",
                         [File, Reason, File]),
            _ = file:rename(File, File ++ ".bad"),
            []
    end.

-spec append(state(), entry()) -> ok.
append(#{file := none}, _Entry) ->
    ok;
append(#{file := File}, Entry) ->
    ok = file:write_file(File, io_lib:format("~tp.~n", [Entry]), [append]).

%% The whole log written again (after a clear or a flush), through a temporary file and a rename.
-spec write(state()) -> ok.
write(#{file := none}) ->
    ok;
write(#{file := File, entries := Es}) ->
    Tmp = File ++ ".tmp",
    ok = file:write_file(Tmp, [io_lib:format("~tp.~n", [E]) || E <- lists:reverse(Es)]),
    ok = file:rename(Tmp, File).
