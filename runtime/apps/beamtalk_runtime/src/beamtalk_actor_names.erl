%% @doc The classes of named actors (`spawnAs:'), so a name is resolved to a typed reference without asking
%% the actor (which may be busy, or restarting). The node's registry maps the name to a pid; this table adds
%% the class, keyed by name and pid, so an entry of a previous holder of the name never answers for the
%% current one. This server only owns the table; actors write their own entries.
-module(beamtalk_actor_names).
-behaviour(gen_server).

-export([start_link/0, claim/3, class_of/2]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

-define(TABLE, ?MODULE).

-spec start_link() -> {ok, pid()} | {error, term()}.
start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

%% @doc Registers the calling actor, of `Class', as `Registered'; false if the name is taken. The class is
%% recorded before the name is, so whoever finds the name finds the class.
-spec claim(atom(), atom(), atom()) -> boolean().
claim(Registered, Name, Class) ->
    Self = self(),
    true = ets:insert(?TABLE, {{Name, Self}, Class}),
    try register(Registered, Self) of
        true ->
            %% Entries of earlier holders of the name (which ended) are no longer needed.
            _ = ets:select_delete(?TABLE, [{{{Name, '$1'}, '_'}, [{'=/=', '$1', Self}], [true]}]),
            true
    catch
        error:badarg ->
            true = ets:delete(?TABLE, {Name, Self}),
            false
    end.

%% @doc The class of the actor `Pid' holding name `Name', if it is a named actor.
-spec class_of(atom(), pid()) -> {ok, atom()} | error.
class_of(Name, Pid) ->
    case ets:whereis(?TABLE) =/= undefined andalso ets:lookup(?TABLE, {Name, Pid}) of
        [{_, Class}] -> {ok, Class};
        _ -> error
    end.

-spec init([]) -> {ok, #{}}.
init([]) ->
    _ = ets:new(?TABLE, [named_table, public, set, {read_concurrency, true}, {write_concurrency, true}]),
    {ok, #{}}.

-spec handle_call(term(), gen_server:from(), map()) -> {reply, {error, unknown_request}, map()}.
handle_call(Request, _From, S) ->
    beamtalk_unexpected:log(?MODULE, call, Request),
    {reply, {error, unknown_request}, S}.

-spec handle_cast(term(), map()) -> {noreply, map()}.
handle_cast(Msg, S) ->
    beamtalk_unexpected:log(?MODULE, cast, Msg),
    {noreply, S}.

-spec handle_info(term(), map()) -> {noreply, map()}.
handle_info(Msg, S) ->
    beamtalk_unexpected:log(?MODULE, info, Msg),
    {noreply, S}.
