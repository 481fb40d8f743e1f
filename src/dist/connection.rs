//! One live distribution connection: a reader task, a writer task, ticks, and routing of what arrives.
//!
//! The writer owns the socket's write half and sends each frame with one `write_all` (frames queued at the
//! same moment go out together), and a tick when it has sent nothing for a quarter of the tick time. The
//! reader owns the read half: frames are length-checked, decoded by [`super::frame`], and routed to the
//! pending call or the mailbox of the local pid they are for. Messages nobody expects are logged and dropped —
//! never a reason to close. Silence longer than the tick time, EOF, or a write error closes the connection,
//! which fails every pending call at once and closes every mailbox.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use eetf::{Atom, Pid, Reference, Term};
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, oneshot};

use super::frame::{self, Control};
use super::frame_reader::FrameReader;
use super::handshake::{self, ConnectError};
use super::node_name::NodeName;
use super::rpc::{self, CallError};
use super::rpc_server::{self, ServerState};
use super::transport::{ReadHalf, WriteHalf};

/// Erlang's default `net_ticktime`.
pub const DEFAULT_TICK_TIME: Duration = Duration::from_secs(60);

/// How to connect.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub cookie: String,
    /// Shown in errors (never the cookie itself).
    pub cookie_file: String,
    pub connect_timeout: Duration,
    /// Like `net_ticktime`: a peer silent this long is declared dead.
    pub tick_time: Duration,
    /// Port of EPMD on the peer's host.
    pub epmd_port: u16,
    /// TLS distribution (`-proto_dist inet_tls`) with this client configuration; plain TCP when `None`.
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

impl ConnectOptions {
    /// Options with Erlang's defaults: 60 s tick time, EPMD at `ERL_EPMD_PORT` or 4369.
    pub fn new(cookie: String, cookie_file: String, connect_timeout: Duration) -> Self {
        Self {
            cookie,
            cookie_file,
            connect_timeout,
            tick_time: DEFAULT_TICK_TIME,
            epmd_port: super::epmd::port_from_env(),
            tls: None,
        }
    }
}

/// Receives the messages sent to one local pid; it runs on the reader task, so it must not block.
pub type Mailbox = Arc<dyn Fn(Term) + Send + Sync>;

/// A handle to a connection; cheap to clone, shared by any number of concurrent callers. The connection
/// closes when the last handle is dropped (or on [`Connection::close`]).
#[derive(Clone)]
pub struct Connection {
    shared: Arc<Shared>,
    closer: Arc<Closer>,
}

/// A handle that does not keep the connection open (for mailboxes, which live inside it).
#[derive(Clone)]
pub struct WeakConnection {
    shared: std::sync::Weak<Shared>,
    closer: std::sync::Weak<Closer>,
}

impl WeakConnection {
    pub fn upgrade(&self) -> Option<Connection> {
        Some(Connection {
            shared: self.shared.upgrade()?,
            closer: self.closer.upgrade()?,
        })
    }
}

struct Closer(std::sync::Weak<Shared>);

impl Drop for Closer {
    fn drop(&mut self) {
        if let Some(shared) = self.0.upgrade() {
            shared.close("closed by this node".to_owned());
        }
    }
}

pub(crate) struct Shared {
    peer: NodeName,
    local: NodeName,
    local_atom: Atom,
    creation: u32,
    out: mpsc::UnboundedSender<Outgoing>,
    state: Mutex<State>,
    next_id: AtomicU64,
    salt: u32,
}

enum Outgoing {
    Frame(Vec<u8>),
    /// Write what is queued, shut the socket down, then acknowledge (if asked).
    Close(Option<oneshot::Sender<()>>),
}

#[derive(Default)]
struct State {
    pending: HashMap<u64, Pending>,
    mailboxes: HashMap<u32, Mailbox>,
    closed: Option<String>,
    server: ServerState,
}

/// An outstanding spawn request: a call (completes on the monitor's DOWN), a plain spawn (completes on the
/// spawn reply), or a call whose caller gave up (its process is killed as soon as its pid is known).
pub(crate) struct Pending {
    pub reply: Option<oneshot::Sender<Result<Term, CallError>>>,
    pub pid: Option<Pid>,
    pub kind: PendingKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PendingKind {
    Call,
    Spawn,
    Abandoned,
    /// A call run by the connection's RPC server (completes on its reply message).
    ServerCall,
    /// The spawn of that server (completes on the spawn reply; its monitor stays with the server state).
    Server,
}

/// The pid number used as sender of RPCs and as the default group leader.
const RPC_PID_ID: u32 = 1;

/// The pid number the RPC server sends its replies to.
const RPC_SERVER_PID_ID: u32 = 0;

impl Connection {
    /// Connects to `peer` as a hidden node and starts the connection's tasks.
    pub async fn connect(peer: &NodeName, opts: &ConnectOptions) -> Result<Self, ConnectError> {
        Self::start(peer, handshake::connect(peer, opts).await?, opts)
    }

