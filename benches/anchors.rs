//! Benchmarks against the anchors, measured in one run on one machine and reported as ratios.
//!
//! `cargo bench --bench anchors` starts a private epmd and a node, then measures:
//! - a cold whole-process `beamtalk rpc NODE erlang node` beside `erl_call -a 'erlang node []'` and
//!   `erl -hidden -eval 'rpc:call(...)'` (medians);
//! - sequential and concurrent calls per second on one connection beside an `erpc:call` loop run from a
//!   hidden Erlang node;
//! - a 10 MB binary round trip beside the same from Erlang;
//! - `beamtalk workspace create` until ready beside a bare `erl -detached` until EPMD lists it.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/load.rs"]
mod load;
#[path = "support/report.rs"]
mod report;

use std::process::Command;
use std::time::{Duration, Instant};

use beamtalk::dist::io_server::Terminal;
use beamtalk::dist::{Connection, NodeName};
use beamtalk::repl::{Outcome, Session};
use beamtalk::workspace::Workspaces;
use common::{Epmd, Home, Node, WorkspaceHome, beamtalk, connect_options};

const T: Duration = Duration::from_secs(30);

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time_runs(runs: usize, mut f: impl FnMut()) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let s = Instant::now();
                f();
                s.elapsed()
            })
            .collect(),
    )
}

/// Medians of `a` and `b` run alternately `runs` times each (after a few unmeasured runs of both), so
/// that the machine's slow and fast moments fall on both alike.
fn time_alternately(
    runs: usize,
    mut a: impl FnMut(),
    mut b: impl FnMut(),
) -> (Vec<Duration>, Vec<Duration>) {
    for _ in 0..5 {
        a();
        b();
    }
    let (mut ta, mut tb) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    for _ in 0..runs {
        let s = Instant::now();
        a();
        ta.push(s.elapsed());
        let s = Instant::now();
        b();
        tb.push(s.elapsed());
    }
    (ta, tb)
}

/// Milliseconds, for the report's samples.
fn ms(v: &[Duration]) -> Vec<f64> {
    v.iter().map(|d| d.as_secs_f64() * 1e3).collect()
}

