//! `beamtalk workspace observer`: OTP's Observer on its own hidden node, showing the workspace node, under
//! a virtual X display (`xvfb-run`). Needs `xvfb-run` and Erlang's observer application
//! (`scripts/setup.sh --for-tests` installs them); skipped, visibly, elsewhere, and a failure under
//! `CI=true`.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::run;

/// `xvfb-run` and what it started (the X server, the Observer node), all in one process group: dropping
/// this ends them even when the test fails.
struct Display {
    child: Child,
}

impl Drop for Display {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        // TERM, not KILL: xvfb-run stops its X server when it is told to end.
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.child.wait();
    }
}

fn observer_available() -> bool {
    let xvfb = Command::new("sh")
        .args(["-c", "command -v xvfb-run"])
        .output()
        .is_ok_and(|o| o.status.success());
    let observer = Command::new("erl")
        .args([
            "-noshell",
            "-eval",
            "halt(case code:lib_dir(observer) of {error,_} -> 1; _ -> 0 end).",
        ])
        .status()
        .is_ok_and(|s| s.success());
    xvfb && observer
}

/// The lines `child` prints on stdout, as they come.
fn stdout_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let out = child.stdout.take().expect("piped stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn rpc(f: &common::Project, args: &[&str]) -> String {
    let mut all = vec!["rpc", "-w", "ob"];
    all.extend_from_slice(args);
    let (code, out, err, _) = run(&mut f.cmd(&all));
    assert_eq!(code, 0, "beamtalk {all:?}: {err}");
    out.trim().to_owned()
}

#[test]
fn observer_shows_the_workspace_node_and_closing_it_keeps_the_workspace() {
    if !observer_available() {
        common::cannot_run(
            "the Observer test needs xvfb-run and Erlang's observer application (scripts/setup.sh --for-tests)",
        );
        return;
    }
    let f = common::Project::new();
    let (code, _, err, _) = run(&mut f.cmd(&["workspace", "create", "ob"]));
    assert_eq!(code, 0, "{err}");
    let mut cmd = Command::new("xvfb-run");
    cmd.arg("-a")
        .arg(common::binary())
        .args(["workspace", "observer", "ob"])
        .envs(f.cmd(&[]).get_envs().filter_map(|(k, v)| Some((k, v?))))
        .current_dir(f.project.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut display = Display {
        child: cmd.spawn().expect("spawn xvfb-run"),
    };
    let lines = stdout_lines(&mut display.child);
    let connected = lines
        .recv_timeout(Duration::from_secs(60))
        .expect("Observer reports where it is connected");
    assert!(
        connected.starts_with("Observer connected to beamtalk_workspace_ob@"),
        "{connected}"
    );

    // The workspace sees the Observer node, and Observer itself shows the workspace node.
    let hidden = rpc(&f, &["erlang", "nodes", "hidden"]);
    let observer_node = hidden
        .trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .find(|n| n.starts_with("beamtalk_observer_"))
        .unwrap_or_else(|| panic!("no Observer node among the workspace's hidden peers: {hidden}"))
        .to_owned();
    let shown = rpc(
        &f,
        &[
            "erpc",
            "call",
            &observer_node,
            "observer_wx",
            "get_active_node",
            "[]",
        ],
    );
    let workspace_node = rpc(&f, &["erlang", "node"]);
    assert_eq!(shown, workspace_node, "the node Observer shows");

    // Closing Observer ends its node; the workspace runs on.
    // A cast: the node halts as Observer closes, before a call could answer.
    rpc(
        &f,
        &["erpc", "cast", &observer_node, "observer", "stop", "[]"],
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = display.child.try_wait().expect("wait for xvfb-run") {
            break status;
        }
        assert!(Instant::now() < deadline, "the Observer node did not end");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "xvfb-run ended with {status}");
    let (code, out, _, _) = run(&mut f.cmd(&["workspace", "status", "ob"]));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("running"), "the workspace still runs: {out}");
}

#[test]
fn observer_without_a_display_says_what_to_do() {
    let f = common::Project::new();
    run(&mut f.cmd(&["workspace", "create", "ob"]));
    let (code, _, err, _) = run(f
        .cmd(&["workspace", "observer", "ob"])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("Observer needs a display"), "{err}");
    assert!(err.contains("xvfb-run"), "{err}");
}
