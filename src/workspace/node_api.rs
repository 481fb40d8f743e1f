//! The workspace runtime's functions this CLI calls, each named once with its arity: the CLI's half of
//! the contract with the Erlang side (the compiler's half is `beamtalk_lang::abi`). `tests/abi.rs`
//! checks that the runtime this binary ships exports every one of them.

use std::time::Duration;

use eetf::{Pid, Term};

use crate::dist::{CallError, Connection};

/// `module:name/arity` on a workspace node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeFn {
    pub module: &'static str,
    pub name: &'static str,
    pub arity: usize,
}

const fn node_fn(module: &'static str, name: &'static str, arity: usize) -> NodeFn {
    NodeFn {
        module,
        name,
        arity,
    }
}

/// The workspace's metadata server; also its registered name (`touch` is cast to it).
pub const META: &str = "beamtalk_workspace_meta";

// The workspace and its metadata.
pub const INFO: NodeFn = node_fn(META, "info", 0);
pub const SET_ID: NodeFn = node_fn(META, "set_id", 1);
pub const ACTORS_DETAIL: NodeFn = node_fn(META, "actors_detail", 0);
pub const GIVEN_UP: NodeFn = node_fn(META, "given_up", 0);
pub const REGISTER_SOURCE: NodeFn = node_fn(META, "register_source", 3);
pub const SOURCES: NodeFn = node_fn(META, "sources", 0);
pub const CLASS_FILE: NodeFn = node_fn(META, "class_file", 1);
pub const ACTOR_TREE: NodeFn = node_fn("beamtalk_actor_sup", "tree", 0);
pub const STOP: NodeFn = node_fn("beamtalk_workspace", "stop", 0);
/// Run at the node's start (`erl -s beamtalk_workspace boot`).
pub const BOOT: NodeFn = node_fn("beamtalk_workspace", "boot", 0);
/// Run by the Observer node (`erl -s beamtalk_observer open Node`: `-s` passes its words as one list).
pub const OBSERVER_OPEN: NodeFn = node_fn("beamtalk_observer", "open", 1);
pub const EXPORT: NodeFn = node_fn("beamtalk_workspace_export", "export", 0);
pub const IMPORT: NodeFn = node_fn("beamtalk_workspace_export", "import", 1);
pub const REPLICATE: NodeFn = node_fn("beamtalk_durable", "replicate_to", 1);

// Evaluation and the REPL's commands.
pub const EVAL: NodeFn = node_fn("beamtalk_repl_eval", "eval", 1);
pub const BINDINGS: NodeFn = node_fn("beamtalk_repl_eval", "bindings", 0);
pub const CATALOG: NodeFn = node_fn("beamtalk_catalog", "classes", 0);
pub const KILL: NodeFn = node_fn("beamtalk_repl_eval", "kill", 1);
pub const CLEAR_BINDINGS: NodeFn = node_fn("beamtalk_repl_state", "clear", 0);
pub const ATTACH_SHELL: NodeFn = node_fn("beamtalk_repl_shell", "attach", 1);
pub const TRANSCRIPT_RECENT: NodeFn = node_fn("beamtalk_transcript", "recent", 0);
pub const HELP: NodeFn = node_fn("beamtalk_system", "help_named", 2);

// Classes.
pub const CLASS_EXISTS: NodeFn = node_fn("beamtalk_class", "exists", 1);
/// Whether a class has the name (not only as its old name, after a rename).
pub const CLASS_TAKEN: NodeFn = node_fn("beamtalk_class", "taken", 1);
pub const CLASS_SOURCE: NodeFn = node_fn("beamtalk_class_loader", "source", 1);
pub const EXTENSION_SOURCE: NodeFn = node_fn("beamtalk_class_loader", "extension_source", 1);
pub const LOAD_CLASS: NodeFn = node_fn("beamtalk_class_loader", "load", 2);
pub const COMPILE_SLOTS: NodeFn = node_fn("beamtalk_class_loader", "compile_slots", 0);
pub const COMPILE_CLASS: NodeFn = node_fn("beamtalk_class_loader", "compile", 2);
pub const INSTALL_CLASS: NodeFn = node_fn("beamtalk_class_loader", "install_compiled", 4);
pub const LOAD_EXTENSION: NodeFn = node_fn("beamtalk_class_loader", "load_extension", 2);

