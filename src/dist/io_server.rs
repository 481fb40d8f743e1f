//! Output capture and input for remote code: the Rust half of `beamtalk_io_proxy`.
//!
//! An [`IoServer`] is a local pid (the *sink*) that starts out as the group leader of the calls made with it.
//! Calls that write nothing cost nothing extra. The first `io_request` that arrives makes the server put
//! `beamtalk_io_proxy` on the node (loading the copy built into this binary with `code:load_binary/3` when
//! the node lacks it) and spawn it with the sink as its target; that request and every later one are
//! forwarded to the proxy, which formats on the BEAM, answers the caller, and sends plain characters back.
//! From then on [`IoServer::group_leader`] is the proxy itself, so later calls skip the forwarding hop.
//! Input requests are answered from our input, a line at a time.

use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use eetf::{Binary, Pid, Term};
use futures::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};

use super::connection::{Connection, WeakConnection};
use super::rpc::{CallError, io_request_parts};
use crate::term::{atom, tuple};

/// The proxy's module name on the node.
pub const PROXY_MODULE: &str = "beamtalk_io_proxy";

/// The proxy's BEAM code, from the runtime built into this binary.
fn proxy_beam() -> &'static [u8] {
    crate::workspace::runtime::file("beamtalk_runtime/ebin/beamtalk_io_proxy.beam")
        .unwrap_or_default()
}

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

