//! Hot reload with state migration, actor supervision and introspection, against a real workspace.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::run;

const V1: &str = "Actor subclass: Counter\n  state: count = 0\n  increment => self.count := self.count + 1\n  count => self.count\n";
const V2: &str = "Actor subclass: Counter\n  state: count = 0\n  state: step = 10\n  increment => self.count := self.count + self.step\n  count => self.count\n";
const V3_BROKEN_MIGRATION: &str = "Actor subclass: Counter\n  state: count = 0\n  state: step = 10\n  state: extra = 1\n  increment => self.count := self.count + 1000\n  count => self.count\n  migrateFrom: old => 1 / 0\n";

type Fixture = common::Project;

impl Fixture {
    fn started() -> Self {
        let f = common::Project::new();
        let (code, _, err, _) = run(&mut f.cmd(&["workspace", "create", "hot"]));
        assert_eq!(code, 0, "{err}");
        f
    }

    fn eval(&self, src: &str) -> String {
        let (code, out, err, _) =
            run(&mut self.cmd(&["--timeout", "60s", "eval", "-w", "hot", src]));
        assert_eq!(code, 0, "{src}: {out}{err}");
        out.trim_end().to_owned()
    }

    fn load(&self, src: &str) -> (i32, String, Duration) {
        let path = self.project.path().join("counter.bt");
        std::fs::write(&path, src).expect("write");
        let (code, out, err, took) =
            run(&mut self.cmd(&["load", "-w", "hot", path.to_str().expect("utf8")]));
        (code, format!("{out}{err}"), took)
    }
}

#[test]
fn the_adr_counter_upgrade_keeps_state_and_adds_the_new_slot() {
    let f = Fixture::started();
    assert_eq!(f.load(V1).0, 0);
    f.eval("c := Counter spawn. c increment. c increment");
    assert_eq!(f.eval("c count"), "2");
    let (code, out, _) = f.load(V2);
    assert_eq!(code, 0, "{out}");
    assert_eq!(f.eval("c count"), "2", "the count survives the upgrade");
    assert_eq!(
        f.eval("c increment"),
        "12",
        "the new slot has its default and the new method is used"
    );
}

#[test]
fn a_broken_version_leaves_the_previous_one_running_everywhere() {
    let f = Fixture::started();
    assert_eq!(f.load(V1).0, 0);
    assert_eq!(f.load(V2).0, 0);
    f.eval("a := Counter spawn. b := Counter spawn. a increment. b increment. b increment");
    let (code, out, _) = f.load(V3_BROKEN_MIGRATION);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("migrating actor <"),
        "the error names the actor: {out}"
    );
    assert!(out.contains("nothing was changed"), "{out}");
    assert_eq!(f.eval("a count"), "10");
    assert_eq!(f.eval("b count"), "20");
    assert_eq!(
        f.eval("a increment"),
        "20",
        "v2's increment (step 10) still runs"
    );
    assert_eq!(
        f.eval("Counter spawn count"),
        "0",
        "and v2 is the loaded class"
    );

    let (code, out, _) = f.load("Actor subclass: Counter\n  oops => [\n");
    assert_eq!(code, 2, "a syntax error loads nothing: {out}");
    assert_eq!(f.eval("b increment"), "30");
}