    /// Like [`Connection::connect`], at a distribution port already known (no EPMD lookup).
    pub async fn connect_at(
        peer: &NodeName,
        port: u16,
        opts: &ConnectOptions,
    ) -> Result<Self, ConnectError> {
        Self::start(peer, handshake::connect_at(peer, port, opts).await?, opts)
    }

    fn start(
        peer: &NodeName,
        hs: handshake::Handshaken,
        opts: &ConnectOptions,
    ) -> Result<Self, ConnectError> {
        tracing::debug!(peer = %peer, local = %hs.local, "connected");
        let (read, write) = hs.stream.split();
        let (out, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            peer: peer.clone(),
            local_atom: Atom::from(hs.local.to_string()),
            local: hs.local,
            creation: hs.creation,
            out,
            state: Mutex::new(State::default()),
            next_id: AtomicU64::new(16),
            salt: rand::random(),
        });
        let closer = Arc::new(Closer(Arc::downgrade(&shared)));
        let conn = Connection { shared, closer };
        conn.register_mailbox(&conn.rpc_pid(), rpc::refuse_io_mailbox(conn.downgrade()));
        tokio::spawn(write_loop(
            Arc::downgrade(&conn.shared),
            write,
            rx,
            opts.tick_time / 4,
        ));
        let frames = FrameReader::new(read, hs.early);
        tokio::spawn(read_loop(conn.shared.clone(), frames, opts.tick_time));
        Ok(conn)
    }

    pub fn downgrade(&self) -> WeakConnection {
        WeakConnection {
            shared: Arc::downgrade(&self.shared),
            closer: Arc::downgrade(&self.closer),
        }
    }

    pub fn peer(&self) -> &NodeName {
        &self.shared.peer
    }

    /// Our own (hidden) node name on this connection.
    pub fn local(&self) -> &NodeName {
        &self.shared.local
    }

    /// Why the connection closed, if it has.
    pub fn closed_reason(&self) -> Option<String> {
        self.shared.lock().closed.clone()
    }

    /// Closes the connection: pending calls fail with node-down and the socket is shut down.
    pub fn close(&self) {
        self.shared.close("closed by this node".to_owned());
    }

    /// Sends everything already queued (such as casts), then closes; waits at most `timeout` for that.
    pub async fn shutdown(&self, timeout: Duration) {
        let (tx, rx) = oneshot::channel();
        if self.shared.out.send(Outgoing::Close(Some(tx))).is_ok() {
            let _ = tokio::time::timeout(timeout, rx).await;
        }
        self.close();
    }

    /// Where this connection's RPC server stands.
    pub(crate) fn server_state(&self) -> ServerState {
        self.shared.lock().server.clone()
    }

    /// Moves the server state from `expected` to `new`; false if it was not `expected`.
    pub(crate) fn set_server_state_if(&self, expected: &ServerState, new: ServerState) -> bool {
        let mut state = self.shared.lock();
        if state.server == *expected {
            state.server = new;
            true
        } else {
            false
        }
    }

    /// The pid the RPC server replies to.
    pub(crate) fn server_reply_pid(&self) -> Pid {
        self.pid(RPC_SERVER_PID_ID)
    }

    /// Drops a pending request without telling anyone.
    pub(crate) fn forget_pending(&self, key: u64) {
        self.shared.lock().pending.remove(&key);
    }

    /// How many requests are in flight.
    pub(crate) fn pending_len(&self) -> usize {
        self.shared.lock().pending.len()
    }

    /// The pid RPCs are sent from.
    pub fn rpc_pid(&self) -> Pid {
        self.pid(RPC_PID_ID)
    }

    /// A fresh local pid; give it a mailbox with [`Connection::register_mailbox`] to receive messages.
    pub fn new_pid(&self) -> Pid {
        // Pid numbers are 28 bits on the wire in older peers; wrap well below that.
        let id = (self.shared.next_id.fetch_add(1, Ordering::Relaxed) % (1 << 27)) as u32 + 2;
        self.pid(id)
    }

    fn pid(&self, id: u32) -> Pid {
        Pid::new(self.shared.local_atom.clone(), id, 0, self.shared.creation)
    }

