//! `beamtalk eval`: one Beamtalk input in the workspace, printed as the REPL prints it.

use std::path::PathBuf;

use serde_json::json;

use super::{Failure, Global};
use crate::dist::io_server::Terminal;
use crate::repl::{EvalError, Evaluated, Outcome, Session};

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
    let captured = crate::dist::io_server::Captured::default();
    let terminal = match global.json {
        true => captured.terminal(),
        false => Terminal::stdio(),
    };
    let session = Session::for_project(conn, terminal, global.timeout, project.clone());
    let evaluated = session.eval_detailed(&args.expr).await;
    session.close().await;
    let evaluated = match evaluated {
        Ok(e) if global.json => {
            println!("{}", json_document(&e, &captured.text()));
            return match e.outcome {
                Outcome::Value(_) => Ok(()),
                Outcome::Error(_) => Err(Failure::Reported { code: 1 }),
            };
        }
        other => other,
    };
    match evaluated.map(|e| e.outcome) {
        Ok(Outcome::Value(text)) => {
            println!("{text}");
            Ok(())
        }
        Ok(Outcome::Error(text)) => {
            println!(
                "{}",
                super::color::beamtalk_error(&text, super::color::Stream::Stdout)
            );
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

/// `eval --json`: the value as data (where it has a JSON form), as printed, the output the evaluation
/// wrote, and for a failure the error's parts.
fn json_document(e: &Evaluated, output: &str) -> serde_json::Value {
    match (&e.outcome, &e.error) {
        (Outcome::Error(text), Some(parts)) => json!({
            "error": {
                "kind": parts.kind,
                "class": parts.class,
                "message": parts.message,
                "hint": parts.hint,
                "text": text,
            },
            "output": output,
        }),
        (Outcome::Error(text), None) => {
            json!({ "error": { "kind": "error", "message": text }, "output": output })
        }
        (Outcome::Value(print), _) => {
            let mut doc = json!({ "printString": print, "output": output });
            if let Some(data) = &e.data {
                doc["value"] = crate::term::json::to_json(data);
            }
            doc
        }
    }
}

fn syntax_failure(d: &crate::lang::diagnostic::Diagnostic, src: &str) -> Failure {
    Failure::from_report(d.message.clone(), &d.render(src, "<eval>"))
}
