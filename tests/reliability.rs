//! Reliability under load, faults and bad disks, bounded in time and count.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use beamtalk::dist::{Connection, NodeName};
use common::{connect_options, run};
use eetf::{FixInteger, Term};

type Fixture = common::Project;

impl Fixture {
    fn started() -> Self {
        common::Project::new()
    }

    fn ok(&self, args: &[&str]) -> String {
        let (code, out, err, _) = run(&mut self.cmd(args));
        assert_eq!(code, 0, "{args:?}: {out}{err}");
        out.trim_end().to_owned()
    }

    /// The pid of workspace `id`'s node.
    fn node_pid(&self, id: &str) -> String {
        let out = Command::new("pgrep")
            .args([
                "-f",
                &format!(
                    "sname beamtalk_workspace_{id} .*{}",
                    self.ws.home.path().display()
                ),
            ])
            .output()
            .expect("pgrep");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .expect("the node runs")
            .to_owned()
    }

    /// Runs `beamtalk ARGS`, waits until the work it started on workspace `id`'s node has set the
    /// persistent term `marker` (so the kill lands in the middle of it), kills the node, and checks the CLI
    /// then fails with exit 3 within 2 s.
    fn fails_promptly_when_killed(&self, args: &[&str], id: &str, marker: &str) {
        let child = self
            .cmd(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        self.wait_for_marker(id, marker);
        self.kill_node(id);
        common::exits_unreachable_promptly(child, Instant::now());
    }

    /// Polls workspace `id` until `persistent_term:get(marker, false)` is true.
    fn wait_for_marker(&self, id: &str, marker: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.ok(&["rpc", "-w", id, "persistent_term", "get", marker, "false"]) != "true" {
            assert!(
                Instant::now() < deadline,
                "the work never started ({marker})"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn kill_node(&self, id: &str) {
        let pid = self.node_pid(id);
        Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .expect("kill");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_clients_times_a_thousand_rpcs_all_answered_correctly() {
    let f = Fixture::started();
    f.ok(&["workspace", "create", "load"]);
    let node = NodeName::parse(&format!(
        "beamtalk_workspace_load@{}",
        beamtalk::dist::node_name::short_hostname()
    ))
    .expect("name");
    let opts = connect_options(&f.epmd, &f.ws.home);
    let started = Instant::now();
    let clients: Vec<_> = (0..100)
        .map(|client| {
            let (node, opts) = (node.clone(), opts.clone());
            tokio::spawn(async move {
                let conn = Connection::connect(&node, &opts).await.expect("connects");
                for i in 0..1000 {
                    let n = client * 100_000 + i;
                    let arg = Term::from(FixInteger::from(-n));
                    let r = conn
                        .call("erlang", "abs", vec![arg], Duration::from_secs(30))
                        .await
                        .expect("answered");
                    assert_eq!(
                        r,
                        Term::from(FixInteger::from(n)),
                        "client {client} call {i}"
                    );
                }
                conn.shutdown(Duration::from_secs(1)).await;
            })
        })
        .collect();
    for c in clients {
        c.await.expect("client");
    }
    eprintln!("100 clients × 1,000 RPCs in {:?}", started.elapsed());
}

#[test]
fn a_node_killed_mid_eval_fails_the_cli_promptly_and_spares_the_rest() {
    let f = Fixture::started();
    f.ok(&["workspace", "create", "victim"]);
    f.ok(&["workspace", "create", "bystander"]);
    f.ok(&["eval", "-w", "bystander", "x := 7"]);
    f.fails_promptly_when_killed(
        &[
            "eval",
            "-w",
            "victim",
            "Erlang persistent_term put: #looping with: true. [true] whileTrue: []",
        ],
        "victim",
        "looping",
    );
    assert_eq!(
        f.ok(&["eval", "-w", "bystander", "x"]),
        "7",
        "the other workspace is untouched"
    );
    let list = f.ok(&["--json", "workspace", "list"]);
    let v: serde_json::Value = serde_json::from_str(&list).expect("json");
    let states: Vec<(String, String)> = v["workspaces"]
        .as_array()
        .expect("array")
        .iter()
        .map(|w| {
            (
                w["id"].as_str().unwrap_or("").to_owned(),
                w["state"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert!(
        states.contains(&("victim".to_owned(), "stopped".to_owned())),
        "{states:?}"
    );
    assert!(
        states.contains(&("bystander".to_owned(), "running".to_owned())),
        "{states:?}"
    );
}

#[test]
fn a_node_killed_mid_hot_reload_fails_the_load_promptly() {
    let f = Fixture::started();
    f.ok(&["workspace", "create", "reload"]);
    let file = f.project.path().join("slow.bt");
    std::fs::write(&file, "Actor subclass: Slow\n  state: a = 0\n").expect("write");
    f.ok(&["load", "-w", "reload", file.to_str().expect("utf8")]);
    f.ok(&["eval", "-w", "reload", "s := Slow spawn"]);
    // The new version's migration takes long: the node dies in the middle of it.
    std::fs::write(&file, "Actor subclass: Slow\n  state: a = 0\n  state: b = 1\n  migrateFrom: old => Erlang persistent_term put: #migrating with: true. Erlang timer sleep: 10000\n")
        .expect("write");
    f.fails_promptly_when_killed(
        &["load", "-w", "reload", file.to_str().expect("utf8")],
        "reload",
        "migrating",
    );
    assert!(
        f.ws.home.path().join("workspaces/reload.json").exists(),
        "the registry entry is intact"
    );
}

#[test]
fn kill_9_of_the_cli_during_an_eval_leaves_the_workspace_intact() {
    let f = Fixture::started();
    f.ok(&["workspace", "create", "steady"]);
    let file = f.project.path().join("counter.bt");
    std::fs::write(
        &file,
        "Actor subclass: Counter\n  state: n = 0\n  bump => self.n := self.n + 1\n",
    )
    .expect("write");
    f.ok(&["load", "-w", "steady", file.to_str().expect("utf8")]);
    f.ok(&[
        "eval",
        "-w",
        "steady",
        "c := Counter spawn. c bump. kept := 1",
    ]);
    let mut child = f
        .cmd(&[
            "eval",
            "-w",
            "steady",
            "Erlang persistent_term put: #looping with: true. [true] whileTrue: [c bump]",
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn");
    f.wait_for_marker("steady", "looping");
    Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .expect("kill");
    let _ = child.wait();
    assert_eq!(f.ok(&["eval", "-w", "steady", "kept"]), "1");
    // The node notices the CLI's connection is gone and stops the orphaned evaluation: wait until no
    // evaluation is left running there.
    let deadline = Instant::now() + Duration::from_secs(10);
    while f.ok(&["eval", "-w", "steady", "Erlang beamtalk_repl_eval running"]) != "1" {
        assert!(
            Instant::now() < deadline,
            "the orphaned evaluation kept running"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let bump = || -> i64 {
        f.ok(&["eval", "-w", "steady", "c bump"])
            .parse()
            .expect("a number")
    };
    let n = bump();
    assert!(n > 2, "the orphaned evaluation had been bumping ({n})");
    // Nothing else bumps the counter any more: a second look, a while later, sees only our own bump.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        bump(),
        n + 1,
        "the orphaned evaluation was stopped, not left bumping"
    );
}

/// Runs `f` with `dir` on a tiny tmpfs (root only; skipped with a message otherwise, a failure under
/// CI=true).
fn on_small_tmpfs(dir: &std::path::Path, f: impl FnOnce()) {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    if !is_root {
        common::cannot_run("mounting a tmpfs needs root");
        return;
    }
    std::fs::create_dir_all(dir).expect("mkdir");
    let mounted = Command::new("mount")
        .args([
            "-t",
            "tmpfs",
            "-o",
            "size=64k",
            "tmpfs",
            dir.to_str().expect("utf8"),
        ])
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        common::cannot_run("cannot mount a tmpfs here");
        return;
    }
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    let _ = Command::new("umount")
        .args(["-l", dir.to_str().expect("utf8")])
        .status();
    if let Err(p) = result {
        std::panic::resume_unwind(p);
    }
}

#[test]
fn a_full_or_read_only_registry_gives_a_clear_error_and_nothing_half_written() {
    let f = Fixture::started();
    let registry = f.ws.home.path().join("workspaces");
    on_small_tmpfs(&registry, || {
        // Full: a file takes all the room.
        let _ = Command::new("dd")
            .args([
                "if=/dev/zero",
                &format!("of={}/filler", registry.display()),
                "bs=4k",
                "count=100",
            ])
            .stderr(Stdio::null())
            .status();
        let (code, _, err, _) = run(&mut f.cmd(&["workspace", "create", "nospace"]));
        assert_ne!(code, 0);
        assert!(
            err.contains("No space left on device") && err.contains("workspaces"),
            "{err}"
        );
        let leftovers: Vec<_> = std::fs::read_dir(&registry)
            .expect("read")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp-") || n.ends_with(".json"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        assert!(f.ws.node_pids().is_empty(), "no node was started");

        // Read-only.
        std::fs::remove_file(registry.join("filler")).expect("rm");
        Command::new("mount")
            .args(["-o", "remount,ro", registry.to_str().expect("utf8")])
            .status()
            .expect("remount");
        let (code, _, err, _) = run(&mut f.cmd(&["workspace", "create", "readonly"]));
        assert_ne!(code, 0);
        assert!(err.contains("Read-only file system"), "{err}");
        assert!(f.ws.node_pids().is_empty(), "no node was started");
    });
}