    /// Routes every message sent to `pid` to `mailbox`.
    pub fn register_mailbox(&self, pid: &Pid, mailbox: Mailbox) {
        self.shared.lock().mailboxes.insert(pid.id, mailbox);
    }

    pub fn unregister_mailbox(&self, pid: &Pid) {
        self.shared.lock().mailboxes.remove(&pid.id);
    }

    /// Sends `message` to a remote pid.
    pub fn send(&self, to: &Pid, message: &Term) -> Result<(), CallError> {
        let f = frame::send(to, message).map_err(|e| CallError::BadRequest(e.to_string()))?;
        self.send_frame(f)
    }

    /// Sends `message` to the process registered as `name` on the peer.
    pub fn send_named(&self, name: &str, message: &Term) -> Result<(), CallError> {
        let f = frame::reg_send(&self.rpc_pid(), name, message)
            .map_err(|e| CallError::BadRequest(e.to_string()))?;
        self.send_frame(f)
    }

    pub(crate) fn send_frame(&self, f: Vec<u8>) -> Result<(), CallError> {
        if let Some(reason) = self.closed_reason() {
            return Err(self.node_down(reason));
        }
        self.shared
            .out
            .send(Outgoing::Frame(f))
            .map_err(|_| self.node_down("connection closed".to_owned()))
    }

    pub(crate) fn node_down(&self, reason: String) -> CallError {
        CallError::NodeDown {
            node: self.shared.peer.to_string(),
            reason,
        }
    }

    /// A new reference and its key in the pending table.
    pub(crate) fn new_reference(&self) -> (u64, Reference) {
        let key = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        (key, self.shared.reference(key))
    }

    /// Registers a pending request; fails at once if the connection is already closed.
    pub(crate) fn add_pending(&self, key: u64, pending: Pending) -> Result<(), CallError> {
        let mut state = self.shared.lock();
        if let Some(reason) = state.closed.clone() {
            return Err(self.node_down(reason));
        }
        state.pending.insert(key, pending);
        Ok(())
    }

    /// Gives up on a request: its remote process is killed now, or as soon as its pid arrives.
    pub(crate) fn abandon(&self, key: u64) {
        let (pid, server) = {
            let mut state = self.shared.lock();
            let server = match &state.server {
                ServerState::Ready(pid, _) => Some(pid.clone()),
                _ => None,
            };
            match state.pending.get_mut(&key) {
                None => return,
                // The server kills the worker; its reply, if one is already on the way, finds nothing.
                Some(p) if p.kind == PendingKind::ServerCall => {
                    state.pending.remove(&key);
                    (None, server)
                }
                Some(p) => {
                    p.kind = PendingKind::Abandoned;
                    p.reply = None;
                    (p.pid.clone(), None)
                }
            }
        };
        if let Some(pid) = pid {
            self.kill(&pid);
        }
        if let Some(server) = server {
            let cancel = crate::term::tuple(vec![
                crate::term::atom("cancel"),
                Term::from(self.shared.reference(key)),
            ]);
            let _ = self.send(&server, &cancel);
        }
    }