/// Output a node writes, kept instead of printed (a `--json` command's document, the editor server's
/// replies).
#[derive(Clone, Default)]
pub struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Captured {
    /// A terminal whose output is captured here and whose input is empty.
    pub fn terminal(&self) -> Terminal {
        Terminal {
            output: Box::new(self.clone()),
            input: Box::new(std::io::empty()),
        }
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Answers a node's request that needs the compiler (`Workspace load:` a path, `Counter compile: #sel
/// source: ...`), given its kind and payload, with the reply to send back: Beamtalk is compiled here, in
/// the CLI, so the node asks the io server of the evaluation.
pub type RequestHandler = Arc<dyn Fn(CliRequest) -> BoxFuture<'static, Term> + Send + Sync>;

/// What a node's evaluation asks of this CLI.
#[derive(Debug, Clone, PartialEq)]
pub enum CliRequest {
    /// `Workspace load: path`.
    Load(String),
    /// A class edit (`compile:source:`, `removeSelector:`): the payload is an external term.
    Edit(Vec<u8>),
}

enum Event {
    Message(Term),
    Flush(oneshot::Sender<()>),
    EndLine(oneshot::Sender<()>),
}

/// Output capture for calls on one connection.
pub struct IoServer {
    sink: Pid,
    proxy: Arc<Mutex<Option<Pid>>>,
    handler: Arc<Mutex<Option<RequestHandler>>>,
    events: mpsc::UnboundedSender<Event>,
}

impl IoServer {
    /// A sink whose output goes to `terminal.output`; no round trip to the node is made here.
    pub fn new(conn: &Connection, terminal: Terminal, timeout: Duration) -> Self {
        let sink = conn.new_pid();
        let (events, rx) = mpsc::unbounded_channel();
        let to_task = events.clone();
        conn.register_mailbox(
            &sink,
            Arc::new(move |m| {
                let _ = to_task.send(Event::Message(m));
            }),
        );
        let proxy = Arc::new(Mutex::new(None));
        let handler = Arc::new(Mutex::new(None));
        let line_start = Arc::new(AtomicBool::new(true));
        let server = Served {
            conn: conn.downgrade(),
            sink: sink.clone(),
            proxy: proxy.clone(),
            handler: handler.clone(),
            line_start,
            timeout,
        };
        tokio::spawn(server.run(rx, terminal));
        Self {
            sink,
            proxy,
            handler,
            events,
        }
    }

    /// Ends the line the node's output left open, if it did, so what this process prints next starts
    /// on a line of its own (`Transcript show: "hi"` then the result); waits for the output so far.
    pub async fn end_line(&self) {
        let (tx, rx) = oneshot::channel();
        if self.events.send(Event::EndLine(tx)).is_ok() {
            let _ = rx.await;
        }
    }

    /// Lets code evaluated through this server compile Beamtalk (`Workspace load:`, class edits).
    pub fn on_request(&self, handler: RequestHandler) {
        *lock(&self.handler) = Some(handler);
    }

    /// Our own pid that output arrives at.
    pub fn sink(&self) -> Pid {
        self.sink.clone()
    }

    /// The pid to use as group leader of calls whose I/O should come here.
    pub fn group_leader(&self) -> Pid {
        lock(&self.proxy)
            .clone()
            .unwrap_or_else(|| self.sink.clone())
    }

    /// Waits until all output received so far has been written.
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.events.send(Event::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The task behind an [`IoServer`].
struct Served {
    conn: WeakConnection,
    sink: Pid,
    proxy: Arc<Mutex<Option<Pid>>>,
    handler: Arc<Mutex<Option<RequestHandler>>>,
    line_start: Arc<AtomicBool>,
    timeout: Duration,
}

impl Served {
    async fn run(self, mut rx: mpsc::UnboundedReceiver<Event>, terminal: Terminal) {
        let Terminal { mut output, input } = terminal;
        let input = Arc::new(Mutex::new(input));
        while let Some(event) = rx.recv().await {
            let Some(conn) = self.conn.upgrade() else {
                return;
            };
            match event {
                Event::Flush(done) => {
                    let _ = output.flush();
                    let _ = done.send(());
                }
                Event::EndLine(done) => {
                    if !self.line_start.swap(true, Ordering::SeqCst) {
                        let _ = output.write_all(b"\n");
                    }
                    let _ = output.flush();
                    let _ = done.send(());
                }
                Event::Message(m) => {
                    if let Some((from, reply_as, _)) = io_request_parts(&m) {
                        self.forward(&conn, &m, &from, reply_as).await;
                        continue;
                    }
                    match proxy_message(&m) {
                        Some((_, "put_chars", bytes)) => {
                            let _ = output.write_all(bytes).and_then(|_| output.flush());
                            if let Some(last) = bytes.last() {
                                self.line_start.store(*last == b'\n', Ordering::SeqCst);
                            }
                        }
                        Some((proxy, "get_line", _)) => {
                            let _ = output.flush();
                            let line = read_line(input.clone()).await;
                            let _ =
                                conn.send(&proxy, &tuple(vec![atom("beamtalk_io_input"), line]));
                        }
                        Some((proxy, "load", path)) => self.request(
                            proxy,
                            CliRequest::Load(String::from_utf8_lossy(path).into_owned()),
                        ),
                        Some((proxy, "edit", payload)) => {
                            self.request(proxy, CliRequest::Edit(payload.to_vec()))
                        }
                        _ => tracing::debug!("unexpected message to the io sink dropped"),
                    }
                }
            }
        }
    }

    /// Does what the proxy asks for, in a task of its own (compiling makes calls on this connection
    /// while the evaluation that asked waits), and answers the proxy.
    fn request(&self, proxy: Pid, request: CliRequest) {
        let handler = lock(&self.handler).clone();
        let conn = self.conn.clone();
        tokio::spawn(async move {
            let reply = match handler {
                Some(h) => h(request).await,
                None => tuple(vec![
                    atom("error"),
                    Term::from(Binary::from(
                        b"this connection does not compile Beamtalk".to_vec(),
                    )),
                ]),
            };
            if let Some(conn) = conn.upgrade() {
                let _ = conn.send(&proxy, &tuple(vec![atom("beamtalk_io_loaded"), reply]));
            }
        });
    }

    /// Hands an io request to the proxy, starting the proxy first if need be.
    async fn forward(&self, conn: &Connection, request: &Term, from: &Pid, reply_as: Term) {
        let current = lock(&self.proxy).clone();
        let proxy = match current {
            Some(p) => Ok(p),
            None => self.start_proxy(conn).await,
        };
        match proxy {
            Ok(p) => {
                let _ = conn.send(&p, request);
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot start the io proxy; output is lost");
                let reply = tuple(vec![
                    atom("io_reply"),
                    reply_as,
                    tuple(vec![atom("error"), atom("enotsup")]),
                ]);
                let _ = conn.send(from, &reply);
            }
        }
    }

    async fn start_proxy(&self, conn: &Connection) -> Result<Pid, CallError> {
        conn.ensure_loaded(PROXY_MODULE, proxy_beam(), self.timeout)
            .await?;
        let args = vec![Term::from(self.sink.clone())];
        let pid = conn
            .spawn(&conn.rpc_pid(), (PROXY_MODULE, "start", args), self.timeout)
            .await?;
        *lock(&self.proxy) = Some(pid.clone());
        Ok(pid)
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
