//! `--help` answers: every subcommand shows what it does, its usage and examples.

use std::process::Command;

/// Every subcommand, as its words.
const COMMANDS: &[&[&str]] = &[
    &["rpc"],
    &["nodes"],
    &["repl"],
    &["eval"],
    &["load"],
    &["test"],
    &["top"],
    &["completions"],
    &["tls", "init"],
    &["workspace", "create"],
    &["workspace", "serve"],
    &["workspace", "list"],
    &["workspace", "status"],
    &["workspace", "actors"],
    &["workspace", "stop"],
    &["workspace", "rm"],
    &["workspace", "shell"],
    &["workspace", "switch"],
    &["workspace", "rename"],
    &["workspace", "export"],
    &["workspace", "import"],
    &["workspace", "cleanup"],
];

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_beamtalk"))
        .args(args)
        .arg("--help")
        .output()
        .expect("runs");
    assert!(out.status.success(), "{args:?} --help failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn every_subcommand_has_examples() {
    let commands = COMMANDS;
    for c in commands {
        let text = help(c);
        let examples = text
            .split_once("Examples:\n")
            .map(|(_, e)| e.lines().filter(|l| l.starts_with("  beamtalk ")).count())
            .unwrap_or(0);
        assert!(examples >= 1, "{c:?} --help has no examples:\n{text}");
        assert!(
            text.lines()
                .filter(|l| l.starts_with("  beamtalk "))
                .all(|l| l.contains(c[c.len() - 1])),
            "{c:?}: an example of another command:\n{text}"
        );
    }
}

#[test]
fn rpc_usage_names_its_arguments() {
    let text = help(&["rpc"]);
    assert!(
        text.contains(
            "Usage: beamtalk rpc [OPTIONS] <NODE[,NODE...]> <MODULE> <FUNCTION> [ARG]..."
        ) && text.contains("beamtalk rpc [OPTIONS] <NODE[,NODE...]> --eval <EXPRS>"),
        "{text}"
    );
}

/// The argument and option lines of a `--help`: `(name, description)`.
fn entries(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut in_list = false;
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        // A long description goes on the lines under its entry.
        if in_list && indent > 6 {
            if let Some(last) = out.last_mut().filter(|l| l.1.is_empty()) {
                last.1 = line.trim().to_owned();
            }
            continue;
        }
        if line == "Arguments:" || line == "Options:" {
            in_list = true;
            continue;
        }
        if line.is_empty() || !line.starts_with("  ") {
            in_list = line.is_empty() && in_list;
            continue;
        }
        let t = line.trim_start();
        // Continuation lines of a description are indented far deeper than an entry.
        if !in_list || line.len() - t.len() > 6 {
            continue;
        }
        let (name, description) = t.split_once("  ").unwrap_or((t, ""));
        out.push((name.to_owned(), description.trim().to_owned()));
    }
    out
}

#[test]
fn every_argument_and_option_is_described_and_defaults_are_shown() {
    let commands = std::iter::once(&[][..]).chain(COMMANDS.iter().copied());
    for c in commands {
        let text = help(c);
        for (name, description) in entries(&text) {
            assert!(!description.is_empty(), "{c:?}: {name} has no description");
        }
    }
    let global = help(&[]);
    for option in ["--home", "--timeout", "--cookie-file"] {
        let (_, d) = entries(&global)
            .into_iter()
            .find(|(n, _)| n.contains(option))
            .unwrap_or_else(|| panic!("{option} listed"));
        assert!(d.contains("default"), "{option}: {d}");
    }
    assert!(help(&["workspace", "create"]).contains("[default: 4h]"));
    assert!(help(&["workspace", "stop"]).contains("<NAME|--all>"));
}

#[test]
fn with_json_a_usage_error_is_a_json_document_on_stdout() {
    for args in [
        &["--json", "rpc"][..],
        &["--json", "eval", "1", "2"],
        &["workspace", "stop", "--json"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_beamtalk"))
            .args(args)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let v: serde_json::Value = serde_json::from_str(stdout.trim())
            .unwrap_or_else(|e| panic!("{args:?}: not JSON: {stdout:?}: {e}"));
        assert_eq!(v["error"]["kind"], "usage", "{v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{v}"
        );
        assert!(out.stderr.is_empty(), "{args:?}: nothing on stderr");
    }
}
