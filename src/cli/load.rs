//! `beamtalk load FILE.bt ...`: compile classes and load them into the workspace.

use std::path::PathBuf;

use serde_json::json;

use super::{Failure, Global};
use crate::dist::io_server::Terminal;
use crate::home;
use crate::lang::ast::{ClassDef, Item};
use crate::lang::parser;
use crate::repl::{EvalError, Outcome, Session};
use crate::workspace::Workspaces;

#[derive(Debug, clap::Args)]
pub struct LoadArgs {
    /// Workspace to load into [default: this project's, created if needed].
    #[arg(short = 'w', long = "workspace", value_name = "NAME")]
    workspace: Option<String>,
    /// Project directory [default: the current directory].
    #[arg(long, value_name = "DIR")]
    project: Option<PathBuf>,
    /// `.bt` files with class definitions.
    #[arg(required = true, value_name = "FILE.bt")]
    files: Vec<PathBuf>,
}

pub async fn run(global: &Global, args: LoadArgs) -> Result<(), Failure> {
    // Every file is read and parsed before anything is loaded: a syntax error loads nothing.
    let mut sources = Vec::new();
    for path in &args.files {
        let src = std::fs::read_to_string(path).map_err(|e| Failure::Usage {
            message: format!("cannot read {}: {e}", path.display()),
            detail: None,
        })?;
        let items = parser::parse(&src).map_err(|d| syntax_failure(&d, &src, path))?;
        let classes: Vec<ClassDef> = items
            .into_iter()
            .filter_map(|i| match i {
                Item::Class(c) => Some(c),
                _ => None,
            })
            .collect();
        sources.push((path.clone(), src, classes));
    }
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
    let batch: Vec<String> = sources
        .iter()
        .flat_map(|(_, _, cs)| cs.iter().map(|c| c.name.clone()))
        .collect();
    let mut loaded = Vec::new();
    let mut failure = None;
    'files: for (path, src, classes) in &sources {
        for class in classes {
            match session
                .load_class(class, src, &path.display().to_string(), &batch)
                .await
            {
                Ok(Outcome::Value(name)) => loaded.push(name),
                Ok(Outcome::Error(text)) => {
                    failure = Some(text);
                    break 'files;
                }
                Err(EvalError::Call(e)) => {
                    session.close().await;
                    return Err(e.into());
                }
                Err(e) => {
                    failure = Some(e.to_string());
                    break 'files;
                }
            }
        }
    }
    session.close().await;
    if global.json {
        println!("{}", json!({ "loaded": loaded, "error": failure }));
    } else {
        if !loaded.is_empty() {
            println!("Loaded: {}", loaded.join(", "));
        }
        if let Some(text) = &failure {
            println!("{text}");
        }
    }
    match failure {
        Some(_) => Err(Failure::Reported { code: 1 }),
        None => Ok(()),
    }
}

fn syntax_failure(
    d: &crate::lang::diagnostic::Diagnostic,
    src: &str,
    path: &std::path::Path,
) -> Failure {
    let rendered = d.render(src, &path.display().to_string());
    let detail = rendered
        .split_once('\n')
        .map_or("", |(_, rest)| rest)
        .trim_end()
        .to_owned();
    Failure::Usage {
        message: d.message.clone(),
        detail: Some(detail),
    }
}
