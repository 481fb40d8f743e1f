//! Scratch workspaces: the ones `beamtalk test` makes for one run. Each records the CLI process that owns
//! it (pid and start time, so a reused pid is not mistaken for it); the owner removes it when the run ends,
//! however it ends short of SIGKILL. After a SIGKILL the node stops itself once idle (a short limit, and
//! no connected CLI), and the next `beamtalk test` or `workspace cleanup` removes what is left.

use serde::{Deserialize, Serialize};

use super::liveness;

/// How long a scratch workspace's node waits, with no CLI connected and no activity, before it stops.
pub const SCRATCH_MAX_IDLE: std::time::Duration = std::time::Duration::from_secs(60);

/// The process a scratch workspace belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub pid: u32,
    /// Clock ticks since boot at the owner's start (`/proc/<pid>/stat`).
    pub started: u64,
}

impl Owner {
    /// This process.
    pub fn current() -> Self {
        let pid = std::process::id();
        Self {
            pid,
            started: liveness::start_time(pid).unwrap_or(0),
        }
    }

    /// Whether the owner still runs (the same process, not another given its pid since).
    pub fn is_alive(&self) -> bool {
        liveness::start_time(self.pid).is_some_and(|s| self.started == 0 || s == self.started)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_owns_and_a_finished_one_does_not() {
        assert!(Owner::current().is_alive());
        let mut child = std::process::Command::new("true")
            .spawn()
            .expect("spawn true");
        let pid = child.id();
        let started = liveness::start_time(pid).unwrap_or(1);
        child.wait().expect("wait");
        assert!(!Owner { pid, started }.is_alive());
        let reused = Owner {
            started: Owner::current().started + 1,
            ..Owner::current()
        };
        assert!(!reused.is_alive(), "another start time is another process");
    }
}
