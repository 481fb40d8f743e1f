//! `beamtalk rpc` and `beamtalk nodes` end to end against a private epmd and real OTP nodes.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Epmd, Home, Node, NodeSpec, beamtalk, run};

struct Fixture {
    epmd: Epmd,
    home: Home,
    node: Node,
}

fn fixture() -> Fixture {
    let epmd = Epmd::start();
    let home = Home::new();
    let node = Node::start(&epmd, &home);
    Fixture { epmd, home, node }
}

impl Fixture {
    fn rpc(&self, words: &[&str]) -> (i32, String, String, Duration) {
        let mut cmd = beamtalk(&self.epmd, &self.home);
        cmd.arg("rpc").arg(&self.node.name).args(words);
        run(&mut cmd)
    }
}

#[test]
fn reverse_and_node_name() {
    let f = fixture();
    let (code, out, err, _) = f.rpc(&["lists", "reverse", "[1,2,3]"]);
    assert_eq!((code, out.as_str()), (0, "[3,2,1]\n"), "stderr: {err}");
    let (code, out, _, _) = f.rpc(&["erlang", "node"]);
    assert_eq!((code, out.trim()), (0, f.node.full.as_str()));
    let mut cmd = beamtalk(&f.epmd, &f.home);
    cmd.args(["rpc", &f.node.full, "erlang", "node"]);
    assert_eq!(
        run(&mut cmd).1.trim(),
        f.node.full,
        "full name@host works too"
    );
}

#[test]
fn json_output_is_valid() {
    let f = fixture();
    let mut cmd = beamtalk(&f.epmd, &f.home);
    cmd.args(["--json", "rpc", &f.node.name, "lists", "reverse", "[1,2,3]"]);
    let (code, out, _, _) = run(&mut cmd);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("stdout is one JSON document");
    assert_eq!(v["result"], serde_json::json!([3, 2, 1]));
    assert_eq!(v["text"], "[3,2,1]");

    let mut cmd = beamtalk(&f.epmd, &f.home);
    cmd.args(["--json", "rpc", &f.node.name, "erlang", "error", "badarg"]);
    let (code, out, _, _) = run(&mut cmd);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).expect("errors are JSON too");
    assert_eq!(v["error"]["kind"], "remote");
}

