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
    pub project_path: String,
    pub created_at: i64,
    pub last_active: i64,
    pub idle_ms: i64,
    pub uptime_ms: i64,
    pub memory: i64,
    pub process_count: i64,
    pub actors: Vec<Actor>,
    pub modules: Vec<String>,
    pub otp_release: String,
}

/// One supervised actor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Actor {
    pub pid: String,
    pub class: String,
    pub started_at: i64,
}

/// A pid as its own node prints it (`<0.123.0>`), which is also what `:kill` accepts.
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
        let actors = map_get(t, "actors")
            .and_then(list_elements)
            .unwrap_or_default()
            .iter()
            .map(|a| Actor {
                pid: map_get(a, "pid").map(local_pid).unwrap_or_default(),
                class: map_get(a, "class").and_then(as_text).unwrap_or_default(),
                started_at: map_get(a, "started_at").and_then(as_i64).unwrap_or(0),
            })
            .collect();
        let modules = map_get(t, "modules")
            .and_then(list_elements)
            .unwrap_or_default()
            .iter()
            .filter_map(as_text)
            .collect();
        Self {
            id: text("id"),
            node: text("node"),
            project_path: text("project_path"),
            created_at: int("created_at"),
            last_active: int("last_active"),
            idle_ms: int("idle_ms"),
            uptime_ms: int("uptime_ms"),
            memory: int("memory"),
            process_count: int("process_count"),
            actors,
            modules,
            otp_release: text("otp_release"),
        }
    }
}
