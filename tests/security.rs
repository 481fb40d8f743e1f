//! Security of a workspace node as an attacker would try it: nodes with the cookies a booting node might
//! accept (`nocookie`, empty, wrong) connect in a loop while workspaces are created and served; crash
//! dumps and the EPMD a workspace starts are checked from outside the node.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Project, run};

/// An Erlang node that tries to connect to `target` every millisecond until `stop` exists, then prints
/// how many attempts it made and how many got in.
struct Attacker {
    label: String,
    child: Option<Child>,
    out: Option<BufReader<ChildStdout>>,
}

const ATTACK_LOOP: &str = r#"
T = list_to_atom(os:getenv("BT_TARGET")), Stop = os:getenv("BT_STOP"),
io:format("attacking~n"),
L = fun L(N, B) ->
      case filelib:is_file(Stop) of
        true -> io:format("attempts ~b breaches ~b~n", [N, B]), halt();
        false ->
          B1 = case net_kernel:connect_node(T) of
                 true -> erlang:disconnect_node(T), B + 1;
                 _ -> B
               end,
          receive after 1 -> ok end,
          L(N + 1, B1)
      end
    end,
L(0, 0)."#;

impl Attacker {
    /// `cookie: None` is a node that knows the real cookie (the control: it must get in).
    fn start(p: &Project, cookie: Option<&str>, target: &str, long: bool, stop: &Path) -> Self {
        let name = common::unique("attacker");
        let mut cmd = Command::new("erl");
        match long {
            true => cmd.args(["-name", &format!("{name}@127.0.0.1")]),
            false => cmd.args(["-sname", &name]),
        };
        // Erlang reads $HOME/.erlang.cookie when no -setcookie is given: the test home has the real one.
        cmd.env("HOME", p.ws.home.path());
        if let Some(c) = cookie {
            cmd.args(["-setcookie", c]);
        }
        let child = cmd
            .args(["-noshell", "-noinput", "-eval", ATTACK_LOOP])
            .env("ERL_EPMD_PORT", p.epmd.port.to_string())
            .env("BT_TARGET", target)
            .env("BT_STOP", stop)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("erl runs (scripts/setup.sh installs it)");
        let mut attacker = Self {
            label: cookie.map_or("the real cookie".to_owned(), |c| format!("cookie {c:?}")),
            child: Some(child),
            out: None,
        };
        // The attack is under way before anything is created.
        let stdout = attacker.child.as_mut().and_then(|c| c.stdout.take());
        let mut out = BufReader::new(stdout.expect("piped stdout"));
        let mut first = String::new();
        out.read_line(&mut first).expect("attacker output");
        assert_eq!(
            first.trim(),
            "attacking",
            "the attacker with {} did not start",
            attacker.label
        );
        attacker.out = Some(out);
        attacker
    }

    /// (attempts, breaches), once `stop` exists.
    fn result(mut self) -> (u64, u64) {
        let mut text = String::new();
        self.out
            .take()
            .expect("started")
            .read_to_string(&mut text)
            .expect("attacker output");
        let _ = self.child.take().expect("running").wait();
        let numbers: Vec<u64> = text
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect();
        match numbers[..] {
            [attempts, breaches] => (attempts, breaches),
            _ => panic!("attacker with {} printed {text:?}", self.label),
        }
    }
}

