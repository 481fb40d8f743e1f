//! Finding and reading `.bt` source files, with limits: whatever a directory holds (symlink loops, a FIFO
//! named `f.bt`, a huge file, `/`), a walk ends, and with a clear error when it cannot finish.
//!
//! Directories are followed through symlinks, but never into one already visited, so a loop ends; depth,
//! entries seen and files found are bounded. Only regular files are read (opened non-blocking and checked
//! on the open handle, so a FIFO swapped in after the check cannot block), up to a size cap. A walk may be
//! confined to a root: then nothing outside it is read, and a file found through a symlink must be a `.bt`
//! file itself.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// How far a walk and a read may go.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Directory levels below the one named.
    pub depth: usize,
    /// Directory entries looked at, in all.
    pub entries: usize,
    /// `.bt` files found.
    pub files: usize,
    /// Bytes in one source file.
    pub file_bytes: u64,
}

/// The limits every load uses.
pub const LIMITS: Limits = Limits {
    depth: 32,
    entries: 100_000,
    files: 10_000,
    file_bytes: 16 * 1024 * 1024,
};

/// Why sources could not be found or read.
#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is nested more than {limit} directories deep; hint: name the directories that hold your sources", dir.display())]
    TooDeep { dir: PathBuf, limit: usize },
    #[error("{} holds more than {limit} entries; hint: name the directories that hold your sources", dir.display())]
    TooManyEntries { dir: PathBuf, limit: usize },
    #[error("{} holds more than {limit} .bt files; hint: load fewer at a time", dir.display())]
    TooManyFiles { dir: PathBuf, limit: usize },
    #[error("{} is not a regular file (it is {kind}); only regular .bt files are read", path.display())]
    NotRegular { path: PathBuf, kind: &'static str },
    #[error("{} is {size} bytes, over the {limit}-byte limit for a source file", path.display())]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("{} is outside {}; a workspace may only load sources from the project", path.display(), root.display())]
    Outside { path: PathBuf, root: PathBuf },
    #[error("{} is a symlink to {}, which is not a .bt file; it was not read", path.display(), target.display())]
    NotBt { path: PathBuf, target: PathBuf },
}

impl WalkError {
    /// The file or directory the error is about.
    pub fn path(&self) -> &Path {
        match self {
            WalkError::Io { path, .. }
            | WalkError::NotRegular { path, .. }
            | WalkError::TooLarge { path, .. }
            | WalkError::Outside { path, .. }
            | WalkError::NotBt { path, .. } => path,
            WalkError::TooDeep { dir, .. }
            | WalkError::TooManyEntries { dir, .. }
            | WalkError::TooManyFiles { dir, .. } => dir,
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WalkError + '_ {
    move |source| WalkError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The `.bt` files under `dir` (hidden directories skipped), sorted by path within each directory. With
/// `root`, only what lies inside it (after symlinks) is taken.
pub fn bt_files(
    dir: &Path,
    limits: &Limits,
    root: Option<&Path>,
) -> Result<Vec<PathBuf>, WalkError> {
    let mut walk = Walk {
        limits,
        root,
        top: dir,
        visited: HashSet::new(),
        seen: 0,
        found: Vec::new(),
    };
    walk.dir(dir, 0)?;
    Ok(walk.found)
}

struct Walk<'a> {
    limits: &'a Limits,
    root: Option<&'a Path>,
    top: &'a Path,
    /// Directories entered, by device and inode.
    visited: HashSet<(u64, u64)>,
    seen: usize,
    found: Vec<PathBuf>,
}

impl Walk<'_> {
    fn dir(&mut self, dir: &Path, depth: usize) -> Result<(), WalkError> {
        let meta = std::fs::metadata(dir).map_err(io(dir))?;
        if !self.visited.insert((meta.dev(), meta.ino())) {
            return Ok(());
        }
        if let Some(root) = self.root {
            inside(dir, root)?;
        }
        let mut entries = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io(dir))? {
            self.seen += 1;
            if self.seen > self.limits.entries {
                return Err(WalkError::TooManyEntries {
                    dir: self.top.to_path_buf(),
                    limit: self.limits.entries,
                });
            }
            entries.push(entry.map_err(io(dir))?.path());
        }
        entries.sort();
        for path in entries {
            self.entry(&path, depth)?;
        }
        Ok(())
    }

