//! Durable actors (`spawnPersistentAs:`): their state is on disk, in the workspace's Mnesia store, before
//! a call that changed it answers, and comes back with the actor after a crash of the actor, `kill -9`
//! of the node, `workspace stop`, a rename, or a load of its class on a new node.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::Duration;

use common::{Project, run};

const ACCOUNT: &str = "\
Actor subclass: Account
  state: balance = 0
  state: note = nil
  deposit: n => self.balance := self.balance + n
  balance => self.balance
  note => self.note
  keep: x => self.note := x
";

/// The same class, one slot more, and a migration that marks the actors it migrated.
const ACCOUNT_V2: &str = "\
Actor subclass: Account
  state: balance = 0
  state: note = nil
  state: migrated = false
  deposit: n => self.balance := self.balance + n
  balance => self.balance
  note => self.note
  keep: x => self.note := x
  migrated => self.migrated
  migrateFrom: old => self.migrated := true
";

/// A workspace `name` of a project holding `acct.bt`.
struct Durable {
    p: Project,
    name: &'static str,
}

impl Durable {
    fn new(name: &'static str) -> Self {
        let d = Self {
            p: Project::new(),
            name,
        };
        d.write_class(ACCOUNT);
        d.create();
        d.load();
        d
    }

    fn write_class(&self, src: &str) {
        std::fs::write(self.p.project.path().join("acct.bt"), src).expect("write acct.bt");
    }

    fn ok(&self, args: &[&str]) -> String {
        let (code, out, err, _) = run(&mut self.p.cmd(args));
        assert_eq!(code, 0, "beamtalk {args:?}: {out}{err}");
        out
    }

    fn create(&self) {
        self.ok(&["workspace", "create", self.name]);
    }

    fn stop(&self) {
        self.ok(&["workspace", "stop", self.name]);
    }

    fn load(&self) {
        self.ok(&["load", "-w", self.name, "acct.bt"]);
    }

    fn eval(&self, expr: &str) -> String {
        self.ok(&["eval", "-w", self.name, expr])
            .trim_end()
            .to_owned()
    }

    /// Evaluates `expr` until it prints `want`, within 10 s.
    fn eventually(&self, expr: &str, want: &str) {
        common::eventually(|| self.eval(expr), want, expr);
    }

    fn store_dir(&self) -> std::path::PathBuf {
        self.p
            .ws
            .home
            .path()
            .join(format!("workspaces/{}.home/mnesia", self.name))
    }

    /// `kill -9` of the workspace's node, and waits until it is gone.
    fn kill_node(&self) {
        // The pid file holds the node's pid (then its start time).
        let pid_file = self
            .p
            .ws
            .home
            .path()
            .join(format!("workspaces/{}.pid", self.name));
        let text = std::fs::read_to_string(&pid_file).expect("pid file");
        let pid = text.split_whitespace().next().expect("a pid").to_owned();
        assert!(
            self.p.ws.node_pids().contains(&pid),
            "{pid} is a node of this test"
        );
        common::kill_and_wait(&pid);
    }
}

#[test]
fn five_hundred_deposits_are_all_there_after_kill_9_of_the_node_and_a_new_node() {
    let d = Durable::new("bank");
    assert_eq!(
        d.eval("(Account spawnPersistentAs: #main) isOk"),
        "true",
        "spawned"
    );
    assert_eq!(
        d.eval("a := (Account named: #main) unwrap. 1 to: 500 do: [:i | a deposit: 1]. a balance"),
        "500"
    );
    d.kill_node();
    d.create();
    // Nothing runs until its class is loaded; the store knows it.
    assert_eq!(
        d.eval("(Workspace durableActors collect: [:r | r at: #running]) first"),
        "false"
    );
    d.load();
    assert_eq!(d.eval("(Account named: #main) unwrap balance"), "500");
    // Listings mark it.
    let listed = d.ok(&["workspace", "actors", "bank"]);
    assert!(listed.contains("Account (durable #main)"), "{listed}");
    let json = d.ok(&["--json", "workspace", "actors", "bank"]);
    assert!(json.contains("\"durable\":\"main\""), "{json}");
    assert_eq!(
        d.eval("(Workspace durableActors collect: [:r | r at: #running]) first"),
        "true"
    );
}

