//! The project's workspace as the editor server sees it: when one runs, its classes and bindings add to
//! what completion and diagnostics know, and commands evaluate, load and test in it. It is reached as
//! the CLI reaches it (the project's own, or `-w NAME`; remote and TLS workspaces alike) and never
//! started for completion; a workspace that stops mid-session is dropped and the server goes on offline.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use eetf::Term;
use tokio::runtime::Handle;

use crate::dist::Connection;
use crate::dist::io_server::Captured;
use crate::lang::ide::{Catalog, ClassInfo, Origin};
use crate::repl::{Outcome, Session};
use crate::term::{as_text, list_elements};
use crate::workspace::{Workspaces, node_api};

/// How often a running workspace is asked again for its classes and bindings.
const REFRESH: Duration = Duration::from_secs(5);

pub struct Live {
    handle: Handle,
    workspaces: Option<Workspaces>,
    name: Option<String>,
    project: PathBuf,
    timeout: Duration,
    conn: Option<Connection>,
    asked: Option<Instant>,
    pub catalog: Catalog,
    pub bindings: Vec<String>,
    /// Counts the changes of `catalog` and `bindings`, so that what is built on them is rebuilt.
    pub generation: u64,
}

/// What a command answers: the value's text, or the error's, and what was printed meanwhile.
pub struct Reply {
    pub text: String,
    pub error: bool,
    pub output: String,
}

impl Live {
    pub fn new(
        handle: Handle,
        workspaces: Option<Workspaces>,
        name: Option<String>,
        project: PathBuf,
        timeout: Duration,
    ) -> Self {
        Self {
            handle,
            workspaces,
            name,
            project,
            timeout,
            conn: None,
            asked: None,
            catalog: Catalog::default(),
            bindings: Vec::new(),
            generation: 0,
        }
    }

    /// Asks the workspace for its classes and bindings, if it runs and was not asked lately (or
    /// `now`); what it knew of a workspace that no longer answers is forgotten.
    pub fn refresh(&mut self, now: bool) {
        if !now && self.asked.is_some_and(|t| t.elapsed() < REFRESH) {
            return;
        }
        self.asked = Some(Instant::now());
        let fetched = self.fetch();
        tracing::debug!(
            found = fetched.is_some(),
            "asked the workspace for its classes and bindings"
        );
        match fetched {
            Some((catalog, bindings)) => {
                self.catalog = catalog;
                self.bindings = bindings;
                self.generation += 1;
            }
            None if self.conn.is_some()
                || !self.bindings.is_empty()
                || self.catalog.classes().next().is_some() =>
            {
                self.conn = None;
                self.catalog = Catalog::default();
                self.bindings.clear();
                self.generation += 1;
            }
            None => {}
        }
    }

    fn fetch(&mut self) -> Option<(Catalog, Vec<String>)> {
        let conn = self.running()?;
        let timeout = self.timeout;
        self.handle.block_on(async {
            let classes = node_api::CATALOG
                .call(&conn, vec![], timeout)
                .await
                .map_err(|e| tracing::debug!("the workspace's classes: {e}"))
                .ok()?;
            let bindings = node_api::BINDINGS
                .call(&conn, vec![], timeout)
                .await
                .map_err(|e| tracing::debug!("the workspace's bindings: {e}"))
                .ok()?;
            Some((
                catalog(&classes, Origin::Workspace)?,
                binding_names(&bindings)?,
            ))
        })
    }

    /// A connection to the workspace if it is running now (never starting one).
    fn running(&mut self) -> Option<Connection> {
        if let Some(c) = &self.conn {
            return Some(c.clone());
        }
        let ws = self.workspaces.as_ref()?;
        let id = ws.resolve(self.name.as_deref(), &self.project).ok()?;
        let entry = ws.registry().get(&id).ok()??;
        if entry.host.is_none() && !ws.liveness(&entry).is_alive() {
            return None;
        }
        let conn = self.handle.block_on(ws.connect(&entry)).ok()?;
        self.conn = Some(conn.clone());
        Some(conn)
    }

