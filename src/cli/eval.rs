//! `beamtalk eval`: one Beamtalk input in the workspace, printed as the REPL prints it.

use std::path::PathBuf;

use serde_json::json;

use super::{Failure, Global};
use crate::dist::io_server::Terminal;
use crate::repl::{EvalError, Outcome, Session};

#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Workspace to evaluate in (it must exist, unless --create) [default: this project's, created if
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
    /// Beamtalk source: statements separated by `.`.
    #[arg(allow_hyphen_values = true)]
    expr: String,
}

pub async fn run(global: &Global, args: EvalArgs) -> Result<(), Failure> {
    // Syntax errors are found here, before any workspace is touched.
    if let Err(d) = crate::lang::parser::parse(&args.expr) {
        return Err(syntax_failure(&d, &args.expr));
    }
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
    let terminal = if global.json {
        Terminal {
            output: Box::new(std::io::sink()),
            input: Box::new(std::io::empty()),
        }
    } else {
        Terminal::stdio()
    };
    let session = Session::for_project(conn, terminal, global.timeout, project.clone());
    let outcome = session.eval(&args.expr).await;
    session.close().await;
    match outcome {
        Ok(Outcome::Value(text)) => {
            if global.json {
                println!("{}", json!({ "result": text }));
            } else {
                println!("{text}");
            }
            Ok(())
        }
        Ok(Outcome::Error(text)) => {
            if global.json {
                println!(
                    "{}",
                    json!({ "error": { "kind": "remote", "message": text } })
                );
            } else {
                println!(
                    "{}",
                    super::color::beamtalk_error(&text, super::color::Stream::Stdout)
                );
            }
            Err(Failure::Reported { code: 1 })
        }
        Err(EvalError::Syntax(d)) => Err(syntax_failure(&d, &args.expr)),
        Err(EvalError::Call(crate::dist::CallError::Timeout { after, .. })) => {
            Err(Failure::Timeout {
                message: format!(
                    "the evaluation did not finish within {}; it was stopped on the node (the workspace, its bindings and actors are intact). Give it longer with --timeout, e.g. `beamtalk --timeout 5m eval ...`",
                    humantime::format_duration(after)
                ),
            })
        }
        Err(EvalError::Call(e)) => Err(e.into()),
        Err(e @ EvalError::Protocol(_)) => Err(Failure::Remote {
            message: e.to_string(),
            detail: None,
        }),
    }
}

fn syntax_failure(d: &crate::lang::diagnostic::Diagnostic, src: &str) -> Failure {
    Failure::from_report(d.message.clone(), &d.render(src, "<eval>"))
}
