%% @doc The workspace transcript: the group leader of actors, keeping their recent output.
%%
%% Output written during an evaluation goes to the REPL that ran it (through that REPL's io proxy). Actors
%% outlive evaluations, so their own group leader is this io server, which keeps the last 64 KiB of what
%% they write for `:transcript' and `beamtalk workspace logs'; nothing is lost when no REPL is attached.
-module(beamtalk_transcript).
-behaviour(gen_server).

-export([start_link/0, recent/0]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

-define(KEEP, 65536).

-spec start_link() -> {ok, pid()} | {error, term()}.
start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

%% @doc The output kept so far (the most recent 64 KiB).
-spec recent() -> binary().
recent() ->
    gen_server:call(?MODULE, recent).

-spec init([]) -> {ok, binary()}.
init([]) ->
    {ok, <<>>}.

-spec handle_call(term(), gen_server:from(), binary()) -> {reply, term(), binary()}.
handle_call(recent, _From, Buf) -> {reply, Buf, Buf};
handle_call(_Other, _From, Buf) -> {reply, {error, unknown_request}, Buf}.

-spec handle_cast(term(), binary()) -> {noreply, binary()}.
handle_cast(_Msg, Buf) ->
    {noreply, Buf}.

-spec handle_info(term(), binary()) -> {noreply, binary()}.
handle_info({io_request, From, ReplyAs, Request}, Buf) ->
    {Reply, Buf1} = request(Request, Buf),
    From ! {io_reply, ReplyAs, Reply},
    {noreply, Buf1};
handle_info(_Other, Buf) ->
    {noreply, Buf}.

-spec request(term(), binary()) -> {term(), binary()}.
request({put_chars, Enc, Chars}, Buf) -> append(fun() -> Chars end, Enc, Buf);
request({put_chars, Enc, M, F, A}, Buf) -> append(fun() -> apply(M, F, A) end, Enc, Buf);
request({put_chars, Chars}, Buf) -> append(fun() -> Chars end, latin1, Buf);
request({put_chars, M, F, A}, Buf) -> append(fun() -> apply(M, F, A) end, latin1, Buf);
request({requests, Rs}, Buf) -> lists:foldl(fun(R, {_, B}) -> request(R, B) end, {ok, Buf}, Rs);
request(getopts, Buf) -> {[{binary, false}, {encoding, unicode}], Buf};
request({setopts, _}, Buf) -> {ok, Buf};
request(_Other, Buf) -> {{error, enotsup}, Buf}.

-spec append(fun(() -> term()), unicode | latin1, binary()) -> {term(), binary()}.
append(Produce, Enc, Buf) ->
    try unicode:characters_to_binary(Produce(), Enc, unicode) of
        Bin when is_binary(Bin) -> {ok, trim(<<Buf/binary, Bin/binary>>)};
        _ -> {{error, put_chars}, Buf}
    catch
        _:_ -> {{error, put_chars}, Buf}
    end.

-spec trim(binary()) -> binary().
trim(Buf) when byte_size(Buf) =< ?KEEP -> Buf;
trim(Buf) -> binary:part(Buf, byte_size(Buf) - ?KEEP, ?KEEP).
