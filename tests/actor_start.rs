//! How an actor starts. One whose start runs nothing of its class's (no `initialize`, no typed state to
//! check, slot defaults that do not mention `self`) is not waited for: its spawner computes the slot
//! values and goes on. Nothing a user can see may tell the two ways apart, so each case here is run
//! against a class of each kind (`Quick…` without `initialize`, `Waited…` with an empty one).

mod common;

use common::Project;

const CLASSES: &str = "\
Actor subclass: Counter
  state: n = 0
  n => self.n

Actor subclass: QuickHolder
  state: n = 0
  state: kid = Counter spawn
  kid => self.kid
  n => self.n

Actor subclass: WaitedHolder
  state: n = 0
  state: kid = Counter spawn
  initialize => nil
  kid => self.kid
  n => self.n

Actor subclass: QuickBad
  state: n = 1 / 0

Actor subclass: WaitedBad
  state: n = 1 / 0
  initialize => nil

Actor subclass: Sturdy
  state: n = 0
  class supervisionPolicy => #permanent

Actor subclass: Derived
  state: a = 1
  state: b = self.a + 1
  b => self.b
";

fn loaded() -> Project {
    Project::with_loaded("start.bt", CLASSES)
}

#[test]
fn a_spawned_actor_is_listed_and_answers_as_soon_as_spawn_returns() {
    let p = loaded();
    for class in ["QuickHolder", "WaitedHolder"] {
        assert_eq!(
            p.eval_ok(&format!(
                "h := {class} spawn. #((Workspace actorsOf: {class}) size, h n, h kid n)"
            )),
            "#(1, 0, 0)",
            "{class}"
        );
        assert_eq!(
            p.eval_ok(&format!(
                "h := {class} spawnWith: #{{#n => 7}}. h n + (Workspace actorsOf: {class}) size"
            )),
            "9",
            "{class}: initial values given to spawnWith:"
        );
        assert_eq!(
            p.eval_ok(&format!(
                "h stop. #(h isAlive, (Workspace actorsOf: {class}) size)"
            )),
            "#(false, 1)",
            "{class}: stopped at once"
        );
    }
}

#[test]
fn an_error_in_a_slot_default_is_the_spawners_and_leaves_no_actor() {
    let p = loaded();
    let caught = |class: &str| {
        p.eval_ok(&format!(
            "[{class} spawn. #spawned] on: ZeroDivide do: [:e | e messageText]"
        ))
    };
    let (quick, waited) = (caught("QuickBad"), caught("WaitedBad"));
    assert!(
        quick.contains("divide") || quick.contains("zero"),
        "{quick}"
    );
    assert_eq!(quick, waited, "both kinds of start report the same error");
    assert_eq!(
        p.eval_ok("(Workspace actorsOf: QuickBad) size + (Workspace actorsOf: WaitedBad) size"),
        "0"
    );
}

/// A default that reads another slot is computed by the actor itself, after the slots before it.
#[test]
fn a_default_that_reads_a_slot_sees_the_slots_set_before_it() {
    let p = loaded();
    assert_eq!(p.eval_ok("Derived spawn b"), "2");
    assert_eq!(p.eval_ok("(Derived spawnWith: #{#a => 5}) b"), "6");
}

/// An actor stopped or killed in the same breath as its spawn, before it has run at all, is gone and
/// unlisted, and a later stop of the workspace does not wait for it.
#[test]
fn an_actor_stopped_or_killed_as_soon_as_it_is_spawned_is_gone_and_unlisted() {
    let p = loaded();
    for class in ["QuickHolder", "WaitedHolder"] {
        assert_eq!(
            p.eval_ok(&format!(
                "all := (1 to: 50) collect: [:i | {class} spawn stop]. all asSet asList"
            )),
            "#(#ok)",
            "{class}: every stop answered #ok"
        );
        p.eventually_ok(&format!("(Workspace actorsOf: {class}) size"), "0");
        p.eval_ok(&format!("(1 to: 50) do: [:i | {class} spawn kill]"));
        p.eventually_ok(&format!("(Workspace actorsOf: {class}) size"), "0");
    }
}

/// A kill in the moment after a spawn is a crash like any other: a `#permanent` actor comes back.
#[test]
fn a_permanent_actor_killed_as_soon_as_it_is_spawned_is_restarted() {
    let p = loaded();
    p.eval_ok("Sturdy spawn kill");
    p.eventually_ok("(Workspace actorsOf: Sturdy) size", "1");
    assert_eq!(
        p.eval_ok("(Workspace actorsOf: Sturdy) first isAlive"),
        "true"
    );
}
