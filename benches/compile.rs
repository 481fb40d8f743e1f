//! Compile time as the input grows, in one run: `beamtalk load` of conditionals nested 125, 250 and
//! 500 deep (linear: 4× the depth should take about 4× the time; 500 is about as deep as the parser
//! takes, 1,000 levels of brackets and sends), of a class of 5,000 methods beside
//! one of 50, and of a generated 50,000-line project beside `erlc` compiling the same code written as
//! Erlang by hand.
//!
//! `cargo bench --bench compile` (through `scripts/bench.sh compile`).

#[path = "../tests/common/mod.rs"]
mod common;
#[allow(dead_code)]
#[path = "support/node.rs"]
mod node;
#[allow(dead_code)]
#[path = "support/report.rs"]
mod report;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use node::{Workbench, must};
use report::Row;

fn nested(depth: usize) -> String {
    let mut body = "y := 1".to_owned();
    for i in 0..depth {
        body = format!("y > {i} ifTrue: [{body}] ifFalse: [y := {i}]");
    }
    format!("Object subclass: Nest{depth}\n  run: x =>\n    y := x\n    {body}\n    y\n")
}

fn wide(name: &str, methods: usize) -> String {
    let mut out = format!("Object subclass: {name}\n  field: base = 1\n\n");
    for m in 0..methods {
        out.push_str(&format!(
            "  m{m}: x => x > {m} ifTrue: [x * {m} + self base] ifFalse: [x - {m}]\n"
        ));
    }
    out
}

/// The 50,000-line project: 500 classes of 100 lines (98 one-line methods), and the same as Erlang.
fn project(dir: &Path) {
    for c in 0..500 {
        let mut bt = format!("Object subclass: Gen{c}\n\n");
        let mut erl = format!("-module(gen{c}).\n-compile([export_all, nowarn_export_all]).\n");
        for m in 0..98 {
            bt.push_str(&format!(
                "  m{m}: x => x > {m} ifTrue: [x * {m} + {c}] ifFalse: [x - {m}]\n"
            ));
            erl.push_str(&format!(
                "m{m}(X) -> case X > {m} of true -> X * {m} + {c}; false -> X - {m} end.\n"
            ));
        }
        std::fs::write(dir.join(format!("src/gen{c}.bt")), bt).expect("write");
        std::fs::write(dir.join(format!("erl/gen{c}.erl")), erl).expect("write");
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("compile: run with `cargo bench --bench compile` (scripts/bench.sh compile)");
        return;
    }
    let bench = Workbench::new();
    let dir = bench.project.path();
    must(&mut bench.cli(&["workspace", "create", "compile"]));
    let load = |file: &str, text: &str| {
        std::fs::write(dir.join(file), text).expect("write");
        let start = Instant::now();
        must(&mut bench.cli(&["load", "-w", "compile", file]));
        start.elapsed().as_secs_f64()
    };
    let depth: Vec<f64> = [125, 250, 500]
        .iter()
        .map(|&d| load(&format!("nest{d}.bt"), &nested(d)))
        .collect();
    let narrow = load("narrow.bt", &wide("Narrow", 50));
    let broad = load("broad.bt", &wide("Broad", 5000));
    std::fs::create_dir_all(dir.join("src")).expect("src");
    std::fs::create_dir_all(dir.join("erl")).expect("erl");
    std::fs::create_dir_all(dir.join("ebin")).expect("ebin");
    project(dir);
    let start = Instant::now();
    must(&mut bench.cli(&["load", "-w", "compile", "src"]));
    let ours = start.elapsed().as_secs_f64();
    let files: Vec<String> = (0..500).map(|c| format!("erl/gen{c}.erl")).collect();
    let start = Instant::now();
    must(
        Command::new("erlc")
            .current_dir(dir)
            .args(["-o", "ebin"])
            .args(&files),
    );
    let erlc = start.elapsed().as_secs_f64();
    // `load` compiles on every scheduler of the node; `erlc` one file at a time. The same files split
    // among as many `erlc` processes as there are cores shows what that parallelism is worth.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let start = Instant::now();
    let mut parts: Vec<_> = files
        .chunks(files.len().div_ceil(cores))
        .map(|part| {
            Command::new("erlc")
                .current_dir(dir)
                .args(["-o", "ebin"])
                .args(part)
                .spawn()
                .expect("erlc starts")
        })
        .collect();
    for part in &mut parts {
        assert!(part.wait().expect("erlc runs").success(), "erlc failed");
    }
    let erlc_parallel = start.elapsed().as_secs_f64();
    must(&mut bench.cli(&["workspace", "stop", "compile"]));
    let s = |v: f64| format!("{v:.2} s");
    let rows = vec![
        Row::new(
            "nested conditionals, 250 deep",
            s(depth[1]),
            format!("125 deep {} (×2 depth)", s(depth[0])),
            depth[1] / depth[0],
            "≈ 2× (linear)",
        ),
        Row::new(
            "nested conditionals, 500 deep",
            s(depth[2]),
            format!("125 deep {} (×4 depth)", s(depth[0])),
            depth[2] / depth[0],
            "≈ 4× (linear)",
        ),
        Row::new(
            "a class of 5,000 methods",
            s(broad),
            format!("50 methods {} (×100)", s(narrow)),
            broad / narrow,
            "report",
        ),
        Row::new(
            "`beamtalk load` of a 50,000-line project",
            s(ours),
            format!("`erlc` of the same in Erlang {}", s(erlc)),
            ours / erlc,
            "≤ 1.2×",
        ),
        Row::new(
            "the same load",
            s(ours),
            format!("{cores} `erlc` processes side by side {}", s(erlc_parallel)),
            ours / erlc_parallel,
            "report",
        ),
    ];
    report::publish(
        "compile",
        ["input", "ours", "anchor (same run)", "ratio", "goal"],
        &rows,
    );
}
