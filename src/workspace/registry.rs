//! The workspace registry under `<home>/workspaces/`: one JSON file per workspace (id → node, project path,
//! created_at), and the workspace chosen per project by `workspace switch` under `<home>/projects/`.
//!
//! Every write goes to a temporary file that is fsynced and then renamed over the old one (and the
//! directory fsynced), so a crash at any point leaves either the old or the new entry, never a torn one.
//! Creating, replacing or renaming a workspace happens under that workspace's lock file (`flock`), which
//! is what makes concurrent `workspace create` of one name start exactly one node.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::WorkspaceError;

/// What the registry knows of one workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    pub node: String,
    pub project_path: String,
    /// Unix seconds.
    pub created_at: u64,
    /// The host a remote workspace runs on; absent for this machine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Distribution runs over TLS (`-proto_dist inet_tls`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tls: bool,
    /// The command prefix that starts the node on `host` (it runs its last argument as a shell command).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launcher: Option<Vec<String>>,
    /// Made for one `beamtalk test` run by this process, and removed when it is gone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scratch: Option<super::scratch::Owner>,
    /// The name of the node's private directory when it is not the id's: a workspace renamed while its
    /// node ran keeps the directory that node uses (its cookie link, ChangeLog, durable actors' store).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home: Option<String>,
}

impl Entry {
    /// What names the node's private directory (`Registry::node_home`).
    pub fn home_key(&self) -> &str {
        self.home.as_deref().unwrap_or(&self.id)
    }
}

/// The registry of one home directory.
#[derive(Debug, Clone)]
pub struct Registry {
    workspaces: PathBuf,
    projects: PathBuf,
}

/// Holds a workspace's lock until dropped.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

impl Registry {
    /// The registry under `home`, creating its directories.
    pub fn open(home: &Path) -> Result<Self, WorkspaceError> {
        let reg = Self {
            workspaces: home.join("workspaces"),
            projects: home.join("projects"),
        };
        for dir in [&reg.workspaces, &reg.projects] {
            fs::create_dir_all(dir).map_err(|source| WorkspaceError::Io {
                path: dir.clone(),
                source,
            })?;
        }
        Ok(reg)
    }

    /// Where workspace `id` keeps its boot log and crash dump.
    pub fn log_path(&self, id: &str) -> PathBuf {
        self.workspaces.join(format!("{id}.log"))
    }

    /// The pid file a local node of workspace `id` holds locked for its whole life.
    pub fn pid_file(&self, id: &str) -> super::liveness::PidFile {
        super::liveness::PidFile::new(self.workspaces.join(format!("{id}.pid")))
    }

    /// The private directory a node of a workspace boots with as `HOME` (it holds `.erlang.cookie`), by
    /// its `Entry::home_key`.
    pub fn node_home(&self, key: &str) -> PathBuf {
        self.workspaces.join(format!("{key}.home"))
    }

    /// Whether workspace `entry` keeps durable actors' state (its node's Mnesia directory).
    pub fn has_durable_state(&self, entry: &Entry) -> bool {
        self.node_home(entry.home_key()).join("mnesia").is_dir()
    }

    /// The private directory for a new workspace `id`: its own, unless a workspace renamed while it ran
    /// still uses that one; then a fresh name.
    pub fn fresh_home(&self, id: &str) -> Result<Option<String>, WorkspaceError> {
        let (entries, _) = self.list()?;
        let taken = |key: &str| entries.iter().any(|e| e.id != id && e.home_key() == key);
        if !taken(id) {
            return Ok(None);
        }
        Ok((2..)
            .map(|n| format!("{id}.{n}"))
            .find(|key| !taken(key) && !self.node_home(key).exists()))
    }

    pub fn crash_dump_path(&self, id: &str) -> PathBuf {
        self.workspaces.join(format!("{id}.crashdump"))
    }

