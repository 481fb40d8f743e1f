//! The state directory (`--home`, `BEAMTALK_HOME`) and the cookie file in it.
//!
//! The cookie is created on first use with 40 random characters and mode 0600, read from the file each time,
//! and refused when group or others can read it; it is never put on a command line or in a log.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rand::RngExt;

/// Why the state directory or cookie is unusable.
#[derive(Debug, thiserror::Error)]
pub enum HomeError {
    #[error("cannot determine a state directory: set BEAMTALK_HOME or pass --home")]
    NoHome,
    #[error("cannot create {path}: {source}")]
    Create {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read cookie file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "cookie file {path} is empty; write a cookie into it or delete it to have one generated"
    )]
    Empty { path: PathBuf },
    #[error(
        "cookie file {path} has mode {mode:o}, readable by other users; run `chmod 600 {path}`"
    )]
    Permissions { path: PathBuf, mode: u32 },
}

/// The state directory: `explicit`, else `$XDG_STATE_HOME/beamtalk`, else `~/.local/state/beamtalk`.
pub fn resolve_home(explicit: Option<&Path>) -> Result<PathBuf, HomeError> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Some(state) = std::env::var_os("XDG_STATE_HOME").filter(|s| !s.is_empty()) {
        return Ok(PathBuf::from(state).join("beamtalk"));
    }
    let base = directories::BaseDirs::new().ok_or(HomeError::NoHome)?;
    Ok(base.home_dir().join(".local/state/beamtalk"))
}

/// Creates the state directory (mode 0700) if it does not exist.
pub fn ensure_home(home: &Path) -> Result<(), HomeError> {
    if home.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(home).map_err(|source| HomeError::Create {
        path: home.to_path_buf(),
        source,
    })?;
    let _ = fs::set_permissions(home, fs::Permissions::from_mode(0o700));
    Ok(())
}

/// Where the cookie lives and what it is.
#[derive(Clone)]
pub struct Cookie {
    pub path: PathBuf,
    pub value: String,
}

impl std::fmt::Debug for Cookie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cookie")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Reads the cookie at `explicit`, or at `<home>/cookie`, creating the latter (0600) when absent.
pub fn load_cookie(home: &Path, explicit: Option<&Path>) -> Result<Cookie, HomeError> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => {
            let p = home.join("cookie");
            if !p.exists() {
                ensure_home(home)?;
                create_cookie(&p)?;
            }
            p
        }
    };
    read_cookie(&path)
}

fn create_cookie(path: &Path) -> Result<(), HomeError> {
    let mut rng = rand::rng();
    let value: String = (0..40)
        .map(|_| char::from(rng.random_range(b'A'..=b'Z')))
        .collect();
    let created = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(value.as_bytes()).and_then(|_| f.sync_all()));
    match created {
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other.map_err(|source| HomeError::Create {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn read_cookie(path: &Path) -> Result<Cookie, HomeError> {
    let read_err = |source| HomeError::Read {
        path: path.to_path_buf(),
        source,
    };
    let meta = fs::metadata(path).map_err(read_err)?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(HomeError::Permissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    let value = fs::read_to_string(path)
        .map_err(read_err)?
        .trim()
        .to_owned();
    if value.is_empty() {
        return Err(HomeError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(Cookie {
        path: path.to_path_buf(),
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_a_private_cookie_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("home");
        let a = load_cookie(&home, None).expect("created");
        let b = load_cookie(&home, None).expect("read back");
        assert_eq!(a.value, b.value);
        assert!(a.value.len() >= 32);
        let mode = fs::metadata(&a.path).expect("exists").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn refuses_readable_and_empty_cookies() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("c");
        fs::write(&p, "secret").expect("write");
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(matches!(
            load_cookie(dir.path(), Some(&p)),
            Err(HomeError::Permissions { mode: 0o644, .. })
        ));
        fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).expect("chmod");
        fs::write(&p, "\n").expect("write");
        assert!(matches!(
            load_cookie(dir.path(), Some(&p)),
            Err(HomeError::Empty { .. })
        ));
    }

    #[test]
    fn debug_output_never_shows_the_cookie() {
        let c = Cookie {
            path: PathBuf::from("/x"),
            value: "SECRET".to_owned(),
        };
        assert!(!format!("{c:?}").contains("SECRET"));
    }
}
