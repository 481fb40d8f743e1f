//! Starting a workspace node: the one place a BEAM process is spawned.
//!
//! The node runs in its own session (it outlives this process and its terminal), with stdout/stderr in a
//! boot log and a private crash dump under the registry, and distribution bound to 127.0.0.1.
//!
//! The cookie: the node starts with `HOME` set to a private directory of the workspace whose
//! `.erlang.cookie` is a symlink to the 0600 cookie file, so OTP's `auth` reads the real cookie before
//! distribution starts (no window in which another cookie, or none, is accepted), and the secret is on no
//! command line and in no environment. `beamtalk_workspace:boot/0` then gives the node the user's `HOME`
//! back.
//! [`wait_ready`] then polls — with short back-off, no fixed sleeps — until the node is registered with EPMD
//! and its workspace application answers an RPC; if the node dies first, the error carries its own reason.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use eetf::Term;

use super::WorkspaceError;
use super::liveness::{Claim, inherit_in_child};
use super::runtime::ebin_dirs;
use crate::dist::{ConnectOptions, Connection, NodeName};
use crate::term::print::flat;

/// What `beamtalk_workspace:boot/0` writes to the boot log once the workspace application has started.
pub const READY_MARKER: &str = "beamtalk workspace ready";

/// What a new workspace node needs to know.
#[derive(Debug, Clone)]
pub struct LaunchSpec {
    pub id: String,
    /// The beamtalk home that owns the node (it reports it, so another home's node is recognised).
    pub home: PathBuf,
    pub node: NodeName,
    pub project_path: String,
    pub created_at: u64,
    pub cookie_file: PathBuf,
    pub lib_dir: PathBuf,
    pub max_idle: Duration,
    pub log_path: PathBuf,
    pub crash_dump_path: PathBuf,
    /// The node's `HOME` while it boots: a private directory holding only `.erlang.cookie`.
    pub node_home: PathBuf,
    /// The remote host (long node name, listening there); `None` for this machine (loopback only).
    pub host: Option<String>,
    /// The ssl_dist options file, for TLS distribution.
    pub tls_conf: Option<PathBuf>,
    /// Runs its last argument as a shell command on `host`.
    pub launcher: Option<Vec<String>>,
    /// Listen on every interface (a node serving from a container, whose published address is not its own).
    pub bind_any: bool,
    /// A fixed distribution port (for firewalls and published container ports); any free one otherwise.
    pub dist_port: Option<u16>,
}

/// How often the in-node idle monitor checks: every 10 minutes, or more often for short idle limits.
fn check_interval(max_idle: Duration) -> Duration {
    (max_idle / 4).clamp(Duration::from_millis(100), Duration::from_secs(600))
}

/// An Erlang binary literal for an app-env value on the command line.
fn binary_literal(s: &str) -> String {
    flat(&crate::term::binary(s))
}

/// The `erl` arguments for `spec` (no secret among them).
pub fn erl_args(spec: &LaunchSpec) -> Vec<String> {
    let name_flag = if spec.node.is_long() {
        "-name"
    } else {
        "-sname"
    };
    // A remote node is named with its host; erl would otherwise pick its own idea of the host name.
    let name = match spec.host {
        Some(_) => spec.node.to_string(),
        None => spec.node.name().to_owned(),
    };
    let mut args: Vec<String> = vec![name_flag.to_owned(), name];
    args.extend(["-noshell", "-noinput"].map(str::to_owned));
    if let Some(interface) = listen_interface(spec) {
        args.extend([
            "-kernel".to_owned(),
            "inet_dist_use_interface".to_owned(),
            interface,
        ]);
    }
    if let Some(port) = spec.dist_port {
        let port = port.to_string();
        args.extend(
            [
                "-kernel",
                "inet_dist_listen_min",
                &port,
                "inet_dist_listen_max",
                &port,
            ]
            .map(str::to_owned),
        );
    }
    if let Some(conf) = &spec.tls_conf {
        args.extend(["-proto_dist", "inet_tls", "-ssl_dist_optfile"].map(str::to_owned));
        args.push(conf.to_string_lossy().into_owned());
    }
    args.push("-pa".to_owned());
    args.extend(
        ebin_dirs(&spec.lib_dir)
            .iter()
            .map(|d| d.to_string_lossy().into_owned()),
    );
    args.push("-beamtalk_workspace".to_owned());
    let env = [
        ("workspace_id", binary_literal(&spec.id)),
        ("project_path", binary_literal(&spec.project_path)),
        ("created_at", spec.created_at.to_string()),
        ("user_home", user_home()),
        ("home", binary_literal(&spec.home.to_string_lossy())),
        ("max_idle_ms", spec.max_idle.as_millis().to_string()),
        (
            "check_interval_ms",
            check_interval(spec.max_idle).as_millis().to_string(),
        ),
    ];
    for (key, value) in env {
        args.extend([key.to_owned(), value]);
    }
    args.extend(
        [
            "-s",
            super::node_api::BOOT.module,
            super::node_api::BOOT.name,
        ]
        .map(str::to_owned),
    );
    args
}

