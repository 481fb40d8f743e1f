//! The dist layer in process: multiplexing, liveness, robustness to unexpected messages, and the term codec
//! checked against the node's own `term_to_binary` and `~p`.

mod common;

use std::time::{Duration, Instant};

use beamtalk::dist::{CallError, Connection, NodeName};
use beamtalk::term::{atom, etf, list, parse, print, tuple};
use common::{Epmd, Home, Node, NodeSpec, connect_options};
use eetf::{Binary, FixInteger, Term};

const T: Duration = Duration::from_secs(10);

async fn connect(epmd: &Epmd, home: &Home, node: &Node) -> Connection {
    let peer = NodeName::parse(&node.full).expect("name");
    Connection::connect(&peer, &connect_options(epmd, home))
        .await
        .expect("connects")
}

fn int(v: i32) -> Term {
    Term::from(FixInteger::from(v))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_calls_share_one_connection() {
    let (epmd, home) = (Epmd::start(), Home::new());
    let node = Node::start(&epmd, &home);
    let conn = connect(&epmd, &home, &node).await;
    let tasks: Vec<_> = (0..100)
        .map(|caller| {
            let conn = conn.clone();
            tokio::spawn(async move {
                for i in 0..50 {
                    let n = caller * 1000 + i;
                    let r = conn
                        .call("erlang", "abs", vec![int(-n)], T)
                        .await
                        .expect("call");
                    assert_eq!(r, int(n), "reply matches its request");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task");
    }
}

#[tokio::test]
async fn unexpected_messages_and_monitors_do_not_drop_the_connection() {
    let (epmd, home) = (Epmd::start(), Home::new());
    let node = Node::start(&epmd, &home);
    let conn = connect(&epmd, &home, &node).await;
    let me = Term::from(conn.rpc_pid());
    conn.call("erlang", "send", vec![me.clone(), atom("junk")], T)
        .await
        .expect("send");
    conn.call("erlang", "monitor", vec![atom("process"), me.clone()], T)
        .await
        .expect("monitor");
    conn.call("erlang", "link", vec![me.clone()], T)
        .await
        .expect("link");
    let stray = Term::from(conn.new_pid());
    conn.call("erlang", "send", vec![stray, atom("nobody")], T)
        .await
        .expect("send");
    let r = conn
        .call("erlang", "node", vec![], T)
        .await
        .expect("still connected");
    assert_eq!(r, atom(&node.full));
}

#[tokio::test]
async fn output_without_capture_is_refused_not_hung() {
    let (epmd, home) = (Epmd::start(), Home::new());
    let node = Node::start(&epmd, &home);
    let conn = connect(&epmd, &home, &node).await;
    let r = conn
        .call(
            "io",
            "format",
            vec![parse::parse("\"x~n\"").expect("term"), list(vec![])],
            T,
        )
        .await;
    assert!(matches!(r, Err(CallError::Exception(_))), "{r:?}");
}

#[tokio::test]
async fn killed_peer_fails_pending_calls_at_once() {
    let (epmd, home) = (Epmd::start(), Home::new());
    let node = Node::start(&epmd, &home);
    let conn = connect(&epmd, &home, &node).await;
    let pending = tokio::spawn({
        let conn = conn.clone();
        async move {
            conn.call("timer", "sleep", vec![int(60_000)], Duration::from_secs(60))
                .await
        }
    });
    common::wait_for_sleepers(&conn, 1).await;
    node.signal("-KILL");
    let killed = Instant::now();
    let r = pending.await.expect("task");
    assert!(matches!(r, Err(CallError::NodeDown { .. })), "{r:?}");
    assert!(
        killed.elapsed() < Duration::from_secs(1),
        "took {:?}",
        killed.elapsed()
    );
    let r = conn.call("erlang", "node", vec![], T).await;
    assert!(
        matches!(r, Err(CallError::NodeDown { .. })),
        "later calls fail at once: {r:?}"
    );
}

#[tokio::test]
async fn ticks_keep_an_idle_connection_and_detect_a_frozen_peer() {
    let (epmd, home) = (Epmd::start(), Home::new());
    let mut spec = NodeSpec::new(&epmd, &home);
    spec.extra = vec!["-kernel".into(), "net_ticktime".into(), "2".into()];
    let node = Node::start_with(spec);
    let peer = NodeName::parse(&node.full).expect("name");
    let mut opts = connect_options(&epmd, &home);
    opts.tick_time = Duration::from_secs(2);
    let conn = Connection::connect(&peer, &opts).await.expect("connects");

    // Idle for longer than both tick times: both sides' ticks keep it up.
    tokio::time::sleep(Duration::from_secs(4)).await;
    conn.call("erlang", "node", vec![], T)
        .await
        .expect("survives idleness");

    let pending = tokio::spawn({
        let conn = conn.clone();
        async move {
            conn.call("timer", "sleep", vec![int(60_000)], Duration::from_secs(60))
                .await
        }
    });
    common::wait_for_sleepers(&conn, 1).await;
    node.signal("-STOP");
    let frozen = Instant::now();
    let r = pending.await.expect("task");
    node.signal("-CONT");
    assert!(
        matches!(&r, Err(CallError::NodeDown { reason, .. }) if reason.contains("no tick")),
        "{r:?}"
    );
    assert!(
        frozen.elapsed() < Duration::from_secs(4),
        "took {:?}",
        frozen.elapsed()
    );
}

#[tokio::test]
async fn timed_out_calls_kill_their_remote_process() {
    let (epmd, home) = (Epmd::start(), Home::new());
    let node = Node::start(&epmd, &home);
    let conn = connect(&epmd, &home, &node).await;
    let r = conn
        .call(
            "timer",
            "sleep",
            vec![int(60_000)],
            Duration::from_millis(100),
        )
        .await;
    assert!(matches!(r, Err(CallError::Timeout { .. })), "{r:?}");
    // The timed-out call's process is killed (it would sleep for a minute).
    common::wait_for_sleepers(&conn, 0).await;
}

#[tokio::test]
async fn ten_megabyte_binaries_round_trip() {
    let (epmd, home) = (Epmd::start(), Home::new());
    let node = Node::start(&epmd, &home);
    let conn = connect(&epmd, &home, &node).await;
    let data: Vec<u8> = (0..10 << 20).map(|i: u32| (i % 251) as u8).collect();
    let r = conn
        .call(
            "erlang",
            "iolist_to_binary",
            vec![Term::from(Binary::from(data.clone()))],
            T,
        )
        .await
        .expect("call");
    assert_eq!(r, Term::from(Binary::from(data)));
}

/// Loads a helper module (compiled here with erlc; test-only) that returns `~p` text and `term_to_binary`.
async fn load_helper(conn: &Connection) {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("bt_term_helper.erl");
    std::fs::write(
        &src,
        "-module(bt_term_helper).\n-export([show/1]).\n\
         show(T) -> {unicode:characters_to_binary(io_lib:format(\"~p\", [T])), term_to_binary(T, [{minor_version, 2}])}.\n",
    )
    .expect("write");
    let status = std::process::Command::new("erlc")
        .arg("-o")
        .arg(dir.path())
        .arg(&src)
        .status()
        .expect("erlc");
    assert!(status.success());
    let beam = std::fs::read(dir.path().join("bt_term_helper.beam")).expect("beam");
    let name = parse::parse("\"bt_term_helper.erl\"").expect("term");
    conn.call(
        "code",
        "load_binary",
        vec![atom("bt_term_helper"), name, Term::from(Binary::from(beam))],
        T,
    )
    .await
    .expect("loads");
}

/// A deterministic pseudo-random term generator (xorshift), so failures reproduce.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn term(&mut self, depth: u32) -> Term {
        let leaf = depth == 0 || self.below(3) == 0;
        match if leaf {
            self.below(8)
        } else {
            8 + self.below(5)
        } {
            0 => int(self.next() as i32 >> self.below(31)),
            1 => parse::parse(&format!(
                "{}{}",
                if self.below(2) == 0 { "-" } else { "" },
                self.next() as u128 * self.next() as u128
            ))
            .expect("big"),
            2 => Term::from(eetf::Float {
                value: f64::from_bits(self.next() >> 2)
                    * if self.below(2) == 0 { 1.0 } else { -1.0 },
            })
            .clone_if_finite(),
            3 => atom(
                [
                    "ok",
                    "hello world",
                    "A",
                    "and",
                    "é",
                    "a@b",
                    "",
                    "with'quote",
                ][self.below(8) as usize],
            ),
            4 => parse::string_term(
                (0..self.below(12))
                    .map(|_| [97, 10, 34, 92, 233, 7, 300, 27][self.below(8) as usize])
                    .collect(),
            ),
            5 => Term::from(Binary::from(
                (0..self.below(10))
                    .map(|_| [65, 0, 255, 10, 34][self.below(5) as usize])
                    .collect::<Vec<u8>>(),
            )),
            6 => Term::from(eetf::BitBinary::from((
                vec![0xAB, self.below(256) as u8 & 0x07],
                3,
            ))),
            7 => list(vec![]),
            8 => list((0..self.below(6)).map(|_| self.term(depth - 1)).collect()),
            9 => tuple((0..self.below(5)).map(|_| self.term(depth - 1)).collect()),
            10 => Term::from(eetf::Map::from(
                (0..self.below(4))
                    .map(|_| (self.term(depth - 1), self.term(depth - 1)))
                    .collect::<std::collections::HashMap<_, _>>(),
            )),
            11 => Term::from(eetf::ImproperList::from((
                vec![self.term(depth - 1)],
                atom("tail"),
            ))),
            _ => list(
                (0..self.below(30))
                    .map(|_| int(self.below(300) as i32))
                    .collect(),
            ),
        }
    }
}

trait FiniteFloat {
    fn clone_if_finite(self) -> Term;
}

impl FiniteFloat for Term {
    fn clone_if_finite(self) -> Term {
        match self {
            Term::Float(f) if !f.value.is_finite() => Term::from(eetf::Float { value: 1.5 }),
            t => t,
        }
    }
}

#[tokio::test]
async fn parse_of_tilde_p_encodes_like_term_to_binary() {
    let (epmd, home) = (Epmd::start(), Home::new());
    let node = Node::start(&epmd, &home);
    let conn = connect(&epmd, &home, &node).await;
    load_helper(&conn).await;
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    let mut single_line = 0;
    for i in 0..400 {
        let term = g.term(4);
        let shown = conn
            .call("bt_term_helper", "show", vec![term.clone()], T)
            .await
            .expect("show");
        let Term::Tuple(t) = shown else {
            panic!("helper returned {shown}")
        };
        let [Term::Binary(text), Term::Binary(ext)] = t.elements.as_slice() else {
            panic!("helper shape")
        };
        let text = String::from_utf8(text.bytes.clone()).expect("utf8");
        let ours =
            parse::parse(&text).unwrap_or_else(|e| panic!("#{i}: cannot parse {text:?}: {e}"));
        assert_eq!(
            etf::encode(&ours).expect("encodes"),
            ext.bytes,
            "#{i}: {text}"
        );
        let decoded = etf::decode(&ext.bytes).expect("decodes");
        assert_eq!(
            etf::encode(&decoded).expect("re-encodes"),
            ext.bytes,
            "#{i}: decode of the node's bytes"
        );
        if !text.contains('\n') {
            single_line += 1;
            assert_eq!(print::pretty(&ours), text, "#{i}: flat ~p");
        }
    }
    assert!(
        single_line > 200,
        "enough single-line cases compared: {single_line}"
    );
}

#[tokio::test]
async fn busy_connections_run_calls_through_a_server_with_the_same_results() {
    let (epmd, home) = (Epmd::start(), Home::new());
    let node = Node::start(&epmd, &home);
    let conn = connect(&epmd, &home, &node).await;
    let server = started_server(&conn).await;
    // Results and exceptions through the server are what SPAWN_REQUEST gives, under concurrency.
    let (ret, thrown, exited, failed) = futures::join!(
        conn.call(
            "lists",
            "reverse",
            vec![list(vec![atom("a"), atom("b")])],
            T
        ),
        conn.call("erlang", "throw", vec![atom("ball")], T),
        conn.call("erlang", "exit", vec![atom("bye")], T),
        conn.call("erlang", "binary_to_atom", vec![int(1)], T),
    );
    assert_eq!(ret.expect("return"), list(vec![atom("b"), atom("a")]));
    let class = |r: Result<Term, CallError>| match r {
        Err(CallError::Exception(x)) => {
            (x.class.clone(), x.reason.clone(), list_len(&x.stacktrace))
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(class(thrown).0, "throw");
    assert_eq!(class(exited), ("exit".to_owned(), atom("bye"), 0));
    let (c, r, stack) = class(failed);
    assert_eq!((c.as_str(), r), ("error", atom("badarg")));
    assert!(stack > 0, "the stacktrace comes along");

    // A call that times out has its worker killed.
    let slow = conn.call(
        "timer",
        "sleep",
        vec![int(60_000)],
        Duration::from_millis(100),
    );
    let busy: Vec<_> = (0..8)
        .map(|_| conn.call("erlang", "node", vec![], T))
        .collect();
    let (slow, _) = futures::join!(slow, futures::future::join_all(busy));
    assert!(matches!(slow, Err(CallError::Timeout { .. })), "{slow:?}");
    // The timed-out worker is killed (it would sleep for a minute).
    common::wait_for_sleepers(&conn, 0).await;

    // If the server dies, its calls fail and later calls still work.
    let sleeping: Vec<_> = (0..6)
        .map(|_| conn.call("timer", "sleep", vec![int(60_000)], T))
        .collect();
    let killer = async {
        common::wait_for_sleepers(&conn, 6).await;
        conn.call("erlang", "exit", vec![server.clone(), atom("kill")], T)
            .await
            .expect("kill the server")
    };
    let (results, _) = futures::join!(futures::future::join_all(sleeping), killer);
    for r in results {
        assert!(
            matches!(&r, Err(CallError::Exception(x)) if x.reason.to_string().contains("beamtalk_rpc_server_exited")),
            "{r:?}"
        );
    }
    assert_eq!(
        conn.call("erlang", "abs", vec![int(-5)], T)
            .await
            .expect("call"),
        int(5)
    );

    // The server stops with the connection (it monitors our reply pid; the connection going is its DOWN).
    // This connection fell back to SPAWN_REQUEST when its server was killed: a fresh one starts another.
    let fresh = connect(&epmd, &home, &node).await;
    let server = started_server(&fresh).await;
    fresh.shutdown(T).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while conn
        .call("erlang", "is_process_alive", vec![server.clone()], T)
        .await
        .expect("alive?")
        == atom("true")
    {
        assert!(
            Instant::now() < deadline,
            "the server outlived its connection"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Makes concurrent calls on `conn` (checking every result) until they start the RPC server; its pid.
async fn started_server(conn: &Connection) -> Term {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let calls: Vec<_> = (0..20)
            .map(|i| conn.call("erlang", "abs", vec![int(-i)], T))
            .collect();
        for (i, r) in futures::future::join_all(calls)
            .await
            .into_iter()
            .enumerate()
        {
            assert_eq!(r.expect("call"), int(i as i32));
        }
        if let Some(pid) = server_pid(conn).await {
            return pid;
        }
        assert!(Instant::now() < deadline, "no RPC server started");
    }
}

fn list_len(t: &Term) -> usize {
    beamtalk::term::list_elements(t).map_or(0, |v| v.len())
}

/// The pid of the RPC server on the peer, if one runs.
async fn server_pid(conn: &Connection) -> Option<Term> {
    let pids = conn
        .call("erlang", "processes", vec![], T)
        .await
        .expect("processes");
    for pid in beamtalk::term::list_elements(&pids).expect("a list") {
        let info = conn
            .call(
                "erlang",
                "process_info",
                vec![pid.clone(), atom("initial_call")],
                T,
            )
            .await
            .expect("info");
        if info
            == tuple(vec![
                atom("initial_call"),
                tuple(vec![atom("beamtalk_rpc_server"), atom("start"), int(1)]),
            ])
        {
            return Some(pid.clone());
        }
    }
    None
}

/// The external format of a list nested `depth` deep: decoded on the node, it is a result too deep for
/// our decoder.
fn deeply_nested(depth: usize) -> Term {
    let mut bytes = vec![131];
    (0..depth).for_each(|_| bytes.extend_from_slice(&[108, 0, 0, 0, 1]));
    bytes.push(106);
    bytes.extend(std::iter::repeat_n(106, depth));
    Term::from(Binary::from(bytes))
}

#[tokio::test]
async fn a_result_too_deep_to_decode_fails_its_call_at_once_by_either_path() {
    let (epmd, home) = (Epmd::start(), Home::new());
    let node = Node::start(&epmd, &home);
    let conn = connect(&epmd, &home, &node).await;
    let long = Duration::from_secs(30);
    // A lone call (SPAWN_REQUEST; the result arrives as the monitor's exit reason).
    let start = Instant::now();
    let r = conn
        .call("erlang", "binary_to_term", vec![deeply_nested(3000)], long)
        .await;
    assert!(matches!(r, Err(CallError::Undecodable { .. })), "{r:?}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    // Overlapping calls (through the RPC server; the result arrives as a message to our reply pid).
    started_server(&conn).await;
    let start = Instant::now();
    let deep = conn.call("erlang", "binary_to_term", vec![deeply_nested(3000)], long);
    let fine = conn.call("erlang", "abs", vec![int(-3)], long);
    let (deep, fine) = futures::join!(deep, fine);
    assert!(
        matches!(deep, Err(CallError::Undecodable { .. })),
        "{deep:?}"
    );
    assert_eq!(fine.expect("the other call"), int(3));
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}