#[test]
fn remote_error_prints_class_and_reason_and_exits_1() {
    let f = fixture();
    let (code, _, err, _) = f.rpc(&["erlang", "error", "badarg"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("error: badarg"), "{err}");
    let (code, _, err, _) = f.rpc(&["erlang", "throw", "{oops, 1}"]);
    assert_eq!(code, 1);
    assert!(err.contains("throw: {oops,1}"), "{err}");
    let (code, _, err, _) = f.rpc(&["no_such_module", "f"]);
    assert_eq!(code, 1);
    assert!(err.contains("undef"), "{err}");
}

#[test]
fn unparsable_argument_is_a_usage_error_pointing_at_the_column() {
    let f = fixture();
    let (code, _, err, _) = f.rpc(&["erlang", "node", "--timeout", "1s"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("options go before NODE"), "{err}");
    let (code, _, err, _) = f.rpc(&["lists", "reverse", "[1, 2"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("argument 1 is not an Erlang term: column 6"),
        "{err}"
    );
    assert!(
        err.contains("  [1, 2\n       ^"),
        "caret under the column: {err}"
    );
    let mut cmd = beamtalk(&f.epmd, &f.home);
    cmd.args(["rpc", "bad name!", "m", "f"]);
    assert_eq!(run(&mut cmd).0, 2);
}

#[test]
fn all_term_kinds_go_through() {
    let f = fixture();
    let (code, out, err, _) = f.rpc(&[
        "erlang",
        "list_to_tuple",
        r#"[42, -7, 100000000000000000000, 3.14, 'quoted atom', "str", <<"bin">>, <<1,2>>, [a|b], {}, #{k => v}, $a, 16#FF]"#,
    ]);
    assert_eq!(code, 0, "{err}");
    let collapsed: String = out.lines().map(str::trim).collect::<Vec<_>>().join("");
    assert_eq!(
        collapsed,
        r#"{42,-7,100000000000000000000,3.14,'quoted atom',"str",<<"bin">>,<<1,2>>,[a|b],{},#{k => v},97,255}"#
    );
}

#[test]
fn output_streams_while_the_call_runs_and_input_comes_from_stdin() {
    let f = fixture();
    // io:format then a 3 s sleep: the line must arrive long before the call ends.
    let script = r#"io:format("first~n"), timer:sleep(3000), io:format("second~n"), done."#;
    let start = Instant::now();
    let mut child = beamtalk(&f.epmd, &f.home)
        .args(["rpc", &f.node.name, "erl_eval", "exprs"])
        .arg(exprs_term(script))
        .arg("[]")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    assert_eq!(lines.next().and_then(Result::ok).as_deref(), Some("first"));
    assert!(
        start.elapsed() < Duration::from_millis(2500),
        "first line took {:?}",
        start.elapsed()
    );
    assert_eq!(lines.next().and_then(Result::ok).as_deref(), Some("second"));
    assert!(
        lines
            .next()
            .and_then(Result::ok)
            .is_some_and(|l| l.contains("done"))
    );
    assert!(child.wait().expect("wait").success());

    let out = common::run_with_input(
        beamtalk(&f.epmd, &f.home).args(["rpc", &f.node.name, "io", "get_line", "\"name? \""]),
        b"Ada\n",
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "name? \"Ada\\n\"\n");
}

/// The abstract form list of an Erlang expression sequence, as `erl_eval:exprs/2` takes it, obtained by asking
/// a local `erl` to parse it (test-only: the product never shells out to erl).
fn exprs_term(script: &str) -> String {
    let code = format!(
        "{{ok,T,_}}=erl_scan:string({script:?}),{{ok,E}}=erl_parse:parse_exprs(T),io:format(\"~w\",[E]),halt()."
    );
    let out = std::process::Command::new("erl")
        .args(["-noshell", "-eval", &code])
        .output()
        .expect("erl");
    String::from_utf8(out.stdout).expect("utf8")
}

#[test]
fn unknown_node_and_missing_epmd_exit_3_with_a_hint() {
    let f = fixture();
    let (code, _, err, elapsed) = f.rpc_other("nosuchnode");
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("not registered"), "{err}");
    assert!(
        err.contains(&f.node.name),
        "lists the registered names: {err}"
    );
    assert!(elapsed < Duration::from_secs(3));

    let home = Home::new();
    let mut cmd = beamtalk(&f.epmd, &home);
    cmd.env("ERL_EPMD_PORT", common::free_port().to_string())
        .args(["rpc", "x", "erlang", "node"]);
    let (code, _, err, _) = run(&mut cmd);
    assert_eq!(code, 3);
    assert!(err.contains("no EPMD answering"), "{err}");
    assert!(err.contains("hint:"), "{err}");
}

impl Fixture {
    fn rpc_other(&self, node: &str) -> (i32, String, String, Duration) {
        let mut cmd = beamtalk(&self.epmd, &self.home);
        cmd.args(["rpc", node, "erlang", "node"]);
        run(&mut cmd)
    }
}

#[test]
fn wrong_cookie_exits_4_quickly_naming_the_cookie_file() {
    let f = fixture();
    let other = Home::new();
    std::fs::write(other.cookie_file(), "SOMETHINGELSE").expect("write");
    let mut cmd = beamtalk(&f.epmd, &f.home);
    cmd.env("BEAMTALK_COOKIE_FILE", other.cookie_file()).args([
        "rpc",
        &f.node.name,
        "erlang",
        "node",
    ]);
    let (code, _, err, elapsed) = run(&mut cmd);
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains(&other.cookie_file().display().to_string()),
        "{err}"
    );
    assert!(
        !err.contains("SOMETHINGELSE"),
        "the cookie itself is never shown"
    );
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
}

#[test]
fn cookie_file_problems_are_refused_with_a_hint() {
    let f = fixture();
    let other = Home::new();
    let mode = |m| std::os::unix::fs::PermissionsExt::from_mode(m);
    std::fs::set_permissions(other.cookie_file(), mode(0o644)).expect("chmod");
    let mut cmd = beamtalk(&f.epmd, &f.home);
    cmd.env("BEAMTALK_COOKIE_FILE", other.cookie_file()).args([
        "rpc",
        &f.node.name,
        "erlang",
        "node",
    ]);
    let (code, _, err, _) = run(&mut cmd);
    assert_eq!(code, 4);
    assert!(err.contains("chmod 600"), "{err}");
    std::fs::set_permissions(other.cookie_file(), mode(0o600)).expect("chmod");
    std::fs::write(other.cookie_file(), "").expect("truncate");
    let (code, _, err, _) = run(&mut cmd);
    assert_eq!(code, 4);
    assert!(err.contains("is empty"), "{err}");
}

#[test]
fn default_cookie_is_created_private() {
    let epmd = Epmd::start();
    let home = tempfile::tempdir().expect("tempdir");
    let mut cmd = beamtalk(&epmd, &Home::new());
    cmd.env("BEAMTALK_HOME", home.path())
        .env_remove("BEAMTALK_COOKIE_FILE")
        .args(["rpc", "-w", "nosuch", "erlang", "node"]);
    let (code, _, _, _) = run(&mut cmd);
    assert_eq!(code, 3);
    let meta = std::fs::metadata(home.path().join("cookie")).expect("cookie created");
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777,
        0o600
    );
    assert!(
        std::fs::read_to_string(home.path().join("cookie"))
            .expect("read")
            .len()
            >= 32
    );
}