/// The `HOME` the node gives back to user code once its cookie is read: ours, or `false` when unset.
fn user_home() -> String {
    match std::env::var_os("HOME") {
        Some(home) => binary_literal(&home.to_string_lossy()),
        None => "false".to_owned(),
    }
}

/// The interface distribution listens on: loopback for a local workspace; for a remote one the address
/// its host was given as, or every interface when it was given by name.
fn listen_interface(spec: &LaunchSpec) -> Option<String> {
    if spec.bind_any {
        return None;
    }
    let Some(host) = &spec.host else {
        return Some("{127,0,0,1}".to_owned());
    };
    match host.parse::<std::net::IpAddr>().ok()? {
        std::net::IpAddr::V4(ip) => {
            let [a, b, c, d] = ip.octets();
            Some(format!("{{{a},{b},{c},{d}}}"))
        }
        std::net::IpAddr::V6(ip) => {
            let parts: Vec<String> = ip.segments().iter().map(u16::to_string).collect();
            Some(format!("{{{}}}", parts.join(",")))
        }
    }
}

/// `erl` for this machine, to run in the foreground (`workspace serve`, a container's main process).
pub fn local_command(spec: &LaunchSpec) -> Command {
    let mut cmd = Command::new("erl");
    cmd.args(erl_args(spec))
        .env("HOME", &spec.node_home)
        .env("ERL_CRASH_DUMP", &spec.crash_dump_path)
        .env_remove("ERL_FLAGS")
        .env_remove("ERL_AFLAGS")
        .env_remove("ERL_ZFLAGS");
    // The epmd a local node starts (when none runs) publishes names and ports: keep it on loopback.
    if spec.host.is_none() && std::env::var_os("ERL_EPMD_ADDRESS").is_none() {
        cmd.env("ERL_EPMD_ADDRESS", "127.0.0.1");
    }
    cmd
}

