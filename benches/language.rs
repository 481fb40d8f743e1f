//! Beamtalk beside hand-written Erlang, compiled and run on the same workspace node, in one run.
//!
//! `cargo bench --bench language` creates a workspace, loads `Bench` classes written in Beamtalk and the
//! Erlang module `benches/support/lang_anchor.erl` (compiled here with `erlc`, loaded by
//! `code:load_binary/3`), then times each piece of work on the node with `timer:tc/3`: medians of runs
//! taken alternately, so the machine's slow moments fall on both alike. It prints a table of ratios with
//! the goals of issue 15, and an actor's memory after a million calls of a method with temporaries.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/node.rs"]
mod node;
#[path = "support/report.rs"]
mod report;

use std::time::Instant;

use beamtalk::lang::parser::parse_statements;
use beamtalk::term::{as_i64, atom, list, tuple};

use eetf::{Binary, Term};
use node::{Node, Workbench, int, median, must};
const RUNS: usize = 5;

const CLASSES: &str = "\
Actor subclass: BenchCounter
  state: n = 0
  bump => self.n := self.n + 1

Actor subclass: BenchTemps
  work: x =>
    a := x + 1
    b := a * 2
    b - x

Object subclass: Bench
  class loop: n =>
    s := 0
    1 to: n do: [:i | s := s + i]
    s
  class fib: n =>
    n < 2 ifTrue: [^n]
    (self fib: n - 1) + (self fib: n - 2)
  class pipeline: n =>
    (((1 to: n) collect: [:x | x * 2]) select: [:x | x \\\\ 3 = 0]) inject: 0 into: [:a :b | a + b]
  class strings: n =>
    s := \"\"
    1 to: n do: [:i | s := s ++ \"x\"]
    s size
  class dict: n =>
    d := #{}
    1 to: n do: [:i | d := d at: i put: i]
    d size
  class calls: n =>
    c := BenchCounter spawn
    n timesRepeat: [c bump]
    n
  class hammer: t times: n =>
    n timesRepeat: [t work: 1]
    n
";

/// The workspace node, and the two versions of each piece of work on it.
struct Bench {
    node: Node,
}

impl Bench {
    fn call(&self, m: &str, f: &str, args: Vec<Term>) -> Term {
        self.node.call(m, f, args)
    }

    fn tc(&self, m: &str, f: &str, args: Vec<Term>) -> (f64, Term) {
        self.node.tc(m, f, args)
    }

    /// A class-side method of `Bench`, timed on the node.
    fn beamtalk(&self, selector: &str, args: Vec<Term>) -> (f64, Term) {
        self.node.send_to_class("Bench", selector, args)
    }

    /// Medians of the Beamtalk and Erlang versions of one piece of work, run alternately; both must
    /// answer alike.
    fn pair(&self, selector: &str, function: &str, n: i64) -> (f64, f64) {
        let (ours, theirs) = self.samples(selector, function, n);
        (median(ours), median(theirs))
    }

    /// The microseconds of each run of [`Bench::pair`].
    fn samples(&self, selector: &str, function: &str, n: i64) -> (Vec<f64>, Vec<f64>) {
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for _ in 0..RUNS {
            let (t, a) = self.beamtalk(selector, vec![int(n)]);
            let (u, b) = self.tc("lang_anchor", function, vec![int(n)]);
            assert_eq!(as_i64(&a), as_i64(&b), "{selector} and {function} disagree");
            ours.push(t);
            theirs.push(u);
        }
        (ours, theirs)
    }
}

use report::Row;

/// Compiling deeply nested inlined conditionals: 800 levels beside four times 200, so a ratio of 1
/// means compile time grows linearly with depth (it grew with its square: issue 24).
fn nested_compile_row() -> Row {
    let compile = |depth: usize| -> f64 {
        let body = format!(
            "{}x := x + 1{}",
            "x > 0 ifTrue: [".repeat(depth),
            "] ifFalse: [x := 1]".repeat(depth)
        );
        let src = format!("Object subclass: T\n  m =>\n    x := 0\n    {body}\n");
        // The stack the CLI compiles on (deep nesting recurses deeply).
        std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn(move || {
                let start = Instant::now();
                let items = beamtalk::lang::parser::parse(&src).expect("parses");
                let beamtalk::lang::ast::Item::Class(c) = &items[0] else {
                    panic!("a class")
                };
                beamtalk::lang::compile::class(c, &src).expect("compiles");
                start.elapsed().as_secs_f64() * 1e6
            })
            .expect("thread")
            .join()
            .expect("compiled")
    };
    let (mut deep, mut shallow) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        deep.push(compile(800));
        shallow.push(4.0 * compile(200));
    }
    let (d, s) = (median(deep.clone()), median(shallow.clone()));
    Row::new(
        "compiling 800 nested `ifTrue:ifFalse:` (parse and lower)",
        ms(d),
        format!("4 × 200 nested {}", ms(s)),
        d / s,
        "linear (≈ 1×)",
    )
    .with_samples(
        deep.into_iter().map(|x| x / 1e3).collect(),
        shallow.into_iter().map(|x| x / 1e3).collect(),
        "ms",
    )
}

fn ms(micros: f64) -> String {
    format!("{:.1} ms", micros / 1e3)
}

