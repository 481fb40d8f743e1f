//! Workspace ids and node names: a user's name, or the first 12 hex digits of SHA-256 of the canonical
//! project path, so the same project always finds the same workspace (symlinks resolved).

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::WorkspaceError;
use crate::dist::NodeName;
use crate::dist::node_name::short_hostname;

/// Longest workspace name accepted (node names must stay well under 255 bytes).
const MAX_NAME: usize = 64;

/// The canonical form of a project directory (absolute, symlinks resolved).
pub fn canonical_project(path: &Path) -> Result<PathBuf, WorkspaceError> {
    path.canonicalize().map_err(|source| WorkspaceError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// The id of the workspace a project gets when none is named.
pub fn project_id(canonical: &Path) -> String {
    let digest = Sha256::digest(canonical.as_os_str().as_bytes());
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// Checks a user-given workspace name: lower-case letters, digits and `_`.
pub fn validate_name(name: &str) -> Result<(), WorkspaceError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(WorkspaceError::InvalidName(name.to_owned()))
    }
}

/// The node of workspace `id` on this host: `beamtalk_workspace_<id>@<short host>`.
pub fn node_name(id: &str) -> Result<NodeName, WorkspaceError> {
    NodeName::new(&format!("beamtalk_workspace_{id}"), &short_hostname())
        .map_err(|_| WorkspaceError::InvalidName(id.to_owned()))
}

/// The node of workspace `id` on another host: `beamtalk_workspace_<id>@<host>`, a long name when the host
/// is an address or a dotted name.
pub fn remote_node_name(id: &str, host: &str) -> Result<NodeName, WorkspaceError> {
    NodeName::new(&format!("beamtalk_workspace_{id}"), host)
        .map_err(|_| WorkspaceError::InvalidName(format!("{id}@{host}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_ids_are_twelve_hex_digits_and_stable() {
        let id = project_id(Path::new("/home/user/project"));
        assert_eq!(id.len(), 12);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(id, project_id(Path::new("/home/user/project")));
        assert_ne!(id, project_id(Path::new("/home/user/other")));
    }

    #[test]
    fn names() {
        assert!(validate_name("my_feature2").is_ok());
        for bad in ["", "My", "a-b", "a b", "é", &"x".repeat(65)] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
        assert!(
            node_name("abc")
                .expect("valid")
                .name()
                .starts_with("beamtalk_workspace_abc")
        );
    }
}
