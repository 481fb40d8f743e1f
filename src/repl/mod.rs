//! Evaluating Beamtalk in a workspace: compile here, run there, stream output back.
//!
//! A [`Session`] holds one connection to a workspace node and the io server its evaluations write through.
//! `beamtalk eval` makes one evaluation with it; the interactive REPL makes many.

pub mod changes;
pub mod commands;
pub mod input;
pub mod interactive;
pub mod load;
mod methods;
mod node_requests;
mod rename;
mod rename_class;
pub mod script;
pub mod shell;
pub mod test_report;
pub mod walk;

use std::path::PathBuf;
use std::time::Duration;

use eetf::Term;

use crate::dist::io_server::{IoServer, Terminal};
use crate::dist::{CallError, Connection};
use crate::lang::ast::{ClassDef, Item};
use crate::lang::compile;
use crate::lang::diagnostic::Diagnostic;
use crate::lang::parser;
use crate::term::{as_text, map_get};
use crate::workspace::Workspaces;
use crate::workspace::node_api::{self, NodeFn};

/// What one evaluation produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The result as the REPL prints it.
    Value(String),
    /// A Beamtalk error, as its `ERROR: ` line.
    Error(String),
}

/// One evaluation's result with the parts `eval --json` shows.
#[derive(Debug, Clone)]
pub struct Evaluated {
    pub outcome: Outcome,
    /// The value as JSON data, where it has that form (numbers, strings, booleans, nil, lists, maps).
    pub data: Option<Term>,
    /// The error's parts, when it failed.
    pub error: Option<ErrorParts>,
}

/// A Beamtalk error taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorParts {
    pub kind: String,
    pub class: String,
    pub message: String,
    pub hint: Option<String>,
}

impl From<Outcome> for Evaluated {
    /// An outcome known only by its text (a class load's): an error's kind is read off its line.
    fn from(outcome: Outcome) -> Self {
        let error = match &outcome {
            Outcome::Value(_) => None,
            Outcome::Error(text) => {
                let body = text.strip_prefix("ERROR: ").unwrap_or(text);
                let (kind, message) = body.split_once(": ").unwrap_or(("error", body));
                Some(ErrorParts {
                    kind: kind.to_owned(),
                    class: "Error".to_owned(),
                    message: message.to_owned(),
                    hint: None,
                })
            }
        };
        Evaluated {
            outcome,
            data: None,
            error,
        }
    }
}

/// Why an input could not be evaluated at all.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("{0}")]
    Syntax(Diagnostic),
    #[error(transparent)]
    Call(#[from] CallError),
    #[error("unexpected reply from the workspace: {0}")]
    Protocol(String),
}

/// A connection to a workspace, ready to evaluate.
pub struct Session {
    conn: Connection,
    io: IoServer,
    timeout: Duration,
}

impl Session {
    /// A session whose node may load sources from this process's current directory.
    pub fn new(conn: Connection, terminal: Terminal, timeout: Duration) -> Self {
        let project = std::env::current_dir().unwrap_or_default();
        Self::for_project(conn, terminal, timeout, project)
    }

