//! The Erlang runtime this binary was built with: its compiled applications are embedded at build time
//! (`build.rs` runs rebar3 on `runtime/`) and installed under `<home>/runtime/<version>/lib` on first use.
//!
//! Installation writes into a temporary directory and renames it into place, so concurrent first uses and
//! crashes never leave a half-written runtime behind.

use std::path::{Path, PathBuf};

use super::WorkspaceError;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/runtime_files.rs"));
}

/// The built-in classes as a bare node of this runtime lists them (`beamtalk_catalog:classes/0`, ETF).
pub fn builtin_catalog() -> &'static [u8] {
    include_bytes!(concat!(env!("OUT_DIR"), "/catalog.etf"))
}

/// The three applications, in dependency order.
pub const APPS: [&str; 3] = ["beamtalk_stdlib", "beamtalk_runtime", "beamtalk_workspace"];

/// A digest identifying this build of the runtime.
pub fn version() -> &'static str {
    embedded::VERSION
}

/// The standard library's Beamtalk sources, as (file name, text).
pub fn stdlib_sources() -> &'static [(&'static str, &'static str)] {
    embedded::STDLIB_SOURCES
}

/// The bytes of one compiled file, e.g. `beamtalk_runtime/ebin/beamtalk_io_proxy.beam`.
pub fn file(path: &str) -> Option<&'static [u8]> {
    embedded::FILES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, bytes)| *bytes)
}

/// Installs the runtime under `home` if this version is not there yet; returns its lib directory.
pub fn install(home: &Path) -> Result<PathBuf, WorkspaceError> {
    let root = home.join("runtime");
    let target = root.join(version());
    let lib = target.join("lib");
    if lib.is_dir() {
        return Ok(lib);
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| WorkspaceError::Io { path, source }
    };
    std::fs::create_dir_all(&root).map_err(io(&root))?;
    let staging = root.join(format!(
        ".install-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    ));
    for (rel, bytes) in embedded::FILES {
        let path = staging.join("lib").join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::write(&path, bytes).map_err(io(&path))?;
    }
    match std::fs::rename(&staging, &target) {
        Ok(()) => Ok(lib),
        // Another process installed the same version first; theirs is identical.
        Err(_) if lib.is_dir() => {
            let _ = std::fs::remove_dir_all(&staging);
            Ok(lib)
        }
        Err(source) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(WorkspaceError::Io {
                path: target,
                source,
            })
        }
    }
}

/// The `ebin` directories to put on a node's code path.
pub fn ebin_dirs(lib: &Path) -> Vec<PathBuf> {
    APPS.iter().map(|app| lib.join(app).join("ebin")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embeds_all_three_applications() {
        for app in APPS {
            assert!(
                file(&format!("{app}/ebin/{app}.app")).is_some(),
                "{app}.app embedded"
            );
        }
        assert!(file("beamtalk_runtime/ebin/beamtalk_io_proxy.beam").is_some());
    }

    #[test]
    fn installs_once_and_atomically() {
        let home = tempfile::tempdir().expect("tempdir");
        let lib = install(home.path()).expect("installs");
        assert!(
            lib.join("beamtalk_workspace/ebin/beamtalk_workspace_meta.beam")
                .is_file()
        );
        assert_eq!(install(home.path()).expect("again"), lib);
        let leftovers: Vec<_> = std::fs::read_dir(home.path().join("runtime"))
            .expect("read")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(".install"))
            .collect();
        assert!(leftovers.is_empty());
    }
}
