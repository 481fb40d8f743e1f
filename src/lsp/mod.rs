//! `beamtalk lsp`: a Language Server Protocol server on stdio. Documents are analysed with the compiler
//! crate's editor engine (`beamtalk_lang::ide`) as they are typed; the project's files, the standard
//! library and, when the project's workspace runs, its classes and bindings are what it knows besides.

mod features;
mod index;
mod live;
mod server;
mod text;
mod transport;

use std::path::PathBuf;
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use lsp_server::{ErrorCode, Message, Request, Response};
use serde_json::{Value, json};

pub use live::{binding_names, builtin_catalog, catalog};
use server::Server;
use transport::{Incoming, send};

/// How the server reaches workspaces: as the CLI's other commands do.
pub struct Options {
    pub home: Option<PathBuf>,
    pub cookie_file: Option<PathBuf>,
    pub timeout: Duration,
    /// `-w NAME`: this workspace rather than the project's own.
    pub workspace: Option<String>,
}

/// After this long with no message, stale documents are analysed and their diagnostics published.
const IDLE: Duration = Duration::from_millis(150);

/// Serves one client until it sends `exit`; whether it asked for `shutdown` first (the exit status).
pub fn serve(handle: tokio::runtime::Handle, opts: Options) -> bool {
    let rx = transport::reader(std::io::stdin());
    let Some((id, params)) = wait_for_initialize(&rx) else {
        return false;
    };
    let mut server = Server::start(handle, opts, &params);
    send(Message::Response(Response::new_ok(id, capabilities())));
    let mut shutdown = false;
    let mut last_idle = Instant::now();
    loop {
        let incoming = rx.recv_timeout(IDLE);
        let waited = incoming.is_err();
        match incoming {
            Ok(Incoming::Message(Message::Request(req))) => {
                let resp = match (shutdown, req.method.as_str()) {
                    (true, _) => error(
                        req,
                        ErrorCode::InvalidRequest,
                        "the server is shutting down",
                    ),
                    (false, "shutdown") => {
                        shutdown = true;
                        Response::new_ok(req.id, Value::Null)
                    }
                    _ => server.request(req),
                };
                send(Message::Response(resp));
            }
            Ok(Incoming::Message(Message::Notification(n))) if n.method == "exit" => {
                return shutdown;
            }
            Ok(Incoming::Message(Message::Notification(n))) => server.notify(n),
            Ok(Incoming::Message(Message::Response(_))) => {}
            Ok(Incoming::Malformed(why)) => parse_error(&why),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return false,
        }
        // Idle, or busy for long: analyse what changed, publish, look at the workspace again.
        if waited || last_idle.elapsed() > Duration::from_secs(1) {
            server.idle();
            last_idle = Instant::now();
        }
    }
}

/// The `initialize` request's id and parameters; requests before it are refused, as the protocol says.
fn wait_for_initialize(
    rx: &std::sync::mpsc::Receiver<Incoming>,
) -> Option<(lsp_server::RequestId, Value)> {
    loop {
        match rx.recv().ok()? {
            Incoming::Message(Message::Request(r)) if r.method == "initialize" => {
                return Some((r.id, r.params));
            }
            Incoming::Message(Message::Request(r)) => send(Message::Response(error(
                r,
                ErrorCode::ServerNotInitialized,
                "initialize first",
            ))),
            Incoming::Message(Message::Notification(n)) if n.method == "exit" => return None,
            Incoming::Message(_) => {}
            Incoming::Malformed(why) => parse_error(&why),
        }
    }
}

fn capabilities() -> Value {
    json!({
        "capabilities": {
            "positionEncoding": "utf-16",
            "textDocumentSync": { "openClose": true, "change": 1, "save": { "includeText": false } },
            "completionProvider": { "triggerCharacters": [] },
            "hoverProvider": true,
            "definitionProvider": true,
            "referencesProvider": true,
            "documentSymbolProvider": true,
            "workspaceSymbolProvider": true,
            "renameProvider": { "prepareProvider": true },
            "documentFormattingProvider": true,
            "executeCommandProvider": { "commands": features::COMMANDS },
        },
        "serverInfo": { "name": "beamtalk", "version": env!("CARGO_PKG_VERSION") },
    })
}

pub(crate) fn error(req: Request, code: ErrorCode, message: impl Into<String>) -> Response {
    Response::new_err(req.id, code as i32, message.into())
}

/// JSON-RPC's answer to a message that could not be read: an error with a null id.
fn parse_error(why: &str) {
    tracing::debug!("unreadable message: {why}");
    let body = json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": { "code": ErrorCode::ParseError as i32, "message": why },
    });
    transport::send_raw(&body);
}
