//! Projects end to end: `beamtalk new`/`init` make one, and every command run anywhere inside it uses
//! its one workspace (found as cargo finds a package: the nearest `beamtalk.toml`, else the git root).

mod common;

use common::{Project, run};

#[test]
fn commands_in_a_subdirectory_use_the_projects_workspace() {
    let p = Project::new();
    let (code, out, err, _) = run(&mut p.cmd(&["new", "shop"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Created package `shop`"), "{out}");
    let root = p.project.path().join("shop");
    let in_dir = |dir: &str, args: &[&str]| {
        let mut c = p.cmd(args);
        c.current_dir(root.join(dir));
        run(&mut c)
    };
    let (code, out, err, _) = in_dir(".", &["load", "src/shop.bt"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err, _) = in_dir(
        "src",
        &[
            "eval",
            "basket := Shop spawn. basket increment. basket count",
        ],
    );
    assert_eq!((code, out.trim()), (0, "1"), "{err}");
    // From test/ (another directory of the same project) the binding and the actor are there.
    let (code, out, err, _) = in_dir("test", &["eval", "basket increment. basket count"]);
    assert_eq!((code, out.trim()), (0, "2"), "{err}");
    let (_, list, _, _) = run(&mut p.cmd(&["workspace", "list", "--json"]));
    let list: serde_json::Value = serde_json::from_str(&list).expect("json");
    assert_eq!(
        list["workspaces"].as_array().map(Vec::len),
        Some(1),
        "one workspace: {list}"
    );
    // The test the project was made with passes: `beamtalk test` loads the project's src/ and test/.
    let (code, out, err, _) = in_dir("test", &["test"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 passed, 0 failed"), "{out}");
}

#[test]
fn a_git_checkout_without_a_manifest_is_one_project() {
    let p = Project::new();
    std::fs::create_dir_all(p.project.path().join(".git")).expect("git dir");
    std::fs::create_dir_all(p.project.path().join("lib/deep")).expect("dirs");
    let mut c = p.cmd(&["eval", "shared := 42"]);
    c.current_dir(p.project.path().join("lib/deep"));
    assert_eq!(run(&mut c).0, 0);
    let (code, out, err, _) = run(&mut p.cmd(&["eval", "shared"]));
    assert_eq!((code, out.trim()), (0, "42"), "{err}");
}

#[test]
fn init_refuses_to_overwrite_and_bad_names_are_explained() {
    let p = Project::new();
    let (code, out, err, _) = run(&mut p.cmd(&["new", "Bad-Name"]));
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("invalid package name `Bad-Name`"), "{err}");
    let (code, _, err, _) = run(&mut p.cmd(&["new", "stdlib"]));
    assert_eq!(code, 2);
    assert!(err.contains("reserved"), "{err}");

    std::fs::create_dir_all(p.project.path().join("src")).expect("src");
    let mine = p.project.path().join("src/app.bt");
    std::fs::write(&mine, "mine").expect("write");
    let (code, _, err, _) = run(&mut p.cmd(&["init", "--name", "app"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("exists already"), "{err}");
    assert_eq!(std::fs::read_to_string(&mine).expect("kept"), "mine");
    assert!(
        !p.project.path().join("beamtalk.toml").exists(),
        "nothing was made"
    );

    let (code, out, err, _) = run(&mut p.cmd(&["init", "--name", "other"]));
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, err, _) = run(&mut p.cmd(&["init", "--name", "other"]));
    assert_eq!(code, 2, "a second init changes nothing: {err}");
}

#[test]
fn a_broken_manifest_is_reported_with_its_path() {
    let p = Project::new();
    std::fs::write(p.project.path().join("beamtalk.toml"), "[package\nname = ").expect("write");
    let (code, out, err, _) = run(&mut p.cmd(&["eval", "1"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("beamtalk.toml"), "{err}");
    assert!(err.contains("hint:"), "{err}");
}

const COUNTER: &str = "Actor subclass: Counter\n  state: count = 0\n  increment => self.count := self.count + 1\n  count => self.count\n";

/// A workspace a command starts for its project loads the project's sources and says so; after a
/// stop it comes back with them; `workspace status` says which are loaded and which changed since.
#[test]
fn a_started_workspace_loads_the_projects_sources_and_status_tracks_them() {
    let p = Project::new();
    let src = p.project.path().join("src");
    std::fs::create_dir_all(&src).expect("src");
    std::fs::write(src.join("counter.bt"), COUNTER).expect("write");
    let (code, out, err, _) = run(&mut p.cmd(&["eval", "Counter spawn increment"]));
    assert_eq!((code, out.trim()), (0, "1"), "{err}");
    assert!(err.contains("Loaded the project's src: Counter"), "{err}");
    let (_, status, _, _) = run(&mut p.cmd(&["workspace", "status"]));
    let file = src.join("counter.bt").canonicalize().expect("path");
    assert!(
        status.contains(&format!("  {}\n", file.display())),
        "{status}"
    );
    std::fs::write(
        src.join("counter.bt"),
        format!("{COUNTER}  reset => self.count := 0\n"),
    )
    .expect("write");
    let (_, status, _, _) = run(&mut p.cmd(&["workspace", "status"]));
    assert!(
        status.contains("(changed on disk since it was loaded"),
        "{status}"
    );
    let (_, json, _, _) = run(&mut p.cmd(&["--json", "workspace", "status"]));
    let doc: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(doc["info"]["sources"][0]["state"], "changed", "{doc}");

    // Stopped, the next command starts it again with the project's classes, the new method included.
    let (_, list, _, _) = run(&mut p.cmd(&["--json", "workspace", "list"]));
    let list: serde_json::Value = serde_json::from_str(&list).expect("json");
    let id = list["workspaces"][0]["id"].as_str().expect("id").to_owned();
    assert_eq!(run(&mut p.cmd(&["workspace", "stop", &id])).0, 0);
    let (code, out, err, _) =
        run(&mut p.cmd(&["eval", "c := Counter spawn. c increment. c reset. c count"]));
    assert_eq!((code, out.trim()), (0, "0"), "{err}");
    assert!(err.contains("Loaded the project's src: Counter"), "{err}");
}

#[test]
fn autoload_can_be_turned_off_and_broken_sources_do_not_stop_the_command() {
    let p = Project::new();
    let src = p.project.path().join("src");
    std::fs::create_dir_all(&src).expect("src");
    std::fs::write(src.join("broken.bt"), "Actor subclass: Broken\n  go => (\n").expect("write");
    let (code, out, err, _) = run(&mut p.cmd(&["eval", "1 + 1"]));
    assert_eq!((code, out.trim()), (0, "2"), "{err}");
    assert!(
        err.contains("warning: the project's sources were not loaded") && err.contains("broken.bt"),
        "{err}"
    );
    let (_, list, _, _) = run(&mut p.cmd(&["--json", "workspace", "list"]));
    let list: serde_json::Value = serde_json::from_str(&list).expect("json");
    let id = list["workspaces"][0]["id"].as_str().expect("id").to_owned();
    assert_eq!(run(&mut p.cmd(&["workspace", "stop", &id])).0, 0);
    std::fs::write(
        p.project.path().join("beamtalk.toml"),
        "[package]\nname = \"quiet\"\nversion = \"0.1.0\"\n\n[workspace]\nautoload = false\n",
    )
    .expect("write");
    let (code, _, err, _) = run(&mut p.cmd(&["eval", "1"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        !err.contains("sources"),
        "nothing loaded, nothing said: {err}"
    );
}