fn main() {
    let workbench = Workbench::new();
    let project = &workbench.project;
    let run = |args: &[&str]| must(&mut workbench.cli(args));
    run(&["workspace", "create", "langbench"]);
    std::fs::write(project.path().join("bench.bt"), CLASSES).expect("write");
    run(&["load", "-w", "langbench", "bench.bt"]);

    let bench = Bench {
        node: workbench.node("langbench"),
    };
    bench.node.load_anchor("lang_anchor");

    let mut rows = Vec::new();
    let table = [
        (
            "loop:",
            "loop",
            1_000_000,
            "`1 to: 1000000 do: [:i | s := s + i]` in a method",
            "tail-recursive loop",
            "≤ 3×",
        ),
        (
            "fib:",
            "fib",
            25,
            "naive `fib: 25` (self-recursive)",
            "recursive fib/1",
            "≤ 1.5×",
        ),
        (
            "pipeline:",
            "pipeline",
            100_000,
            "`collect:`/`select:`/`inject:into:` over 100k",
            "`lists`",
            "≤ 2×",
        ),
        (
            "strings:",
            "strings",
            100_000,
            "string building, 100k appends",
            "binary append",
            "≤ 2×",
        ),
        (
            "dict:",
            "dict",
            100_000,
            "Dictionary `at:put:` ×100k",
            "`maps:put/3`",
            "≤ 2×",
        ),
        (
            "calls:",
            "calls",
            100_000,
            "100k actor calls (`c bump`)",
            "`gen_server:call`",
            "≤ 1.3×",
        ),
    ];
    for (selector, function, n, work, anchor, goal) in table {
        let (ours_s, theirs_s) = bench.samples(selector, function, n);
        let (ours, theirs) = (median(ours_s.clone()), median(theirs_s.clone()));
        let micros_to_ms = |v: Vec<f64>| v.into_iter().map(|x| x / 1e3).collect();
        rows.push(
            Row::new(
                work,
                ms(ours),
                format!("{anchor} {}", ms(theirs)),
                ours / theirs,
                goal,
            )
            .with_samples(micros_to_ms(ours_s), micros_to_ms(theirs_s), "ms"),
        );
    }

    // The loop typed at the REPL beside the same loop in a loaded class.
    let repl = {
        let mut v = Vec::new();
        for _ in 0..RUNS {
            let start = Instant::now();
            let out = run(&[
                "eval",
                "-w",
                "langbench",
                "s := 0. 1 to: 1000000 do: [:i | s := s + i]. s",
            ]);
            v.push(start.elapsed().as_secs_f64() * 1e6);
            assert_eq!(out.trim(), "500000500000");
        }
        median(v)
    };
    // The evaluation alone, as the REPL sends it (the line compiled to a module on the node, run, purged).
    let evaluation = {
        let src = "s := 0. 1 to: 1000000 do: [:i | s := s + i]. s";
        let stmts = parse_statements(src, 0).expect("parses");
        let forms = beamtalk::lang::compile::repl_line(src, &stmts)
            .expect("lowers")
            .into_term();
        let mut v = Vec::new();
        for _ in 0..RUNS {
            let start = Instant::now();
            let reply = bench.call("beamtalk_repl_eval", "eval", vec![forms.clone()]);
            v.push(start.elapsed().as_secs_f64() * 1e6);
            let printed = match &reply {
                Term::Tuple(t) if t.elements.first() == Some(&atom("ok")) => t
                    .elements
                    .get(1)
                    .and_then(|m| beamtalk::term::map_get(m, "print"))
                    .cloned(),
                _ => None,
            };
            assert_eq!(
                printed,
                Some(Term::from(Binary::from(b"500000500000".to_vec()))),
                "{reply:?}"
            );
        }
        median(v)
    };
    let (compiled, _) = bench.pair("loop:", "loop", 1_000_000);
    rows.push(Row::new(
        "the same loop typed at the REPL (its evaluation, compile included)",
        ms(evaluation),
        format!("in a loaded class {}", ms(compiled)),
        evaluation / compiled,
        "≤ 3×",
    ));
    rows.push(Row::new(
        "the same, as a whole `beamtalk eval` process (start, connect, compile, run)",
        ms(repl),
        format!("in a loaded class {}", ms(compiled)),
        repl / compiled,
        "—",
    ));

    // An actor's memory after a million calls of a method with temporaries.
    run(&[
        "eval",
        "-w",
        "langbench",
        "t := BenchTemps spawn. t work: 1",
    ]);
    let pid = bench.call("beamtalk_repl_state", "bindings", vec![]);
    let actor = beamtalk::term::map_get(&pid, "t")
        .expect("binding t")
        .clone();
    let pid = bench.call(
        "beamtalk_dispatch",
        "send",
        vec![actor.clone(), atom("pid"), list(vec![])],
    );
    // After a collection, so the figure is what the actor keeps, not where its heap happens to be
    // between collections.
    let memory = |bench: &Bench| {
        bench.call("erlang", "garbage_collect", vec![pid.clone()]);
        let info = bench.call("erlang", "process_info", vec![pid.clone(), atom("memory")]);
        match info {
            Term::Tuple(t) => as_i64(&t.elements[1]).expect("bytes"),
            other => panic!("{other:?}"),
        }
    };
    let hammer = |n: i64| {
        let class = tuple(vec![atom("$bt_class"), atom("Bench")]);
        bench.call(
            "beamtalk_dispatch",
            "send",
            vec![
                class,
                atom("hammer:times:"),
                list(vec![actor.clone(), int(n)]),
            ],
        );
    };
    hammer(1_000);
    let before = memory(&bench);
    hammer(1_000_000);
    let after = memory(&bench);
    rows.push(Row::new(
        "an actor's memory after 1M calls of a method with temporaries".to_owned(),
        format!("{:.1} KiB", after as f64 / 1024.0),
        format!("after 1k calls {:.1} KiB", before as f64 / 1024.0),
        after as f64 / before as f64,
        "flat (1.0×)",
    ));

    rows.push(nested_compile_row());

    run(&["workspace", "stop", "langbench"]);
    report::publish(
        "language",
        ["work", "Beamtalk", "hand-written Erlang", "ratio", "goal"],
        &rows,
    );
}
