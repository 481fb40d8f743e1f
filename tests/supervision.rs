//! Supervisors as Beamtalk classes, through a workspace: real OTP supervisors restarting their actors.

mod common;

use common::{Project, run};

const APP: &str = "\
Actor subclass: Worker
  state: n = 0
  class supervisionPolicy => #transient
  bump => self.n := self.n + 1
  n => self.n

Actor subclass: Logger
  state: lines = 0
  class supervisionPolicy => #transient
  log: x => self.lines := self.lines + 1

Supervisor subclass: App
  class children => #(Worker, Logger)

Supervisor subclass: AllApp
  class children => #(Worker, Logger)
  class strategy => #oneForAll

Supervisor subclass: Outer
  class children => #(App)

DynamicSupervisor(Worker) subclass: Pool

DynamicSupervisor subclass: NamedPool
  class childClass => Worker

Supervisor subclass: ArrayApp
  class children => #[Worker supervisionSpec, Logger supervisionSpec withRestart: #permanent]

Actor subclass: Broken
  initialize => 1 / 0

Supervisor subclass: BadApp
  class children => #(Broken)

Supervisor subclass: Specified
  class children => #((Worker supervisionSpec withArgs: #{#n => 7} withRestart: #permanent withName: #seven))
  class maxRestarts => 1
  class restartWindow => 60
";

fn loaded() -> Project {
    Project::with_loaded("app.bt", APP)
}

fn eval(p: &Project, expr: &str) -> String {
    p.eval_ok(expr)
}

fn eventually(p: &Project, expr: &str, want: &str) {
    p.eventually_ok(expr, want)
}

#[test]
fn a_supervisor_restarts_a_crashed_child_and_leaves_its_sibling_alone() {
    let p = loaded();
    assert!(eval(&p, "sup := App supervise unwrap").starts_with("Supervisor(App, <"));
    assert_eq!(eval(&p, "sup count"), "2");
    eval(
        &p,
        "w := (sup which: Worker) unwrap. l := (sup which: Logger) unwrap. w bump. w bump",
    );
    assert_eq!(eval(&p, "w n"), "2");
    eval(&p, "w kill");
    // A new Worker, fresh; the Logger is the same process (one for one).
    eventually(
        &p,
        "((sup which: Worker) unwrap == w) not & (sup which: Worker) unwrap notNil",
        "true",
    );
    assert_eq!(eval(&p, "(sup which: Worker) unwrap n"), "0");
    assert_eq!(eval(&p, "(sup which: Logger) unwrap == l"), "true");
    // `restart:` replaces a child on demand.
    assert_eq!(
        eval(
            &p,
            "old := (sup which: Worker) unwrap. new := sup restart: old. #(new == old, old isAlive, new n)"
        ),
        "#(false, false, 0)"
    );
    // Found again from a later connection, and stopped with its children.
    assert_eq!(eval(&p, "App current == sup"), "true");
    eval(&p, "sup stop");
    assert_eq!(eval(&p, "App current"), "nil");
    assert_eq!(eval(&p, "l isAlive"), "false");
}

#[test]
fn one_for_all_restarts_every_child_when_one_crashes() {
    let p = loaded();
    eval(
        &p,
        "sup := AllApp supervise unwrap. w := (sup which: Worker) unwrap. l := (sup which: Logger) unwrap",
    );
    eval(&p, "w kill");
    eventually(&p, "l isAlive", "false");
    eventually(
        &p,
        "((sup which: Logger) unwrap == l) not & (sup which: Logger) unwrap notNil",
        "true",
    );
}