// The ChangeLog.
pub const RECORD_CHANGE: NodeFn = node_fn("beamtalk_changes", "record", 1);
pub const CHANGES: NodeFn = node_fn("beamtalk_changes", "entries", 0);
pub const PENDING_CHANGES: NodeFn = node_fn("beamtalk_changes", "pending", 0);
pub const FLUSHED_CHANGES: NodeFn = node_fn("beamtalk_changes", "flushed", 1);

// Tracing.
pub const TRACE_START: NodeFn = node_fn("beamtalk_tracer", "start", 4);
pub const TRACE_STOP: NodeFn = node_fn("beamtalk_tracer", "stop", 1);

// Tests.
pub const RUN_TESTS: NodeFn = node_fn("beamtalk_test", "run", 4);
pub const RUN_ALL_TESTS: NodeFn = node_fn("beamtalk_test", "run_all", 1);

/// Every function above.
pub const ALL: &[NodeFn] = &[
    INFO,
    SET_ID,
    ACTORS_DETAIL,
    GIVEN_UP,
    REGISTER_SOURCE,
    SOURCES,
    RECORD_CHANGE,
    CHANGES,
    PENDING_CHANGES,
    FLUSHED_CHANGES,
    ACTOR_TREE,
    STOP,
    BOOT,
    OBSERVER_OPEN,
    EXPORT,
    IMPORT,
    REPLICATE,
    EVAL,
    BINDINGS,
    CATALOG,
    KILL,
    CLEAR_BINDINGS,
    ATTACH_SHELL,
    TRANSCRIPT_RECENT,
    HELP,
    CLASS_EXISTS,
    CLASS_TAKEN,
    CLASS_SOURCE,
    EXTENSION_SOURCE,
    LOAD_CLASS,
    COMPILE_SLOTS,
    COMPILE_CLASS,
    INSTALL_CLASS,
    LOAD_EXTENSION,
    RUN_TESTS,
    RUN_ALL_TESTS,
    TRACE_START,
    TRACE_STOP,
];

impl NodeFn {
    /// Calls the function on `conn`'s node (output the call writes is refused).
    pub async fn call(
        self,
        conn: &Connection,
        args: Vec<Term>,
        timeout: Duration,
    ) -> Result<Term, CallError> {
        self.check(&args)?;
        conn.call(self.module, self.name, args, timeout).await
    }

    /// Calls the function with `group_leader` taking what it writes.
    pub async fn call_with_group_leader(
        self,
        conn: &Connection,
        group_leader: &Pid,
        args: Vec<Term>,
        timeout: Duration,
    ) -> Result<Term, CallError> {
        self.check(&args)?;
        conn.call_with_group_leader(group_leader, self.module, self.name, args, timeout)
            .await
    }

    /// A call with the wrong number of arguments would be an `undef` on the node, far from its cause.
    fn check(self, args: &[Term]) -> Result<(), CallError> {
        match args.len() == self.arity {
            true => Ok(()),
            false => Err(CallError::BadRequest(format!(
                "{}:{}/{} called with {} arguments",
                self.module,
                self.name,
                self.arity,
                args.len()
            ))),
        }
    }
}

impl std::fmt::Display for NodeFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}/{}", self.module, self.name, self.arity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_function_is_listed_once() {
        let mut seen: Vec<(&str, &str)> = ALL.iter().map(|f| (f.module, f.name)).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), ALL.len());
    }

    #[test]
    fn a_call_with_the_wrong_arity_is_refused_before_it_is_sent() {
        let e = INFO
            .check(&[Term::from(eetf::Atom::from("x"))])
            .expect_err("arity");
        assert!(
            e.to_string()
                .contains("beamtalk_workspace_meta:info/0 called with 1 arguments")
        );
    }
}
