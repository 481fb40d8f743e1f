//! How test results read: a line per test that did not pass, with the file and line of its method, then
//! the summary (`beamtalk test` and the REPL's `:test` alike), or one JSON document.

use std::path::Path;

use eetf::Term;
use serde_json::json;

use super::load::SourceFile;
use crate::cli::color::{self, Stream};
use crate::term::{as_i64, as_text, map_get};

/// One test's outcome, as the node reports it.
pub struct TestOutcome {
    pub class: String,
    pub test: String,
    pub outcome: String,
    pub message: String,
    pub micros: i64,
}

/// Reads the results `beamtalk_test:run/3` returns.
pub fn outcomes(reply: &Term) -> Vec<TestOutcome> {
    crate::term::list_elements(reply)
        .unwrap_or_default()
        .iter()
        .map(|r| {
            let text = |k: &str| map_get(r, k).and_then(as_text).unwrap_or_default();
            TestOutcome {
                class: text("class"),
                test: text("test"),
                outcome: text("outcome"),
                message: text("message"),
                micros: map_get(r, "micros").and_then(as_i64).unwrap_or(0),
            }
        })
        .collect()
}

pub fn counts(outcomes: &[TestOutcome]) -> (usize, usize, usize) {
    let count = |o: &str| outcomes.iter().filter(|t| t.outcome == o).count();
    (
        count("passed"),
        count("failed") + count("error"),
        count("skipped"),
    )
}

pub fn json_report(outcomes: &[TestOutcome], sources: &[SourceFile]) -> String {
    let (passed, failed, skipped) = counts(outcomes);
    let tests: Vec<_> = outcomes
        .iter()
        .map(|t| {
            let (file, line) = location(sources, &t.class, &t.test)
                .map_or((None, None), |(f, l)| (Some(f), Some(l)));
            json!({
                "class": t.class, "test": t.test, "outcome": t.outcome,
                "message": with_files(&t.message, sources),
                "ms": t.micros as f64 / 1e3, "file": file, "line": line,
            })
        })
        .collect();
    format!(
        "{}\n",
        json!({ "tests": tests, "passed": passed, "failed": failed, "skipped": skipped })
    )
}

/// The report as text, coloured for `stream` when it is a terminal.
pub fn text_report(outcomes: &[TestOutcome], sources: &[SourceFile], stream: Stream) -> String {
    let (passed, failed, skipped) = counts(outcomes);
    let mut text = String::new();
    for t in outcomes.iter().filter(|t| t.outcome != "passed") {
        let label = match t.outcome.as_str() {
            "failed" => color::red("FAIL", stream),
            "error" => color::red("ERROR", stream),
            _ => color::yellow("SKIP", stream),
        };
        let at = location(sources, &t.class, &t.test)
            .map_or(String::new(), |(f, l)| format!(" ({f}:{l})"));
        let message = with_files(&t.message, sources);
        text.push_str(&format!("{label} {}>>{}{at}: {message}\n", t.class, t.test));
    }
    let skipped_text = match skipped {
        0 => String::new(),
        k => format!(", {k} skipped"),
    };
    text.push_str(&format!("{passed} passed, {failed} failed{skipped_text}\n"));
    text
}

/// `message` with each stack line's `(line N)` made `(FILE:N)` where the frame's class is one of
/// `sources`' (the node knows a method's line, not the file it came from).
fn with_files(message: &str, sources: &[SourceFile]) -> String {
    message
        .lines()
        .map(|l| frame_with_file(l, sources).unwrap_or_else(|| l.to_owned()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `  at Calc class>>helper:by: (line 4)` → `  at Calc class>>helper:by: (src/calc.bt:4)`.
fn frame_with_file(line: &str, sources: &[SourceFile]) -> Option<String> {
    let frame = line.strip_prefix("  at ")?;
    let (method, rest) = frame.rsplit_once(" (line ")?;
    let number = rest.strip_suffix(')')?;
    let class = method.split([' ', '>']).next()?;
    let file = sources
        .iter()
        .find(|f| f.classes.iter().any(|c| c.name == class))?;
    Some(format!("  at {method} ({}:{number})", display(&file.path)))
}

/// The file and line where `class>>test` is defined among `sources`.
fn location(sources: &[SourceFile], class: &str, test: &str) -> Option<(String, usize)> {
    sources.iter().find_map(|f| {
        let c = f.classes.iter().find(|c| c.name == class)?;
        let m = c.methods.iter().find(|m| m.selector == test)?;
        let line = f.src[..m.span.start.min(f.src.len())].matches('\n').count() + 1;
        Some((display(&f.path), line))
    })
}

fn display(path: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    path.strip_prefix(&cwd)
        .unwrap_or(path)
        .display()
        .to_string()
}