/// Makes `spec.node_home` (0700) with `.erlang.cookie` pointing at the cookie file, replacing any older
/// link atomically (the cookie file may have moved, `--cookie-file`).
pub fn prepare_node_home(spec: &LaunchSpec) -> Result<(), WorkspaceError> {
    use std::os::unix::fs::PermissionsExt;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| WorkspaceError::Io { path, source }
    };
    let dir = &spec.node_home;
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io(dir))?;
    let target = std::fs::canonicalize(&spec.cookie_file).map_err(io(&spec.cookie_file))?;
    let link = dir.join(".erlang.cookie");
    let tmp = dir.join(format!(".erlang.cookie.{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(&target, &tmp).map_err(io(&tmp))?;
    std::fs::rename(&tmp, &link).map_err(io(&link))
}

/// An empty crash dump file of mode 0600: the BEAM opens it with `O_TRUNC`, keeping the mode, so a dump
/// (which holds the cookie) is never readable by others. A dump is recognised by its contents.
fn prepare_crash_dump(path: &Path) -> Result<(), WorkspaceError> {
    use std::os::unix::fs::OpenOptionsExt;
    let _ = std::fs::remove_file(path);
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(drop)
        .map_err(|source| WorkspaceError::Io {
            path: path.to_path_buf(),
            source,
        })
}

/// The process to start: `erl` itself for this machine, or the launcher running a shell command that
/// starts a detached `erl` on the workspace's host.
pub fn command(spec: &LaunchSpec) -> Command {
    match &spec.launcher {
        Some(launcher) if !launcher.is_empty() => {
            let mut cmd = Command::new(&launcher[0]);
            cmd.args(&launcher[1..]).arg(remote_shell_command(spec));
            cmd
        }
        _ => local_command(spec),
    }
}

/// `exec erl ... -detached`, every argument single-quoted for a POSIX shell.
pub fn remote_shell_command(spec: &LaunchSpec) -> String {
    let mut words = vec![format!(
        "unset ERL_FLAGS ERL_AFLAGS ERL_ZFLAGS; HOME={} exec erl",
        shell_quote(&spec.node_home.to_string_lossy())
    )];
    words.extend(erl_args(spec).iter().map(|a| shell_quote(a)));
    words.push("-detached".to_owned());
    words.join(" ")
}

fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// Starts the node detached from this process's session, its output going to the boot log. A local node
/// inherits `claim`, its pid file, and holds it locked for its whole life.
pub fn spawn(spec: &LaunchSpec, claim: Option<Claim>) -> Result<Child, WorkspaceError> {
    let log = std::fs::File::create(&spec.log_path).map_err(|source| WorkspaceError::Io {
        path: spec.log_path.clone(),
        source,
    })?;
    let log2 = log.try_clone().map_err(|source| WorkspaceError::Io {
        path: spec.log_path.clone(),
        source,
    })?;
    prepare_node_home(spec)?;
    prepare_crash_dump(&spec.crash_dump_path)?;
    let mut cmd = command(spec);
    cmd.stdin(Stdio::null()).stdout(log).stderr(log2);
    let held = claim.as_ref().map(Claim::raw_fd);
    // SAFETY: setsid and fcntl are async-signal-safe and touch no memory of the parent.
    unsafe {
        cmd.pre_exec(move || {
            libc::setsid();
            match held {
                Some(fd) => inherit_in_child(fd),
                None => Ok(()),
            }
        });
    }
    let child = cmd.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => WorkspaceError::ErlMissing,
        _ => WorkspaceError::Io {
            path: PathBuf::from("erl"),
            source: e,
        },
    })?;
    if let Some(claim) = claim {
        claim.record(child.id())?;
    }
    Ok(child)
}

/// Waits until the node answers `beamtalk_workspace_meta:info/0`; returns the connection and that info.
pub async fn wait_ready(
    child: &mut Child,
    spec: &LaunchSpec,
    opts: &ConnectOptions,
    timeout: Duration,
) -> Result<(Connection, Term), WorkspaceError> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut delay = Duration::from_millis(2);
    let mut attempt_opts = opts.clone();
    attempt_opts.connect_timeout = Duration::from_secs(2).min(timeout);
    // A launcher returns once the remote `erl -detached` has forked; only its failure means anything.
    let remote = spec.launcher.is_some();
    let mut last_error = String::from("still booting");
    loop {
        if let Ok(Some(status)) = child.try_wait()
            && (!remote || !status.success())
        {
            return Err(WorkspaceError::BootFailed {
                node: spec.node.to_string(),
                reason: boot_reason(&spec.log_path, &spec.crash_dump_path, &status.to_string()),
                log: spec.log_path.clone(),
            });
        }
        // Until the workspace application is up there is nothing to ask; the boot log says when it is.
        if remote || booted(&spec.log_path) {
            match Connection::connect(&spec.node, &attempt_opts).await {
                Ok(conn) => {
                    let info =
                        super::node_api::INFO.call(&conn, vec![], attempt_opts.connect_timeout);
                    match info.await {
                        Ok(info) => return Ok((conn, info)),
                        Err(e) => last_error = e.to_string(),
                    }
                }
                Err(e) => last_error = e.to_string(),
            }
            tracing::debug!(error = %last_error, "workspace not answering yet");
        }
        if tokio::time::Instant::now() + delay > deadline {
            let reason = if remote {
                // A node that came up but never answered as a workspace must not stay behind.
                let stopped = stop_half_started(&spec.node, &attempt_opts).await;
                format!("last attempt: {last_error}{stopped}")
            } else {
                let _ = child.kill();
                let _ = child.wait();
                boot_reason(&spec.log_path, &spec.crash_dump_path, "still booting")
            };
            return Err(WorkspaceError::BootTimeout {
                node: spec.node.to_string(),
                after: timeout,
                reason,
            });
        }
        tokio::time::sleep(delay).await;
        let ceiling = if remote { 50 } else { 10 };
        delay = (delay * 2).min(Duration::from_millis(ceiling));
    }
}

