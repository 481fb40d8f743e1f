//! The server's state and its dispatch: which request goes to which feature, what a notification
//! changes, and what is done when the editor is idle (analysis and diagnostics).

use std::collections::BTreeSet;
use std::path::PathBuf;

use lsp_server::{ErrorCode, Message, Notification, Request, Response};
use lsp_types::Url;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::index::{Index, Source, stdlib_copies};
use super::live::{Live, builtin_catalog};
use super::{Options, error, transport::send};
use crate::lang::diagnostic::Severity;
use crate::lang::ide::closest;
use crate::lang::lexer::Tok;

pub struct Server {
    pub index: Index,
    pub live: Live,
    pub project: PathBuf,
    /// Documents whose diagnostics are to be published.
    dirty: BTreeSet<Url>,
    /// `initializationOptions.loadOnSave`: a saved file is loaded into the workspace.
    load_on_save: bool,
}

impl Server {
    pub fn start(handle: tokio::runtime::Handle, opts: Options, params: &Value) -> Self {
        let root = root_dir(params);
        let project = crate::project::discover(&root).unwrap_or(root);
        let home = crate::home::resolve_home(opts.home.as_deref()).ok();
        let workspaces = home.as_ref().and_then(|h| {
            crate::home::ensure_home(h).ok()?;
            let cookie = crate::home::load_cookie(h, opts.cookie_file.as_deref()).ok()?;
            crate::workspace::Workspaces::new(h, cookie, opts.timeout).ok()
        });
        let stdlib = home.as_deref().and_then(stdlib_copies);
        let index = Index::load(&project, stdlib.as_deref(), builtin_catalog());
        let mut live = Live::new(
            handle,
            workspaces,
            opts.workspace,
            project.clone(),
            opts.timeout,
        );
        live.refresh(true);
        let load_on_save = params
            .pointer("/initializationOptions/loadOnSave")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        Self {
            index,
            live,
            project,
            dirty: BTreeSet::new(),
            load_on_save,
        }
    }

    pub fn request(&mut self, req: Request) -> Response {
        let id = req.id.clone();
        let result = match req.method.as_str() {
            "textDocument/completion" => self.with(&req, Self::completion),
            "textDocument/hover" => self.with(&req, Self::hover),
            "textDocument/definition" => self.with(&req, Self::definition),
            "textDocument/references" => self.with(&req, Self::references),
            "textDocument/documentSymbol" => self.with(&req, Self::document_symbols),
            "workspace/symbol" => self.with(&req, Self::workspace_symbols),
            "textDocument/prepareRename" => self.with(&req, Self::prepare_rename),
            "textDocument/rename" => self.with(&req, Self::rename),
            "textDocument/formatting" => self.with(&req, Self::formatting),
            "workspace/executeCommand" => self.with(&req, Self::execute_command),
            other => Err((
                ErrorCode::MethodNotFound,
                format!("unknown method `{other}`"),
            )),
        };
        match result {
            Ok(value) => Response::new_ok(id, value),
            Err((code, message)) => error(req, code, message),
        }
    }

    /// Runs `f` on the request's parameters, read as `P`.
    fn with<P: DeserializeOwned>(
        &mut self,
        req: &Request,
        f: impl FnOnce(&mut Self, P) -> Result<Value, (ErrorCode, String)>,
    ) -> Result<Value, (ErrorCode, String)> {
        let params = serde_json::from_value(req.params.clone()).map_err(|e| {
            (
                ErrorCode::InvalidParams,
                format!("bad parameters for `{}`: {e}", req.method),
            )
        })?;
        f(self, params)
    }

    pub fn notify(&mut self, n: Notification) {
        let params = n.params;
        let uri = || {
            params
                .pointer("/textDocument/uri")
                .and_then(Value::as_str)
                .and_then(|u| Url::parse(u).ok())
        };
        match n.method.as_str() {
            "textDocument/didOpen" => {
                let text = params.pointer("/textDocument/text").and_then(Value::as_str);
                if let (Some(uri), Some(text)) = (uri(), text) {
                    self.index
                        .open
                        .insert(uri.clone(), Source::new(text.to_owned()));
                    self.index.changed();
                    self.dirty.insert(uri);
                }
            }
            "textDocument/didChange" => {
                // Full sync: the last change holds the whole text.
                let text = params
                    .pointer("/contentChanges")
                    .and_then(Value::as_array)
                    .and_then(|c| c.last())
                    .and_then(|c| c.get("text"))
                    .and_then(Value::as_str);
                if let (Some(uri), Some(text)) = (uri(), text)
                    && let Some(doc) = self.index.open.get_mut(&uri)
                {
                    doc.edit(text.to_owned());
                    self.dirty.insert(uri);
                }
            }
            "textDocument/didClose" => {
                if let Some(uri) = uri() {
                    self.index.open.remove(&uri);
                    self.index.changed();
                    self.publish(&uri, Vec::new());
                }
            }
            "textDocument/didSave" => {
                if let Some(uri) = uri() {
                    self.saved(&uri);
                }
            }
            _ => {}
        }
    }