    /// A connection for a command: the workspace, started (as `beamtalk eval` starts it) if needed.
    fn attach(&mut self) -> Result<Connection, String> {
        if let Some(c) = self.running() {
            return Ok(c);
        }
        let ws = self
            .workspaces
            .as_ref()
            .ok_or("no beamtalk home to find workspaces in")?;
        let attached = self
            .handle
            .block_on(ws.attach(self.name.as_deref(), &self.project, false))
            .map_err(|e| e.to_string())?;
        self.conn = Some(attached.conn.clone());
        Ok(attached.conn)
    }

    /// Evaluates `src` in the workspace.
    pub fn eval(&mut self, src: &str) -> Result<Reply, String> {
        let conn = self.attach()?;
        let captured = Captured::default();
        let session = Session::for_project(
            conn,
            captured.terminal(),
            self.timeout,
            self.project.clone(),
        );
        let result = self.handle.block_on(async {
            // The connection stays open for the next request (closing the session would close it).
            Workspaces::touch(session.connection());
            session.eval(src).await
        });
        let reply = match result {
            Ok(Outcome::Value(text)) => Reply {
                text,
                error: false,
                output: captured.text(),
            },
            Ok(Outcome::Error(text)) => Reply {
                text,
                error: true,
                output: captured.text(),
            },
            Err(e) => {
                self.conn = None;
                return Err(e.to_string());
            }
        };
        self.refresh(true);
        Ok(reply)
    }

    /// Loads the classes of `path` (a file of the project) into the workspace.
    pub fn load(&mut self, path: &Path) -> Result<Reply, String> {
        let conn = self.attach()?;
        let files =
            crate::repl::load::read_sources(&[path.to_path_buf()]).map_err(|e| e.one_line())?;
        let session = Session::for_project(
            conn,
            Captured::default().terminal(),
            self.timeout,
            self.project.clone(),
        );
        let report = self.handle.block_on(async {
            Workspaces::touch(session.connection());
            crate::repl::load::load_sources(&session, &files).await
        });
        let report = report.map_err(|e| {
            self.conn = None;
            e.to_string()
        })?;
        self.refresh(true);
        Ok(Reply {
            text: match &report.error {
                Some(e) => e.clone(),
                None => format!("Loaded: {}", report.loaded.join(", ")),
            },
            error: report.error.is_some(),
            output: String::new(),
        })
    }
}

/// A catalog from `beamtalk_catalog:classes/0`'s answer.
pub fn catalog(term: &Term, origin: Origin) -> Option<Catalog> {
    let mut out = Catalog::default();
    for entry in list_elements(term)? {
        let Term::Tuple(t) = entry else { return None };
        let [name, sup, sels, class_sels, help] = t.elements.as_slice() else {
            return None;
        };
        let texts = |l: &Term| -> Vec<String> {
            list_elements(l)
                .unwrap_or_default()
                .iter()
                .filter_map(as_text)
                .collect()
        };
        out.insert(ClassInfo {
            name: as_text(name)?,
            superclass: as_text(sup).filter(|s| s != "nil"),
            selectors: texts(sels),
            class_selectors: texts(class_sels),
            help: as_text(help).unwrap_or_default(),
            origin: origin.clone(),
        });
    }
    Some(out)
}

/// The names of `beamtalk_repl_eval:bindings/0`'s answer (`[{Name, Printed}]`).
pub fn binding_names(term: &Term) -> Option<Vec<String>> {
    Some(
        list_elements(term)?
            .iter()
            .filter_map(|b| match b {
                Term::Tuple(t) => t.elements.first().and_then(as_text),
                _ => None,
            })
            .collect(),
    )
}

/// The built-in classes this binary was built with.
pub fn builtin_catalog() -> Catalog {
    crate::term::etf::decode(crate::workspace::runtime::builtin_catalog())
        .ok()
        .and_then(|t| catalog(&t, Origin::Builtin))
        .unwrap_or_default()
}
