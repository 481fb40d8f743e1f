//! Actors that make actors: in `initialize`, in a method, in a supervisor child's `initialize`, ten levels
//! deep, or failing half way. None of it may wedge the workspace: after each case a plain spawn, a stop and
//! `workspace stop` still answer. Every evaluation runs with a timeout, so a hang fails the test (exit 5)
//! instead of running for ever.

mod common;

use common::{Project, run};

const CLASSES: &str = "\
Actor subclass: Counter
  state: n = 0
  increment => self.n := self.n + 1
  n => self.n

Actor subclass: Parent
  state: child = nil
  initialize => self.child := Counter spawn. self.child increment
  child => self.child

Actor subclass: Nest
  state: depth = 0
  state: inner = nil
  initialize => self.depth > 0 ifTrue: [self.inner := Nest spawnWith: #{#depth => self.depth - 1}]
  height => self.inner isNil ifTrue: [0] ifFalse: [1 + self.inner height]

Actor subclass: Maker
  make => Counter spawn

Actor subclass: Broken
  initialize => 1 / 0

Actor subclass: BadParent
  state: child = nil
  initialize => self.child := Broken spawn

Actor subclass: Rebel
  state: parent = nil
  initialize => self.parent stop

Actor subclass: Doomed
  state: kid = nil
  initialize => self.kid := Rebel spawnWith: #{#parent => self}

Supervisor subclass: Inner
  class children => #(Counter)

Actor subclass: Starter
  state: sup = nil
  initialize => self.sup := Inner supervise unwrap
  sup => self.sup

Supervisor subclass: App
  class children => #(Parent, Starter)
";

fn loaded() -> Project {
    Project::with_loaded("family.bt", CLASSES)
}

/// `beamtalk eval --timeout 20s EXPR`: what it printed, or a failure saying how it ended.
fn eval(p: &Project, expr: &str) -> String {
    let (code, out, err, took) = run(&mut p.cmd(&["eval", "--timeout", "20s", expr]));
    assert_eq!(code, 0, "{expr} (after {took:?}): {out}{err}");
    out.trim_end().to_owned()
}

/// Spawning, stopping and counting still work: nothing in the workspace is left waiting.
fn still_answers(p: &Project) {
    assert_eq!(eval(p, "c := Counter spawn. c increment. c n"), "1");
    assert_eq!(eval(p, "c stop. c isAlive"), "false");
}

#[test]
fn an_actor_that_spawns_in_initialize_is_spawned_and_the_workspace_goes_on() {
    let p = loaded();
    assert_eq!(eval(&p, "p := Parent spawn. p child n"), "1");
    assert_eq!(eval(&p, "p child isAlive"), "true");
    still_answers(&p);
    // Stopping the parent leaves its child: each is the workspace's, not the other's.
    assert_eq!(eval(&p, "kid := p child. p stop. kid isAlive"), "true");
    let (code, out, err, _) = run(&mut p.cmd(&["--timeout", "20s", "workspace", "stop", "--all"]));
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn actors_spawn_actors_ten_levels_deep() {
    let p = loaded();
    assert_eq!(
        eval(&p, "top := Nest spawnWith: #{#depth => 10}. top height"),
        "10"
    );
    // Eleven actors, each started inside its parent's `initialize`.
    assert_eq!(
        eval(&p, "(Workspace actorsOf: Nest) size"),
        "11",
        "every level runs"
    );
    still_answers(&p);
}

#[test]
fn an_actor_spawns_from_a_method() {
    let p = loaded();
    assert_eq!(
        eval(&p, "m := Maker spawn. k := m make. k increment. k n"),
        "1"
    );
}

#[test]
fn a_failing_initialize_inside_an_initialize_fails_both_and_leaves_nothing_behind() {
    let p = loaded();
    let actors = "Erlang beamtalk_actor_sup count";
    let before = eval(&p, actors);
    let (code, out, err, _) = run(&mut p.cmd(&["eval", "--timeout", "20s", "BadParent spawn"]));
    assert_ne!(code, 0, "{out}{err}");
    assert!(
        format!("{out}{err}").contains("division by zero"),
        "the child's error reaches the caller: {out}{err}"
    );
    assert_eq!(eval(&p, actors), before, "no actor left behind");
    assert_eq!(eval(&p, "(Workspace actorsOf: Broken) size"), "0");
    still_answers(&p);
}

#[test]
fn a_supervisor_child_that_spawns_and_supervises_in_initialize_starts() {
    let p = loaded();
    assert!(eval(&p, "sup := App supervise unwrap").starts_with("Supervisor(App, <"));
    assert_eq!(eval(&p, "(sup which: Parent) unwrap child n"), "1");
    assert_eq!(eval(&p, "(sup which: Starter) unwrap sup count"), "1");
    assert_eq!(eval(&p, "Inner current isNil"), "false");
    still_answers(&p);
    assert_eq!(eval(&p, "sup stop. App current isNil"), "true");
}

#[test]
fn a_child_that_stops_its_initializing_parent_delays_but_never_wedges() {
    let p = loaded();
    // The child's stop waits (5 s, bounded) on a parent that is waiting on the child; then the parent
    // is stopped, its spawn fails saying so, and the workspace goes on.
    let (code, out, err, took) = run(&mut p.cmd(&["eval", "--timeout", "60s", "Doomed spawn"]));
    assert_eq!(code, 1, "exit {code} after {took:?}: {out}{err}");
    assert!(
        format!("{out}{err}").contains("Doomed was stopped while it started"),
        "{out}{err}"
    );
    still_answers(&p);
}
