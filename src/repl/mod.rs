//! Evaluating Beamtalk in a workspace: compile here, run there, stream output back.
//!
//! A [`Session`] holds one connection to a workspace node and the io server its evaluations write through.
//! `beamtalk eval` makes one evaluation with it; the interactive REPL makes many.

use std::time::Duration;

use eetf::Term;

use crate::dist::io_server::{IoServer, Terminal};
use crate::dist::{CallError, Connection};
use crate::lang::ast::Item;
use crate::lang::codegen::{Codegen, Context};
use crate::lang::diagnostic::Diagnostic;
use crate::lang::parser;
use crate::term::as_text;
use crate::workspace::Workspaces;

/// What one evaluation produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The result as the REPL prints it.
    Value(String),
    /// A Beamtalk error, as its `ERROR: ` line.
    Error(String),
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
    pub fn new(conn: Connection, terminal: Terminal, timeout: Duration) -> Self {
        let io = IoServer::new(&conn, terminal, timeout);
        Self { conn, io, timeout }
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Compiles and evaluates one input; output it writes streams to the terminal meanwhile.
    pub async fn eval(&self, src: &str) -> Result<Outcome, EvalError> {
        let items = parser::parse(src).map_err(EvalError::Syntax)?;
        let mut last = Outcome::Value("nil".to_owned());
        for item in items {
            last = match item {
                Item::Statements(stmts) => {
                    let forms = Codegen::new(src, Context::Repl)
                        .repl(&stmts)
                        .map_err(EvalError::Syntax)?;
                    self.run(forms).await?
                }
                Item::Class(c) => {
                    return Err(EvalError::Syntax(Diagnostic::new(
                        c.span,
                        "class definitions are not supported by this version yet",
                        "class definition",
                    )));
                }
                Item::Method { method, .. } => {
                    return Err(EvalError::Syntax(Diagnostic::new(
                        method.span,
                        "method definitions are not supported by this version yet",
                        "method definition",
                    )));
                }
            };
            if matches!(last, Outcome::Error(_)) {
                break;
            }
        }
        Ok(last)
    }

    async fn run(&self, forms: Term) -> Result<Outcome, EvalError> {
        let gl = self.io.group_leader();
        let reply = self
            .conn
            .call_with_group_leader(&gl, "beamtalk_repl_eval", "eval", vec![forms], self.timeout)
            .await;
        self.io.flush().await;
        outcome(&reply?)
    }

    /// Marks activity and flushes what is queued before the session goes away.
    pub async fn close(&self) {
        Workspaces::touch(&self.conn);
        self.conn.shutdown(self.timeout).await;
    }
}

fn outcome(reply: &Term) -> Result<Outcome, EvalError> {
    if let Term::Tuple(t) = reply
        && let [Term::Atom(tag), text] = t.elements.as_slice()
    {
        let text = as_text(text).unwrap_or_default();
        match tag.name.as_str() {
            "ok" => return Ok(Outcome::Value(text)),
            "error" => return Ok(Outcome::Error(text)),
            _ => {}
        }
    }
    Err(EvalError::Protocol(crate::term::print::pretty(reply)))
}
