//! Hosts without docker: Linux network namespaces joined by a veth pair (needs root; callers skip with a
//! message otherwise). Everything started in them is stopped, and the namespaces deleted, on drop.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::Home;

fn ip(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Two namespaces, `a` (10.201.N.1) and `b` (10.201.N.2), deleted (with their veth pair) on drop.
pub struct Pair {
    pub a: String,
    pub b: String,
    pub subnet: u32,
    pub children: Vec<Child>,
}

impl Pair {
    pub fn new() -> Option<Self> {
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
            super::cannot_run(
                "cannot create network namespaces here (needs root and iproute2: scripts/setup.sh)",
            );
            None
        }
    }

    pub fn ip_a(&self) -> String {
        format!("10.201.{}.1", self.subnet)
    }

    pub fn ip_b(&self) -> String {
        format!("10.201.{}.2", self.subnet)
    }

    /// `cmd` run inside namespace `ns`.
    pub fn exec(ns: &str, cmd: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns, cmd]);
        c
    }

    /// Starts epmd in `a` on the standard port.
    pub fn start_epmd(&mut self) {
        self.start_epmd_in(&self.a.clone());
    }

    /// Starts epmd in `b` too (for a node there that other hosts reach).
    pub fn start_epmd_b(&mut self) {
        self.start_epmd_in(&self.b.clone());
    }

    fn start_epmd_in(&mut self, ns: &str) {
        let epmd = Self::exec(ns, "epmd")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("epmd");
        self.children.push(epmd);
        // Callers connect at once: wait until it listens.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !Self::exec(ns, "epmd")
            .arg("-names")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
        {
            assert!(Instant::now() < deadline, "epmd did not start in {ns}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The launcher that runs a shell command "on host a".
    pub fn launcher(&self) -> String {
        format!("ip netns exec {} sh -c", self.a)
    }

    /// The same "on host b" (where the CLI runs, reached at its address rather than on loopback).
    pub fn launcher_b(&self) -> String {
        format!("ip netns exec {} sh -c", self.b)
    }

    /// What `epmd -names` prints in `a`.
    pub fn names(&self) -> String {
        let out = Self::exec(&self.a, "epmd")
            .arg("-names")
            .output()
            .expect("epmd -names");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Starts epmd and a long-named node `remote` in `a`, the node reading `home`'s cookie.
    pub fn start_node(&mut self, home: &Home) -> String {
        self.start_epmd();
        self.start_named_node(home, "remote", &[])
    }

    /// Starts node `name@<a's address>` in `a` (epmd must run there) with `extra` `erl` flags, the node
    /// reading `home`'s cookie; returns its name once EPMD lists it.
    pub fn start_named_node(&mut self, home: &Home, name: &str, extra: &[&str]) -> String {
        let node = format!("{name}@{}", self.ip_a());
        let erl = Self::exec(&self.a, "erl")
            .args(["-name", &node, "-noshell", "-noinput"])
            .args(extra)
            .env("HOME", home.path())
            .env_remove("ERL_EPMD_PORT")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("erl");
        self.children.push(erl);
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.names().contains(&format!("name {name} ")) {
            assert!(
                Instant::now() < deadline,
                "{node} did not register in namespace {}",
                self.a
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        node
    }

    /// `beamtalk ARGS` run in namespace `b`.
    pub fn beamtalk(&self, home: &Home, args: &[&str]) -> Command {
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
        for ns in [&self.a, &self.b] {
            let _ = Self::exec(ns, "epmd")
                .arg("-kill")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        ip(&["netns", "del", &self.a]);
        ip(&["netns", "del", &self.b]);
    }
}
