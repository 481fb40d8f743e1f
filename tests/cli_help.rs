//! `--help` answers: every subcommand shows what it does, its usage and examples.

use std::process::Command;

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
    let commands: &[&[&str]] = &[
        &["rpc"],
        &["nodes"],
        &["repl"],
        &["eval"],
        &["load"],
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
        &["workspace", "switch"],
        &["workspace", "rename"],
        &["workspace", "export"],
        &["workspace", "import"],
        &["workspace", "cleanup"],
    ];
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
        text.contains("Usage: beamtalk rpc [OPTIONS] <NODE> <MODULE> <FUNCTION> [ARG]..."),
        "{text}"
    );
}
