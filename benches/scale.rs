//! One workspace with 100,000 actors, beside raw OTP measured in the same run.
//!
//! `cargo bench --bench scale` (through `scripts/bench.sh scale`) creates a workspace, loads the Erlang
//! anchor `benches/support/scale_anchor.erl` (a hand-written gen_server with one field), and compares:
//! spawning 100k actors with `gen_server:start/3` of that server (and the last 10k spawns with the first,
//! which is linear scaling); memory per idle actor; stopping one actor among 100k; loading an unrelated
//! class; a hot reload of the class of all 100k; `Workspace actors size` and `workspace actors --json`;
//! and `workspace list` and a reconnecting `eval` beside the same commands before the actors existed.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/node.rs"]
mod node;
#[path = "support/report.rs"]
mod report;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use beamtalk::term::{as_i64, atom};

use eetf::Term;
use node::{Node, Workbench, int, median, must};
use report::Row;

const ACTORS: i64 = 100_000;
const BATCH: i64 = 10_000;
const RUNS: usize = 5;

const COUNTER: &str = "\
Actor subclass: ScaleCounter
  state: n = 0
  bump => self.n := self.n + 1
";

const BENCH: &str = "\
Actor subclass: ScaleInit
  state: n = 0
  initialize => self.n := 1

Object subclass: ScaleBench
  class spawn: k =>
    k timesRepeat: [ScaleCounter spawn]
    k
  class spawnInit: k =>
    k timesRepeat: [ScaleInit spawn]
    k
  class one => ScaleCounter spawn
";

const UNRELATED: &str = "Object subclass: Unrelated\n  hi => 1\n";

/// `scale.bt` with the counter class grown by `methods` (a new version for a hot reload).
fn write_classes(dir: &Path, methods: &str) {
    std::fs::write(dir.join("scale.bt"), format!("{COUNTER}{methods}\n{BENCH}")).expect("write");
}

/// Milliseconds of a whole CLI command, the median of `RUNS` a second apart (a load purges the code it
/// replaced in the background, which takes a while with 100k processes; a person does not load faster).
fn timed(cmd: impl Fn() -> Command) -> f64 {
    median(
        (0..RUNS)
            .map(|_| {
                std::thread::sleep(std::time::Duration::from_secs(1));
                once(&cmd)
            })
            .collect(),
    )
}

/// Milliseconds of one run of a CLI command.
fn once(cmd: &impl Fn() -> Command) -> f64 {
    let start = Instant::now();
    must(&mut cmd());
    start.elapsed().as_secs_f64() * 1e3
}

/// A fresh ScaleCounter, from `ScaleBench one`.
fn one(node: &Node) -> Term {
    node.send_to_class("ScaleBench", "one", vec![]).1
}

fn micros(t: &Term) -> f64 {
    as_i64(t).expect("microseconds") as f64
}

fn ms(v: f64) -> String {
    match v {
        v if v >= 1000.0 => format!("{:.2} s", v / 1e3),
        v if v >= 10.0 => format!("{v:.0} ms"),
        v => format!("{v:.2} ms"),
    }
}

