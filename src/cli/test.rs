//! `beamtalk test`: loads `.bt` files (the classes and their TestCase classes) into a workspace made for
//! the run — or `-w NAME` — and runs every TestCase class there (`beamtalk_test` on the node).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use eetf::Term;

use super::color::Stream;
use super::{Failure, Global};
use crate::dist::io_server::Terminal;
use crate::repl::Session;
use crate::repl::load::{SourceFile, load_sources, read_sources_within};
use crate::repl::test_report::{TestOutcome, counts, json_report, text_report};
use crate::term::{atom, list};
use crate::workspace::{CreateSpec, Workspaces};

#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// `.bt` files or directories: the classes under test and their TestCase classes [default: src/ and
    /// test/ of the project].
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Run only the tests whose `Class>>selector` contains PATTERN.
    #[arg(long, value_name = "PATTERN")]
    filter: Option<String>,
    /// Run in this workspace (it must exist) instead of a fresh one made for the run and removed after.
    #[arg(short = 'w', long = "workspace", value_name = "NAME")]
    workspace: Option<String>,
    /// Project directory [default: the project of the current directory: the nearest one up with a beamtalk.toml, else the git root, else the directory itself].
    #[arg(long, value_name = "DIR")]
    project: Option<PathBuf>,
    /// How long one test may run before it is stopped and counted as an error.
    #[arg(long, value_parser = super::parse_duration, default_value = "10s", value_name = "DURATION")]
    test_timeout: Duration,
}

pub async fn run(global: &Global, args: TestArgs) -> Result<(), Failure> {
    let project = super::project_dir(args.project.clone())?;
    // By default the project's classes (src/, when there is one) and its tests (test/).
    let paths = match args.paths.is_empty() {
        true => [project.join("src"), project.join("test")]
            .into_iter()
            .filter(|p| p.exists() || p.ends_with("test"))
            .collect(),
        false => args.paths.clone(),
    };
    if let Some(missing) = paths.iter().find(|p| !p.exists()) {
        return Err(Failure::Usage {
            message: format!("{} does not exist", missing.display()),
            detail: Some("hint: name the test files or directories (default: test/)".to_owned()),
        });
    }
    let sources = read_sources_within(&paths, None, global.timeout)
        .await
        .map_err(super::load::source_failure)?;
    let (_, ws) = super::workspaces(global)?;
    match &args.workspace {
        Some(name) => {
            let conn = super::attach(global, &ws, Some(name), &project, false)
                .await?
                .conn;
            run_over(global, &args, conn, &project, &sources).await
        }
        None => run_in_scratch(global, &args, &ws, &project, &sources).await,
    }
}

/// Runs the tests in a workspace made for this run, which is removed afterwards whatever the outcome: a
/// failure, a closed output pipe, or SIGINT, SIGTERM or SIGHUP (then the exit code is 128 + the signal).
/// Scratch workspaces left by runs that were killed outright are removed first.
async fn run_in_scratch(
    global: &Global,
    args: &TestArgs,
    ws: &Workspaces,
    project: &Path,
    sources: &[SourceFile],
) -> Result<(), Failure> {
    for id in ws.reap_scratch().await? {
        tracing::debug!(id, "removed the workspace of an interrupted test run");
    }
    let name = format!("test_{}", std::process::id());
    let signal = crate::interrupt::termination();
    tokio::pin!(signal);
    let outcome = tokio::select! {
        result = attach_and_run(global, args, ws, &name, project, sources) => Ok(result),
        caught = &mut signal => Err(caught),
    };
    // Whatever happened, the run's own workspace goes (a halted node is just forgotten).
    let removed = ws.remove(&name).await;
    match outcome {
        Ok(result) => {
            result?;
            removed.map_err(Failure::from)
        }
        Err(caught) => {
            let code = caught.map_or(130, |sig| 128 + sig);
            eprintln!("interrupted: the test workspace {name} was removed");
            Err(Failure::Reported { code })
        }
    }
}

async fn attach_and_run(
    global: &Global,
    args: &TestArgs,
    ws: &Workspaces,
    name: &str,
    project: &Path,
    sources: &[SourceFile],
) -> Result<(), Failure> {
    let created = ws.create(name, project, &CreateSpec::scratch()).await?;
    let conn = ws.connect(&created.entry).await?;
    run_over(global, args, conn, project, sources).await
}

/// Runs the tests over a connection to their workspace, in a session of its own.
async fn run_over(
    global: &Global,
    args: &TestArgs,
    conn: crate::dist::Connection,
    project: &Path,
    sources: &[SourceFile],
) -> Result<(), Failure> {
    let session = Session::for_project(
        conn,
        Terminal::stdio(),
        global.timeout,
        project.to_path_buf(),
    );
    let result = run_tests(global, args, &session, sources).await;
    session.close().await;
    result
}

async fn run_tests(
    global: &Global,
    args: &TestArgs,
    session: &Session,
    sources: &[SourceFile],
) -> Result<(), Failure> {
    let report = load_sources(session, sources)
        .await
        .map_err(super::load::eval_failure)?;
    if let Some(error) = report.error {
        return Err(Failure::Usage {
            message: format!("loading the tests failed: {error}"),
            detail: None,
        });
    }
    let classes = list(report.loaded.iter().map(|c| atom(c)).collect());
    let filter = match &args.filter {
        Some(f) => crate::term::binary(f),
        None => atom("all"),
    };
    let timeout_ms = i64::try_from(args.test_timeout.as_millis()).unwrap_or(i64::MAX);
    // A mark per finished test, as it finishes, for a person watching; never in a pipe or JSON.
    let progress = !global.json && std::io::stdout().is_terminal();
    let options = Term::from(eetf::Map::from([(
        atom("progress"),
        atom(if progress { "true" } else { "false" }),
    )]));
    // The run takes as long as its tests: each has its own limit on the node.
    let reply = session
        .call_streaming(
            crate::workspace::node_api::RUN_TESTS,
            vec![
                classes,
                filter,
                crate::term::etf::int_term(timeout_ms.into()),
                options,
            ],
            Duration::from_secs(24 * 3600),
        )
        .await
        .map_err(super::load::eval_failure)?;
    let outcomes = crate::repl::test_report::outcomes(&reply);
    if progress && !outcomes.is_empty() {
        println!();
    }
    report_outcomes(global.json, &outcomes, sources)
}

/// Prints a line for each test that did not pass (with the file and line of its method) and the summary
/// line, or one JSON document; exit 1 when any failed or errored. A closed stdout (`beamtalk test | head`)
/// loses the text but not the exit code, and never ends the process before its workspace is removed.
fn report_outcomes(
    json: bool,
    outcomes: &[TestOutcome],
    sources: &[SourceFile],
) -> Result<(), Failure> {
    let (_, failed, _) = counts(outcomes);
    let text = match json {
        true => json_report(outcomes, sources),
        false => text_report(outcomes, sources, Stream::Stdout),
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    match failed {
        0 => Ok(()),
        _ => Err(Failure::Reported { code: 1 }),
    }
}
