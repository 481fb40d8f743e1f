%% @doc Purges the old code of replaced class modules, in the background and once loading has paused.
%%
%% A purge looks at every process of the node (a quarter of a second with 100,000 actors), and while it
%% runs the node loads no code: purging right after each load would make every later class of the same
%% `beamtalk load' wait for it. So modules are purged together, `?QUIET_MS' after the last one was handed
%% in. A load of a module whose old code is still here purges it first itself (`beamtalk_hot_reload'), so
%% nothing waits for this server. It asks OTP's purger directly, which is all `code:soft_purge/1' does,
%% but from inside the code server, which then answers nothing else until the purge is done. A soft purge
%% never kills a process: old code that a process still runs stays until the next load tries again.
-module(beamtalk_old_code).
-behaviour(gen_server).

-export([start_link/0, purge_later/1]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

-define(QUIET_MS, 200).

-spec start_link() -> {ok, pid()} | {error, term()}.
start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

%% @doc Has the old code of `Module' purged soon (at once where this server is not running: a bare node).
-spec purge_later(module()) -> ok.
purge_later(Module) ->
    case whereis(?MODULE) of
        undefined -> _ = spawn(fun() -> purge([Module]) end), ok;
        Server -> gen_server:cast(Server, {purge, Module})
    end.

-spec init([]) -> {ok, [module()]}.
init([]) ->
    {ok, []}.

-spec handle_call(term(), gen_server:from(), [module()]) -> {reply, {error, unknown_request}, [module()]}.
handle_call(Request, _From, Modules) ->
    beamtalk_unexpected:log(?MODULE, call, Request),
    {reply, {error, unknown_request}, Modules}.

-spec handle_cast(term(), [module()]) -> {noreply, [module()], timeout()}.
handle_cast({purge, Module}, Modules) ->
    {noreply, lists:usort([Module | Modules]), ?QUIET_MS};
handle_cast(Msg, Modules) ->
    beamtalk_unexpected:log(?MODULE, cast, Msg),
    {noreply, Modules, ?QUIET_MS}.

-spec handle_info(term(), [module()]) -> {noreply, [module()]} | {noreply, [module()], timeout()}.
handle_info(timeout, Modules) ->
    purge(Modules),
    {noreply, []};
handle_info(Msg, Modules) ->
    beamtalk_unexpected:log(?MODULE, info, Msg),
    {noreply, Modules, ?QUIET_MS}.

-spec purge([module()]) -> ok.
purge(Modules) ->
    _ = [erts_code_purger:soft_purge(M) || M <- Modules, erlang:check_old_code(M)],
    ok.
