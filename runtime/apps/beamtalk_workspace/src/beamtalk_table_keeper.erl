%% @doc The heir of the ETS tables Beamtalk code makes (`Ets new:type:', `AtomicCounter new:'): a table
%% belongs to the process that made it, and a REPL evaluation is a process that ends with the line, so
%% without an heir a table would be gone before the next line could use it. Tables handed over here stay
%% until they are deleted (or the workspace stops).
-module(beamtalk_table_keeper).
-behaviour(gen_server).

-export([start_link/0, tables/0]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

-spec start_link() -> {ok, pid()} | {error, term()}.
start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

%% @doc The tables this process has inherited and still owns.
-spec tables() -> [atom() | ets:tid()].
tables() ->
    gen_server:call(?MODULE, tables).

-spec init([]) -> {ok, #{}}.
init([]) ->
    {ok, #{}}.

-spec handle_call(term(), gen_server:from(), #{}) -> {reply, term(), #{}}.
handle_call(tables, _From, S) ->
    {reply, [T || T <- ets:all(), ets:info(T, owner) =:= self()], S};
handle_call(Other, _From, S) ->
    logger:warning("beamtalk_table_keeper: unexpected call ~tp", [Other]),
    {reply, {error, unknown_request}, S}.

-spec handle_cast(term(), #{}) -> {noreply, #{}}.
handle_cast(Other, S) ->
    logger:warning("beamtalk_table_keeper: unexpected cast ~tp", [Other]),
    {noreply, S}.

-spec handle_info(term(), #{}) -> {noreply, #{}}.
handle_info({'ETS-TRANSFER', _Table, _From, _Name}, S) ->
    {noreply, S};
handle_info(Other, S) ->
    logger:warning("beamtalk_table_keeper: unexpected message ~tp", [Other]),
    {noreply, S}.
