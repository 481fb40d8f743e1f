//! `beamtalk workspace ...` end to end: real detached nodes, a private epmd, a temporary home.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{beamtalk, run};
use serde_json::Value;

type Fixture = common::Project;

fn fixture() -> Fixture {
    common::Project::new()
}

impl Fixture {
    fn bt(&self, args: &[&str]) -> (i32, String, String, Duration) {
        run(&mut self.cmd(args))
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut full = vec!["--json"];
        full.extend_from_slice(args);
        let (code, out, err, _) = self.bt(&full);
        assert_eq!(code, 0, "{args:?}: {err}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?} printed {out:?}: {e}"))
    }

    fn registered(&self, id: &str) -> bool {
        self.epmd
            .names()
            .contains(&format!("beamtalk_workspace_{id}"))
    }
}

#[test]
fn lifecycle_create_list_status_stop() {
    let f = fixture();
    let created = f.json(&["workspace", "create"]);
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(
        id.len(),
        12,
        "an unnamed workspace gets the project's hash id"
    );
    assert_eq!(created["existed"], false);
    assert!(f.registered(&id));

    let again = f.json(&["workspace", "create"]);
    assert_eq!(
        (again["id"].as_str(), &again["existed"]),
        (Some(id.as_str()), &Value::Bool(true))
    );

    let list = f.json(&["workspace", "list"]);
    let row = &list["workspaces"][0];
    assert_eq!(
        (row["id"].as_str(), row["state"].as_str()),
        (Some(id.as_str()), Some("running"))
    );
    let canonical = f.project.path().canonicalize().expect("canonical");
    assert_eq!(row["project_path"].as_str(), canonical.to_str());

    let status = f.json(&["workspace", "status"]);
    let info = &status["info"];
    assert_eq!(
        info["id"].as_str(),
        Some(id.as_str()),
        "metadata comes from beamtalk_workspace_meta"
    );
    assert_eq!(info["project_path"].as_str(), canonical.to_str());
    assert!(info["memory"].as_i64().is_some_and(|m| m > 0));
    assert!(info["process_count"].as_i64().is_some_and(|n| n > 0));

    let (code, out, _, _) = f.bt(&["rpc", "-w", &id, "erlang", "node"]);
    assert_eq!(code, 0);
    assert!(out.contains(&format!("beamtalk_workspace_{id}@")), "{out}");

    let (code, out, err, _) = f.bt(&["workspace", "stop", &id]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("stopped"), "{out}");
    assert!(
        !f.registered(&id),
        "stop waits until EPMD no longer lists the node"
    );
    let list = f.json(&["workspace", "list"]);
    assert_eq!(list["workspaces"][0]["state"], "stopped");
    let (_, text, _, _) = f.bt(&["workspace", "list"]);
    assert!(
        text.lines().next().is_some_and(|h| h.starts_with("ID")),
        "{text}"
    );
}

#[test]
fn the_same_project_maps_to_the_same_id_from_anywhere() {
    let f = fixture();
    let links = tempfile::tempdir().expect("tempdir");
    let link = links.path().join("via-symlink");
    std::os::unix::fs::symlink(f.project.path(), &link).expect("symlink");
    let direct = f.json(&[
        "workspace",
        "create",
        "--project",
        f.project.path().to_str().expect("utf8"),
    ]);
    let mut cmd = beamtalk(&f.epmd, &f.ws.home);
    cmd.current_dir(&link)
        .args(["--json", "workspace", "create"]);
    let (code, out, err, _) = run(&mut cmd);
    assert_eq!(code, 0, "{err}");
    let via_link: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(direct["id"], via_link["id"]);
    assert_eq!(via_link["existed"], true);
}

