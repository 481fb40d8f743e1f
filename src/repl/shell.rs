//! The REPL's core, shared by the interactive and the piped front ends: runs one complete input (a command
//! or Beamtalk), prints what it produced, and reattaches when the workspace goes away.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use eetf::{Binary, Term};

use super::commands::{Command, HELP};
use super::load::{load_sources, read_sources, read_sources_within};
use super::{EvalError, Outcome, Session};
use crate::dist::CallError;
use crate::dist::io_server::Terminal;
use crate::term::{as_text, atom, list_elements};
use crate::workspace::info::{ActorDetail, actors_table, given_up_lines};
use crate::workspace::node_api;
use crate::workspace::{Entry, Info, WorkspaceError, Workspaces};

/// What running one input came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Ok,
    Failed,
    Quit,
}

/// How output is decorated.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    /// Colour only on a terminal, and never with `NO_COLOR` set.
    pub fn detect() -> Self {
        Self {
            color: crate::cli::color::enabled(crate::cli::color::Stream::Stdout),
        }
    }

    fn error(&self, text: &str) -> String {
        if self.color {
            format!("\x1b[1;31m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

/// A REPL attached to one workspace.
pub struct Shell {
    ws: Workspaces,
    name: Option<String>,
    project: PathBuf,
    pub entry: Entry,
    pub session: Session,
    timeout: Duration,
    style: Style,
    loaded_files: Vec<PathBuf>,
}

impl Shell {
    /// Attaches to the workspace `name` (or the project's), creating it when needed.
    pub async fn attach(
        ws: Workspaces,
        (name, create): (Option<String>, bool),
        project: PathBuf,
        timeout: Duration,
        style: Style,
    ) -> Result<Self, WorkspaceError> {
        let attached = ws.attach(name.as_deref(), &project, create).await?;
        announce(&attached);
        let (entry, conn, started) = (attached.entry, attached.conn, attached.started);
        let session = Session::for_project(conn, Terminal::stdio(), timeout, project.clone());
        if started && name.is_none() {
            autoload(&session, &project, timeout).await;
        }
        let _ = session.attach_shell().await;
        Ok(Self {
            ws,
            name,
            project,
            entry,
            session,
            timeout,
            style,
            loaded_files: Vec::new(),
        })
    }

    /// Creates the workspace again after it stopped, and attaches to it.
    pub async fn reattach(&mut self) -> Result<(), WorkspaceError> {
        let attached = self
            .ws
            .attach(self.name.as_deref(), &self.project, true)
            .await?;
        announce(&attached);
        self.entry = attached.entry;
        self.session = Session::for_project(
            attached.conn,
            Terminal::stdio(),
            self.timeout,
            self.project.clone(),
        );
        if attached.started && self.name.is_none() {
            autoload(&self.session, &self.project, self.timeout).await;
        }
        let _ = self.session.attach_shell().await;
        Ok(())
    }

    /// Runs one complete input and prints its result.
    pub async fn run(&mut self, input: &str) -> Result<Step, EvalError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Ok(Step::Ok);
        }
        if trimmed.starts_with(':') {
            return match super::commands::parse(trimmed) {
                Ok(cmd) => self.command(cmd).await,
                Err(msg) => {
                    self.print_error(&msg);
                    Ok(Step::Failed)
                }
            };
        }
        match self.session.eval(input).await {
            Ok(Outcome::Value(text)) => {
                println!("{text}");
                Ok(Step::Ok)
            }
            Ok(Outcome::Error(text)) => {
                self.print_error(&text);
                Ok(Step::Failed)
            }
            Err(EvalError::Syntax(d)) => {
                self.print_error(d.render(input, "<repl>").trim_end());
                Ok(Step::Failed)
            }
            Err(e) => Err(e),
        }
    }

    pub fn print_error(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", self.style.error(text));
    }

    /// `:help Counter [selector]`: `Beamtalk help:` for the class (or one of its methods).
    async fn class_help(&self, class: &str, selector: Option<String>) -> Result<Step, EvalError> {
        let text = crate::term::binary;
        let selector = selector.as_deref().map_or_else(|| atom("none"), text);
        let reply = self
            .session
            .call(node_api::HELP, vec![text(class), selector])
            .await?;
        match &reply {
            Term::Tuple(t) if t.elements.len() == 2 => {
                let body = as_text(&t.elements[1]).unwrap_or_default();
                if as_text(&t.elements[0]).as_deref() == Some("ok") {
                    println!("{body}");
                    Ok(Step::Ok)
                } else {
                    self.print_error(&format!("ERROR: {body}"));
                    Ok(Step::Failed)
                }
            }
            _ => Ok(Step::Ok),
        }
    }

    async fn command(&mut self, cmd: Command) -> Result<Step, EvalError> {
        match cmd {
            Command::Help(None) => println!("{HELP}"),
            Command::Help(Some((class, selector))) => {
                return self.class_help(&class, selector).await;
            }
            Command::Quit => return Ok(Step::Quit),
            Command::Interrupt => {
                println!("Nothing is running; Ctrl-C interrupts an evaluation while it runs.")
            }
            Command::Load(paths) => {
                let paths: Vec<PathBuf> = paths.iter().map(|p| self.resolve(p)).collect();
                return self.load(&paths, true).await;
            }
            Command::Reload(class) => return self.reload(class).await,
            Command::Test(what) => return self.test(what).await,
            Command::Bindings => {
                let reply = self.session.call(node_api::BINDINGS, vec![]).await?;
                let pairs = list_elements(&reply).unwrap_or_default();
                if pairs.is_empty() {
                    println!("No bindings.");
                }
                for pair in pairs {
                    if let Term::Tuple(t) = pair
                        && let [name, value] = t.elements.as_slice()
                    {
                        println!(
                            "{} := {}",
                            as_text(name).unwrap_or_default(),
                            as_text(value).unwrap_or_default()
                        );
                    }
                }
            }
            Command::Clear => {
                self.session.call(node_api::CLEAR_BINDINGS, vec![]).await?;
                println!("Bindings cleared.");
            }
            Command::Changes | Command::Dirty => {
                let all = self.session.changes().await?;
                let shown: Vec<_> = all
                    .iter()
                    .filter(|c| cmd == Command::Changes || (c.durable && !c.flushed))
                    .collect();
                if shown.is_empty() {
                    println!("No changes.");
                }
                shown.iter().for_each(|c| println!("{}", c.line()));
            }
            Command::Flush => {
                let report = self.session.flush(&self.project).await?;
                report.lines().iter().for_each(|l| println!("{l}"));
            }
            Command::Modules => {
                let info = self.session.call(node_api::INFO, vec![]).await?;
                let info = Info::from_term(&info);
                if info.modules.is_empty() {
                    println!("No classes loaded.");
                }
                info.modules.iter().for_each(|m| println!("{m}"));
            }
            Command::Actors => {
                let detail = self.session.call(node_api::ACTORS_DETAIL, vec![]).await?;
                let actors = ActorDetail::list_from_term(&detail);
                if actors.is_empty() {
                    println!("No actors.");
                } else {
                    println!("{}", actors_table(&actors, None));
                }
                let given_up = self.session.call(node_api::GIVEN_UP, vec![]).await?;
                given_up_lines(&given_up)
                    .iter()
                    .for_each(|l| println!("{l}"));
            }
            Command::Kill(who) => {
                let arg = Term::from(Binary::from(who.clone().into_bytes()));
                let reply = self.session.call(node_api::KILL, vec![arg]).await?;
                if reply == crate::term::atom("ok") {
                    println!("Killed {who}.");
                } else {
                    self.print_error(&format!("ERROR: kill: {}", error_text(&reply)));
                    return Ok(Step::Failed);
                }
            }
            Command::Transcript => {
                let reply = self
                    .session
                    .call(node_api::TRANSCRIPT_RECENT, vec![])
                    .await?;
                let text = as_text(&reply).unwrap_or_default();
                if text.is_empty() {
                    println!("The transcript is empty.");
                } else {
                    print!("{text}");
                    if !text.ends_with('\n') {
                        println!();
                    }
                }
            }
        }
        Ok(Step::Ok)
    }

    fn resolve(&self, p: &str) -> PathBuf {
        let path = Path::new(p);
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir().unwrap_or_default().join(path)
        }
    }

    async fn load(&mut self, paths: &[PathBuf], remember: bool) -> Result<Step, EvalError> {
        let sources = match read_sources_within(paths, None, self.timeout).await {
            Ok(s) => s,
            Err(e) => {
                self.print_error(e.render().trim_end());
                return Ok(Step::Failed);
            }
        };
        let report = load_sources(&self.session, &sources).await?;
        if remember {
            for p in paths {
                if !self.loaded_files.contains(p) {
                    self.loaded_files.push(p.clone());
                }
            }
        }
        if !report.loaded.is_empty() {
            println!("Loaded: {}", report.loaded.join(", "));
        }
        match report.error {
            Some(text) => {
                self.print_error(&text);
                Ok(Step::Failed)
            }
            None => Ok(Step::Ok),
        }
    }

    async fn reload(&mut self, class: Option<String>) -> Result<Step, EvalError> {
        let files = self.loaded_files.clone();
        let files: Vec<PathBuf> = match &class {
            None => files,
            Some(c) => files
                .into_iter()
                .filter(|f| {
                    read_sources(std::slice::from_ref(f))
                        .is_ok_and(|s| s.iter().any(|s| s.classes.iter().any(|k| &k.name == c)))
                })
                .collect(),
        };
        if files.is_empty() {
            self.print_error("ERROR: reload: nothing to reload (load files with :load first)");
            return Ok(Step::Failed);
        }
        self.load(&files, false).await
    }

    /// `:test`: the TestCase classes a path loads, one class, or every one loaded; prints the summary.
    async fn test(&mut self, what: Option<String>) -> Result<Step, EvalError> {
        let named = what.clone().filter(|w| !self.resolve(w).exists());
        let classes = match what {
            Some(w) if self.resolve(&w).exists() => {
                let path = self.resolve(&w);
                if let Step::Failed = self.load(std::slice::from_ref(&path), true).await? {
                    return Ok(Step::Failed);
                }
                crate::term::atom("loaded")
            }
            Some(class) => crate::term::list(vec![crate::term::atom(&class)]),
            None => crate::term::atom("loaded"),
        };
        let results = self
            .session
            .call_streaming(
                node_api::RUN_ALL_TESTS,
                vec![classes],
                Duration::from_secs(24 * 3600),
            )
            .await?;
        if let Some(class) = named
            && list_elements(&results).is_some_and(|r| r.is_empty())
        {
            self.print_error(&format!(
                "ERROR: test: {class} is not a TestCase class with tests (:test alone runs every one loaded)"
            ));
            return Ok(Step::Failed);
        }
        // As `beamtalk test` reports: each test that did not pass with its file and line (found in the
        // files `:load` read), then the summary.
        let sources = super::load::read_sources(&self.loaded_files).unwrap_or_default();
        let outcomes = super::test_report::outcomes(&results);
        print!(
            "{}",
            super::test_report::text_report(&outcomes, &sources, crate::cli::color::Stream::Stdout)
        );
        Ok(match super::test_report::counts(&outcomes).1 {
            0 => Step::Ok,
            _ => Step::Failed,
        })
    }
}

fn error_text(reply: &Term) -> String {
    match reply {
        Term::Tuple(t) => t.elements.get(1).and_then(as_text).unwrap_or_default(),
        other => crate::term::print::pretty(other),
    }
}

/// Whether an evaluation error means the workspace is gone.
pub fn is_node_down(e: &EvalError) -> bool {
    matches!(e, EvalError::Call(CallError::NodeDown { .. }))
}

/// Says on stderr when attaching started a node.
/// The project's sources loaded into its workspace, just started (see [`super::load::autoload`]).
async fn autoload(session: &Session, project: &std::path::Path, timeout: Duration) {
    if let Some(notice) = super::load::autoload_notice(session, project, timeout).await {
        eprintln!("{notice}");
    }
}

fn announce(attached: &crate::workspace::Attached) {
    if let Some(notice) = attached.notice() {
        eprintln!("{notice}");
    }
}
