//! Bad input gets a clear error, never a crash: long message chains and deep nesting (a property test of
//! the compiler, and end to end), huge classes, invalid UTF-8 on a piped REPL, replies too deep to decode,
//! absurd durations, closed output pipes, and cookies no node can hold.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use beamtalk::lang::ast::Item;
use beamtalk::lang::compile;
use beamtalk::lang::parser::{self, MAX_DEPTH};
use beamtalk::term::etf;
use common::{Project, run, run_with_input};
use proptest::prelude::*;

/// Parses, generates code and encodes it as the CLI does before sending; a diagnostic is fine, a crash
/// is not. Runs on a thread with the stack the CLI's main thread gets (64 MiB).
fn compile(src: String) -> Result<(), String> {
    std::thread::Builder::new()
        .stack_size(64 * 1024 * 1024)
        .spawn(move || {
            let items = parser::parse(&src).map_err(|d| d.message)?;
            for item in items {
                if let Item::Statements(stmts) = item {
                    let term = compile::repl_line(&src, &stmts)
                        .map_err(|d| d.message)?
                        .into_term();
                    etf::encode(&term).map_err(|e| e.to_string())?;
                }
            }
            // The same code as a method body: resolved and lowered as a class's method.
            let class = format!("Object subclass: T\n  m =>\n    x := 0\n    {src}\n");
            for item in parser::parse(&class).map_err(|d| d.message)? {
                if let Item::Class(c) = item {
                    let term = compile::class(&c, &class).map_err(|d| d.message)?;
                    etf::encode(&term).map_err(|e| e.to_string())?;
                }
            }
            Ok(())
        })
        .expect("thread")
        .join()
        .expect("the compiler did not crash")
}

