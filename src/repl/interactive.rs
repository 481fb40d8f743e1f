//! The interactive REPL on a terminal: line editing and persistent history (rustyline), completion of
//! bindings, class names and selectors asked of the node, Ctrl-C to interrupt an evaluation, Ctrl-D to quit.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use eetf::{Binary, Term};
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
use crate::term::{as_text, list_elements};

/// Completes the word before the cursor from the workspace's bindings, classes and selectors.
struct NodeCompleter {
    runtime: tokio::runtime::Handle,
    conn: Arc<Mutex<Connection>>,
}

impl Completer for NodeCompleter {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let start = line[..pos]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_alphanumeric() || *c == '_' || *c == ':')
            .last()
            .map_or(pos, |(i, _)| i);
        let prefix = &line[start..pos];
        if prefix.is_empty() {
            return Ok((pos, Vec::new()));
        }
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let arg = Term::from(Binary::from(prefix.as_bytes().to_vec()));
        let reply = self
            .runtime
            .block_on(crate::workspace::node_api::COMPLETIONS.call(
                &conn,
                vec![arg],
                Duration::from_secs(1),
            ));
        let words = reply
            .ok()
            .and_then(|r| list_elements(&r))
            .unwrap_or_default();
        let pairs = words
            .iter()
            .filter_map(as_text)
            .map(|w| Pair {
                display: w.clone(),
                replacement: w,
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
