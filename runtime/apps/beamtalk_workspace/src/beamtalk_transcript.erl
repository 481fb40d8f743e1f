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

%% As the `TranscriptStream' actor that `Transcript' is, it answers Beamtalk sends (the requests of
%% `beamtalk_actor:call/4') by writing to the caller's group leader, so output goes to the REPL that caused
%% it; an actor's own group leader is this process, and then the text is kept here.
-spec handle_call(term(), gen_server:from(), binary()) -> {reply, term(), binary()}.
handle_call({Sel, GL}, _From, Buf) when is_pid(GL) ->
    stream(Sel, [], GL, Buf);
handle_call({Sel, Args, GL}, _From, Buf) when is_list(Args), is_pid(GL) ->
    stream(Sel, Args, GL, Buf);
handle_call(recent, _From, Buf) -> {reply, Buf, Buf};
handle_call(Other, _From, Buf) ->
    beamtalk_unexpected:log(?MODULE, call, Other),
    {reply, {error, unknown_request}, Buf}.

-spec stream(atom(), [term()], pid(), binary()) -> {reply, term(), binary()}.
%% What actors wrote when no REPL was listening, kept here: `Transcript recent' reads it, `clear' drops it.
stream(recent, [], _GL, Buf) ->
    {reply, {ok, Buf}, Buf};
stream(clear, [], _GL, _Buf) ->
    {reply, {ok, {'$bt_actor', 'TranscriptStream', self()}}, <<>>};
stream(Sel, Args, GL, Buf) ->
    Self = self(),
    Kept = fun(Text) -> put(kept, unicode:characters_to_binary(Text)), ok end,
    Out = case GL of
              Self -> Kept;
              _ -> fun(Text) -> io:put_chars(GL, Text) end
          end,
    try beamtalk_object:transcript_write(Sel, Args, Out) of
        ok ->
            Buf1 = case erase(kept) of
                       undefined -> Buf;
                       Text -> trim(<<Buf/binary, Text/binary>>)
                   end,
            {reply, {ok, {'$bt_actor', 'TranscriptStream', Self}}, Buf1};
        nomethod ->
            %% What every object answers (`class', `respondsTo:', `printString' ...), or doesNotUnderstand.
            Ref = {'$bt_actor', 'TranscriptStream', Self},
            Reply = try {ok, beamtalk_dispatch:send_from('Object', Ref, Sel, Args)}
                    catch C:R:S -> {error, beamtalk_error:from_exception(C, R, S)}
                    end,
            {reply, Reply, Buf}
    catch
        C:R:S -> {reply, {error, beamtalk_error:from_exception(C, R, S)}, Buf}
    end.

-spec handle_cast(term(), binary()) -> {noreply, binary()}.
handle_cast(Msg, Buf) ->
    beamtalk_unexpected:log(?MODULE, cast, Msg),
    {noreply, Buf}.

-spec handle_info(term(), binary()) -> {noreply, binary()}.
handle_info({io_request, From, ReplyAs, Request}, Buf) ->
    {Reply, Buf1} = request(Request, Buf),
    From ! {io_reply, ReplyAs, Reply},
    {noreply, Buf1};
handle_info(Other, Buf) ->
    beamtalk_unexpected:log(?MODULE, info, Other),
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
