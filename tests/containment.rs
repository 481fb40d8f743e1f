//! A user's bug never takes the workspace with it: a crash-looping actor beside healthy ones and
//! bindings, a crash of the metadata server, and the application's own end.

mod common;

use std::time::{Duration, Instant};

use common::{Project, run};

const CLASSES: &str = "\
Actor subclass: Healthy
  state: n = 0
  bump => self.n := self.n + 1. self.n

Actor subclass: Crasher
  class restartPolicy => #permanent
  initialize => Erlang timer exit_after: 30 reason: #boom
";

fn eval(p: &Project, expr: &str) -> String {
    let (code, out, err, _) = run(&mut p.cmd(&["eval", "-w", "box", expr]));
    assert_eq!(code, 0, "{expr}: {out}{err}");
    out.trim().to_owned()
}

fn poll(limit: Duration, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !ok() {
        assert!(Instant::now() < deadline, "not within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn setup() -> Project {
    let p = Project::new();
    let file = p.project.path().join("classes.bt");
    std::fs::write(&file, CLASSES).expect("write classes");
    let (code, _, err, _) = run(&mut p.cmd(&["workspace", "create", "box"]));
    assert_eq!(code, 0, "{err}");
    let (code, out, err, _) = run(&mut p.cmd(&["load", "-w", "box", "classes.bt"]));
    assert_eq!(code, 0, "{out}{err}");
    eval(
        &p,
        "hs := (1 to: 10) collect: [:i | Healthy spawn]. hs do: [:h | h bump]. a := 1. b := 2. c := 3. d := 4",
    );
    p
}

#[test]
fn a_crash_looping_actor_is_given_up_and_nothing_else_is_touched() {
    let p = setup();
    let sup_before = eval(&p, "Erlang erlang whereis: #beamtalk_workspace_sup");
    eval(&p, "looper := Crasher spawn");
    // Its keeper restarts it until the per-actor limit, then stops it for good.
    poll(Duration::from_secs(20), || {
        eval(&p, "(Erlang beamtalk_workspace_meta given_up) size") == "1"
    });
    assert_eq!(
        eval(&p, "hs collect: [:h | h bump]"),
        "#(2, 2, 2, 2, 2, 2, 2, 2, 2, 2)",
        "the ten healthy actors kept their state"
    );
    assert_eq!(
        eval(&p, "#(a, b, c, d)"),
        "#(1, 2, 3, 4)",
        "bindings survive"
    );
    assert_eq!(
        eval(&p, "Erlang erlang whereis: #beamtalk_workspace_sup"),
        sup_before,
        "the workspace supervisor was not restarted"
    );
    // The REPL's `:actors` names the actor given up.
    let out = common::run_with_input(
        p.cmd(&["repl", "-w", "box"]).env("NO_COLOR", "1"),
        b":actors\n",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("stopped for good: Crasher") && text.contains("boom"),
        "{text}"
    );
    assert_eq!(text.matches("Healthy").count(), 10, "{text}");
}

#[test]
fn a_restarted_metadata_server_keeps_the_actors_and_tracks_them_again() {
    let p = setup();
    eval(
        &p,
        "Erlang erlang exit: (Erlang erlang whereis: #beamtalk_workspace_meta) with: #kill",
    );
    poll(Duration::from_secs(10), || {
        let status = run(&mut p.cmd(&["--json", "workspace", "status", "box"])).1;
        status.matches("\"class\":\"Healthy\"").count() == 10
    });
    assert_eq!(
        eval(&p, "hs collect: [:h | h bump]"),
        "#(2, 2, 2, 2, 2, 2, 2, 2, 2, 2)"
    );
    assert_eq!(eval(&p, "#(a, b, c, d)"), "#(1, 2, 3, 4)");
}

#[test]
fn twenty_bookkeeping_crashes_in_a_minute_touch_neither_actors_nor_bindings() {
    let p = setup();
    let actors_sup = eval(&p, "Erlang erlang whereis: #beamtalk_actor_sup");
    let bookkeeping_sup = eval(&p, "Erlang erlang whereis: #beamtalk_bookkeeping_sup");
    let mut last = eval(&p, "Erlang erlang whereis: #beamtalk_workspace_meta");
    for i in 0..20 {
        eval(
            &p,
            "Erlang erlang exit: (Erlang erlang whereis: #beamtalk_workspace_meta) with: #kill",
        );
        // Wait for the restart, so that each kill is a crash of its own.
        poll(Duration::from_secs(10), || {
            let now = eval(&p, "Erlang erlang whereis: #beamtalk_workspace_meta");
            now != "nil" && now != last
        });
        last = eval(&p, "Erlang erlang whereis: #beamtalk_workspace_meta");
        assert_ne!(last, "nil", "metadata server back after crash {i}");
    }
    assert_eq!(
        eval(&p, "Erlang erlang whereis: #beamtalk_actor_sup"),
        actors_sup,
        "the actor supervisor was never restarted"
    );
    assert_ne!(
        eval(&p, "Erlang erlang whereis: #beamtalk_bookkeeping_sup"),
        bookkeeping_sup,
        "the crashes exceeded the bookkeeping supervisor's own limit (so the test tried what it claims)"
    );
    assert_eq!(
        eval(&p, "hs collect: [:h | h bump]"),
        "#(2, 2, 2, 2, 2, 2, 2, 2, 2, 2)"
    );
    assert_eq!(eval(&p, "#(a, b, c, d)"), "#(1, 2, 3, 4)");
}

#[test]
fn the_node_stops_when_the_workspace_application_stops() {
    let p = setup();
    let pid_file = p.ws.home.path().join("workspaces/box.pid");
    let pid = std::fs::read_to_string(&pid_file).expect("pid file");
    let pid = pid.split_whitespace().next().expect("pid").to_owned();
    assert!(common::process_alive(&pid));
    // The application ends (its top supervisor dies, as when restarts run out): being permanent, it
    // halts the node instead of leaving it running unreachable.
    let _ = run(&mut p.cmd(&[
        "eval",
        "-w",
        "box",
        "Erlang erlang exit: (Erlang erlang whereis: #beamtalk_workspace_sup) with: #kill",
    ]));
    poll(Duration::from_secs(15), || !common::process_alive(&pid));
}