#[test]
fn a_thousand_live_actors_upgrade_while_a_client_keeps_calling_them() {
    let f = Fixture::started();
    assert_eq!(f.load(V1).0, 0);
    f.eval("counters := (1 to: 1000) collect: [:i | Counter spawn]. counters size");
    // A client that calls every actor, round after round, until it has seen a full round of v2's
    // increments (step 10) or 300 rounds; it counts the calls answered by each version and the failures.
    let client = f
        .cmd(&[
            "--timeout",
            "120s",
            "eval",
            "-w",
            "hot",
            "v1 := 0. v2 := 0. failed := 0. rounds := 0. before := 0. [v2 < 1000 and: [rounds < 300]] whileTrue: [rounds := rounds + 1. v2 := 0. counters do: [:c | [before := c count. (c increment - before) = 10 ifTrue: [v2 := v2 + 1] ifFalse: [v1 := v1 + 1]] on: Error do: [:e | failed := failed + 1]]]. #(v1, v2, failed)",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn the client");
    // The reload starts only once the client is calling.
    let deadline = Instant::now() + Duration::from_secs(30);
    while f.eval("(counters at: 1000) count") == "0" {
        assert!(
            Instant::now() < deadline,
            "the client never started calling"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let (code, out, took) = f.load(V2);
    assert_eq!(code, 0, "{out}");
    let client = client.wait_with_output().expect("client");
    let counts = String::from_utf8_lossy(&client.stdout).trim().to_owned();
    let counts: Vec<i64> = counts
        .trim_start_matches("#(")
        .trim_end_matches(')')
        .split(", ")
        .map(|n| n.parse().unwrap_or(-1))
        .collect();
    let [v1, v2, failed] = counts[..] else {
        panic!("client printed {counts:?}");
    };
    assert!(
        v1 > 0,
        "no call was answered before the upgrade: they did not overlap"
    );
    assert_eq!(v2, 1000, "the client saw a full round after the upgrade");
    assert_eq!(failed, 0, "no call failed");
    eprintln!(
        "hot reload of a class with 1,000 live actors: `beamtalk load` took {took:?} (whole process)"
    );
}

#[test]
fn actors_are_supervised_restarted_and_listed() {
    let f = Fixture::started();
    let restarted = V1.replace(
        "  state: count = 0\n",
        "  state: count = 0\n  class supervisionPolicy => #transient\n",
    );
    assert_eq!(f.load(&restarted).0, 0);
    f.eval("c := Counter spawn. c increment");
    let pid = f.eval("c pid");
    f.eval("Erlang erlang exit: c pid with: #boom");
    let deadline = Instant::now() + Duration::from_secs(5);
    let listing = loop {
        let (code, out, _, _) = run(&mut f.cmd(&["workspace", "actors", "hot"]));
        assert_eq!(code, 0);
        if out.contains(" 1\n") || out.trim_end().ends_with(" 1") {
            break out;
        }
        assert!(Instant::now() < deadline, "no restart shown: {out}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(listing.starts_with("PID"), "{listing}");
    assert!(listing.contains("Counter"), "{listing}");
    assert!(
        !listing.contains(&pid),
        "the restarted actor is a new process: {listing}"
    );

    let (code, out, _, _) = run(&mut f.cmd(&["--json", "workspace", "actors", "hot"]));
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let actor = &v["actors"][0];
    assert_eq!(
        (actor["class"].as_str(), actor["restarts"].as_i64()),
        (Some("Counter"), Some(1))
    );

    let (code, out, _, _) = run(&mut f.cmd(&["top", "-w", "hot", "--once"]));
    assert_eq!(code, 0);
    assert!(
        out.contains("beamtalk top — workspace hot — 1 actors"),
        "{out}"
    );
    assert!(out.contains("REDUCTIONS/s"), "{out}");
    let (code, out, _, _) = run(&mut f.cmd(&["--json", "top", "-w", "hot", "--once"]));
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON document");
    assert_eq!(
        (v["workspace"].as_str(), v["actors"][0]["class"].as_str()),
        (Some("hot"), Some("Counter"))
    );

    let status = {
        let (_, out, _, _) = run(&mut f.cmd(&["workspace", "status", "hot"]));
        out
    };
    assert!(status.contains("Classes:      Counter"), "{status}");
    assert!(status.contains("1 restarts"), "{status}");
}

#[test]
fn kill_stops_an_actor_for_good() {
    let f = Fixture::started();
    assert_eq!(f.load(V1).0, 0);
    f.eval("c := Counter spawn");
    let out = common::run_with_input(&mut f.cmd(&["repl", "-w", "hot"]), b":kill c\n:actors\n");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Killed c.\nNo actors.\n"
    );
}

#[test]
fn export_stop_import_gives_the_same_bindings_and_actor_states() {
    let f = Fixture::started();
    assert_eq!(f.load(V1).0, 0);
    f.eval("c := Counter spawn. c increment. c increment. both := #(c, c). n := 42. s := \"text\". blk := [1]");
    let file = f.project.path().join("hot.btx");
    let (code, out, err, _) =
        run(&mut f.cmd(&["workspace", "export", "hot", file.to_str().expect("utf8")]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("1 classes, 1 actors, 4 bindings (not exportable: blk)"),
        "{out}"
    );
    assert_eq!(run(&mut f.cmd(&["workspace", "stop", "hot"])).0, 0);

    let (code, out, err, _) =
        run(&mut f.cmd(&["workspace", "import", file.to_str().expect("utf8"), "again"]));
    assert_eq!(code, 0, "{out}{err}");
    let eval = |src: &str| {
        let (code, out, err, _) = run(&mut f.cmd(&["eval", "-w", "again", src]));
        assert_eq!(code, 0, "{src}: {err}");
        out.trim_end().to_owned()
    };
    assert_eq!(eval("c count"), "2", "actor state");
    assert_eq!(
        eval("(both first) increment. c count"),
        "3",
        "references to one actor stay one actor"
    );
    assert_eq!(eval("n"), "42");
    assert_eq!(eval("s"), "text");
    let (code, out, _, _) = run(&mut f.cmd(&["eval", "-w", "again", "blk"]));
    assert_eq!(
        (code, out.trim_end()),
        (1, "ERROR: undefined variable: blk"),
        "a block cannot be exported"
    );

    std::fs::write(&file, b"not an export").expect("corrupt");
    let (code, _, err, _) =
        run(&mut f.cmd(&["workspace", "import", file.to_str().expect("utf8"), "third"]));
    assert_eq!(
        code, 2,
        "a file that is not an export is a usage error: {err}"
    );
    assert!(err.contains("not a beamtalk workspace export"), "{err}");
}

#[test]
fn load_watch_reloads_a_file_when_it_changes() {
    use std::io::{BufRead, BufReader};
    let f = Fixture::started();
    let dir = f.project.path().join("src");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::write(dir.join("counter.bt"), V1).expect("write");
    let mut child = f
        .cmd(&["load", "-w", "hot", "--watch", dir.to_str().expect("utf8")])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    assert_eq!(
        lines.next().and_then(Result::ok).as_deref(),
        Some("Loaded: Counter")
    );
    assert_eq!(
        lines.next().and_then(Result::ok).as_deref(),
        Some("Watching for changes (Ctrl-C to stop).")
    );
    f.eval("c := Counter spawn. c increment");
    std::fs::write(dir.join("counter.bt"), V2).expect("rewrite");
    let line = lines.next().and_then(Result::ok);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(line.as_deref(), Some("Reloaded: Counter"));
    assert_eq!(
        f.eval("c increment"),
        "11",
        "the live actor migrated to the new version"
    );
}

#[test]
fn a_class_can_choose_its_restart_policy() {
    let f = Fixture::started();
    let (code, out, _) = f.load(
        "Actor subclass: Fragile\n  state: n = 0\n  class restartPolicy => #temporary\n  bump => self.n := self.n + 1\n",
    );
    assert_eq!(code, 0, "{out}");
    f.eval("t := Fragile spawn. Erlang erlang exit: t pid with: #boom");
    // A restart would happen within milliseconds of the exit; the list empties and stays empty.
    let deadline = Instant::now() + Duration::from_secs(5);
    while run(&mut f.cmd(&["workspace", "actors", "hot"])).1.trim() != "No actors." {
        assert!(Instant::now() < deadline, "a temporary actor was restarted");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(f.eval("t pid == t pid"), "true");
    let (_, listing, _, _) = run(&mut f.cmd(&["workspace", "actors", "hot"]));
    assert_eq!(
        listing.trim(),
        "No actors.",
        "a temporary actor is not restarted"
    );
}

/// `supervisionPolicy` is the class-side method's name (`restartPolicy` its older one, still read): a
/// `#permanent` actor is restarted even after a clean exit; one of a class that says nothing is
/// `#temporary`, never restarted, not even after a crash.
#[test]
fn supervision_policy_names_the_restart_policy() {
    let f = Fixture::started();
    let (code, out, _) = f.load(
        "Actor subclass: Sturdy\n  class supervisionPolicy => #permanent\n  quit => Erlang erlang exit: self pid with: #normal\n\nActor subclass: Plain\n  quit => Erlang erlang exit: self pid with: #normal\n",
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(f.eval("Sturdy supervisionSpec restart"), "permanent");
    assert_eq!(f.eval("Plain supervisionPolicy"), "temporary");
    f.eval("s := Sturdy spawn. p := Plain spawn. k := Plain spawn. k kill. [s quit] on: Error do: [:e | 0]. [p quit] on: Error do: [:e | 0]");
    assert_eq!(f.eval("#(s isAlive, p isAlive)"), "#(false, false)");
    let deadline = Instant::now() + Duration::from_secs(5);
    while f.eval("(Workspace actorsOf: Sturdy) size") != "1" {
        assert!(
            Instant::now() < deadline,
            "a permanent actor was not restarted"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        f.eval("(Workspace actorsOf: Plain) size"),
        "0",
        "a temporary one ended for good, the killed one too"
    );
}

#[test]
fn top_refreshes_until_q() {
    use expectrl::Expect;
    let f = Fixture::started();
    assert_eq!(f.load(V1).0, 0);
    f.eval("c := Counter spawn");
    let mut cmd = f.cmd(&["top", "-w", "hot"]);
    cmd.env("TERM", "xterm");
    let mut s = expectrl::Session::spawn(cmd).expect("pty");
    s.set_expect_timeout(Some(Duration::from_secs(10)));
    // If `q` did not work, the wait below would never end: kill it after a while so the test fails instead.
    let pid = s.get_process().pid().as_raw().to_string();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(30));
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &pid])
            .status();
    });
    s.expect("beamtalk top — workspace hot — 1 actors")
        .expect("first screen");
    s.expect("q to quit").expect("says how to quit");
    s.expect("Counter").expect("lists the actor");
    s.expect("beamtalk top").expect("refreshes");
    s.send("q").expect("q");
    let status = s.get_process_mut().wait().expect("exits");
    let status = format!("{status:?}");
    assert!(
        status.starts_with("Exited(") && status.ends_with(", 0)"),
        "{status}"
    );
}

const SLOW_V1: &str =
    "Actor subclass: Slow\n  state: n = 0\n  work => Erlang timer sleep: 7000. 1\n  version => 1\n";
const SLOW_V2: &str =
    "Actor subclass: Slow\n  state: n = 0\n  work => Erlang timer sleep: 7000. 1\n  version => 2\n";

#[test]
fn an_actor_busy_in_a_long_method_aborts_the_reload_and_is_never_stranded() {
    let f = Fixture::started();
    assert_eq!(f.load(SLOW_V1).0, 0);
    f.eval("idle := Slow spawn. busy := Slow spawn. busy work!. nil");
    let (code, out, _) = f.load(SLOW_V2);
    assert_eq!(code, 1, "the reload is refused: {out}");
    assert!(
        out.contains("did not pause for the upgrade") && out.contains("nothing was changed"),
        "{out}"
    );
    assert_eq!(
        f.eval("idle version"),
        "1",
        "the old code stays, the idle actor was resumed"
    );
    // Once its method ends, the busy actor answers with the old code: its late suspend did not strand it.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (code, out, _, _) =
            run(&mut f.cmd(&["--timeout", "3s", "eval", "-w", "hot", "busy version"]));
        if code == 0 {
            assert_eq!(out.trim(), "1");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the busy actor never answered again: {out}"
        );
    }
    assert_eq!(f.eval("busy version"), "1", "and keeps answering");
    assert_eq!(f.load(SLOW_V2).0, 0, "an idle class reloads");
    assert_eq!(f.eval("busy version"), "2");
}

/// A class whose source did not change is not reloaded: nothing is paused, so an actor busy in a long
/// method does not hold the load up (a reload would wait 5 s for it and then give up).
#[test]
fn loading_an_unchanged_class_again_pauses_none_of_its_actors() {
    let f = Fixture::started();
    assert_eq!(f.load(SLOW_V1).0, 0);
    f.eval("busy := Slow spawn. busy work!. nil");
    let (code, out, took) = f.load(SLOW_V1);
    assert_eq!(code, 0, "{out}");
    assert!(
        took < Duration::from_secs(4),
        "the load waited for the busy actor: {took:?}"
    );
    // The same source in another file is another version (its stack traces name that file).
    let moved = f.project.path().join("moved.bt");
    std::fs::write(&moved, SLOW_V1).expect("write");
    let (code, out, _, took) =
        run(&mut f.cmd(&["load", "-w", "hot", moved.to_str().expect("utf8")]));
    assert_eq!(code, 1, "a reload waits for the busy actor: {out}");
    assert!(took >= Duration::from_secs(4), "{took:?}");
}

#[test]
fn concurrent_loads_of_one_class_run_one_after_another() {
    let f = Fixture::started();
    assert_eq!(f.load(V1).0, 0);
    f.eval("cs := (1 to: 50) collect: [:i | Counter spawn]. cs do: [:c | c increment]. nil");
    let path = f.project.path().join("v2.bt");
    std::fs::write(&path, V2).expect("write");
    let loads: Vec<_> = (0..3)
        .map(|_| {
            f.cmd(&["load", "-w", "hot", path.to_str().expect("utf8")])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("load")
        })
        .collect();
    for load in loads {
        let out = load.wait_with_output().expect("load");
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(
        f.eval("(cs collect: [:c | c increment]) inject: 0 into: [:sum :n | sum + n]"),
        (50 * 11).to_string(),
        "every actor kept its count and runs v2"
    );
    let dict = f.eval("cs collect: [:c | Erlang erlang process_info: c pid with: #dictionary]");
    assert!(!dict.contains("bt_snapshot"), "snapshots leaked: {dict}");
}

#[test]
fn load_watch_with_json_prints_one_event_per_line() {
    use std::io::{BufRead, BufReader};
    let f = Fixture::started();
    let dir = f.project.path().join("src");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::write(dir.join("counter.bt"), V1).expect("write");
    let mut child = f
        .cmd(&[
            "--json",
            "load",
            "-w",
            "hot",
            "--watch",
            dir.to_str().expect("utf8"),
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut next = || -> serde_json::Value {
        let line = lines.next().and_then(Result::ok).unwrap_or_default();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON: {line:?}: {e}"))
    };
    let loaded = next();
    assert_eq!(loaded["event"], "loaded", "{loaded}");
    assert_eq!(loaded["loaded"], serde_json::json!(["Counter"]), "{loaded}");
    assert_eq!(next()["event"], "watching");
    std::fs::write(
        dir.join("counter.bt"),
        "Actor subclass: Counter\n  bad => (\n",
    )
    .expect("rewrite");
    let broken = next();
    std::fs::write(dir.join("counter.bt"), V2).expect("rewrite");
    let reloaded = next();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(broken["event"], "error", "{broken}");
    assert!(
        broken["path"]
            .as_str()
            .is_some_and(|p| p.ends_with("counter.bt")),
        "{broken}"
    );
    assert_eq!(reloaded["event"], "reloaded", "{reloaded}");
    assert_eq!(
        reloaded["loaded"],
        serde_json::json!(["Counter"]),
        "{reloaded}"
    );
}