/// Stops a remote node that answers plain RPCs but not as a workspace; says what happened.
async fn stop_half_started(node: &NodeName, opts: &ConnectOptions) -> &'static str {
    let Ok(conn) = Connection::connect(node, opts).await else {
        return "";
    };
    match conn
        .call("init", "stop", vec![], opts.connect_timeout)
        .await
    {
        Ok(_) => "\n(the half-started node was stopped)",
        Err(_) => "",
    }
}

/// Starts EPMD on this machine's `port` unless one answers there, and waits (up to `limit`) until it does.
/// `erl` would start one itself, but may register before it listens (OTP's own race, frequent on a busy
/// machine), which fails the node's start; like the one `erl` starts, it listens on loopback only unless
/// `ERL_EPMD_ADDRESS` says otherwise.
pub async fn ensure_epmd(port: u16, limit: Duration) {
    let epmd = crate::dist::epmd::Epmd::new("127.0.0.1", port, limit);
    if epmd.names().await.is_ok() {
        return;
    }
    let mut cmd = std::process::Command::new("epmd");
    cmd.args(["-daemon", "-port", &port.to_string()])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    if std::env::var_os("ERL_EPMD_ADDRESS").is_none() {
        cmd.env("ERL_EPMD_ADDRESS", "127.0.0.1");
    }
    // `-daemon` returns once it has forked: waiting for it costs nothing.
    match cmd.status() {
        Ok(_) => wait_for_epmd(&epmd, limit).await,
        Err(e) => tracing::debug!(error = %e, "cannot start epmd here; the node will start one"),
    }
}

/// Whether a node failed to start because the EPMD it started was not listening yet when it registered.
pub fn lost_epmd_race(reason: &str) -> bool {
    reason.contains("register/listen error: econnrefused")
}

/// Waits (up to `limit`) until EPMD answers a request, or gives up silently: the next start says why.
async fn wait_for_epmd(epmd: &crate::dist::epmd::Epmd, limit: Duration) {
    let deadline = tokio::time::Instant::now() + limit;
    let mut pause = Duration::from_millis(10);
    while epmd.names().await.is_err() && tokio::time::Instant::now() + pause < deadline {
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(200));
    }
}

fn booted(log: &Path) -> bool {
    std::fs::read_to_string(log).is_ok_and(|text| text.lines().any(|l| l == READY_MARKER))
}

