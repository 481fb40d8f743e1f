//! `beamtalk workspace shell`: an Erlang remote shell on a workspace node, through a pseudo-terminal.

mod common;

use std::time::Duration;

use common::run;
use expectrl::{ControlCode, Expect};

#[test]
fn a_remote_shell_runs_on_the_workspace_node_and_leaving_it_keeps_the_workspace() {
    let f = common::Project::new();
    let (code, _, err, _) = run(&mut f.cmd(&["workspace", "create", "sh"]));
    assert_eq!(code, 0, "{err}");
    let mut cmd = f.cmd(&["workspace", "shell", "sh"]);
    cmd.env("TERM", "xterm");
    let mut s = expectrl::Session::spawn(cmd).expect("spawn on a pty");
    s.set_expect_timeout(Some(Duration::from_secs(20)));
    s.expect("Leave with Ctrl-G then q").expect("the hint");
    // The prompt names the node the shell evaluates on: the workspace's, not the shell's own.
    s.expect("(beamtalk_workspace_sh@")
        .expect("a prompt on the workspace node");
    s.send_line("beamtalk_repl_eval:running() + length([x]).")
        .expect("send");
    s.expect("1\r\n").expect("evaluated on the workspace node");
    s.send(ControlCode::BEL).expect("ctrl-g");
    s.expect("-->").expect("the user switch prompt");
    s.send_line("q").expect("quit the shell");
    s.expect(expectrl::Eof).expect("the shell ends");
    let (code, out, _, _) = run(&mut f.cmd(&["workspace", "status", "sh"]));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("running"), "the workspace still runs: {out}");
}

#[test]
fn a_shell_on_a_stopped_workspace_says_so() {
    let f = common::Project::new();
    run(&mut f.cmd(&["workspace", "create", "gone"]));
    run(&mut f.cmd(&["workspace", "stop", "gone"]));
    let (code, _, err, _) = run(&mut f.cmd(&["workspace", "shell", "gone"]));
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("workspace gone is not running"), "{err}");
}
