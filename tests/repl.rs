//! `beamtalk repl` end to end: the interactive REPL driven through a pseudo-terminal, and the piped mode.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::run;
use expectrl::session::OsSession as Session;
use expectrl::{ControlCode, Expect};

type Fixture = common::Project;

const COUNTER: &str = "Actor subclass: Counter\n  state: count = 0\n  increment => self.count := self.count + 1\n  count => self.count\n";

impl Fixture {
    fn started() -> Self {
        let f = common::Project::new();
        std::fs::write(f.project.path().join("counter.bt"), COUNTER).expect("write");
        f
    }

    /// An interactive REPL on a pseudo-terminal, at its first prompt.
    fn repl(&self) -> Session {
        let mut cmd = self.cmd(&["repl"]);
        cmd.env("NO_COLOR", "1").env("TERM", "xterm");
        let mut s = expectrl::Session::spawn(cmd).expect("spawn on a pty");
        s.set_expect_timeout(Some(Duration::from_secs(20)));
        watchdog(s.get_process().pid().as_raw(), Duration::from_secs(60));
        s.expect("> ").expect("first prompt");
        s
    }

    /// Runs a piped REPL over `input`; (exit code, stdout).
    fn piped(&self, input: &str) -> (i32, String) {
        let out = common::run_with_input(&mut self.cmd(&["repl"]), input.as_bytes());
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }
}

/// Kills the REPL if it is still running after `limit`, so a stuck interaction fails instead of hanging.
fn watchdog(pid: i32, limit: Duration) {
    std::thread::spawn(move || {
        std::thread::sleep(limit);
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    });
}