/// Chapter 17's forms: children as an Array literal of specs, and a dynamic supervisor that names its
/// worker with `class childClass` (answered too by one that names it in its header).
#[test]
fn children_may_be_an_array_and_a_pool_may_name_its_worker_with_child_class() {
    let p = loaded();
    assert!(eval(&p, "a := ArrayApp supervise unwrap").starts_with("Supervisor(ArrayApp, <"));
    assert_eq!(eval(&p, "a count"), "2");
    assert_eq!(eval(&p, "(a which: Logger) unwrap class"), "Logger");
    assert!(
        eval(&p, "n := NamedPool supervise unwrap").starts_with("DynamicSupervisor(NamedPool, <")
    );
    assert_eq!(eval(&p, "n startChild unwrap class"), "Worker");
    assert_eq!(eval(&p, "n count"), "1");
    assert_eq!(eval(&p, "Pool childClass"), "Worker");
    assert_eq!(eval(&p, "NamedPool childClass"), "Worker");
    // ADR 0092's flat view: the supervisors started here.
    assert_eq!(eval(&p, "Workspace supervisors size"), "2");
    assert_eq!(
        eval(
            &p,
            "(Workspace supervisors includes: a) & (Workspace supervisors includes: n)"
        ),
        "true"
    );
    assert_eq!(
        eval(&p, "Workspace supervisors includes: Workspace supervisor"),
        "true"
    );
}

/// ADR 0080: starting a child answers a Result of it; terminating answers `Result ok: nil` whether the
/// child was running or gone already (the caller's end state holds either way); a static supervisor's
/// child is terminated by its class.
#[test]
fn a_dynamic_supervisor_starts_and_terminates_workers_on_demand() {
    let p = loaded();
    assert!(eval(&p, "pool := Pool supervise unwrap").starts_with("DynamicSupervisor(Pool, <"));
    assert_eq!(eval(&p, "pool count"), "0");
    assert!(eval(&p, "pool startChild").starts_with("Result ok: Actor(Worker, <"));
    assert_eq!(eval(&p, "a := pool startChild unwrap. a bump. a n"), "1");
    assert_eq!(
        eval(&p, "b := (pool startChild: #{#n => 10}) unwrap. b n"),
        "10"
    );
    assert_eq!(eval(&p, "pool count"), "3");
    assert_eq!(eval(&p, "pool terminateChild: a"), "Result ok: nil");
    assert_eq!(eval(&p, "pool count"), "2");
    assert_eq!(eval(&p, "a isAlive"), "false");
    assert_eq!(eval(&p, "pool terminateChild: a"), "Result ok: nil");
    assert_eq!(eval(&p, "pool count"), "2");
    assert!(eval(&p, "s := ArrayApp supervise unwrap").starts_with("Supervisor(ArrayApp, <"));
    assert_eq!(eval(&p, "s terminate: Logger"), "Result ok: nil");
    assert_eq!(eval(&p, "(s which: Logger) isError"), "true");
    assert_eq!(eval(&p, "s terminate: Logger"), "Result ok: nil");
}

#[test]
fn supervisors_nest_and_a_failing_initialize_is_the_callers_error() {
    let p = loaded();
    eval(&p, "o := Outer supervise unwrap");
    assert!(eval(&p, "o children").starts_with("#(Supervisor(App, <"));
    assert_eq!(eval(&p, "((o which: App) unwrap children) size"), "2");
    assert_eq!(eval(&p, "App current == (o which: App) unwrap"), "true");
    let failed = eval(&p, "BadApp supervise");
    assert!(
        failed.starts_with(
            "Result error: Error: BadApp could not start Broken: 1 / 0: division by zero"
        ),
        "{failed}"
    );
    let (code, out, _, _) = run(&mut p.cmd(&["eval", "BadApp supervise unwrap"]));
    assert_eq!(code, 1, "unwrap raises the error: {out}");
    assert!(out.contains("supervise_failed"), "{out}");
    assert_eq!(eval(&p, "BadApp current"), "nil");
}

#[test]
fn a_supervision_spec_gives_a_child_its_values_name_and_restart_policy() {
    let p = loaded();
    assert_eq!(
        eval(&p, "Worker supervisionSpec withName: #x"),
        "SupervisionSpec(actor: Worker, args: #{}, name: #x, restart: #transient)"
    );
    eval(&p, "sup := Specified supervise unwrap");
    assert_eq!(eval(&p, "(Worker named: #seven) unwrap n"), "7");
    // Restarted after a crash with its values again, under its name.
    eval(&p, "first := (Worker named: #seven) unwrap. first bump");
    eval(&p, "(Worker named: #seven) unwrap kill");
    eventually(
        &p,
        "(Worker named: #seven) isOk and: [((Worker named: #seven) unwrap == first) not]",
        "true",
    );
    assert_eq!(eval(&p, "(Worker named: #seven) unwrap n"), "7");
    // maxRestarts 1 in 60 s: the second crash is one too many, and the supervisor gives up.
    eval(&p, "(Worker named: #seven) unwrap kill");
    eventually(&p, "sup isAlive", "false");
    assert_eq!(eval(&p, "Specified current"), "nil");
}

