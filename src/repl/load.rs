//! Loading `.bt` files (or directories of them): every file is read and parsed before anything is
//! loaded, so a syntax error loads nothing; then each class is compiled and loaded in order, and after a
//! file's classes its `Class >> selector => body` methods.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::walk::{self, WalkError};
use super::{EvalError, Outcome, Session};
use crate::lang::ast::{ClassDef, Item, MethodDef};
use crate::lang::compile;
use crate::lang::diagnostic::Diagnostic;
use crate::lang::parser;
use eetf::Term;
use futures::future::Either;
use futures::{SinkExt, StreamExt};

/// One parsed file.
pub struct SourceFile {
    pub path: PathBuf,
    pub src: String,
    pub classes: Vec<ClassDef>,
    /// The abstract forms of each of `classes`, in the same order, in the external term format: compiled
    /// when the file was read (to report compile errors before anything loads) and encoded then, on the
    /// thread that read it, so sending a class to the node copies bytes rather than a tree of terms.
    pub forms: Vec<Vec<u8>>,
    /// `Class >> selector => body` definitions, in file order.
    pub methods: Vec<ExtensionMethod>,
}

/// A method defined outside its class's body.
pub struct ExtensionMethod {
    pub class: String,
    pub class_side: bool,
    pub method: MethodDef,
}

/// A file that does not parse, with what is needed to render the diagnostic.
#[derive(Debug)]
pub struct SyntaxError {
    pub path: PathBuf,
    pub src: String,
    pub diagnostic: Diagnostic,
}

/// Why files could not be loaded before anything reached the node.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", .0.diagnostic.message)]
    Syntax(Box<SyntaxError>),
    #[error(transparent)]
    Walk(#[from] WalkError),
    #[error(
        "reading the sources took longer than {0:?}; hint: name fewer or smaller directories, or raise --timeout"
    )]
    Timeout(std::time::Duration),
    #[error(
        "class {class} of {} cannot be sent to the node: {source}; hint: a selector or class name becomes an Erlang atom, at most 255 characters with its prefix", path.display()
    )]
    Encode {
        path: PathBuf,
        class: String,
        #[source]
        source: beamtalk_term::etf::EncodeError,
    },
}

impl LoadError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            LoadError::Read { path, .. } => path,
            LoadError::Syntax(e) => &e.path,
            LoadError::Walk(e) => e.path(),
            LoadError::Timeout(_) => Path::new(""),
            LoadError::Encode { path, .. } => path,
        }
    }

    /// One line: `file:line:col: message` for a syntax error, the error itself otherwise.
    pub fn one_line(&self) -> String {
        match self {
            LoadError::Syntax(e) => {
                let (line, col) = e.diagnostic.line_col(&e.src);
                format!(
                    "{}:{line}:{col}: {}",
                    e.path.display(),
                    e.diagnostic.message
                )
            }
            other => other.to_string(),
        }
    }

    /// The full report (with the caret diagnostic for syntax errors).
    pub fn render(&self) -> String {
        match self {
            LoadError::Syntax(e) => e.diagnostic.render(&e.src, &e.path.display().to_string()),
            other => format!("error: {other}\n"),
        }
    }
}

/// What was loaded, and the error that stopped loading, if any.
pub struct LoadReport {
    pub loaded: Vec<String>,
    pub error: Option<String>,
}

/// Reads and parses `paths`; a directory stands for the `.bt` files in it and in its subdirectories, in
/// path order (see [`walk`](super::walk) for the limits).
pub fn read_sources(paths: &[PathBuf]) -> Result<Vec<SourceFile>, LoadError> {
    read_sources_in(paths, None)
}