impl Drop for Attacker {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn host() -> String {
    beamtalk::dist::node_name::short_hostname()
}

/// Starts attackers with the cookies a booting node might accept, and a control with the real one.
fn attackers(p: &Project, target: &str, long: bool, stop: &Path) -> Vec<Attacker> {
    [Some("nocookie"), Some(""), Some("WRONGCOOKIE"), None]
        .into_iter()
        .map(|c| Attacker::start(p, c, target, long, stop))
        .collect()
}

/// Stops the attackers and checks that none but the control got in, each real attacker having tried at
/// least `min` times; returns their attempts.
fn verdict(attackers: Vec<Attacker>, stop: &Path, min: u64) -> u64 {
    std::fs::write(stop, "").expect("stop file");
    let mut attempts = 0;
    for a in attackers {
        let label = a.label.clone();
        let (tried, got_in) = a.result();
        // The control only has to prove a breach would be seen; the attackers must have kept trying.
        assert!(
            label == "the real cookie" || tried >= min,
            "attacker with {label} tried only {tried} times"
        );
        if label == "the real cookie" {
            assert!(
                got_in > 0,
                "the control attacker never got in: the loop cannot detect a breach"
            );
        } else {
            assert_eq!(got_in, 0, "an attacker with {label} connected");
            attempts += tried;
        }
    }
    attempts
}

#[test]
fn no_wrong_cookie_ever_connects_during_twenty_creates() {
    let p = Project::new();
    let stop = p.project.path().join("stop-attack");
    let target = format!("beamtalk_workspace_atk@{}", host());
    let atk = attackers(&p, &target, false, &stop);
    for round in 0..20 {
        let (code, _, err, _) = run(&mut p.cmd(&["workspace", "create", "atk"]));
        assert_eq!(code, 0, "create {round}: {err}");
        let (code, _, err, _) = run(&mut p.cmd(&["workspace", "stop", "atk"]));
        assert_eq!(code, 0, "stop {round}: {err}");
    }
    // The control connects only while a node runs: give it one.
    let (code, _, err, _) = run(&mut p.cmd(&["workspace", "create", "atk"]));
    assert_eq!(code, 0, "{err}");
    wait_until(Duration::from_secs(10), || {
        control_connected(&p, &["-w", "atk"])
    });
    let attempts = verdict(atk, &stop, 50);
    eprintln!("attack trial (20 creates): {attempts} attempts by wrong cookies, 0 successes");
}

#[test]
fn no_wrong_cookie_ever_connects_while_a_node_is_served() {
    let p = Project::new();
    let stop = p.project.path().join("stop-attack");
    let target = "beamtalk_workspace_srv@127.0.0.1";
    let atk = attackers(&p, target, true, &stop);
    let mut serve = p.cmd(&[
        "workspace",
        "serve",
        "srv",
        "--host",
        "127.0.0.1",
        "--insecure",
    ]);
    let serve = Served(
        serve
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve"),
    );
    wait_until(Duration::from_secs(30), || {
        p.epmd
            .names()
            .contains(&"beamtalk_workspace_srv".to_owned())
    });
    wait_until(Duration::from_secs(10), || control_connected(&p, &[target]));
    let attempts = verdict(atk, &stop, 20);
    drop(serve);
    eprintln!("attack trial (serve --insecure): {attempts} attempts by wrong cookies, 0 successes");
}

/// `workspace serve` runs the node in the foreground; it is killed with the test.
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether the control attacker is connected to the node `rpc_target` names (`-w ID` or a node name).
fn control_connected(p: &Project, rpc_target: &[&str]) -> bool {
    let mut args = vec!["rpc"];
    args.extend_from_slice(rpc_target);
    args.extend(["erlang", "nodes"]);
    let (code, out, _, _) = run(&mut p.cmd(&args));
    code == 0 && out.contains("attacker")
}

fn wait_until(limit: Duration, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !ok() {
        assert!(
            Instant::now() < deadline,
            "condition not met within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_crash_dump_is_readable_by_its_owner_only() {
    let p = Project::new();
    let (code, _, err, _) = run(&mut p.cmd(&["workspace", "create", "dumpy"]));
    assert_eq!(code, 0, "{err}");
    // halt/1 with a string writes a crash dump (the dump holds the cookie).
    let (code, _, _, _) = run(&mut p.cmd(&["rpc", "-w", "dumpy", "erlang", "halt", "\"boom\""]));
    assert_eq!(code, 3, "the node went down during the call");
    let dump: PathBuf = p.ws.home.path().join("workspaces/dumpy.crashdump");
    wait_until(Duration::from_secs(20), || {
        std::fs::read_to_string(&dump).is_ok_and(|t| t.contains("Slogan: boom"))
    });
    let mode = std::fs::metadata(&dump).expect("dump").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "crash dump mode {mode:o}");
}

#[test]
fn the_epmd_a_workspace_starts_and_its_distribution_listen_on_loopback_only() {
    let p = Project::new();
    let port = common::free_port();
    let mut cmd = p.cmd(&["workspace", "create", "lo"]);
    cmd.env("ERL_EPMD_PORT", port.to_string());
    let (code, _, err, _) = run(&mut cmd);
    let epmd_listeners = common::listeners(port);
    let dist_port = common::registered_port(port, "beamtalk_workspace_lo");
    let dist = dist_port.map(common::listeners).unwrap_or_default();
    drop(p);
    common::kill_epmd(port);
    assert_eq!(code, 0, "{err}");
    assert!(
        !epmd_listeners.is_empty(),
        "nothing listens on epmd's port {port}"
    );
    assert!(
        epmd_listeners.iter().all(|a| common::is_loopback(a)),
        "epmd listens on {epmd_listeners:?}"
    );
    assert!(
        !dist.is_empty() && dist.iter().all(|a| common::is_loopback(a)),
        "distribution listens on {dist:?}"
    );
}
