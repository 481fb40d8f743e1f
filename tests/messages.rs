//! Errors that say what happened: a rename onto a taken name, a name still held by a renamed node, a
//! timeout too short for any node, a block of the wrong arity, and an `initialize` that fails on restart.

mod common;

use std::time::{Duration, Instant};

use common::{Project, run};

fn ok(p: &Project, args: &[&str]) -> String {
    let (code, out, err, _) = run(&mut p.cmd(args));
    assert_eq!(code, 0, "{args:?}: {out}{err}");
    out
}

#[test]
fn renaming_onto_a_taken_name_says_it_is_taken() {
    let p = Project::new();
    ok(&p, &["workspace", "create", "t1"]);
    ok(&p, &["workspace", "create", "t2"]);
    let (code, _, err, _) = run(&mut p.cmd(&["workspace", "rename", "t2", "t1"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`t1` exists already"), "{err}");
    assert!(!err.contains("invalid"), "{err}");
}

#[test]
fn a_name_whose_node_runs_under_a_new_name_says_so() {
    let p = Project::new();
    ok(&p, &["workspace", "create", "t2"]);
    ok(&p, &["workspace", "rename", "t2", "t3"]);
    let (code, _, err, _) = run(&mut p.cmd(&["workspace", "create", "t2"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("still runs as workspace `t3`"), "{err}");
    assert_eq!(p.ws.node_pids().len(), 1, "no second node");
}

#[test]
fn a_timeout_too_short_for_any_node_is_a_timeout() {
    let p = Project::new();
    ok(&p, &["workspace", "create", "t1"]);
    let (code, _, err, _) = run(&mut p.cmd(&["--timeout", "1ns", "eval", "-w", "t1", "1 + 1"]));
    assert_eq!(code, 5, "{err}");
    assert!(
        err.contains("--timeout") && !err.contains("does not answer"),
        "{err}"
    );
}

#[test]
fn a_block_of_the_wrong_arity_is_named() {
    let p = Project::new();
    for (expr, arity) in [("1 to: 3 do: [1]", "0"), ("3 timesRepeat: [:x | x]", "1")] {
        let (code, out, err, _) = run(&mut p.cmd(&["eval", expr]));
        assert_eq!(code, 1, "{expr}: {out}{err}");
        assert!(
            out.contains(&format!("a block of {arity} argument")),
            "{expr}: {out}"
        );
        assert!(!out.contains("does not understand"), "{expr}: {out}");
    }
}

#[test]
fn an_initialize_that_fails_on_restart_is_reported_in_beamtalk_terms() {
    let p = Project::with_loaded(
        "r.bt",
        "Actor subclass: R\n  class restartPolicy => #permanent\n  initialize => (Erlang persistent_term get: #rfail with: false) ifTrue: [1 / 0]\n",
    );
    p.eval_ok("r := R spawn. Erlang persistent_term put: #rfail with: true. r kill");
    let deadline = Instant::now() + Duration::from_secs(20);
    let reason = loop {
        let given_up =
            p.eval_ok("(Erlang beamtalk_workspace_meta given_up) collect: [:g | g at: #reason]");
        if given_up != "#()" {
            break given_up;
        }
        assert!(Instant::now() < deadline, "never given up");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        reason.contains("ZeroDivide: 1 / 0: division by zero"),
        "{reason}"
    );
    assert!(!reason.contains("$bt_error"), "{reason}");
}

const SPINNER: &str = "Actor subclass: Spinner
  state: n = 0
  spin => [true] whileTrue: [self.n := self.n + 1]
  bump => self.n := self.n + 1
  n => self.n
  terminate => Erlang io format: \"terminated~n\"
";

#[test]
fn casts_are_written_with_a_trailing_bang_and_erlangs_order_gets_a_hint() {
    let p = Project::with_loaded("spinner.bt", SPINNER);
    assert!(ok(&p, &["eval", "s := Spinner spawn"]).starts_with("Actor(Spinner"));
    // A cast answers nil at once; the call after it is served after it.
    assert_eq!(ok(&p, &["eval", "s bump!"]).trim(), "nil");
    assert_eq!(ok(&p, &["eval", "s n"]).trim(), "1");
    let (code, _, err, _) = run(&mut p.cmd(&["eval", "s ! bump"]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("puts `!` after the message: `receiver bump!`"),
        "{err}"
    );
}

#[test]
fn stopping_a_busy_actor_says_it_skipped_terminate_and_an_idle_one_runs_it() {
    let p = Project::with_loaded("spinner.bt", SPINNER);
    ok(
        &p,
        &[
            "eval",
            "idle := Spinner spawn. busy := Spinner spawn. busy spin!",
        ],
    );
    let out = ok(&p, &["eval", "idle stop"]);
    assert!(out.contains("terminated") && !out.contains("busy"), "{out}");
    let out = ok(&p, &["eval", "busy stop"]);
    assert!(
        out.contains("was busy for 5 s: stopped without running its terminate"),
        "{out}"
    );
    assert_eq!(ok(&p, &["eval", "busy isAlive"]).trim(), "false");
}

/// `beamtalk top` measures reductions per second over an interval, also for one snapshot: an actor
/// spinning at full speed is at the top with a rate far above an idle one's (which is 0).
#[test]
fn top_shows_a_spinning_actors_reductions_per_second() {
    let p = Project::with_loaded("spinner.bt", SPINNER);
    ok(
        &p,
        &[
            "eval",
            "idle := Spinner spawn. busy := Spinner spawn. busy spin!",
        ],
    );
    let out = ok(&p, &["--json", "top", "--interval", "300ms"]);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    let actors = doc["actors"].as_array().expect("actors");
    let rate = |i: usize| actors[i]["reductions_per_s"].as_i64().expect("rate");
    assert_eq!(actors.len(), 2, "{doc}");
    assert!(rate(0) > 100_000, "the spinning actor first, busy: {doc}");
    assert!(rate(1) < 1_000, "the idle one does next to nothing: {doc}");
    let text = ok(&p, &["top", "--once", "--interval", "300ms"]);
    let busy_row = text.lines().find(|l| l.contains("Spinner")).expect("a row");
    let shown: i64 = busy_row
        .split_whitespace()
        .last()
        .and_then(|n| n.parse().ok())
        .expect("REDUCTIONS/s column");
    assert!(shown > 100_000, "{text}");
    ok(&p, &["eval", "busy kill"]);
}
