//! `beamtalk fmt` on files and directories: rewriting, `--check` for CI, standard input, `--json`, and
//! a file that does not parse reported and left untouched while the others are formatted.

mod common;

use std::process::{Command, Stdio};

use common::run;

fn beamtalk(dir: &std::path::Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(common::binary());
    cmd.current_dir(dir).args(args).env("NO_COLOR", "1");
    cmd
}

const MESSY: &str = "Object subclass: A\n    x=>1+2\n";
const TIDY: &str = "Object subclass: A\n  x => 1 + 2\n";

#[test]
fn check_lists_what_would_change_and_fmt_changes_it() {
    let dir = tempfile::tempdir().expect("dir");
    let src = dir.path().join("src");
    std::fs::create_dir(&src).expect("src");
    std::fs::write(src.join("a.bt"), MESSY).expect("write");
    std::fs::write(src.join("b.bt"), TIDY).expect("write");
    let (code, out, err, _) = run(&mut beamtalk(dir.path(), &["fmt", "--check", "src"]));
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(out.trim(), "src/a.bt");
    assert!(err.contains("1 of 2 files are not formatted"), "{err}");
    assert_eq!(
        std::fs::read_to_string(src.join("a.bt")).expect("read"),
        MESSY,
        "--check wrote"
    );
    let (code, _, err, _) = run(&mut beamtalk(dir.path(), &["fmt", "src"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(src.join("a.bt")).expect("read"),
        TIDY
    );
    let (code, out, _, _) = run(&mut beamtalk(
        dir.path(),
        &["--json", "fmt", "--check", "src"],
    ));
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["files"], 2);
    assert_eq!(doc["unformatted"].as_array().map(Vec::len), Some(0));
}

#[test]
fn a_file_that_does_not_parse_is_reported_and_left_alone() {
    let dir = tempfile::tempdir().expect("dir");
    let bad = "Object subclass: B\n  y => (1 +\n";
    std::fs::write(dir.path().join("bad.bt"), bad).expect("write");
    std::fs::write(dir.path().join("good.bt"), MESSY).expect("write");
    let (code, _, err, _) = run(&mut beamtalk(dir.path(), &["fmt", "."]));
    assert_eq!(code, 1);
    assert!(
        err.contains("error:") && err.contains("bad.bt:2:12"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("bad.bt")).expect("read"),
        bad
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("good.bt")).expect("read"),
        TIDY
    );
}

#[test]
fn standard_input_is_formatted_onto_standard_output() {
    let dir = tempfile::tempdir().expect("dir");
    let out = common::run_with_input(&mut beamtalk(dir.path(), &["fmt", "-"]), MESSY.as_bytes());
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), TIDY);
    let out = common::run_with_input(
        &mut beamtalk(dir.path(), &["fmt", "--check", "-"]),
        MESSY.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1));
    let out = common::run_with_input(&mut beamtalk(dir.path(), &["fmt", "-"]), b"\xff\xfe");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not UTF-8"));
    let (code, _, err, _) = run(beamtalk(dir.path(), &["fmt", "nowhere.bt"]).stdin(Stdio::null()));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no such file"), "{err}");
}
