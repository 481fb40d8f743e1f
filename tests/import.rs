//! `workspace import` of files that are not what they claim: each is refused before any node starts, or
//! the workspace it started is removed again. Nothing is ever half-imported. A good import restores
//! actors without running their `initialize`.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use beamtalk::term::{etf, parse::parse};
use common::{Project, run};

const CLASS: &str = r#"Actor subclass: Counter\n  state: n = 0\n  n => self.n\n"#;

/// Writes an export file holding `term` (Erlang term syntax).
fn export_file(p: &Project, name: &str, term: &str) -> PathBuf {
    let term = parse(term).expect("term");
    write_export(p, name, &etf::encode(&term).expect("encode"))
}

fn write_export(p: &Project, name: &str, body: &[u8]) -> PathBuf {
    let path = p.project.path().join(name);
    let mut bytes = b"BTWX\x00\x01".to_vec();
    bytes.extend_from_slice(body);
    std::fs::write(&path, bytes).expect("write");
    path
}

fn export_with(classes: &str, actors: &str, bindings: &str) -> String {
    format!(
        "#{{format => beamtalk_workspace_export, version => 1, workspace => <<\"w\">>, \
         classes => {classes}, actors => {actors}, bindings => {bindings}, skipped => []}}"
    )
}

fn good_classes() -> String {
    format!("[{{'Counter', <<\"{CLASS}\">>}}]")
}

/// Imports `file`: the exit code and stderr; asserts that no node runs and no workspace is known after.
fn import_refused(p: &Project, file: &Path) -> (i32, String) {
    let (code, out, err, took) =
        run(&mut p.cmd(&["workspace", "import", file.to_str().expect("utf8"), "imp"]));
    assert_ne!(code, 0, "{out}{err}");
    assert!(took < Duration::from_secs(30), "{took:?}");
    assert!(p.ws.node_pids().is_empty(), "no node left running: {err}");
    let (_, list, _, _) = run(&mut p.cmd(&["workspace", "list"]));
    assert!(list.contains("No workspaces"), "nothing registered: {list}");
    (code, err)
}

#[test]
fn exports_of_the_wrong_shape_start_nothing() {
    let p = Project::new();
    let cases = [
        ("[1, 2]".to_owned(), "not a map"),
        (
            export_with(
                &good_classes(),
                "[#{key => 1, class => 'Nope', slots => #{}}]",
                "#{}",
            ),
            "not an actor class",
        ),
        (
            export_with(
                &good_classes(),
                "[#{key => 1, class => 'Counter', slots => [1]}]",
                "#{}",
            ),
            "not a map",
        ),
        (
            export_with(
                "[{'Counter', <<\"Actor subclass: Counter\\n  x => (\\n\">>}]",
                "[]",
                "#{}",
            ),
            "does not parse",
        ),
        (
            export_with(&good_classes(), "[]", "#{f => {'$bt_actor_key', 4}}"),
            "actor 4",
        ),
    ];
    for (term, says) in cases {
        let file = export_file(&p, "bad.btx", &term);
        let (code, err) = import_refused(&p, &file);
        assert_eq!(code, 2, "{term}: {err}");
        assert!(err.contains(says), "{term}: {err}");
    }
}

#[test]
fn pids_funs_and_an_atom_flood_are_refused_before_the_node_starts() {
    let p = Project::new();
    let node_only = [
        (
            eetf::Term::from(eetf::Pid::new("n@h", 1, 0, 0)),
            "binding p holds a pid",
        ),
        (
            eetf::Term::from(eetf::ExternalFun::from(("erlang", "halt", 0))),
            "binding p holds a fun",
        ),
    ];
    for (value, says) in node_only {
        let mut term = parse(&export_with(&good_classes(), "[]", "#{p => 0}")).expect("term");
        if let eetf::Term::Map(m) = &mut term
            && let Some(eetf::Term::Map(b)) = m.map.get_mut(&beamtalk::term::atom("bindings"))
        {
            b.map.insert(beamtalk::term::atom("p"), value);
        }
        let file = write_export(&p, "node.btx", &etf::encode(&term).expect("encode"));
        let (code, err) = import_refused(&p, &file);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(says), "{err}");
    }
    // 1.1 million distinct atoms (the flood that killed a node): refused by count.
    let atoms: Vec<String> = (0..1_100_000).map(|i| format!("a{i}")).collect();
    let flood = export_file(
        &p,
        "flood.btx",
        &export_with(
            &good_classes(),
            "[]",
            &format!("#{{x => [{}]}}", atoms.join(",")),
        ),
    );
    let (code, err) = import_refused(&p, &flood);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("distinct atoms"), "{err}");
}

#[test]
fn devices_and_huge_files_are_refused_without_reading_them() {
    let p = Project::new();
    let (code, err) = import_refused(&p, Path::new("/dev/zero"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a regular file"), "{err}");
    // A right header in front of 3 GB (sparse: nothing is written).
    let big = write_export(&p, "big.btx", b"");
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&big)
        .expect("open");
    f.set_len(3 * 1024 * 1024 * 1024).expect("sparse file");
    let (code, err) = import_refused(&p, &big);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("limit"), "{err}");
}

#[test]
fn a_failure_after_the_node_started_removes_the_workspace() {
    let p = Project::new();
    // Parses, but does not compile (an undefined variable): found only when the class is loaded.
    let file = export_file(
        &p,
        "late.btx",
        &export_with(
            "[{'Counter', <<\"Actor subclass: Counter\\n  state: n = 0\\n  n => nosuchthing\\n\">>}]",
            "[#{key => 1, class => 'Counter', slots => #{n => 1}}]",
            "#{}",
        ),
    );
    let (code, err) = import_refused(&p, &file);
    assert!(err.contains("nosuchthing"), "exit {code}: {err}");
}

#[test]
fn an_import_restores_actors_without_running_initialize() {
    let p = Project::new();
    std::fs::write(
        p.project.path().join("noisy.bt"),
        "Actor subclass: Noisy\n  state: n = 0\n  initialize => File writeAll: \"initialized\" contents: \"yes\". self.n := 100\n  bump => self.n := self.n + 1\n  n => self.n\n",
    )
    .expect("write");
    let (code, _, err, _) = run(&mut p.cmd(&["load", "noisy.bt"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(p.eval_ok("a := Noisy spawn. a bump. a n"), "101");
    let marker = p.project.path().join("initialized");
    assert!(marker.exists(), "initialize ran at the spawn");
    std::fs::remove_file(&marker).expect("rm");
    let file = p.project.path().join("ws.btx");
    let ws = p.eval_ok("(Workspace info) at: #id");
    let (code, out, err, _) =
        run(&mut p.cmd(&["workspace", "export", &ws, file.to_str().expect("utf8")]));
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err, _) =
        run(&mut p.cmd(&["workspace", "import", file.to_str().expect("utf8"), "copy"]));
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err, _) = run(&mut p.cmd(&["eval", "-w", "copy", "a n"]));
    assert_eq!((code, out.trim_end()), (0, "101"), "{err}");
    assert!(!marker.exists(), "initialize did not run at the import");
}
