//! Nothing orphaned, nothing forked: a live node that does not answer, EPMD restarts, corrupt registry
//! entries, another home's node of the same name, and how long stopping takes.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{Project, WorkspaceHome, run};
use serde_json::Value;

fn ok(p: &Project, args: &[&str]) -> String {
    let (code, out, err, _) = run(&mut p.cmd(args));
    assert_eq!(code, 0, "{args:?}: {out}{err}");
    out.trim().to_owned()
}

/// The pid recorded in workspace `id`'s pid file.
fn node_pid(p: &Project, id: &str) -> String {
    let text = std::fs::read_to_string(p.ws.home.path().join(format!("workspaces/{id}.pid")))
        .expect("pid file");
    text.split_whitespace().next().expect("pid").to_owned()
}

fn signal(pid: &str, sig: &str) {
    let status = Command::new("kill")
        .args([sig, pid])
        .status()
        .expect("kill");
    assert!(status.success());
}

fn entry_exists(p: &Project, id: &str) -> bool {
    p.ws.home
        .path()
        .join(format!("workspaces/{id}.json"))
        .exists()
}

/// Resumes a stopped process when the test ends, pass or fail, so the home's guard can kill it.
struct Resume(String);

impl Drop for Resume {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-CONT", &self.0]).status();
    }
}

#[test]
fn a_frozen_node_is_never_replaced_or_forgotten_and_stop_force_kills_it() {
    let p = Project::new();
    ok(&p, &["workspace", "create", "frozen"]);
    ok(&p, &["eval", "-w", "frozen", "x := 41"]);
    let pid = node_pid(&p, "frozen");
    signal(&pid, "-STOP");
    let _resume = Resume(pid.clone());

    for args in [
        vec!["--timeout", "1s", "eval", "-w", "frozen", "x"],
        vec!["--timeout", "1s", "workspace", "create", "frozen"],
        vec!["--timeout", "1s", "repl", "-w", "frozen"],
    ] {
        let (code, out, err, _) = run(&mut p.cmd(&args));
        assert_eq!(code, 3, "{args:?}: {out}{err}");
        assert!(
            err.contains(&format!("pid {pid}")) && err.contains("stop --force frozen"),
            "{args:?}: {err}"
        );
    }
    assert!(entry_exists(&p, "frozen"), "the entry is kept");
    assert_eq!(p.ws.node_pids().len(), 1, "no second node was started");
    let list: Value =
        serde_json::from_str(&ok(&p, &["--json", "--timeout", "1s", "workspace", "list"]))
            .expect("json");
    assert_eq!(list["workspaces"][0]["state"], "unreachable");

    // Once it answers again, everything is as it was.
    signal(&pid, "-CONT");
    assert_eq!(ok(&p, &["eval", "-w", "frozen", "x + 1"]), "42");

    signal(&pid, "-STOP");
    let (code, _, err, _) = run(&mut p.cmd(&["--timeout", "1s", "workspace", "stop", "frozen"]));
    assert_eq!(
        code, 3,
        "a graceful stop of a frozen node fails clearly: {err}"
    );
    assert!(err.contains("--force"), "{err}");
    assert_eq!(
        ok(&p, &["workspace", "stop", "--force", "frozen"]),
        "Workspace frozen stopped."
    );
    assert!(!common::process_alive(&pid), "the node was killed");
    assert!(entry_exists(&p, "frozen"));
    ok(&p, &["workspace", "create", "frozen"]);
    assert_ne!(node_pid(&p, "frozen"), pid, "a new node runs");
}

#[test]
fn a_node_refusing_a_rotated_cookie_is_kept() {
    let p = Project::new();
    ok(&p, &["workspace", "create", "rotated"]);
    let pid = node_pid(&p, "rotated");
    std::fs::write(p.ws.home.cookie_file(), "ANEWCOOKIEAFTERROTATION").expect("rotate");
    let (code, _, err, _) = run(&mut p.cmd(&["eval", "-w", "rotated", "1"]));
    assert_eq!(
        code, 4,
        "a refused cookie is an authentication failure: {err}"
    );
    assert!(err.contains("rejected our cookie"), "{err}");
    // `create` sees a live node it cannot talk to: it says so and starts nothing.
    let (code, _, err, _) = run(&mut p.cmd(&["workspace", "create", "rotated"]));
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("does not answer") && err.contains("cookie"),
        "{err}"
    );
    assert!(common::process_alive(&pid) && entry_exists(&p, "rotated"));
    assert_eq!(p.ws.node_pids().len(), 1, "no second node was started");
}

