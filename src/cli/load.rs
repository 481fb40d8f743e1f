//! `beamtalk load FILE.bt ...`: compile classes and load them into the workspace.

use std::path::PathBuf;

use serde_json::json;

use super::{Failure, Global};
use crate::dist::io_server::Terminal;
use crate::home;
use crate::repl::Session;
use crate::repl::load::{LoadError, load_sources, read_sources};
use crate::workspace::Workspaces;

#[derive(Debug, clap::Args)]
pub struct LoadArgs {
    /// Workspace to load into [default: this project's, created if needed].
    #[arg(short = 'w', long = "workspace", value_name = "NAME")]
    workspace: Option<String>,
    /// Project directory [default: the current directory].
    #[arg(long, value_name = "DIR")]
    project: Option<PathBuf>,
    /// `.bt` files (or directories of them) with class definitions.
    #[arg(required = true, value_name = "FILE.bt")]
    files: Vec<PathBuf>,
}

pub async fn run(global: &Global, args: LoadArgs) -> Result<(), Failure> {
    let sources = read_sources(&args.files).map_err(|e| match &e {
        LoadError::Syntax(syntax) => Failure::Usage {
            message: syntax.diagnostic.message.clone(),
            detail: Some(
                e.render()
                    .split_once('\n')
                    .map_or("", |(_, rest)| rest)
                    .trim_end()
                    .to_owned(),
            ),
        },
        LoadError::Read { .. } => Failure::Usage {
            message: e.to_string(),
            detail: None,
        },
    })?;
    let home = home::resolve_home(global.home.as_deref())?;
    let cookie = home::load_cookie(&home, global.cookie_file.as_deref())?;
    let ws = Workspaces::new(&home, cookie, global.timeout)?;
    let project = match args.project {
        Some(p) => p,
        None => std::env::current_dir().map_err(|e| Failure::Other {
            message: format!("current directory: {e}"),
        })?,
    };
    let (_, conn) = ws.attach(args.workspace.as_deref(), &project).await?;
    let session = Session::new(conn, Terminal::stdio(), global.timeout);
    let report = load_sources(&session, &sources).await;
    session.close().await;
    let report = report.map_err(|e| match e {
        crate::repl::EvalError::Call(c) => Failure::from(c),
        other => Failure::Remote {
            message: other.to_string(),
            detail: None,
        },
    })?;
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
            println!("{text}");
        }
    }
    match report.error {
        Some(_) => Err(Failure::Reported { code: 1 }),
        None => Ok(()),
    }
}
