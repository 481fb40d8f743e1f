//! `beamtalk test` end to end: a project's TestCase classes run in a workspace made for the run.

mod common;

use common::run;

const COUNTER: &str =
    "Actor subclass: Counter\n  state: n = 0\n  increment => self.n := self.n + 1\n  n => self.n\n";

const TESTS: &str = "TestCase subclass: CounterTest\n  field: counter = nil\n  setUp => self.counter := Counter spawn\n  testIncrement =>\n    self.counter increment\n    self assert: self.counter n equals: 1\n  testFresh => self assert: self.counter n equals: 0\n  testWrong => self assert: self.counter n equals: 5\n  testRaises => self should: [1 / 0] raise: ZeroDivide\n  testSkipped => self skip: \"later\"\n";

/// A project with `src/counter.bt` and `test/counter_test.bt` holding `tests`.
fn project(tests: &str) -> common::Project {
    let p = common::Project::new();
    let root = p.project.path();
    std::fs::create_dir_all(root.join("src")).expect("src");
    std::fs::create_dir_all(root.join("test")).expect("test");
    std::fs::write(root.join("src/counter.bt"), COUNTER).expect("write");
    std::fs::write(root.join("test/counter_test.bt"), tests).expect("write");
    p
}

#[test]
fn a_projects_tests_run_and_failures_name_the_test_file_and_line() {
    let p = project(TESTS);
    let (code, out, err, _) = run(&mut p.cmd(&["test"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("FAIL CounterTest>>testWrong (test/counter_test.bt:8): expected 5, got 0"),
        "{out}"
    );
    assert!(out.contains("SKIP CounterTest>>testSkipped"), "{out}");
    assert!(out.ends_with("3 passed, 1 failed, 1 skipped\n"), "{out}");
    // The run's workspace is gone.
    let (_, list, _, _) = run(&mut p.cmd(&["workspace", "list"]));
    assert!(list.contains("No workspaces"), "{list}");
    // A filter; all passing is exit 0.
    let (code, out, _, _) = run(&mut p.cmd(&["test", "--filter", "testIncrement"]));
    assert_eq!((code, out.as_str()), (0, "1 passed, 0 failed\n"));
    let (code, out, _, _) = run(&mut p.cmd(&["--json", "test"]));
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        (v["passed"].as_i64(), v["failed"].as_i64()),
        (Some(3), Some(1))
    );
    assert_eq!(v["tests"].as_array().map(Vec::len), Some(5));
}

#[test]
fn errors_in_set_up_hanging_tests_and_unparsable_files_are_reported() {
    let p = project(
        "TestCase subclass: Broken\n  setUp => nil frobnicate\n  testAnything => self assert: true\n\nTestCase subclass: Slow\n  testHangs => [true] whileTrue: []\n",
    );
    let (code, out, err, _) = run(&mut p.cmd(&["test", "--test-timeout", "1s"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("ERROR Broken>>testAnything")
            && out.contains("does not understand #frobnicate"),
        "{out}"
    );
    assert!(
        out.contains("ERROR Slow>>testHangs") && out.contains("did not finish within 1000 ms"),
        "{out}"
    );
    assert!(out.ends_with("0 passed, 2 failed\n"), "{out}");
    std::fs::write(
        p.project.path().join("test/bad.bt"),
        "TestCase subclass: Bad\n  testX => (\n",
    )
    .expect("write");
    let (code, _, err, _) = run(&mut p.cmd(&["test"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bad.bt:2"), "the file and line: {err}");
}

#[test]
fn test_classes_run_from_the_repl_too() {
    let p = project(TESTS);
    let root = p.project.path().to_str().expect("utf8").to_owned();
    let (code, _, err, _) =
        run(&mut p.cmd(&["load", &format!("{root}/src"), &format!("{root}/test")]));
    assert_eq!(code, 0, "{err}");
    let (code, out, _, _) = run(&mut p.cmd(&["eval", "CounterTest runAll"]));
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("3 passed, 1 failed, 1 skipped"), "{out}");
    let (_, out, _, _) = run(&mut p.cmd(&["eval", "CounterTest run: #testIncrement"]));
    assert_eq!(out.trim(), "1 passed, 0 failed");
    // A result object, not only text.
    let (_, out, _, _) = run(&mut p.cmd(&[
        "eval",
        "r := CounterTest runAll. #(r passed, r failed, r skipped, r isSuccess, r problems size)",
    ]));
    assert_eq!(out.trim(), "#(3, 1, 1, false, 2)");
}

#[test]
fn the_repl_runs_tests_with_colon_test() {
    let p = project(TESTS);
    let out = common::run_with_input(
        &mut p.cmd(&["repl"]),
        b":load src\n:test test/counter_test.bt\n:test CounterTest\n:test Nope\n",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Loaded: CounterTest"), "{text}");
    assert_eq!(
        text.matches("3 passed, 1 failed, 1 skipped").count(),
        2,
        "both runs: {text}"
    );
    assert!(text.contains("FAIL CounterTest>>testWrong"), "{text}");
    assert!(
        text.contains("ERROR: test: Nope is not a TestCase class"),
        "{text}"
    );
}

#[test]
fn set_up_class_runs_once_before_a_classes_tests() {
    let p = project(
        "TestCase subclass: Once\n  classState: runs = 0\n  class setUpClass => self.runs := self.runs + 1\n  class runs => self.runs\n  testOne => self assert: Once runs equals: 1\n  testTwo => self assert: Once runs equals: 1\n\nTestCase subclass: BadClass\n  class setUpClass => nil frobnicate\n  testA => self assert: true\n",
    );
    let (code, out, err, _) = run(&mut p.cmd(&["test"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("ERROR BadClass>>testA") && out.contains("setUpClass failed"),
        "{out}"
    );
    assert!(out.ends_with("2 passed, 1 failed\n"), "{out}");
}

#[test]
fn an_error_names_its_class_and_the_methods_on_its_stack_with_their_files() {
    let p = project(
        "TestCase subclass: CalcTest\n  testZero => Calc divide: 1 by: 0\n  testPlain => self assert: (Calc divide: 6 by: 3) equals: 3\n",
    );
    std::fs::write(
        p.project.path().join("src/calc.bt"),
        "Object subclass: Calc\n  class divide: a by: b => self helper: a by: b\n  class helper: a by: b =>\n    x := a / b\n    x + 1\n",
    )
    .expect("write");
    let (code, out, err, _) = run(&mut p.cmd(&["test"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains(
            "ERROR CalcTest>>testZero (test/counter_test.bt:2): ZeroDivide: 1 / 0: division by zero\n  at Calc class>>helper:by: (src/calc.bt:4)\n"
        ),
        "the class, the message, and the method that divided with its file and line: {out}"
    );
    // Piped output carries no progress marks: the report starts with the first problem.
    assert!(out.starts_with("ERROR CalcTest>>testZero"), "{out}");
}

#[test]
fn a_terminal_sees_a_mark_for_each_test_as_it_finishes() {
    use expectrl::Expect;
    let p = project(TESTS);
    let mut cmd = p.cmd(&["test"]);
    cmd.env("NO_COLOR", "1");
    let mut s = expectrl::Session::spawn(cmd).expect("spawn on a pty");
    s.set_expect_timeout(Some(std::time::Duration::from_secs(60)));
    // One class, tests in name order: testFresh, testIncrement, testRaises, testSkipped, testWrong.
    s.expect("...SF\r\n")
        .expect("a mark per test, then a line break");
    s.expect("3 passed, 1 failed, 1 skipped")
        .expect("the summary");
    s.expect(expectrl::Eof).expect("the run ends");
}

/// A test that says it started (a marker file in the project), then runs for a minute.
const SLOW: &str = "TestCase subclass: SlowTest\n  testSlow =>\n    File writeAll: \"started\" contents: \"yes\"\n    Erlang timer sleep: 60000\n";

/// `beamtalk test` of [`SLOW`] in the background, once its test has started (and so its workspace runs).
fn started_slow_run(p: &common::Project) -> std::process::Child {
    let child = p
        .cmd(&["test", "--test-timeout", "120s"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn beamtalk test");
    let marker = p.project.path().join("started");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !marker.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the slow test never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(p.ws.node_pids().len(), 1, "the run's workspace runs");
    child
}

fn signal(child: &std::process::Child, sig: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{sig}"), &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

fn workspaces_listed(p: &common::Project) -> String {
    let (_, list, err, _) = run(&mut p.cmd(&["workspace", "list"]));
    format!("{list}{err}")
}

#[test]
fn a_run_ended_by_a_signal_removes_its_workspace_first() {
    for (sig, code) in [("INT", 130), ("TERM", 143), ("HUP", 129)] {
        let p = project(SLOW);
        let child = started_slow_run(&p);
        signal(&child, sig);
        let out = child.wait_with_output().expect("wait");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "SIG{sig}: {err}");
        assert!(err.contains("interrupted"), "SIG{sig}: {err}");
        assert!(p.ws.node_pids().is_empty(), "SIG{sig}: the node is gone");
        assert!(
            workspaces_listed(&p).contains("No workspaces"),
            "SIG{sig}: {}",
            workspaces_listed(&p)
        );
    }
}

#[test]
fn a_run_whose_output_pipe_closes_still_removes_its_workspace() {
    let p = project(TESTS);
    let mut child = p
        .cmd(&["test"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn beamtalk test");
    // As `beamtalk test | head -0`: the reader is gone before anything is written.
    drop(child.stdout.take());
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(1), "the failing test still counts");
    assert!(p.ws.node_pids().is_empty(), "the node is gone");
    assert!(workspaces_listed(&p).contains("No workspaces"));
}

#[test]
fn a_killed_runs_workspace_is_removed_by_the_next_run_and_by_cleanup() {
    let p = project(SLOW);
    // Killed outright, the run leaves its node: the next run removes it before its own.
    let mut child = started_slow_run(&p);
    signal(&child, "KILL");
    let _ = child.wait();
    assert_eq!(p.ws.node_pids().len(), 1, "SIGKILL leaves the node");
    std::fs::write(p.project.path().join("test/slow_test.bt"), TESTS).expect("quick tests");
    let (code, out, err, _) = run(&mut p.cmd(&["test", "--filter", "testIncrement"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(p.ws.node_pids().is_empty(), "the left node was removed");
    assert!(workspaces_listed(&p).contains("No workspaces"));
    // `workspace cleanup` removes one too, whatever its idle time.
    std::fs::write(p.project.path().join("test/slow_test.bt"), SLOW).expect("slow tests");
    std::fs::remove_file(p.project.path().join("started")).expect("marker");
    let mut child = started_slow_run(&p);
    signal(&child, "KILL");
    let _ = child.wait();
    let (code, out, err, _) = run(&mut p.cmd(&["--json", "workspace", "cleanup"]));
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["reaped"].as_array().map(Vec::len), Some(1), "{out}");
    assert!(p.ws.node_pids().is_empty(), "the left node was removed");
}

#[test]
fn a_test_that_halts_the_node_exits_3_and_leaves_no_entry() {
    let p = project("TestCase subclass: HaltTest\n  testHalt => Erlang erlang halt\n");
    let (code, out, err, _) = run(&mut p.cmd(&["test"]));
    assert_eq!(code, 3, "{out}{err}");
    assert!(err.contains("down") || err.contains("stopped"), "{err}");
    assert!(p.ws.node_pids().is_empty());
    assert!(workspaces_listed(&p).contains("No workspaces"));
}
