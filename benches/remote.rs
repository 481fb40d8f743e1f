//! RPC over TLS distribution vs plain TCP between two hosts (network namespaces joined by veth), measured
//! in one run: `cargo bench --bench remote` (needs root; says so and exits otherwise).
//!
//! Host `a` runs epmd and two nodes, one plain and one with `-proto_dist inet_tls`; the measuring process
//! re-executes itself inside host `b` and drives both over one connection each: sequential round trips,
//! 100 concurrent callers, and a 10 MB binary round trip.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/load.rs"]
mod load;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use beamtalk::dist::{ConnectOptions, Connection, NodeName};
use common::Home;
use common::netns::Pair;

const T: Duration = Duration::from_secs(30);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") {
        println!("remote: run with `cargo bench --bench remote`");
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--inner") {
        return inner(&args[i + 1..]);
    }
    let Some(mut pair) = Pair::new() else { return };
    let home = Home::new();
    let ip = pair.ip_a();
    let status = Command::new(common::binary())
        .args(["tls", "init", "--san", &ip])
        .env("BEAMTALK_HOME", home.path())
        .stdout(Stdio::null())
        .status()
        .expect("tls init");
    assert!(status.success());
    let conf = home.path().join("tls/ssl_dist.conf");
    pair.start_epmd();
    let plain = pair.start_named_node(&home, "plain", &[]);
    let tls = pair.start_named_node(
        &home,
        "tls",
        &[
            "-proto_dist",
            "inet_tls",
            "-ssl_dist_optfile",
            conf.to_str().expect("utf8"),
        ],
    );
    let out = Pair::exec(
        &pair.b,
        &std::env::current_exe().expect("exe").to_string_lossy(),
    )
    .args(["--bench", "--inner"])
    .arg(home.path())
    .args([&plain, &tls])
    .output()
    .expect("inner run");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
}

struct Figures {
    p50: Duration,
    rate_seq: f64,
    rate_conc: f64,
    big: Duration,
}

/// Inside host `b`: measures both nodes and prints the table.
fn inner(args: &[String]) {
    let [home, plain, tls] = args else {
        panic!("usage: --inner HOME PLAIN_NODE TLS_NODE")
    };
    let home = std::path::Path::new(home);
    let cookie = std::fs::read_to_string(home.join("cookie")).expect("cookie");
    let mut opts = ConnectOptions::new(cookie, "cookie".to_owned(), T);
    opts.epmd_port = 4369;
    // As the `beamtalk` binary runs: one thread, the allocator tuned for large terms.
    beamtalk::memory::keep_freed_memory();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let plain_figures = rt.block_on(measure(plain, &opts));
    let identity = beamtalk::pki::TlsDir::new(home).client_identity();
    opts.tls = Some(identity.client_config().expect("client config"));
    let tls_figures = rt.block_on(measure(tls, &opts));
    println!("| metric (across two network namespaces) | TLS | plain TCP | TLS / plain |");
    println!("|---|---|---|---|");
    let us = |d: Duration| format!("{:.0} µs", d.as_secs_f64() * 1e6);
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1e3);
    println!(
        "| RPC round trip, p50 of 2,000 sequential | {} | {} | {:.2}× |",
        us(tls_figures.p50),
        us(plain_figures.p50),
        tls_figures.p50.as_secs_f64() / plain_figures.p50.as_secs_f64()
    );
    println!(
        "| sequential throughput, 20,000 RPCs | {:.0} calls/s | {:.0} calls/s | {:.2}× |",
        tls_figures.rate_seq,
        plain_figures.rate_seq,
        tls_figures.rate_seq / plain_figures.rate_seq
    );
    println!(
        "| concurrent throughput, 100 callers × 200 RPCs | {:.0} calls/s | {:.0} calls/s | {:.2}× |",
        tls_figures.rate_conc,
        plain_figures.rate_conc,
        tls_figures.rate_conc / plain_figures.rate_conc
    );
    println!(
        "| 10 MB binary round trip, median of 5 | {} | {} | {:.2}× |",
        ms(tls_figures.big),
        ms(plain_figures.big),
        tls_figures.big.as_secs_f64() / plain_figures.big.as_secs_f64()
    );
}

async fn measure(node: &str, opts: &ConnectOptions) -> Figures {
    let peer = NodeName::parse(node).expect("name");
    let conn = Connection::connect(&peer, opts).await.expect("connects");
    let mut times = Vec::with_capacity(2000);
    for _ in 0..2000 {
        let s = Instant::now();
        conn.call("erlang", "node", vec![], T).await.expect("call");
        times.push(s.elapsed());
    }
    times.sort();
    let p50 = times[times.len() / 2];
    let rate_seq = 20_000.0 / load::sequential(&conn, 20_000).await.as_secs_f64();
    let rate_conc = 20_000.0 / load::concurrent(&conn, 100, 200).await.as_secs_f64();
    let big = load::ten_megabytes(&conn, 5).await;
    conn.shutdown(T).await;
    Figures {
        p50,
        rate_seq,
        rate_conc,
        big,
    }
}