#[test]
fn workspace_actors_tree_draws_supervisors_with_their_children() {
    let p = loaded();
    eval(&p, "c := Worker spawn. o := Outer supervise unwrap");
    let (code, out, err, _) = run(&mut p.cmd(&["workspace", "actors", "--tree"]));
    assert_eq!(code, 0, "{err}");
    let shape: Vec<String> = out
        .lines()
        .map(|l| l.split(", <").next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        shape,
        [
            "Actor(Worker",
            "Supervisor(Outer",
            "└── Supervisor(App",
            "    ├── Actor(Worker",
            "    └── Actor(Logger",
        ],
        "{out}"
    );
    let (_, out, _, _) = run(&mut p.cmd(&["--json", "workspace", "actors", "--tree"]));
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        v["tree"][1]["children"][0]["children"][1]["class"],
        "Logger"
    );
}

#[test]
fn supervised_actors_are_hot_reloaded_with_their_state() {
    let p = loaded();
    eval(
        &p,
        "sup := App supervise unwrap. (sup which: Worker) unwrap bump. (sup which: Worker) unwrap bump",
    );
    std::fs::write(
        p.project.path().join("app.bt"),
        APP.replace(
            "  n => self.n\n",
            "  n => self.n\n  doubled => self.n * 2\n",
        ),
    )
    .expect("write");
    let (code, _, err, _) = run(&mut p.cmd(&["load", "app.bt"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(eval(&p, "(sup which: Worker) unwrap doubled"), "4");
    assert_eq!(eval(&p, "App current == sup"), "true");
}

const README_APP: &str = "\
Actor subclass: Counter
  state: count = 0
  class supervisionPolicy => #transient
  increment => self.count := self.count + 1
  count => self.count

Actor subclass: Logger
  state: lines = 0
  log: x => self.lines := self.lines + 1

Supervisor subclass: App
  class children => #(Counter, Logger)
  class strategy => #oneForOne
";

/// README's supervision example as written: a call right after a kill reaches the restarted child; and a
/// supervisor that gives up says so in Beamtalk terms.
#[test]
fn a_killed_child_is_reached_after_its_restart_and_a_supervisor_that_gives_up_says_so() {
    let p = Project::with_loaded("app.bt", README_APP);
    assert!(eval(&p, "App supervise").starts_with("Result ok: Supervisor(App, <"));
    assert!(eval(&p, "sup := App current").starts_with("Supervisor(App, <"));
    assert_eq!(
        eval(&p, "App supervise unwrap = sup"),
        "true",
        "supervising a running supervisor answers it (ADR 0080), no second one"
    );
    for _ in 0..2 {
        assert_eq!(
            eval(
                &p,
                "(sup which: Counter) unwrap kill. (sup which: Counter) unwrap count"
            ),
            "0"
        );
    }
    assert_eq!(
        eval(&p, "(sup which: Integer) isError"),
        "true",
        "no child of that class is an error Result"
    );
    // Two more crashes within 5 s exceed the default limit of 3.
    for _ in 0..2 {
        let _ = run(&mut p.cmd(&["eval", "(sup which: Counter) unwrap kill"]));
    }
    eventually(&p, "App current isNil", "true");
    let (code, out, err, _) = run(&mut p.cmd(&["eval", "sup count"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("is not running: it gave up: its children crashed more than 3 times in 5 s")
            && out.contains("hint: `App supervise` starts it again"),
        "{out}"
    );
    assert!(
        eval(
            &p,
            "(Erlang beamtalk_workspace_meta given_up) collect: [:g | g at: #class]"
        )
        .contains("App"),
        "listed with the given-up"
    );
}