/// A chain or nesting of `n` levels built from one of several shapes.
fn deep(shape: u8, n: usize) -> String {
    match shape % 8 {
        0 => format!("1{}", " + 1".repeat(n)),
        1 => format!("3{}", " abs".repeat(n)),
        2 => format!("{}1{}", "(".repeat(n), ")".repeat(n)),
        3 => format!("{}1{}", "[".repeat(n), "]".repeat(n)),
        4 => format!("{}1{}", "#(".repeat(n), ")".repeat(n)),
        5 => format!("{}1{}", "(1 + ".repeat(n), " abs)".repeat(n)),
        // Inlined loops and conditionals, each threading the local it assigns.
        6 => format!(
            "{}x := x + 1{}",
            "1 to: 2 do: [:i | ".repeat(n),
            "]".repeat(n)
        ),
        _ => format!(
            "{}x := x + 1{}",
            "x > 0 ifTrue: [".repeat(n),
            "] ifFalse: [x := 1]".repeat(n)
        ),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn long_chains_and_deep_nesting_compile_or_say_too_deep(shape in 0u8..8, n in 1usize..8000) {
        let result = compile(deep(shape, n));
        if let Err(message) = &result {
            prop_assert!(message.contains("deeper than"), "{message}");
        }
        // Within the limit, every shape compiles (each adds at most 3 levels per step).
        if n < MAX_DEPTH / 3 {
            prop_assert!(result.is_ok(), "{result:?}");
        }
    }
}

#[test]
fn long_literal_lists_compile() {
    let src = format!("#({}1)", "1, ".repeat(100_000));
    assert_eq!(compile(src), Ok(()));
}

fn workspace() -> Project {
    let p = Project::new();
    let (code, _, err, _) = run(&mut p.cmd(&["workspace", "create", "bad"]));
    assert_eq!(code, 0, "{err}");
    p
}

#[test]
fn long_chains_are_a_diagnostic_in_eval_load_and_a_piped_repl() {
    let p = workspace();
    let chain = deep(0, 6000);
    let (code, _, err, _) = run(&mut p.cmd(&["eval", "-w", "bad", &chain]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("deeper than 1000 levels"), "{err}");
    assert!(
        err.lines().all(|l| l.len() < 200),
        "the caret line is cut: {err}"
    );
    let (code, _, err, _) = run(&mut p.cmd(&["eval", "-w", "bad", &deep(1, 6000)]));
    assert_eq!(code, 2, "{err}");

    let file = p.project.path().join("chain.bt");
    std::fs::write(&file, format!("Object subclass: Chain\n  go => {chain}\n")).expect("write");
    let (code, _, err, _) = run(&mut p.cmd(&["load", "-w", "bad", "chain.bt"]));
    assert_eq!(code, 2, "{err}");

    let out = run_with_input(
        &mut p.cmd(&["repl", "-w", "bad"]),
        format!("x := 3\n{chain}\nx + 1\n").as_bytes(),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert_eq!(lines.first(), Some(&"3"));
    assert_eq!(lines.last(), Some(&"4"), "later lines run: {stdout}");
    assert!(stdout.contains("deeper than 1000 levels"), "{stdout}");
}

/// Files are parsed and compiled on threads of the CLI (a blocking thread, and helpers when there are
/// several files): files nested as deep as the parser allows load there as they would on the main
/// thread (it used to overflow such a thread's stack and crash).
#[test]
fn files_nested_as_deep_as_allowed_load() {
    let p = workspace();
    let depth = 990;
    let dir = p.project.path().join("deep");
    std::fs::create_dir_all(&dir).expect("dir");
    for (i, name) in ["Deep", "Deeper", "Deepest", "Deepmost"].iter().enumerate() {
        let src = format!(
            "Object subclass: {name}\n  class value => {}{i}{}\n",
            "(".repeat(depth),
            ")".repeat(depth)
        );
        std::fs::write(dir.join(format!("{}.bt", name.to_lowercase())), src).expect("write");
    }
    let (code, out, err, _) = run(&mut p.cmd(&["load", "-w", "bad", "deep"]));
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err, _) = run(&mut p.cmd(&[
        "eval",
        "-w",
        "bad",
        "#(Deep value, Deeper value, Deepest value, Deepmost value)",
    ]));
    assert_eq!((code, out.trim()), (0, "#(0, 1, 2, 3)"), "{err}");
}

/// A selector too long for an Erlang atom is refused before anything loads, naming the class and file.
#[test]
fn a_selector_too_long_for_the_node_is_refused_before_loading() {
    let p = workspace();
    let src = format!("Object subclass: Wordy\n  {} => 1\n", "a".repeat(300));
    std::fs::write(p.project.path().join("wordy.bt"), src).expect("write");
    let (code, _, err, _) = run(&mut p.cmd(&["load", "-w", "bad", "wordy.bt"]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("class Wordy of wordy.bt cannot be sent"),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");
    let (code, out, err, _) = run(&mut p.cmd(&["eval", "-w", "bad", "Wordy"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        format!("{out}{err}").contains("unknown class Wordy"),
        "{out}{err}"
    );
}

#[test]
fn a_class_with_too_many_methods_is_a_diagnostic() {
    let p = workspace();
    let mut src = String::from("Object subclass: Big\n");
    for i in 0..60_000 {
        src.push_str(&format!("  m{i} => {i}\n"));
    }
    std::fs::write(p.project.path().join("big.bt"), src).expect("write");
    let (code, _, err, took) = run(&mut p.cmd(&["load", "-w", "bad", "big.bt"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("more than 10000 members"), "{err}");
    assert!(took < Duration::from_secs(20), "took {took:?}");
}

#[test]
fn invalid_utf8_on_a_piped_repl_is_reported_and_later_lines_run() {
    let p = workspace();
    let out = run_with_input(
        &mut p.cmd(&["repl", "-w", "bad"]),
        b"y := 1\n\xff\xfe\ny + 1\n",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "1",
            "error: input line 2 is not valid UTF-8 (byte 0xff at column 1); the line was skipped",
            "2"
        ]
    );
}

#[test]
fn a_reply_too_deep_to_decode_fails_the_call_at_once() {
    let p = workspace();
    // The external format of a list nested 3,000 deep, decoded by the node into the call's result.
    let depth = 3000;
    let bytes = format!(
        "<<131,{}106{}>>",
        "108,0,0,0,1,".repeat(depth),
        ",106".repeat(depth)
    );
    let (code, _, err, took) = run(&mut p.cmd(&[
        "--timeout",
        "30s",
        "rpc",
        "-w",
        "bad",
        "erlang",
        "binary_to_term",
        &bytes,
    ]));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("cannot be read") && err.contains("deeper than"),
        "{err}"
    );
    assert!(took < Duration::from_secs(10), "waited {took:?}");
}

#[test]
fn an_absurd_duration_is_a_usage_error() {
    let p = Project::new();
    let (code, _, err, _) = run(&mut p.cmd(&["--timeout", "18446744073709551615s", "eval", "1"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("at most 365 days"), "{err}");
}

/// Reads one line of `cmd`'s output, closes the pipe, and returns how the command ended.
fn first_line_then_close(cmd: &mut std::process::Command) -> (Option<i32>, String, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("a line");
    // The reader is dropped here: the pipe's read end closes, as when `head -1` exits.
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code(),
        first,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    let p = workspace();
    let (code, first, err) =
        first_line_then_close(&mut p.cmd(&["rpc", "-w", "bad", "lists", "seq", "1", "200000"]));
    assert!(first.starts_with("[1,2,3"), "{first}");
    assert_eq!((code, err.as_str()), (Some(0), ""));
    let (code, first, err) = first_line_then_close(&mut p.cmd(&["completions", "bash"]));
    assert!(!first.is_empty());
    assert_eq!((code, err.as_str()), (Some(0), ""));
}

#[test]
fn cookies_no_node_can_hold_are_refused_up_front() {
    let p = Project::new();
    let long = "x".repeat(300);
    for (cookie, what) in [
        ("caf\u{e9}COOKIE", "printable ASCII"),
        (long.as_str(), "300 bytes"),
        ("COOKIE \n", "ends with a space"),
        (" COOKIE", "begins or ends with a space"),
    ] {
        std::fs::write(p.ws.home.cookie_file(), cookie).expect("cookie");
        let start = Instant::now();
        let (code, _, err, _) = run(&mut p.cmd(&["workspace", "create", "c"]));
        assert_eq!(code, 4, "{err}");
        assert!(err.contains(what), "{err}");
        assert!(start.elapsed() < Duration::from_secs(5));
        assert!(p.ws.node_pids().is_empty(), "no node was started");
    }
}
