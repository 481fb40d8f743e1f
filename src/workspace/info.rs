//! What `beamtalk_workspace_meta:info/0` reports, as Rust values.

use eetf::Term;
use serde::Serialize;

use crate::term::print::flat;
use crate::term::{as_i64, as_text, list_elements, map_get};

/// A live workspace, as its metadata server describes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Info {
    pub id: String,
    pub node: String,
    /// The beamtalk home that started the node (empty for nodes of older versions).
    pub home: String,
    pub project_path: String,
    pub created_at: i64,
    pub last_active: i64,
    pub idle_ms: i64,
    pub uptime_ms: i64,
    pub memory: i64,
    pub process_count: i64,
    /// How many actors run (`actors` lists at most the node's first 1,000).
    pub actor_count: i64,
    pub actors: Vec<Actor>,
    pub modules: Vec<String>,
    /// The source files loaded into the workspace, as they stand on this machine's disk.
    pub sources: Vec<Source>,
    pub otp_release: String,
}

/// A source file loaded into a workspace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    pub path: String,
    /// `loaded` (as on disk), `changed` (on disk since it was loaded) or `missing`.
    pub state: &'static str,
}

impl Source {
    /// Compares what was loaded (by digest) with the file on disk now.
    fn compare(path: String, loaded_digest: &str) -> Self {
        let state = match std::fs::read_to_string(&path) {
            Ok(src) if crate::repl::load::digest(&src) == loaded_digest => "loaded",
            Ok(_) => "changed",
            Err(_) => "missing",
        };
        Source { path, state }
    }
}

/// One supervised actor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Actor {
    pub pid: String,
    pub class: String,
    pub started_at: i64,
    pub restarts: i64,
}

/// One actor with the live figures of `beamtalk_workspace_meta:actors_detail/0`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActorDetail {
    pub pid: String,
    pub class: String,
    pub uptime_s: i64,
    pub queue: i64,
    pub memory: i64,
    pub reductions: i64,
    pub restarts: i64,
    /// The name of a durable actor (`spawnPersistentAs:`), whose state survives the node.
    pub durable: Option<String>,
}

impl ActorDetail {
    /// Asks a workspace node for its actors.
    pub async fn fetch(
        conn: &crate::dist::Connection,
        timeout: std::time::Duration,
    ) -> Result<Vec<Self>, crate::dist::CallError> {
        let detail = super::node_api::ACTORS_DETAIL
            .call(conn, vec![], timeout)
            .await?;
        Ok(Self::list_from_term(&detail))
    }

    /// Reads the list `actors_detail/0` returns.
    pub fn list_from_term(t: &Term) -> Vec<Self> {
        // Read in place: with 100,000 actors a copy of the list is a copy of 100,000 maps.
        let elements: &[Term] = match t {
            Term::List(l) => &l.elements,
            _ => &[],
        };
        // `{Pid, Class, UptimeS, Queue, Memory, Reductions, Restarts, DurableName | nil}` each.
        elements
            .iter()
            .filter_map(|a| match a {
                Term::Tuple(t) => match t.elements.as_slice() {
                    [
                        pid,
                        class,
                        uptime,
                        queue,
                        memory,
                        reductions,
                        restarts,
                        durable,
                    ] => {
                        let int = |t: &Term| as_i64(t).unwrap_or(0);
                        Some(ActorDetail {
                            pid: local_pid(pid),
                            class: as_text(class).unwrap_or_default(),
                            uptime_s: int(uptime),
                            queue: int(queue),
                            memory: int(memory),
                            reductions: int(reductions),
                            restarts: int(restarts),
                            durable: as_text(durable).filter(|n| n != "nil"),
                        })
                    }
                    _ => None,
                },
                _ => None,
            })
            .collect()
    }
}