    fn entry(&mut self, path: &Path, depth: usize) -> Result<(), WalkError> {
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        let is_bt = path.extension().is_some_and(|e| e == "bt");
        // Following symlinks; a dangling one is no directory, and no source unless named `.bt`.
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(_) if !is_bt => return Ok(()),
            Err(e) => return Err(io(path)(e)),
        };
        if meta.is_dir() {
            if hidden {
                return Ok(());
            }
            if depth + 1 > self.limits.depth {
                return Err(WalkError::TooDeep {
                    dir: self.top.to_path_buf(),
                    limit: self.limits.depth,
                });
            }
            return self.dir(path, depth + 1);
        }
        if !is_bt {
            return Ok(());
        }
        regular(path, &meta)?;
        if let Some(root) = self.root {
            confined_file(path, root)?;
        } else {
            through_symlink_is_bt(path)?;
        }
        self.found.push(path.to_path_buf());
        if self.found.len() > self.limits.files {
            return Err(WalkError::TooManyFiles {
                dir: self.top.to_path_buf(),
                limit: self.limits.files,
            });
        }
        Ok(())
    }
}

/// A file a workspace asked for: inside `root` after symlinks, and a `.bt` file there too.
pub fn confined_file(path: &Path, root: &Path) -> Result<(), WalkError> {
    let real = inside(path, root)?;
    if real.extension().is_none_or(|e| e != "bt") {
        return Err(WalkError::NotBt {
            path: path.to_path_buf(),
            target: real,
        });
    }
    Ok(())
}

/// A file found as `x.bt` must be a `.bt` file where its symlinks lead.
fn through_symlink_is_bt(path: &Path) -> Result<(), WalkError> {
    let real = std::fs::canonicalize(path).map_err(io(path))?;
    match real.extension().is_some_and(|e| e == "bt") {
        true => Ok(()),
        false => Err(WalkError::NotBt {
            path: path.to_path_buf(),
            target: real,
        }),
    }
}

/// `path` with its symlinks resolved, if that lies inside `root` (itself resolved).
pub fn inside(path: &Path, root: &Path) -> Result<PathBuf, WalkError> {
    let real = std::fs::canonicalize(path).map_err(io(path))?;
    let root = std::fs::canonicalize(root).map_err(io(root))?;
    match real.starts_with(&root) {
        true => Ok(real),
        false => Err(WalkError::Outside {
            path: path.to_path_buf(),
            root,
        }),
    }
}

fn regular(path: &Path, meta: &std::fs::Metadata) -> Result<(), WalkError> {
    let t = meta.file_type();
    let kind = match () {
        _ if t.is_file() => return Ok(()),
        _ if t.is_fifo() => "a FIFO",
        _ if t.is_socket() => "a socket",
        _ if t.is_char_device() || t.is_block_device() => "a device",
        _ if t.is_dir() => "a directory",
        _ => "not a file",
    };
    Err(WalkError::NotRegular {
        path: path.to_path_buf(),
        kind,
    })
}

/// The text of one source file: a regular file of at most `limits.file_bytes`, never blocking on open.
pub fn read_text(path: &Path, limits: &Limits) -> Result<String, WalkError> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(io(path))?;
    let meta = file.metadata().map_err(io(path))?;
    regular(path, &meta)?;
    if meta.len() > limits.file_bytes {
        return Err(WalkError::TooLarge {
            path: path.to_path_buf(),
            size: meta.len(),
            limit: limits.file_bytes,
        });
    }
    read_capped(file, path, limits.file_bytes)
}

fn read_capped(file: File, path: &Path, cap: u64) -> Result<String, WalkError> {
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(io(path))?;
    let size = bytes.len() as u64;
    if size > cap {
        return Err(WalkError::TooLarge {
            path: path.to_path_buf(),
            size,
            limit: cap,
        });
    }
    String::from_utf8(bytes).map_err(|e| {
        io(path)(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
        ))
    })
}

