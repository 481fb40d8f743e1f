//! Durable actors beside what they are compared with, measured in one run.
//!
//! `cargo bench --bench durable` (through `scripts/bench.sh durable`) creates a workspace and loads the
//! Erlang anchor `benches/support/durable_anchor.erl`: a hand-written gen_server that writes its state to
//! a Mnesia table and syncs the log on every call, as a durable actor does. It compares a durable actor's
//! call with that server's and with a plain actor's, the same from ten callers at once (where a durable
//! actor's writes share syncs), and bringing back 10,000 durable actors when their class loads on a new
//! node with loading the class where there are none.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/node.rs"]
mod node;
#[path = "support/report.rs"]
mod report;

use std::time::Instant;

use beamtalk::term::{atom, list};

use eetf::Term;
use node::{Workbench, int, median, must};
use report::Row;

const CALLS: i64 = 2_000;
const CALLERS: i64 = 10;
const RESTORED: i64 = 10_000;
const RUNS: usize = 3;

const ACCOUNT: &str = "\
Actor subclass: DurAccount
  state: balance = 0
  deposit: n => self.balance := self.balance + n

Object subclass: DurBench
  class many: k =>
    1 to: k do: [:i | DurAccount spawnPersistentAs: (\"acct\" ++ i printString) asSymbol]
    k
";

fn ms(v: f64) -> String {
    match v {
        v if v >= 1000.0 => format!("{:.2} s", v / 1e3),
        v if v >= 10.0 => format!("{v:.0} ms"),
        v => format!("{v:.2} ms"),
    }
}

fn micros_each(total_us: f64, calls: i64) -> String {
    format!("{:.0} µs", total_us / calls as f64)
}

fn main() {
    // `cargo test --all-targets` runs this binary too (without `--bench`): it only needs to build there.
    if !std::env::args().any(|a| a == "--bench") {
        println!("durable: run with `cargo bench --bench durable` (scripts/bench.sh durable)");
        return;
    }
    let bench = Workbench::new();
    let project = &bench.project;
    let cli = |args: &[&str]| bench.cli(args);
    std::fs::write(project.path().join("acct.bt"), ACCOUNT).expect("write");
    for name in ["durable", "empty"] {
        must(&mut cli(&["workspace", "create", name]));
        must(&mut cli(&["load", "-w", name, "acct.bt"]));
    }
    let node = bench.node("durable");
    let spawn =
        |selector: &str, args: Vec<Term>| node.send_to_class("DurAccount", selector, args).1;
    let unwrap = |result: Term| {
        node.call(
            "beamtalk_dispatch",
            "send",
            vec![result, atom("unwrap"), list(vec![])],
        )
    };
    let durable = unwrap(spawn("spawnPersistentAs:", vec![atom("main")]));
    let plain = spawn("spawn", vec![]);
    node.load_anchor("durable_anchor");
    node.call("durable_anchor", "setup", vec![]);
    let anchor = node.call("durable_anchor", "start", vec![atom("main")]);
    let runs = |kind: &str, target: &Term| -> Vec<f64> {
        (0..RUNS)
            .map(|_| {
                node.tc(
                    "durable_anchor",
                    "deposits",
                    vec![atom(kind), target.clone(), int(CALLS)],
                )
                .0
            })
            .collect()
    };
    let ours_runs = runs("actor", &durable);
    let hand_runs = runs("anchor", &anchor);
    let time = |kind: &str, target: &Term| median(runs(kind, target));
    let ours = median(ours_runs.clone());
    let hand = median(hand_runs.clone());
    let live = time("actor", &plain);

    // Ten callers at once, each with its own durable actor (or server).
    let many_ours: Vec<Term> = (0..CALLERS)
        .map(|i| unwrap(spawn("spawnPersistentAs:", vec![atom(&format!("c{i}"))])))
        .collect();
    let many_hand: Vec<Term> = (0..CALLERS)
        .map(|i| node.call("durable_anchor", "start", vec![atom(&format!("c{i}"))]))
        .collect();
    let per = CALLS / CALLERS;
    let together = |kind: &str, targets: &[Term]| {
        median(
            (0..RUNS)
                .map(|_| {
                    node.tc(
                        "durable_anchor",
                        "concurrent",
                        vec![atom(kind), list(targets.to_vec()), int(per)],
                    )
                    .0
                })
                .collect(),
        )
    };
    let ours_together = together("actor", &many_ours);
    let hand_together = together("anchor", &many_hand);

    // 10,000 durable actors, stopped with their node; a new node brings them back when the class loads.
    node.send_to_class("DurBench", "many:", vec![int(RESTORED)]);
    drop(node);
    must(&mut cli(&["workspace", "stop", "durable"]));
    must(&mut cli(&["workspace", "create", "durable"]));
    let start = Instant::now();
    must(&mut cli(&["load", "-w", "durable", "acct.bt"]));
    let restore = start.elapsed().as_secs_f64() * 1e3;
    let restored = must(&mut cli(&[
        "eval",
        "-w",
        "durable",
        "Workspace actors size",
    ]));
    assert!(
        restored.trim().parse::<i64>().unwrap_or(0) > RESTORED,
        "restored {restored}"
    );
    let load_empty = median(
        (0..RUNS)
            .map(|_| {
                let start = Instant::now();
                must(&mut cli(&["load", "-w", "empty", "acct.bt"]));
                start.elapsed().as_secs_f64() * 1e3
            })
            .collect(),
    );

    let rows = vec![
        Row::new(
            "a durable actor's call (state written and synced)",
            micros_each(ours, CALLS),
            format!(
                "hand-written gen_server, same Mnesia write and sync: {}",
                micros_each(hand, CALLS)
            ),
            ours / hand,
            "≤ 1.2×",
        )
        .with_samples(ours_runs, hand_runs, "µs per 2,000 calls"),
        Row::new(
            "the same call to a plain actor",
            micros_each(live, CALLS),
            format!("durable: {}", micros_each(ours, CALLS)),
            live / ours,
            "report",
        ),
        Row::new(
            "10 callers at once, 10 durable actors (shared syncs)",
            micros_each(ours_together, CALLS),
            format!(
                "10 hand-written servers: {}",
                micros_each(hand_together, CALLS)
            ),
            ours_together / hand_together,
            "report",
        ),
        Row::new(
            "`load` that brings back 10,000 durable actors",
            ms(restore),
            format!("the same load with none: {}", ms(load_empty)),
            restore / load_empty,
            "report",
        ),
    ];
    for name in ["durable", "empty"] {
        must(&mut cli(&["workspace", "stop", name]));
    }
    report::publish(
        "durable",
        ["work", "ours", "anchor (same run)", "ratio", "goal"],
        &rows,
    );
}
