//! A benchmark's own connection to a workspace node: calls, timings taken on the node with `timer:tc/3`,
//! and Erlang anchors compiled here and loaded there; with the helpers the benchmarks share.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use beamtalk::dist::{ConnectOptions, Connection, NodeName};
use beamtalk::term::{as_i64, atom, list, tuple};
use eetf::{Binary, FixInteger, Term};

/// How long any one call may take.
pub const T: Duration = Duration::from_secs(600);

pub struct Node {
    pub conn: Connection,
    pub rt: tokio::runtime::Runtime,
}

impl Node {
    /// Connects to workspace `id` of this host.
    pub fn connect(id: &str, mut opts: ConnectOptions) -> Self {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let name = format!(
            "beamtalk_workspace_{id}@{}",
            beamtalk::dist::node_name::short_hostname()
        );
        opts.connect_timeout = T;
        let conn = rt
            .block_on(Connection::connect(
                &NodeName::parse(&name).expect("node"),
                &opts,
            ))
            .expect("connects");
        Self { conn, rt }
    }

    pub fn call(&self, m: &str, f: &str, args: Vec<Term>) -> Term {
        self.rt
            .block_on(self.conn.call(m, f, args, T))
            .unwrap_or_else(|e| panic!("{m}:{f}: {e}"))
    }

    /// Microseconds `Module:Function(Args)` took on the node, and its result.
    pub fn tc(&self, m: &str, f: &str, args: Vec<Term>) -> (f64, Term) {
        match self.call("timer", "tc", vec![atom(m), atom(f), list(args)]) {
            Term::Tuple(t) if t.elements.len() == 2 => {
                let micros = as_i64(&t.elements[0]).expect("microseconds") as f64;
                (micros, t.elements[1].clone())
            }
            other => panic!("timer:tc answered {other:?}"),
        }
    }

    /// A message to a class (`class selector args`), timed on the node.
    pub fn send_to_class(&self, class: &str, selector: &str, args: Vec<Term>) -> (f64, Term) {
        let class = tuple(vec![atom("$bt_class"), atom(class)]);
        self.tc(
            "beamtalk_dispatch",
            "send",
            vec![class, atom(selector), list(args)],
        )
    }

    /// Compiles `benches/support/<module>.erl` here and loads it into the node.
    pub fn load_anchor(&self, module: &str) {
        let dir = tempfile::tempdir().expect("tempdir");
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("benches/support")
            .join(format!("{module}.erl"));
        must(Command::new("erlc").arg("-o").arg(dir.path()).arg(&src));
        let beam = dir.path().join(format!("{module}.beam"));
        let bytes = std::fs::read(&beam).expect("beam");
        let path = Term::from(eetf::ByteList::from(
            beam.to_string_lossy().as_bytes().to_vec(),
        ));
        let loaded = self.call(
            "code",
            "load_binary",
            vec![atom(module), path, Term::from(Binary::from(bytes))],
        );
        assert_eq!(loaded, tuple(vec![atom("module"), atom(module)]));
    }
}

/// A benchmark's own EPMD, beamtalk home and project directory, and the CLI run in that project.
pub struct Workbench {
    pub epmd: crate::common::Epmd,
    pub ws: crate::common::WorkspaceHome,
    pub project: tempfile::TempDir,
}

impl Workbench {
    pub fn new() -> Self {
        Self {
            epmd: crate::common::Epmd::start(),
            ws: crate::common::WorkspaceHome::new(),
            project: tempfile::tempdir().expect("project"),
        }
    }

    /// `beamtalk ARGS` in the project, with a limit long enough for 100,000 actors.
    pub fn cli(&self, args: &[&str]) -> Command {
        let mut c = crate::common::beamtalk(&self.epmd, &self.ws.home);
        c.current_dir(self.project.path())
            .args(["--timeout", "600s"])
            .args(args);
        c
    }

    /// A connection of the benchmark's own to workspace `id`.
    pub fn node(&self, id: &str) -> Node {
        Node::connect(
            id,
            crate::common::connect_options(&self.epmd, &self.ws.home),
        )
    }
}

pub fn int(n: i64) -> Term {
    Term::from(FixInteger::from(i32::try_from(n).expect("fits in 32 bits")))
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs `cmd`, which must succeed; its stdout.
pub fn must(cmd: &mut Command) -> String {
    let out = cmd.output().expect("runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