#[test]
fn every_acknowledged_update_survives_a_kill_9_in_the_middle_of_them() {
    let d = Durable::new("midway");
    d.eval("(Account spawnPersistentAs: #main) unwrap");
    // 100 lines of 100 deposits each, through one REPL: each printed balance acknowledges 100 more.
    let mut input = String::from("a := (Account named: #main) unwrap\n");
    for _ in 0..100 {
        input.push_str("1 to: 100 do: [:i | a deposit: 1]. a balance\n");
    }
    let mut repl =
        d.p.cmd(&["repl", "-w", d.name])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("repl");
    let mut stdin = repl.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        // Fails once the node is killed and the REPL ends: expected.
        let _ = stdin.write_all(input.as_bytes());
    });
    let mut acknowledged = 0;
    let mut lines = 0;
    for line in BufReader::new(repl.stdout.take().expect("stdout")).lines() {
        let Ok(line) = line else { break };
        if let Ok(balance) = line.trim().parse::<i64>() {
            acknowledged = balance;
            lines += 1;
            if lines == 10 {
                d.kill_node();
                break;
            }
        }
    }
    let _ = repl.kill();
    let _ = repl.wait();
    let _ = writer.join();
    assert_eq!(
        lines, 10,
        "the updates had started when the node was killed"
    );
    assert!(acknowledged >= 1000, "acknowledged {acknowledged}");
    d.create();
    d.load();
    let stored: i64 = d
        .eval("(Account named: #main) unwrap balance")
        .parse()
        .expect("a balance");
    assert!(
        stored >= acknowledged && stored < 10_000,
        "acknowledged {acknowledged}, found {stored}"
    );
}

#[test]
fn a_state_that_cannot_be_stored_is_refused_and_a_read_writes_nothing() {
    let d = Durable::new("refuse");
    d.eval("a := (Account spawnPersistentAs: #main) unwrap. a deposit: 12. a keep: #ok");
    let version = || d.eval("(Workspace durableActors first) at: #version");
    let before = version();
    // Reads change nothing, so nothing is written.
    assert_eq!(d.eval("a balance. a note. a balance"), "12");
    assert_eq!(version(), before, "a read wrote the state");
    // A block, and an actor reference: neither outlives the node.
    let block = d.eval("[a keep: [1]] on: Error do: [:e | e kind]");
    assert_eq!(block, "unstorable_state");
    let message = d.eval("[a keep: Account spawn] on: Error do: [:e | e messageText]");
    assert!(
        message.contains("a process") && message.contains("undone"),
        "{message}"
    );
    assert_eq!(d.eval("a note"), "ok", "the last stored state was put back");
    assert_eq!(version(), before);
    assert_eq!(d.eval("a isDurable"), "true");
    assert_eq!(d.eval("Account spawn isDurable"), "false");
}

#[test]
fn a_crashed_durable_actor_is_restarted_with_its_state_and_a_migration_is_stored() {
    let d = Durable::new("crashy");
    d.eval("a := (Account spawnPersistentAs: #main) unwrap. a deposit: 7");
    d.eval("a kill");
    d.eventually(
        "(Account named: #main) isOk ifTrue: [(Account named: #main) unwrap balance] ifFalse: [#none]",
        "7",
    );
    // A hot reload migrates it, and the migrated state is what is stored.
    d.write_class(ACCOUNT_V2);
    d.load();
    assert_eq!(d.eval("(Account named: #main) unwrap migrated"), "true");
    d.stop();
    d.create();
    d.load();
    assert_eq!(d.eval("(Account named: #main) unwrap balance"), "7");
    assert_eq!(d.eval("(Account named: #main) unwrap migrated"), "true");
}

#[test]
fn forget_deletes_the_state_and_another_class_cannot_take_a_durable_name() {
    let d = Durable::new("forgetful");
    d.eval("(Account spawnPersistentAs: #main) unwrap deposit: 3. (Account spawnPersistentAs: #spare) unwrap");
    d.eval("Actor subclass: Bank");
    assert_eq!(
        d.eval("(Bank spawnPersistentAs: #main) error kind"),
        "durable_name_taken"
    );
    // Spawning it again while it runs is the name's ordinary error.
    assert_eq!(
        d.eval("(Account spawnPersistentAs: #main) error kind"),
        "name_registered"
    );
    assert_eq!(d.eval("(Account named: #main) unwrap forget"), "nil");
    assert_eq!(d.eval("Workspace forget: #spare"), "true");
    assert_eq!(d.eval("Workspace forget: #spare"), "false");
    assert_eq!(d.eval("Workspace durableActors size"), "0");
    assert_eq!(d.eval("(Account named: #spare) isError"), "true");
    assert_eq!(
        d.eval("[Account spawn forget] on: Error do: [:e | e kind]"),
        "not_durable"
    );
    d.stop();
    d.create();
    d.load();
    assert_eq!(d.eval("Actor allRegistered"), "#()");
    // A name set free can be taken again, fresh.
    assert_eq!(
        d.eval("(Account spawnPersistentAs: #main) unwrap balance"),
        "0"
    );
    // Only `workspace rm` deletes the store, with the workspace.
    d.stop();
    assert!(d.store_dir().is_dir());
    d.ok(&["workspace", "rm", "forgetful"]);
    assert!(!d.store_dir().exists(), "the store went with the workspace");
}

