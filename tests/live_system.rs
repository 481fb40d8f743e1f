//! The live system as objects, through a workspace: named actors and their lifecycle, the `Workspace`,
//! `Beamtalk` and `SystemNavigation` globals, and `:help` at the REPL.

mod common;

use common::{Project, run, run_with_input};

const COUNTER: &str = "\
/// Counts, held by an actor.
Actor subclass: Counter
  state: n = 0
  /// Restarted after a crash (actors are not, by default).
  class supervisionPolicy => #transient
  /// Adds one.
  increment => self.n := self.n + 1
  n => self.n
  terminate => Transcript showLine: \"counter stopping at {self.n}\"
  nap: ms => Erlang timer sleep: ms. #woke
  class category => #Counting
";

fn loaded() -> Project {
    Project::with_loaded("counter.bt", COUNTER)
}

fn eval(p: &Project, expr: &str) -> String {
    p.eval_ok(expr)
}

#[test]
fn a_named_actor_is_found_by_name_from_a_later_connection() {
    let p = loaded();
    eval(
        &p,
        "c := (Counter spawnAs: #main) unwrap. c increment. c increment",
    );
    assert_eq!(eval(&p, "(Counter named: #main) unwrap n"), "2");
    assert_eq!(eval(&p, "Actor allRegistered"), "#(#main)");
    assert_eq!(eval(&p, "(Actor named: #main) unwrap == c"), "true");
    // A lookup answers a Result too: nobody of that name, or somebody of another class, is an error.
    assert_eq!(
        eval(&p, "(Counter named: #other) error kind"),
        "name_not_registered"
    );
    eval(&p, "Actor subclass: Other");
    assert_eq!(eval(&p, "(Other named: #main) error kind"), "wrong_class");
    // Spawning answers a Result: a name in use is an error Result, not an exception.
    let taken = eval(&p, "Counter spawnAs: #main");
    assert!(
        taken.starts_with("Result error: Error: Counter cannot be spawned as #main"),
        "{taken}"
    );
    assert_eq!(eval(&p, "(Counter spawnAs: #main) isError"), "true");
}

#[test]
fn a_killed_actor_is_restarted_under_its_name_and_the_old_reference_raises_actor_dead() {
    let p = loaded();
    eval(&p, "c := (Counter spawnAs: #main) unwrap. c increment");
    assert_eq!(eval(&p, "c isAlive"), "true");
    eval(&p, "c kill");
    // Its host restarts it (its class's policy restarts a crash), fresh, under the same name.
    p.eventually_ok(
        "(Counter named: #main) isError ifTrue: [#none] ifFalse: [(Counter named: #main) unwrap n]",
        "0",
    );
    assert_eq!(eval(&p, "c isAlive"), "false");
    assert_eq!(
        eval(&p, "[c n] on: ActorDead do: [:e | e class]"),
        "ActorDead"
    );
}

#[test]
fn a_call_through_a_name_waits_out_a_restart() {
    let p = Project::with_loaded(
        "named.bt",
        &format!(
            "{COUNTER}\nSupervisor subclass: Named\n  class children => #((Counter supervisionSpec withName: #sup))\n"
        ),
    );
    // Right after the kill the name is free (or still names the dying actor): the call waits for the
    // restarted one instead of failing.
    for _ in 0..5 {
        assert_eq!(
            eval(
                &p,
                "r := Counter named: #main. c := r isError ifTrue: [(Counter spawnAs: #main) unwrap] ifFalse: [r unwrap]. c increment. c kill. (Counter named: #main) unwrap n"
            ),
            "0"
        );
    }
    eval(&p, "Named supervise unwrap");
    // Within the supervisor's restart limit (3 in 5 s).
    for _ in 0..3 {
        assert_eq!(
            eval(
                &p,
                "(Counter named: #sup) unwrap increment. (Counter named: #sup) unwrap kill. (Counter named: #sup) unwrap n"
            ),
            "0"
        );
    }
    // A name nobody is restarting answers an error Result at once.
    assert_eq!(
        eval(
            &p,
            "(Counter named: #main) unwrap stop. (Counter named: #main) isError"
        ),
        "counter stopping at 0\ntrue"
    );
}

#[test]
fn stop_runs_terminate_and_ends_the_actor_for_good() {
    let p = loaded();
    eval(&p, "c := (Counter spawnAs: #main) unwrap. c increment");
    assert_eq!(eval(&p, "c stop"), "counter stopping at 1\nok");
    assert_eq!(eval(&p, "c isAlive"), "false");
    assert_eq!(eval(&p, "(Counter named: #main) isError"), "true");
    assert_eq!(eval(&p, "Actor allRegistered"), "#()");
}

#[test]
fn the_workspace_object_shows_actors_classes_and_bindings_shared_by_sessions() {
    let p = loaded();
    eval(
        &p,
        "a := Counter spawn. b := (Counter spawnAs: #bee) unwrap",
    );
    assert_eq!(eval(&p, "Workspace actors size"), "2");
    assert_eq!(eval(&p, "(Workspace actorsOf: Counter) size"), "2");
    assert_eq!(eval(&p, "(Workspace actorAt: #bee) == b"), "true");
    assert_eq!(eval(&p, "(Workspace actorAt: a pid) == a"), "true");
    assert_eq!(eval(&p, "Workspace classes"), "#(Counter)");
    assert_eq!(eval(&p, "(Workspace info) at: #actor_count"), "2");
    // A binding made by one session is seen by another: a REPL started afterwards.
    eval(&p, "Workspace bind: 42 as: #answer");
    let out = run_with_input(
        &mut p.cmd(&["repl"]),
        b"answer + 1\n(Workspace bindings) at: #answer\n",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("43\n") && text.contains("42\n"), "{text}");
    assert_eq!(eval(&p, "Workspace unbind: #answer"), "true");
    let (code, out, _, _) = run(&mut p.cmd(&["eval", "answer"]));
    assert_eq!(code, 1, "unbound: {out}");
    assert_eq!(
        eval(
            &p,
            "#(#changes, #load:, #name, #frob) collect: [:s | Workspace respondsTo: s]"
        ),
        "#(true, true, true, false)"
    );
}

#[test]
fn workspace_load_compiles_in_the_cli_of_the_evaluation_and_loads_into_the_node() {
    let p = loaded();
    let dir = p.project.path().join("more/deeper");
    std::fs::create_dir_all(&dir).expect("dirs");
    std::fs::write(
        dir.join("extra.bt"),
        "Object subclass: Extra\n  hi => \"hi\"\n",
    )
    .expect("write");
    std::fs::write(
        p.project.path().join("bad.bt"),
        "Object subclass: Bad\n  x => (\n",
    )
    .expect("write");
    std::fs::write(p.project.path().join("notes.txt"), "secret\n").expect("write");
    assert_eq!(eval(&p, "Workspace load: \"more\""), "#(Extra)");
    assert_eq!(eval(&p, "Extra new hi"), "hi");
    // From a REPL as well.
    let out = run_with_input(
        &mut p.cmd(&["repl"]),
        b"Workspace load: \"more/deeper/extra.bt\"\n",
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("#(Extra)"));
    // A syntax error names the file and line; nothing but .bt files is read.
    let (code, out, _, _) = run(&mut p.cmd(&["eval", "Workspace load: \"bad.bt\""]));
    assert_eq!(code, 1);
    assert!(out.contains("load_failed: bad.bt:2:"), "{out}");
    let (code, out, _, _) = run(&mut p.cmd(&["eval", "Workspace load: \"notes.txt\""]));
    assert_eq!(code, 1);
    assert!(
        out.contains("not a .bt file") && !out.contains("secret"),
        "{out}"
    );
}