/// Actors as a table: PID, CLASS, UPTIME, QUEUE, MEMORY, RESTARTS (and REDUCTIONS when given).
pub fn actors_table(actors: &[ActorDetail], reductions: Option<&[i64]>) -> String {
    let mut rows = vec![
        vec!["PID", "CLASS", "UPTIME", "QUEUE", "MEMORY", "RESTARTS"]
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>(),
    ];
    if reductions.is_some() {
        rows[0].push("REDUCTIONS/s".to_owned());
    }
    for (i, a) in actors.iter().enumerate() {
        let class = match &a.durable {
            Some(name) => format!("{} (durable #{name})", a.class),
            None => a.class.clone(),
        };
        let mut row = vec![
            a.pid.clone(),
            class,
            format!("{}s", a.uptime_s),
            a.queue.to_string(),
            format!("{:.1} KiB", a.memory as f64 / 1024.0),
            a.restarts.to_string(),
        ];
        if let Some(r) = reductions {
            row.push(r.get(i).copied().unwrap_or(0).to_string());
        }
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    rows.iter()
        .map(|r| {
            r.iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Lines for the actors given up after too many restarts (`beamtalk_workspace_meta:given_up/0`).
pub fn given_up_lines(t: &Term) -> Vec<String> {
    list_elements(t)
        .unwrap_or_default()
        .iter()
        .map(|g| {
            let class = map_get(g, "class").and_then(as_text).unwrap_or_default();
            let restarts = map_get(g, "restarts").and_then(as_i64).unwrap_or(0);
            let reason = map_get(g, "reason").and_then(as_text).unwrap_or_default();
            format!(
                "stopped for good: {class} (crashed {} times in a row; last: {reason})",
                restarts + 1
            )
        })
        .collect()
}

/// A pid as its own node prints it (`<0.123.0>`), which is also what `:kill` accepts.
/// One entry of `beamtalk_actor_sup:tree/0`: a Beamtalk supervisor with its children, or an actor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TreeNode {
    pub kind: String,
    pub class: String,
    pub pid: String,
    pub children: Vec<TreeNode>,
}

impl TreeNode {
    /// Asks a workspace node what runs there, as a tree.
    pub async fn fetch(
        conn: &crate::dist::Connection,
        timeout: std::time::Duration,
    ) -> Result<Vec<Self>, crate::dist::CallError> {
        let tree = super::node_api::ACTOR_TREE
            .call(conn, vec![], timeout)
            .await?;
        Ok(Self::list_from_term(&tree, 0))
    }

    /// Reads the nodes; deeper than a real tree goes is cut, so a hostile reply cannot recurse without
    /// bound.
    fn list_from_term(t: &Term, depth: usize) -> Vec<Self> {
        if depth > MAX_TREE_DEPTH {
            return Vec::new();
        }
        list_elements(t)
            .unwrap_or_default()
            .iter()
            .map(|n| {
                let text = |k: &str| map_get(n, k).and_then(as_text).unwrap_or_default();
                TreeNode {
                    kind: text("kind"),
                    class: text("class"),
                    pid: map_get(n, "pid").map(local_pid).unwrap_or_default(),
                    children: map_get(n, "children")
                        .map(|c| Self::list_from_term(c, depth + 1))
                        .unwrap_or_default(),
                }
            })
            .collect()
    }

    /// `Supervisor(App, <0.1.0>)` or `Actor(Counter, <0.2.0>)`.
    fn label(&self) -> String {
        let kind = if self.kind == "supervisor" {
            "Supervisor"
        } else {
            "Actor"
        };
        format!("{kind}({}, {})", self.class, self.pid)
    }
}

const MAX_TREE_DEPTH: usize = 64;

/// The nodes drawn as a tree, one per line, children under their supervisor.
pub fn tree_lines(nodes: &[TreeNode]) -> Vec<String> {
    let mut lines = Vec::new();
    for n in nodes {
        lines.push(n.label());
        draw_children(&n.children, "", &mut lines);
    }
    lines
}

fn draw_children(children: &[TreeNode], prefix: &str, lines: &mut Vec<String>) {
    for (i, c) in children.iter().enumerate() {
        let last = i + 1 == children.len();
        let (branch, next) = if last {
            ("└── ", "    ")
        } else {
            ("├── ", "│   ")
        };
        lines.push(format!("{prefix}{branch}{}", c.label()));
        draw_children(&c.children, &format!("{prefix}{next}"), lines);
    }
}

fn local_pid(t: &Term) -> String {
    match t {
        Term::Pid(p) => format!("<0.{}.{}>", p.id, p.serial),
        other => flat(other),
    }
}

impl Info {
    /// Reads the map returned by `info/0`; missing fields read as empty or zero.
    pub fn from_term(t: &Term) -> Self {
        let int = |k: &str| map_get(t, k).and_then(as_i64).unwrap_or(0);
        let text = |k: &str| map_get(t, k).and_then(as_text).unwrap_or_default();
        let actors: Vec<Actor> = map_get(t, "actors")
            .and_then(list_elements)
            .unwrap_or_default()
            .iter()
            .map(|a| Actor {
                pid: map_get(a, "pid").map(local_pid).unwrap_or_default(),
                class: map_get(a, "class").and_then(as_text).unwrap_or_default(),
                started_at: map_get(a, "started_at").and_then(as_i64).unwrap_or(0),
                restarts: map_get(a, "restarts").and_then(as_i64).unwrap_or(0),
            })
            .collect();
        let modules = map_get(t, "modules")
            .and_then(list_elements)
            .unwrap_or_default()
            .iter()
            .filter_map(as_text)
            .map(|m| m.strip_prefix("bt_class_").map(str::to_owned).unwrap_or(m))
            .collect();
        let sources = map_get(t, "sources")
            .and_then(list_elements)
            .unwrap_or_default()
            .iter()
            .filter_map(|s| match s {
                Term::Tuple(t) => match t.elements.as_slice() {
                    [path, digest] => Some(Source::compare(as_text(path)?, &as_text(digest)?)),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        Self {
            id: text("id"),
            node: text("node"),
            home: text("home"),
            project_path: text("project_path"),
            created_at: int("created_at"),
            last_active: int("last_active"),
            idle_ms: int("idle_ms"),
            uptime_ms: int("uptime_ms"),
            memory: int("memory"),
            process_count: int("process_count"),
            actor_count: match map_get(t, "actor_count") {
                Some(n) => as_i64(n).unwrap_or(0),
                None => actors.len() as i64,
            },
            actors,
            modules,
            sources,
            otp_release: text("otp_release"),
        }
    }
}
