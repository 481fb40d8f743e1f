%% @doc The workspace's REPL bindings: one namespace shared by every session attached to the workspace, so
%% they survive the REPL, `beamtalk eval' processes and CLI crashes alike. `:clear' (`clear/0') drops them.
-module(beamtalk_repl_state).
-behaviour(gen_server).

-export([start_link/0, bindings/0, update/1, remove/1, clear/0]).
-export([init/1, handle_call/3, handle_cast/2]).

-spec start_link() -> {ok, pid()} | {error, term()}.
start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, #{}, []).

%% @doc All bindings, name to value.
-spec bindings() -> #{atom() => term()}.
bindings() ->
    gen_server:call(?MODULE, bindings).

%% @doc Sets the given bindings (others stay as they are).
-spec update(#{atom() => term()}) -> ok.
update(Changed) when is_map(Changed) ->
    gen_server:call(?MODULE, {update, Changed}).

%% @doc Drops one binding; answers whether there was one.
-spec remove(atom()) -> boolean().
remove(Name) when is_atom(Name) ->
    gen_server:call(?MODULE, {remove, Name}).

%% @doc Drops every binding.
-spec clear() -> ok.
clear() ->
    gen_server:call(?MODULE, clear).

-spec init(map()) -> {ok, map()}.
init(Bindings) ->
    {ok, Bindings}.

-spec handle_call(term(), gen_server:from(), map()) -> {reply, term(), map()}.
handle_call(bindings, _From, B) -> {reply, B, B};
handle_call({update, Changed}, _From, B) -> {reply, ok, maps:merge(B, Changed)};
handle_call({remove, Name}, _From, B) -> {reply, maps:is_key(Name, B), maps:remove(Name, B)};
handle_call(clear, _From, _B) -> {reply, ok, #{}};
handle_call(Other, _From, B) ->
    beamtalk_unexpected:log(?MODULE, call, Other),
    {reply, {error, unknown_request}, B}.

-spec handle_cast(term(), map()) -> {noreply, map()}.
handle_cast(Msg, B) ->
    beamtalk_unexpected:log(?MODULE, cast, Msg),
    {noreply, B}.
