//! Whether a workspace's node is alive, known without EPMD and without an RPC: its pid file.
//!
//! `<id>.pid` holds the node's OS pid and start time, and the node itself holds an exclusive `flock` on it
//! for its whole life: the CLI takes the lock before it spawns `erl`, and the node inherits that open file
//! (locks belong to the open file, so the lock lasts until the node's last descriptor closes, that is,
//! until it dies; the BEAM's child-process helper closes inherited descriptors, so nothing the node starts
//! keeps it). Anyone can then ask with a shared, non-blocking lock: refused means alive. A node that is
//! frozen, overloaded, unregistered from EPMD or refusing our cookie is still known to be alive, so no
//! command starts a second node of its name or forgets it.
//!
//! Only nodes started on this machine have a pid file; remote ones are known through EPMD and RPC.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::PathBuf;
use std::time::Duration;

use super::WorkspaceError;

/// What the pid file says of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    /// No pid file: the node was started elsewhere (a remote host) or by an older beamtalk.
    Unknown,
    /// No process holds the pid file: the node is not running.
    Dead,
    /// The node holds its pid file; its pid when recorded.
    Alive(Option<u32>),
}

impl Liveness {
    pub fn is_alive(self) -> bool {
        matches!(self, Liveness::Alive(_))
    }
}

/// The pid file of one workspace.
#[derive(Debug, Clone)]
pub struct PidFile {
    path: PathBuf,
}

/// A claimed pid file, locked by this process until a node inherits it (see [`PidFile::claim`]).
#[derive(Debug)]
pub struct Claim {
    file: File,
    path: PathBuf,
}

impl PidFile {
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }

    /// Whether a node holds this pid file now.
    pub fn check(&self) -> Liveness {
        let mut file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Liveness::Unknown,
            Err(_) => return Liveness::Dead,
        };
        match file.try_lock_shared() {
            Ok(()) => Liveness::Dead,
            Err(TryLockError::WouldBlock) => Liveness::Alive(read_record(&mut file).map(|r| r.0)),
            Err(TryLockError::Error(e)) => {
                tracing::debug!(path = %self.path.display(), error = %e, "pid file lock failed");
                Liveness::Dead
            }
        }
    }

    /// Takes the pid file for a node about to start. Fails with the live node's pid when one holds it.
    /// A probe's shared lock lasts microseconds, so a refusal is retried briefly before it counts.
    pub fn claim(&self) -> Result<Claim, WorkspaceError> {
        let io = |source| WorkspaceError::Io {
            path: self.path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&self.path)
            .map_err(io)?;
        for attempt in 0..50 {
            match file.try_lock() {
                Ok(()) => {
                    return Ok(Claim {
                        file,
                        path: self.path.clone(),
                    });
                }
                Err(TryLockError::WouldBlock) if attempt < 49 => {
                    std::thread::sleep(Duration::from_millis(2));
                }
                Err(TryLockError::WouldBlock) => break,
                Err(TryLockError::Error(e)) => return Err(io(e)),
            }
        }
        Err(WorkspaceError::NodeAlive {
            pid: read_record(&mut file).map(|r| r.0),
            pid_file: self.path.clone(),
        })
    }

    /// Kills the node holding this pid file (SIGKILL), after checking that the recorded pid is still the
    /// process that was started (same start time), and waits until it has let go of the file. Returns the
    /// pid killed, or `None` when no node held it.
    pub fn kill(&self, wait: Duration) -> Result<Option<u32>, WorkspaceError> {
        let Liveness::Alive(Some(pid)) = self.check() else {
            return Ok(None);
        };
        let recorded = File::open(&self.path)
            .ok()
            .and_then(|mut f| read_record(&mut f));
        if recorded.map(|r| r.1) != start_time(pid) {
            return Err(WorkspaceError::NodeAlive {
                pid: Some(pid),
                pid_file: self.path.clone(),
            });
        }
        // SAFETY: kill(2) with a pid we verified above; no memory is shared.
        unsafe {
            libc::kill(pid as libc::pid_t, libc::SIGKILL);
        }
        let deadline = std::time::Instant::now() + wait;
        while self.check().is_alive() {
            if std::time::Instant::now() > deadline {
                return Err(WorkspaceError::NodeAlive {
                    pid: Some(pid),
                    pid_file: self.path.clone(),
                });
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(Some(pid))
    }
}

impl Claim {
    /// The descriptor a child must inherit to hold the lock (see [`inherit_in_child`]).
    pub fn raw_fd(&self) -> std::os::fd::RawFd {
        std::os::fd::AsRawFd::as_raw_fd(&self.file)
    }

    /// Records the started node's pid and start time. The lock stays with the node once this claim drops.
    pub fn record(mut self, pid: u32) -> Result<(), WorkspaceError> {
        let line = format!("{pid} {}\n", start_time(pid).unwrap_or(0));
        let io = |source| WorkspaceError::Io {
            path: self.path.clone(),
            source,
        };
        self.file.set_len(0).map_err(io)?;
        self.file.rewind().map_err(io)?;
        self.file.write_all(line.as_bytes()).map_err(io)
    }
}

/// In a forked child before `exec`: keeps `fd` open across `exec`, so the exec'd node holds the lock.
pub fn inherit_in_child(fd: std::os::fd::RawFd) -> std::io::Result<()> {
    // SAFETY: fcntl is async-signal-safe and touches only the child's descriptor table.
    if unsafe { libc::fcntl(fd, libc::F_SETFD, 0) } == -1 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// `(pid, start time)` as recorded.
fn read_record(file: &mut File) -> Option<(u32, u64)> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.take(64).read_to_string(&mut text).ok()?;
    let mut words = text.split_whitespace();
    let pid = words.next()?.parse().ok()?;
    let started = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
    Some((pid, started))
}

/// A process's start time in clock ticks since boot (`/proc/<pid>/stat`, field 22): with the pid, it
/// names one process even after the pid is reused.
pub fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces; fields after it are plain.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_pid_file_is_alive_and_cannot_be_claimed_twice() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pf = PidFile::new(dir.path().join("w.pid"));
        assert_eq!(pf.check(), Liveness::Unknown, "no file yet");
        let claim = pf.claim().expect("claimed");
        let me = std::process::id();
        // Another open file of the same path sees the lock, as another process would.
        assert_eq!(pf.check(), Liveness::Alive(None));
        assert!(matches!(
            pf.claim(),
            Err(WorkspaceError::NodeAlive { pid: None, .. })
        ));
        let fd = claim.raw_fd();
        let held = unsafe { libc::dup(fd) };
        claim.record(me).expect("recorded");
        assert_eq!(
            pf.check(),
            Liveness::Alive(Some(me)),
            "the lock outlives the claim while a descriptor of the file is open"
        );
        unsafe { libc::close(held) };
        assert_eq!(pf.check(), Liveness::Dead);
    }

    #[test]
    fn start_times_name_processes() {
        let me = std::process::id();
        assert!(start_time(me).is_some_and(|t| t > 0));
        assert_eq!(start_time(u32::MAX), None);
    }
}
