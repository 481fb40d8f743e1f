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
#[path = "support/report.rs"]
mod report;

use std::process::Command;
use std::time::{Duration, Instant};

use beamtalk::dist::{Connection, NodeName};
use beamtalk::term::{as_i64, atom, list, tuple};
use common::{Epmd, WorkspaceHome, beamtalk, connect_options};
use eetf::{Binary, FixInteger, Term};
use report::Row;

const T: Duration = Duration::from_secs(600);
const ACTORS: i64 = 100_000;
const BATCH: i64 = 10_000;
const RUNS: usize = 5;

const CLASSES: &str = "\
Actor subclass: ScaleCounter
  state: n = 0
  bump => self.n := self.n + 1

Object subclass: ScaleBench
  class spawn: k =>
    k timesRepeat: [ScaleCounter spawn]
    k
  class one => ScaleCounter spawn
";

const RELOADED: &str = "\
Actor subclass: ScaleCounter
  state: n = 0
  state: extra = 0
  bump => self.n := self.n + 1
  twice => self.n * 2
";

const UNRELATED: &str = "Object subclass: Unrelated\n  hi => 1\n";

struct Node {
    conn: Connection,
    rt: tokio::runtime::Runtime,
}

impl Node {
    fn call(&self, m: &str, f: &str, args: Vec<Term>) -> Term {
        self.rt
            .block_on(self.conn.call(m, f, args, T))
            .unwrap_or_else(|e| panic!("{m}:{f}: {e}"))
    }

    /// Microseconds `M:F(Args)` took on the node.
    fn tc(&self, m: &str, f: &str, args: Vec<Term>) -> f64 {
        match self.call("timer", "tc", vec![atom(m), atom(f), list(args)]) {
            Term::Tuple(t) if t.elements.len() == 2 => {
                as_i64(&t.elements[0]).expect("microseconds") as f64
            }
            other => panic!("timer:tc answered {other:?}"),
        }
    }

    fn send(&self, class: &str, selector: &str, args: Vec<Term>) -> f64 {
        let class = tuple(vec![atom("$bt_class"), atom(class)]);
        self.tc(
            "beamtalk_dispatch",
            "send",
            vec![class, atom(selector), list(args)],
        )
    }

    fn memory(&self) -> f64 {
        as_i64(&self.call("scale_anchor", "memory", vec![])).expect("bytes") as f64
    }
}