    /// Takes workspace `id`'s lock, waiting for any other holder.
    pub fn lock(&self, id: &str) -> Result<Lock, WorkspaceError> {
        let path = self.workspaces.join(format!("{id}.lock"));
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| WorkspaceError::Io {
                path: path.clone(),
                source,
            })?;
        file.lock()
            .map_err(|source| WorkspaceError::Io { path, source })?;
        Ok(Lock { _file: file })
    }

    /// The entry of workspace `id`, if any.
    pub fn get(&self, id: &str) -> Result<Option<Entry>, WorkspaceError> {
        let path = self.entry_path(id);
        match fs::read(&path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|e| WorkspaceError::Corrupt {
                        path,
                        reason: e.to_string(),
                    })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(WorkspaceError::Io { path, source }),
        }
    }

    /// Writes (or replaces) an entry atomically.
    pub fn put(&self, entry: &Entry) -> Result<(), WorkspaceError> {
        let bytes = serde_json::to_vec_pretty(entry).map_err(|e| WorkspaceError::Corrupt {
            path: self.entry_path(&entry.id),
            reason: e.to_string(),
        })?;
        write_atomically(&self.entry_path(&entry.id), &bytes)
    }

    /// Removes workspace `id`'s entry (and its lock file and logs); missing is fine.
    pub fn remove(&self, id: &str) -> Result<(), WorkspaceError> {
        let path = self.entry_path(id);
        match fs::remove_file(&path) {
            Ok(()) => sync_dir(&self.workspaces),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(WorkspaceError::Io { path, source }),
        }
    }

    /// Forgets workspace `id` entirely: its entry, and its lock, pid file, boot log, crash dump and node
    /// home. Only for a workspace whose node is gone.
    /// When workspace `id` was last seen active: the newest modification of its entry, pid file and
    /// log (a running node writes its log; the CLI rewrites the pid file each start). None if none exist.
    pub fn last_activity(&self, id: &str) -> Option<std::time::SystemTime> {
        [
            self.entry_path(id),
            self.workspaces.join(format!("{id}.pid")),
            self.log_path(id),
        ]
        .iter()
        .filter_map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
        .max()
    }

    pub fn forget(&self, id: &str) -> Result<(), WorkspaceError> {
        let key = self
            .get(id)?
            .map_or_else(|| id.to_owned(), |e| e.home_key().to_owned());
        self.remove(id)?;
        for path in [
            self.workspaces.join(format!("{id}.lock")),
            self.workspaces.join(format!("{id}.pid")),
            self.log_path(id),
            self.crash_dump_path(id),
        ] {
            match fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(WorkspaceError::Io { path, source: e });
                }
                _ => {}
            }
        }
        let home = self.node_home(&key);
        match fs::remove_dir_all(&home) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(WorkspaceError::Io {
                path: home,
                source: e,
            }),
            _ => Ok(()),
        }
    }

    /// All entries, sorted by id. Unreadable files are reported, not fatal.
    pub fn list(&self) -> Result<(Vec<Entry>, Vec<WorkspaceError>), WorkspaceError> {
        let dir = fs::read_dir(&self.workspaces).map_err(|source| WorkspaceError::Io {
            path: self.workspaces.clone(),
            source,
        })?;
        let mut entries = Vec::new();
        let mut problems = Vec::new();
        for file in dir.flatten() {
            let name = file.file_name().to_string_lossy().into_owned();
            let Some(id) = name.strip_suffix(".json") else {
                continue;
            };
            match self.get(id) {
                Ok(Some(e)) if e.id != id => problems.push(WorkspaceError::Corrupt {
                    path: self.entry_path(id),
                    reason: format!("it names workspace `{}`, not `{id}`", e.id),
                }),
                Ok(Some(e)) => entries.push(e),
                Ok(None) => {}
                Err(e) => problems.push(e),
            }
        }
        entries.sort_by(|a, b| a.id.cmp(&b.id));
        Ok((entries, problems))
    }

    /// The id `beamtalk` uses for `project` when no name is given: the one `workspace switch` chose, else
    /// the project's own hash id.
    pub fn project_workspace(&self, project: &Path) -> Result<String, WorkspaceError> {
        let canonical = super::id::canonical_project(project)?;
        let pid = super::id::project_id(&canonical);
        Ok(self.project_choice(&pid)?.unwrap_or(pid))
    }

    /// The workspace `workspace switch` chose for the project with this id, if any.
    pub fn project_choice(&self, project_id: &str) -> Result<Option<String>, WorkspaceError> {
        let path = self.projects.join(project_id);
        match fs::read_to_string(&path) {
            Ok(s) if !s.trim().is_empty() => Ok(Some(s.trim().to_owned())),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(WorkspaceError::Io { path, source }),
        }
    }

    /// Records that the project with this id attaches to workspace `id`.
    pub fn set_project_choice(&self, project_id: &str, id: &str) -> Result<(), WorkspaceError> {
        write_atomically(&self.projects.join(project_id), id.as_bytes())
    }

    /// Points every project that chose `old` at `new`.
    pub fn rename_choices(&self, old: &str, new: &str) -> Result<(), WorkspaceError> {
        let dir = fs::read_dir(&self.projects).map_err(|source| WorkspaceError::Io {
            path: self.projects.clone(),
            source,
        })?;
        for file in dir.flatten() {
            let project = file.file_name().to_string_lossy().into_owned();
            if !project.starts_with('.') && self.project_choice(&project)?.as_deref() == Some(old) {
                self.set_project_choice(&project, new)?;
            }
        }
        Ok(())
    }

    pub(crate) fn entry_path(&self, id: &str) -> PathBuf {
        self.workspaces.join(format!("{id}.json"))
    }
}

