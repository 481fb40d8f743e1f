%% The anchor of `cargo bench --bench durable': a hand-written gen_server keeping a balance, which
%% writes it to a Mnesia `disc_copies' table on every deposit and syncs the log before it replies (the
%% same durability a durable actor gives), and the node-side loops the benchmark times.
-module(durable_anchor).
-behaviour(gen_server).

-export([setup/0, start/1, deposits/3, concurrent/3]).
-export([init/1, handle_call/3, handle_cast/2]).

%% Its table, in the workspace's store (open already: the benchmark spawned a durable actor first).
setup() ->
    case mnesia:create_table(durable_anchor, [{disc_copies, [node()]}, {attributes, [name, balance]}]) of
        {atomic, ok} -> ok;
        {aborted, {already_exists, _}} -> ok
    end.

start(Name) ->
    {ok, Pid} = gen_server:start(?MODULE, Name, []),
    Pid.

%% `N' deposits through `Call' (`anchor' or `actor'), one after the other.
deposits(Kind, Target, N) ->
    [deposit(Kind, Target) || _ <- lists:seq(1, N)],
    ok.

%% The same from one caller per target at once.
concurrent(Kind, Targets, N) ->
    Self = self(),
    Pids = [spawn_link(fun() -> deposits(Kind, T, N), Self ! {done, self()} end) || T <- Targets],
    [receive {done, P} -> ok end || P <- Pids],
    ok.

deposit(anchor, Pid) -> gen_server:call(Pid, deposit);
deposit(actor, Ref) -> beamtalk_dispatch:send(Ref, 'deposit:', [1]).

init(Name) -> {ok, #{name => Name, balance => 0}}.

handle_call(deposit, _From, #{name := Name, balance := B} = S) ->
    {atomic, ok} = mnesia:sync_transaction(fun() -> mnesia:write({durable_anchor, Name, B + 1}) end),
    ok = mnesia:sync_log(),
    {reply, B + 1, S#{balance := B + 1}}.

handle_cast(_Msg, S) -> {noreply, S}.