#[test]
fn timeout_against_a_slow_call_exits_5() {
    let f = fixture();
    let mut cmd = beamtalk(&f.epmd, &f.home);
    cmd.args([
        "--timeout",
        "200ms",
        "rpc",
        &f.node.name,
        "timer",
        "sleep",
        "5000",
    ]);
    let (code, _, err, elapsed) = run(&mut cmd);
    assert_eq!(code, 5, "{err}");
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
}

#[test]
fn node_killed_during_a_long_call_fails_at_once() {
    let f = fixture();
    let child = beamtalk(&f.epmd, &f.home)
        .args(["rpc", &f.node.name, "timer", "sleep", "60000"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // The kill lands while the call sleeps on the node.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let peer = beamtalk::dist::NodeName::parse(&f.node.full).expect("name");
        let conn =
            beamtalk::dist::Connection::connect(&peer, &common::connect_options(&f.epmd, &f.home))
                .await
                .expect("connects");
        common::wait_for_sleepers(&conn, 1).await;
    });
    f.node.signal("-KILL");
    common::exits_unreachable_promptly(child, Instant::now());
}

#[test]
fn frozen_node_fails_by_the_timeout() {
    let f = fixture();
    f.node.signal("-STOP");
    let mut cmd = beamtalk(&f.epmd, &f.home);
    cmd.args(["--timeout", "1s", "rpc", &f.node.name, "erlang", "node"]);
    let (code, _, err, elapsed) = run(&mut cmd);
    assert_eq!(code, 5, "{err}");
    assert!(elapsed < Duration::from_secs(4), "took {elapsed:?}");
    f.node.signal("-CONT");
}

#[test]
fn long_names_work() {
    let epmd = Epmd::start();
    let home = Home::new();
    let mut spec = NodeSpec::new(&epmd, &home);
    spec.long_name = true;
    let node = Node::start_with(spec);
    let mut cmd = beamtalk(&epmd, &home);
    cmd.args(["rpc", &node.full, "erlang", "node"]);
    let (code, out, err, _) = run(&mut cmd);
    // `~p` quotes an atom with dots in it, as Erlang does.
    assert_eq!(
        (code, out.trim()),
        (0, format!("'{}'", node.full).as_str()),
        "{err}"
    );
}

#[test]
fn the_cli_is_hidden_and_its_cookie_is_not_on_argv() {
    let f = fixture();
    let (code, out, _, _) = f.rpc(&["erlang", "nodes"]);
    assert_eq!(
        (code, out.trim()),
        (0, "[]"),
        "a hidden node is not in nodes()"
    );
    let (_, out, _, _) = f.rpc(&["erlang", "nodes", "hidden"]);
    assert!(out.contains("beamtalk_cli_"), "{out}");
}

