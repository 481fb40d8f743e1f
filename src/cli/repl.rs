//! `beamtalk repl`: attach to the project's workspace (creating it if needed) and evaluate interactively,
//! or, with stdin not a terminal, run what stdin holds.

use std::io::IsTerminal;
use std::path::PathBuf;

use super::workspace::Spinner;
use super::{Failure, Global};
use crate::repl::shell::{Shell, Style};
use crate::repl::{interactive, script};

#[derive(Debug, clap::Args)]
pub struct ReplArgs {
    /// Workspace to attach to (it must exist, unless --create) [default: this project's, created if
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
}

pub async fn run(global: &Global, args: ReplArgs) -> Result<(), Failure> {
    let (home, ws) = super::workspaces(global)?;
    let project = super::project_dir(args.project)?;
    let tty = std::io::stdin().is_terminal();
    let style = if tty {
        Style::detect()
    } else {
        Style { color: false }
    };
    let spinner = Spinner::start(global.json || !tty, "attaching to the workspace");
    let shell = Shell::attach(
        ws,
        (args.workspace, args.create),
        project,
        global.timeout,
        style,
    )
    .await;
    drop(spinner);
    let shell = shell?;
    let code = if tty {
        interactive::run(shell, home.join("history")).await
    } else {
        script::run(shell).await
    };
    match code {
        0 => Ok(()),
        code => Err(Failure::Reported { code }),
    }
}
