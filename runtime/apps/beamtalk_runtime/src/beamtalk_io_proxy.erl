%% @doc An io server that forwards output to a process on another node and asks it for input.
%%
%% The Beamtalk CLI is a hidden node written in Rust: it cannot run `io_lib:format/2`, and format requests
%% (`{put_chars, Enc, io_lib, format, [Fmt, Args]}`) can only be formatted here, on the BEAM. So this process
%% is the group leader of remote evaluations: it answers the io protocol locally, sends the resulting
%% characters to the sink pid as `{beamtalk_io, self(), put_chars, Binary}`, and for input sends
%% `{beamtalk_io, self(), get_line, Prompt}` and waits for `{beamtalk_io_input, Binary | eof}`.
%% It stops when the sink goes away (the CLI exits or its connection drops).
%%
%% It is a special process in OTP's sense: it answers system messages between requests, and a message
%% it does not expect is logged, never dropped silently.
%%
%% The CLI loads this module with `code:load_binary/3` on nodes that lack it, so it depends on nothing
%% but kernel and stdlib.
-module(beamtalk_io_proxy).

-export([start/1]).
-export([system_continue/3, system_terminate/4, system_get_state/1, system_replace_state/2,
         system_code_change/4]).

-type state() :: #{sink := pid(), mref := reference(), buf := [char()] | eof}.

%% @doc Runs the io server for `Sink' until the sink is gone.
-spec start(pid()) -> no_return().
start(Sink) ->
    %% Who this proxy serves, readable without asking it (the Transcript keys subscriptions by it).
    put(beamtalk_sink, Sink),
    MRef = erlang:monitor(process, Sink),
    loop(#{sink => Sink, mref => MRef, buf => []}).

-spec loop(state()) -> no_return().
loop(#{sink := Sink, mref := MRef} = S) ->
    receive
        {system, From, Request} ->
            sys:handle_system_msg(Request, From, Sink, ?MODULE, [], S);
        {io_request, From, ReplyAs, Request} ->
            {Reply, S1} = request(Request, S),
            From ! {io_reply, ReplyAs, Reply},
            loop(S1);
        {'DOWN', MRef, process, _, _} ->
            exit(normal);
        Other ->
            logger:warning("~p: unexpected message ~0P", [?MODULE, Other, 12]),
            loop(S)
    end.

-spec system_continue(pid(), [sys:debug_option()], state()) -> no_return().
system_continue(_Parent, _Debug, S) ->
    loop(S).

-spec system_terminate(term(), pid(), [sys:debug_option()], state()) -> no_return().
system_terminate(Reason, _Parent, _Debug, _S) ->
    exit(Reason).

-spec system_get_state(state()) -> {ok, state()}.
system_get_state(S) ->
    {ok, S}.

-spec system_replace_state(fun((state()) -> state()), state()) -> {ok, state(), state()}.
system_replace_state(Replace, S) ->
    New = Replace(S),
    {ok, New, New}.

-spec system_code_change(state(), module(), term(), term()) -> {ok, state()}.
system_code_change(S, _Module, _OldVsn, _Extra) ->
    {ok, S}.

-spec request(term(), state()) -> {term(), state()}.
request({put_chars, Enc, Chars}, S) ->
    put_chars(fun() -> Chars end, Enc, S);
request({put_chars, Enc, M, F, A}, S) ->
    put_chars(fun() -> apply(M, F, A) end, Enc, S);
request({put_chars, Chars}, S) ->
    put_chars(fun() -> Chars end, latin1, S);
request({put_chars, M, F, A}, S) ->
    put_chars(fun() -> apply(M, F, A) end, latin1, S);
request({get_line, Enc, Prompt}, S) ->
    get(Prompt, {io_lib, collect_line, [Enc, []]}, Enc, S);
request({get_line, Prompt}, S) ->
    get(Prompt, {io_lib, collect_line, [latin1, []]}, latin1, S);
request({get_chars, Enc, Prompt, N}, S) ->
    get(Prompt, {io_lib, collect_chars, [Enc, N]}, Enc, S);
request({get_chars, Prompt, N}, S) ->
    get(Prompt, {io_lib, collect_chars, [latin1, N]}, latin1, S);
request({get_until, Enc, Prompt, M, F, As}, S) ->
    get(Prompt, {io_lib, get_until, [{M, F, As}]}, Enc, S);
request({get_until, Prompt, M, F, As}, S) ->
    get(Prompt, {io_lib, get_until, [{M, F, As}]}, latin1, S);
request({requests, Requests}, S) ->
    lists:foldl(fun(R, {_, Acc}) -> request(R, Acc) end, {ok, S}, Requests);
request(getopts, S) ->
    {[{binary, false}, {encoding, unicode}], S};
request({setopts, _}, S) ->
    {ok, S};
request({get_geometry, _}, S) ->
    {{error, enotsup}, S};
request({beamtalk_load, Path}, S) when is_binary(Path) ->
    %% `Workspace load:': Beamtalk is compiled by the CLI, which loads the classes and then answers.
    ask_cli(load, Path, S);
