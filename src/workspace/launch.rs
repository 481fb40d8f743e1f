//! Starting a workspace node: the one place a BEAM process is spawned.
//!
//! The node runs in its own session (it outlives this process and its terminal), with stdout/stderr in a
//! boot log and a crash dump path under the registry, `-nocookie` (the workspace application adopts the
//! cookie from the 0600 file, so it is never on a command line), and distribution bound to 127.0.0.1.
//! [`wait_ready`] then polls — with short back-off, no fixed sleeps — until the node is registered with EPMD
//! and its workspace application answers an RPC; if the node dies first, the error carries its own reason.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use eetf::{Binary, Term};

use super::WorkspaceError;
use super::runtime::ebin_dirs;
use crate::dist::{ConnectOptions, Connection, NodeName};
use crate::term::print::flat;

/// What `beamtalk_workspace:boot/0` writes to the boot log once the workspace application has started.
pub const READY_MARKER: &str = "beamtalk workspace ready";

/// What a new workspace node needs to know.
#[derive(Debug, Clone)]
pub struct LaunchSpec {
    pub id: String,
    pub node: NodeName,
    pub project_path: String,
    pub created_at: u64,
    pub cookie_file: PathBuf,
    pub lib_dir: PathBuf,
    pub max_idle: Duration,
    pub log_path: PathBuf,
    pub crash_dump_path: PathBuf,
}

/// How often the in-node idle monitor checks: every 10 minutes, or more often for short idle limits.
fn check_interval(max_idle: Duration) -> Duration {
    (max_idle / 4).clamp(Duration::from_millis(100), Duration::from_secs(600))
}

/// An Erlang binary literal for an app-env value on the command line.
fn binary_literal(s: &str) -> String {
    flat(&Term::from(Binary::from(s.as_bytes().to_vec())))
}

/// The `erl` command line for `spec` (no secret on it).
pub fn command(spec: &LaunchSpec) -> Command {
    let mut cmd = Command::new("erl");
    cmd.args([
        "-sname",
        spec.node.name(),
        "-nocookie",
        "-noshell",
        "-noinput",
    ])
    .args(["-kernel", "inet_dist_use_interface", "{127,0,0,1}"])
    .arg("-pa")
    .args(ebin_dirs(&spec.lib_dir))
    .arg("-beamtalk_workspace")
    .args(["workspace_id", &binary_literal(&spec.id)])
    .args(["project_path", &binary_literal(&spec.project_path)])
    .args(["created_at", &spec.created_at.to_string()])
    .args([
        "cookie_file",
        &binary_literal(&spec.cookie_file.to_string_lossy()),
    ])
    .args(["max_idle_ms", &spec.max_idle.as_millis().to_string()])
    .args([
        "check_interval_ms",
        &check_interval(spec.max_idle).as_millis().to_string(),
    ])
    .args(["-s", "beamtalk_workspace", "boot"])
    .env("ERL_CRASH_DUMP", &spec.crash_dump_path)
    .env_remove("ERL_FLAGS")
    .env_remove("ERL_AFLAGS")
    .env_remove("ERL_ZFLAGS");
    cmd
}

/// Starts the node detached from this process's session, its output going to the boot log.
pub fn spawn(spec: &LaunchSpec) -> Result<Child, WorkspaceError> {
    let log = std::fs::File::create(&spec.log_path).map_err(|source| WorkspaceError::Io {
        path: spec.log_path.clone(),
        source,
    })?;
    let log2 = log.try_clone().map_err(|source| WorkspaceError::Io {
        path: spec.log_path.clone(),
        source,
    })?;
    let _ = std::fs::remove_file(&spec.crash_dump_path);
    let mut cmd = command(spec);
    cmd.stdin(Stdio::null()).stdout(log).stderr(log2);
    // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    cmd.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => WorkspaceError::ErlMissing,
        _ => WorkspaceError::Io {
            path: PathBuf::from("erl"),
            source: e,
        },
    })
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
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(WorkspaceError::BootFailed {
                node: spec.node.to_string(),
                reason: boot_reason(&spec.log_path, &spec.crash_dump_path, &status.to_string()),
                log: spec.log_path.clone(),
            });
        }
        // Connecting before the application has adopted the cookie would only be refused (and logged).
        if booted(&spec.log_path)
            && let Ok(conn) = Connection::connect(&spec.node, &attempt_opts).await
        {
            let info = conn.call(
                "beamtalk_workspace_meta",
                "info",
                vec![],
                attempt_opts.connect_timeout,
            );
            match info.await {
                Ok(info) => return Ok((conn, info)),
                Err(e) => tracing::debug!(error = %e, "workspace not answering yet"),
            }
        }
        if tokio::time::Instant::now() + delay > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(WorkspaceError::BootTimeout {
                node: spec.node.to_string(),
                after: timeout,
                reason: boot_reason(&spec.log_path, &spec.crash_dump_path, "still booting"),
            });
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_millis(10));
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

    #[test]
    fn the_command_line_carries_no_cookie_and_binds_loopback() {
        let spec = LaunchSpec {
            id: "abc".to_owned(),
            node: NodeName::parse("beamtalk_workspace_abc@h").expect("name"),
            project_path: "/tmp/it's \"quoted\"".to_owned(),
            created_at: 5,
            cookie_file: PathBuf::from("/home/x/cookie"),
            lib_dir: PathBuf::from("/lib"),
            max_idle: Duration::from_secs(4 * 3600),
            log_path: PathBuf::from("/log"),
            crash_dump_path: PathBuf::from("/dump"),
        };
        let cmd = command(&spec);
        let args: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert!(args.contains(&"-nocookie".to_owned()));
        assert!(!args.iter().any(|a| a == "-setcookie"));
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