/// Replaces `path` with `bytes`: temp file, fsync, rename, fsync of the directory.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), WorkspaceError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.tmp-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    ));
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| WorkspaceError::Io { path: p, source }
    };
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|_| f.sync_all()));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(io(&tmp)(e));
    }
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(io(path)(e));
    }
    sync_dir(dir)
}

fn sync_dir(dir: &Path) -> Result<(), WorkspaceError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| WorkspaceError::Io {
            path: dir.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str) -> Entry {
        Entry {
            id: id.to_owned(),
            node: format!("beamtalk_workspace_{id}@h"),
            project_path: "/p".to_owned(),
            created_at: 1,
            host: None,
            tls: false,
            launcher: None,
            scratch: None,
            home: None,
        }
    }

    #[test]
    fn put_get_list_remove() {
        let home = tempfile::tempdir().expect("tempdir");
        let reg = Registry::open(home.path()).expect("opens");
        assert_eq!(reg.get("a").expect("reads"), None);
        reg.put(&entry("b")).expect("put");
        reg.put(&entry("a")).expect("put");
        assert_eq!(reg.get("a").expect("reads"), Some(entry("a")));
        let (all, problems) = reg.list().expect("lists");
        assert_eq!(
            all.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert!(problems.is_empty());
        reg.remove("a").expect("removes");
        assert_eq!(reg.get("a").expect("reads"), None);
        let stray: Vec<_> = fs::read_dir(home.path().join("workspaces"))
            .expect("read")
            .flatten()
            .filter(|f| f.file_name().to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(stray.is_empty(), "no temporary files left behind");
    }

    #[test]
    fn remote_entries_round_trip_and_old_entries_read_as_local_plain() {
        let home = tempfile::tempdir().expect("tempdir");
        let reg = Registry::open(home.path()).expect("opens");
        let mut remote = entry("r");
        remote.host = Some("10.0.0.5".to_owned());
        remote.tls = true;
        remote.launcher = Some(vec!["ssh".to_owned(), "build".to_owned()]);
        reg.put(&remote).expect("put");
        assert_eq!(reg.get("r").expect("reads"), Some(remote));
        fs::write(
            home.path().join("workspaces/old.json"),
            br#"{"id":"old","node":"n@h","project_path":"/p","created_at":1}"#,
        )
        .expect("write");
        let old = reg.get("old").expect("reads").expect("present");
        assert_eq!((old.host, old.tls, old.launcher), (None, false, None));
    }

    #[test]
    fn a_corrupt_entry_is_reported_not_fatal() {
        let home = tempfile::tempdir().expect("tempdir");
        let reg = Registry::open(home.path()).expect("opens");
        reg.put(&entry("good")).expect("put");
        fs::write(home.path().join("workspaces/bad.json"), b"{ not json").expect("write");
        let (all, problems) = reg.list().expect("lists");
        assert_eq!(all.len(), 1);
        assert_eq!(problems.len(), 1);
    }

    #[test]
    fn project_choices() {
        let home = tempfile::tempdir().expect("tempdir");
        let reg = Registry::open(home.path()).expect("opens");
        assert_eq!(reg.project_choice("p1").expect("reads"), None);
        reg.set_project_choice("p1", "exp").expect("sets");
        reg.rename_choices("exp", "exp2").expect("renames");
        assert_eq!(
            reg.project_choice("p1").expect("reads").as_deref(),
            Some("exp2")
        );
    }
}