#[test]
fn a_damaged_store_leaves_the_workspace_running_and_says_why_without_changing_it() {
    let d = Durable::new("damaged");
    d.eval("(Account spawnPersistentAs: #main) unwrap deposit: 1");
    d.stop();
    let schema = d.store_dir().join("schema.DAT");
    let garbage: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
    std::fs::write(&schema, &garbage).expect("damage schema.DAT");
    d.create();
    d.load();
    let err = d.eval("[Workspace durableActors] on: Error do: [:e | e messageText]");
    assert!(
        err.contains("schema.DAT") && err.contains("nothing in it was changed"),
        "{err}"
    );
    assert_eq!(
        d.eval("(Account spawnPersistentAs: #other) error kind"),
        "durable_unavailable"
    );
    // Plain actors go on as ever.
    assert_eq!(d.eval("b := Account spawn. b deposit: 2. b balance"), "2");
    assert_eq!(std::fs::read(&schema).expect("schema.DAT"), garbage);
}

#[test]
fn durable_state_outlives_cleanup_and_follows_a_rename() {
    let d = Durable::new("before");
    d.eval("(Account spawnPersistentAs: #main) unwrap deposit: 4");
    // Renamed while it runs: its node keeps its directory, and the next node of the new name uses it.
    d.ok(&["workspace", "rename", "before", "after"]);
    let renamed = Durable {
        p: d.p,
        name: "after",
    };
    renamed.stop();
    // Cleanup forgets stopped workspaces, but not the state of durable actors.
    renamed.ok(&["workspace", "create", "plain"]);
    renamed.ok(&["workspace", "stop", "plain"]);
    std::thread::sleep(Duration::from_millis(20));
    let out = renamed.ok(&["workspace", "cleanup", "--idle", "10ms"]);
    assert!(out.contains("Workspace plain forgotten"), "{out}");
    assert!(!out.contains("after"), "cleanup forgot it: {out}");
    renamed.create();
    renamed.load();
    assert_eq!(renamed.eval("(Account named: #main) unwrap balance"), "4");
    // Renamed while stopped: the directory moves along.
    renamed.stop();
    renamed.ok(&["workspace", "rename", "after", "again"]);
    let again = Durable {
        p: renamed.p,
        name: "again",
    };
    again.create();
    again.load();
    assert_eq!(again.eval("(Account named: #main) unwrap balance"), "4");
    assert!(
        again.store_dir().is_dir(),
        "the store moved with the rename"
    );
}

#[test]
fn export_and_import_carry_durable_state_into_the_new_workspace_own_store() {
    let d = Durable::new("origin");
    d.eval("(Account spawnPersistentAs: #main) unwrap deposit: 21. (Account spawnPersistentAs: #idle) unwrap deposit: 2");
    // One of them not running: its stored state is exported all the same.
    d.eval("(Account named: #idle) unwrap stop");
    let file = d.p.project.path().join("bank.btx");
    d.ok(&[
        "workspace",
        "export",
        "origin",
        file.to_str().expect("utf8"),
    ]);
    d.ok(&["workspace", "import", file.to_str().expect("utf8"), "copy"]);
    let copy = Durable {
        p: d.p,
        name: "copy",
    };
    assert_eq!(copy.eval("(Account named: #main) unwrap balance"), "21");
    assert_eq!(
        copy.eval("Workspace durableActors collect: [:r | r at: #name]"),
        "#(#idle, #main)"
    );
    assert!(
        copy.store_dir().join("schema.DAT").is_file(),
        "the copy has a store of its own"
    );
    // The copy's state is its own: a change there leaves the original as it was.
    copy.eval("(Account named: #main) unwrap deposit: 1");
    let origin = Durable {
        p: copy.p,
        name: "origin",
    };
    assert_eq!(origin.eval("(Account named: #main) unwrap balance"), "21");
}

