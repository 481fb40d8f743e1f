//! OTP's own tools on a workspace node: an Erlang remote shell (`beamtalk workspace shell`, `erl -remsh`)
//! and Observer (`beamtalk workspace observer`). Each runs on a separate hidden node authenticated by the
//! cookie the workspace node itself reads (its private home's `.erlang.cookie`), so the cookie is never on
//! a command line, and each only connects to the workspace: closing it leaves the workspace running.

use std::process::Command;

use super::node_api::OBSERVER_OPEN;
use super::runtime::{self, ebin_dirs};
use super::{Entry, WorkspaceError, Workspaces};

impl Workspaces {
    /// The `erl` command that opens a remote shell on local workspace `entry`'s node.
    pub fn shell_command(&self, entry: &Entry) -> Result<Command, WorkspaceError> {
        let mut cmd = self.tool_node(entry, "shell")?;
        cmd.args(["-remsh", &entry.node]);
        Ok(cmd)
    }

    /// The `erl` command that opens Observer on its own node, showing local workspace `entry`'s node
    /// (`beamtalk_observer` does the pointing); it ends when the Observer window closes.
    pub fn observer_command(&self, entry: &Entry) -> Result<Command, WorkspaceError> {
        let mut cmd = self.tool_node(entry, "observer")?;
        cmd.args(["-noinput", "-pa"])
            .args(ebin_dirs(&runtime::install(&self.home)?))
            .args(["-s", OBSERVER_OPEN.module, OBSERVER_OPEN.name, &entry.node]);
        Ok(cmd)
    }

    /// A hidden node named after `tool` and this process, of the same name kind as `entry`'s node (short
    /// names talk only to short names), with the workspace node's home for its cookie.
    fn tool_node(&self, entry: &Entry, tool: &str) -> Result<Command, WorkspaceError> {
        if entry.host.is_some() || entry.tls {
            return Err(WorkspaceError::ToolUnsupported {
                id: entry.id.clone(),
            });
        }
        let host = entry.node.split_once('@').map_or("", |(_, h)| h);
        let naming = if host.contains('.') {
            "-name"
        } else {
            "-sname"
        };
        let name = format!("beamtalk_{tool}_{}@{host}", std::process::id());
        let mut cmd = Command::new("erl");
        cmd.args(["-hidden", naming, &name])
            .env("HOME", self.registry.node_home(entry.home_key()))
            .env_remove("ERL_FLAGS")
            .env_remove("ERL_AFLAGS")
            .env_remove("ERL_ZFLAGS");
        Ok(cmd)
    }
}