/// Replaces the text of source file `path` with `text` without a moment where it is half written: a
/// temporary file beside it, with its permissions, renamed over it.
pub fn replace_text(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("bt.tmp{}", std::process::id()));
    let written = std::fs::write(&tmp, text)
        .and_then(|()| match std::fs::metadata(path) {
            Ok(meta) => std::fs::set_permissions(&tmp, meta.permissions()),
            Err(_) => Ok(()),
        })
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    fn touch(p: &Path) {
        std::fs::write(p, "Object subclass: X\n").expect("write");
    }

    #[test]
    fn a_symlink_loop_is_walked_once() {
        let d = tempfile::tempdir().expect("tempdir");
        let a = d.path().join("a");
        std::fs::create_dir(&a).expect("mkdir");
        touch(&a.join("x.bt"));
        // Two ways back to the top: without the visited set this is 2^depth directories.
        symlink(d.path(), a.join("up1")).expect("symlink");
        symlink(d.path(), a.join("up2")).expect("symlink");
        let files = bt_files(d.path(), &LIMITS, None).expect("ends");
        assert_eq!(files, vec![a.join("x.bt")]);
    }

    #[test]
    fn limits_end_a_walk_with_an_error() {
        let d = tempfile::tempdir().expect("tempdir");
        let mut deep = d.path().to_path_buf();
        for i in 0..5 {
            deep = deep.join(format!("d{i}"));
        }
        std::fs::create_dir_all(&deep).expect("mkdir");
        for i in 0..5 {
            touch(&d.path().join(format!("f{i}.bt")));
        }
        let small = |depth, entries, files| Limits {
            depth,
            entries,
            files,
            file_bytes: 100,
        };
        assert!(matches!(
            bt_files(d.path(), &small(3, 100, 100), None),
            Err(WalkError::TooDeep { limit: 3, .. })
        ));
        assert!(matches!(
            bt_files(d.path(), &small(10, 4, 100), None),
            Err(WalkError::TooManyEntries { limit: 4, .. })
        ));
        assert!(matches!(
            bt_files(d.path(), &small(10, 100, 2), None),
            Err(WalkError::TooManyFiles { limit: 2, .. })
        ));
        assert_eq!(
            bt_files(d.path(), &small(10, 100, 5), None)
                .expect("within")
                .len(),
            5
        );
    }

    #[test]
    fn a_fifo_named_bt_is_refused_without_blocking() {
        let d = tempfile::tempdir().expect("tempdir");
        let fifo = d.path().join("f.bt");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("path");
        // SAFETY: mkfifo only reads the NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            bt_files(d.path(), &LIMITS, None),
            Err(WalkError::NotRegular { kind: "a FIFO", .. })
        ));
        assert!(matches!(
            read_text(&fifo, &LIMITS),
            Err(WalkError::NotRegular { kind: "a FIFO", .. })
        ));
    }

    #[test]
    fn large_files_are_refused_and_small_ones_read() {
        let d = tempfile::tempdir().expect("tempdir");
        let p = d.path().join("x.bt");
        std::fs::write(&p, "x".repeat(200)).expect("write");
        let limits = Limits {
            file_bytes: 100,
            ..LIMITS
        };
        assert!(matches!(
            read_text(&p, &limits),
            Err(WalkError::TooLarge { size: 200, .. })
        ));
        assert_eq!(read_text(&p, &LIMITS).expect("read").len(), 200);
    }

    #[test]
    fn a_confined_walk_reads_nothing_outside_its_root() {
        let outside = tempfile::tempdir().expect("tempdir");
        let secret = outside.path().join("secret.txt");
        std::fs::write(&secret, "password").expect("write");
        touch(&outside.path().join("far.bt"));
        let root = tempfile::tempdir().expect("tempdir");
        symlink(&secret, root.path().join("x.bt")).expect("symlink");
        assert!(matches!(
            bt_files(root.path(), &LIMITS, Some(root.path())),
            Err(WalkError::Outside { .. })
        ));
        std::fs::remove_file(root.path().join("x.bt")).expect("rm");
        // Inside the root too, a `.bt` name on something else is refused.
        std::fs::write(root.path().join("notes.txt"), "private").expect("write");
        symlink(root.path().join("notes.txt"), root.path().join("x.bt")).expect("symlink");
        assert!(matches!(
            bt_files(root.path(), &LIMITS, Some(root.path())),
            Err(WalkError::NotBt { .. })
        ));
        std::fs::remove_file(root.path().join("x.bt")).expect("rm");
        symlink(outside.path().join("far.bt"), root.path().join("y.bt")).expect("symlink");
        assert!(matches!(
            bt_files(root.path(), &LIMITS, Some(root.path())),
            Err(WalkError::Outside { .. })
        ));
        std::fs::remove_file(root.path().join("y.bt")).expect("rm");
        symlink(outside.path(), root.path().join("elsewhere")).expect("symlink");
        assert!(matches!(
            bt_files(root.path(), &LIMITS, Some(root.path())),
            Err(WalkError::Outside { .. })
        ));
        // Unconfined, a symlink named .bt to a file that is not one is still refused, unread.
        let open = tempfile::tempdir().expect("tempdir");
        symlink(&secret, open.path().join("z.bt")).expect("symlink");
        let e = bt_files(open.path(), &LIMITS, None).expect_err("refused");
        assert!(!e.to_string().contains("password"), "{e}");
    }
}
