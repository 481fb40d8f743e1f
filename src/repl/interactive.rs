//! The interactive REPL on a terminal: line editing and persistent history (rustyline), completion of
//! bindings, class names and selectors asked of the node, Ctrl-C to interrupt an evaluation, Ctrl-D to quit.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::FileHistory;
use rustyline::validate::Validator;
use rustyline::{CompletionType, Config, Context, Editor, Helper};

use super::input::needs_more;
use super::shell::{Shell, Step, is_node_down};
use crate::dist::Connection;
use crate::lang::ide::complete::{Request, complete};
use crate::lang::ide::outline::Outline;
use crate::lang::ide::{Catalog, Origin, find};
use crate::lang::lexer::{Tok, Token};
use crate::workspace::node_api;

/// Completes the word before the cursor with the editor server's engine (`beamtalk_lang::ide`): after a
/// receiver whose class is known (`Counter sp` offers `spawn`), that class's selectors; where an
/// expression starts, the workspace's bindings and classes. The node is asked for its classes (at most
/// every few seconds) and bindings.
struct NodeCompleter {
    runtime: tokio::runtime::Handle,
    conn: Arc<Mutex<Connection>>,
    catalog: Mutex<Option<(Instant, Catalog)>>,
}

/// How long the workspace's classes are reused before they are asked for again.
const CATALOG_AGE: Duration = Duration::from_secs(3);

impl NodeCompleter {
    /// The workspace's classes: those asked for lately, unless `tokens` name a class they lack (one
    /// defined since).
    fn catalog(&self, conn: &Connection, tokens: &[Token]) -> Catalog {
        let mut cached = self.catalog.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, c)) = cached.as_ref()
            && at.elapsed() < CATALOG_AGE
            && tokens.iter().all(|t| match &t.tok {
                Tok::Ident(n) if n.starts_with(char::is_uppercase) => c.contains(n),
                _ => true,
            })
        {
            return c.clone();
        }
        let fetched = self
            .runtime
            .block_on(node_api::CATALOG.call(conn, vec![], Duration::from_secs(2)))
            .ok()
            .and_then(|t| crate::lsp::catalog(&t, Origin::Workspace))
            .unwrap_or_else(crate::lsp::builtin_catalog);
        *cached = Some((Instant::now(), fetched.clone()));
        fetched
    }

    fn bindings(&self, conn: &Connection) -> Vec<String> {
        let reply =
            self.runtime
                .block_on(node_api::BINDINGS.call(conn, vec![], Duration::from_secs(1)));
        reply
            .ok()
            .and_then(|r| crate::lsp::binding_names(&r))
            .unwrap_or_default()
    }
}

impl Completer for NodeCompleter {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let tokens = find::tokens(line);
        let catalog = self.catalog(&conn, &tokens);
        let bindings = self.bindings(&conn);
        let outline = Outline::default();
        let (start, items) = complete(&Request {
            src: line,
            offset: pos,
            tokens: &tokens,
            outline: &outline,
            catalog: &catalog,
            bindings: &bindings,
            snippets: false,
        });
        if start == pos {
            return Ok((pos, Vec::new()));
        }
        let pairs = items
            .into_iter()
            .map(|c| Pair {
                display: c.label,
                replacement: c.insert,
            })
            .collect();
        Ok((start, pairs))
    }
}

impl Hinter for NodeCompleter {
    type Hint = String;
}
impl Highlighter for NodeCompleter {}
impl Validator for NodeCompleter {}
impl Helper for NodeCompleter {}