/// [`read_sources`] with only what lies inside `root` (after symlinks) read, when given.
fn read_sources_in(paths: &[PathBuf], root: Option<&Path>) -> Result<Vec<SourceFile>, LoadError> {
    let mut files = Vec::new();
    for path in paths {
        match path.is_dir() {
            true => files.extend(walk::bt_files(path, &walk::LIMITS, root)?),
            false => {
                if let Some(root) = root {
                    walk::confined_file(path, root)?;
                }
                files.push(path.clone());
            }
        }
    }
    read_each(&files)
}

/// [`read_source`] of each of `files`, on as many threads as the machine has cores (compiling a large
/// project is most of a load's time on this side), this one among them, answering in order; the first
/// file in order that fails is the error, as reading them one by one would report.
fn read_each(files: &[PathBuf]) -> Result<Vec<SourceFile>, LoadError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(files.len());
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(path) = files.get(i) else {
                return done;
            };
            done.push((i, read_source(path)));
        }
    };
    let mut read: Vec<Option<Result<SourceFile, LoadError>>> = files.iter().map(|_| None).collect();
    std::thread::scope(|scope| {
        // A helper that cannot be started leaves its share to the others: this thread works too.
        let helpers: Vec<_> = (1..threads)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .stack_size(crate::lang::COMPILER_STACK)
                    .spawn_scoped(scope, work)
                    .ok()
            })
            .collect();
        let mut done = work();
        for helper in helpers {
            done.extend(
                helper
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
        for (i, file) in done {
            read[i] = Some(file);
        }
    });
    // Every index below the files' count was taken by a worker, and each worker answers all it took.
    read.into_iter().flatten().collect()
}

/// [`read_sources`] on a blocking thread, given up after `timeout` (a slow disk or a huge tree never
/// holds the command past its `--timeout`).
pub async fn read_sources_within(
    paths: &[PathBuf],
    root: Option<&Path>,
    timeout: std::time::Duration,
) -> Result<Vec<SourceFile>, LoadError> {
    let (paths, root) = (paths.to_vec(), root.map(Path::to_path_buf));
    let work = tokio::task::spawn_blocking(move || read_sources_in(&paths, root.as_deref()));
    match tokio::time::timeout(timeout, work).await {
        Ok(Ok(result)) => result,
        Ok(Err(join)) => Err(LoadError::Read {
            path: PathBuf::new(),
            source: std::io::Error::other(join.to_string()),
        }),
        Err(_) => Err(LoadError::Timeout(timeout)),
    }
}

fn read_source(path: &Path) -> Result<SourceFile, LoadError> {
    let src = walk::read_text(path, &walk::LIMITS)?;
    let syntax = |diagnostic| {
        LoadError::Syntax(Box::new(SyntaxError {
            path: path.to_path_buf(),
            src: src.clone(),
            diagnostic,
        }))
    };
    let items = parser::parse(&src).map_err(syntax)?;
    // Compile errors (an undefined variable, say) are reported now too, before anything loads.
    let mut classes = Vec::new();
    let mut forms = Vec::new();
    let mut methods = Vec::new();
    for item in items {
        match item {
            Item::Class(c) => {
                let compiled = compile::class(&c, &src).map_err(syntax)?;
                let encoded =
                    beamtalk_term::etf::encode(&compiled).map_err(|source| LoadError::Encode {
                        path: path.to_path_buf(),
                        class: c.name.clone(),
                        source,
                    })?;
                forms.push(encoded);
                classes.push(c);
            }
            Item::Method {
                class,
                class_side,
                method,
            } => {
                compile::check_method(&class, &method, &src).map_err(syntax)?;
                methods.push(ExtensionMethod {
                    class,
                    class_side,
                    method,
                });
            }
            Item::Statements(_) => {}
        }
    }
    Ok(SourceFile {
        path: path.to_path_buf(),
        src,
        classes,
        forms,
        methods,
    })
}