#[test]
fn nodes_register_again_when_epmd_comes_back() {
    let mut p = Project::new();
    ok(&p, &["workspace", "create", "kept"]);
    ok(&p, &["workspace", "create", "gone"]);
    ok(&p, &["workspace", "stop", "gone"]);
    ok(&p, &["eval", "-w", "kept", "x := 7"]);
    let pid = node_pid(&p, "kept");

    p.epmd.kill();
    let list: Value =
        serde_json::from_str(&ok(&p, &["--json", "workspace", "list"])).expect("json");
    let state = |id: &str| {
        list["workspaces"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| r["state"].clone())
    };
    assert_eq!(state("gone"), Some(Value::from("stopped")), "{list}");
    assert_eq!(state("kept"), Some(Value::from("unreachable")), "{list}");

    p.epmd.restart();
    assert_eq!(
        ok(&p, &["eval", "-w", "kept", "x"]),
        "7",
        "the same node, with its bindings"
    );
    assert_eq!(node_pid(&p, "kept"), pid);
    assert_eq!(p.ws.node_pids().len(), 1, "no second node was started");
    assert!(
        p.epmd
            .names()
            .contains(&"beamtalk_workspace_kept".to_owned())
    );
}

#[test]
fn corrupt_registry_entries_are_reported_not_hidden() {
    let p = Project::new();
    ok(&p, &["workspace", "create", "good"]);
    let dir = p.ws.home.path().join("workspaces");
    std::fs::write(dir.join("garbage.json"), "\u{0}\u{1}not json").expect("write");
    std::fs::write(dir.join("truncated.json"), "{\"id\": \"trunc").expect("write");
    std::fs::write(dir.join("types.json"), "{\"id\": 5, \"node\": []}").expect("write");
    let good = std::fs::read_to_string(dir.join("good.json")).expect("good entry");
    std::fs::write(dir.join("misnamed.json"), good).expect("write");

    let (code, out, err, _) = run(&mut p.cmd(&["workspace", "list"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("good"), "{out}");
    for name in ["garbage", "truncated", "types", "misnamed"] {
        assert!(
            err.contains(&format!("{name}.json")),
            "{name} is not reported: {err}"
        );
    }
    let v: Value = serde_json::from_str(&ok(&p, &["--json", "workspace", "list"])).expect("json");
    assert_eq!(v["errors"].as_array().map(Vec::len), Some(4), "{v}");
    assert_eq!(v["workspaces"].as_array().map(Vec::len), Some(1), "{v}");

    let v: Value =
        serde_json::from_str(&ok(&p, &["--json", "workspace", "stop", "--all"])).expect("json");
    assert_eq!(v["stopped"], serde_json::json!(["good"]), "{v}");
    assert_eq!(v["errors"].as_array().map(Vec::len), Some(4), "{v}");
}

#[test]
fn another_homes_node_of_the_same_name_is_recognised_and_left_alone() {
    let p = Project::new();
    ok(&p, &["workspace", "create", "shared"]);
    let theirs = node_pid(&p, "shared");
    ok(&p, &["eval", "-w", "shared", "x := 1"]);

    // A second home with the same cookie: the node answers, but with the first home's identity.
    let same_cookie = WorkspaceHome::new();
    // A third with its own cookie: the node refuses it.
    let other_cookie = WorkspaceHome::new();
    std::fs::write(other_cookie.home.cookie_file(), "SOMEONEELSESCOOKIE").expect("cookie");
    for (home, why) in [
        (&same_cookie, "belongs to"),
        (&other_cookie, "refused this home's cookie"),
    ] {
        let mut cmd = common::beamtalk(&p.epmd, &home.home);
        cmd.current_dir(p.project.path())
            .args(["workspace", "create", "shared"]);
        let (code, out, err, _) = run(&mut cmd);
        assert_eq!(code, 3, "{out}{err}");
        assert!(
            err.contains("belongs to another beamtalk home") && err.contains(why),
            "{err}"
        );
        assert!(err.contains("another name"), "{err}");
        assert!(home.node_pids().is_empty(), "nothing was started");
        assert!(!home.home.path().join("workspaces/shared.json").exists());
    }
    assert!(common::process_alive(&theirs));
    assert_eq!(ok(&p, &["eval", "-w", "shared", "x"]), "1");
}

#[test]
fn stopping_does_not_wait_on_the_application_controller() {
    let p = Project::new();
    for id in ["s1", "s2", "s3"] {
        ok(&p, &["workspace", "create", id]);
    }
    let start = Instant::now();
    ok(&p, &["workspace", "stop", "s1"]);
    let one = start.elapsed();
    let start = Instant::now();
    let out = ok(&p, &["workspace", "stop", "--all"]);
    let all = start.elapsed();
    // Before, the application's stop/1 blocked on the application controller for its 5 s timeout, per
    // workspace, one after another.
    assert!(one < Duration::from_secs(3), "one stop took {one:?}");
    assert!(all < Duration::from_secs(3), "stop --all took {all:?}");
    assert!(
        out.contains("Workspace s2 stopped.")
            && out.contains("Workspace s3 stopped.")
            && out.contains("Workspace s1 was not running."),
        "{out}"
    );
}
