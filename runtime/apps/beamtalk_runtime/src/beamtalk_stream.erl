%% @doc Positional streams: `WriteStream' (building text) and `ReadStream' (reading a collection an element
%% at a time). Unlike values they change, so their state lives in the process dictionary of the process
%% that made them, under a reference of their own; another process using one gets an error, never a
%% stale or lost write. `String streamContents: [:s | ...]' (and `printString' through `printOn:') ends
%% its stream when the block does; a stream made with `on:' lasts until `close', until its process ends,
%% or, in an actor, until the message that made it is answered and the stream is neither in the actor's
%% state nor in the answer (`sweep/1'): a long-lived actor never accumulates streams.
-module(beamtalk_stream).

-export([write_stream/1, read_stream/1, stream_contents/1, respond/3, selectors/1, sweep/1]).

%% The process's open streams.
-define(LIVE, '$bt_streams').

-type stream() :: {'$bt_object', 'WriteStream' | 'ReadStream', #{ref := reference(), owner := pid()}}.

%% @doc `WriteStream on: "start"'.
-spec write_stream(binary()) -> stream().
write_stream(Initial) when is_binary(Initial) ->
    new('WriteStream', [Initial]).

%% @doc `ReadStream on: aCollection' (a String reads its characters).
-spec read_stream(term()) -> stream().
read_stream(Text) when is_binary(Text) ->
    new('ReadStream', beamtalk_string:graphemes(Text));
read_stream({'$bt_array', T}) ->
    new('ReadStream', tuple_to_list(T));
read_stream(L) when is_list(L) ->
    new('ReadStream', L).

%% @doc `String streamContents: aBlock': what the block writes on a fresh WriteStream.
-spec stream_contents(fun((stream()) -> term())) -> binary().
stream_contents(Block) ->
    S = write_stream(<<>>),
    try
        _ = Block(S),
        contents(S)
    after
        close(S)
    end.

-spec new(atom(), list()) -> stream().
new(Class, State) ->
    Ref = make_ref(),
    erlang:put({bt_stream, Ref}, State),
    erlang:put(?LIVE, [Ref | live()]),
    {'$bt_object', Class, #{ref => Ref, owner => self()}}.

%% @doc Ends this process's streams that none of `Kept' holds (an actor's state and its last answer). Costs
%% nothing while the process has no streams.
-spec sweep([term()]) -> ok.
sweep(Kept) ->
    case live() of
        [] -> ok;
        Live ->
            Reachable = refs_in(Kept, #{}),
            {Keep, Drop} = lists:partition(fun(R) -> maps:is_key(R, Reachable) end, Live),
            _ = [erlang:erase({bt_stream, R}) || R <- Drop],
            _ = erlang:put(?LIVE, Keep),
            ok
    end.

-spec live() -> [reference()].
live() ->
    case erlang:get(?LIVE) of
        undefined -> [];
        Refs -> Refs
    end.

%% The references of the streams inside a term.
-spec refs_in(term(), #{reference() => true}) -> #{reference() => true}.
refs_in({'$bt_object', C, #{ref := R}}, Acc) when C =:= 'WriteStream'; C =:= 'ReadStream' -> Acc#{R => true};
refs_in(T, Acc) when is_tuple(T) -> refs_in(tuple_to_list(T), Acc);
refs_in([H | T], Acc) -> refs_in(T, refs_in(H, Acc));
refs_in(M, Acc) when is_map(M) -> maps:fold(fun(K, V, A) -> refs_in(V, refs_in(K, A)) end, Acc, M);
refs_in(_, Acc) -> Acc.

%% @doc What a stream answers.
-spec respond(stream(), atom(), [term()]) -> {ok, term()} | nomethod.
respond({_, 'WriteStream', _} = S, Sel, Args) -> write(S, Sel, Args);
respond({_, 'ReadStream', _} = S, Sel, Args) -> read(S, Sel, Args).

-spec selectors(atom()) -> [atom()].
selectors('WriteStream') ->
    ['nextPutAll:', 'nextPut:', 'print:', 'display:', '<<', cr, space, tab, contents, close, isEmpty];
selectors('ReadStream') ->
    [next, 'next:', peek, atEnd, 'skip:', upToEnd, 'upTo:', close, position].

-spec write(stream(), atom(), [term()]) -> {ok, term()} | nomethod.
write(S, Sel, [X]) when Sel =:= 'nextPutAll:'; Sel =:= 'display:'; Sel =:= '<<' ->
    append(S, beamtalk_print:display_string(X));
write(S, 'nextPut:', [X]) when is_integer(X) -> append(S, unicode:characters_to_binary([X]));
write(S, 'nextPut:', [X]) -> append(S, beamtalk_print:display_string(X));
write(S, 'print:', [X]) -> append(S, beamtalk_print:print_string(X));
write(S, cr, []) -> append(S, <<"\n">>);
write(S, space, []) -> append(S, <<" ">>);
write(S, tab, []) -> append(S, <<"\t">>);
write(S, contents, []) -> {ok, contents(S)};
write(S, isEmpty, []) -> {ok, contents(S) =:= <<>>};
write(S, close, []) -> close(S), {ok, nil};
write(_, _, _) -> nomethod.

-spec read(stream(), atom(), [term()]) -> {ok, term()} | nomethod.
read(S, next, []) ->
    case state(S) of
        [X | Rest] -> set(S, Rest), {ok, X};
        [] -> {ok, nil}
    end;
read(S, 'next:', [N]) when is_integer(N), N >= 0 ->
    {Taken, Rest} = lists:split(min(N, length(state(S))), state(S)),
    set(S, Rest),
    {ok, joined(S, Taken)};
read(S, peek, []) ->
    {ok, case state(S) of [X | _] -> X; [] -> nil end};
read(S, atEnd, []) -> {ok, state(S) =:= []};
read(S, 'skip:', [N]) when is_integer(N), N >= 0 ->
    set(S, lists:nthtail(min(N, length(state(S))), state(S))), {ok, S};
read(S, upToEnd, []) ->
    Rest = state(S), set(S, []), {ok, joined(S, Rest)};
read(S, 'upTo:', [X]) ->
    {Before, After} = lists:splitwith(fun(E) -> E =/= X end, state(S)),
    set(S, case After of [_ | R] -> R; [] -> [] end),
    {ok, joined(S, Before)};
read(S, close, []) -> close(S), {ok, nil};
read(_, _, _) -> nomethod.

%% Characters read from a String come back as a String; other elements as a List.
-spec joined(stream(), list()) -> term().
joined(_, Items) ->
    case Items =/= [] andalso lists:all(fun is_binary/1, Items) of
        true -> iolist_to_binary(Items);
        false -> Items
    end.

-spec append(stream(), binary()) -> {ok, stream()}.
append(S, Text) ->
    set(S, [Text | state(S)]),
    {ok, S}.

-spec contents(stream()) -> binary().
contents(S) ->
    iolist_to_binary(lists:reverse(state(S))).

-spec close(stream()) -> ok.
close({_, _, #{ref := Ref}}) ->
    erlang:erase({bt_stream, Ref}),
    erlang:put(?LIVE, lists:delete(Ref, live())),
    ok.

-spec state(stream()) -> list().
state({_, Class, #{ref := Ref, owner := Owner}}) ->
    case erlang:get({bt_stream, Ref}) of
        undefined when Owner =/= self() ->
            beamtalk_error:raise('Error', wrong_process, Class,
                                 "belongs to the process that made it: make the stream where it is used");
        undefined ->
            beamtalk_error:raise('Error', closed, Class, "is closed");
        State -> State
    end.

-spec set(stream(), list()) -> ok.
set({_, _, #{ref := Ref}} = S, State) ->
    _ = state(S),
    erlang:put({bt_stream, Ref}, State),
    ok.