request({beamtalk_edit, Edit}, S) ->
    %% `compile:source:', `removeSelector:': the CLI compiles the class again and loads it.
    ask_cli(edit, term_to_binary(Edit), S);
request(_, S) ->
    {{error, request}, S}.

%% A request only the CLI behind this proxy can answer (it holds the compiler); its answer, or the end of
%% this proxy when the CLI goes away.
-spec ask_cli(load | edit, binary(), state()) -> {term(), state()}.
ask_cli(Kind, Payload, #{sink := Sink, mref := MRef} = S) ->
    Sink ! {beamtalk_io, self(), Kind, Payload},
    receive
        {beamtalk_io_loaded, Reply} -> {Reply, S};
        {'DOWN', MRef, process, _, _} -> exit(normal)
    end.

-spec put_chars(fun(() -> term()), unicode | latin1, state()) -> {term(), state()}.
put_chars(Produce, Enc, #{sink := Sink} = S) ->
    try unicode:characters_to_binary(Produce(), Enc, unicode) of
        Bin when is_binary(Bin) ->
            Sink ! {beamtalk_io, self(), put_chars, Bin},
            {ok, S};
        _ ->
            {{error, put_chars}, S}
    catch
        _:_ -> {{error, put_chars}, S}
    end.

-spec get(term(), {module(), atom(), list()}, unicode | latin1, state()) -> {term(), state()}.
get(Prompt, Collector, _Enc, S) ->
    _ = put_chars(fun() -> prompt_chars(Prompt) end, unicode, S),
    collect(start, Collector, S).

-spec collect(term(), {module(), atom(), list()}, state()) -> {term(), state()}.
collect(Cont, {M, F, Extra} = Collector, #{buf := Buf} = S) ->
    case Buf of
        [] ->
            collect(Cont, Collector, S#{buf := fetch(S)});
        _ ->
            try apply(M, F, [Cont, Buf | Extra]) of
                {stop, Result, Rest} ->
                    {Result, S#{buf := rest(Rest)}};
                NewCont ->
                    case Buf of
                        eof -> {eof, S};
                        _ -> collect(NewCont, Collector, S#{buf := []})
                    end
            catch
                _:_ -> {{error, get_until}, S#{buf := []}}
            end
    end.

-spec fetch(state()) -> [char()] | eof.
fetch(#{sink := Sink, mref := MRef}) ->
    Sink ! {beamtalk_io, self(), get_line, <<>>},
    receive
        {beamtalk_io_input, eof} -> eof;
        {beamtalk_io_input, Bin} when is_binary(Bin) -> unicode:characters_to_list(Bin);
        {'DOWN', MRef, process, _, _} -> exit(normal)
    end.

-spec rest(term()) -> [char()] | eof.
rest(eof) -> eof;
rest(Rest) when is_list(Rest) -> Rest;
rest(Rest) when is_binary(Rest) -> unicode:characters_to_list(Rest);
rest(_) -> [].

-spec prompt_chars(term()) -> iodata().
prompt_chars(Prompt) when is_atom(Prompt) -> atom_to_list(Prompt);
prompt_chars({format, Fmt, Args}) -> io_lib:format(Fmt, Args);
prompt_chars(Prompt) when is_list(Prompt); is_binary(Prompt) -> Prompt;
prompt_chars(Prompt) -> io_lib:format("~p", [Prompt]).

-ifdef(TEST).
-include_lib("eunit/include/eunit.hrl").

it_writes_to_its_sink_and_answers_system_messages_test() ->
    Sink = self(),
    Proxy = spawn(fun() -> start(Sink) end),
    ?assertMatch(#{sink := Sink, buf := []}, sys:get_state(Proxy, 2000)),
    ok = sys:suspend(Proxy, 2000),
    ok = sys:resume(Proxy, 2000),
    ok = io:put_chars(Proxy, "hi"),
    ?assertEqual(<<"hi">>, receive {beamtalk_io, Proxy, put_chars, B} -> B after 2000 -> timeout end),
    exit(Proxy, kill).
-endif.