fn must(cmd: &mut Command) {
    let out = cmd.output().expect("runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs Erlang code on a fresh hidden node and returns what it prints (a number of microseconds).
fn erlang_micros(epmd: &Epmd, home: &Home, code: &str) -> f64 {
    let out = Command::new("erl")
        .args([
            "-hidden",
            "-sname",
            &common::unique("anchor"),
            "-noshell",
            "-noinput",
            "-eval",
            code,
        ])
        .env("HOME", home.path())
        .env("ERL_EPMD_PORT", epmd.port.to_string())
        .output()
        .expect("erl");
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("anchor printed {text:?}"))
}

use report::Row;

fn main() {
    // `cargo test --all-targets` runs this binary too (without `--bench`): it only needs to build there.
    if !std::env::args().any(|a| a == "--bench") {
        println!("anchors: run with `cargo bench --bench anchors`");
        return;
    }
    let epmd = Epmd::start();
    let home = Home::new();
    let node = Node::start(&epmd, &home);
    let target = node.full.clone();
    let mut rows = Vec::new();

    // Cold whole-process calls, each anchor run alternately with ours.
    let runs = 201;
    let cold = || must(beamtalk(&epmd, &home).args(["rpc", &node.name, "erlang", "node"]));
    let (ours_s, erl_call_s) = time_alternately(runs, cold, || {
        must(
            Command::new("erl_call")
                .args(["-sname", &node.name, "-a", "erlang node []"])
                .env("HOME", home.path())
                .env("ERL_EPMD_PORT", epmd.port.to_string()),
        )
    });
    let (ours, erl_call) = (median(ours_s.clone()), median(erl_call_s.clone()));
    rows.push(
        Row::new(
            format!(
                "cold `beamtalk rpc NODE erlang node`, whole process (median of {runs}, run alternately)"
            ),
            format!("{:.1} ms", ours.as_secs_f64() * 1e3),
            format!("erl_call {:.1} ms", erl_call.as_secs_f64() * 1e3),
            ours.as_secs_f64() / erl_call.as_secs_f64(),
            "≤ 1.0× erl_call",
        )
        .with_samples(ms(&ours_s), ms(&erl_call_s), "ms"),
    );
    let hidden_runs = 21;
    let (ours_h, erl_hidden_s) = time_alternately(hidden_runs, cold, || {
        let code = format!("rpc:call('{target}', erlang, node, []), halt().");
        must(
            Command::new("erl")
                .args([
                    "-hidden",
                    "-sname",
                    &common::unique("cold"),
                    "-noshell",
                    "-noinput",
                    "-eval",
                    &code,
                ])
                .env("HOME", home.path())
                .env("ERL_EPMD_PORT", epmd.port.to_string()),
        )
    });
    let (ours_hm, erl_hidden) = (median(ours_h.clone()), median(erl_hidden_s.clone()));
    rows.push(
        Row::new(
            format!("cold call vs `erl -hidden -eval 'rpc:call(...)'` (median of {hidden_runs}, run alternately)"),
            format!("{:.1} ms", ours_hm.as_secs_f64() * 1e3),
            format!("erl {:.1} ms", erl_hidden.as_secs_f64() * 1e3),
            ours_hm.as_secs_f64() / erl_hidden.as_secs_f64(),
            "—",
        )
        .with_samples(ms(&ours_h), ms(&erl_hidden_s), "ms"),
    );

    // As the `beamtalk` binary runs: one thread, the allocator tuned for large terms.
    beamtalk::memory::keep_freed_memory();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let conn = rt.block_on(async {
        let peer = NodeName::parse(&target).expect("name");
        Connection::connect(&peer, &connect_options(&epmd, &home))
            .await
            .expect("connects")
    });

    // Sequential calls on one connection.
    let n_seq = 20_000;
    let ours_seq = rt.block_on(load::sequential(&conn, n_seq));
    let anchor_seq = erlang_micros(
        &epmd,
        &home,
        &format!(
            "T='{target}', erpc:call(T, erlang, node, []), S=erlang:monotonic_time(microsecond), \
             [erpc:call(T, erlang, node, []) || _ <- lists:seq(1, {n_seq})], \
             io:format(\"~p\", [erlang:monotonic_time(microsecond) - S]), halt()."
        ),
    );
    let ours_rate = n_seq as f64 / ours_seq.as_secs_f64();
    let anchor_rate = n_seq as f64 / (anchor_seq / 1e6);
    rows.push(Row::new(
        format!("{n_seq} sequential RPCs on one connection"),
        format!("{ours_rate:.0} calls/s"),
        format!("erpc {anchor_rate:.0} calls/s"),
        ours_rate / anchor_rate,
        "≥ 1.5× erpc",
    ));

    // Concurrent callers on one connection.
    let (callers, per) = (100, 200);
    let ours_conc = rt.block_on(load::concurrent(&conn, callers, per));
    let anchor_conc = erlang_micros(
        &epmd,
        &home,
        &format!(
            "T='{target}', erpc:call(T, erlang, node, []), Me=self(), S=erlang:monotonic_time(microsecond), \
             Ps=[spawn(fun() -> [erpc:call(T, erlang, node, []) || _ <- lists:seq(1, {per})], Me ! done end) \
                 || _ <- lists:seq(1, {callers})], \
             [receive done -> ok end || _ <- Ps], \
             io:format(\"~p\", [erlang:monotonic_time(microsecond) - S]), halt()."
        ),
    );
    // The same load sent, like ours, to a resident server on the node: `rex`, the registered
    // gen_server behind `rpc`, called directly from a hidden Erlang node.
    let anchor_resident = erlang_micros(
        &epmd,
        &home,
        &format!(
            "T='{target}', Call=fun() -> gen_server:call({{rex, T}}, {{call, erlang, node, [], group_leader()}}) end, \
             Call(), Me=self(), S=erlang:monotonic_time(microsecond), \
             Ps=[spawn(fun() -> [Call() || _ <- lists:seq(1, {per})], Me ! done end) \
                 || _ <- lists:seq(1, {callers})], \
             [receive done -> ok end || _ <- Ps], \
             io:format(\"~p\", [erlang:monotonic_time(microsecond) - S]), halt()."
        ),
    );
    let total = (callers * per) as f64;
    let resident_rate = total / (anchor_resident / 1e6);
    let (ours_rate, anchor_rate) = (total / ours_conc.as_secs_f64(), total / (anchor_conc / 1e6));
    rows.push(Row::new(
        format!("{callers} concurrent callers × {per} RPCs on one connection"),
        format!("{ours_rate:.0} calls/s"),
        format!("erpc {anchor_rate:.0} calls/s"),
        ours_rate / anchor_rate,
        "≥ 1.0×",
    ));
    rows.push(Row::new(
        "the same, beside calls to a resident server on the node (`rex`, a registered gen_server)",
        format!("{ours_rate:.0} calls/s"),
        format!("`gen_server:call` {resident_rate:.0} calls/s"),
        ours_rate / resident_rate,
        "—",
    ));

    // 10 MB binary argument round trip.
    let ours_big = rt.block_on(load::ten_megabytes(&conn, 5));
    let anchor_big = erlang_micros(
        &epmd,
        &home,
        &format!(
            "T='{target}', B=binary:copy(<<7>>, 10485760), \
             Ts=[begin S=erlang:monotonic_time(microsecond), erpc:call(T, erlang, iolist_to_binary, [B]), \
                 erlang:monotonic_time(microsecond) - S end || _ <- lists:seq(1,5)], \
             io:format(\"~p\", [lists:nth(3, lists:sort(Ts))]), halt()."
        ),
    );
    rows.push(Row::new(
        "10 MB binary argument round trip (median of 5)".to_owned(),
        format!("{:.1} ms", ours_big.as_secs_f64() * 1e3),
        format!("erpc {:.1} ms", anchor_big / 1e3),
        (anchor_big / 1e6) / ours_big.as_secs_f64(),
        "≥ 0.8× (speed)",
    ));

    rows.push(workspace_create(&epmd, &home));
    rows.extend(eval_round_trips(&epmd, &rt));
    rows.push(repl_reconnect(&epmd));
    rows.push(hot_reload(&epmd));
    rows.extend(fifty_workspaces(&epmd));

    report::publish(
        "anchors",
        ["metric", "ours", "anchor", "ratio", "goal"],
        &rows,
    );
}

/// `workspace create` until ready vs a bare detached node until EPMD lists it: medians of
/// [`CREATE_RUNS`] each, run alternately (each stopped, untimed, before the next).
fn workspace_create(epmd: &Epmd, home: &Home) -> Row {
    let ws = WorkspaceHome::new();
    let timed = |start: &mut dyn FnMut(), stop: &mut dyn FnMut()| {
        let s = Instant::now();
        start();
        let took = s.elapsed();
        stop();
        took
    };
    let env = |c: &mut Command| {
        c.env("HOME", home.path())
            .env("ERL_EPMD_PORT", epmd.port.to_string());
    };
    let name = common::unique("bare");
    let mut start_bare = || {
        let mut erl = Command::new("erl");
        erl.args(["-sname", &name, "-noshell", "-detached"]);
        env(&mut erl);
        must(&mut erl);
        while !epmd.names().contains(&name) {
            std::thread::sleep(Duration::from_millis(1));
        }
    };
    let mut stop_bare = || {
        let mut stop = Command::new("erl_call");
        stop.args(["-sname", &name, "-a", "init stop []"]);
        env(&mut stop);
        let _ = stop.output();
        while epmd.names().contains(&name) {
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    let mut start_ours = || must(beamtalk(epmd, &ws.home).args(["workspace", "create", "bench"]));
    let mut stop_ours = || must(beamtalk(epmd, &ws.home).args(["workspace", "stop", "bench"]));
    let (mut ours, mut bare) = (Vec::new(), Vec::new());
    for _ in 0..CREATE_RUNS {
        ours.push(timed(&mut start_ours, &mut stop_ours));
        bare.push(timed(&mut start_bare, &mut stop_bare));
    }
    let samples = (ms(&ours), ms(&bare));
    let (ours, bare) = (median(ours), median(bare));
    Row::new(
        format!("`workspace create` until ready (median of {CREATE_RUNS}, run alternately)"),
        format!("{:.0} ms", ours.as_secs_f64() * 1e3),
        format!(
            "bare `erl -detached` until EPMD lists it {:.0} ms",
            bare.as_secs_f64() * 1e3
        ),
        ours.as_secs_f64() / bare.as_secs_f64(),
        "≤ 1.5×",
    )
    .with_samples(samples.0, samples.1, "ms")
}

const CREATE_RUNS: usize = 11;

/// `3 + 4` through `beamtalk eval` (whole process), and p50/p99 of 1,000 evals on one connection.
fn eval_round_trips(epmd: &Epmd, rt: &tokio::runtime::Runtime) -> Vec<Row> {
    let ws = WorkspaceHome::new();
    must(beamtalk(epmd, &ws.home).args(["workspace", "create", "evalbench"]));
    let whole = time_runs(21, || {
        must(beamtalk(epmd, &ws.home).args(["eval", "-w", "evalbench", "3 + 4"]))
    });
    let samples = rt.block_on(async {
        let cookie = beamtalk::home::load_cookie(ws.home.path(), Some(&ws.home.cookie_file()))
            .expect("cookie");
        let workspaces = Workspaces::new(ws.home.path(), cookie, T).expect("registry");
        let entry = workspaces.entry("evalbench").expect("entry");
        let mut opts = connect_options(epmd, &ws.home);
        opts.connect_timeout = T;
        let node = NodeName::parse(&entry.node).expect("node");
        let conn = Connection::connect(&node, &opts).await.expect("connects");
        let terminal = Terminal {
            output: Box::new(std::io::sink()),
            input: Box::new(std::io::empty()),
        };
        let session = Session::new(conn, terminal, T);
        let mut v = Vec::with_capacity(1000);
        for _ in 0..1000 {
            let s = Instant::now();
            let out = session.eval("3 + 4").await.expect("evaluates");
            v.push(s.elapsed());
            assert_eq!(out, Outcome::Value("7".to_owned()));
        }
        v.sort();
        v
    });
    let (p50, p99) = (
        samples[samples.len() / 2],
        samples[samples.len() * 99 / 100],
    );
    must(beamtalk(epmd, &ws.home).args(["workspace", "stop", "evalbench"]));
    vec![
        Row::new(
            "`beamtalk eval '3 + 4'`, whole process, live workspace (median of 21)".to_owned(),
            format!("{:.1} ms", whole.as_secs_f64() * 1e3),
            "—".to_owned(),
            f64::NAN,
            "—",
        ),
        Row::new(
            "eval round trip `3 + 4` on one connection, p50 / p99 of 1,000".to_owned(),
            format!(
                "{:.0} µs / {:.0} µs",
                p50.as_secs_f64() * 1e6,
                p99.as_secs_f64() * 1e6
            ),
            "—".to_owned(),
            f64::NAN,
            "p50 < 1 ms",
        ),
    ]
}

/// `beamtalk repl` on a live workspace: process start until the first prompt appears on a terminal.
fn repl_reconnect(epmd: &Epmd) -> Row {
    let ws = WorkspaceHome::new();
    must(beamtalk(epmd, &ws.home).args(["workspace", "create", "replbench"]));
    let to_prompt = || {
        use expectrl::Expect;
        let mut cmd = beamtalk(epmd, &ws.home);
        cmd.args(["repl", "-w", "replbench"])
            .env("NO_COLOR", "1")
            .env("TERM", "xterm");
        let s = Instant::now();
        let mut p = expectrl::Session::spawn(cmd).expect("pty");
        p.expect("> ").expect("prompt");
        let elapsed = s.elapsed();
        p.send(expectrl::ControlCode::EndOfTransmission)
            .expect("ctrl-d");
        let _ = p.get_process_mut().wait();
        elapsed
    };
    to_prompt();
    let first_prompt = median((0..20).map(|_| to_prompt()).collect());
    must(beamtalk(epmd, &ws.home).args(["workspace", "stop", "replbench"]));
    Row::new(
        "`beamtalk repl` reconnect: start until first prompt, live workspace (median of 20)",
        format!("{:.1} ms", first_prompt.as_secs_f64() * 1e3),
        "the design's goal 100 ms",
        first_prompt.as_secs_f64() / 0.1,
        "< 20 ms",
    )
}

/// `beamtalk load` of a new version of a class with 1,000 live actors (whole process, median of 5).
fn hot_reload(epmd: &Epmd) -> Row {
    let ws = WorkspaceHome::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let versions = [
        "Actor subclass: Counter\n  state: count = 0\n  increment => self.count := self.count + 1\n",
        "Actor subclass: Counter\n  state: count = 0\n  state: step = 10\n  increment => self.count := self.count + self.step\n",
    ];
    let file = dir.path().join("counter.bt");
    let load = |v: &str| {
        std::fs::write(&file, v).expect("write");
        must(beamtalk(epmd, &ws.home).args([
            "load",
            "-w",
            "reloadbench",
            file.to_str().expect("utf8"),
        ]));
    };
    must(beamtalk(epmd, &ws.home).args(["workspace", "create", "reloadbench"]));
    load(versions[0]);
    must(beamtalk(epmd, &ws.home).args([
        "eval",
        "-w",
        "reloadbench",
        "cs := (1 to: 1000) collect: [:i | Counter spawn]. cs size",
    ]));
    let mut next = 1;
    let took = time_runs(5, || {
        load(versions[next]);
        next = 1 - next;
    });
    must(beamtalk(epmd, &ws.home).args(["workspace", "stop", "reloadbench"]));
    Row::new(
        "hot reload of a class with 1,000 live actors, `beamtalk load` whole process (median of 5)"
            .to_owned(),
        format!("{:.0} ms", took.as_secs_f64() * 1e3),
        "—".to_owned(),
        f64::NAN,
        "< 250 ms",
    )
}

/// 50 live workspaces: `workspace list` (median of 5) and the resident memory of an idle node.
fn fifty_workspaces(epmd: &Epmd) -> Vec<Row> {
    let ws = WorkspaceHome::new();
    std::thread::scope(|scope| {
        for batch in 0..5 {
            let ws = &ws;
            scope.spawn(move || {
                for i in 0..10 {
                    must(beamtalk(epmd, &ws.home).args([
                        "workspace",
                        "create",
                        &format!("many{}", batch * 10 + i),
                    ]));
                }
            });
        }
    });
    let list = time_runs(5, || {
        must(beamtalk(epmd, &ws.home).args(["workspace", "list"]))
    });
    std::thread::sleep(Duration::from_secs(2));
    let rss_kib: Vec<u64> = ws
        .node_pids()
        .iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/status")).ok())
        .filter_map(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .collect();
    let mut sorted = rss_kib.clone();
    sorted.sort_unstable();
    let median_mib = sorted.get(sorted.len() / 2).copied().unwrap_or(0) as f64 / 1024.0;
    must(beamtalk(epmd, &ws.home).args(["workspace", "stop", "--all"]));
    vec![
        Row::new(
            format!(
                "50 live workspaces: `workspace list` (median of 5; {} nodes)",
                rss_kib.len()
            ),
            format!("{:.0} ms", list.as_secs_f64() * 1e3),
            "—".to_owned(),
            f64::NAN,
            "< 100 ms",
        ),
        Row::new(
            "idle workspace node resident memory (median of the 50)".to_owned(),
            format!("{median_mib:.1} MiB"),
            "—".to_owned(),
            f64::NAN,
            "< 40 MiB",
        ),
    ]
}
