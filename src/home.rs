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
    #[error(
        "cookie file {path}: {problem}; Erlang cookies are 1 to {MAX_COOKIE_LEN} printable ASCII characters (write a new one, or delete the file to have one generated)"
    )]
    Invalid { path: PathBuf, problem: String },
    #[error(
        "state directory {path} has mode {mode:o} and could not be made private (0700): {source}"
    )]
    HomePermissions {
        path: PathBuf,
        mode: u32,
        #[source]
        source: std::io::Error,
    },
}

/// The longest cookie an Erlang node can hold: the cookie is an atom, and atoms have at most 255
/// characters.
pub const MAX_COOKIE_LEN: usize = 255;

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

/// Creates the state directory (mode 0700) if it does not exist, and makes an existing one that group or
/// others can enter private: it holds the cookie, crash dumps and boot logs.
pub fn ensure_home(home: &Path) -> Result<(), HomeError> {
    if let Ok(meta) = fs::metadata(home)
        && meta.is_dir()
    {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 == 0 {
            return Ok(());
        }
        tracing::debug!(path = %home.display(), mode = format!("{mode:o}"), "making the state directory private");
        return fs::set_permissions(home, fs::Permissions::from_mode(mode & 0o700)).map_err(
            |source| HomeError::HomePermissions {
                path: home.to_path_buf(),
                mode,
                source,
            },
        );
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
    let bytes = fs::read(path).map_err(read_err)?;
    let value = cookie_value(&bytes).map_err(|problem| match problem {
        None => HomeError::Empty {
            path: path.to_path_buf(),
        },
        Some(problem) => HomeError::Invalid {
            path: path.to_path_buf(),
            problem,
        },
    })?;
    Ok(Cookie {
        path: path.to_path_buf(),
        value,
    })
}

/// The cookie in a cookie file's bytes: printable ASCII, with trailing line breaks ignored. `Err(None)` for
/// an empty file, `Err(Some(why))` for one no Erlang node could use, or would read differently: OTP's
/// `auth` keeps spaces before a line break and drops those after it, so a cookie that begins or ends with a
/// space would be one value here and another on the node (which then rejects every connection).
fn cookie_value(bytes: &[u8]) -> Result<String, Option<String>> {
    let end = bytes
        .iter()
        .rposition(|b| !matches!(b, b'\n' | b'\r' | b' '))
        .map_or(0, |i| i + 1);
    let value = &bytes[..end];
    if value.is_empty() {
        return Err(None);
    }
    let line_end = bytes
        .iter()
        .position(|b| matches!(b, b'\n' | b'\r'))
        .unwrap_or(bytes.len());
    if bytes[..line_end].ends_with(b" ") || value.starts_with(b" ") {
        return Err(Some(
            "the cookie begins or ends with a space, which Erlang nodes read differently; remove it"
                .to_owned(),
        ));
    }
    if let Some(at) = value.iter().position(|b| !(b' '..=b'~').contains(b)) {
        return Err(Some(format!(
            "byte {at} is 0x{:02x}, not a printable ASCII character",
            value[at]
        )));
    }
    if value.len() > MAX_COOKIE_LEN {
        return Err(Some(format!("the cookie is {} bytes long", value.len())));
    }
    Ok(String::from_utf8_lossy(value).into_owned())
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
    fn cookies_no_node_could_hold_are_refused() {
        assert_eq!(cookie_value(b"abc\n"), Ok("abc".to_owned()));
        assert_eq!(cookie_value(b"abc\r\n \n"), Ok("abc".to_owned()));
        assert_eq!(cookie_value(b"a b"), Ok("a b".to_owned()));
        for spaced in [&b"abc \n"[..], b" a b", b"abc ", b"\tabc"] {
            assert!(
                matches!(cookie_value(spaced), Err(Some(_))),
                "{spaced:?} is refused"
            );
        }
        assert_eq!(cookie_value(b"\r\n "), Err(None));
        assert!(
            matches!(cookie_value("caf\u{e9}".as_bytes()), Err(Some(p)) if p.contains("byte 3"))
        );
        assert!(matches!(cookie_value(b"a\tb"), Err(Some(_))));
        assert_eq!(cookie_value(&[b'x'; 255]).map(|v| v.len()), Ok(255));
        assert!(matches!(cookie_value(&[b'x'; 256]), Err(Some(p)) if p.contains("256 bytes")));
    }

    #[test]
    fn an_open_home_is_made_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("home");
        fs::create_dir(&home).expect("mkdir");
        fs::set_permissions(&home, fs::Permissions::from_mode(0o755)).expect("chmod");
        ensure_home(&home).expect("tightened");
        let mode = fs::metadata(&home).expect("exists").permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
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
