%% @doc The workspace transcript: the group leader of actors, keeping their recent output.
%%
%% Output written during an evaluation goes to the REPL that ran it (through that REPL's io proxy). Actors
%% outlive evaluations, so their own group leader is this io server, which keeps the last 64 KiB of what
%% they write for `:transcript' and `beamtalk workspace logs'; nothing is lost when no REPL is attached.
%% A session that sends `Transcript subscribe' (ADR 0010) also gets that output as it is written, until
%% `unsubscribe' or its end; it is sent without waiting, so a slow or stuck session never holds the
%% transcript up.
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

%% The output kept, and the sessions' group leaders subscribed (each monitored).
-type state() :: #{buf := binary(), subs := #{pid() => reference()}}.

-spec init([]) -> {ok, state()}.
init([]) ->
    {ok, #{buf => <<>>, subs => #{}}}.

%% As the `TranscriptStream' actor that `Transcript' is, it answers Beamtalk sends (the requests of
%% `beamtalk_actor:call/4') by writing to the caller's group leader, so output goes to the REPL that caused
%% it; an actor's own group leader is this process, and then the text is kept here.
-spec handle_call(term(), gen_server:from(), state()) -> {reply, term(), state()}.
handle_call({Sel, GL}, _From, S) when is_pid(GL) ->
    stream(Sel, [], GL, S);
handle_call({Sel, Args, GL}, _From, S) when is_list(Args), is_pid(GL) ->
    stream(Sel, Args, GL, S);
handle_call(recent, _From, #{buf := Buf} = S) -> {reply, Buf, S};
handle_call(Other, _From, S) ->
    beamtalk_unexpected:log(?MODULE, call, Other),
    {reply, {error, unknown_request}, S}.

%% The kept output as a List of its lines (chapter 22: `Transcript recent' answers a List), the last
%% one even if it is not ended yet.
-spec lines(binary()) -> [binary()].
lines(<<>>) ->
    [];
lines(Buf) ->
    drop_last_empty(binary:split(Buf, <<"\n">>, [global])).

-spec drop_last_empty([binary()]) -> [binary()].
drop_last_empty(Parts) ->
    case lists:reverse(Parts) of
        [<<>> | Rest] -> lists:reverse(Rest);
        _ -> Parts
    end.

-spec stream(atom(), [term()], pid(), state()) -> {reply, term(), state()}.
%% What actors wrote when no REPL was listening, kept here: `Transcript recent' reads it, `clear' drops it.
stream(recent, [], _GL, #{buf := Buf} = S) ->
    {reply, {ok, lines(Buf)}, S};
stream(clear, [], _GL, S) ->
    {reply, {ok, nil}, S#{buf := <<>>}};
%% The calling session's group leader gets actors' output as it is written (the transcript itself,
%% an actor's own group leader, cannot subscribe).
stream(subscribe, [], GL, #{subs := Subs} = S) when GL =/= self() ->
    Session = session(GL),
    Subs1 = case maps:is_key(Session, Subs) of
                true -> Subs;
                false -> Subs#{Session => monitor(process, Session)}
            end,
    {reply, {ok, self_ref()}, S#{subs := Subs1}};
stream(unsubscribe, [], GL, #{subs := Subs} = S) ->
    Session = session(GL),
    _ = [demonitor(Ref, [flush]) || {ok, Ref} <- [maps:find(Session, Subs)]],
    {reply, {ok, self_ref()}, S#{subs := maps:remove(Session, Subs)}};
stream(Sel, Args, GL, S) ->
    Self = self(),
    Kept = fun(Text) -> put(kept, unicode:characters_to_binary(Text)), ok end,
    Out = case GL of
              Self -> Kept;
              _ -> fun(Text) -> io:put_chars(GL, Text) end
          end,
    try beamtalk_object:transcript_write(Sel, Args, Out) of
        ok ->
            S1 = case erase(kept) of
                     undefined -> S;
                     Text -> kept(Text, S)
                 end,
            {reply, {ok, self_ref()}, S1};
        nomethod ->
            %% What every object answers (`class', `respondsTo:', `printString' ...), or doesNotUnderstand.
            Reply = try {ok, beamtalk_dispatch:send_from('Object', self_ref(), Sel, Args)}
                    catch C:R:St -> {error, beamtalk_error:from_exception(C, R, St)}
                    end,
            {reply, Reply, S}
    catch
        C:R:St -> {reply, {error, beamtalk_error:from_exception(C, R, St)}, S}
    end.

%% The session a group leader writes to: a CLI's io server (a pid on its node) is the session, reached
%% first directly and later through an io proxy on this node that names it (`beamtalk_io_proxy').
-spec session(pid()) -> pid().
session(GL) when node(GL) =/= node() ->
    GL;
session(GL) ->
    case process_info(GL, dictionary) of
        {dictionary, D} -> proplists:get_value(beamtalk_sink, D, GL);
        undefined -> GL
    end.

-spec self_ref() -> {'$bt_actor', 'TranscriptStream', pid()}.
self_ref() ->
    {'$bt_actor', 'TranscriptStream', self()}.

%% Actors' output: kept, and sent on to the subscribed sessions without waiting for them.
-spec kept(binary(), state()) -> state().
kept(Text, #{buf := Buf, subs := Subs} = S) ->
    _ = [GL ! {io_request, self(), make_ref(), {put_chars, unicode, Text}} || GL <- maps:keys(Subs)],
    S#{buf := trim(<<Buf/binary, Text/binary>>)}.

-spec handle_cast(term(), state()) -> {noreply, state()}.
handle_cast(Msg, S) ->
    beamtalk_unexpected:log(?MODULE, cast, Msg),
    {noreply, S}.

-spec handle_info(term(), state()) -> {noreply, state()}.
handle_info({io_request, From, ReplyAs, Request}, S) ->
    {Reply, S1} = request(Request, S),
    From ! {io_reply, ReplyAs, Reply},
    {noreply, S1};
%% A subscribed session's answer to output sent on: nothing waits for it.
handle_info({io_reply, Ref, _}, S) when is_reference(Ref) ->
    {noreply, S};
handle_info({'DOWN', _, process, GL, _}, #{subs := Subs} = S) when is_map_key(GL, Subs) ->
    {noreply, S#{subs := maps:remove(GL, Subs)}};
handle_info(Other, S) ->
    beamtalk_unexpected:log(?MODULE, info, Other),
    {noreply, S}.

-spec request(term(), state()) -> {term(), state()}.
request({put_chars, Enc, Chars}, S) -> append(fun() -> Chars end, Enc, S);
request({put_chars, Enc, M, F, A}, S) -> append(fun() -> apply(M, F, A) end, Enc, S);
request({put_chars, Chars}, S) -> append(fun() -> Chars end, latin1, S);
request({put_chars, M, F, A}, S) -> append(fun() -> apply(M, F, A) end, latin1, S);
request({requests, Rs}, S) -> lists:foldl(fun(R, {_, Acc}) -> request(R, Acc) end, {ok, S}, Rs);
request(getopts, S) -> {[{binary, false}, {encoding, unicode}], S};
request({setopts, _}, S) -> {ok, S};
request(_Other, S) -> {{error, enotsup}, S}.

-spec append(fun(() -> term()), unicode | latin1, state()) -> {term(), state()}.
append(Produce, Enc, S) ->
    try unicode:characters_to_binary(Produce(), Enc, unicode) of
        Bin when is_binary(Bin) -> {ok, kept(Bin, S)};
        _ -> {{error, put_chars}, S}
    catch
        _:_ -> {{error, put_chars}, S}
    end.

-spec trim(binary()) -> binary().
trim(Buf) when byte_size(Buf) =< ?KEEP -> Buf;
trim(Buf) -> binary:part(Buf, byte_size(Buf) - ?KEEP, ?KEEP).
