//! Projects: where a command's workspace belongs. Found as cargo, rebar3 and mix find theirs — walking
//! up from the current directory to the nearest `beamtalk.toml` with a `[package]` section, else the
//! nearest git root, else the directory itself — and made by `beamtalk new` and `beamtalk init`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The manifest's file name.
pub const MANIFEST: &str = "beamtalk.toml";
/// Manifests larger than this are refused unread (a real one is a few hundred bytes).
const MANIFEST_MAX_BYTES: u64 = 1 << 20;
/// Names a package may not take: ours and Erlang/OTP's own applications.
const RESERVED: &[&str] = &[
    "beamtalk",
    "stdlib",
    "kernel",
    "runtime",
    "workspace",
    "compiler",
    "crypto",
    "ssl",
    "inets",
    "mnesia",
    "observer",
    "sasl",
    "erts",
    "public_key",
    "asn1",
    "tools",
    "debugger",
    "eunit",
    "common_test",
    "dialyzer",
    "runtime_tools",
    "os_mon",
    "xmerl",
    "syntax_tools",
    "parsetools",
];

/// What can go wrong finding, reading or making a project.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error(
        "{path}: {message}; hint: fix the file, or remove it to use the directory as a plain project"
    )]
    BadManifest { path: PathBuf, message: String },
    #[error(
        "invalid package name `{0}`: use lower-case letters, digits and `_`, starting with a letter (at most 64)"
    )]
    InvalidName(String),
    #[error("`{0}` is a reserved name (Beamtalk's or Erlang/OTP's own); hint: pick another name")]
    Reserved(String),
    #[error("{0} exists already; hint: pick another name or directory (nothing was changed)")]
    Exists(PathBuf),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A package manifest's `[package]` section.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Package {
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Deserialize)]
struct Manifest {
    package: Option<Package>,
    #[serde(default)]
    workspace: WorkspaceTable,
}

/// The manifest's `[workspace]` section: what a workspace of the project loads when it starts.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkspaceTable {
    #[serde(default = "default_sources")]
    sources: Vec<PathBuf>,
    #[serde(default = "default_autoload")]
    autoload: bool,
}

impl Default for WorkspaceTable {
    fn default() -> Self {
        WorkspaceTable {
            sources: default_sources(),
            autoload: default_autoload(),
        }
    }
}

fn default_sources() -> Vec<PathBuf> {
    vec![PathBuf::from("src")]
}

fn default_autoload() -> bool {
    true
}

/// What a workspace of a project loads whenever a command starts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Source files and directories, relative to the project (default `src`).
    pub sources: Vec<PathBuf>,
    /// Whether to load them at all (`[workspace] autoload = false` turns it off).
    pub autoload: bool,
}

/// The project `start` belongs to: the nearest directory at or above it with a `beamtalk.toml` that has
/// a `[package]` section, else the nearest with `.git`, else `start`. A manifest that cannot be read or
/// parsed is an error (a typo must not silently make another directory the project).
pub fn discover(start: &Path) -> Result<PathBuf, ProjectError> {
    for dir in start.ancestors() {
        if let Some(_package) = read_package(dir)? {
            return Ok(dir.to_path_buf());
        }
    }
    let git_root = start.ancestors().find(|d| d.join(".git").exists());
    Ok(git_root.unwrap_or(start).to_path_buf())
}

/// The `[package]` of `dir/beamtalk.toml`, or `None` when there is no manifest or it has no such
/// section.
pub fn read_package(dir: &Path) -> Result<Option<Package>, ProjectError> {
    Ok(read_manifest(dir)?.and_then(|m| m.package))
}

/// What a workspace of `project` loads when it starts: its manifest's `[workspace]` settings, or the
/// defaults (`src/`) when it has none.
pub fn settings(project: &Path) -> Result<Settings, ProjectError> {
    let table = read_manifest(project)?
        .map(|m| m.workspace)
        .unwrap_or_default();
    Ok(Settings {
        sources: table.sources,
        autoload: table.autoload,
    })
}

