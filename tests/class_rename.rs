//! `Counter renameTo: #Accumulator` through a workspace: the code that names the class is rewritten with
//! it, live actors and bindings take the new name, values made under the old one keep answering, and a
//! flush writes the rename into the files (moving the class's own file) unless one changed on disk.

mod common;

use common::{Project, run};

const COUNTER: &str = "\
/// Counts, held by an actor.
Actor subclass: Counter
  state: n = 0
  increment => self.n := self.n + 1
  n => self.n
  /// A fresh one: the class names itself.
  class fresh => Counter spawn
";

const LOUD: &str = "\
Counter subclass: LoudCounter
  shout => \"loud\"
";

const MAKER: &str = "\
/// Makes Counters (this comment, and the string below, are text: a rename keeps them).
Object subclass: Maker
  make => Counter spawn
  label => \"Counter\"
  keep: c :: Counter => c
";

const HOLDER: &str = "\
Actor subclass: Holder
  state: it = nil
  keep: x => self.it := x
  it => self.it

Value subclass: Pt
  field: x = 1
  double => self.x * 2
";

fn project() -> Project {
    let p = Project::new();
    let dir = p.project.path();
    for (name, src) in [
        ("counter.bt", COUNTER),
        ("loud.bt", LOUD),
        ("maker.bt", MAKER),
        ("holder.bt", HOLDER),
    ] {
        std::fs::write(dir.join(name), src).expect("write");
        let (code, out, err, _) = run(&mut p.cmd(&["load", name]));
        assert_eq!(code, 0, "loading {name}: {out}{err}");
    }
    p
}

fn refused(p: &Project, expr: &str, why: &str) {
    let (code, out, err, _) = run(&mut p.cmd(&["eval", expr]));
    assert_eq!(code, 1, "{expr}: {out}{err}");
    assert!(
        out.contains("rename_refused") && out.contains(why),
        "{expr}: {out}"
    );
}

#[test]
fn a_class_is_renamed_with_the_code_that_names_it_and_its_actors_follow() {
    let p = project();
    let dir = p.project.path();
    p.eval_ok("c := Counter spawn. c increment. k := Counter. h := Holder spawn. h keep: c");
    assert_eq!(p.eval_ok("Counter renameTo: #Accumulator"), "Accumulator");

    // The live actor kept its state and answers as the class under its new name; so do the bindings.
    assert_eq!(p.eval_ok("c increment"), "2");
    assert_eq!(p.eval_ok("c class"), "Accumulator");
    assert_eq!(p.eval_ok("k"), "Accumulator");
    // A reference held where no rename reaches (another actor's state) still works.
    assert_eq!(p.eval_ok("h it increment"), "3");
    // The code that named the class names the new one: its own class side, a subclass, another class.
    assert_eq!(p.eval_ok("Accumulator fresh class"), "Accumulator");
    assert_eq!(p.eval_ok("LoudCounter superclass"), "Accumulator");
    assert_eq!(p.eval_ok("(LoudCounter spawn) increment"), "1");
    assert_eq!(p.eval_ok("Maker new make class"), "Accumulator");
    assert_eq!(p.eval_ok("Maker new label"), "Counter");
    assert_eq!(
        p.eval_ok("(Workspace classes collect: [:x | x name]) includes: #Counter"),
        "false"
    );
    assert_eq!(
        p.eval_ok(
            "(Workspace changes select: [:e | e kind = #rename_class]) collect: [:e | e printString]"
        ),
        "#(\"rename class Counter to Accumulator\", \
         \"rename Counter to Accumulator in LoudCounter\", \
         \"rename Counter to Accumulator in Maker\")"
    );

    refused(&p, "Accumulator renameTo: #Maker", "Maker already exists");
    refused(&p, "Accumulator renameTo: #lower", "is no class name");
    refused(
        &p,
        "Integer renameTo: #Whole",
        "only classes loaded into this workspace",
    );
    refused(
        &p,
        "Counter renameTo: #Other",
        "was renamed to Accumulator already",
    );
    // Taken back by another rename, not by a revert (it rewrote several classes at once).
    let revert =
        "Workspace changes revert: (Workspace changes select: [:e | e kind = #rename_class]) first";
    let (code, out, err, _) = run(&mut p.cmd(&["eval", revert]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("Accumulator renameTo: #Counter"), "{out}");

    let (code, out, err, _) = run(&mut p.cmd(&["workspace", "flush"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("Moved ") && out.contains("accumulator.bt"),
        "{out}"
    );
    assert!(!dir.join("counter.bt").exists(), "the old file is gone");
    let renamed = std::fs::read_to_string(dir.join("accumulator.bt")).expect("renamed file");
    assert_eq!(renamed, COUNTER.replace("Counter", "Accumulator"));
    assert_eq!(
        std::fs::read_to_string(dir.join("loud.bt")).expect("loud"),
        LOUD.replace("Counter subclass", "Accumulator subclass")
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("maker.bt")).expect("maker"),
        MAKER
            .replace("make => Counter", "make => Accumulator")
            .replace(":: Counter", ":: Accumulator")
    );
    // What was flushed loads as it is.
    for file in ["accumulator.bt", "loud.bt", "maker.bt"] {
        let (code, out, err, _) = run(&mut p.cmd(&["load", file]));
        assert_eq!(code, 0, "{file}: {out}{err}");
    }
}

#[test]
fn values_made_under_the_old_name_answer_and_the_name_is_free_again() {
    let p = project();
    // The method-level rename's escape for a selector the class does not define (ADR 0114).
    assert_eq!(
        p.eval_ok("Pt renameSelector: #nope to: #nah ifAbsent: [#absent]"),
        "absent"
    );
    assert_eq!(
        p.eval_ok("Pt renameSelector: #double to: #twice ifAbsent: [#absent]. Pt new twice"),
        "2"
    );
    p.eval_ok("Pt renameSelector: #twice to: #double");
    p.eval_ok("h := Holder spawn. h keep: (Pt new)");
    assert_eq!(p.eval_ok("Pt renameTo: #Point2"), "Point2");
    // The value sits in another actor's state, under the old name: it still answers, as the new class.
    assert_eq!(p.eval_ok("h it double"), "2");
    assert_eq!(p.eval_ok("h it class"), "Point2");
    // The old name may be given to a new class, which is then what the name means.
    p.eval_ok("Object subclass: Pt\n  fresh => #yes");
    assert_eq!(p.eval_ok("Pt new fresh"), "yes");
    assert_eq!(p.eval_ok("Point2 new double"), "2");
}

#[test]
fn a_rename_is_not_flushed_over_a_file_changed_on_disk() {
    let p = project();
    let dir = p.project.path();
    p.eval_ok("Counter renameTo: #Tally");
    let edited = format!("{COUNTER}  // edited elsewhere\n");
    std::fs::write(dir.join("counter.bt"), &edited).expect("edit");
    let (code, out, err, _) = run(&mut p.cmd(&["workspace", "flush"]));
    assert_ne!(code, 0, "{out}{err}");
    assert!(out.contains("changed on disk"), "{out}{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("counter.bt")).expect("kept"),
        edited
    );
    assert!(!dir.join("tally.bt").exists(), "nothing moved");
}
