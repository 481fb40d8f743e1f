//! Colour only where it is colour: escape codes on a terminal, none when output is piped or `NO_COLOR`
//! is set, for the CLI's `error:` lines and `-v` logs alike.

use std::process::Command;
use std::time::Duration;

use expectrl::Expect;

/// `beamtalk` with a private, empty home (no workspace, no node needed).
fn beamtalk(home: &tempfile::TempDir) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_beamtalk"));
    cmd.env("BEAMTALK_HOME", home.path()).env_remove("NO_COLOR");
    cmd
}

#[test]
fn piped_errors_and_verbose_logs_carry_no_escape_codes() {
    let home = tempfile::tempdir().expect("home");
    let out = beamtalk(&home)
        .args(["-v", "workspace", "status", "nosuch"])
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("error: "), "{err}");
    assert!(err.contains("DEBUG"), "-v logs: {err}");
    assert!(
        !err.contains('\x1b'),
        "escape codes in piped stderr: {err:?}"
    );
}

/// The output of `beamtalk workspace status nosuch` on a terminal, with `no_color` as NO_COLOR.
fn on_a_terminal(no_color: Option<&str>) -> String {
    let home = tempfile::tempdir().expect("home");
    let mut cmd = beamtalk(&home);
    cmd.args(["workspace", "status", "nosuch"]);
    if let Some(v) = no_color {
        cmd.env("NO_COLOR", v);
    }
    let mut s = expectrl::Session::spawn(cmd).expect("spawn on a pty");
    s.set_expect_timeout(Some(Duration::from_secs(10)));
    let found = s.expect("nosuch").expect("the error names the workspace");
    String::from_utf8_lossy(found.before()).into_owned()
}

#[test]
fn error_prefixes_are_red_on_a_terminal_unless_no_color() {
    let coloured = on_a_terminal(None);
    assert!(coloured.contains("\x1b[1;31merror:\x1b[0m"), "{coloured:?}");
    let plain = on_a_terminal(Some("1"));
    assert!(plain.contains("error: "), "{plain:?}");
    assert!(!plain.contains('\x1b'), "{plain:?}");
}