fn main() {
    // `cargo test --all-targets` runs this binary too (without `--bench`): it only needs to build there.
    if !std::env::args().any(|a| a == "--bench") {
        println!("scale: run with `cargo bench --bench scale` (scripts/bench.sh scale)");
        return;
    }
    let bench = Workbench::new();
    let project = &bench.project;
    let cli = |args: &[&str]| bench.cli(args);
    must(&mut cli(&["workspace", "create", "scale"]));
    write_classes(project.path(), "");
    std::fs::write(project.path().join("unrelated.bt"), UNRELATED).expect("write");
    must(&mut cli(&["load", "-w", "scale", "scale.bt"]));
    let node = bench.node("scale");
    node.load_anchor("scale_anchor");
    let memory = || as_i64(&node.call("scale_anchor", "memory", vec![])).expect("bytes") as f64;
    let reload = |methods: &str| {
        write_classes(project.path(), methods);
        once(&|| cli(&["load", "-w", "scale", "scale.bt"]))
    };
    // The median of three reloads, each a new version with `methods` first, a second apart (a load
    // purges the code it replaced in the background, see `timed`).
    let reloads = |methods: &str| {
        median(
            ["", "  four => 4\n", "  four => 4\n  five => 5\n"]
                .iter()
                .map(|more| {
                    std::thread::sleep(std::time::Duration::from_secs(1));
                    reload(&format!("{methods}{more}"))
                })
                .collect(),
        )
    };

    // Before the actors: the figures the commands are compared with.
    let list_before = timed(|| cli(&["workspace", "list"]));
    let eval_before = timed(|| cli(&["eval", "-w", "scale", "1"]));
    let size_before = timed(|| cli(&["eval", "-w", "scale", "Workspace actors size"]));
    let json_before = timed(|| cli(&["--json", "workspace", "actors", "scale"]));
    let load_before = timed(|| cli(&["load", "-w", "scale", "unrelated.bt"]));
    let single = one(&node);
    let reload_one = reloads("  twice => self.n * 2\n");
    node.call("beamtalk_actor", "lifecycle", vec![single, atom("stop")]);

    // The anchor: 100k hand-written servers, their memory, then gone.
    let base = memory();
    node.tc("scale_anchor", "spawn_many", vec![int(ACTORS)]);
    let anchor_memory = (memory() - base) / ACTORS as f64;
    let anchor_stop = median(
        (0..RUNS)
            .map(|_| micros(&node.call("scale_anchor", "stop_one", vec![])) / 1e3)
            .collect(),
    );
    node.call("scale_anchor", "stop_all", vec![]);

    // 100k actors, in batches: the first and the last batch show whether spawning stays linear. Each
    // batch follows a batch of the anchor (started, timed, stopped), so that a machine whose speed
    // drifts during the run weighs on both sides of the ratio alike. A batch's time runs until the node
    // is idle again: work a spawn leaves to the new process or its host is counted, not hidden.
    let base = memory();
    let settled = |started: f64| {
        let left = as_i64(&node.call("scale_anchor", "settle", vec![])).expect("micros") as f64;
        (started + left) / 1e3
    };
    // A batch of the anchor (started, timed, stopped), then one of ours through `selector`.
    let batch = |selector: &str| {
        let anchor = settled(node.tc("scale_anchor", "spawn_many", vec![int(BATCH)]).0);
        node.call("scale_anchor", "stop_all", vec![]);
        node.call("scale_anchor", "settle", vec![]);
        let ours = settled(
            node.send_to_class("ScaleBench", selector, vec![int(BATCH)])
                .0,
        );
        (anchor, ours)
    };
    let (anchor_batches, batches): (Vec<f64>, Vec<f64>) =
        (0..ACTORS / BATCH).map(|_| batch("spawn:")).unzip();
    let spawn_total: f64 = batches.iter().sum();
    let anchor_spawn: f64 = anchor_batches.iter().sum();
    // Idle: past the time after which an idle actor hibernates.
    std::thread::sleep(std::time::Duration::from_secs(3));
    let ours_memory = (memory() - base) / ACTORS as f64;
    let stop = median(
        (0..RUNS)
            .map(|_| {
                node.tc(
                    "beamtalk_actor",
                    "lifecycle",
                    vec![one(&node), atom("stop")],
                )
                .0 / 1e3
            })
            .collect(),
    );
    let load_after = timed(|| cli(&["load", "-w", "scale", "unrelated.bt"]));
    let size_after = timed(|| cli(&["eval", "-w", "scale", "Workspace actors size"]));
    let of_class = must(&mut cli(&[
        "eval",
        "-w",
        "scale",
        "(Workspace actorsOf: ScaleCounter) size",
    ]));
    assert_eq!(of_class.trim(), ACTORS.to_string());
    let json_after = timed(|| cli(&["--json", "workspace", "actors", "scale"]));
    let list_after = timed(|| cli(&["workspace", "list"]));
    let eval_after = timed(|| cli(&["eval", "-w", "scale", "1"]));
    let reload_all = reloads("  state: extra = 0\n  twice => self.n * 2\n  thrice => self.n * 3\n");
    let migrated = must(&mut cli(&[
        "eval",
        "-w",
        "scale",
        "((Workspace actorsOf: ScaleCounter) collect: [:a | a thrice]) size",
    ]));
    assert_eq!(migrated.trim(), ACTORS.to_string());

    // Actors with an `initialize`, which their spawner waits for, as `gen_server:start/3` waits for `init/1`.
    // First the 100k, woken by the calls above, go back to sleep (after 2 s idle), which is not this
    // row's work.
    std::thread::sleep(std::time::Duration::from_secs(3));
    node.call("scale_anchor", "settle", vec![]);
    let (anchor_init, spawn_init) = batch("spawnInit:");

    let before = |v: f64| format!("with no actors {}", ms(v));
    let rows = vec![
        Row::new(
            "spawn 100,000 actors",
            ms(spawn_total),
            format!(
                "`gen_server:start/3` ×100k (batches between ours) {}",
                ms(anchor_spawn)
            ),
            spawn_total / anchor_spawn,
            "≤ 1.5×",
        )
        .with_samples(batches.clone(), anchor_batches, "ms"),
        Row::new(
            "the last 10,000 of those spawns",
            ms(batches[batches.len() - 1]),
            format!("the first 10,000 {}", ms(batches[0])),
            batches[batches.len() - 1] / batches[0],
            "linear (≈ 1×)",
        ),
        Row::new(
            "spawn 10,000 actors whose class has an `initialize` (waited for)",
            ms(spawn_init),
            format!("`gen_server:start/3` ×10k {}", ms(anchor_init)),
            spawn_init / anchor_init,
            "report",
        ),
        Row::new(
            "memory per idle actor",
            format!("{:.1} KiB", ours_memory / 1024.0),
            format!("per hand-written server {:.1} KiB", anchor_memory / 1024.0),
            ours_memory / anchor_memory,
            "≤ 2×",
        ),
        Row::new(
            "stopping one actor among 100k",
            ms(stop),
            format!("`gen_server:stop/1` {}", ms(anchor_stop)),
            stop / anchor_stop,
            "< 5 ms",
        ),
        Row::new(
            "`beamtalk load` of an unrelated class",
            ms(load_after),
            before(load_before),
            load_after / load_before,
            "< 100 ms",
        ),
        Row::new(
            "hot reload of the class of all 100k (state migrated; median of 3)",
            ms(reload_all),
            format!("with one actor {}", ms(reload_one)),
            reload_all / reload_one,
            "< 5 s",
        ),
        Row::new(
            "`eval \"Workspace actors size\"`",
            ms(size_after),
            before(size_before),
            size_after / size_before,
            "< 2 s",
        ),
        Row::new(
            "`workspace actors --json`",
            ms(json_after),
            before(json_before),
            json_after / json_before,
            "< 2 s",
        ),
        Row::new(
            "`workspace list`",
            ms(list_after),
            before(list_before),
            list_after / list_before,
            "unaffected",
        ),
        Row::new(
            "reconnect: `eval 1`",
            ms(eval_after),
            before(eval_before),
            eval_after / eval_before,
            "unaffected",
        ),
    ];
    must(&mut cli(&["workspace", "stop", "scale"]));
    report::publish(
        "scale",
        [
            "work",
            "100,000 actors",
            "anchor (same run)",
            "ratio",
            "goal",
        ],
        &rows,
    );
}
