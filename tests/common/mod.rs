//! Test harness: a private `epmd` and real OTP nodes, each owned by a guard that kills it on drop (also when a
//! test fails), and a `beamtalk` command wired to them through a temporary home.

#![allow(dead_code)]

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use beamtalk::dist::Connection;
use beamtalk::term::{atom, tuple};
use eetf::Term;
use tempfile::TempDir;

pub mod netns;

/// A free TCP port on loopback (released before use; good enough for tests).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// An `epmd` on a private port, killed on drop.
pub struct Epmd {
    pub port: u16,
    child: Child,
}

impl Epmd {
    pub fn start() -> Self {
        // A free port may be taken by another test's process before epmd binds it: then epmd exits,
        // and another port is tried.
        for _ in 0..5 {
            let port = free_port();
            if let Some(child) = Self::try_spawn(port) {
                return Self { port, child };
            }
        }
        panic!("epmd did not start on any of five free ports");
    }

    fn spawn(port: u16) -> Child {
        Self::try_spawn(port).unwrap_or_else(|| panic!("epmd did not start on port {port}"))
    }

    /// An epmd listening on `port`, or None if it could not (it exited, or did not listen in 5 s).
    fn try_spawn(port: u16) -> Option<Child> {
        let mut child = Command::new("epmd")
            .args(["-port", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("epmd runs (scripts/setup.sh installs it)");
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            let exited = child.try_wait().ok().flatten().is_some();
            if exited || Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        // Something answers on the port, but it may be another test's listener that took the port first:
        // then this epmd cannot bind it and exits at once. Only an epmd still running is ours.
        std::thread::sleep(Duration::from_millis(50));
        if child.try_wait().ok().flatten().is_some() {
            let _ = child.wait();
            return None;
        }
        Some(child)
    }

    /// Kills this epmd (every registration with it is lost).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts a new epmd on the same port, after [`Self::kill`].
    pub fn restart(&mut self) {
        self.child = Self::spawn(self.port);
    }

    /// Names registered with this epmd (via the `epmd` tool itself, not our client).
    pub fn names(&self) -> Vec<String> {
        let out = Command::new("epmd")
            .args(["-port", &self.port.to_string(), "-names"])
            .output()
            .expect("epmd -names");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                l.strip_prefix("name ")
                    .and_then(|r| r.split(' ').next())
                    .map(str::to_owned)
            })
            .collect()
    }
}

impl Drop for Epmd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A unique name for a test node.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A temporary home with a private cookie that both test nodes and the CLI use.
pub struct Home {
    pub dir: TempDir,
}

impl Home {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let cookie = dir.path().join("cookie");
        std::fs::write(&cookie, format!("TESTCOOKIE{}", std::process::id())).expect("write cookie");
        std::fs::set_permissions(&cookie, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        // Erlang reads $HOME/.erlang.cookie, so the node's cookie never goes on a command line.
        std::fs::copy(&cookie, dir.path().join(".erlang.cookie")).expect("copy cookie");
        std::fs::set_permissions(
            dir.path().join(".erlang.cookie"),
            std::fs::Permissions::from_mode(0o400),
        )
        .expect("chmod");
        Self { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn cookie_file(&self) -> PathBuf {
        self.dir.path().join("cookie")
    }

    pub fn cookie(&self) -> String {
        std::fs::read_to_string(self.cookie_file()).expect("cookie")
    }
}

/// A real OTP node, killed on drop.
pub struct Node {
    pub name: String,
    pub full: String,
    child: Child,
}

/// How to start a test node.
pub struct NodeSpec<'a> {
    pub epmd: &'a Epmd,
    pub home: &'a Home,
    pub long_name: bool,
    pub extra: Vec<String>,
    /// The node's name (a unique one when `None`).
    pub name: Option<String>,
}

impl<'a> NodeSpec<'a> {
    pub fn new(epmd: &'a Epmd, home: &'a Home) -> Self {
        Self {
            epmd,
            home,
            long_name: false,
            extra: Vec::new(),
            name: None,
        }
    }
}

impl Node {
    pub fn start(epmd: &Epmd, home: &Home) -> Self {
        Self::start_with(NodeSpec::new(epmd, home))
    }

