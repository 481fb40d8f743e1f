//! Across hosts without docker: two Linux network namespaces joined by a veth pair, epmd and a node in one,
//! the CLI in the other. Needs root (skipped with a message otherwise; under CI=true a failure); traffic stays inside the pair.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::netns::Pair;
use common::{Home, WorkspaceHome, run};

#[test]
fn rpc_reaches_a_node_on_another_host() {
    let Some(mut pair) = Pair::new() else { return };
    let home = Home::new();
    let node = pair.start_node(&home);
    let (code, out, err, _) = run(&mut pair.beamtalk(&home, &["rpc", &node, "erlang", "node"]));
    assert_eq!(
        (code, out.trim()),
        (0, format!("'{node}'").as_str()),
        "{err}"
    );
    let (code, out, _, _) =
        run(&mut pair.beamtalk(&home, &["rpc", &node, "lists", "reverse", "[1,2,3]"]));
    assert_eq!((code, out.trim()), (0, "[3,2,1]"));
    let (code, out, _, _) = run(&mut pair.beamtalk(&home, &["nodes", "--host", &pair.ip_a()]));
    assert_eq!(code, 0);
    assert!(out.starts_with("remote\t"), "{out}");
}

#[test]
fn a_blocked_distribution_port_is_a_timeout_that_says_so() {
    let Some(mut pair) = Pair::new() else { return };
    let home = Home::new();
    let node = pair.start_node(&home);
    let names = pair.names();
    let port = names
        .lines()
        .find_map(|l| l.strip_prefix("name remote at port "))
        .expect("remote's port")
        .trim()
        .to_owned();
    let blocked = Pair::exec(&pair.a, "iptables")
        .args(["-A", "INPUT", "-p", "tcp", "--dport", &port, "-j", "DROP"])
        .status();
    if !blocked.is_ok_and(|s| s.success()) {
        common::cannot_run("iptables is not available (scripts/setup.sh installs it)");
        return;
    }
    let (code, _, err, took) =
        run(&mut pair.beamtalk(&home, &["--timeout", "1s", "rpc", &node, "erlang", "node"]));
    assert_eq!(code, 5, "{err}");
    assert!(
        err.contains(&format!("port {}:{port}", pair.ip_a())) && err.contains("firewall"),
        "{err}"
    );
    assert!(took < Duration::from_secs(4), "took {took:?}");
}

#[test]
fn remote_failures_are_told_apart() {
    let Some(mut pair) = Pair::new() else { return };
    let home = Home::new();
    let node = pair.start_node(&home);

    let wrong = Home::new();
    std::fs::write(wrong.cookie_file(), "NOT_THE_COOKIE").expect("write");
    let mut cmd = pair.beamtalk(&home, &["rpc", &node, "erlang", "node"]);
    cmd.env("BEAMTALK_COOKIE_FILE", wrong.cookie_file());
    let (code, _, err, _) = run(&mut cmd);
    assert_eq!(code, 4, "cookie mismatch: {err}");

    let absent = format!("ghost@10.201.{}.9", pair.subnet);
    let (code, _, err, took) = run(&mut pair.beamtalk(
        &home,
        &["--timeout", "1s", "rpc", &absent, "erlang", "node"],
    ));
    assert!(code == 3 || code == 5, "unreachable host: {code} {err}");
    assert!(took < Duration::from_secs(4), "took {took:?}");

    let (code, _, err, _) = run(&mut pair.beamtalk(
        &home,
        &["rpc", &format!("nobody@{}", pair.ip_a()), "erlang", "node"],
    ));
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("registered: remote"), "{err}");

    // EPMD gone on the remote host.
    if let Some(epmd) = pair.children.first_mut() {
        let _ = epmd.kill();
        let _ = epmd.wait();
    }
    let _ = Pair::exec(&pair.a, "epmd").arg("-kill").output();
    let (code, _, err, _) = run(&mut pair.beamtalk(&home, &["rpc", &node, "erlang", "node"]));
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("no EPMD answering") && err.contains(":4369"),
        "{err}"
    );
}