/// Runs the interactive loop; returns the exit code.
pub async fn run(mut shell: Shell, history: PathBuf) -> i32 {
    let config = Config::builder()
        .auto_add_history(false)
        .completion_type(CompletionType::List)
        .max_history_size(10_000)
        .map_or_else(|_| Config::default(), |b| b.build());
    let mut editor: Editor<NodeCompleter, FileHistory> = match Editor::with_config(config) {
        Ok(e) => e,
        Err(e) => {
            eprintln!(
                "{}",
                crate::cli::color::error_line(&format!("cannot use the terminal: {e}"))
            );
            return 1;
        }
    };
    let conn = Arc::new(Mutex::new(shell.session.connection().clone()));
    editor.set_helper(Some(NodeCompleter {
        runtime: tokio::runtime::Handle::current(),
        conn: conn.clone(),
        catalog: Mutex::new(None),
    }));
    let _ = editor.load_history(&history);
    println!(
        "beamtalk {} — workspace {} ({}). :help for help, Ctrl-D to quit.",
        env!("CARGO_PKG_VERSION"),
        shell.entry.id,
        shell.entry.node
    );
    let editor = Arc::new(Mutex::new(editor));
    let mut buffer = String::new();
    let mut interrupted = false;
    loop {
        let prompt = if buffer.is_empty() { "> " } else { "..> " };
        let ed = editor.clone();
        let read = tokio::task::spawn_blocking(move || {
            ed.lock()
                .unwrap_or_else(|e| e.into_inner())
                .readline(prompt)
        })
        .await;
        let line = match read {
            Ok(Ok(line)) => line,
            Ok(Err(ReadlineError::Interrupted)) => {
                if !buffer.is_empty() {
                    buffer.clear();
                } else if interrupted {
                    println!("(To quit, press Ctrl-D or type :quit)");
                }
                interrupted = true;
                continue;
            }
            Ok(Err(ReadlineError::Eof)) => break,
            Ok(Err(e)) => {
                eprintln!(
                    "{}",
                    crate::cli::color::error_line(&format!("reading input: {e}"))
                );
                return 1;
            }
            Err(e) => {
                eprintln!(
                    "{}",
                    crate::cli::color::error_line(&format!("reading input: {e}"))
                );
                return 1;
            }
        };
        interrupted = false;
        if !line.trim().is_empty() {
            let mut ed = editor.lock().unwrap_or_else(|e| e.into_inner());
            let _ = ed.add_history_entry(line.as_str());
            let _ = ed.append_history(&history);
        }
        buffer.push_str(&line);
        buffer.push('\n');
        let is_command = buffer.trim_start().starts_with(':');
        if !is_command && needs_more(&buffer) {
            continue;
        }
        let input = std::mem::take(&mut buffer);
        let step = tokio::select! {
            r = shell.run(&input) => r,
            _ = crate::interrupt::ctrl_c() => {
                println!("Interrupted. (The evaluation was stopped; what its finished statements assigned is kept, and actors run on.)");
                continue;
            }
        };
        match step {
            Ok(Step::Quit) => break,
            Ok(_) => {}
            Err(e) if is_node_down(&e) => {
                shell.print_error(&format!("The workspace {} is gone: {e}", shell.entry.id));
                if !offer_recreate(&editor, &mut shell).await {
                    return 3;
                }
                *conn.lock().unwrap_or_else(|e| e.into_inner()) =
                    shell.session.connection().clone();
            }
            Err(e) => shell.print_error(&format!("ERROR: {e}")),
        }
    }
    shell.session.close().await;
    0
}

/// Asks whether to recreate the workspace; recreates it on yes. False when the user declines or it fails.
async fn offer_recreate(
    editor: &Arc<Mutex<Editor<NodeCompleter, FileHistory>>>,
    shell: &mut Shell,
) -> bool {
    let ed = editor.clone();
    let answer = tokio::task::spawn_blocking(move || {
        ed.lock()
            .unwrap_or_else(|e| e.into_inner())
            .readline("Recreate it? [Y/n] ")
    })
    .await;
    let yes = matches!(answer, Ok(Ok(ref a)) if a.trim().is_empty() || a.trim().eq_ignore_ascii_case("y") || a.trim().eq_ignore_ascii_case("yes"));
    if !yes {
        return false;
    }
    match shell.reattach().await {
        Ok(()) => {
            println!(
                "Workspace {} is running again (its bindings and actors from before are gone).",
                shell.entry.id
            );
            true
        }
        Err(e) => {
            shell.print_error(&format!("error: {e}"));
            false
        }
    }
}