fn read_manifest(dir: &Path) -> Result<Option<Manifest>, ProjectError> {
    let path = dir.join(MANIFEST);
    let Ok(meta) = fs::metadata(&path) else {
        return Ok(None);
    };
    let bad = |message: String| ProjectError::BadManifest {
        path: path.clone(),
        message,
    };
    if !meta.is_file() {
        return Err(bad("not a regular file".into()));
    }
    if meta.len() > MANIFEST_MAX_BYTES {
        return Err(bad(format!("larger than {MANIFEST_MAX_BYTES} bytes")));
    }
    let text = fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?;
    let manifest: Manifest =
        toml::from_str(&text).map_err(|e| bad(e.to_string().trim_end().to_owned()))?;
    if let Some(p) = &manifest.package {
        check_name(&p.name).map_err(|e| bad(e.to_string()))?;
    }
    if let Some(outside) = manifest.workspace.sources.iter().find(|p| !is_inside(p)) {
        return Err(bad(format!(
            "[workspace] sources: {} is not a path inside the project",
            outside.display()
        )));
    }
    Ok(Some(manifest))
}

/// Whether a relative path stays inside the directory it is relative to.
fn is_inside(path: &Path) -> bool {
    path.components().all(|c| {
        matches!(
            c,
            std::path::Component::Normal(_) | std::path::Component::CurDir
        )
    })
}

/// Checks a package name: lower-case ASCII letters, digits and `_`, starting with a letter, 1–64
/// characters, and none of the reserved names.
pub fn check_name(name: &str) -> Result<(), ProjectError> {
    let ok = (1..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        return Err(ProjectError::InvalidName(name.to_owned()));
    }
    if RESERVED.contains(&name) {
        return Err(ProjectError::Reserved(name.to_owned()));
    }
    Ok(())
}

/// A package name made from a directory's name (`My-App` → `my_app`), for `beamtalk init`.
pub fn name_from_dir(dir: &Path) -> String {
    let raw = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let mut name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        name.insert_str(0, "app_");
    }
    name.truncate(64);
    name
}

/// What `create` made, for the user to be told.
#[derive(Debug)]
pub struct Created {
    pub dir: PathBuf,
    pub files: Vec<PathBuf>,
}

/// Makes a project in `dir` (created if missing): `beamtalk.toml`, `src/` with a first class and
/// `test/` with its test. Refuses, changing nothing, if `dir` has a manifest already; never
/// overwrites a file.
pub fn create(dir: &Path, name: &str) -> Result<Created, ProjectError> {
    check_name(name)?;
    let manifest = dir.join(MANIFEST);
    if manifest.exists() {
        return Err(ProjectError::Exists(manifest));
    }
    let class = class_name(name);
    let files = [
        (manifest.clone(), manifest_text(name)),
        (
            dir.join("src").join(format!("{name}.bt")),
            class_text(&class),
        ),
        (
            dir.join("test").join(format!("{name}_test.bt")),
            test_text(&class),
        ),
    ];
    if let Some((path, _)) = files.iter().find(|(p, _)| p.exists()) {
        return Err(ProjectError::Exists(path.clone()));
    }
    for (path, text) in &files {
        write_new(path, text)?;
    }
    Ok(Created {
        dir: dir.to_path_buf(),
        files: files.into_iter().map(|(p, _)| p).collect(),
    })
}

/// Writes a file that must not exist yet (`create_new`: a file appearing meanwhile is not overwritten).
fn write_new(path: &Path, text: &str) -> Result<(), ProjectError> {
    let io = |source| ProjectError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(io)?;
    }
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)
}