const COUNTER_V1: &str = "Actor subclass: Counter\n  state: count = 0\n  increment => self.count := self.count + 1\n  count => self.count\n";
const COUNTER_V2: &str = "Actor subclass: Counter\n  state: count = 0\n  state: step = 10\n  increment => self.count := self.count + self.step\n  count => self.count\n";

/// Runs `beamtalk ARGS` in namespace `b`; asserts success and returns stdout.
fn ok(pair: &Pair, home: &Home, args: &[&str]) -> String {
    let (code, out, err, _) = run(&mut pair.beamtalk(home, args));
    assert_eq!(code, 0, "beamtalk {args:?}: {out}{err}");
    out
}

/// Eval, a scripted REPL and a hot reload with state migration, all on remote workspace `name`.
fn remote_session_works(pair: &Pair, home: &Home, name: &str) {
    assert_eq!(
        ok(pair, home, &["eval", "-w", name, "x := 6 * 7"]).trim(),
        "42"
    );
    let out = common::run_with_input(&mut pair.beamtalk(home, &["repl", "-w", name]), b"x + 1\n");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("43"), "repl: {text}");

    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("counter.bt");
    let file = file.to_str().expect("utf8");
    std::fs::write(file, COUNTER_V1).expect("write");
    ok(pair, home, &["load", "-w", name, file]);
    ok(
        pair,
        home,
        &[
            "eval",
            "-w",
            name,
            "c := Counter spawn. c increment. c increment",
        ],
    );
    std::fs::write(file, COUNTER_V2).expect("write");
    ok(pair, home, &["load", "-w", name, file]);
    assert_eq!(ok(pair, home, &["eval", "-w", name, "c count"]).trim(), "2");
    assert_eq!(
        ok(pair, home, &["eval", "-w", name, "c increment"]).trim(),
        "12"
    );
    let list = ok(pair, home, &["workspace", "list"]);
    assert!(
        list.lines()
            .any(|l| l.starts_with(name) && l.contains("running")),
        "{list}"
    );
}

#[test]
fn a_remote_workspace_over_tls_evaluates_and_hot_loads_and_refuses_other_clients() {
    let Some(mut pair) = Pair::new() else { return };
    let ws = WorkspaceHome::new();
    let home = &ws.home;
    pair.start_epmd();
    let ip = pair.ip_a();
    ok(&pair, home, &["tls", "init", "--san", &ip]);
    let launcher = pair.launcher();
    let out = ok(
        &pair,
        home,
        &[
            "workspace",
            "create",
            "far",
            "--host",
            &ip,
            "--launcher",
            &launcher,
        ],
    );
    let node = format!("beamtalk_workspace_far@{ip}");
    assert!(out.contains("started") && out.contains(&node), "{out}");
    let entry = std::fs::read_to_string(home.path().join("workspaces/far.json")).expect("entry");
    assert!(
        entry.contains(&format!("\"host\": \"{ip}\"")) && entry.contains("\"tls\": true"),
        "{entry}"
    );
    remote_session_works(&pair, home, "far");
    let status = ok(&pair, home, &["workspace", "status", "far"]);
    assert!(
        status.contains(&format!("Host:         {ip}")) && status.contains("Transport:    tls"),
        "{status}"
    );

    // The same node, named directly: with --tls it answers, over plain TCP it refuses.
    assert_eq!(
        ok(&pair, home, &["--tls", "rpc", &node, "erlang", "node"]).trim(),
        format!("'{node}'")
    );
    let (code, _, err, _) = run(&mut pair.beamtalk(home, &["rpc", &node, "erlang", "node"]));
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("--tls"), "{err}");

    // A client whose certificate another CA signed (but which trusts the node) is refused.
    let stranger = Home::new();
    ok(&pair, &stranger, &["tls", "init"]);
    std::fs::copy(
        home.path().join("tls/ca.pem"),
        stranger.path().join("tls/ca.pem"),
    )
    .expect("copy");
    let mut cmd = pair.beamtalk(&stranger, &["--tls", "rpc", &node, "erlang", "node"]);
    cmd.env("BEAMTALK_COOKIE_FILE", home.cookie_file());
    let (code, _, err, _) = run(&mut cmd);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("certificate"), "{err}");

    ok(&pair, home, &["workspace", "stop", "far"]);
    assert!(ws.node_pids().is_empty(), "the remote node is gone");
}