/// `compile:source:` and `removeSelector:` change a loaded class from Beamtalk code (the CLI running the
/// evaluation compiles), and live actors of the class follow.
#[test]
fn classes_are_changed_from_code_and_live_actors_follow() {
    let p = loaded();
    eval(&p, "c := Counter spawn. c increment");
    assert_eq!(
        eval(
            &p,
            "Counter compile: #increment source: \"increment => self.n := self.n + 10\""
        ),
        "Counter"
    );
    assert_eq!(
        eval(&p, "c increment. c n"),
        "11",
        "the live actor runs the new method"
    );
    assert_eq!(
        eval(&p, "(Counter >> #increment) source"),
        "increment => self.n := self.n + 10"
    );
    // A body alone makes a unary method; edits chain in a cascade.
    eval(
        &p,
        "Counter compile: #double source: \"self.n * 2\"; compile: #half source: \"self.n / 2\"",
    );
    assert_eq!(eval(&p, "#(c double, c half)"), "#(22, 5.5)");
    assert_eq!(eval(&p, "Counter removeSelector: #double"), "Counter");
    assert_eq!(eval(&p, "c respondsTo: #double"), "false");
    assert_eq!(
        eval(&p, "#(c n, c half)"),
        "#(11, 5.5)",
        "the actor kept its state"
    );
    // What is not there to remove, or does not compile, is an error that changes nothing.
    let (code, out, _, _) = run(&mut p.cmd(&["eval", "Counter removeSelector: #double"]));
    assert_eq!(code, 1);
    assert!(
        out.starts_with("ERROR: selector_not_found: Counter does not define #double"),
        "{out}"
    );
    assert_eq!(
        eval(&p, "Counter removeSelector: #double ifAbsent: [#absent]"),
        "absent"
    );
    let (code, out, _, _) = run(&mut p.cmd(&["eval", "Counter compile: #n source: \"n => (\""]));
    assert_eq!(code, 1);
    assert!(
        out.contains("compile_error: Counter: the source does not parse"),
        "{out}"
    );
    let (_, out, _, _) = run(&mut p.cmd(&["eval", "Counter compile: #n source: \"m => 1\""]));
    assert!(out.contains("the source defines #m, not #n"), "{out}");
    assert_eq!(eval(&p, "c n"), "11");
    // A built-in class's extension methods come and go the same way.
    eval(
        &p,
        "Integer compile: #triple source: \"triple => self * 3\"",
    );
    assert_eq!(eval(&p, "4 triple"), "12");
    eval(&p, "Integer removeSelector: #triple");
    assert_eq!(eval(&p, "4 respondsTo: #triple"), "false");
}

