%% @doc Block: Erlang funs. Evaluation, loops, and exception handling (`on:do:', `ensure:', `ifCurtailed:').
-module(beamtalk_block).

-export([respond/3, selectors/0, arity/1]).

-spec selectors() -> [atom()].
selectors() ->
    [value, 'value:', 'value:value:', 'value:value:value:', 'value:value:value:value:', 'valueWithArguments:',
     numArgs, 'whileTrue:', 'whileFalse:', whileTrue, whileFalse, repeat, 'on:do:', 'ensure:', 'ifCurtailed:'].

-spec respond(function(), atom(), [term()]) -> {ok, term()} | nomethod.
respond(B, Sel, Args) ->
    case op(B, Sel, Args) of
        nomethod -> nomethod;
        V -> {ok, V}
    end.

-spec op(function(), atom(), [term()]) -> term().
op(B, value, []) -> apply_block(B, []);
op(B, 'value:', Args) -> apply_block(B, Args);
op(B, 'value:value:', Args) -> apply_block(B, Args);
op(B, 'value:value:value:', Args) -> apply_block(B, Args);
op(B, 'value:value:value:value:', Args) -> apply_block(B, Args);
op(B, 'valueWithArguments:', [Args]) when is_list(Args) -> apply_block(B, Args);
op(B, 'valueWithArguments:', [{'$bt_array', T}]) -> apply_block(B, tuple_to_list(T));
op(B, numArgs, []) -> arity(B);
op(B, 'whileTrue:', [Body]) -> while(B, true, Body), nil;
op(B, 'whileFalse:', [Body]) -> while(B, false, Body), nil;
op(B, whileTrue, []) -> while(B, true, fun() -> nil end), nil;
op(B, whileFalse, []) -> while(B, false, fun() -> nil end), nil;
op(B, repeat, []) -> repeat(B);
op(B, 'on:do:', [Class, Handler]) -> on_do(B, Class, Handler);
op(B, 'ensure:', [After]) ->
    try apply_block(B, []) after apply_block(After, []) end;
op(B, 'ifCurtailed:', [Cleanup]) ->
    try apply_block(B, [])
    catch C:R:S ->
        apply_block(Cleanup, []),
        erlang:raise(C, R, S)
    end;
op(_, _, _) -> nomethod.

-spec arity(function()) -> arity().
arity(B) ->
    {arity, N} = erlang:fun_info(B, arity),
    N.

-spec apply_block(term(), [term()]) -> term().
apply_block(B, Args) when is_function(B) ->
    case arity(B) =:= length(Args) of
        true -> apply(B, Args);
        false ->
            beamtalk_error:raise(wrong_arity, 'Block',
                                 io_lib:format("expects ~b argument(s) but was given ~b", [arity(B), length(Args)]))
    end;
apply_block(Other, _Args) ->
    beamtalk_error:raise(bad_argument, beamtalk_print:class_name(Other), "is not a block").

-spec while(function(), boolean(), function()) -> ok.
while(Cond, Expect, Body) ->
    case apply_block(Cond, []) of
        Expect -> apply_block(Body, []), while(Cond, Expect, Body);
        _ -> ok
    end.

-spec repeat(function()) -> no_return().
repeat(B) ->
    apply_block(B, []),
    repeat(B).

%% Runs the block; an error of (a subclass of) `Class' goes to `Handler'. Non-local returns pass through.
-spec on_do(function(), term(), term()) -> term().
%% `on: nil do:' catches every error; `on: ZeroDivide, TypeError do:' any of a set.
on_do(B, Selector, Handler) ->
    Classes = case Selector of
                  {'$bt_class', Class} -> [Class];
                  {'$bt_exception_set', Set} -> Set;
                  nil -> ['Exception'];
                  Other -> beamtalk_error:raise(bad_argument, 'Block',
                                                ["on:do: needs an exception class, not ",
                                                 beamtalk_print:print_string(Other)])
              end,
    try apply_block(B, [])
    catch
        throw:{'$bt_nlr', _, _} = Nlr -> throw(Nlr);
        C:R:S ->
            E = beamtalk_error:from_exception(C, R, S),
            case lists:any(fun(Class) -> beamtalk_error:is_kind_of(E, Class) end, Classes) of
                true -> handle(B, Selector, Handler, E);
                false -> erlang:raise(C, R, S)
            end
    end.

-spec handle(function(), term(), term(), beamtalk_error:error()) -> term().
handle(B, Class, Handler, E) ->
    try
        case arity(Handler) of
            0 -> apply_block(Handler, []);
            _ -> apply_block(Handler, [E])
        end
    catch
        throw:{'$bt_retry', E} -> on_do(B, Class, Handler);
        throw:{'$bt_return', E, V} -> V;
        throw:{'$bt_pass', E} -> error(E);
        throw:{'$bt_resignal', E, Other} -> error(Other)
    end.
