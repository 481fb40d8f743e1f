%% @doc Runs TestCase classes (the stdlib's `TestCase.bt'): every unary instance method whose name starts
%% with `test' is one test, run on a fresh instance between `setUp' and `tearDown', each in a process of
%% its own with a time limit; the classes run concurrently. A test passes, fails (it raised `TestFailure':
%% an assertion), is skipped (`TestSkipped') or errors (anything else, reported with its class, message
%% and the Beamtalk methods on its stack).
-module(beamtalk_test).
-include("beamtalk_abi.hrl").

-export([run/1, run/2, run/3, run/4, run_all/1, summary/1, result/1, describe/1, test_classes/1, tests_of/1,
         suite_fixture/0]).

-type outcome() :: passed | failed | skipped | error.
-type result() :: #{class := atom(), test := atom(), outcome := outcome(), message := binary(),
                    micros := non_neg_integer()}.
-export_type([result/0]).

%% Each test's limit by default.
-define(TIMEOUT, 10000).

%% @doc `MyTest runAll': the results of every test of one class.
-spec run({'$bt_class', atom()}) -> [result()].
run({'$bt_class', Class}) ->
    run([Class], all, ?TIMEOUT).

%% @doc `MyTest run: #testThat'.
-spec run({'$bt_class', atom()}, atom()) -> [result()].
run({'$bt_class', Class}, Test) ->
    [run_one(Class, Test, ?TIMEOUT, nil)].