#[test]
fn nodes_lists_registered_names() {
    let f = fixture();
    let mut cmd = beamtalk(&f.epmd, &f.home);
    cmd.arg("nodes");
    let (code, out, _, _) = run(&mut cmd);
    assert_eq!(code, 0);
    assert!(
        out.lines()
            .any(|l| l.starts_with(&format!("{}\t", f.node.name))),
        "{out}"
    );
    let mut cmd = beamtalk(&f.epmd, &f.home);
    cmd.args(["--json", "nodes"]);
    let v: serde_json::Value = serde_json::from_str(&run(&mut cmd).1).expect("json");
    assert!(
        v["nodes"]
            .as_array()
            .is_some_and(|a| a.iter().any(|n| n["name"] == f.node.name.as_str()))
    );
}

/// `beamtalk rpc NODE` with no `--cookie-file`: `~/.erlang.cookie`, as `erl` and `erl_call` use, and
/// not the beamtalk home's own cookie (which here differs).
#[test]
fn a_node_named_directly_is_called_with_the_users_erlang_cookie() {
    let f = fixture();
    let other_home = Home::new(); // a beamtalk home whose cookie the node does not know
    let direct = |user_home: &std::path::Path| {
        let mut cmd = beamtalk(&f.epmd, &other_home);
        cmd.env_remove("BEAMTALK_COOKIE_FILE")
            .env("HOME", user_home)
            .args(["rpc", &f.node.name, "erlang", "node"]);
        run(&mut cmd)
    };
    let (code, out, err, _) = direct(f.home.path());
    assert_eq!((code, out.trim()), (0, f.node.full.as_str()), "{err}");

    let empty = tempfile::tempdir().expect("tempdir");
    let (code, _, err, _) = direct(empty.path());
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains(".erlang.cookie does not exist") && err.contains("--cookie-file"),
        "{err}"
    );
}

#[test]
fn eval_runs_erlang_expressions_with_output_and_bindings() {
    let f = fixture();
    let (code, out, err, _) = f.rpc(&["--eval", "X = 6, io:format(\"hi~n\"), X * 7."]);
    assert_eq!((code, out.as_str()), (0, "hi\n42\n"), "{err}");
    let mut cmd = beamtalk(&f.epmd, &f.home);
    cmd.args([
        "--json",
        "rpc",
        &f.node.name,
        "--eval",
        "L = [1,2], lists:sum(L)",
    ]);
    let (code, out, err, _) = run(&mut cmd);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["result"], 3);
    assert_eq!(doc["bindings"]["L"], serde_json::json!([1, 2]));
    let (code, _, err, _) = f.rpc(&["--eval", "X = = 1."]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("do not parse") && err.contains("hint:"),
        "{err}"
    );
    let (code, _, err, _) = f.rpc(&["--eval", "1 / 0."]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("badarith"), "{err}");
    // A binding nested deeper than an answer may be is not sent back: the value still is.
    let deep = "T = lists:foldl(fun(X, A) -> {X, A} end, nil, lists:seq(1, 600)), tuple_size(T).";
    let (code, out, err, _) = f.rpc(&["--eval", deep]);
    assert_eq!((code, out.as_str()), (0, "2\n"), "{err}");
}

#[test]
fn one_call_to_several_nodes_prints_a_line_each_and_exits_with_the_worst() {
    let f = fixture();
    let second = Node::start(&f.epmd, &f.home);
    let both = format!("{},{}", f.node.name, second.name);
    let (code, out, err, _) = f_rpc_nodes(&f, &[&both, "erlang", "node"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        format!(
            "{}: {}\n{}: {}\n",
            f.node.full, f.node.full, second.full, second.full
        )
    );
    // `--node` repeated, one of them absent: its line says why and the exit code is unreachable's.
    let mut cmd = beamtalk(&f.epmd, &f.home);
    cmd.args([
        "--json",
        "rpc",
        "--node",
        &f.node.name,
        "--node",
        "nobody_here",
        "erlang",
        "node",
    ]);
    let (code, out, err, _) = run(&mut cmd);
    assert_eq!(code, 3, "{out}{err}");
    let docs: serde_json::Value = serde_json::from_str(&out).expect("one JSON array");
    assert_eq!(docs[0]["result"], f.node.full.as_str());
    assert_eq!(docs[1]["error"]["kind"], "unreachable", "{docs}");
}

fn f_rpc_nodes(f: &Fixture, words: &[&str]) -> (i32, String, String, Duration) {
    let mut cmd = beamtalk(&f.epmd, &f.home);
    cmd.arg("rpc").args(words);
    run(&mut cmd)
}
