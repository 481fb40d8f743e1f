%% @doc The classes of named actors (`spawnAs:'), so a name is resolved to a typed reference without asking
%% the actor (which may be busy, or restarting). The node's registry maps the name to a pid; this table adds
%% the class, keyed by name and pid, so an entry of a previous holder of the name never answers for the
%% current one. Each entry also names the holder's supervisor, so a name whose actor is being restarted
%% can be waited for. This server only owns the table; actors write their own entries.
-module(beamtalk_actor_names).
-behaviour(gen_server).

-export([start_link/0, claim/3, class_of/2, restarting/1]).
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
    Parent = case erlang:process_info(Self, parent) of
                 {parent, P} when is_pid(P) -> P;
                 _ -> undefined
             end,
    true = ets:insert(?TABLE, {{Name, Self}, Class, Parent}),
    try register(Registered, Self) of
        true ->
            %% Entries of earlier holders of the name (which ended) are no longer needed.
            _ = ets:select_delete(?TABLE, [{{{Name, '$1'}, '_', '_'}, [{'=/=', '$1', Self}], [true]}]),
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
        [{_, Class, _}] -> {ok, Class};
        _ -> error
    end.

%% @doc Whether the last holder of `Name' has ended while its supervisor lives on: it is being
%% restarted, and will take the name again (or its supervisor gives up, and ends).
-spec restarting(atom()) -> boolean().
restarting(Name) ->
    Holders = case ets:whereis(?TABLE) of
                  undefined -> [];
                  _ -> ets:select(?TABLE, [{{{Name, '$1'}, '_', '$2'}, [], [{{'$1', '$2'}}]}])
              end,
    lists:any(fun({Pid, Parent}) ->
                      is_pid(Parent) andalso not is_process_alive(Pid) andalso is_process_alive(Parent)
              end, Holders).

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
