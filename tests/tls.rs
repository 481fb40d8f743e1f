//! TLS distribution on this machine: `tls init`, a workspace started with `--tls`, and every way a client
//! without the right certificate, or without TLS at all, is refused.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::{Home, Project, beamtalk, run};

fn ok(f: &Project, args: &[&str]) -> String {
    let (code, out, err, _) = run(&mut f.cmd(args));
    assert_eq!(code, 0, "beamtalk {args:?}: {out}{err}");
    out
}

/// A project with `tls init` done and workspace `sec` running over TLS.
fn secured() -> (Project, String) {
    let f = Project::new();
    ok(&f, &["tls", "init"]);
    let out = ok(&f, &["--tls", "workspace", "create", "sec"]);
    assert!(out.contains("started"), "{out}");
    let node = format!(
        "beamtalk_workspace_sec@{}",
        beamtalk::dist::node_name::short_hostname()
    );
    (f, node)
}

#[test]
fn tls_init_writes_private_keys_and_never_overwrites_silently() {
    let f = Project::new();
    let out = ok(
        &f,
        &["tls", "init", "--san", "build.example", "--san", "10.9.8.7"],
    );
    assert!(
        out.contains("build.example") && out.contains("10.9.8.7"),
        "{out}"
    );
    let tls = f.ws.home.path().join("tls");
    assert_eq!(
        std::fs::metadata(&tls).expect("dir").permissions().mode() & 0o777,
        0o700
    );
    for key in ["ca-key.pem", "node-key.pem", "client-key.pem"] {
        let mode = std::fs::metadata(tls.join(key))
            .expect("key")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{key}");
    }
    let ca = std::fs::read(tls.join("ca.pem")).expect("ca");
    let (code, _, err, _) = run(&mut f.cmd(&["tls", "init"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(
        std::fs::read(tls.join("ca.pem")).expect("ca"),
        ca,
        "untouched"
    );
    let (code, _, err, _) = run(&mut f.cmd(&["tls", "init", "--san", "not a name"]));
    assert_eq!(code, 2, "{err}");
    ok(&f, &["tls", "init", "--force"]);
    assert_ne!(
        std::fs::read(tls.join("ca.pem")).expect("ca"),
        ca,
        "replaced"
    );
}

#[test]
fn a_tls_workspace_evaluates_and_answers_tls_clients_only() {
    let (f, node) = secured();
    assert_eq!(ok(&f, &["eval", "-w", "sec", "x := 6 * 7"]).trim(), "42");
    assert_eq!(ok(&f, &["eval", "-w", "sec", "x + 1"]).trim(), "43");
    let list = ok(&f, &["workspace", "list"]);
    assert!(list.contains("sec") && list.contains("running"), "{list}");
    assert_eq!(
        ok(&f, &["rpc", "-w", "sec", "erlang", "node"]).trim(),
        node,
        "the registry says it is TLS"
    );
    assert_eq!(
        ok(&f, &["--tls", "rpc", &node, "erlang", "node"]).trim(),
        node
    );

    let (code, _, err, _) = run(&mut f.cmd(&["rpc", &node, "erlang", "node"]));
    assert_eq!(code, 3, "a plain-TCP client is refused: {err}");
    assert!(err.contains("pass --tls"), "{err}");
}

#[test]
fn certificates_from_another_ca_are_refused_both_ways() {
    let (f, node) = secured();
    let stranger = Home::new();
    let (code, _, err, _) = run(beamtalk(&f.epmd, &stranger).args(["tls", "init"]));
    assert_eq!(code, 0, "{err}");

    // The stranger does not trust the node's certificate.
    let (code, _, err, _) =
        run(beamtalk(&f.epmd, &stranger).args(["--tls", "rpc", &node, "erlang", "node"]));
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("certificate"), "{err}");

    // Trusting the node is not enough: the node refuses the stranger's client certificate.
    std::fs::copy(
        f.ws.home.path().join("tls/ca.pem"),
        stranger.path().join("tls/ca.pem"),
    )
    .expect("copy");
    let (code, _, err, _) =
        run(beamtalk(&f.epmd, &stranger).args(["--tls", "rpc", &node, "erlang", "node"]));
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("certificate"), "{err}");
    assert_eq!(
        ok(&f, &["eval", "-w", "sec", "1 + 1"]).trim(),
        "2",
        "still serving"
    );
}

#[test]
fn a_readable_private_key_or_missing_tls_files_are_clear_errors() {
    let (f, node) = secured();
    let key = f.ws.home.path().join("tls/client-key.pem");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let (code, _, err, _) = run(&mut f.cmd(&["eval", "-w", "sec", "1"]));
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("chmod 600"), "{err}");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");

    let bare = Home::new();
    let (code, _, err, _) =
        run(beamtalk(&f.epmd, &bare).args(["--tls", "rpc", &node, "erlang", "node"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("tls init"), "{err}");
    let (code, _, err, _) =
        run(beamtalk(&f.epmd, &bare).args(["--tls", "workspace", "create", "nope"]));
    assert_eq!(code, 2, "{err}");
    assert!(
        !bare.path().join("workspaces/nope.json").exists(),
        "nothing recorded"
    );
}