    /// A saved project file is read again; with load on save, loaded into the workspace.
    fn saved(&mut self, uri: &Url) {
        let Ok(path) = uri.to_file_path() else { return };
        if path.starts_with(&self.project) {
            self.index.read_file(&path);
        }
        if self.load_on_save {
            let reply = self.live.load(&path);
            let (kind, text) = match reply {
                Ok(r) => (if r.error { 1 } else { 3 }, r.text),
                Err(e) => (1, e),
            };
            show_message(kind, &text);
        }
    }

    /// Analyses the documents that changed and publishes their diagnostics; asks the workspace again.
    pub fn idle(&mut self) {
        let generation = self.live.generation;
        self.live.refresh(false);
        if self.live.generation != generation {
            self.dirty.extend(self.index.open.keys().cloned());
        }
        let dirty = std::mem::take(&mut self.dirty);
        for uri in &dirty {
            if let Some(doc) = self.index.open.get_mut(uri) {
                let was_stale = doc.stale;
                doc.analyse();
                if was_stale {
                    self.index.changed();
                }
            }
        }
        for uri in dirty {
            let diagnostics = self.diagnostics(&uri);
            self.publish(&uri, diagnostics);
        }
    }

    fn diagnostics(&mut self, uri: &Url) -> Vec<Value> {
        let found = match self.index.open.get_mut(uri) {
            None => return Vec::new(),
            Some(doc) if doc.too_large() => {
                let message = format!(
                    "not analysed: the document is over {} MB",
                    super::index::MAX_ANALYSED / (1024 * 1024)
                );
                return vec![json!({
                    "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } },
                    "severity": 3, "source": "beamtalk", "message": message,
                })];
            }
            Some(doc) => doc.check(),
        };
        self.index
            .refresh_catalog(&self.live.catalog, self.live.generation);
        let catalog = self.index.catalog();
        let doc = &self.index.open[uri];
        let mut out: Vec<Value> = found
            .iter()
            .map(|d| {
                let message = match &d.hint {
                    Some(h) => format!("{} ({h})", d.message),
                    None => d.message.clone(),
                };
                lsp_diagnostic(doc, d.span, d.severity, message)
            })
            .collect();
        let own: Vec<&str> = doc
            .outline
            .classes
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        for t in &doc.tokens {
            let Tok::Ident(name) = &t.tok else { continue };
            if !name.starts_with(|c: char| c.is_uppercase())
                || catalog.contains(name)
                || own.contains(&name.as_str())
            {
                continue;
            }
            let known = catalog
                .classes()
                .map(|c| c.name.as_str())
                .chain(own.iter().copied());
            let message = match closest(name, known) {
                Some(c) => format!("unknown class `{name}` (did you mean `{c}`?)"),
                None => format!("unknown class `{name}`"),
            };
            out.push(lsp_diagnostic(doc, t.span, Severity::Warning, message));
        }
        out
    }

    fn publish(&self, uri: &Url, diagnostics: Vec<Value>) {
        send(Message::Notification(Notification::new(
            "textDocument/publishDiagnostics".into(),
            json!({ "uri": uri, "diagnostics": diagnostics }),
        )));
    }
}

fn lsp_diagnostic(
    doc: &Source,
    span: crate::lang::ast::Span,
    severity: Severity,
    message: String,
) -> Value {
    json!({
        "range": doc.lines.range(&doc.text, span),
        "severity": match severity { Severity::Error => 1, Severity::Warning => 2 },
        "source": "beamtalk",
        "message": message,
    })
}

/// `window/showMessage`: 1 error, 2 warning, 3 info.
pub fn show_message(kind: u8, text: &str) {
    send(Message::Notification(Notification::new(
        "window/showMessage".into(),
        json!({ "type": kind, "message": text }),
    )));
}

/// The directory the client opened: `rootUri`, the first workspace folder, or the current directory.
fn root_dir(params: &Value) -> PathBuf {
    let uri = params.get("rootUri").and_then(Value::as_str).or_else(|| {
        params
            .pointer("/workspaceFolders/0/uri")
            .and_then(Value::as_str)
    });
    uri.and_then(|u| Url::parse(u).ok())
        .and_then(|u| u.to_file_path().ok())
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("."))
}