/// `my_app` → `MyApp`.
fn class_name(name: &str) -> String {
    name.split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn manifest_text(name: &str) -> String {
    format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\n")
}

fn class_text(class: &str) -> String {
    format!(
        "/// A counter to start from: `beamtalk repl`, then `c := {class} spawn. c increment`.\n\
         Actor subclass: {class}\n  state: count = 0\n\n  increment => self.count := self.count + 1\n\n  count => self.count\n"
    )
}

fn test_text(class: &str) -> String {
    format!(
        "TestCase subclass: {class}Test\n  testIncrement =>\n    c := {class} spawn.\n    c increment.\n    self assert: c count equals: 1\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        for (path, text) in files {
            let p = dir.path().join(path);
            fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            fs::write(p, text).expect("write");
        }
        dir
    }

    #[test]
    fn the_nearest_manifest_with_a_package_wins_over_git() {
        let t = tree(&[
            (".git/HEAD", ""),
            (
                "app/beamtalk.toml",
                "[package]\nname = \"app\"\nversion = \"0.1.0\"\n",
            ),
            ("app/src/deep/x.bt", ""),
        ]);
        let found = discover(&t.path().join("app/src/deep")).expect("discover");
        assert_eq!(found, t.path().join("app"));
    }

    #[test]
    fn a_manifest_without_a_package_section_is_passed_over() {
        let t = tree(&[
            (".git/HEAD", ""),
            ("lib/beamtalk.toml", "[dependencies]\n"),
            ("lib/src/x.bt", ""),
        ]);
        assert_eq!(
            discover(&t.path().join("lib/src")).expect("discover"),
            t.path()
        );
    }

    #[test]
    fn without_markers_the_directory_itself_is_the_project() {
        let t = tree(&[("a/b/x.bt", "")]);
        let start = t.path().join("a/b");
        assert_eq!(discover(&start).expect("discover"), start);
    }

    #[test]
    fn a_broken_manifest_is_an_error_naming_the_file() {
        let t = tree(&[("beamtalk.toml", "[package\nname = 1")]);
        let err = discover(t.path()).expect_err("broken manifest");
        assert!(err.to_string().contains("beamtalk.toml"), "{err}");
        let t = tree(&[(
            "beamtalk.toml",
            "[package]\nname = \"Bad-Name\"\nversion = \"0.1.0\"\n",
        )]);
        assert!(
            discover(t.path())
                .expect_err("bad name")
                .to_string()
                .contains("Bad-Name")
        );
    }

    #[test]
    fn workspace_settings_default_to_src_and_can_turn_loading_off() {
        let t = tree(&[]);
        assert_eq!(
            settings(t.path()).expect("defaults"),
            Settings {
                sources: vec![PathBuf::from("src")],
                autoload: true
            }
        );
        let t = tree(&[(
            "beamtalk.toml",
            "[package]\nname = \"a\"\nversion = \"0.1.0\"\n[workspace]\nsources = [\"lib\", \"app/core\"]\nautoload = false\n",
        )]);
        let s = settings(t.path()).expect("settings");
        assert_eq!(
            s.sources,
            vec![PathBuf::from("lib"), PathBuf::from("app/core")]
        );
        assert!(!s.autoload);
        for bad in [
            "sources = [\"../elsewhere\"]",
            "sources = [\"/etc\"]",
            "autoload = \"yes\"",
            "srcs = []",
        ] {
            let t = tree(&[("beamtalk.toml", &format!("[workspace]\n{bad}\n"))]);
            assert!(settings(t.path()).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_are_checked_as_documented() {
        for good in ["my_counter", "json_parser", "a", "web2"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["MyCounter", "123app", "-dashes-", "", "_x", &"a".repeat(65)] {
            assert!(
                matches!(check_name(bad), Err(ProjectError::InvalidName(_))),
                "{bad}"
            );
        }
        for reserved in ["beamtalk", "stdlib", "kernel", "mnesia"] {
            assert!(
                matches!(check_name(reserved), Err(ProjectError::Reserved(_))),
                "{reserved}"
            );
        }
    }

    #[test]
    fn names_from_directories_are_valid() {
        for (dir, name) in [("My-App", "my_app"), ("2048", "app_2048"), ("ok", "ok")] {
            assert_eq!(name_from_dir(Path::new(dir)), name);
            assert!(check_name(&name_from_dir(Path::new(dir))).is_ok());
        }
    }

    #[test]
    fn create_makes_a_discoverable_project_and_never_overwrites() {
        let t = tempfile::tempdir().expect("temp dir");
        let dir = t.path().join("my_app");
        let created = create(&dir, "my_app").expect("create");
        assert_eq!(created.files.len(), 3);
        assert_eq!(
            read_package(&dir).expect("read").map(|p| p.name),
            Some("my_app".to_owned())
        );
        assert!(
            fs::read_to_string(dir.join("src/my_app.bt"))
                .expect("class")
                .contains("Actor subclass: MyApp")
        );
        assert_eq!(discover(&dir.join("src")).expect("discover"), dir);
        let again = create(&dir, "my_app").expect_err("exists");
        assert!(matches!(again, ProjectError::Exists(_)));
    }

    #[test]
    fn create_changes_nothing_when_one_of_its_files_exists() {
        let t = tree(&[("src/app.bt", "mine")]);
        assert!(matches!(
            create(t.path(), "app"),
            Err(ProjectError::Exists(_))
        ));
        assert!(!t.path().join(MANIFEST).exists());
        assert_eq!(
            fs::read_to_string(t.path().join("src/app.bt")).expect("kept"),
            "mine"
        );
    }
}
