//! The REPL with stdin not a terminal: read lines (continuing multi-line input), print each result on its
//! own line, no prompts, no colour; the exit code is 1 if any evaluation failed. Usable in CI:
//! `beamtalk repl < script.bt`.

use std::io::BufRead;

use super::input::needs_more;
use super::shell::{Shell, Step, is_node_down};

/// Runs every input from stdin; returns the exit code.
pub async fn run(mut shell: Shell) -> i32 {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<String>(64);
    // Lines are read on a thread of their own so a slow producer never blocks the runtime.
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(l) = line else { break };
            if tx.blocking_send(l).is_err() {
                break;
            }
        }
    });
    let mut buffer = String::new();
    let mut failed = false;
    loop {
        let line = rx.recv().await;
        let eof = line.is_none();
        if let Some(l) = line {
            buffer.push_str(&l);
            buffer.push('\n');
            let is_command = buffer.trim_start().starts_with(':');
            if !is_command && needs_more(&buffer) {
                continue;
            }
        }
        let input = std::mem::take(&mut buffer);
        match shell.run(&input).await {
            Ok(Step::Quit) => break,
            Ok(Step::Failed) => failed = true,
            Ok(Step::Ok) => {}
            Err(e) if is_node_down(&e) => {
                shell.print_error(&format!(
                    "error: the workspace {} is gone: {e}",
                    shell.entry.id
                ));
                return 3;
            }
            Err(e) => {
                shell.print_error(&format!("ERROR: {e}"));
                failed = true;
            }
        }
        if eof {
            break;
        }
    }
    shell.session.close().await;
    i32::from(failed)
}
