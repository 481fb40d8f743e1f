//! An Erlang remote shell on a workspace node (`beamtalk workspace shell`): `erl -remsh`, as a hidden node,
//! authenticated by the cookie the workspace node itself reads (its private home's `.erlang.cookie`), so
//! the cookie is never on a command line.

use std::process::Command;

use super::{Entry, WorkspaceError, Workspaces};

impl Workspaces {
    /// The `erl` command that opens a remote shell on local workspace `entry`'s node.
    pub fn shell_command(&self, entry: &Entry) -> Result<Command, WorkspaceError> {
        if entry.host.is_some() || entry.tls {
            return Err(WorkspaceError::ShellUnsupported {
                id: entry.id.clone(),
            });
        }
        let host = entry.node.split_once('@').map_or("", |(_, h)| h);
        // A node name of the same kind as the workspace's: short names talk only to short names.
        let naming = if host.contains('.') {
            "-name"
        } else {
            "-sname"
        };
        let name = format!("beamtalk_shell_{}@{host}", std::process::id());
        let mut cmd = Command::new("erl");
        cmd.args(["-hidden", naming, &name, "-remsh", &entry.node])
            .env("HOME", self.registry.node_home(&entry.id))
            .env_remove("ERL_FLAGS")
            .env_remove("ERL_AFLAGS")
            .env_remove("ERL_ZFLAGS");
        Ok(cmd)
    }
}