    /// A session whose node may load sources only from inside `project` (`Workspace load:`).
    pub fn for_project(
        conn: Connection,
        terminal: Terminal,
        timeout: Duration,
        project: PathBuf,
    ) -> Self {
        let io = IoServer::new(&conn, terminal, timeout);
        io.on_request(node_requests::handler(conn.downgrade(), timeout, project));
        Self { conn, io, timeout }
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Calls a runtime function in the workspace (no output capture).
    pub async fn call(&self, f: NodeFn, args: Vec<Term>) -> Result<Term, EvalError> {
        Ok(f.call(&self.conn, args, self.timeout).await?)
    }

    /// Registers this session with the workspace (`beamtalk_repl_shell`), which tracks attached REPLs.
    pub async fn attach_shell(&self) -> Result<(), EvalError> {
        self.call(node_api::ATTACH_SHELL, vec![Term::from(self.io.sink())])
            .await?;
        Ok(())
    }

    /// Compiles and evaluates one input; output it writes streams to the terminal meanwhile.
    pub async fn eval(&self, src: &str) -> Result<Outcome, EvalError> {
        Ok(self.eval_detailed(src).await?.outcome)
    }

    /// [`Session::eval`], with the value as data and the error's parts.
    pub async fn eval_detailed(&self, src: &str) -> Result<Evaluated, EvalError> {
        let items = parser::parse(src).map_err(EvalError::Syntax)?;
        let mut last = Evaluated::from(Outcome::Value("nil".to_owned()));
        for item in items {
            last = match item {
                Item::Statements(stmts) => {
                    let code = compile::repl_line(src, &stmts).map_err(EvalError::Syntax)?;
                    self.run(code.into_term()).await?
                }
                Item::Class(c) => {
                    Evaluated::from(match self.load_class(&c, src, "<repl>", &[]).await? {
                        Outcome::Value(_) => Outcome::Value(c.name.clone()),
                        err => err,
                    })
                }
                Item::Method {
                    class,
                    class_side,
                    method,
                } => {
                    // `Counter >> sel => body` is `compile:source:` (ADR 0082): logged, durable.
                    let selector = method.selector.as_str();
                    let previous = self.method_text(&class, class_side, selector).await?;
                    let outcome = self.define_method(&class, class_side, &method, src).await?;
                    if matches!(outcome, Outcome::Value(_)) {
                        let text = methods::member_text(src, &method);
                        let texts = (Some(text.as_str()), previous.as_deref());
                        self.record_change("compile", (&class, class_side, selector), texts, true)
                            .await?;
                    }
                    Evaluated::from(outcome)
                }
            };
            if matches!(last.outcome, Outcome::Error(_)) {
                break;
            }
        }
        Ok(last)
    }

    /// Compiles and loads one class; `batch` names classes defined alongside it (they may be superclasses).
    pub async fn load_class(
        &self,
        class: &ClassDef,
        src: &str,
        file: &str,
        batch: &[String],
    ) -> Result<Outcome, EvalError> {
        let forms = compile::class(class, src).map_err(EvalError::Syntax)?;
        warn(class, src, file);
        if let Some(refused) = self.unknown_superclass(class, batch).await? {
            return Ok(refused);
        }
        let reply = self
            .call(node_api::LOAD_CLASS, vec![forms, file_term(file)])
            .await?;
        Ok(load_outcome(&class.name, &reply))
    }

    /// How many classes the node compiles side by side (its schedulers).
    pub async fn compile_slots(&self) -> Result<usize, EvalError> {
        let n = self.call(node_api::COMPILE_SLOTS, vec![]).await?;
        Ok(crate::term::as_i64(&n).map_or(1, |n| n.clamp(1, 64) as usize))
    }

    /// Compiles a class's forms (a list, or a binary of their external term format) on the node
    /// without loading anything; what [`Session::install_class`] takes.
    pub async fn compile_class(&self, forms: Term, file: &str) -> Result<Term, EvalError> {
        self.call(node_api::COMPILE_CLASS, vec![forms, file_term(file)])
            .await
    }

    /// Loads a class [`Session::compile_class`] compiled (the answer is passed on as is when it is a
    /// compile error), after the same checks as [`Session::load_class`].
    pub async fn install_class(
        &self,
        class: &ClassDef,
        compiled: Term,
        (src, file): (&str, &str),
        batch: &[String],
    ) -> Result<Outcome, EvalError> {
        warn(class, src, file);
        if let Some(refused) = self.unknown_superclass(class, batch).await? {
            return Ok(refused);
        }
        let reply = match install_args(&compiled, file) {
            Some(args) => self.call(node_api::INSTALL_CLASS, args).await?,
            None => compiled,
        };
        Ok(load_outcome(&class.name, &reply))
    }

    /// The error for a class whose superclass is neither built in, nor in `batch`, nor loaded.
    async fn unknown_superclass(
        &self,
        class: &ClassDef,
        batch: &[String],
    ) -> Result<Option<Outcome>, EvalError> {
        let builtin_root = matches!(class.superclass.as_str(), "Object" | "Value" | "Actor");
        if builtin_root || batch.contains(&class.superclass) {
            return Ok(None);
        }
        let known = self
            .call(
                node_api::CLASS_EXISTS,
                vec![crate::term::atom(&class.superclass)],
            )
            .await?;
        Ok((known != crate::term::atom("true")).then(|| {
            Outcome::Error(format!(
                "ERROR: unknown_class: {} cannot subclass {}: no such class is loaded",
                class.name, class.superclass
            ))
        }))
    }

    /// Calls a runtime function with output streaming to the terminal, waiting up to `timeout`.
    pub async fn call_streaming(
        &self,
        f: NodeFn,
        args: Vec<Term>,
        timeout: Duration,
    ) -> Result<Term, EvalError> {
        let gl = self.io.group_leader();
        let reply = f
            .call_with_group_leader(&self.conn, &gl, args, timeout)
            .await;
        self.io.flush().await;
        Ok(reply?)
    }

    async fn run(&self, forms: Term) -> Result<Evaluated, EvalError> {
        let gl = self.io.group_leader();
        let reply = node_api::EVAL
            .call_with_group_leader(&self.conn, &gl, vec![forms], self.timeout)
            .await;
        self.io.end_line().await;
        outcome(&reply?)
    }

    /// Marks activity and flushes what is queued before the session goes away.
    pub async fn close(&self) {
        Workspaces::touch(&self.conn);
        self.conn.shutdown(self.timeout).await;
    }
}

/// Warnings go to stderr, beside whatever the command prints as its result.
fn warn(class: &ClassDef, src: &str, file: &str) {
    for warning in crate::lang::lint::class(class) {
        eprint!("{}", warning.render(src, file));
    }
}

/// The arguments of the install of what [`Session::compile_class`] answered (`{ok, Module, Binary,
/// Checked}`), or None when it answered a compile error.
fn install_args(compiled: &Term, file: &str) -> Option<Vec<Term>> {
    match compiled {
        Term::Tuple(t) => match t.elements.as_slice() {
            [Term::Atom(ok), module, bin, checked] if ok.name == "ok" => Some(vec![
                checked.clone(),
                module.clone(),
                bin.clone(),
                file_term(file),
            ]),
            _ => None,
        },
        _ => None,
    }
}

/// Whether what [`Session::compile_class`] answered can be installed (it compiled).
pub(super) fn compiled(reply: &Term) -> bool {
    install_args(reply, "").is_some()
}

fn file_term(file: &str) -> Term {
    crate::term::binary(file)
}

pub(crate) fn load_outcome(class: &str, reply: &Term) -> Outcome {
    let Term::Tuple(t) = reply else {
        return Outcome::Error(format!(
            "ERROR: load_failed: {class}: {}",
            crate::term::print::pretty(reply)
        ));
    };
    match t.elements.as_slice() {
        [Term::Atom(ok), _] if ok.name == "ok" => Outcome::Value(class.to_owned()),
        [Term::Atom(e), Term::Atom(stage), detail]
            if e.name == "error" && stage.name == "compile" =>
        {
            let lines: Vec<String> = crate::term::list_elements(detail)
                .unwrap_or_default()
                .iter()
                .filter_map(as_text)
                .collect();
            Outcome::Error(format!(
                "ERROR: compile_error: {class}: {}",
                lines.join("; ")
            ))
        }
        _ => Outcome::Error(format!(
            "ERROR: load_failed: {class}: {}",
            crate::term::print::pretty(reply)
        )),
    }
}

/// Reads `beamtalk_repl_eval:eval/1`'s answer.
fn outcome(reply: &Term) -> Result<Evaluated, EvalError> {
    let text = |m: &Term, k: &str| map_get(m, k).and_then(as_text);
    if let Term::Tuple(t) = reply
        && let [Term::Atom(tag), m] = t.elements.as_slice()
    {
        match (tag.name.as_str(), text(m, "print"), text(m, "text")) {
            ("ok", Some(print), _) => {
                return Ok(Evaluated {
                    outcome: Outcome::Value(print),
                    data: map_get(m, "value").cloned(),
                    error: None,
                });
            }
            ("error", _, Some(line)) => {
                return Ok(Evaluated {
                    outcome: Outcome::Error(line),
                    data: None,
                    error: Some(ErrorParts {
                        kind: text(m, "kind").unwrap_or_default(),
                        class: text(m, "class").unwrap_or_default(),
                        message: text(m, "message").unwrap_or_default(),
                        hint: text(m, "hint").filter(|h| h != "nil"),
                    }),
                });
            }
            _ => {}
        }
    }
    Err(EvalError::Protocol(crate::term::print::pretty(reply)))
}
