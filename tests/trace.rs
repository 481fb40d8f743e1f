//! `beamtalk trace`: the sends to a busy actor's methods stream to the CLI as they run, bounded, and
//! the trace stops cleanly at Ctrl-C, leaving no tracing behind on the node.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{Project, run};

const COUNTER: &str = "Actor subclass: Counter\n  state: n = 0\n  increment => self.n := self.n + 1\n  boom => 1 / 0\n  n => self.n\n";

#[test]
fn a_busy_actor_is_traced_until_ctrl_c_and_the_trace_stops_cleanly() {
    let p = Project::with_loaded("counter.bt", COUNTER);
    p.eval_ok("c := Counter spawn");
    let mut child = p
        .cmd(&["trace", "Counter", "increment"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("trace starts");
    let (lines, got) = mpsc::channel();
    let stdout = child.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let stderr = child.stderr.take().expect("stderr");
    let mut banner = String::new();
    BufReader::new(stderr)
        .read_line(&mut banner)
        .expect("banner");
    assert!(banner.starts_with("Tracing Counter>>increment"), "{banner}");
    // Busy: another process sends increments as fast as the actor answers them.
    p.eval_ok("Erlang erlang spawn: [1 to: 200000 do: [:i | c increment]]");
    let (mut calls, mut returns, mut dropped) = (0, 0, false);
    let deadline = Instant::now() + Duration::from_secs(20);
    while (calls < 50 || !dropped) && Instant::now() < deadline {
        match got.recv_timeout(Duration::from_millis(200)) {
            Ok(l) if l.contains(" -> Counter>>increment") => calls += 1,
            Ok(l) if l.contains(" <- Counter>>increment = ") && l.ends_with(" µs)") => {
                returns += 1
            }
            Ok(l) if l.starts_with("... ") && l.contains("events not shown") => dropped = true,
            _ => {}
        }
    }
    assert!(
        calls >= 50 && returns > 0,
        "{calls} calls, {returns} returns streamed"
    );
    assert!(
        dropped,
        "a hot method is rate-limited: the events not sent are counted"
    );
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let code = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s.code();
        }
        assert!(
            Instant::now() < deadline,
            "the trace did not stop at Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(code, Some(0));
    // Nothing is traced any more, and a new trace can start (the old tracer is gone).
    assert_eq!(
        p.eval_ok("Erlang erlang trace_info: (Erlang erlang list_to_tuple: #(#bt_class_Counter, #'i:increment', 1)) with: #traced"),
        "{#traced, false}"
    );
    let (code, out, err, _) = run(&mut p.cmd(&["--json", "trace", "Counter", "--for", "1s"]));
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn exceptions_show_and_what_cannot_be_traced_is_an_error() {
    let p = Project::with_loaded("counter.bt", COUNTER);
    p.eval_ok("c := Counter spawn");
    let mut child = p
        .cmd(&["--json", "trace", "Counter", "boom", "--for", "3s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("trace starts");
    let mut banner = String::new();
    let stderr = child.stderr.take().expect("stderr");
    BufReader::new(stderr)
        .read_line(&mut banner)
        .expect("banner");
    assert!(
        banner.starts_with("Tracing Counter>>boom"),
        "the trace is on: {banner}"
    );
    p.eval_ok("[c boom] on: ZeroDivide do: [:e | 0]");
    let out = child.wait_with_output().expect("ends after --for");
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert!(
        rows.iter().any(|r| r["event"] == "exception"
            && r["selector"] == "boom"
            && r["error"]
                .as_str()
                .is_some_and(|e| e.contains("ZeroDivide"))),
        "{text}"
    );
    let (code, _, err, _) = run(&mut p.cmd(&["trace", "Counter", "frob", "--for", "1s"]));
    assert_eq!(code, 1);
    assert!(err.contains("Counter has no method frob"), "{err}");
    let (code, _, err, _) = run(&mut p.cmd(&["trace", "Nope", "--for", "1s"]));
    assert_eq!(code, 1);
    assert!(err.contains("no class Nope is loaded"), "{err}");
}