#[test]
fn twenty_concurrent_creates_start_one_node() {
    let f = fixture();
    let children: Vec<_> = (0..20)
        .map(|_| {
            f.cmd(&["--json", "workspace", "create", "race"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    let mut started = 0;
    for child in children {
        let out = child.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).expect("json");
        if v["existed"] == false {
            started += 1;
        }
    }
    assert_eq!(
        started, 1,
        "exactly one create started a node; the others reported it"
    );
    let count = f
        .epmd
        .names()
        .iter()
        .filter(|n| *n == "beamtalk_workspace_race")
        .count();
    assert_eq!(count, 1);
    assert_eq!(f.ws.node_pids().len(), 1, "one node process");
}

#[test]
fn idle_workspaces_stop_themselves_and_cleanup_stops_idle_ones() {
    let f = fixture();
    f.json(&["workspace", "create", "sleepy", "--max-idle", "1500ms"]);
    f.json(&["workspace", "create", "busy"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while f.registered("sleepy") {
        assert!(
            Instant::now() < deadline,
            "the in-node idle monitor did not stop the workspace"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(f.registered("busy"));

    std::thread::sleep(Duration::from_millis(1200));
    let v = f.json(&["workspace", "cleanup", "--idle", "1s"]);
    assert_eq!(v["stopped"], serde_json::json!(["busy"]));
    assert!(!f.registered("busy"));
}

#[test]
fn cleanup_forgets_workspaces_stopped_for_longer_than_the_idle_limit() {
    let f = fixture();
    f.json(&["workspace", "create", "old"]);
    f.json(&["workspace", "create", "recent"]);
    f.json(&["workspace", "stop", "old"]);
    f.json(&["workspace", "stop", "recent"]);
    // "old" was last active two days ago.
    let dir = f.ws.home.path().join("workspaces");
    let two_days_ago = std::time::SystemTime::now() - Duration::from_secs(2 * 24 * 3600);
    for ext in ["json", "pid", "log"] {
        let path = dir.join(format!("old.{ext}"));
        if let Ok(file) = std::fs::File::options().write(true).open(&path) {
            file.set_modified(two_days_ago).expect("set mtime");
        }
    }
    let v = f.json(&["workspace", "cleanup", "--idle", "1d"]);
    assert_eq!(v["forgotten"], serde_json::json!(["old"]), "{v}");
    assert_eq!(v["stopped"], serde_json::json!([]), "{v}");
    let list = f.json(&["workspace", "list"]);
    let ids: Vec<&str> = list["workspaces"]
        .as_array()
        .expect("workspaces")
        .iter()
        .filter_map(|w| w["id"].as_str())
        .collect();
    assert_eq!(ids, ["recent"], "{list}");
}

#[test]
fn rpc_through_a_workspace_counts_as_activity() {
    let f = fixture();
    f.json(&["workspace", "create", "active"]);
    std::thread::sleep(Duration::from_millis(1200));
    let (code, _, _, _) = f.bt(&["rpc", "-w", "active", "erlang", "node"]);
    assert_eq!(code, 0);
    std::thread::sleep(Duration::from_millis(100));
    let v = f.json(&["workspace", "status", "active"]);
    assert!(
        v["info"]["idle_ms"].as_i64().is_some_and(|ms| ms < 1000),
        "{v}"
    );
}

#[test]
fn the_cookie_is_never_on_argv_and_distribution_is_loopback_only() {
    let f = fixture();
    f.json(&["workspace", "create", "secure"]);
    let ps = Command::new("ps")
        .args(["-eo", "args"])
        .output()
        .expect("ps");
    let ps = String::from_utf8_lossy(&ps.stdout);
    assert!(
        ps.contains("beamtalk_workspace_secure"),
        "the node is running"
    );
    assert!(
        !ps.contains(&f.ws.home.cookie()),
        "the cookie is on some process's argv"
    );
    // The kernel's socket table, read from outside the node: every socket listening on the node's
    // distribution port (as EPMD publishes it) is bound to loopback.
    let port = common::registered_port(f.epmd.port, "beamtalk_workspace_secure")
        .expect("the node is registered");
    let listening = common::listeners(port);
    assert!(!listening.is_empty(), "nothing listens on port {port}");
    assert!(
        listening.iter().all(|a| common::is_loopback(a)),
        "distribution listens on {listening:?}"
    );
}

#[test]
fn rename_and_switch() {
    let f = fixture();
    f.json(&["workspace", "create", "old_name"]);
    let v = f.json(&["workspace", "rename", "old_name", "new_name"]);
    assert_eq!(v["id"], "new_name");
    let status = f.json(&["workspace", "status", "new_name"]);
    assert_eq!(status["state"], "running", "the node keeps running");
    assert_eq!(status["info"]["id"], "new_name", "and knows its new id");
    let (code, _, _, _) = f.bt(&["workspace", "status", "old_name"]);
    assert_eq!(code, 3);

    f.json(&["workspace", "switch", "new_name"]);
    let here = f.json(&["workspace", "status"]);
    assert_eq!(
        here["id"], "new_name",
        "this project now uses the chosen workspace"
    );
}

#[test]
fn unknown_and_invalid_names() {
    let f = fixture();
    f.json(&["workspace", "create", "known"]);
    let (code, _, err, _) = f.bt(&["workspace", "stop", "nope"]);
    assert_eq!(code, 3);
    assert!(err.contains("known workspaces: known"), "{err}");
    let (code, _, _, _) = f.bt(&["workspace", "status", "nope"]);
    assert_eq!(code, 3);
    let (code, _, err, _) = f.bt(&["workspace", "create", "Bad-Name"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("lower-case"), "{err}");
}

#[test]
fn killed_workspace_shows_stopped_and_create_replaces_it() {
    let f = fixture();
    f.json(&["workspace", "create", "victim"]);
    for pid in f.ws.node_pids() {
        Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .expect("kill");
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while f.registered("victim") {
        assert!(
            Instant::now() < deadline,
            "EPMD still lists the killed node"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let list = f.json(&["workspace", "list"]);
    assert_eq!(list["workspaces"][0]["state"], "stopped");
    let again = f.json(&["workspace", "create", "victim"]);
    assert_eq!(
        again["existed"], false,
        "a stale entry is replaced by a new node"
    );
    assert!(f.registered("victim"));
}

#[test]
fn a_node_that_dies_during_boot_reports_why_and_leaves_no_entry() {
    let f = fixture();
    f.json(&["workspace", "create", "first"]);
    f.bt(&["workspace", "stop", "first"]);
    // Corrupt the installed runtime: the workspace application cannot start.
    let runtime = f.ws.home.path().join("runtime");
    let version = std::fs::read_dir(&runtime)
        .expect("installed")
        .flatten()
        .next()
        .expect("a version")
        .path();
    let app = version.join("lib/beamtalk_workspace/ebin/beamtalk_workspace_app.beam");
    std::fs::write(&app, b"not a beam file").expect("corrupt");
    let (code, _, err, _) = f.bt(&["workspace", "create", "doomed"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("failed to start"), "{err}");
    assert!(
        err.contains("beamtalk_workspace_app"),
        "the node's own reason is shown: {err}"
    );
    let list = f.json(&["workspace", "list"]);
    let ids: Vec<_> = list["workspaces"]
        .as_array()
        .expect("array")
        .iter()
        .map(|w| w["id"].clone())
        .collect();
    assert!(
        !ids.contains(&Value::from("doomed")),
        "the registry was cleaned: {ids:?}"
    );
}

#[test]
fn missing_erl_says_how_to_install() {
    let f = fixture();
    let mut cmd = f.cmd(&["workspace", "create", "noerl"]);
    cmd.env("PATH", "/nonexistent");
    let (code, _, err, _) = run(&mut cmd);
    assert_eq!(code, 1);
    assert!(err.contains("`erl` was not found"), "{err}");
    assert!(err.contains("apt-get install erlang"), "{err}");
}

#[test]
fn create_brings_up_epmd_when_none_runs() {
    let f = fixture();
    let port = common::free_port();
    let mut cmd = f.cmd(&["--json", "workspace", "create", "fresh"]);
    cmd.env("ERL_EPMD_PORT", port.to_string());
    let (code, _, err, _) = run(&mut cmd);
    let names = Command::new("epmd")
        .args(["-port", &port.to_string(), "-names"])
        .output()
        .expect("epmd");
    drop(f);
    common::kill_epmd(port);
    assert_eq!(code, 0, "{err}");
    assert!(String::from_utf8_lossy(&names.stdout).contains("beamtalk_workspace_fresh"));
}

#[test]
fn a_stopped_workspace_comes_back_when_epmd_is_gone_too() {
    // As after a reboot: the workspace is known, its node stopped, and no EPMD runs.
    let mut f = fixture();
    let (code, _, err, _) = f.bt(&["workspace", "create", "back"]);
    assert_eq!(code, 0, "{err}");
    f.bt(&["eval", "-w", "back", "kept := 41"]);
    let (code, _, err, _) = f.bt(&["workspace", "stop", "back"]);
    assert_eq!(code, 0, "{err}");
    f.epmd.kill();
    let (code, out, err, _) = f.bt(&["eval", "-w", "back", "1 + 1"]);
    let port = f.epmd.port;
    let registered = f.registered("back");
    drop(f);
    common::kill_epmd(port);
    assert_eq!((code, out.trim()), (0, "2"), "{err}");
    assert!(err.contains("Started workspace back"), "{err}");
    assert!(
        registered,
        "the node registered with the EPMD it brought up"
    );
}

#[test]
fn stop_all() {
    let f = fixture();
    f.json(&["workspace", "create", "one"]);
    f.json(&["workspace", "create", "two"]);
    let v = f.json(&["workspace", "stop", "--all"]);
    assert_eq!(v["stopped"], serde_json::json!(["one", "two"]));
    assert!(!f.registered("one") && !f.registered("two"));
    assert!(
        Path::new(&f.ws.home.path().join("workspaces/one.json")).exists(),
        "entries are kept"
    );
}

#[test]
fn a_launcher_in_the_environment_leaves_local_workspaces_alone() {
    let f = fixture();
    let (code, out, err, _) = run(f
        .cmd(&["workspace", "create", "here"])
        .env("BEAMTALK_LAUNCHER", "ssh -o BatchMode=yes elsewhere"));
    assert_eq!(code, 0, "{out}{err}");
    assert!(f.registered("here"));
    let entry =
        std::fs::read_to_string(f.ws.home.path().join("workspaces/here.json")).expect("entry");
    assert!(
        !entry.contains("launcher") && !entry.contains("host"),
        "{entry}"
    );
    let (code, _, err, _) = f.bt(&["workspace", "create", "there", "--insecure"]);
    assert_eq!(code, 2, "--insecure needs --host: {err}");
}

#[test]
fn commands_that_start_a_node_say_so_and_named_workspaces_must_exist() {
    let f = fixture();
    let (code, out, err, _) = f.bt(&["eval", "-w", "nosuch", "1"]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(err.contains("no workspace named `nosuch`"), "{err}");
    assert!(f.ws.node_pids().is_empty(), "nothing was started");
    std::fs::write(
        f.project.path().join("x.bt"),
        "Object subclass: X\n  y => 1\n",
    )
    .expect("write");
    for cmd in [
        &["load", "-w", "nosuch", "x.bt"][..],
        &["repl", "-w", "nosuch"],
    ] {
        let (code, _, err, _) = f.bt(cmd);
        assert_eq!(code, 3, "{cmd:?}: {err}");
    }

    let (code, out, err, _) = f.bt(&["eval", "-w", "nosuch", "--create", "1 + 1"]);
    assert_eq!((code, out.trim()), (0, "2"), "{err}");
    assert!(
        err.contains("Started workspace nosuch (node beamtalk_workspace_nosuch@")
            && err.contains("4h idle")
            && err.contains("beamtalk workspace stop nosuch"),
        "{err}"
    );
    let (code, _, err, _) = f.bt(&["eval", "-w", "nosuch", "1"]);
    assert_eq!(
        (code, err.as_str()),
        (0, ""),
        "a running workspace is just used"
    );

    // The project's own workspace is created on demand, and that is said once.
    let (code, _, err, _) = f.bt(&["eval", "3"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("Started workspace "), "{err}");
    let (_, _, err, _) = f.bt(&["eval", "3"]);
    assert!(err.is_empty(), "{err}");
}

#[test]
fn rm_forgets_stopped_workspaces_and_list_marks_the_selected_one() {
    let f = fixture();
    f.json(&["workspace", "create", "aa"]);
    f.json(&["workspace", "create", "bb"]);
    f.json(&["workspace", "switch", "bb"]);
    let (_, text, _, _) = f.bt(&["workspace", "list"]);
    assert!(
        text.lines().any(|l| l.starts_with("bb *")) && !text.contains("aa *"),
        "{text}"
    );
    let v = f.json(&["workspace", "list"]);
    let selected: Vec<&str> = v["workspaces"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["selected"] == true)
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(selected, ["bb"]);

    let (code, _, err, _) = f.bt(&["workspace", "rm", "aa"]);
    assert_eq!(code, 1, "a running workspace is not removed: {err}");
    assert!(err.contains("stop it before removing it"), "{err}");
    f.json(&["workspace", "stop", "aa"]);
    let (code, out, err, _) = f.bt(&["workspace", "rm", "aa"]);
    assert_eq!((code, out.trim()), (0, "Workspace aa removed."), "{err}");
    let dir = f.ws.home.path().join("workspaces");
    let left: Vec<String> = std::fs::read_dir(&dir)
        .expect("registry")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("aa."))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let (code, _, _, _) = f.bt(&["workspace", "rm", "aa"]);
    assert_eq!(code, 3, "it is unknown now");

    f.json(&["workspace", "stop", "bb"]);
    let (code, out, _, _) = f.bt(&["workspace", "stop", "--all"]);
    assert_eq!(code, 0);
    assert!(out.contains("No workspace was running."), "{out}");
}

/// `rpc -w` without a name calls the project's workspace; its node named directly is still called with
/// the home's cookie (workspaces keep their own), whatever `~/.erlang.cookie` holds.
#[test]
fn rpc_dash_w_alone_means_the_projects_workspace() {
    let p = common::Project::new();
    let (code, _, err, _) = common::run(&mut p.cmd(&["eval", "1"]));
    assert_eq!(code, 0, "{err}");
    let (code, node, err, _) = common::run(&mut p.cmd(&["rpc", "-w", "erlang", "node"]));
    assert_eq!(code, 0, "{err}");
    assert!(node.trim().starts_with("beamtalk_workspace_"), "{node}");
    let (code, out, err, _) =
        common::run(&mut p.cmd(&["rpc", "-w", "", "lists", "reverse", "[1,2]"]));
    assert_eq!((code, out.trim()), (0, "[2,1]"), "{err}");

    let stranger = tempfile::tempdir().expect("tempdir");
    std::fs::write(stranger.path().join(".erlang.cookie"), "SOMEOTHERCOOKIE").expect("write");
    let mut cmd = p.cmd(&["rpc", node.trim(), "erlang", "node"]);
    cmd.env_remove("BEAMTALK_COOKIE_FILE")
        .env("HOME", stranger.path());
    let (code, out, err, _) = common::run(&mut cmd);
    assert_eq!((code, out.trim()), (0, node.trim()), "{err}");
}