/// The SHA-256 of a source text, hex: what the workspace records of each file it loaded, so `workspace
/// status` can tell whether the file changed on disk since.
pub fn digest(src: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(src.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Why a project's sources could not be loaded when its workspace started.
#[derive(Debug, thiserror::Error)]
pub enum AutoloadError {
    #[error(transparent)]
    Project(#[from] crate::project::ProjectError),
    #[error("{}: {source}", source.path().display())]
    Load {
        #[from]
        source: LoadError,
    },
    #[error(transparent)]
    Eval(#[from] EvalError),
}

/// Loads `project`'s sources into the workspace a command has just started for it, so that a workspace
/// stopped (or stopped when idle) never comes back without the project's classes: the paths its
/// manifest's `[workspace] sources` names (default `src/`) that exist, unless `autoload = false`.
/// Answers the paths read and what loaded, or `None` when there was nothing to load.
pub async fn autoload(
    session: &Session,
    project: &Path,
    timeout: std::time::Duration,
) -> Result<Option<(Vec<PathBuf>, LoadReport)>, AutoloadError> {
    let settings = crate::project::settings(project)?;
    let paths: Vec<PathBuf> = settings
        .sources
        .iter()
        .map(|p| project.join(p))
        .filter(|p| settings.autoload && p.exists())
        .collect();
    if paths.is_empty() {
        return Ok(None);
    }
    let files = read_sources_within(&paths, Some(project), timeout).await?;
    if files.is_empty() {
        // A `src/` of another language's project: nothing of ours, nothing to say.
        return Ok(None);
    }
    let report = load_sources(session, &files).await?;
    Ok(Some((paths, report)))
}

/// [`autoload`] as one line to tell the user (on stderr), if there is anything to say.
pub async fn autoload_notice(
    session: &Session,
    project: &Path,
    timeout: std::time::Duration,
) -> Option<String> {
    let shown = |paths: &[PathBuf]| {
        paths
            .iter()
            .map(|p| p.strip_prefix(project).unwrap_or(p).display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match autoload(session, project, timeout).await {
        Ok(None) => None,
        Ok(Some((paths, report))) => {
            let names = match report.loaded.is_empty() {
                true => "nothing".to_owned(),
                false => report.loaded.join(", "),
            };
            Some(match report.error {
                None => format!("Loaded the project's {}: {names}", shown(&paths)),
                Some(e) => format!(
                    "warning: the project's {} loaded only in part ({names}): {e}",
                    shown(&paths)
                ),
            })
        }
        Err(e) => Some(format!(
            "warning: the project's sources were not loaded: {e}; hint: fix them and `beamtalk load` them, or set `autoload = false` under [workspace] in beamtalk.toml"
        )),
    }
}

/// Loads every class of `files` in order, stopping at the first that fails. The node compiles the
/// classes ahead, one more at a time than it has schedulers, while each is installed in turn: the
/// compiles are driven beside the installs, so a scheduler is not left idle while one installs.
pub async fn load_sources(
    session: &Session,
    files: &[SourceFile],
) -> Result<LoadReport, EvalError> {
    let count: usize = files.iter().map(|f| f.classes.len()).sum();
    let slots = match count {
        0 | 1 => 1,
        _ => session.compile_slots().await? + 1,
    };
    let jobs: Vec<_> = files
        .iter()
        .flat_map(|f| {
            f.forms
                .iter()
                .map(move |forms| compile_job(session, forms, &f.path))
        })
        .collect();
    let (mut done, compiled) = futures::channel::mpsc::channel(slots);
    let compiling = async move {
        let mut compiles = futures::stream::iter(jobs).buffered(slots);
        while let Some(code) = compiles.next().await {
            if done.send(code).await.is_err() {
                return;
            }
        }
    };
    let installing = install_all(session, files, compiled);
    let (compiling, installing) = (std::pin::pin!(compiling), std::pin::pin!(installing));
    match futures::future::select(installing, compiling).await {
        Either::Left((report, _)) => report,
        Either::Right(((), installing)) => installing.await,
    }
}

/// Installs each class of `files` in order as its compiled code arrives from `compiled`, then the
/// file's extension methods; stops at the first that fails.
async fn install_all(
    session: &Session,
    files: &[SourceFile],
    mut compiled: futures::channel::mpsc::Receiver<Result<Term, EvalError>>,
) -> Result<LoadReport, EvalError> {
    let batch: Vec<String> = files
        .iter()
        .flat_map(|f| f.classes.iter().map(|c| c.name.clone()))
        .collect();
    let mut loaded = Vec::new();
    for file in files {
        let name = file.path.display().to_string();
        let before = loaded.len();
        for class in &file.classes {
            let Some(code) = compiled.next().await else {
                break;
            };
            let outcome = session
                .install_class(class, code?, (&file.src, &name), &batch)
                .await?;
            if let Some(error) = record(outcome, &mut loaded) {
                return Ok(LoadReport {
                    loaded,
                    error: Some(error),
                });
            }
        }
        for m in &file.methods {
            // Listed as `Account>>withdraw:` among the loaded names (the REPL shows the CompiledMethod).
            let outcome = match session
                .define_method(&m.class, m.class_side, &m.method, &file.src)
                .await?
            {
                Outcome::Value(_) => Outcome::Value(format!("{}>>{}", m.class, m.method.selector)),
                err => err,
            };
            if let Some(error) = record(outcome, &mut loaded) {
                return Ok(LoadReport {
                    loaded,
                    error: Some(error),
                });
            }
        }
        if loaded.len() > before {
            register_source(session, file).await?;
        }
    }
    Ok(LoadReport {
        loaded,
        error: None,
    })
}

async fn compile_job(session: &Session, forms: &[u8], path: &Path) -> Result<Term, EvalError> {
    let forms = Term::Binary(eetf::Binary::from(forms));
    session
        .compile_class(forms, &path.display().to_string())
        .await
}

/// Tells the workspace that `file` was loaded, and its digest (for `workspace status`).
async fn register_source(session: &Session, file: &SourceFile) -> Result<(), EvalError> {
    let path = std::fs::canonicalize(&file.path).unwrap_or_else(|_| file.path.clone());
    let classes = file.classes.iter().map(|c| c.name.as_str());
    session
        .register_source(&path.display().to_string(), &file.src, classes)
        .await
}

/// Adds what loaded to `loaded`; the error text if it failed.
fn record(outcome: Outcome, loaded: &mut Vec<String>) -> Option<String> {
    match outcome {
        Outcome::Value(name) => {
            loaded.push(name);
            None
        }
        Outcome::Error(text) => Some(text),
    }
}

/// `Workspace load: "path"` for code evaluated through a session: the path (a `.bt` file or a directory
/// of them, relative to this process's directory) compiled here and loaded into the node; the names of
/// the classes loaded. Nothing but `.bt` files inside `project` is read (symlinks resolved), so a node,
/// remote or compromised, cannot make this process read other files.
pub(super) async fn load_for_node(
    conn: crate::dist::WeakConnection,
    timeout: std::time::Duration,
    path: &str,
    project: &Path,
) -> Result<Vec<String>, String> {
    let path = PathBuf::from(path);
    let is_bt = path.extension().is_some_and(|e| e == "bt");
    if !path.is_dir() && !is_bt {
        return Err(format!(
            "{} is not a .bt file or a directory of them",
            path.display()
        ));
    }
    let files = read_sources_within(&[path], Some(project), timeout)
        .await
        .map_err(|e| e.one_line())?;
    let conn = conn.upgrade().ok_or("the connection is closed")?;
    let quiet = crate::dist::io_server::Terminal {
        output: Box::new(std::io::sink()),
        input: Box::new(std::io::empty()),
    };
    let session = Session::new(conn, quiet, timeout);
    let report = load_sources(&session, &files)
        .await
        .map_err(|e| e.to_string())?;
    match report.error {
        Some(e) => Err(e),
        None => Ok(report.loaded),
    }
}