#[test]
fn plain_tcp_to_a_remote_host_needs_insecure_and_warns() {
    let Some(mut pair) = Pair::new() else { return };
    let ws = WorkspaceHome::new();
    let home = &ws.home;
    pair.start_epmd();
    let ip = pair.ip_a();
    let launcher = pair.launcher();
    // Without --insecure a remote workspace is TLS, which needs `tls init` first.
    let (code, _, err, _) = run(&mut pair.beamtalk(
        home,
        &[
            "workspace",
            "create",
            "near",
            "--host",
            &ip,
            "--launcher",
            &launcher,
        ],
    ));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("tls init"), "{err}");
    assert!(ws.node_pids().is_empty(), "nothing was started");

    let (code, out, err, _) = run(&mut pair.beamtalk(
        home,
        &[
            "workspace",
            "create",
            "near",
            "--host",
            &ip,
            "--launcher",
            &launcher,
            "--insecure",
        ],
    ));
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("warning") && err.contains("plain-TCP"),
        "{err}"
    );
    remote_session_works(&pair, home, "near");
    ok(&pair, home, &["workspace", "stop", "near"]);
}

#[test]
fn create_attaches_to_a_node_served_on_the_remote_host() {
    let Some(mut pair) = Pair::new() else { return };
    let ws = WorkspaceHome::new();
    let home = &ws.home;
    pair.start_epmd();
    let ip = pair.ip_a();
    ok(&pair, home, &["tls", "init", "--san", &ip]);
    // What the docker image runs: the node in the foreground on the remote host, whose home holds only
    // the cookie and the node's certificate (as docker/README.md says to copy).
    let host_home = tempfile::tempdir().expect("host home");
    std::fs::create_dir_all(host_home.path().join("tls")).expect("tls dir");
    for file in ["cookie", "tls/ca.pem", "tls/node.pem", "tls/node-key.pem"] {
        std::fs::copy(home.path().join(file), host_home.path().join(file)).expect("copy");
    }
    let project = tempfile::tempdir().expect("project");
    let served = Pair::exec(&pair.a, env!("CARGO_BIN_EXE_beamtalk"))
        .args([
            "workspace",
            "serve",
            "docked",
            "--host",
            &ip,
            "--listen-all",
            "--port",
            "9471",
        ])
        .arg("--project")
        .arg(project.path())
        .env("BEAMTALK_HOME", host_home.path())
        .env_remove("BEAMTALK_COOKIE_FILE")
        .env_remove("ERL_EPMD_PORT")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("serve");
    pair.children.push(served);
    let deadline = Instant::now() + Duration::from_secs(30);
    let out = loop {
        let (code, out, err, _) =
            run(&mut pair.beamtalk(home, &["workspace", "create", "docked", "--host", &ip]));
        if code == 0 {
            break out;
        }
        assert!(Instant::now() < deadline, "never attached: {out}{err}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        out.contains("already running"),
        "attached, not started: {out}"
    );
    let names = pair.names();
    assert!(
        names.contains("beamtalk_workspace_docked at port 9471"),
        "the fixed port is used: {names}"
    );
    remote_session_works(&pair, home, "docked");
}

#[test]
fn a_remote_node_that_never_answers_as_a_workspace_is_stopped_not_left_behind() {
    let Some(mut pair) = Pair::new() else { return };
    let ws = WorkspaceHome::new();
    let home = &ws.home;
    pair.start_epmd();
    let ip = pair.ip_a();
    // A launcher that starts a plain node under the workspace's name instead of the workspace.
    let script = home.path().join("wrong-launcher.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nexec ip netns exec {} env HOME={} erl -name beamtalk_workspace_half@{ip} -noshell -noinput -detached\n",
            pair.a,
            home.path().display()
        ),
    )
    .expect("script");
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let (code, _, err, _) = run(&mut pair.beamtalk(
        home,
        &[
            "workspace",
            "create",
            "half",
            "--host",
            &ip,
            "--insecure",
            "--launcher",
            script.to_str().expect("utf8"),
        ],
    ));
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("half-started node was stopped"), "{err}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while pair.names().contains("beamtalk_workspace_half") {
        assert!(Instant::now() < deadline, "the node is still registered");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        !home.path().join("workspaces/half.json").exists(),
        "no registry entry for it"
    );
}

