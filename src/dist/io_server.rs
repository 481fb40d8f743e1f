//! Output capture and input for remote code: the Rust half of `beamtalk_io_proxy`.
//!
//! [`IoServer::start`] makes sure the node has the proxy module (loading the copy built into this binary
//! with `code:load_binary/3` when it does not), gives a local pid a mailbox, and spawns the proxy with that
//! pid as its sink. Calls made with [`IoServer::group_leader`] then stream their output here as it is
//! written, and their input requests are answered from our input, a line at a time.

use std::io::{BufRead, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use eetf::{Binary, Pid, Term};
use tokio::sync::{mpsc, oneshot};

use super::connection::Connection;
use super::rpc::CallError;
use crate::term::{atom, tuple};

/// The proxy's module name on the node.
pub const PROXY_MODULE: &str = "beamtalk_io_proxy";

/// The proxy's BEAM code, compiled from `runtime/apps/beamtalk_runtime/src/beamtalk_io_proxy.erl` at build time.
pub static PROXY_BEAM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/beamtalk_io_proxy.beam"));

/// Where captured output goes and where input comes from.
pub struct Terminal {
    pub output: Box<dyn Write + Send>,
    pub input: Box<dyn BufRead + Send>,
}

impl Terminal {
    /// This process's stdout and stdin.
    pub fn stdio() -> Self {
        Self {
            output: Box::new(std::io::stdout()),
            input: Box::new(std::io::BufReader::new(std::io::stdin())),
        }
    }
}

enum Event {
    Message(Term),
    Flush(oneshot::Sender<()>),
}

/// A running io proxy on the peer and the local task that serves it.
pub struct IoServer {
    proxy: Pid,
    events: mpsc::UnboundedSender<Event>,
}

impl IoServer {
    /// Starts a proxy on the peer whose output goes to `terminal.output`.
    pub async fn start(
        conn: &Connection,
        terminal: Terminal,
        timeout: Duration,
    ) -> Result<Self, CallError> {
        ensure_proxy_loaded(conn, timeout).await?;
        let sink = conn.new_pid();
        let (events, rx) = mpsc::unbounded_channel();
        let to_task = events.clone();
        conn.register_mailbox(
            &sink,
            Arc::new(move |m| {
                let _ = to_task.send(Event::Message(m));
            }),
        );
        let proxy = conn
            .spawn(
                &conn.rpc_pid(),
                (PROXY_MODULE, "start", vec![Term::from(sink)]),
                timeout,
            )
            .await?;
        tokio::spawn(serve(conn.downgrade(), rx, terminal));
        Ok(Self { proxy, events })
    }

    /// The pid to use as group leader of calls whose I/O should come here.
    pub fn group_leader(&self) -> &Pid {
        &self.proxy
    }

    /// Waits until all output received so far has been written.
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.events.send(Event::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

async fn ensure_proxy_loaded(conn: &Connection, timeout: Duration) -> Result<(), CallError> {
    let loaded = conn
        .call("code", "ensure_loaded", vec![atom(PROXY_MODULE)], timeout)
        .await?;
    if is_module_reply(&loaded) {
        return Ok(());
    }
    let args = vec![
        atom(PROXY_MODULE),
        crate::term::parse::string_term("beamtalk_io_proxy.erl".chars().map(u32::from).collect()),
        Term::from(Binary::from(PROXY_BEAM.to_vec())),
    ];
    let reply = conn.call("code", "load_binary", args, timeout).await?;
    if is_module_reply(&reply) {
        Ok(())
    } else {
        Err(CallError::Exception(Box::new(super::rpc::Exception {
            class: "error".to_owned(),
            reason: tuple(vec![atom("io_proxy_load_failed"), reply]),
            stacktrace: crate::term::list(vec![]),
        })))
    }
}

fn is_module_reply(t: &Term) -> bool {
    matches!(t, Term::Tuple(t) if matches!(t.elements.first(), Some(Term::Atom(a)) if a.name == "module"))
}

async fn serve(
    conn: super::connection::WeakConnection,
    mut rx: mpsc::UnboundedReceiver<Event>,
    terminal: Terminal,
) {
    let Terminal { mut output, input } = terminal;
    let input = Arc::new(Mutex::new(input));
    while let Some(event) = rx.recv().await {
        match event {
            Event::Flush(done) => {
                let _ = output.flush();
                let _ = done.send(());
            }
            Event::Message(m) => match proxy_message(&m) {
                Some((_, "put_chars", bytes)) => {
                    let _ = output.write_all(bytes).and_then(|_| output.flush());
                }
                Some((proxy, "get_line", _)) => {
                    let _ = output.flush();
                    let line = read_line(input.clone()).await;
                    if let Some(conn) = conn.upgrade() {
                        let _ = conn.send(&proxy, &tuple(vec![atom("beamtalk_io_input"), line]));
                    }
                }
                _ => tracing::debug!("unexpected message to the io sink dropped"),
            },
        }
    }
}

/// `{beamtalk_io, Proxy, Kind, Binary}` split into its parts.
fn proxy_message(m: &Term) -> Option<(Pid, &str, &[u8])> {
    let Term::Tuple(t) = m else { return None };
    match t.elements.as_slice() {
        [
            Term::Atom(tag),
            Term::Pid(proxy),
            Term::Atom(kind),
            Term::Binary(b),
        ] if tag.name == "beamtalk_io" => Some((proxy.clone(), kind.name.as_str(), &b.bytes)),
        _ => None,
    }
}

/// One line of input as a binary, or the atom `eof`.
async fn read_line(input: Arc<Mutex<Box<dyn BufRead + Send>>>) -> Term {
    let read = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        let mut guard = input.lock().unwrap_or_else(|e| e.into_inner());
        guard.read_line(&mut line).map(|n| (n, line))
    })
    .await;
    match read {
        Ok(Ok((n, line))) if n > 0 => Term::from(Binary::from(line.into_bytes())),
        _ => atom("eof"),
    }
}