fn int(n: i64) -> Term {
    Term::from(FixInteger::from(i32::try_from(n).expect("fits")))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn must(cmd: &mut Command) -> String {
    let out = cmd.output().expect("runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Milliseconds of a whole CLI command, the median of `RUNS`.
fn timed(cmd: impl Fn() -> Command) -> f64 {
    median(
        (0..RUNS)
            .map(|_| {
                let start = Instant::now();
                must(&mut cmd());
                start.elapsed().as_secs_f64() * 1e3
            })
            .collect(),
    )
}

fn load_anchor(node: &Node) {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/benches/support/scale_anchor.erl"
    );
    must(Command::new("erlc").args(["-o", dir.path().to_str().expect("utf8"), src]));
    let beam = dir.path().join("scale_anchor.beam");
    let bytes = std::fs::read(&beam).expect("beam");
    let path = Term::from(eetf::ByteList::from(
        beam.to_string_lossy().as_bytes().to_vec(),
    ));
    let loaded = node.call(
        "code",
        "load_binary",
        vec![atom("scale_anchor"), path, Term::from(Binary::from(bytes))],
    );
    assert_eq!(loaded, tuple(vec![atom("module"), atom("scale_anchor")]));
}

fn ms(v: f64) -> String {
    match v {
        v if v >= 1000.0 => format!("{:.2} s", v / 1e3),
        v if v >= 10.0 => format!("{v:.0} ms"),
        v => format!("{v:.2} ms"),
    }
}

fn main() {
    let epmd = Epmd::start();
    let ws = WorkspaceHome::new();
    let project = tempfile::tempdir().expect("project");
    let cli = |args: &[&str]| {
        let mut c = beamtalk(&epmd, &ws.home);
        c.current_dir(project.path())
            .args(["--timeout", "600s"])
            .args(args);
        c
    };
    must(&mut cli(&["workspace", "create", "scale"]));
    std::fs::write(project.path().join("scale.bt"), CLASSES).expect("write");
    std::fs::write(project.path().join("unrelated.bt"), UNRELATED).expect("write");
    must(&mut cli(&["load", "-w", "scale", "scale.bt"]));

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let name = format!(
        "beamtalk_workspace_scale@{}",
        beamtalk::dist::node_name::short_hostname()
    );
    let mut opts = connect_options(&epmd, &ws.home);
    opts.connect_timeout = T;
    let conn = rt
        .block_on(Connection::connect(
            &NodeName::parse(&name).expect("node"),
            &opts,
        ))
        .expect("connects");
    let node = Node { conn, rt };
    load_anchor(&node);

    // Before the actors: the figures the commands are compared with.
    let list_before = timed(|| cli(&["workspace", "list"]));
    let eval_before = timed(|| cli(&["eval", "-w", "scale", "1"]));
    let size_before = timed(|| cli(&["eval", "-w", "scale", "Workspace actors size"]));
    let json_before = timed(|| cli(&["--json", "workspace", "actors", "scale"]));
    let load_before = timed(|| cli(&["load", "-w", "scale", "unrelated.bt"]));
    let one: Term = node.call(
        "beamtalk_dispatch",
        "send",
        vec![
            tuple(vec![atom("$bt_class"), atom("ScaleBench")]),
            atom("one"),
            list(vec![]),
        ],
    );
    let reload_one = {
        std::fs::write(
            project.path().join("scale.bt"),
            format!(
                "{RELOADED}\n{}",
                &CLASSES[CLASSES.find("Object subclass").expect("bench class")..]
            ),
        )
        .expect("write");
        let start = Instant::now();
        must(&mut cli(&["load", "-w", "scale", "scale.bt"]));
        start.elapsed().as_secs_f64() * 1e3
    };
    node.call("beamtalk_actor", "lifecycle", vec![one, atom("stop")]);

    // The anchor: 100k hand-written servers, their memory, then gone.
    let base = node.memory();
    let anchor_spawn = node.tc("scale_anchor", "spawn_many", vec![int(ACTORS)]) / 1e3;
    let anchor_memory = (node.memory() - base) / ACTORS as f64;
    let anchor_stop = median(
        (0..RUNS)
            .map(|_| {
                as_i64(&node.call("scale_anchor", "stop_one", vec![])).expect("micros") as f64 / 1e3
            })
            .collect(),
    );
    node.call("scale_anchor", "stop_all", vec![]);

    // 100k actors, in batches: the first and the last batch show whether spawning stays linear.
    let base = node.memory();
    let batches: Vec<f64> = (0..ACTORS / BATCH)
        .map(|_| node.send("ScaleBench", "spawn:", vec![int(BATCH)]) / 1e3)
        .collect();
    let spawn_total: f64 = batches.iter().sum();
    let ours_memory = (node.memory() - base) / ACTORS as f64;
    let stop = median(
        (0..RUNS)
            .map(|_| {
                let a = node.call(
                    "beamtalk_dispatch",
                    "send",
                    vec![
                        tuple(vec![atom("$bt_class"), atom("ScaleBench")]),
                        atom("one"),
                        list(vec![]),
                    ],
                );
                node.tc("beamtalk_actor", "lifecycle", vec![a, atom("stop")]) / 1e3
            })
            .collect(),
    );
    let load_after = timed(|| cli(&["load", "-w", "scale", "unrelated.bt"]));
    let size_after = timed(|| cli(&["eval", "-w", "scale", "Workspace actors size"]));
    assert_eq!(
        must(&mut cli(&[
            "eval",
            "-w",
            "scale",
            "(Workspace actorsOf: ScaleCounter) size"
        ]))
        .trim(),
        ACTORS.to_string()
    );
    let json_after = timed(|| cli(&["--json", "workspace", "actors", "scale"]));
    let list_after = timed(|| cli(&["workspace", "list"]));
    let eval_after = timed(|| cli(&["eval", "-w", "scale", "1"]));
    let reload_all = {
        std::fs::write(
            project.path().join("scale.bt"),
            format!(
                "{RELOADED}  thrice => self.n * 3\n\n{}",
                &CLASSES[CLASSES.find("Object subclass").expect("bench class")..]
            ),
        )
        .expect("write");
        let start = Instant::now();
        must(&mut cli(&["load", "-w", "scale", "scale.bt"]));
        start.elapsed().as_secs_f64() * 1e3
    };

    let rows = vec![
        Row::new(
            "spawn 100,000 actors",
            ms(spawn_total),
            format!("`gen_server:start/3` ×100k {}", ms(anchor_spawn)),
            spawn_total / anchor_spawn,
            "≤ 1.5×",
        )
        .with_samples(batches.clone(), vec![anchor_spawn], "ms"),
        Row::new(
            "the last 10,000 of those spawns",
            ms(batches[batches.len() - 1]),
            format!("the first 10,000 {}", ms(batches[0])),
            batches[batches.len() - 1] / batches[0],
            "linear (≈ 1×)",
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
            format!("with no actors {}", ms(load_before)),
            load_after / load_before,
            "< 100 ms",
        ),
        Row::new(
            "hot reload of the class of all 100k (state migrated)",
            ms(reload_all),
            format!("with one actor {}", ms(reload_one)),
            reload_all / reload_one,
            "< 5 s",
        ),
        Row::new(
            "`eval \"Workspace actors size\"`",
            ms(size_after),
            format!("with no actors {}", ms(size_before)),
            size_after / size_before,
            "< 2 s",
        ),
        Row::new(
            "`workspace actors --json`",
            ms(json_after),
            format!("with no actors {}", ms(json_before)),
            json_after / json_before,
            "< 2 s",
        ),
        Row::new(
            "`workspace list`",
            ms(list_after),
            format!("with no actors {}", ms(list_before)),
            list_after / list_before,
            "unaffected",
        ),
        Row::new(
            "reconnect: `eval 1`",
            ms(eval_after),
            format!("with no actors {}", ms(eval_before)),
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
