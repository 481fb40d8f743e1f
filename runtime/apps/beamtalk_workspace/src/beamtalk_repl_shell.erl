%% @doc One attached REPL: lives under `beamtalk_session_sup' while its CLI is connected (it monitors the
%% CLI's pid and ends with it), so the workspace knows who is attached. Bindings are not per session: all
%% sessions share the workspace's namespace (`beamtalk_repl_state').
-module(beamtalk_repl_shell).
-behaviour(gen_server).

-export([start_link/1, attach/1, sessions/0, broadcast/1]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

%% @doc Registers the REPL whose pid (on the CLI's node) is `Client'.
-spec attach(pid()) -> {ok, pid()} | {error, term()}.
attach(Client) ->
    beamtalk_session_sup:start_session(?MODULE, [Client]).

%% @doc The attached REPLs: client pid and when they attached (Unix seconds).
-spec sessions() -> [#{client := pid(), since := integer()}].
sessions() ->
    %% No sessions while the session supervisor restarts: a crash report must not crash its reporter.
    Children = try supervisor:which_children(beamtalk_session_sup) catch exit:_ -> [] end,
    [Info || {_, Pid, _, _} <- Children, is_pid(Pid), {ok, Info} <- [session_info(Pid)]].

-spec session_info(pid()) -> {ok, map()} | gone.
session_info(Pid) ->
    try {ok, gen_server:call(Pid, info)} catch exit:_ -> gone end.

%% @doc Shows `Text' in every attached REPL (an actor crash, for instance).
-spec broadcast(iodata()) -> ok.
broadcast(Text) ->
    Bin = unicode:characters_to_binary(Text),
    [Client ! {beamtalk_io, self(), put_chars, Bin} || #{client := Client} <- sessions()],
    ok.

-spec start_link(pid()) -> {ok, pid()} | {error, term()}.
start_link(Client) ->
    gen_server:start_link(?MODULE, Client, []).

-spec init(pid()) -> {ok, map()}.
init(Client) ->
    erlang:monitor(process, Client),
    {ok, #{client => Client, since => erlang:system_time(second)}}.

-spec handle_call(term(), gen_server:from(), map()) -> {reply, term(), map()}.
handle_call(info, _From, S) -> {reply, S, S};
handle_call(Other, _From, S) ->
    beamtalk_unexpected:log(?MODULE, call, Other),
    {reply, {error, unknown_request}, S}.

-spec handle_cast(term(), map()) -> {noreply, map()}.
handle_cast(Msg, S) ->
    beamtalk_unexpected:log(?MODULE, cast, Msg),
    {noreply, S}.

-spec handle_info(term(), map()) -> {noreply, map()} | {stop, normal, map()}.
handle_info({'DOWN', _, process, _, _}, S) ->
    {stop, normal, S};
handle_info(Other, S) ->
    beamtalk_unexpected:log(?MODULE, info, Other),
    {noreply, S}.
