//! Loading directories that never end: symlink loops, `/`, a FIFO named `f.bt`. Each load ends, within
//! its `--timeout`, and says why when it cannot load.

mod common;

use std::time::Duration;

use common::{Project, run};

const CLASS: &str = "Object subclass: Looped\n  hi => 7\n";

/// A project whose `lib/` holds one class and two symlinks back to the project: without loop detection a
/// walk of it visits 2^depth directories.
fn looped() -> Project {
    let p = Project::new();
    let lib = p.project.path().join("lib");
    std::fs::create_dir(&lib).expect("mkdir");
    std::fs::write(lib.join("looped.bt"), CLASS).expect("write");
    std::os::unix::fs::symlink(p.project.path(), lib.join("back1")).expect("symlink");
    std::os::unix::fs::symlink(p.project.path(), lib.join("back2")).expect("symlink");
    p
}

#[test]
fn a_directory_with_a_symlink_loop_loads_once() {
    let p = looped();
    let (code, out, err, took) = run(&mut p.cmd(&["--timeout", "20s", "load", "."]));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.trim(), "Loaded: Looped", "{out}");
    assert!(took < Duration::from_secs(20), "{took:?}");
    assert_eq!(p.eval_ok("Looped new hi"), "7");
}

#[test]
fn test_walks_a_looped_directory_too() {
    let p = looped();
    std::fs::write(
        p.project.path().join("lib/looped_test.bt"),
        "TestCase subclass: LoopedTest\n  testHi => self assert: Looped new hi equals: 7\n",
    )
    .expect("write");
    let (code, out, err, _) = run(&mut p.cmd(&["--timeout", "20s", "test", "lib"]));
    assert_eq!((code, out.as_str()), (0, "1 passed, 0 failed\n"), "{err}");
}

#[test]
fn loading_the_root_directory_ends_with_an_error() {
    let p = Project::new();
    let (code, out, err, took) = run(&mut p.cmd(&["--timeout", "30s", "load", "/"]));
    assert!(code == 2 || code == 5, "exit {code}: {out}{err}");
    assert!(
        err.contains("hint:") || err.contains("cannot read /") || err.contains("longer than"),
        "{err}"
    );
    assert!(took < Duration::from_secs(60), "{took:?}");
    assert!(
        p.ws.node_pids().is_empty(),
        "nothing started for a load that read nothing"
    );
}

#[test]
fn a_fifo_named_bt_is_refused_not_waited_on() {
    let p = Project::new();
    let fifo = p.project.path().join("f.bt");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(status.success());
    for target in ["f.bt", "."] {
        let (code, out, err, took) = run(&mut p.cmd(&["--timeout", "10s", "load", target]));
        assert_eq!(code, 2, "{target}: {out}{err}");
        assert!(err.contains("FIFO"), "{target}: {err}");
        assert!(took < Duration::from_secs(10), "{target}: {took:?}");
    }
}