/// Why a node did not come up: the end of its boot log, and its crash dump's slogan if it wrote one.
fn boot_reason(log: &Path, dump: &Path, status: &str) -> String {
    let mut reason = String::new();
    if let Ok(text) = std::fs::read_to_string(log) {
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let tail = &lines[lines.len().saturating_sub(8)..];
        reason.push_str(&tail.join("\n"));
    }
    if let Ok(text) = std::fs::read_to_string(dump)
        && let Some(slogan) = text.lines().find_map(|l| l.strip_prefix("Slogan: "))
    {
        if !reason.is_empty() {
            reason.push('\n');
        }
        reason.push_str(&format!("crash dump slogan: {slogan}"));
    }
    if reason.is_empty() {
        format!("the node exited ({status}) without saying why")
    } else {
        reason
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The boot log line of a node that registered before the EPMD it started listened (seen in a
    /// test run) is told apart from other failures to register.
    #[test]
    fn a_node_that_lost_the_race_with_its_epmd_is_recognised() {
        assert!(lost_epmd_race(
            "Protocol 'inet_tcp': register/listen error: econnrefused"
        ));
        assert!(!lost_epmd_race(
            "Protocol 'inet_tcp': the name beamtalk_workspace_x@vm seems to be in use by another Erlang node"
        ));
    }

    #[test]
    fn the_command_line_carries_no_cookie_and_binds_loopback() {
        let spec = LaunchSpec {
            id: "abc".to_owned(),
            home: PathBuf::from("/home/x"),
            node: NodeName::parse("beamtalk_workspace_abc@h").expect("name"),
            project_path: "/tmp/it's \"quoted\"".to_owned(),
            created_at: 5,
            cookie_file: PathBuf::from("/home/x/cookie"),
            lib_dir: PathBuf::from("/lib"),
            max_idle: Duration::from_secs(4 * 3600),
            log_path: PathBuf::from("/log"),
            crash_dump_path: PathBuf::from("/dump"),
            node_home: PathBuf::from("/nodehome"),
            host: None,
            tls_conf: None,
            launcher: None,
            bind_any: false,
            dist_port: None,
        };
        let cmd = command(&spec);
        let args: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert!(!args.iter().any(|a| a == "-setcookie" || a == "-nocookie"));
        let env: Vec<_> = cmd.get_envs().collect();
        assert!(env.contains(&("HOME".as_ref(), Some("/nodehome".as_ref()))));
        assert!(env.contains(&("ERL_EPMD_ADDRESS".as_ref(), Some("127.0.0.1".as_ref()))));
        assert!(
            args.windows(3)
                .any(|w| w == ["-kernel", "inet_dist_use_interface", "{127,0,0,1}"])
        );
        assert!(args.contains(&r#"<<"/tmp/it's \"quoted\"">>"#.to_owned()));
        assert!(
            args.windows(2)
                .any(|w| w == ["check_interval_ms", "600000"])
        );
    }

    #[test]
    fn a_remote_launch_binds_the_given_address_uses_tls_and_quotes_for_the_shell() {
        let spec = LaunchSpec {
            id: "r".to_owned(),
            home: PathBuf::from("/home/x"),
            node: NodeName::parse("beamtalk_workspace_r@10.201.1.1").expect("name"),
            project_path: "/it's".to_owned(),
            created_at: 5,
            cookie_file: PathBuf::from("/home/x/cookie"),
            lib_dir: PathBuf::from("/lib"),
            max_idle: Duration::from_secs(60),
            log_path: PathBuf::from("/log"),
            crash_dump_path: PathBuf::from("/dump"),
            node_home: PathBuf::from("/node home"),
            host: Some("10.201.1.1".to_owned()),
            tls_conf: Some(PathBuf::from("/home/x/tls/ssl_dist.conf")),
            launcher: Some(vec!["ssh".to_owned(), "box".to_owned()]),
            bind_any: false,
            dist_port: Some(9100),
        };
        let args = erl_args(&spec);
        assert!(
            args.windows(2)
                .any(|w| w == ["-name", "beamtalk_workspace_r@10.201.1.1"])
        );
        assert!(
            args.windows(3)
                .any(|w| w == ["-kernel", "inet_dist_use_interface", "{10,201,1,1}"])
        );
        assert!(args.windows(2).any(|w| w == ["-proto_dist", "inet_tls"]));
        assert!(args.windows(5).any(|w| w
            == [
                "-kernel",
                "inet_dist_listen_min",
                "9100",
                "inet_dist_listen_max",
                "9100"
            ]));
        let cmd = command(&spec);
        assert_eq!(cmd.get_program(), "ssh");
        let shell = remote_shell_command(&spec);
        assert!(shell.contains(r#"'<<"/it'\''s">>'"#), "{shell}");
        assert!(shell.ends_with(" -detached"));
        assert!(shell.contains("HOME='/node home' exec erl"), "{shell}");
        assert!(!shell.contains("-setcookie"));
    }

    #[test]
    fn short_idle_limits_check_more_often() {
        assert_eq!(
            check_interval(Duration::from_secs(2)),
            Duration::from_millis(500)
        );
        assert_eq!(
            check_interval(Duration::from_millis(10)),
            Duration::from_millis(100)
        );
    }
}