const ACCOUNT: &str = "Actor subclass: Account\n  state: balance = 0\n  deposit: n => self.balance := self.balance + n\n  balance => self.balance\n";

/// `kill -9` of the node of workspace `name` (started under `ws`), waiting until it is gone.
fn kill_workspace_node(ws: &WorkspaceHome, name: &str) {
    let out = std::process::Command::new("pgrep")
        .args(["-f", &format!("beamtalk_workspace_{name}@")])
        .output()
        .expect("pgrep");
    let pids: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .filter(|p| ws.node_pids().contains(p))
        .collect();
    assert_eq!(pids.len(), 1, "one node of {name}: {pids:?}");
    common::kill_and_wait(&pids[0]);
}

#[test]
fn durable_actors_replicated_on_another_host_come_back_there_when_the_first_host_is_lost() {
    let Some(mut pair) = Pair::new() else { return };
    let ws = WorkspaceHome::new();
    let home = &ws.home;
    pair.start_epmd();
    pair.start_epmd_b();
    let (ip_a, ip_b) = (pair.ip_a(), pair.ip_b());
    ok(
        &pair,
        home,
        &["tls", "init", "--san", &ip_a, "--san", &ip_b],
    );
    let (launcher_a, launcher_b) = (pair.launcher(), pair.launcher_b());
    let create_first = [
        "workspace",
        "create",
        "first",
        "--host",
        &ip_a,
        "--launcher",
        &launcher_a,
    ];
    let create_second = [
        "workspace",
        "create",
        "second",
        "--host",
        &ip_b,
        "--launcher",
        &launcher_b,
    ];
    ok(&pair, home, &create_first);
    ok(&pair, home, &create_second);
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("acct.bt");
    std::fs::write(&file, ACCOUNT).expect("write");
    let file = file.to_str().expect("utf8");
    for name in ["first", "second"] {
        ok(&pair, home, &["load", "-w", name, file]);
    }
    let eval = |name: &str, expr: &str| {
        ok(&pair, home, &["eval", "-w", name, expr])
            .trim()
            .to_owned()
    };
    assert_eq!(
        eval(
            "first",
            "(Account spawnPersistentAs: #main) unwrap deposit: 10"
        ),
        "10"
    );
    let out = ok(
        &pair,
        home,
        &["workspace", "replicate", "first", "--to", "second"],
    );
    assert!(out.contains("kept on second too"), "{out}");
    // The other host sees it, and may not run it while the first one does.
    assert_eq!(
        eval("second", "(Account spawnPersistentAs: #main) error kind"),
        "durable_name_taken"
    );
    assert_eq!(
        eval("first", "(Account named: #main) unwrap deposit: 5"),
        "15"
    );
    // The first host is lost; a new node of the second brings the actor back there.
    kill_workspace_node(&ws, "first");
    ok(&pair, home, &["workspace", "stop", "second"]);
    ok(&pair, home, &create_second);
    ok(&pair, home, &["load", "-w", "second", file]);
    assert_eq!(
        eval("second", "(Account named: #main) unwrap balance"),
        "15"
    );
    assert_eq!(
        eval("second", "(Account named: #main) unwrap deposit: 1"),
        "16"
    );
    ok(&pair, home, &["workspace", "stop", "second"]);
}