    pub fn start_with(spec: NodeSpec<'_>) -> Self {
        let name = spec.name.clone().unwrap_or_else(|| unique("btnode"));
        let (flag, full) = if spec.long_name {
            ("-name", format!("{name}@127.0.0.1"))
        } else {
            (
                "-sname",
                format!("{name}@{}", beamtalk::dist::node_name::short_hostname()),
            )
        };
        let node_arg = if spec.long_name {
            full.clone()
        } else {
            name.clone()
        };
        let child = Command::new("erl")
            .args([flag, &node_arg, "-noshell", "-noinput"])
            .args(&spec.extra)
            .env("HOME", spec.home.path())
            .env("ERL_EPMD_PORT", spec.epmd.port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("erl runs (scripts/setup.sh installs it)");
        let node = Self { name, full, child };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !spec.epmd.names().contains(&node.name) {
            assert!(
                Instant::now() < deadline,
                "node {} did not register with epmd",
                node.name
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        node
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    pub fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .args([sig, &self.pid().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill {sig} failed");
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        // A stopped node must be resumed to die promptly.
        let _ = Command::new("kill")
            .args(["-CONT", &self.child.id().to_string()])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `beamtalk` wired to the test epmd and home.
pub fn beamtalk(epmd: &Epmd, home: &Home) -> Command {
    let mut cmd = Command::new(binary());
    cmd.env("BEAMTALK_HOME", home.path())
        .env("BEAMTALK_COOKIE_FILE", home.cookie_file())
        .env("ERL_EPMD_PORT", epmd.port.to_string())
        .env_remove("BEAMTALK_COOKIE");
    cmd
}

/// Runs a command and returns (exit code, stdout, stderr, elapsed).
pub fn run(cmd: &mut Command) -> (i32, String, String, Duration) {
    let start = Instant::now();
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("command runs");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
        start.elapsed(),
    )
}

/// Runs a command with `input` on its stdin (then closed) and returns its output.
pub fn run_with_input(cmd: &mut Command, input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write");
    child.wait_with_output().expect("wait")
}

/// Waits for `child`, a CLI whose node was killed at `killed`: it must fail with exit 3 within 2 s.
pub fn exits_unreachable_promptly(child: Child, killed: Instant) {
    let out = child.wait_with_output().expect("wait");
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        killed.elapsed() < Duration::from_secs(2),
        "took {:?}",
        killed.elapsed()
    );
}

/// Connection options for in-process tests against `epmd` with `home`'s cookie.
pub fn connect_options(epmd: &Epmd, home: &Home) -> beamtalk::dist::ConnectOptions {
    let mut opts = beamtalk::dist::ConnectOptions::new(
        home.cookie(),
        home.cookie_file().display().to_string(),
        Duration::from_secs(10),
    );
    opts.epmd_port = epmd.port;
    opts
}

/// A temporary home for workspace tests whose drop stops every workspace node started under it (they run
/// detached, so they would otherwise outlive the test): they carry the home's path on their command line.
pub struct WorkspaceHome {
    pub home: Home,
}

impl WorkspaceHome {
    pub fn new() -> Self {
        Self { home: Home::new() }
    }

    /// Pids of the workspace nodes started under this home.
    pub fn node_pids(&self) -> Vec<String> {
        let out = Command::new("pgrep")
            .args([
                "-f",
                &format!("beamtalk_workspace.*{}", self.home.path().display()),
            ])
            .output()
            .expect("pgrep");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for WorkspaceHome {
    fn drop(&mut self) {
        for pid in self.node_pids() {
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
        }
    }
}

/// A private epmd, a temporary home for workspaces, and a project directory; `beamtalk` commands run in
/// the project with that home.
pub struct Project {
    pub epmd: Epmd,
    pub ws: WorkspaceHome,
    pub project: TempDir,
}

impl Project {
    pub fn new() -> Self {
        Self {
            epmd: Epmd::start(),
            ws: WorkspaceHome::new(),
            project: tempfile::tempdir().expect("project dir"),
        }
    }

    /// `beamtalk ARGS` in the project directory.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = beamtalk(&self.epmd, &self.ws.home);
        c.current_dir(self.project.path()).args(args);
        c
    }

    /// A project whose workspace has `src` loaded from the file `name`.
    pub fn with_loaded(name: &str, src: &str) -> Self {
        let p = Self::new();
        std::fs::write(p.project.path().join(name), src).expect("write the source");
        let (code, _, err, _) = run(&mut p.cmd(&["load", name]));
        assert_eq!(code, 0, "loading {name}: {err}");
        p
    }

    /// `beamtalk eval EXPR` in its own process (a fresh connection each time), which must succeed: what
    /// it printed.
    pub fn eval_ok(&self, expr: &str) -> String {
        let (code, out, err, _) = run(&mut self.cmd(&["eval", expr]));
        assert_eq!(code, 0, "{expr}: {out}{err}");
        out.trim_end().to_owned()
    }

    /// Evaluates `expr` until it prints `want`, within 10 s.
    pub fn eventually_ok(&self, expr: &str, want: &str) {
        eventually(|| self.eval_ok(expr), want, expr);
    }
}

/// Calls `probe` until it answers `want`, within 10 s; `what` names it in the failure.
pub fn eventually(mut probe: impl FnMut() -> String, want: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = probe();
        if out == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what} still prints {out}, not {want}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `kill -9` of process `pid`, waiting (up to 10 s) until it is gone.
pub fn kill_and_wait(pid: &str) {
    let killed = Command::new("kill")
        .args(["-KILL", pid])
        .status()
        .expect("kill");
    assert!(killed.success(), "kill -9 {pid}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while process_alive(pid) {
        assert!(Instant::now() < deadline, "process {pid} still runs");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether process `pid` runs (a killed process its parent has not reaped yet is a zombie: not running).
pub fn process_alive(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit(')')
                .next()
                .map(|rest| rest.trim_start().to_owned())
        })
        .is_some_and(|rest| !rest.starts_with('Z'))
}

/// Addresses listening on TCP `port`, read from the kernel's tables (not from the process itself).
pub fn listeners(port: u16) -> Vec<String> {
    let mut found = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state)) = (fields.get(1), fields.get(3)) else {
                continue;
            };
            let Some((addr, p)) = local.split_once(':') else {
                continue;
            };
            if *state == "0A" && u16::from_str_radix(p, 16) == Ok(port) {
                found.push(addr.to_owned());
            }
        }
    }
    found
}

/// 127.0.0.1 and ::1 as /proc/net/tcp{,6} print them.
pub fn is_loopback(hex: &str) -> bool {
    hex == "0100007F" || hex == "00000000000000000000000001000000"
}

/// The port EPMD on `epmd_port` lists for node `name` (asked with the `epmd` tool itself).
pub fn registered_port(epmd_port: u16, name: &str) -> Option<u16> {
    let out = Command::new("epmd")
        .args(["-port", &epmd_port.to_string(), "-names"])
        .output()
        .expect("epmd -names");
    String::from_utf8_lossy(&out.stdout).lines().find_map(|l| {
        let rest = l.strip_prefix(&format!("name {name} at port "))?;
        rest.trim().parse().ok()
    })
}

/// Stops the epmd a node started on `port` (it refuses while nodes are registered, so this retries
/// until the killed nodes' registrations are gone).
pub fn kill_epmd(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = Command::new("epmd")
            .args(["-port", &port.to_string(), "-kill"])
            .output()
            .expect("epmd -kill");
        let said = String::from_utf8_lossy(&out.stdout);
        if said.contains("Killed") || !said.contains("not allowed") || Instant::now() > deadline {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A test that cannot run on this machine: under `CI=true` that fails, naming what is missing (so a
/// skipped test never shows as passed there); elsewhere it is skipped with a message.
pub fn cannot_run(what: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("this test cannot run: {what} (under CI=true it must)");
    }
    eprintln!("skipped: {what}");
}

/// Polls until exactly `n` processes on the peer are in `timer:sleep/1` (work started, or killed).
pub async fn wait_for_sleepers(conn: &Connection, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while sleepers(conn).await != n {
        assert!(Instant::now() < deadline, "never {n} sleeping processes");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// How many processes on the peer are in `timer:sleep/1`.
pub async fn sleepers(conn: &Connection) -> usize {
    let pids = conn
        .call("erlang", "processes", vec![], Duration::from_secs(10))
        .await
        .expect("processes");
    let mut n = 0;
    for pid in beamtalk::term::list_elements(&pids).expect("a list") {
        let info = conn
            .call(
                "erlang",
                "process_info",
                vec![pid, atom("current_function")],
                Duration::from_secs(10),
            )
            .await
            .expect("info");
        if info
            == tuple(vec![
                atom("current_function"),
                tuple(vec![
                    atom("timer"),
                    atom("sleep"),
                    Term::from(eetf::FixInteger::from(1)),
                ]),
            ])
        {
            n += 1;
        }
    }
    n
}

/// The `beamtalk` binary to run. Cargo builds the one it hands tests and benchmarks with the features of
/// the dev-dependencies too (a larger binary, slower to start), so `scripts/bench.sh` builds the binary as
/// it ships and names it in `BEAMTALK_SHIPPED_BIN`; tests leave it unset.
pub fn binary() -> std::path::PathBuf {
    std::env::var_os("BEAMTALK_SHIPPED_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_BIN_EXE_beamtalk")))
}
