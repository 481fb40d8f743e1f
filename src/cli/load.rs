//! `beamtalk load FILE.bt ...`: compile classes and load them into the workspace.

use std::path::PathBuf;

use serde_json::json;

use super::color::{self, Stream};
use super::{Failure, Global};
use crate::dist::io_server::Terminal;
use crate::repl::Session;
use crate::repl::load::{LoadError, LoadReport, load_sources, read_sources, read_sources_within};

#[derive(Debug, clap::Args)]
pub struct LoadArgs {
    /// Workspace to load into (it must exist, unless --create) [default: this project's, created if
    /// needed].
    #[arg(short = 'w', long = "workspace", value_name = "NAME")]
    workspace: Option<String>,
    /// Project directory [default: the project of the current directory: the nearest one up with a beamtalk.toml, else the git root, else the directory itself].
    #[arg(long, value_name = "DIR")]
    project: Option<PathBuf>,
    /// With -w NAME: create the workspace if it does not exist (the project's own is always created
    /// when needed).
    #[arg(long)]
    create: bool,
    /// `.bt` files with class definitions, or directories: every `.bt` file in them and their
    /// subdirectories, in path order.
    #[arg(required = true, value_name = "FILE.bt")]
    files: Vec<PathBuf>,
    /// Keep running and reload a file whenever it changes (Ctrl-C stops).
    #[arg(long)]
    watch: bool,
}

pub async fn run(global: &Global, args: LoadArgs) -> Result<(), Failure> {
    let sources = read_sources_within(&args.files, None, global.timeout)
        .await
        .map_err(source_failure)?;
    let (_, ws) = super::workspaces(global)?;
    let project = super::project_dir(args.project)?;
    let conn = super::attach(
        global,
        &ws,
        args.workspace.as_deref(),
        &project,
        args.create,
    )
    .await?
    .conn;
    let session = Session::for_project(conn, Terminal::stdio(), global.timeout, project);
    let report = load_sources(&session, &sources).await;
    if args.watch {
        if let Ok(r) = &report {
            print_report(r, false, global.json);
        }
        let result = watch(&session, &args.files, global.json).await;
        session.close().await;
        return result;
    }
    session.close().await;
    let report = report.map_err(eval_failure)?;
    if global.json {
        println!(
            "{}",
            json!({ "loaded": report.loaded, "error": report.error })
        );
    } else {
        if !report.loaded.is_empty() {
            println!("Loaded: {}", report.loaded.join(", "));
        }
        if let Some(text) = &report.error {
            println!("{}", color::beamtalk_error(text, Stream::Stdout));
        }
    }
    match report.error {
        Some(_) => Err(Failure::Reported { code: 1 }),
        None => Ok(()),
    }
}

/// A file that cannot be read or parsed: a usage error (exit 2) with its caret diagnostic.
pub(super) fn source_failure(e: LoadError) -> Failure {
    match &e {
        LoadError::Syntax(syntax) => {
            Failure::from_report(syntax.diagnostic.message.clone(), &e.render())
        }
        LoadError::Timeout(_) => Failure::Timeout {
            message: e.to_string(),
        },
        LoadError::Read { .. } | LoadError::Walk(_) | LoadError::Encode { .. } => Failure::Usage {
            message: e.to_string(),
            detail: None,
        },
    }
}

/// What a (re)load did: `Loaded: A, B` and the error line, or with `--json` one JSON line (an event of
/// `load --watch`: `{"event": "loaded" | "reloaded", "loaded": [...], "error": ...}`).
fn print_report(report: &LoadReport, reloaded: bool, json: bool) {
    let event = if reloaded { "reloaded" } else { "loaded" };
    if json {
        println!(
            "{}",
            json!({ "event": event, "loaded": report.loaded, "error": report.error })
        );
        return;
    }
    if !report.loaded.is_empty() {
        println!(
            "{}: {}",
            if reloaded { "Reloaded" } else { "Loaded" },
            report.loaded.join(", ")
        );
    }
    if let Some(text) = &report.error {
        println!("{}", color::beamtalk_error(text, Stream::Stdout));
    }
}

/// A file `load --watch` could not read or parse: its diagnostic, or a JSON line.
fn print_watch_error(e: &LoadError, json: bool) {
    match json {
        true => println!(
            "{}",
            json!({ "event": "error", "path": e.path().display().to_string(), "error": e.render() })
        ),
        false => print!("{}", e.render()),
    }
}

/// Reloads `.bt` files under `paths` as they change, until Ctrl-C. Directories are watched rather than
/// files, because editors often save by writing a new file and renaming it over the old one.
async fn watch(session: &Session, paths: &[PathBuf], json: bool) -> Result<(), Failure> {
    use notify::{RecursiveMode, Watcher};
    let watched: Vec<PathBuf> = paths
        .iter()
        .map(|p| p.canonicalize().unwrap_or_else(|_| p.clone()))
        .collect();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<PathBuf>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && (event.kind.is_create() || event.kind.is_modify())
        {
            for path in event.paths {
                let _ = tx.send(path);
            }
        }
    })
    .map_err(|e| Failure::Other {
        message: format!("cannot watch files: {e}"),
    })?;
    for path in &watched {
        let dir = if path.is_dir() {
            path.clone()
        } else {
            path.parent().map(PathBuf::from).unwrap_or_default()
        };
        watcher
            .watch(&dir, RecursiveMode::Recursive)
            .map_err(|e| Failure::Other {
                message: format!("cannot watch {}: {e}", dir.display()),
            })?;
    }
    match json {
        true => println!("{}", json!({ "event": "watching" })),
        false => println!("Watching for changes (Ctrl-C to stop)."),
    }
    let wanted = |p: &PathBuf| {
        p.extension().is_some_and(|e| e == "bt")
            && watched
                .iter()
                .any(|w| p == w || (w.is_dir() && p.starts_with(w)))
    };
    loop {
        tokio::select! {
            first = rx.recv() => {
                let Some(first) = first else { return Ok(()) };
                // Saving often fires several events; let them settle and reload each file once.
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                let mut changed = vec![first];
                while let Ok(p) = rx.try_recv() {
                    changed.push(p);
                }
                changed.sort();
                changed.dedup();
                changed.retain(|p| wanted(p) && p.is_file());
                for path in changed {
                    match read_sources(std::slice::from_ref(&path)) {
                        Ok(sources) => match load_sources(session, &sources).await {
                            Ok(report) => print_report(&report, true, json),
                            Err(e) => print_report(
                                &LoadReport { loaded: Vec::new(), error: Some(format!("ERROR: {e}")) },
                                true,
                                json,
                            ),
                        },
                        Err(e) => print_watch_error(&e, json),
                    }
                }
            }
            _ = crate::interrupt::ctrl_c() => return Ok(()),
        }
    }
}

/// An evaluation's failure as the CLI reports it: a lost node is unreachable (exit 3), a timeout a
/// timeout (5), anything else the remote side's error (1).
pub fn eval_failure(e: crate::repl::EvalError) -> Failure {
    match e {
        crate::repl::EvalError::Call(c) => Failure::from(c),
        other => Failure::Remote {
            message: other.to_string(),
            detail: None,
        },
    }
}
