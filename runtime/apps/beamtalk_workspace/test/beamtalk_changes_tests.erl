-module(beamtalk_changes_tests).
-include_lib("eunit/include/eunit.hrl").

%% The log is kept in its file: a new server reads back the durable entries, not the ephemeral ones;
%% clear and flushed rewrite it.
log_survives_a_restart_without_its_ephemeral_entries_test() ->
    in_tempdir(fun(File) ->
        {ok, Pid} = beamtalk_changes:start_link(File),
        #{id := 1, flushed := false} = beamtalk_changes:record(#{kind => compile, class => 'C', selector => a,
                                                                 source => <<"a => 1">>, intent => durable}),
        #{id := 2} = beamtalk_changes:record(#{kind => compile, class => 'C', selector => b, intent => ephemeral}),
        #{id := 3} = beamtalk_changes:record(#{kind => remove, class => 'C', selector => c}),
        ?assertEqual([a, c], [S || #{selector := S} <- beamtalk_changes:pending()]),
        ok = beamtalk_changes:flushed([1]),
        ?assertEqual([c], [S || #{selector := S} <- beamtalk_changes:pending()]),
        stop(Pid),
        {ok, Pid2} = beamtalk_changes:start_link(File),
        ?assertEqual([{1, true}, {3, false}], [{I, F} || #{id := I, flushed := F} <- beamtalk_changes:entries()]),
        #{id := 4} = beamtalk_changes:record(#{kind => compile, class => 'C', selector => d}),
        ok = beamtalk_changes:clear(),
        ?assertEqual([], beamtalk_changes:entries()),
        stop(Pid2),
        {ok, Pid3} = beamtalk_changes:start_link(File),
        ?assertEqual([], beamtalk_changes:entries()),
        stop(Pid3)
    end).

%% A discarded entry (a move taken back) is gone from the log and from its file.
a_discarded_entry_is_gone_for_good_test() ->
    in_tempdir(fun(File) ->
        {ok, Pid} = beamtalk_changes:start_link(File),
        #{id := 1} = beamtalk_changes:record(#{kind => compile, class => 'C', selector => a}),
        #{id := 2} = beamtalk_changes:record(#{kind => move_class, class => 'C', selector => nil,
                                               source => <<"lib/c.bt">>}),
        ok = beamtalk_changes:discard(2),
        ?assertEqual([1], [I || #{id := I} <- beamtalk_changes:pending()]),
        stop(Pid),
        {ok, Pid2} = beamtalk_changes:start_link(File),
        ?assertEqual([1], [I || #{id := I} <- beamtalk_changes:entries()]),
        stop(Pid2)
    end).

%% A log that cannot be read is set aside, never fatal.
an_unreadable_log_is_set_aside_test() ->
    in_tempdir(fun(File) ->
        ok = file:write_file(File, <<"not a term">>),
        {ok, Pid} = beamtalk_changes:start_link(File),
        ?assertEqual([], beamtalk_changes:entries()),
        ?assert(filelib:is_regular(File ++ ".bad")),
        stop(Pid)
    end).

%% Runs `Test' with the path of a log file in a directory of its own, removed afterwards however the
%% test ends.
in_tempdir(Test) ->
    Dir = tempdir(),
    try Test(filename:join(Dir, "changes.terms"))
    after file:del_dir_r(Dir)
    end.

%% A directory of this test's own: the OS pid and a counter name it, and anything an earlier run left
%% under that name is removed first (a counter starts again in every VM).
tempdir() ->
    Dir = filename:join(os:getenv("TMPDIR", "/tmp"),
                        lists:concat(["bt_changes_", os:getpid(), "_", erlang:unique_integer([positive])])),
    _ = file:del_dir_r(Dir),
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    Dir.

stop(Pid) ->
    unlink(Pid),
    Ref = monitor(process, Pid),
    exit(Pid, shutdown),
    receive {'DOWN', Ref, process, Pid, _} -> ok after 5000 -> error(not_stopped) end.