/// A small filesystem mounted over a workspace's store, unmounted when dropped (lazily: the node may
/// still hold its files).
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(dir: &std::path::Path) -> Option<Self> {
        std::fs::create_dir_all(dir).expect("store dir");
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
            .arg(dir)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Self(dir.to_path_buf()))
    }

    /// Fills it up; the file that did.
    fn fill(&self) -> std::path::PathBuf {
        let path = self.0.join("filler");
        let mut f = std::fs::File::create(&path).expect("filler");
        let block = vec![0u8; 4096];
        while f.write_all(&block).is_ok() {}
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

#[test]
fn on_a_full_disk_the_call_fails_clearly_and_the_last_durable_state_stays() {
    let d = Durable::new("full");
    let Some(disk) = SmallDisk::mount(&d.store_dir()) else {
        common::cannot_run("mounting a 1 MB tmpfs over the store (needs root)");
        return;
    };
    d.eval("a := (Account spawnPersistentAs: #main) unwrap. a deposit: 5. a keep: #small");
    let filler = disk.fill();
    let failed = d.eval("[a keep: (1 to: 30000) asList] on: Error do: [:e | e kind]");
    assert_eq!(failed, "durable_write_failed");
    // Tried again on the full disk: refused without touching the store.
    let message = d.eval("[a keep: (1 to: 30000) asList] on: Error do: [:e | e messageText]");
    assert!(
        message.contains("no space left on device") && message.contains("undone"),
        "{message}"
    );
    assert_eq!(
        d.eval("[a deposit: 1] on: Error do: [:e | e kind]"),
        "durable_write_failed"
    );
    assert_eq!(d.eval("a note"), "small", "the change was undone");
    assert_eq!(d.eval("a balance"), "5");
    // Space again: writes go on, and what was stored reads back on a new node.
    std::fs::remove_file(filler).expect("rm filler");
    assert_eq!(d.eval("a deposit: 1"), "6");
    d.stop();
    d.create();
    d.load();
    assert_eq!(d.eval("(Account named: #main) unwrap balance"), "6");
    assert_eq!(d.eval("(Account named: #main) unwrap note"), "small");
    d.stop();
}

#[test]
fn a_replica_refuses_a_second_claim_and_serves_the_state_once_the_first_node_is_killed() {
    let d = Durable::new("primary");
    d.eval("(Account spawnPersistentAs: #main) unwrap deposit: 10");
    d.ok(&["workspace", "create", "standby"]);
    d.ok(&["load", "-w", "standby", "acct.bt"]);
    let out = d.ok(&["workspace", "replicate", "primary", "--to", "standby"]);
    assert!(out.contains("kept on standby too"), "{out}");
    // The same project and home: another view of the same test's workspaces.
    let standby = Durable {
        p: d.p,
        name: "standby",
    };
    // Both nodes see the actor; only the one it runs on may run it.
    assert_eq!(
        standby.eval("(Account spawnPersistentAs: #main) error kind"),
        "durable_name_taken"
    );
    let primary = Durable {
        p: standby.p,
        name: "primary",
    };
    assert_eq!(
        primary.eval("(Account named: #main) unwrap deposit: 5"),
        "15"
    );
    primary.kill_node();
    let standby = Durable {
        p: primary.p,
        name: "standby",
    };
    // Its host is lost too, before anything else was written there: the acknowledged deposit was on its
    // disk already (a replica's log is synced before the caller hears back).
    standby.kill_node();
    standby.create();
    standby.load();
    assert_eq!(standby.eval("(Account named: #main) unwrap balance"), "15");
    assert_eq!(
        standby.eval("(Account named: #main) unwrap deposit: 1"),
        "16"
    );
    // A workspace with durable actors of its own cannot take a copy of another's.
    standby.ok(&["workspace", "create", "third"]);
    standby.ok(&["load", "-w", "third", "acct.bt"]);
    let third = Durable {
        p: standby.p,
        name: "third",
    };
    third.eval("(Account spawnPersistentAs: #own) unwrap");
    let (code, _, err, _) =
        run(&mut third
            .p
            .cmd(&["workspace", "replicate", "standby", "--to", "third"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("durable actors of its own"), "{err}");
}
