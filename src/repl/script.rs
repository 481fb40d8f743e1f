//! The REPL with stdin not a terminal: read lines (continuing multi-line input), print each result on its
//! own line, no prompts, no colour; the exit code is 1 if any evaluation failed. Usable in CI:
//! `beamtalk repl < script.bt`.

use std::io::BufRead;

use super::input::needs_more;
use super::shell::{Shell, Step, is_node_down};

/// Runs every input from stdin; returns the exit code.
pub async fn run(mut shell: Shell) -> i32 {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<String, String>>(64);
    // Lines are read on a thread of their own so a slow producer never blocks the runtime.
    std::thread::spawn(move || {
        read_lines(std::io::stdin().lock(), |line| {
            tx.blocking_send(line).is_ok()
        })
    });
    let mut buffer = String::new();
    let mut failed = false;
    loop {
        let line = match rx.recv().await {
            Some(Err(problem)) => {
                shell.print_error(&format!("error: {problem}"));
                failed = true;
                continue;
            }
            Some(Ok(l)) => Some(l),
            None => None,
        };
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

/// Feeds `input`'s lines to `send` until it refuses or input ends. A line that is not UTF-8, or a read
/// that fails, is reported (as `Err`, naming the line) and reading goes on with the next line.
fn read_lines(mut input: impl BufRead, mut send: impl FnMut(Result<String, String>) -> bool) {
    let mut bytes = Vec::new();
    for number in 1.. {
        bytes.clear();
        let line = match input.read_until(b'\n', &mut bytes) {
            Ok(0) => return,
            Ok(_) => {
                if bytes.ends_with(b"\n") {
                    bytes.pop();
                }
                if bytes.ends_with(b"\r") {
                    bytes.pop();
                }
                String::from_utf8(std::mem::take(&mut bytes)).map_err(|e| {
                    let at = e.utf8_error().valid_up_to();
                    format!(
                        "input line {number} is not valid UTF-8 (byte 0x{:02x} at column {}); the line was skipped",
                        e.as_bytes()[at],
                        at + 1
                    )
                })
            }
            Err(e) => Err(format!("reading input line {number} failed: {e}")),
        };
        let failed_read = matches!(&line, Err(m) if m.starts_with("reading"));
        if !send(line) || failed_read {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_line_is_reported_and_reading_goes_on() {
        let mut got = Vec::new();
        read_lines(&b"x := 1\n\xff\xfe bad\r\ny\n"[..], |l| {
            got.push(l);
            true
        });
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], Ok("x := 1".to_owned()));
        assert!(matches!(&got[1], Err(m) if m.contains("line 2") && m.contains("0xff")));
        assert_eq!(got[2], Ok("y".to_owned()));
    }
}