/// Sends a line and waits for `want` on a line of its own, then the next prompt. (The prompt itself comes
/// wrapped in terminal control sequences, so it is matched on its own.)
/// Waits (10 s at most) until `beamtalk eval EXPR` in another session prints `want`.
fn wait_for(f: &Fixture, expr: &str, want: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while run(&mut f.cmd(&["eval", expr])).1.trim() != want {
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn eval(s: &mut Session, line: &str, want: &str) {
    s.send_line(line).expect("send");
    expect_result(s, want, line);
}

fn expect_result(s: &mut Session, want: &str, what: &str) {
    s.expect(format!("\r\n{want}\r\n").as_str())
        .unwrap_or_else(|e| panic!("{what} → expected {want:?}: {e}"));
    s.expect("> ")
        .unwrap_or_else(|e| panic!("{what}: no prompt after {want:?}: {e}"));
}

fn quit(mut s: Session) {
    s.send(ControlCode::EndOfTransmission).expect("ctrl-d");
    // A key sent while the terminal is between two reads (briefly in cooked mode) can be lost, which a
    // person at human pace never meets; then `:quit` says the same.
    let deadline = Instant::now() + Duration::from_secs(3);
    while s.get_process().is_alive().unwrap_or(false) {
        if Instant::now() > deadline {
            let _ = s.send_line(":quit");
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = s.get_process_mut().wait();
}

#[test]
fn the_adr_counter_survives_quitting_the_repl() {
    let f = Fixture::started();
    let mut s = f.repl();
    eval(&mut s, ":load counter.bt", "Loaded: Counter");
    s.send_line("counter := Counter spawn").expect("send");
    s.expect("Actor(Counter, <").expect("spawned");
    s.expect("> ").expect("prompt");
    eval(&mut s, "counter increment", "1");
    eval(&mut s, "counter increment", "2");
    quit(s);

    let mut s = f.repl();
    eval(&mut s, "counter increment", "3");
    eval(&mut s, "counter count", "3");
    quit(s);
}

#[test]
fn kill_9_of_the_cli_loses_no_bindings() {
    let f = Fixture::started();
    let mut s = f.repl();
    eval(&mut s, "kept := 40 + 2", "42");
    let pid = s.get_process().pid();
    Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .expect("kill");
    let _ = s.get_process_mut().wait();

    let mut s = f.repl();
    eval(&mut s, "kept", "42");
    quit(s);
}

#[test]
fn ctrl_c_interrupts_an_evaluation_not_the_session() {
    let f = Fixture::started();
    let mut s = f.repl();
    eval(&mut s, "before := 1", "1");
    s.send_line("[true] whileTrue: []").expect("send");
    // Ctrl-C once the loop runs on the node (the check is an evaluation itself: two run then).
    wait_for(
        &f,
        "Erlang beamtalk_repl_eval running",
        "2",
        "the loop never started",
    );
    s.send(ControlCode::EndOfText).expect("ctrl-c");
    s.expect("Interrupted.").expect("interrupted");
    s.expect("> ").expect("prompt again");
    eval(&mut s, "before + 1", "2");
    // The statements of an interrupted line that finished keep their assignments: an interpreted line,
    // then one compiled for its loop.
    for (line, check, want) in [
        (
            "done := 5. Erlang timer sleep: 100000. undone := 1",
            "done",
            "5",
        ),
        ("k := 0. [k >= 0] whileTrue: [k := k + 1]", "k", "0"),
    ] {
        s.send_line(line).expect("send");
        // Another session sees the finished statement's binding: it was saved when it completed.
        wait_for(
            &f,
            check,
            want,
            "the first statement's binding was never saved",
        );
        s.send(ControlCode::EndOfText).expect("ctrl-c");
        s.expect("Interrupted.").expect("interrupted");
        s.expect("> ").expect("prompt again");
        // The stopped evaluation is gone before the next line runs.
        wait_for(
            &f,
            "Erlang beamtalk_repl_eval running",
            "1",
            "the interrupted evaluation lingers",
        );
        eval(&mut s, check, want);
    }
    eval(
        &mut s,
        "undone",
        "ERROR: undefined variable: undone; hint: did you mean done?",
    );
    // Keys at a human pace: between two readline calls the terminal is briefly in cooked mode.
    std::thread::sleep(Duration::from_millis(300));
    s.send(ControlCode::EndOfText).expect("ctrl-c");
    s.expect("> ").expect("a fresh prompt");
    std::thread::sleep(Duration::from_millis(300));
    s.send(ControlCode::EndOfText).expect("ctrl-c");
    s.expect("To quit, press Ctrl-D")
        .expect("hint after a second Ctrl-C");
    // Ctrl-D once the prompt is back: sent while the terminal is between two reads it could be lost.
    s.expect("> ").expect("the prompt after the hint");
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    quit(s);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "Ctrl-D did not quit the REPL"
    );
}

#[test]
fn transcript_output_streams_while_the_evaluation_runs() {
    let f = Fixture::started();
    let mut s = f.repl();
    s.send_line("Transcript showLine: \"early\". Erlang timer sleep: 2000. #done")
        .expect("send");
    let start = Instant::now();
    s.expect("early").expect("streamed output");
    assert!(
        start.elapsed() < Duration::from_millis(1800),
        "output waited for the end: {:?}",
        start.elapsed()
    );
    expect_result(&mut s, "done", "the result after the output");
    quit(s);
}

#[test]
fn completion_history_and_multi_line_input() {
    let f = Fixture::started();
    let mut s = f.repl();
    eval(&mut s, "counterValue := 5", "5");
    s.send("counterV").expect("type");
    s.send("\t").expect("tab");
    s.send_line("").expect("enter");
    expect_result(&mut s, "5", "the binding was completed");
    // After a class name, its class-side selectors: `Ctr sp<Tab>` is `Ctr spawn` (not `split:`).
    eval(
        &mut s,
        "Actor subclass: Ctr\n  state: n = 3\n  n => self.n\n",
        "Ctr",
    );
    s.send("Ctr sp").expect("type");
    s.send("\t").expect("tab");
    s.send_line(" n").expect("enter");
    expect_result(&mut s, "3", "the class-side selector was completed");
    s.send_line("#(1,").expect("send");
    s.expect("..> ").expect("continuation prompt");
    eval(&mut s, " 2) size", "2");
    s.send_line("Object subclass: Pt").expect("send");
    s.expect("..> ").expect("class body continues");
    s.send_line("  x => 7").expect("send");
    s.expect("..> ").expect("until an empty line");
    eval(&mut s, "", "Pt");
    eval(&mut s, "Pt new x", "7");
    eval(&mut s, "1 + 41", "42");
    quit(s);

    let mut s = f.repl();
    s.send("\x1b[A").expect("up arrow");
    s.send_line("").expect("enter");
    expect_result(&mut s, "42", "history from the previous run");
    quit(s);
}

#[test]
fn lines_that_arrive_together_all_reach_the_evaluator_in_order() {
    let f = Fixture::started();
    let mut s = f.repl();
    // One write carrying several lines, as typing ahead, tmux send-keys or a paste without bracketed
    // paste delivers them: the reader must keep what it read past the first line.
    s.send("a1 := 10\na2 := 20\na3 := a1 + a2\n").expect("send");
    s.expect("\r\n30\r\n")
        .expect("the third line ran, after the first two");
    eval(&mut s, "a1 + a2 + a3", "60");
    s.send("Actor subclass: Pair\n  state: x = 1\n  state: y = 2\n  sum => self.x + self.y\n\n")
        .expect("send");
    s.expect("\r\nPair\r\n").expect("the class body");
    eval(&mut s, "Pair spawn sum", "3");
    quit(s);
}

#[test]
fn two_repls_share_one_workspace_namespace() {
    let f = Fixture::started();
    let mut a = f.repl();
    let mut b = f.repl();
    eval(&mut a, "shared := 5", "5");
    eval(&mut b, "shared * 2", "10");
    eval(&mut b, ":clear", "Bindings cleared.");
    eval(&mut a, "shared", "ERROR: undefined variable: shared");
    quit(a);
    quit(b);
}

#[test]
fn a_dead_workspace_is_reported_and_can_be_recreated() {
    let f = Fixture::started();
    let mut s = f.repl();
    eval(&mut s, "x := 1", "1");
    for pid in f.ws.node_pids() {
        Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .expect("kill");
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f.ws.node_pids().is_empty() {
        assert!(Instant::now() < deadline, "the node did not die");
        std::thread::sleep(Duration::from_millis(20));
    }
    s.send_line("x").expect("send");
    s.expect("is gone").expect("says so");
    s.expect("Recreate it? [Y/n] ").expect("offers to recreate");
    s.send_line("y").expect("yes");
    s.expect("running again").expect("recreated");
    eval(&mut s, "3 + 4", "7");
    quit(s);
}

#[test]
fn piped_mode_prints_each_result_and_fails_on_errors() {
    let f = Fixture::started();
    let (code, out) = f.piped("x := 3 + 4\nx * 2\n#(1, 2,\n 3) size\n\"text\"\n");
    assert_eq!((code, out.as_str()), (0, "7\n14\n3\ntext\n"));
    let (code, out) = f.piped("1 + 1\n3 foo\n2 + 2\n");
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        out,
        "2\nERROR: does_not_understand: Integer does not understand #foo\n4\n"
    );
    let (code, out) =
        f.piped(":load counter.bt\nc := Counter spawn. c increment\n:bindings\n:modules\n:nope\n");
    assert_eq!(code, 1, "an unknown command counts as a failure: {out}");
    assert!(
        out.starts_with("Loaded: Counter\n1\nc := Actor(Counter, <"),
        "{out}"
    );
    assert!(out.contains("\nCounter\n"), "{out}");
    assert!(out.contains("unknown command :nope"), "{out}");
}

#[test]
fn actor_output_after_the_evaluation_goes_to_the_transcript() {
    let f = Fixture::started();
    std::fs::write(
        f.project.path().join("talker.bt"),
        "Actor subclass: Talker\n  talk => Transcript showLine: \"said later\". 1\n",
    )
    .expect("write");
    let (code, out) = f.piped(":load talker.bt\nt := Talker spawn\nt talk!\n");
    assert_eq!(code, 0, "{out}");
    // The cast is answered after the evaluation that sent it: poll the transcript for it.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (code, out) = f.piped(":transcript\n");
        if !out.is_empty() && out != "The transcript is empty.\n" {
            assert_eq!((code, out.as_str()), (0, "said later\n"));
            break;
        }
        assert!(Instant::now() < deadline, "nothing reached the transcript");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn wrong_cookie_and_missing_workspace_fail_like_rpc() {
    let f = Fixture::started();
    let (code, _, _, _) = run(&mut f.cmd(&["workspace", "create", "guarded"]));
    assert_eq!(code, 0);
    let other = common::Home::new();
    std::fs::write(other.cookie_file(), "WRONGCOOKIE").expect("write");
    let mut cmd = f.cmd(&["repl", "-w", "guarded"]);
    cmd.env("BEAMTALK_COOKIE_FILE", other.cookie_file())
        .stdin(Stdio::null());
    let (code, _, err, _) = run(&mut cmd);
    assert_eq!(code, 4, "{err}");
}

#[test]
fn an_actor_crash_is_reported_to_the_attached_repl() {
    let f = Fixture::started();
    let mut s = f.repl();
    eval(&mut s, ":load counter.bt", "Loaded: Counter");
    s.send_line("c := Counter spawn").expect("send");
    s.expect("> ").expect("prompt");
    s.send_line("Erlang erlang exit: c pid with: #boom")
        .expect("send");
    s.expect("[actor Counter <").expect("a crash report");
    s.expect("crashed: boom]").expect("with the reason");
    quit(s);
}

/// `:test` reports as `beamtalk test` does (each failure with its file and line, then the summary) and
/// leaves nothing running: the actors a test's setUp and body spawned end with the test.
#[test]
fn repl_test_reports_like_beamtalk_test_and_leaves_no_actors() {
    let f = Fixture::started();
    let test = f.project.path().join("counter_test.bt");
    std::fs::write(
        &test,
        "TestCase subclass: CounterTest\n  field: counter = nil\n  setUp => self.counter := Counter spawn\n  testIncrement =>\n    self.counter increment\n    self assert: self.counter count equals: 1\n  testWrong => Counter spawn. self assert: self.counter count equals: 5\n",
    )
    .expect("write");
    let input = format!(
        ":load counter.bt\n:test {}\n(Workspace actorsOf: Counter) size\n",
        test.display()
    );
    let (code, out) = f.piped(&input);
    assert_eq!(code, 1, "a test failed: {out}");
    let fail = out
        .lines()
        .position(|l| {
            l.starts_with("FAIL CounterTest>>testWrong (")
                && l.contains("counter_test.bt:7): expected 5, got 0")
        })
        .unwrap_or_else(|| panic!("a FAIL line with file and line: {out}"));
    let summary = out
        .lines()
        .position(|l| l == "1 passed, 1 failed")
        .unwrap_or_else(|| panic!("the summary: {out}"));
    assert!(fail < summary, "failures first: {out}");
    assert_eq!(
        out.lines().last(),
        Some("0"),
        "no Counter left running: {out}"
    );
}

/// `Transcript subscribe` (ADR 0010): what actors write to the Transcript on their own reaches the
/// subscribed session as it is written; a session that did not subscribe does not get it (it is kept for
/// `Transcript recent`), and after `unsubscribe` nothing more comes.
#[test]
fn a_subscribed_session_gets_actors_transcript_output() {
    let f = Fixture::started();
    let talker = "Actor subclass: Talker\n  say: text => Transcript showLine: text\n\n";
    let (code, out) = f.piped(&format!(
        "{talker}t := Talker spawn\nt say: \"unheard\"!\nTimer sleep: 300\nTranscript subscribe\n\
         t say: \"heard\"!\nTimer sleep: 300\nTranscript unsubscribe\nt say: \"after\"!\nTimer sleep: 300\n"
    ));
    assert_eq!(code, 0, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.contains(&"heard"), "{out}");
    assert!(
        !lines.contains(&"unheard") && !lines.contains(&"after"),
        "{out}"
    );
    let (code, recent, err, _) = common::run(&mut f.cmd(&["eval", "Transcript recent"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        recent.contains("unheard") && recent.contains("after"),
        "kept for recent: {recent}"
    );
}