/// A method changed in the workspace is logged; the log outlives a restart of the workspace; a flush
/// writes the method into its file exactly, every other byte kept, and the file loads in a new
/// workspace; a file edited on disk meanwhile is a conflict that writes nothing and keeps the change.
#[test]
fn changes_are_logged_survive_a_restart_and_flush_into_their_files() {
    let p = loaded();
    let file = p.project.path().join("counter.bt");
    assert!(eval(&p, "Counter sourceFile").ends_with("/counter.bt"));
    eval(&p, "Counter >> increment => self.n := self.n + 10");
    eval(&p, "Counter tryCompile: #probe source: \"probe => 1\"");
    assert_eq!(eval(&p, "Workspace changes size"), "2");
    assert_eq!(
        eval(&p, "Workspace changes dirtyMethods"),
        "#(\"Counter>>increment\")"
    );
    eval(&p, "Counter class >> fresh => self spawn");
    let (code, out, err, _) = run(&mut p.cmd(&["workspace", "changes"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("compile Counter>>increment ["), "{out}");
    assert!(out.contains("compile Counter>>probe (ephemeral)"), "{out}");
    assert!(out.contains("compile Counter class>>fresh ["), "{out}");

    // A restart keeps the durable changes (the ephemeral one described memory the restart lost).
    let (code, _, err, _) = run(&mut p.cmd(&["workspace", "stop", "--all"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(eval(&p, "Workspace changes size"), "2");

    let (code, out, err, _) = run(&mut p.cmd(&["workspace", "flush"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Flushed 2 change(s) into"), "{out}");
    let written = std::fs::read_to_string(&file).expect("read");
    assert_eq!(
        written,
        format!(
            "{}  class fresh => self spawn\n",
            COUNTER.replace(
                "increment => self.n := self.n + 1",
                "increment => self.n := self.n + 10"
            )
        )
    );
    assert_eq!(eval(&p, "Workspace changes dirtyMethods"), "#()");
    let (code, out, _, _) = run(&mut p.cmd(&["workspace", "flush"]));
    assert_eq!((code, out.trim()), (0, "Nothing to flush."));
    run(&mut p.cmd(&["workspace", "stop", "--all"]));
    let (code, _, err, _) = run(&mut p.cmd(&["load", "counter.bt"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(eval(&p, "c := Counter spawn. c increment. c n"), "10");

    // Edited on disk since it was loaded: nothing is written, the change waits.
    eval(&p, "Counter >> n => self.n + 0");
    let edited = format!("{written}// edited by hand\n");
    std::fs::write(&file, &edited).expect("write");
    let (code, out, _, _) = run(&mut p.cmd(&["workspace", "flush"]));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("changed on disk since it was loaded"), "{out}");
    assert_eq!(std::fs::read_to_string(&file).expect("read"), edited);
    assert_eq!(
        eval(&p, "Workspace changes dirtyMethods"),
        "#(\"Counter>>n\")"
    );
    // A restart loads the file as it is now; the change still knows the file it was made against.
    run(&mut p.cmd(&["workspace", "stop", "--all"]));
    let (code, _, err, _) = run(&mut p.cmd(&["load", "counter.bt"]));
    assert_eq!(code, 0, "{err}");
    let (code, out, _, _) = run(&mut p.cmd(&["workspace", "flush"]));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("changed on disk since it was loaded"), "{out}");
    assert_eq!(std::fs::read_to_string(&file).expect("read"), edited);
}

/// `Workspace newClass:at:` makes a class whose file the next flush writes, with the methods changed
/// since; a path outside the project, one that exists, or one not named after the class is refused.
/// `reload` loads a class again from its file.
#[test]
fn a_class_made_in_the_workspace_gets_its_file_at_the_next_flush() {
    let p = loaded();
    let made = eval(
        &p,
        "Workspace newClass: \"Object subclass: Fresh\n  hi => 1\" at: \"fresh.bt\"",
    );
    assert_eq!(made, "Fresh");
    eval(&p, "Fresh >> hi => 2");
    eval(&p, "Fresh >> bye => 3");
    assert_eq!(eval(&p, "#(Fresh new hi, Fresh new bye)"), "#(2, 3)");
    let refused = |expr: &str, why: &str| {
        let (code, out, _, _) = run(&mut p.cmd(&["eval", expr]));
        assert_eq!(code, 1, "{expr}: {out}");
        assert!(
            out.contains("new_class_refused") && out.contains(why),
            "{expr}: {out}"
        );
    };
    refused(
        "Workspace newClass: \"Object subclass: Other\" at: \"fresh.bt\"",
        "must be named after its class",
    );
    refused(
        "Workspace newClass: \"Object subclass: Counter\" at: \"counter.bt\"",
        "exists already",
    );
    refused(
        "Workspace newClass: \"Object subclass: Out\" at: \"/tmp/out.bt\"",
        "outside the project",
    );
    let (code, out, err, _) = run(&mut p.cmd(&["workspace", "flush"]));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        std::fs::read_to_string(p.project.path().join("fresh.bt")).expect("written"),
        "Object subclass: Fresh\n  hi => 2\n  bye => 3\n"
    );
    // The file is the class's source now: a reload reads it (an edit on disk shows).
    std::fs::write(
        p.project.path().join("fresh.bt"),
        "Object subclass: Fresh\n  hi => 4\n",
    )
    .expect("write");
    assert_eq!(eval(&p, "Fresh reload. Fresh new hi"), "4");
}

/// `Workspace moveClass:to:` (ADR 0114) keeps the class and its name; the next flush moves its file,
/// with the methods changed since, and removes the old one. A move is refused for a path that breaks
/// `newClass:at:`'s rules or a file that holds other classes too, and can be taken back before a flush.
#[test]
fn a_class_is_moved_to_another_file_at_the_next_flush() {
    let p = loaded();
    let dir = p.project.path();
    std::fs::create_dir(dir.join("lib")).expect("mkdir");
    assert_eq!(
        eval(&p, "Workspace moveClass: Counter to: \"lib/counter.bt\""),
        "Counter"
    );
    assert_eq!(
        eval(&p, "Workspace changes last printString"),
        format!(
            "move class Counter to {}",
            dir.canonicalize()
                .expect("dir")
                .join("lib/counter.bt")
                .display()
        )
    );
    eval(&p, "Counter >> n => self.n + 100");
    let refused = |expr: &str, why: &str| {
        let (code, out, _, _) = run(&mut p.cmd(&["eval", expr]));
        assert_eq!(code, 1, "{expr}: {out}");
        assert!(
            out.contains("move_class_refused") && out.contains(why),
            "{expr}: {out}"
        );
    };
    refused(
        "Workspace moveClass: Counter to: \"lib/other.bt\"",
        "must be named after its class",
    );
    refused(
        "Workspace moveClass: Counter to: \"/tmp/counter.bt\"",
        "outside the project",
    );
    std::fs::write(
        dir.join("pair.bt"),
        "Object subclass: One\n  a => 1\n\nObject subclass: Two\n  b => 2\n",
    )
    .expect("write");
    let (code, out, err, _) = run(&mut p.cmd(&["load", "pair.bt"]));
    assert_eq!(code, 0, "{out}{err}");
    refused("Workspace moveClass: One to: \"one.bt\"", "holds Two too");

    let (code, out, err, _) = run(&mut p.cmd(&["workspace", "flush"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("Moved ") && out.contains("lib/counter.bt"),
        "{out}"
    );
    assert!(!dir.join("counter.bt").exists(), "the old file is gone");
    let moved = std::fs::read_to_string(dir.join("lib/counter.bt")).expect("moved");
    assert!(moved.contains("n => self.n + 100"), "{moved}");
    assert!(moved.contains("/// Counts, held by an actor."), "{moved}");
    assert!(
        eval(&p, "Counter sourceFile")
            .trim_matches('"')
            .ends_with("lib/counter.bt")
    );
    // The moved file is the class's source now: it loads in a fresh workspace.
    let (code, out, err, _) = run(&mut p.cmd(&["load", "lib/counter.bt"]));
    assert_eq!(code, 0, "{out}{err}");

    // A move taken back before a flush leaves the file where it is.
    eval(&p, "Workspace moveClass: Counter to: \"Counter.bt\"");
    eval(&p, "Workspace changes revert: Workspace changes last");
    let (code, out, err, _) = run(&mut p.cmd(&["workspace", "flush"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        dir.join("lib/counter.bt").exists() && !dir.join("Counter.bt").exists(),
        "{out}"
    );
}

/// Reverting the making of a class that was never flushed takes it out again and leaves nothing for a
/// flush to write: no file, no removal to report.
#[test]
fn a_new_class_is_reverted_and_nothing_is_left_to_flush() {
    let p = loaded();
    eval(
        &p,
        "Workspace newClass: \"Object subclass: Brief\n  hi => 1\" at: \"brief.bt\"",
    );
    eval(&p, "Brief >> hi => 2");
    assert_eq!(eval(&p, "Brief new hi"), "2");
    assert_eq!(
        eval(
            &p,
            "l := Workspace changes. l revert: (l select: [:e | e kind = #new_class]) first"
        ),
        "nil"
    );
    let (code, out, _, _) = run(&mut p.cmd(&["eval", "Brief new hi"]));
    assert_eq!(code, 1, "the class is gone: {out}");
    let (code, out, err, _) = run(&mut p.cmd(&["workspace", "flush"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(!p.project.path().join("brief.bt").exists(), "{out}");
    assert!(!out.contains("Brief"), "nothing about it to report: {out}");
}

/// `removeFromSystem` takes a loaded class out of the workspace (its actors stopped), refuses one with
/// subclasses or from the standard library, logs the removal, and leaves the file to its owner.
#[test]
fn a_class_is_removed_from_the_system() {
    let p = loaded();
    std::fs::write(
        p.project.path().join("sub.bt"),
        "Counter subclass: Sub\n  x => 1\n",
    )
    .expect("write");
    let (code, _, err, _) = run(&mut p.cmd(&["load", "sub.bt"]));
    assert_eq!(code, 0, "{err}");
    eval(&p, "c := Counter spawn. c increment");
    let refused = |expr: &str, kind: &str| {
        let (code, out, _, _) = run(&mut p.cmd(&["eval", expr]));
        assert_eq!(code, 1, "{expr}: {out}");
        assert!(out.starts_with(&format!("ERROR: {kind}")), "{expr}: {out}");
    };
    refused("Counter removeFromSystem", "has_subclasses");
    refused("Integer removeFromSystem", "cannot_remove");
    assert_eq!(eval(&p, "Sub removeFromSystem"), "nil");
    // Its actor is stopped: its `terminate` runs.
    assert_eq!(
        eval(&p, "Counter removeFromSystem"),
        "counter stopping at 1\nnil"
    );
    assert_eq!(eval(&p, "c isAlive"), "false");
    refused("Counter new", "unknown_class");
    assert_eq!(eval(&p, "Workspace classes"), "#()");
    let (code, out, _, _) = run(&mut p.cmd(&["workspace", "flush"]));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Kept: Counter was removed from the workspace")
            && out.contains("--include-destructive"),
        "{out}"
    );
    assert!(
        p.project.path().join("counter.bt").exists(),
        "a plain flush deletes nothing"
    );
    // Loaded again, it is back.
    let (code, _, err, _) = run(&mut p.cmd(&["load", "counter.bt"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(eval(&p, "Counter spawn increment"), "1");
}

/// ADR 0113: a removed class leaves its file only when a flush is told it may delete; a file of other
/// classes too keeps them, one that held nothing else goes, and a removal not flushed yet is reverted by
/// loading the file again.
#[test]
fn a_removed_class_leaves_its_file_only_when_the_flush_says_so() {
    let p = loaded();
    let shared = p.project.path().join("shared.bt");
    std::fs::write(
        &shared,
        "/// Kept.\nObject subclass: Keep\n  k => 1\n\n/// Goes.\nObject subclass: Gone\n  g => 2\n",
    )
    .expect("write");
    let (code, _, err, _) = run(&mut p.cmd(&["load", "shared.bt"]));
    assert_eq!(code, 0, "{err}");
    let counter = p.project.path().join("counter.bt");
    // Taken back before any flush: the class loads from its file again.
    assert_eq!(eval(&p, "Counter removeFromSystem"), "nil");
    assert_eq!(
        eval(
            &p,
            "l := Workspace changes. l revert: (l select: [:e | e kind = #remove_class]) last. \
             Counter spawn increment"
        ),
        "1"
    );
    assert_eq!(
        eval(
            &p,
            "(Workspace changes select: [:e | e kind = #remove_class]) size"
        ),
        "0"
    );
    eval(&p, "Counter removeFromSystem. Gone removeFromSystem");
    let (code, out, _, _) = run(&mut p.cmd(&["workspace", "flush"]));
    assert_eq!(code, 0, "{out}");
    assert!(counter.exists() && shared.exists(), "{out}");
    let (code, out, _, _) =
        run(&mut p.cmd(&["--json", "workspace", "flush", "--include-destructive"]));
    assert_eq!(code, 0, "{out}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(report["deleted"].as_array().map(Vec::len), Some(1), "{out}");
    assert!(!counter.exists(), "the file of a class removed is deleted");
    assert_eq!(
        std::fs::read_to_string(&shared).expect("read"),
        "/// Kept.\nObject subclass: Keep\n  k => 1\n\n",
        "the other class of a shared file stays, with its comment"
    );
    let leftovers: Vec<_> = std::fs::read_dir(p.project.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("tmp-delete"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(
        eval(
            &p,
            "(Workspace changes select: [:e | e isFlushed not]) collect: [:e | e kind]"
        ),
        "#()"
    );
    assert_eq!(eval(&p, "Keep new k"), "1");

    // From Beamtalk: `flush:` alone keeps the removal, `confirmDestructive: true` applies it. A delete
    // that stopped half-way (its staged text left beside the file) is finished; a file that went some
    // other way is what the removal wanted.
    for name in ["one", "two", "three"] {
        let class = format!("{}{}", name[..1].to_uppercase(), &name[1..]);
        std::fs::write(
            p.project.path().join(format!("{name}.bt")),
            format!("Object subclass: {class}\n  x => 1\n"),
        )
        .expect("write");
        let (code, _, err, _) = run(&mut p.cmd(&["load", &format!("{name}.bt")]));
        assert_eq!(code, 0, "{err}");
        eval(&p, &format!("{class} removeFromSystem"));
    }
    let kept = eval(&p, "Workspace flush: One");
    assert!(kept.contains("Kept: One"), "{kept}");
    assert!(p.project.path().join("one.bt").exists());
    let deleted = eval(&p, "Workspace flush: One confirmDestructive: true");
    assert!(
        deleted.contains("Deleted") && deleted.contains("one.bt"),
        "{deleted}"
    );
    assert!(!p.project.path().join("one.bt").exists());
    let id = eval(
        &p,
        "((Workspace changes select: [:e | e className = #Two]) last) id",
    );
    let two = p.project.path().join("two.bt");
    std::fs::rename(
        &two,
        p.project.path().join(format!("two.bt.tmp-delete-{id}")),
    )
    .expect("stage");
    std::fs::remove_file(p.project.path().join("three.bt")).expect("rm");
    let report = eval(&p, "Workspace flushIncludingDestructive");
    assert!(
        report.contains("Deleted")
            && report.contains("two.bt")
            && report.contains("three.bt was gone already"),
        "{report}"
    );
    assert!(
        !p.project
            .path()
            .join(format!("two.bt.tmp-delete-{id}"))
            .exists()
    );
    assert_eq!(
        eval(&p, "Workspace flushIncludingDestructive"),
        "Nothing to flush."
    );
}

/// A flush writes only inside the workspace's project: a class loaded from elsewhere keeps its file.
#[test]
fn a_flush_never_writes_outside_the_project() {
    let p = loaded();
    let elsewhere = tempfile::tempdir().expect("dir");
    let file = elsewhere.path().join("other.bt");
    let src = "Object subclass: Other\n  hi => 1\n";
    std::fs::write(&file, src).expect("write");
    let (code, _, err, _) = run(&mut p.cmd(&["load", file.to_str().expect("utf8")]));
    assert_eq!(code, 0, "{err}");
    eval(&p, "Other >> hi => 2");
    let (code, out, _, _) = run(&mut p.cmd(&["workspace", "flush"]));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("Not flushed") && out.contains("other.bt"),
        "{out}"
    );
    assert_eq!(std::fs::read_to_string(&file).expect("read"), src);
    assert_eq!(
        eval(&p, "Workspace changes dirtyMethods"),
        "#(\"Other>>hi\")"
    );
}

/// `revert:` puts a changed method back as it was, and takes an added one away; the revert is logged.
#[test]
fn a_change_is_reverted_from_the_change_log() {
    let p = loaded();
    eval(&p, "c := Counter spawn");
    eval(&p, "Counter >> increment => self.n := self.n + 5");
    eval(&p, "Counter >> triple => self.n * 3");
    assert_eq!(eval(&p, "c increment. c n"), "5");
    assert_eq!(
        eval(&p, "Workspace changes revert: Workspace changes first"),
        "Counter"
    );
    assert_eq!(
        eval(&p, "c increment. c n"),
        "6",
        "the method as it was before"
    );
    assert_eq!(
        eval(&p, "(Counter >> #increment) source"),
        "increment => self.n := self.n + 1"
    );
    eval(
        &p,
        "l := Workspace changes. l revert: (l select: [:e | e selector = #triple]) first",
    );
    assert_eq!(
        eval(&p, "c respondsTo: #triple"),
        "false",
        "an added method goes"
    );
    assert_eq!(
        eval(
            &p,
            "(Workspace changes collect: [:e | e printString]) asList"
        ),
        "#(\"compile Counter>>increment\", \"compile Counter>>triple\", \"compile Counter>>increment\", \"remove Counter>>triple\")"
    );
}

/// `Counter class` is the class side as an object of its own (a metaclass): it reflects, and its methods
/// are read, compiled, removed (flushed out of the file) and reverted like the instance side's.
#[test]
fn the_class_side_is_a_metaclass_whose_methods_are_edited_like_any_others() {
    let p = loaded();
    assert_eq!(eval(&p, "Counter class"), "Counter class");
    assert_eq!(eval(&p, "Counter class isMeta"), "true");
    assert_eq!(eval(&p, "Counter isMeta"), "false");
    assert_eq!(eval(&p, "Counter class isClass"), "false");
    assert_eq!(eval(&p, "Counter class instanceClass"), "Counter");
    assert_eq!(eval(&p, "Counter class name"), "Counter class");
    // The tower grounds: the class of a metaclass's class is itself.
    assert_eq!(
        eval(&p, "Counter class class == Counter class class class"),
        "true"
    );
    assert_eq!(
        eval(&p, "Counter class selectors"),
        "#(#category, #supervisionPolicy)"
    );
    assert_eq!(
        eval(&p, "(Counter class >> #category) source"),
        "category => #Counting"
    );
    eval(&p, "Counter class compile: #limit source: \"limit => 10\"");
    assert_eq!(eval(&p, "Counter limit"), "10");
    eval(&p, "Counter class removeSelector: #category");
    assert_eq!(
        eval(&p, "Counter category"),
        "nil",
        "what every class answers shows again"
    );
    assert_eq!(
        eval(
            &p,
            "(Counter class removeSelector: #category ifAbsent: [#gone]) printString"
        ),
        "#gone"
    );
    // A revert puts the removed method back, or removes the one a change added.
    assert_eq!(
        eval(
            &p,
            "l := Workspace changes. l revert: (l select: [:e | e selector = #category]) first"
        ),
        "Counter"
    );
    assert_eq!(eval(&p, "Counter category"), "Counting");
    assert_eq!(
        eval(
            &p,
            "l := Workspace changes. l revert: (l select: [:e | e selector = #limit]) first"
        ),
        "Counter"
    );
    assert_eq!(eval(&p, "Counter class includesSelector: #limit"), "false");
    // Removed for good and flushed: the method leaves the file, the rest of it stays as it was.
    eval(&p, "Counter class removeSelector: #category");
    let (code, out, err, _) = run(&mut p.cmd(&["workspace", "flush"]));
    assert_eq!(code, 0, "{out}{err}");
    let file = std::fs::read_to_string(p.project.path().join("counter.bt")).expect("read");
    assert!(!file.contains("category"), "{file}");
    assert!(
        file.contains("class supervisionPolicy => #transient"),
        "{file}"
    );
}

/// `renameSelector:to:` (ADR 0114) renames a method and the `self`/`super` sends of it in the class and
/// its subclasses while live actors go on; a sender elsewhere is left for review; with an override in a
/// subclass only the definition is renamed; a taken name or another shape is refused; a flush writes it.
#[test]
fn a_method_is_renamed_with_the_sends_that_can_only_mean_it() {
    let p = Project::with_loaded(
        "counter.bt",
        "Actor subclass: Tally\n  state: n = 0\n  increment => self.n := self.n + 1\n  twice => self increment. self increment\n  n => self.n\n\nTally subclass: Loud\n  thrice => self twice. super increment\n\nObject subclass: User\n  use: c => c increment\n",
    );
    eval(&p, "c := Loud spawn. c thrice");
    assert_eq!(
        eval(&p, "Tally renameSelector: #increment to: #bump"),
        "Tally"
    );
    assert_eq!(
        eval(&p, "c bump. c thrice. c n"),
        "7",
        "the live actor follows"
    );
    assert_eq!(
        eval(&p, "(Tally >> #twice) source"),
        "twice => self bump. self bump"
    );
    assert_eq!(
        eval(&p, "(Loud >> #thrice) source"),
        "thrice => self twice. super bump"
    );
    assert_eq!(
        eval(
            &p,
            "(SystemNavigation default sendersOf: #increment) first printString"
        ),
        "User>>use:",
        "a send to anything else is for a person to review"
    );
    let refused = |expr: &str, why: &str| {
        let (code, out, _, _) = run(&mut p.cmd(&["eval", expr]));
        assert_eq!(code, 1, "{expr}: {out}");
        assert!(out.contains(why), "{expr}: {out}");
    };
    refused(
        "Tally renameSelector: #bump to: #twice",
        "already defines #twice",
    );
    refused(
        "Tally renameSelector: #bump to: #bump:",
        "take different arguments",
    );
    refused(
        "Tally renameSelector: #nothing to: #x",
        "selector_not_found",
    );
    // An override in a subclass: its callers may mean it, so only the definition moves.
    eval(&p, "Loud >> twice => #loud");
    eval(&p, "Tally renameSelector: #twice to: #double");
    assert_eq!(
        eval(&p, "(Loud >> #thrice) source"),
        "thrice => self twice. super bump"
    );
    let (code, out, err, _) = run(&mut p.cmd(&["workspace", "flush"]));
    assert_eq!(code, 0, "{out}{err}");
    let file = std::fs::read_to_string(p.project.path().join("counter.bt")).expect("read");
    assert!(file.contains("  bump => self.n := self.n + 1"), "{file}");
    assert!(file.contains("  double => self bump. self bump"), "{file}");
    assert!(!file.contains("increment =>"), "{file}");
    assert!(file.contains("use: c => c increment"), "{file}");
}

/// A table made by one evaluation (a process that ends with it) is there for the next: the workspace
/// inherits it.
#[test]
fn a_table_made_at_the_prompt_outlives_the_evaluation_that_made_it() {
    let p = loaded();
    eval(&p, "t := Ets new: #shared type: #set. t at: #a put: 1");
    assert_eq!(eval(&p, "(Ets named: #shared) at: #a"), "1");
    eval(&p, "c := AtomicCounter new: #hits. c increment");
    assert_eq!(eval(&p, "(AtomicCounter named: #hits) incrementBy: 2"), "3");
    eval(&p, "(Ets named: #shared) delete");
    let (code, out, _, _) = run(&mut p.cmd(&["eval", "Ets named: #shared"]));
    assert_eq!(code, 1);
    assert!(out.contains("no_such_table"), "{out}");
}

#[test]
fn workspace_load_reads_nothing_outside_the_project() {
    let p = loaded();
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        outside.path().join("far.bt"),
        "Object subclass: Far\n  hi => 1\n",
    )
    .expect("write");
    std::fs::write(outside.path().join("key.txt"), "TOPSECRET\n").expect("write");
    let far = outside.path().join("far.bt").display().to_string();
    let (code, out, _, _) = run(&mut p.cmd(&["eval", &format!("Workspace load: \"{far}\"")]));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("outside"), "{out}");
    // A symlink in the project named .bt that leads elsewhere is refused and never quoted.
    std::os::unix::fs::symlink(
        outside.path().join("key.txt"),
        p.project.path().join("x.bt"),
    )
    .expect("symlink");
    let (code, out, _, _) = run(&mut p.cmd(&["eval", "Workspace load: \"x.bt\""]));
    assert_eq!(code, 1, "{out}");
    assert!(!out.contains("TOPSECRET"), "{out}");
    assert!(out.contains("x.bt"), "{out}");
    let (code, out, _, _) = run(&mut p.cmd(&["eval", "Workspace load: \"..\""]));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("outside"), "{out}");
    assert_eq!(eval(&p, "Beamtalk classNamed: #Far"), "nil");
}

#[test]
fn beamtalk_answers_about_the_system_and_helps_with_a_class() {
    let p = loaded();
    assert_eq!(
        eval(&p, "Beamtalk version"),
        env!("CARGO_PKG_VERSION"),
        "the runtime's version"
    );
    assert_eq!(eval(&p, "Beamtalk classNamed: #Counter"), "Counter");
    assert_eq!(eval(&p, "Beamtalk classNamed: \"Counter\""), "Counter");
    assert_eq!(eval(&p, "Beamtalk classNamed: #Nope"), "nil");
    assert_eq!(eval(&p, "(Beamtalk allClasses) includes: Counter"), "true");
    assert_eq!(eval(&p, "(Beamtalk globals) at: #Counter"), "Counter");
    let help = eval(&p, "Beamtalk help: Counter");
    assert!(
        help.starts_with("Counter (Actor subclass)\n  Counts, held by an actor.\n  increment\n      Adds one.\n  n"),
        "{help}"
    );
    assert_eq!(
        eval(&p, "Beamtalk help: Counter selector: #increment"),
        "increment\n    Adds one."
    );
    let out = run_with_input(
        &mut p.cmd(&["repl"]),
        b":help Counter increment\n:help Nope\n",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("increment\n    Adds one."), "{text}");
    assert!(text.contains("ERROR: no class named Nope"), "{text}");
}

#[test]
fn system_navigation_follows_a_hot_reload() {
    let p = loaded();
    let nav = |what: &str| eval(&p, &format!("SystemNavigation default {what}"));
    // The sites in the project's classes (the standard library's own methods send and name things too).
    let sites = |what: &str| {
        eval(
            &p,
            &format!("(SystemNavigation default {what}) reject: [:r | r methodClass = Object]"),
        )
    };
    assert_eq!(nav("implementorsOf: #increment"), "#(Counter)");
    assert_eq!(nav("classesInCategory: #Counting"), "#(Counter)");
    assert_eq!(nav("classesInCategory: \"Counting\""), "#(Counter)");
    assert_eq!(nav("classesInCategory: #Other"), "#()");
    assert_eq!(sites("sendersOf: #showLine:"), "#(Counter>>terminate)");
    // Where: the line of the send in the class's file (line 9 of COUNTER).
    assert_eq!(
        eval(
            &p,
            "((SystemNavigation default sendersOf: #showLine:) detect: [:r | r methodClass = Counter]) line"
        ),
        "9"
    );
    assert_eq!(
        eval(
            &p,
            "(SystemNavigation default allSelectors) includes: #increment"
        ),
        "true"
    );
    // The class changes: `increment` goes, `bump` sends `showLine:` too.
    std::fs::write(
        p.project.path().join("counter.bt"),
        "Actor subclass: Counter\n  state: n = 0\n  bump => Transcript showLine: \"bump\". self.n := self.n + 1\n  n => self.n\n",
    )
    .expect("write");
    let (code, _, err, _) = run(&mut p.cmd(&["load", "counter.bt"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(nav("implementorsOf: #increment"), "#()");
    assert_eq!(nav("implementorsOf: #bump"), "#(Counter)");
    assert_eq!(sites("sendersOf: #showLine:"), "#(Counter>>bump)");
    assert_eq!(sites("referencesTo: #Transcript"), "#(Counter>>bump)");
    // A method edited live, and a class removed: the index follows both.
    eval(&p, "Counter >> n => Transcript showLine: \"n\". self.n");
    assert_eq!(
        sites("sendersOf: #showLine:"),
        "#(Counter>>bump, Counter>>n)"
    );
    eval(&p, "Counter removeFromSystem");
    assert_eq!(sites("sendersOf: #showLine:"), "#()");
    assert_eq!(nav("implementorsOf: #bump"), "#()");
}

#[test]
fn a_reference_with_a_timeout_raises_timeout_when_the_actor_takes_longer() {
    let p = loaded();
    eval(&p, "c := Counter spawn. t := c withTimeout: 200");
    assert_eq!(eval(&p, "t nap: 10"), "woke");
    assert_eq!(
        eval(&p, "[t nap: 2000] on: Timeout do: [:e | e messageText]"),
        "Counter did not answer #nap: within 200 ms"
    );
    // The plain reference keeps the default (5 s) and the actor lives on.
    assert_eq!(eval(&p, "c nap: 10"), "woke");
    assert_eq!(eval(&p, "t isAlive"), "true");
}

#[test]
fn session_current_tells_an_attached_repl_from_a_one_off_evaluation() {
    let p = loaded();
    assert_eq!(
        eval(&p, "Session current"),
        "Session(id: nil, kind: #eval, started: nil)"
    );
    let out = run_with_input(
        &mut p.cmd(&["repl"]),
        b"Session current kind\nWorkspace sessions size\n(Workspace sessions first) id = Session current id\nWorkspace currentSession id = Session current id\n",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("repl\n1\ntrue\ntrue\n"), "{text}");
}

#[test]
fn transcript_is_the_workspaces_actor_and_its_output_ends_its_line_before_the_result() {
    let p = loaded();
    let out = eval(&p, "Transcript show: \"hi\"");
    let (shown, result) = out.split_once('\n').expect("two lines");
    assert_eq!(shown, "hi");
    assert!(result.starts_with("Actor(TranscriptStream, <"), "{out}");
    assert_eq!(eval(&p, "Transcript class"), "TranscriptStream");
    assert!(
        eval(&p, "Transcript show: 1; show: \"+\"; print: \"2\"; cr")
            .starts_with("1+\"2\"\nActor(")
    );
    let (code, out, _, _) = run(&mut p.cmd(&["eval", "Transcript frob"]));
    assert_eq!(code, 1);
    assert!(
        out.contains("TranscriptStream does not understand #frob"),
        "{out}"
    );
    // What actors write with no REPL listening is kept: `recent` reads it as a List of lines (chapter
    // 22), `clear` drops it and answers nil.
    eval(
        &p,
        "c := Counter spawn. c terminate!. d := Counter spawn. d terminate!",
    );
    p.eventually_ok(
        "Transcript recent",
        "#(\"counter stopping at 0\", \"counter stopping at 0\")",
    );
    assert_eq!(eval(&p, "Transcript clear"), "nil");
    assert_eq!(eval(&p, "Transcript recent"), "#()");
}

/// A reference knows the name `spawnAs:` gave its actor, without calling it.
#[test]
fn an_actor_reference_tells_its_registered_name() {
    let p = loaded();
    assert_eq!(
        eval(&p, "c := (Counter spawnAs: #main) unwrap. c registeredName"),
        "main"
    );
    assert_eq!(eval(&p, "c isRegistered"), "true");
    assert_eq!(
        eval(
            &p,
            "d := Counter spawn. #(d isRegistered, d registeredName)"
        ),
        "#(false, nil)"
    );
}

#[test]
fn an_actor_that_monitors_another_hears_of_its_end_and_a_linked_one_ends_with_it() {
    let p = Project::with_loaded(
        "watch.bt",
        "Actor subclass: Worker\n  n => 0\n\nActor subclass: Watcher\n  state: seen = #()\n  watch: a => a monitor. #watching\n  actorDown: a reason: r => self.seen := self.seen , #(r)\n  seen => self.seen\n  follow: a => a link. #linked\n",
    );
    eval(
        &p,
        "w := Watcher spawn. x := Worker spawn. w watch: x. x kill",
    );
    p.eventually_ok("w seen", "#(#killed)");
    eval(
        &p,
        "f := Watcher spawn. y := Worker spawn. f follow: y. y kill",
    );
    p.eventually_ok("f isAlive", "false");
}

#[test]
fn inspect_shows_an_object_and_its_fields_and_answers_it() {
    let p = loaded();
    assert_eq!(
        eval(&p, "(Point x: 1 y: 2) inspect"),
        "Point(x: 1, y: 2)\n  x: 1\n  y: 2\nPoint(x: 1, y: 2)"
    );
    assert_eq!(eval(&p, "Erlang lists"), "#ErlangModule<lists>");
    assert!(eval(&p, "Erlang erlang self").starts_with("#Pid<"));
}

#[test]
fn an_error_signalled_by_its_class_is_printed_under_that_class() {
    let p = Project::with_loaded("errors.bt", "Error subclass: PaymentError\n");
    let (code, out, _, _) = run(&mut p.cmd(&["eval", "PaymentError signal: \"card declined\""]));
    assert_eq!(code, 1);
    assert_eq!(out.trim(), "ERROR: PaymentError: card declined");
    let (_, out, _, _) = run(&mut p.cmd(&["eval", "3 zork"]));
    assert_eq!(
        out.trim(),
        "ERROR: does_not_understand: Integer does not understand #zork"
    );
}

#[test]
fn a_name_that_is_no_class_is_an_error_where_it_shows() {
    let p = loaded();
    let (code, out, _, _) = run(&mut p.cmd(&["eval", "\"x{Nonesuch}\""]));
    assert_eq!(code, 1);
    assert_eq!(out.trim(), "ERROR: unknown_class: unknown class Nonesuch");
    assert_eq!(eval(&p, "3 class class"), "Integer class");
    assert_eq!(eval(&p, "#(Counter, Point)"), "#(Counter, Point)");
}

#[test]
fn a_long_lived_actor_keeps_no_stream_it_is_done_with() {
    let p = Project::with_loaded(
        "builder.bt",
        "Actor subclass: Builder\n  state: kept = nil\n  build => s := WriteStream on: \"\". s nextPutAll: \"x\". s contents\n  keep => self.kept := WriteStream on: \"\". self.kept nextPutAll: \"a\". 0\n  more => self.kept nextPutAll: \"b\". self.kept contents\n  dictSize => (Erlang erlang get) size\n",
    );
    p.eval_ok("b := Builder spawn. b build");
    let after_one: usize = p.eval_ok("b dictSize").parse().expect("a count");
    p.eval_ok("1 to: 300 do: [:i | b build]");
    let after_many: usize = p.eval_ok("b dictSize").parse().expect("a count");
    assert_eq!(
        after_many, after_one,
        "the dictionary does not grow per call"
    );
    // A stream the actor keeps in its state stays usable across messages.
    assert_eq!(p.eval_ok("b keep. b more"), "ab");
}

/// `Workspace flush` and `Workspace flush: aClass` from Beamtalk code write the same way the CLI's
/// flush does, and answer its report; a conflict is an error that names the file and keeps the change.
#[test]
fn workspace_flush_from_beamtalk_writes_a_class_or_all_and_reports() {
    let p = loaded();
    std::fs::write(
        p.project.path().join("other.bt"),
        "Object subclass: Other\n  hi => 1\n",
    )
    .expect("write");
    let (code, _, err, _) = run(&mut p.cmd(&["load", "other.bt"]));
    assert_eq!(code, 0, "{err}");
    eval(&p, "Counter >> n => self.n + 0");
    eval(&p, "Other >> hi => 2");
    let report = eval(&p, "Workspace flush: Other");
    assert!(
        report.starts_with("Flushed 1 change(s) into") && report.ends_with("other.bt"),
        "{report}"
    );
    assert_eq!(
        std::fs::read_to_string(p.project.path().join("other.bt")).expect("read"),
        "Object subclass: Other\n  hi => 2\n"
    );
    assert_eq!(
        eval(&p, "Workspace changes dirtyMethods"),
        "#(\"Counter>>n\")"
    );
    // The other class's file changed by hand meanwhile: nothing is written, the change is kept.
    let file = p.project.path().join("counter.bt");
    let edited = format!("{COUNTER}// edited by hand\n");
    std::fs::write(&file, &edited).expect("write");
    let refused = eval(&p, "[Workspace flush] on: Error do: [:e | e kind]");
    assert_eq!(refused, "flush_conflict");
    assert_eq!(std::fs::read_to_string(&file).expect("read"), edited);
    assert_eq!(
        eval(&p, "Workspace changes dirtyMethods"),
        "#(\"Counter>>n\")"
    );
    assert_eq!(eval(&p, "Workspace respondsTo: #flush:"), "true");
}

/// Chapter 22's `Workspace testClasses`, `test`, `test:` and `globals`.
#[test]
fn the_workspace_lists_and_runs_its_test_classes() {
    let p = Project::with_loaded(
        "add_test.bt",
        "TestCase subclass: AddTest\n  testAdds => self assert: 1 + 1 equals: 2\n  testBroken => self assert: 1 equals: 2\n",
    );
    assert_eq!(eval(&p, "Workspace testClasses"), "#(AddTest)");
    let all = eval(&p, "Workspace test");
    assert!(
        all.starts_with("1 passed, 1 failed") && all.contains("AddTest>>testBroken"),
        "{all}"
    );
    assert_eq!(eval(&p, "(Workspace test: AddTest) passed"), "1");
    assert_eq!(
        eval(&p, "[Workspace test: Integer] on: Error do: [:e | e kind]"),
        "not_a_test_class"
    );
    assert_eq!(eval(&p, "g := 7. Workspace globals at: #g"), "7");
}

/// `Workspace processes` (ADR 0092): the supervision tree as objects.
#[test]
fn workspace_processes_answers_the_supervision_tree_as_objects() {
    let p = Project::with_loaded(
        "app.bt",
        "Actor subclass: Worker\n  state: n = 0\n  n => self.n\n\nSupervisor subclass: App\n  class children => #(Worker)\n",
    );
    eval(&p, "App supervise. w := Worker spawn");
    let outline = eval(&p, "Workspace processes");
    let lines: Vec<&str> = outline.lines().collect();
    assert_eq!(lines.len(), 3, "{outline}");
    assert!(lines[0].starts_with("supervisor App <"), "{outline}");
    assert!(lines[1].starts_with("  actor Worker <"), "{outline}");
    assert!(lines[2].starts_with("actor Worker <"), "{outline}");
    assert_eq!(eval(&p, "Workspace processes size"), "3");
    assert_eq!(
        eval(&p, "Workspace processes supervisors first childCount"),
        "1"
    );
    assert_eq!(
        eval(
            &p,
            "(Workspace processes supervisors first childNodes first) behaviourClass"
        ),
        "Worker"
    );
    assert_eq!(
        eval(
            &p,
            "(Workspace processes actors collect: [:a | a isAlive]) size"
        ),
        "2"
    );
    assert_eq!(
        eval(&p, "Workspace processes printString"),
        "a SupervisionTree (3 processes)"
    );
}

/// ProcessNavigation (ADR 0092): the workspace's tree, the whole node's, and the tree under one process,
/// with each node's kind, class, parent and restart budget; a node bridges to the live supervisor and says
/// how its process is now; a root that is no process is an error Result.
#[test]
fn process_navigation_snapshots_the_workspace_the_node_and_a_subtree() {
    let p = Project::with_loaded(
        "app.bt",
        "Actor subclass: Worker\n  state: n = 0\n\nSupervisor subclass: App\n  class children => #(Worker)\n  class maxRestarts => 7\n",
    );
    eval(&p, "App supervise. w := Worker spawn");
    assert_eq!(
        eval(&p, "ProcessNavigation default tree root kind"),
        "workspace"
    );
    assert_eq!(
        eval(
            &p,
            "((ProcessNavigation default tree findClass: Worker) collect: [:n | n parent restartIntensity]) asList"
        ),
        "#(#{#maxRestarts => 7, #restartWindow => 5}, nil)"
    );
    assert_eq!(
        eval(
            &p,
            "ProcessNavigation default tree supervisors first strategy"
        ),
        "oneForOne"
    );
    assert_eq!(
        eval(
            &p,
            "(ProcessNavigation default tree supervisors first asSupervisor) == App current"
        ),
        "true"
    );
    assert_eq!(
        eval(
            &p,
            "(ProcessNavigation default tree actors first status at: #answers)"
        ),
        "true"
    );
    // The whole node: the applications' supervisors, foreign ones too, and the workspace's actors in it.
    assert_eq!(
        eval(
            &p,
            "(ProcessNavigation system tree nodesOfKind: #otpSupervisor) notEmpty"
        ),
        "true"
    );
    assert_eq!(
        eval(&p, "(ProcessNavigation system tree findClass: Worker) size"),
        "2"
    );
    assert_eq!(
        eval(&p, "(ProcessNavigation from: App current) unwrap tree size"),
        "2"
    );
    assert_eq!(
        eval(&p, "(ProcessNavigation from: w) unwrap tree root kind"),
        "beamtalkActor"
    );
    assert_eq!(
        eval(&p, "(ProcessNavigation from: 42) error"),
        "not_a_process"
    );
    eval(
        &p,
        "pid := (ProcessNavigation default tree findClass: Worker) last pid. w stop",
    );
    assert_eq!(
        eval(&p, "(ProcessNavigation from: pid) error"),
        "stale_handle"
    );
}

/// Chapter 22: the singletons' classes, and how compiled code reaches the singletons by name.
#[test]
fn the_singletons_have_classes_that_compiled_code_reaches_them_through() {
    let p = Project::with_loaded(
        "probe.bt",
        "Object subclass: Probe\n  count => WorkspaceInterface current classes size\n  version => BeamtalkInterface current version\n",
    );
    assert_eq!(eval(&p, "Workspace class"), "WorkspaceInterface");
    assert_eq!(eval(&p, "Beamtalk class"), "BeamtalkInterface");
    assert_eq!(eval(&p, "WorkspaceInterface current == Workspace"), "true");
    assert_eq!(eval(&p, "TranscriptStream current == Transcript"), "true");
    assert_eq!(eval(&p, "Probe new count"), "1");
    assert_eq!(eval(&p, "Probe new version = Beamtalk version"), "true");
    // A session's bindings are the workspace's.
    assert_eq!(
        eval(&p, "shared := 5. Session current bindings at: #shared"),
        "5"
    );
}

/// `Workspace bind: v as: #Name` makes a global: a capitalised name no class has reaches the bound value
/// from every session; the names of classes and the system's globals cannot be taken; a name bound to
/// nothing is still an unknown class.
#[test]
fn a_bound_name_is_a_global_every_session_resolves() {
    let p = loaded();
    eval(&p, "Workspace bind: #(1, 2, 3) as: #Config");
    assert_eq!(eval(&p, "Config size"), "3");
    assert_eq!(eval(&p, "Config inject: 0 into: [:a :b | a + b]"), "6");
    for taken in ["Counter", "Transcript", "Integer"] {
        let (code, out, _, _) =
            run(&mut p.cmd(&["eval", &format!("Workspace bind: 1 as: #{taken}")]));
        assert_eq!(code, 1, "{taken}: {out}");
        assert!(out.contains("name_taken"), "{out}");
    }
    assert_eq!(eval(&p, "Counter spawn n"), "0");
    let (code, out, _, _) = run(&mut p.cmd(&["eval", "Nowhere size"]));
    assert_eq!(code, 1);
    assert!(out.contains("unknown_class"), "{out}");
    eval(&p, "Workspace unbind: #Config");
    let (code, out, _, _) = run(&mut p.cmd(&["eval", "Config size"]));
    assert_eq!(code, 1);
    assert!(out.contains("unknown_class"), "{out}");
}
