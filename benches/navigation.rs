//! `SystemNavigation` queries with 1,000 classes loaded, beside the same queries with 10, in one run.
//!
//! `cargo bench --bench navigation` (through `scripts/bench.sh navigation`) loads 1,000 small classes
//! that send and name each other into one workspace, and times on the node `sendersOf:`,
//! `referencesTo:` and `implementorsOf:` (each the median of 50), beside a workspace holding 10 of
//! them; and the first query, which builds the cross-reference index from what is loaded.

#[path = "../tests/common/mod.rs"]
mod common;
// Shared with the other benchmarks, which use what this one does not.
#[allow(dead_code)]
#[path = "support/node.rs"]
mod node;
#[allow(dead_code)]
#[path = "support/report.rs"]
mod report;

use beamtalk::term::{atom, list, tuple};

use eetf::Term;
use node::{Workbench, median, must};
use report::Row;

const RUNS: usize = 50;

/// `n` classes, each sending to and naming its neighbour.
fn classes(n: usize) -> String {
    (0..n)
        .map(|i| {
            let next = (i + 1) % n;
            format!(
                "Object subclass: Nav{i}\n  step => self tick\n  tick => Nav{next} new step\n  \
                 show => Transcript showLine: \"nav {i}\"\n  sum => #(1, 2, 3) inject: 0 into: [:a :b | a + b]\n  \
                 class make => self new tick\n\n"
            )
        })
        .collect()
}

fn main() {
    // `cargo test --all-targets` runs this binary too (without `--bench`): it only needs to build there.
    if !std::env::args().any(|a| a == "--bench") {
        println!(
            "navigation: run with `cargo bench --bench navigation` (scripts/bench.sh navigation)"
        );
        return;
    }
    let bench = Workbench::new();
    let project = &bench.project;
    let cli = |args: &[&str]| bench.cli(args);
    let mut figures = Vec::new();
    for (name, n) in [("few", 10), ("many", 1000)] {
        std::fs::write(project.path().join(format!("{name}.bt")), classes(n)).expect("write");
        must(&mut cli(&["workspace", "create", name]));
        must(&mut cli(&["load", "-w", name, &format!("{name}.bt")]));
        let node = bench.node(name);
        let query = |selector: &str, arg: Term| {
            node.tc(
                "beamtalk_system",
                "navigation",
                vec![atom(selector), list(vec![arg])],
            )
        };
        let (first, senders) = query("sendersOf:", atom("tick"));
        let found = match &senders {
            Term::Tuple(t) => match t.elements.get(1) {
                Some(Term::List(l)) => l.elements.len(),
                _ => 0,
            },
            _ => 0,
        };
        assert_eq!(found, 2 * n, "every step and make sends tick");
        let timed = |selector: &str, arg: Term| {
            median(
                (0..RUNS)
                    .map(|_| query(selector, arg.clone()).0 / 1e3)
                    .collect(),
            )
        };
        let nav0 = tuple(vec![atom("$bt_class"), atom("Nav0")]);
        figures.push((
            first / 1e3,
            timed("sendersOf:", atom("tick")),
            timed("referencesTo:", nav0),
            timed("implementorsOf:", atom("show")),
        ));
        must(&mut cli(&["workspace", "stop", name]));
    }
    let (few, many) = (figures[0], figures[1]);
    let ms = |v: f64| match v {
        v if v >= 1.0 => format!("{v:.2} ms"),
        v => format!("{:.0} µs", v * 1e3),
    };
    let row = |what: &str, ours: f64, anchor: f64, goal: &'static str| {
        Row::new(
            what,
            ms(ours),
            format!("with 10 classes {}", ms(anchor)),
            ours / anchor,
            goal,
        )
    };
    let rows = vec![
        row(
            "`sendersOf: #tick` (2,000 senders)",
            many.1,
            few.1,
            "< 5 ms",
        ),
        row("`referencesTo: Nav0`", many.2, few.2, "< 5 ms"),
        row(
            "`implementorsOf: #show` (1,000 classes)",
            many.3,
            few.3,
            "< 5 ms",
        ),
        row(
            "the first query, building the index",
            many.0,
            few.0,
            "report",
        ),
    ];
    report::publish(
        "navigation",
        [
            "query",
            "1,000 classes",
            "anchor (same run)",
            "ratio",
            "goal",
        ],
        &rows,
    );
}