    fn kill(&self, pid: &Pid) {
        if let Ok(f) = frame::exit2(&self.rpc_pid(), pid, &crate::term::atom("kill")) {
            let _ = self.send_frame(f);
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that matters here.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The reference whose key is `key` (see [`Shared::key_of`]).
    fn reference(&self, key: u64) -> Reference {
        Reference {
            node: self.local_atom.clone(),
            id: vec![key as u32, (key >> 32) as u32, self.salt],
            creation: self.creation,
        }
    }

    fn key_of(&self, r: &Reference) -> Option<u64> {
        match r.id.as_slice() {
            [lo, hi, salt] if *salt == self.salt && r.node == self.local_atom => {
                Some(u64::from(*lo) | (u64::from(*hi) << 32))
            }
            _ => None,
        }
    }

    fn close(&self, reason: String) {
        let (pending, mailboxes) = {
            let mut state = self.lock();
            if state.closed.is_some() {
                return;
            }
            state.closed = Some(reason.clone());
            (
                std::mem::take(&mut state.pending),
                std::mem::take(&mut state.mailboxes),
            )
        };
        tracing::debug!(peer = %self.peer, %reason, "connection closed");
        for (_, p) in pending {
            if let Some(reply) = p.reply {
                let _ = reply.send(Err(CallError::NodeDown {
                    node: self.peer.to_string(),
                    reason: reason.clone(),
                }));
            }
        }
        drop(mailboxes);
        let _ = self.out.send(Outgoing::Close(None));
    }

    fn dispatch(self: &Arc<Self>, control: Control) {
        match control {
            Control::Send {
                to: Some(pid),
                message,
                ..
            } if pid.node == self.local_atom && pid.id == RPC_SERVER_PID_ID => {
                self.server_reply(message)
            }
            Control::Send {
                to: Some(pid),
                message,
                ..
            } if pid.node == self.local_atom => {
                let mailbox = self.lock().mailboxes.get(&pid.id).cloned();
                match mailbox {
                    Some(m) => m(message),
                    None => {
                        tracing::debug!(pid = pid.id, "message for a pid with no mailbox dropped")
                    }
                }
            }
            Control::Send { .. } => {
                tracing::debug!("message for another node or a registered name dropped")
            }
            Control::SpawnReply { request, result } => self.spawn_reply(&request, result),
            Control::MonitorExit {
                reference, reason, ..
            } => self.monitor_exit(&reference, reason),
            Control::MonitorExitUndecodable { reference, error }
            | Control::ReplyUndecodable { reference, error } => {
                self.fail_undecodable(&reference, &error)
            }
            Control::UnlinkId { id, from, to } => {
                if let Ok(f) = frame::unlink_id_ack(&id, &to, &from) {
                    let _ = self.out.send(Outgoing::Frame(f));
                }
            }
            Control::Other { op } => tracing::trace!(op, "control message ignored"),
        }
    }

    fn spawn_reply(&self, request: &Reference, result: Term) {
        let Some(key) = self.key_of(request) else {
            return;
        };
        let mut state = self.lock();
        let Some(p) = state.pending.get_mut(&key) else {
            return;
        };
        match (result, p.kind) {
            (Term::Pid(pid), PendingKind::Call) => p.pid = Some(pid),
            (Term::Pid(pid), PendingKind::Server) => {
                if let Some(reply) = state.pending.remove(&key).and_then(|p| p.reply) {
                    let _ = reply.send(Ok(Term::Pid(pid)));
                }
            }
            (Term::Pid(pid), PendingKind::Spawn) => {
                if let Some(reply) = state.pending.remove(&key).and_then(|p| p.reply) {
                    let _ = reply.send(Ok(Term::Pid(pid)));
                }
            }
            (Term::Pid(pid), PendingKind::Abandoned) => {
                drop(state);
                if let Ok(f) = frame::exit2(
                    &Pid::new(self.local_atom.clone(), RPC_PID_ID, 0, self.creation),
                    &pid,
                    &crate::term::atom("kill"),
                ) {
                    let _ = self.out.send(Outgoing::Frame(f));
                }
            }
            (error, _) => {
                if let Some(reply) = state.pending.remove(&key).and_then(|p| p.reply) {
                    let _ = reply.send(Err(rpc::spawn_error(&self.peer, error)));
                }
            }
        }
    }

    /// Fails the call whose result could not be decoded, at once.
    fn fail_undecodable(&self, reference: &Reference, error: &crate::term::etf::DecodeError) {
        let Some(key) = self.key_of(reference) else {
            return;
        };
        let Some(reply) = self.lock().pending.remove(&key).and_then(|p| p.reply) else {
            return;
        };
        let _ = reply.send(Err(CallError::Undecodable {
            node: self.peer.to_string(),
            reason: error.to_string(),
        }));
    }

    fn monitor_exit(&self, reference: &Reference, reason: Term) {
        let Some(key) = self.key_of(reference) else {
            return;
        };
        let Some(p) = self.lock().pending.remove(&key) else {
            return self.server_exit(key, reason);
        };
        if let Some(reply) = p.reply {
            let _ = reply.send(rpc::call_result(&self.peer, reason));
        }
    }
}

impl Shared {
    /// A reply from the RPC server: `{beamtalk_rpc, Ref, Result}`.
    fn server_reply(&self, message: Term) {
        let Some((reference, result)) = rpc_server::reply_parts(message) else {
            tracing::debug!("unexpected message to the RPC server's reply pid dropped");
            return;
        };
        let Some(key) = self.key_of(&reference) else {
            return;
        };
        let Some(p) = self.lock().pending.remove(&key) else {
            return;
        };
        if let Some(reply) = p.reply {
            let _ = reply.send(rpc::call_result(&self.peer, result));
        }
    }

    /// The RPC server's monitor fired: its calls fail, later calls go back to `SPAWN_REQUEST`.
    fn server_exit(&self, key: u64, reason: Term) {
        let orphans: Vec<Pending> = {
            let mut state = self.lock();
            if !matches!(state.server, ServerState::Ready(_, k) if k == key) {
                return;
            }
            state.server = ServerState::Unavailable;
            let keys: Vec<u64> = state
                .pending
                .iter()
                .filter(|(_, p)| p.kind == PendingKind::ServerCall)
                .map(|(k, _)| *k)
                .collect();
            keys.iter()
                .filter_map(|k| state.pending.remove(k))
                .collect()
        };
        tracing::debug!(reason = %reason, "the RPC server exited");
        for p in orphans {
            if let Some(reply) = p.reply {
                let _ = reply.send(Err(CallError::Exception(Box::new(rpc::Exception {
                    class: "exit".to_owned(),
                    reason: crate::term::tuple(vec![
                        crate::term::atom("beamtalk_rpc_server_exited"),
                        reason.clone(),
                    ]),
                    stacktrace: crate::term::list(vec![]),
                }))));
            }
        }
    }
}

async fn read_loop(shared: Arc<Shared>, mut frames: FrameReader<ReadHalf>, tick_time: Duration) {
    let reason = loop {
        match tokio::time::timeout(tick_time, frames.next()).await {
            Err(_) => {
                break format!(
                    "no tick or data from the node for {tick_time:?} (it is frozen or unreachable)"
                );
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                break "the node closed the connection".to_owned();
            }
            Ok(Err(e)) => break format!("read failed: {e}"),
            Ok(Ok(None)) => {}
            Ok(Ok(Some(body))) => match frame::decode(body) {
                Ok(control) => shared.dispatch(control),
                Err(e) => tracing::warn!(error = %e, "malformed frame from peer skipped"),
            },
        }
        if shared.lock().closed.is_some() {
            return;
        }
    };
    shared.close(reason);
}

/// Largest batch of queued frames coalesced into one write.
const MAX_BATCH_BYTES: usize = 256 * 1024;

/// A close found while draining, with its acknowledgement.
type Closing = Option<Option<oneshot::Sender<()>>>;

/// Moves frames already queued into `batch` (up to [`MAX_BATCH_BYTES`]) so they go out together; returns
/// the close queued behind them, if any, and whether anything was batched.
fn drain(rx: &mut mpsc::UnboundedReceiver<Outgoing>, batch: &mut Vec<u8>) -> (Closing, bool) {
    batch.clear();
    while batch.len() < MAX_BATCH_BYTES {
        match rx.try_recv() {
            Ok(Outgoing::Frame(more)) => batch.extend_from_slice(&more),
            Ok(Outgoing::Close(done)) => return (Some(done), !batch.is_empty()),
            Err(_) => break,
        }
    }
    (None, !batch.is_empty())
}

/// Writes `first` then `second` with as few system calls as the socket allows.
async fn write_both(write: &mut WriteHalf, first: &[u8], second: &[u8]) -> std::io::Result<()> {
    let mut done = 0;
    let total = first.len() + second.len();
    while done < total {
        let n = if done < first.len() {
            let slices = [
                std::io::IoSlice::new(&first[done..]),
                std::io::IoSlice::new(second),
            ];
            write.write_vectored(&slices).await?
        } else {
            write.write(&second[done - first.len()..]).await?
        };
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        done += n;
    }
    Ok(())
}

async fn write_loop(
    shared: std::sync::Weak<Shared>,
    mut write: WriteHalf,
    mut rx: mpsc::UnboundedReceiver<Outgoing>,
    tick_interval: Duration,
) {
    let mut batch = Vec::new();
    let mut ack = None;
    let result: std::io::Result<()> = async {
        loop {
            match tokio::time::timeout(tick_interval, rx.recv()).await {
                Err(_) => write.write_all(&[0, 0, 0, 0]).await?,
                Ok(None) => return Ok(()),
                Ok(Some(Outgoing::Close(done))) => {
                    ack = done;
                    return Ok(());
                }
                Ok(Some(Outgoing::Frame(f))) => {
                    let (closing, more) = drain(&mut rx, &mut batch);
                    // Whole frames only: the first as it is (no copy), then any that queued behind it, in
                    // one vectored write.
                    if more {
                        write_both(&mut write, &f, &batch).await?;
                    } else {
                        write.write_all(&f).await?;
                    }
                    if let Some(done) = closing {
                        ack = done;
                        return Ok(());
                    }
                }
            }
        }
    }
    .await;
    let _ = write.shutdown().await;
    if let Some(done) = ack {
        let _ = done.send(());
    }
    if let (Err(e), Some(shared)) = (result, shared.upgrade()) {
        shared.close(format!("write failed: {e}"));
    }
}
