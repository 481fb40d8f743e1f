//! Across hosts without docker: two Linux network namespaces joined by a veth pair, epmd and a node in one,
//! the CLI in the other. Needs root (skipped with a message otherwise); traffic stays inside the pair.

mod common;

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use common::{Home, run};

fn ip(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Two namespaces, `a` (10.201.N.1) and `b` (10.201.N.2), deleted (with their veth pair) on drop.
struct Pair {
    a: String,
    b: String,
    subnet: u32,
    children: Vec<Child>,
}

impl Pair {
    fn new() -> Option<Self> {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let subnet = (std::process::id() + n) % 200 + 20;
        let tag = format!("{}{n}", std::process::id() % 10_000);
        let pair = Self {
            a: format!("bta{tag}"),
            b: format!("btb{tag}"),
            subnet,
            children: Vec::new(),
        };
        let (va, vb) = (format!("va{tag}"), format!("vb{tag}"));
        let ok = ip(&["netns", "add", &pair.a])
            && ip(&["netns", "add", &pair.b])
            && ip(&["link", "add", &va, "type", "veth", "peer", "name", &vb])
            && ip(&["link", "set", &va, "netns", &pair.a])
            && ip(&["link", "set", &vb, "netns", &pair.b])
            && ip(&[
                "-n",
                &pair.a,
                "addr",
                "add",
                &format!("{}/24", pair.ip_a()),
                "dev",
                &va,
            ])
            && ip(&[
                "-n",
                &pair.b,
                "addr",
                "add",
                &format!("10.201.{subnet}.2/24"),
                "dev",
                &vb,
            ])
            && ip(&["-n", &pair.a, "link", "set", &va, "up"])
            && ip(&["-n", &pair.b, "link", "set", &vb, "up"])
            && ip(&["-n", &pair.a, "link", "set", "lo", "up"])
            && ip(&["-n", &pair.b, "link", "set", "lo", "up"]);
        if ok {
            Some(pair)
        } else {
            eprintln!("skipped: cannot create network namespaces here (needs root and iproute2)");
            None
        }
    }

    fn ip_a(&self) -> String {
        format!("10.201.{}.1", self.subnet)
    }

    /// `cmd` run inside namespace `ns`.
    fn exec(ns: &str, cmd: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns, cmd]);
        c
    }

    /// Starts epmd and a long-named node in `a`, the node reading `home`'s cookie.
    fn start_node(&mut self, home: &Home) -> String {
        let epmd = Self::exec(&self.a, "epmd")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("epmd");
        self.children.push(epmd);
        let node = format!("remote@{}", self.ip_a());
        let erl = Self::exec(&self.a, "erl")
            .args(["-name", &node, "-noshell", "-noinput"])
            .env("HOME", home.path())
            .env_remove("ERL_EPMD_PORT")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("erl");
        self.children.push(erl);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let names = Self::exec(&self.a, "epmd")
                .arg("-names")
                .output()
                .expect("epmd -names");
            if String::from_utf8_lossy(&names.stdout).contains("name remote ") {
                return node;
            }
            assert!(
                Instant::now() < deadline,
                "the node did not register in namespace {}",
                self.a
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `beamtalk ARGS` run in namespace `b`.
    fn beamtalk(&self, home: &Home, args: &[&str]) -> Command {
        let mut c = Self::exec(&self.b, env!("CARGO_BIN_EXE_beamtalk"));
        c.args(args)
            .env("BEAMTALK_HOME", home.path())
            .env("BEAMTALK_COOKIE_FILE", home.cookie_file())
            .env_remove("ERL_EPMD_PORT");
        c
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        ip(&["netns", "del", &self.a]);
        ip(&["netns", "del", &self.b]);
    }
}

#[test]
fn rpc_reaches_a_node_on_another_host() {
    let Some(mut pair) = Pair::new() else { return };
    let home = Home::new();
    let node = pair.start_node(&home);
    let (code, out, err, _) = run(&mut pair.beamtalk(&home, &["rpc", &node, "erlang", "node"]));
    assert_eq!(
        (code, out.trim()),
        (0, format!("'{node}'").as_str()),
        "{err}"
    );
    let (code, out, _, _) =
        run(&mut pair.beamtalk(&home, &["rpc", &node, "lists", "reverse", "[1,2,3]"]));
    assert_eq!((code, out.trim()), (0, "[3,2,1]"));
    let (code, out, _, _) = run(&mut pair.beamtalk(&home, &["nodes", "--host", &pair.ip_a()]));
    assert_eq!(code, 0);
    assert!(out.starts_with("remote\t"), "{out}");
}

#[test]
fn remote_failures_are_told_apart() {
    let Some(mut pair) = Pair::new() else { return };
    let home = Home::new();
    let node = pair.start_node(&home);

    let wrong = Home::new();
    std::fs::write(wrong.cookie_file(), "NOT_THE_COOKIE").expect("write");
    let mut cmd = pair.beamtalk(&home, &["rpc", &node, "erlang", "node"]);
    cmd.env("BEAMTALK_COOKIE_FILE", wrong.cookie_file());
    let (code, _, err, _) = run(&mut cmd);
    assert_eq!(code, 4, "cookie mismatch: {err}");

    let absent = format!("ghost@10.201.{}.9", pair.subnet);
    let (code, _, err, took) = run(&mut pair.beamtalk(
        &home,
        &["--timeout", "1s", "rpc", &absent, "erlang", "node"],
    ));
    assert!(code == 3 || code == 5, "unreachable host: {code} {err}");
    assert!(took < Duration::from_secs(4), "took {took:?}");

    let (code, _, err, _) = run(&mut pair.beamtalk(
        &home,
        &["rpc", &format!("nobody@{}", pair.ip_a()), "erlang", "node"],
    ));
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("registered: remote"), "{err}");

    // EPMD gone on the remote host.
    if let Some(epmd) = pair.children.first_mut() {
        let _ = epmd.kill();
        let _ = epmd.wait();
    }
    let _ = Pair::exec(&pair.a, "epmd").arg("-kill").output();
    let (code, _, err, _) = run(&mut pair.beamtalk(&home, &["rpc", &node, "erlang", "node"]));
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("no EPMD answering") && err.contains(":4369"),
        "{err}"
    );
}