%% @doc The results of the tests of `Classes' (those that are TestCase classes) whose `Class>>test'
%% name contains `Filter' (`all': every test), each given `TimeoutMs'. Classes run concurrently, the
%% tests of one class in order; results come in class order, then test order.
-spec run([atom()], binary() | all, pos_integer()) -> [result()].
run(Classes, Filter, TimeoutMs) ->
    run(Classes, Filter, TimeoutMs, #{}).

%% @doc As `run/3'; with `#{progress => true}' each finished test also writes one character to the
%% group leader, as it finishes (`.' passed, `F' failed, `E' error, `S' skipped): `beamtalk test' on a
%% terminal.
-spec run([atom()], binary() | all, pos_integer(), #{progress => boolean()}) -> [result()].
run(Classes, Filter, TimeoutMs, Options) ->
    Self = self(),
    Progress = maps:get(progress, Options, false),
    %% A class whose `class serial' answers true runs alone, after the others.
    {Serial, Concurrent} = lists:partition(fun is_serial/1, test_classes(Classes)),
    Runs = [{C, spawn_link(fun() -> Self ! {self(), run_class(C, Filter, TimeoutMs, Progress)} end)}
            || C <- Concurrent],
    Results = maps:from_list([{C, receive {Pid, Rs} -> Rs end} || {C, Pid} <- Runs]),
    Alone = maps:from_list([{C, run_class(C, Filter, TimeoutMs, Progress)} || C <- Serial]),
    All = maps:merge(Results, Alone),
    lists:append([maps:get(C, All) || C <- test_classes(Classes)]).

-spec is_serial(atom()) -> boolean().
is_serial(Class) ->
    try beamtalk_dispatch:send({'$bt_class', Class}, serial, []) of
        true -> true;
        _ -> false
    catch
        _:_ -> false
    end.

%% @doc `self suiteFixture' in a test: what the class's `setUpOnce' answered for this run (nil without one).
-spec suite_fixture() -> term().
suite_fixture() ->
    case erlang:get('$bt_suite_fixture') of
        undefined -> nil;
        Fixture -> Fixture
    end.

%% @doc The REPL's `:test': the tests of `Classes', or (`loaded') of every class loaded on this node.
-spec run_all([atom()] | loaded) -> [result()].
run_all(loaded) ->
    Loaded = [list_to_atom(C) || {M, _} <- code:all_loaded(), ?BT_CLASS_MODULE_PREFIX ++ C <- [atom_to_list(M)]],
    run(lists:sort(Loaded), all, ?TIMEOUT);
run_all(Classes) ->
    run(Classes, all, ?TIMEOUT).

%% @doc The TestCase classes (not TestCase itself) among `Classes'.
-spec test_classes([atom()]) -> [atom()].
test_classes(Classes) ->
    [C || C <- Classes, C =/= 'TestCase', beamtalk_class:exists(C),
          beamtalk_class:inherits_from(C, 'TestCase')].

%% @doc The tests of a TestCase class, own and inherited, in name order.
-spec tests_of(atom()) -> [atom()].
tests_of(Class) ->
    [S || S <- beamtalk_object:selectors(Class), is_test(S)].

-spec is_test(atom()) -> boolean().
is_test(Selector) ->
    Name = atom_to_list(Selector),
    lists:prefix("test", Name) andalso not lists:member($:, Name).

-spec run_class(atom(), binary() | all, pos_integer(), boolean()) -> [result()].
run_class(Class, Filter, TimeoutMs, Progress) ->
    Tests = [T || T <- tests_of(Class), selected(Class, T, Filter)],
    case Tests of
        [] -> [];
        _ ->
            %% Once around the class's tests; a failing setUpClass errors every test of the class.
            %% What setUpClass spawns belongs to the class's run, and ends with it.
            ok = beamtalk_actor:own(make_ref()),
            case suite_setup(Class) of
                {ok, Fixture} ->
                    try [report(run_one(Class, T, TimeoutMs, Fixture), Progress) || T <- Tests]
                    after
                        _ = suite_hook(Class, tearDownOnce),
                        _ = class_hook(Class, tearDownClass),
                        _ = beamtalk_actor:stop_owned(erlang:get('$bt_owner'))
                    end;
                {error, Message} ->
                    [report(#{class => Class, test => T, outcome => error, micros => 0,
                              message => Message}, Progress)
                     || T <- Tests]
            end
    end.

-spec report(result(), boolean()) -> result().
report(Result, false) ->
    Result;
report(#{outcome := Outcome} = Result, true) ->
    io:put_chars(progress_mark(Outcome)),
    Result.

-spec progress_mark(outcome()) -> string().
progress_mark(passed) -> ".";
progress_mark(failed) -> "F";
progress_mark(error) -> "E";
progress_mark(skipped) -> "S".

%% Once before a class's tests: `class setUpClass', then `setUpOnce' on an instance of the class, whose
%% answer is the suite fixture every test reads with `suiteFixture'.
-spec suite_setup(atom()) -> {ok, term()} | {error, binary()}.
suite_setup(Class) ->
    case class_hook(Class, setUpClass) of
        ok ->
            case suite_hook(Class, setUpOnce) of
                {ok, Fixture} ->
                    erlang:put('$bt_suite_fixture', Fixture),
                    {ok, Fixture};
                {error, Message} ->
                    _ = class_hook(Class, tearDownClass),
                    {error, <<"setUpOnce failed: ", Message/binary>>}
            end;
        {error, Message} ->
            {error, <<"setUpClass failed: ", Message/binary>>}
    end.

%% `setUpOnce' or `tearDownOnce' on an instance of the class living in the class's run (this process).
-spec suite_hook(atom(), atom()) -> {ok, term()} | {error, binary()}.
suite_hook(Class, Hook) ->
    try beamtalk_dispatch:send(instance(Class), Hook, []) of
        Answer -> {ok, Answer}
    catch
        Kind:Reason:Stack ->
            {error, beamtalk_error:describe(beamtalk_error:from_exception(Kind, Reason, Stack))}
    end.

-spec class_hook(atom(), atom()) -> ok | {error, binary()}.
class_hook(Class, Hook) ->
    try beamtalk_dispatch:send({'$bt_class', Class}, Hook, []) of
        _ -> ok
    catch
        Kind:Reason:Stack ->
            {error, beamtalk_error:describe(beamtalk_error:from_exception(Kind, Reason, Stack))}
    end.

-spec selected(atom(), atom(), binary() | all) -> boolean().
selected(_, _, all) -> true;
selected(Class, Test, Filter) ->
    Name = iolist_to_binary([atom_to_binary(Class, utf8), ">>", atom_to_binary(Test, utf8)]),
    binary:match(Name, Filter) =/= nomatch.

%% One test in its own process: setUp, the test, tearDown (always), within `TimeoutMs'.
-spec run_one(atom(), atom(), pos_integer(), term()) -> result().
run_one(Class, Test, TimeoutMs, Fixture) ->
    Start = erlang:monotonic_time(microsecond),
    %% The actors a test spawns (in setUp or the test itself, and the ones those spawn) end with it, even
    %% when it fails or is stopped: a test run leaves nothing running.
    Owner = make_ref(),
    {Pid, Ref} = spawn_monitor(fun() ->
                                       ok = beamtalk_actor:own(Owner),
                                       erlang:put('$bt_suite_fixture', Fixture),
                                       exit({done, body(Class, Test)})
                               end),
    {Outcome, Message} =
        receive
            {'DOWN', Ref, process, Pid, {done, Result}} -> Result;
            {'DOWN', Ref, process, Pid, Reason} -> {error, reason_text(Reason)}
        after TimeoutMs ->
                exit(Pid, kill),
                receive {'DOWN', Ref, process, Pid, _} -> ok end,
                {error, iolist_to_binary(io_lib:format("did not finish within ~b ms (stopped)", [TimeoutMs]))}
        end,
    _ = beamtalk_actor:stop_owned(Owner),
    #{class => Class, test => Test, outcome => Outcome, message => Message,
      micros => erlang:monotonic_time(microsecond) - Start}.

-spec body(atom(), atom()) -> {outcome(), binary()}.
body(Class, Test) ->
    try
        Instance = instance(Class),
        _ = beamtalk_dispatch:send(Instance, setUp, []),
        try beamtalk_dispatch:send(Instance, Test, [])
        after beamtalk_dispatch:send(Instance, tearDown, [])
        end,
        {passed, <<>>}
    catch
        error:{'$bt_error', C, _, Message, _} when C =:= 'TestFailure' -> {failed, Message};
        error:{'$bt_error', C, _, Message, _} when C =:= 'TestSkipped' -> {skipped, Message};
        Kind:Reason:Stack ->
            E = beamtalk_error:from_exception(Kind, Reason, Stack),
            {error, iolist_to_binary([beamtalk_error:describe(E), beamtalk_stack(Stack)])}
    end.

%% A fresh instance, living in this (the test's) process as an actor does in its own: its fields start
%% from their defaults and `setUp' can assign them.
-spec instance(atom()) -> {'$bt_actor', atom(), pid()}.
instance(Class) ->
    [erlang:put({bt_slot, F}, {value, D()}) || {F, D} <- beamtalk_user_class:fields(Class)],
    {'$bt_actor', Class, self()}.

%% The Beamtalk methods on a stack, innermost first: `\n  at Class>>selector (line N)'.
-spec beamtalk_stack([tuple()]) -> iolist().
beamtalk_stack(Stack) ->
    [io_lib:format("~n  at ~s (line ~b)", [Where, Line])
     || {M, F, _, Info} <- Stack, {ok, Where} <- [method_name(M, F)],
        Line <- [proplists:get_value(line, Info, 0)]].

-spec method_name(module(), atom()) -> {ok, iolist()} | none.
method_name(Module, Function) ->
    case {atom_to_list(Module), atom_to_list(Function)} of
        {?BT_CLASS_MODULE_PREFIX ++ Class, ?BT_INSTANCE_METHOD_PREFIX ++ Sel} -> {ok, [Class, ">>", Sel]};
        {?BT_CLASS_MODULE_PREFIX ++ Class, ?BT_CLASS_METHOD_PREFIX ++ Sel} -> {ok, [Class, " class>>", Sel]};
        {?BT_CLASS_MODULE_PREFIX ++ Class, "-" ?BT_INSTANCE_METHOD_PREFIX ++ Rest} -> {ok, [Class, ">>", fun_owner(Rest)]};
        {?BT_EXTENSION_MODULE_PREFIX ++ Class, ?BT_INSTANCE_METHOD_PREFIX ++ Sel} -> {ok, [Class, ">>", Sel]};
        _ -> none
    end.

%% A block inside a method: `-i:sel/2-fun-0-' names the method.
-spec fun_owner(string()) -> string().
fun_owner(Rest) ->
    hd(string:split(Rest, "/")).

-spec reason_text(term()) -> binary().
reason_text(Reason) ->
    iolist_to_binary(io_lib:format("the test's process ended: ~tp", [Reason])).

%% @doc What `runAll' answers at the REPL: the counts, and a line for each test that did not pass.
-spec summary([result()]) -> binary().
summary(Results) ->
    Count = fun(O) -> length([R || #{outcome := X} = R <- Results, X =:= O]) end,
    Failed = Count(failed) + Count(error),
    Head = io_lib:format("~b passed, ~b failed", [Count(passed), Failed]),
    Skipped = case Count(skipped) of
                  0 -> "";
                  K -> io_lib:format(", ~b skipped", [K])
              end,
    Lines = [io_lib:format("~n~s ~s>>~s: ~ts", [outcome_label(O), C, T, M])
             || #{outcome := O, class := C, test := T, message := M} <- Results, O =/= passed],
    iolist_to_binary([Head, Skipped, Lines]).

%% @doc What `runAll' answers: a `TestResult' (stdlib) with the counts and the summary's problem lines.
-spec result([result()]) -> tuple().
result(Results) ->
    Count = fun(O) -> length([R || #{outcome := X} = R <- Results, X =:= O]) end,
    Problems = [iolist_to_binary(io_lib:format("~s ~s>>~s: ~ts", [outcome_label(O), C, T, M]))
                || #{outcome := O, class := C, test := T, message := M} <- Results, O =/= passed],
    beamtalk_user_class:new_value('TestResult',
                                  #{passed => Count(passed), failed => Count(failed) + Count(error),
                                    skipped => Count(skipped), problems => Problems}).

%% @doc How a `TestResult' prints: the summary line, then its problem lines.
-spec describe({'$bt_value', 'TestResult', map()}) -> binary().
describe({'$bt_value', 'TestResult', #{passed := P, failed := F, skipped := S, problems := Lines}}) ->
    Skipped = case S of
                  0 -> "";
                  _ -> io_lib:format(", ~b skipped", [S])
              end,
    iolist_to_binary([io_lib:format("~b passed, ~b failed", [P, F]), Skipped,
                      [["\n", L] || L <- Lines]]).

-spec outcome_label(outcome()) -> string().
outcome_label(failed) -> "FAIL";
outcome_label(error) -> "ERROR";
outcome_label(skipped) -> "SKIP";
outcome_label(passed) -> "PASS".
