//! Connecting as a hidden node: EPMD lookup, TCP with `TCP_NODELAY`, and `erl_dist`'s version-6 handshake.
//!
//! Produces an authenticated socket and the peer's flags; knows nothing of frames or RPC. Errors are mapped to
//! what a user can act on: which host and port were tried, and a cookie rejection as its own kind (the peer
//! shows it only by closing the socket after our challenge reply).

use std::net::SocketAddr;
use std::time::Duration;

use erl_dist::DistributionFlags;
use erl_dist::handshake::{ClientSideHandshake, HandshakeError, HandshakeStatus};
use erl_dist::node::{Creation, LocalNode};
use tokio::io::{BufReader, BufWriter};
use tokio::net::TcpStream;
use tokio_util::compat::TokioAsyncReadCompatExt;

/// Handshake messages are a few hundred bytes; tokio zero-fills read buffers, so this one stays small.
const HANDSHAKE_BUFFER: usize = 1024;

use super::connection::ConnectOptions;
use super::epmd::{Epmd, EpmdError, resolve};
use super::node_name::NodeName;
use super::repacket::Repacket;
use super::tls;
use super::transport::Transport;

/// Why a connection could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Epmd(#[from] EpmdError),
    #[error("node `{node}` is not registered with EPMD on {host}:{port}{}", known_names(.registered))]
    NotRegistered {
        node: String,
        host: String,
        port: u16,
        registered: Vec<String>,
    },
    #[error("cannot connect to node `{node}` at {addr}: {source}")]
    Refused {
        node: String,
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("node `{node}` rejected our cookie (from {cookie_file})")]
    Auth { node: String, cookie_file: String },
    #[error("node `{node}` refused the connection: {reason}")]
    NotAllowed { node: String, reason: String },
    #[error("handshake with `{node}` failed: {reason}")]
    Handshake { node: String, reason: String },
    /// The node reset the connection mid-handshake: what a node does that is too busy to finish it in
    /// its own setup time (or one still starting its distribution). Worth another try.
    #[error("node `{node}` dropped the connection during the handshake: {reason}")]
    Dropped { node: String, reason: String },
    /// The node closed the connection before answering our name: typical of a TLS node (`inet_tls`)
    /// reached over plain TCP.
    #[error(
        "node `{node}` did not answer our handshake in plain distribution (it may expect TLS distribution)"
    )]
    PlainRefused { node: String },
    #[error("TLS with `{node}` failed: a certificate was refused: {reason}")]
    TlsRefused { node: String, reason: String },
    #[error("TLS with `{node}` failed: {reason}")]
    Tls { node: String, reason: String },
    #[error("connecting to `{node}` timed out after {after:?} {stage}")]
    Timeout {
        node: String,
        after: Duration,
        /// Where it stalled, in words a user can act on.
        stage: String,
        /// Whether the TCP connection was made: a timeout before it says more about the limit (or the
        /// network) than about the node.
        connected: bool,
    },
}

/// A limit shorter than this tells nothing about the node when it runs out: even a loopback handshake
/// takes about a millisecond, and a busy machine many more.
pub const TELLING_TIMEOUT: Duration = Duration::from_millis(100);

impl ConnectError {
    /// A timeout that says more about the limit (or the network) than about the node: it fired before
    /// a TCP connection was made, or the limit was too short for any node to answer in.
    pub fn timed_out_on_the_limit(&self) -> bool {
        match self {
            ConnectError::Timeout {
                connected, after, ..
            } => !connected || *after < TELLING_TIMEOUT,
            // EPMD is asked before the node is: its silence never tells about the node.
            ConnectError::Epmd(EpmdError::Timeout { .. }) => true,
            _ => false,
        }
    }

    /// A failure another attempt may not meet: the node dropped a handshake it was too busy to finish.
    pub fn is_transient(&self) -> bool {
        matches!(self, ConnectError::Dropped { .. })
    }
}

fn known_names(names: &[String]) -> String {
    if names.is_empty() {
        "; no nodes are registered there".to_owned()
    } else {
        format!("; registered: {}", names.join(", "))
    }
}

/// What the handshake settled.
pub struct Handshaken {
    pub stream: Transport,
    /// Bytes the peer sent after the handshake that were already read (they start the first frame).
    pub early: Vec<u8>,
    pub local: NodeName,
    pub creation: u32,
    pub peer_flags: DistributionFlags,
}

/// The flags we offer: OTP's mandatory set plus spawn/monitor support and Unicode I/O. Never PUBLISHED, so
/// the node treats us as hidden; never the atom cache or fragments, so every frame is self-contained.
pub fn our_flags() -> DistributionFlags {
    DistributionFlags::mandatory()
        | DistributionFlags::SPAWN
        | DistributionFlags::DIST_MONITOR
        | DistributionFlags::DIST_MONITOR_NAME
        | DistributionFlags::UNICODE_IO
        | DistributionFlags::EXIT_PAYLOAD
}

/// Looks `peer` up in its host's EPMD, connects, and completes the handshake with `cookie`.
pub async fn connect(peer: &NodeName, opts: &ConnectOptions) -> Result<Handshaken, ConnectError> {
    let timeout = opts.connect_timeout;
    let deadline = tokio::time::Instant::now() + timeout;
    let addrs = resolve(peer.host(), timeout).await?;
    tracing::debug!(host = peer.host(), ?addrs, "resolved");
    let epmd = Epmd::new(peer.host(), opts.epmd_port, timeout).with_addrs(addrs.clone());
    let entry = match epmd.lookup(peer.name()).await? {
        Some(entry) => entry,
        None => {
            let registered = epmd
                .names()
                .await
                .map(|ns| ns.into_iter().map(|(n, _)| n).collect())
                .unwrap_or_default();
            return Err(ConnectError::NotRegistered {
                node: peer.to_string(),
                host: peer.host().to_owned(),
                port: epmd.port(),
                registered,
            });
        }
    };
    tracing::debug!(node = %peer, port = entry.port, "EPMD lookup done");
    connect_port(peer, &addrs, entry.port, opts, deadline).await
}

/// Connects to `peer` at a distribution port already known (from an EPMD NAMES reply, say) and completes
/// the handshake, skipping the PORT_PLEASE2 lookup.
pub async fn connect_at(
    peer: &NodeName,
    port: u16,
    opts: &ConnectOptions,
) -> Result<Handshaken, ConnectError> {
    let deadline = tokio::time::Instant::now() + opts.connect_timeout;
    let addrs = resolve(peer.host(), opts.connect_timeout).await?;
    connect_port(peer, &addrs, port, opts, deadline).await
}

async fn connect_port(
    peer: &NodeName,
    addrs: &[std::net::IpAddr],
    port: u16,
    opts: &ConnectOptions,
    deadline: tokio::time::Instant,
) -> Result<Handshaken, ConnectError> {
    let (cookie, cookie_file, timeout) = (
        opts.cookie.as_str(),
        opts.cookie_file.as_str(),
        opts.connect_timeout,
    );
    let addr = format!("{}:{}", peer.host(), port);
    let targets: Vec<SocketAddr> = addrs.iter().map(|ip| SocketAddr::new(*ip, port)).collect();
    let stream = tokio::time::timeout_at(deadline, TcpStream::connect(targets.as_slice()))
        .await
        .map_err(|_| ConnectError::Timeout {
            node: peer.to_string(),
            after: timeout,
            stage: format!(
                "opening its distribution port {addr} (EPMD answered; a firewall may be dropping that port)"
            ),
            connected: false,
        })?
        .map_err(|source| ConnectError::Refused {
            node: peer.to_string(),
            addr,
            source,
        })?;
    stream
        .set_nodelay(true)
        .map_err(|source| ConnectError::Refused {
            node: peer.to_string(),
            addr: peer.host().to_owned(),
            source,
        })?;
    tracing::debug!(node = %peer, "TCP connected");
    let setup = async {
        let transport = match &opts.tls {
            Some(config) => start_tls(stream, peer, config.clone()).await?,
            None => Transport::Tcp(stream),
        };
        handshake(transport, peer, cookie, cookie_file).await
    };
    let stage = if opts.tls.is_some() {
        "in the TLS or distribution handshake (the node may not use TLS distribution, or is overloaded)"
    } else {
        "in the distribution handshake (the node may be frozen or overloaded)"
    };
    tokio::time::timeout_at(deadline, setup)
        .await
        .map_err(|_| ConnectError::Timeout {
            node: peer.to_string(),
            after: timeout,
            stage: stage.to_owned(),
            connected: true,
        })?
}

/// The TLS handshake (as a client with a certificate) over a connected socket.
async fn start_tls(
    stream: TcpStream,
    peer: &NodeName,
    config: std::sync::Arc<rustls::ClientConfig>,
) -> Result<Transport, ConnectError> {
    let name = tls::server_name(peer.host()).map_err(|e| ConnectError::Tls {
        node: peer.to_string(),
        reason: e.to_string(),
    })?;
    let tls = tokio_rustls::TlsConnector::from(config)
        .connect(name, stream)
        .await
        .map_err(|e| tls_error(peer, &e))?;
    tracing::debug!(node = %peer, "TLS established");
    Ok(Transport::Tls(Box::new(tls)))
}

fn tls_error(peer: &NodeName, e: &std::io::Error) -> ConnectError {
    let (node, reason) = (peer.to_string(), e.to_string());
    match tls::classify(e) {
        tls::Failure::Certificate => ConnectError::TlsRefused { node, reason },
        tls::Failure::Protocol if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            ConnectError::Tls {
                node,
                reason: "the node closed the connection during the TLS handshake (it may not use TLS distribution)".to_owned(),
            }
        }
        tls::Failure::Protocol => ConnectError::Tls { node, reason },
    }
}

/// Maps a failure of the distribution handshake, which over TLS may be a late certificate refusal (TLS 1.3
/// servers check the client's certificate after the client considers the handshake done).
fn handshake_error(peer: &NodeName, is_tls: bool, e: HandshakeError) -> ConnectError {
    match e {
        HandshakeError::Io(ref io) if is_tls && tls::classify(io) == tls::Failure::Certificate => {
            tls_error(peer, io)
        }
        HandshakeError::Io(ref io) if is_reset(io) => ConnectError::Dropped {
            node: peer.to_string(),
            reason: io.to_string(),
        },
        other => ConnectError::Handshake {
            node: peer.to_string(),
            reason: other.to_string(),
        },
    }
}

fn is_reset(io: &std::io::Error) -> bool {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset};
    matches!(io.kind(), ConnectionReset | ConnectionAborted | BrokenPipe)
}

async fn handshake(
    stream: Transport,
    peer: &NodeName,
    cookie: &str,
    cookie_file: &str,
) -> Result<Handshaken, ConnectError> {
    let local = NodeName::for_cli(peer);
    let creation = Creation::random();
    let name = erl_dist::node::NodeName::new(local.name(), local.host()).map_err(|e| {
        ConnectError::Handshake {
            node: peer.to_string(),
            reason: e.to_string(),
        }
    })?;
    let mut node = LocalNode::new(name, creation);
    node.flags = our_flags();
    let session = Session {
        peer,
        cookie,
        cookie_file,
        is_tls: stream.is_tls(),
    };
    let (stream, early, peer_flags) = if stream.is_tls() {
        // inet_tls_dist frames the handshake with 4-byte lengths.
        let (repacketed, mut early, flags) = session.run(Repacket::new(stream), node).await?;
        let (stream, raw) = repacketed.into_parts();
        early.extend_from_slice(&raw);
        (stream, early, flags)
    } else {
        session.run(stream, node).await?
    };
    Ok(Handshaken {
        stream,
        early,
        local,
        creation: creation.get(),
        peer_flags,
    })
}

/// One run of the version-6 client handshake.
struct Session<'a> {
    peer: &'a NodeName,
    cookie: &'a str,
    cookie_file: &'a str,
    is_tls: bool,
}

impl Session<'_> {
    /// Runs the handshake over `stream`; returns it with the bytes already read past the handshake.
    async fn run<S>(
        &self,
        stream: S,
        node: LocalNode,
    ) -> Result<(S, Vec<u8>, DistributionFlags), ConnectError>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let (peer, is_tls) = (self.peer, self.is_tls);
        // erl_dist reads and writes field by field (flushing after each message); buffers turn that into
        // one read and one write per message, so the node sees one segment each.
        let buffered = BufReader::with_capacity(
            HANDSHAKE_BUFFER,
            BufWriter::with_capacity(HANDSHAKE_BUFFER, stream),
        );
        let mut hs = ClientSideHandshake::new(buffered.compat(), node, self.cookie);
        let failed = |e: HandshakeError| handshake_error(peer, is_tls, e);
        let status = hs
            .execute_send_name(erl_dist::LOWEST_DISTRIBUTION_PROTOCOL_VERSION)
            .await
            .map_err(|e| match e {
                // A TLS node answers plain bytes with a TLS alert record and closes.
                HandshakeError::Io(ref io)
                    if !is_tls && io.kind() == std::io::ErrorKind::UnexpectedEof =>
                {
                    ConnectError::PlainRefused {
                        node: peer.to_string(),
                    }
                }
                HandshakeError::UnexpectedTag { .. } if !is_tls => ConnectError::PlainRefused {
                    node: peer.to_string(),
                },
                other => failed(other),
            })?;
        if let HandshakeStatus::NotAllowed = status {
            return Err(ConnectError::NotAllowed {
                node: peer.to_string(),
                reason: "the node does not allow connections from this host or node name"
                    .to_owned(),
            });
        }
        let auth = || ConnectError::Auth {
            node: peer.to_string(),
            cookie_file: self.cookie_file.to_owned(),
        };
        let (stream, peer_node) = hs.execute_rest(true).await.map_err(|e| match e {
            // The peer drops the socket instead of sending its challenge ack when our digest is wrong.
            HandshakeError::Io(ref io)
                if io.kind() == std::io::ErrorKind::UnexpectedEof
                    && !(is_tls && tls::classify(io) == tls::Failure::Certificate) =>
            {
                auth()
            }
            HandshakeError::CookieMismatch => auth(),
            other => failed(other),
        })?;
        let reader = stream.into_inner();
        let early = reader.buffer().to_vec();
        // Every message was flushed, so the write buffer is empty.
        Ok((reader.into_inner().into_inner(), early, peer_node.flags))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpListener;

    /// A peer that reads our name and resets the connection, as a node does that cannot finish the
    /// handshake within its setup time: the failure is told apart as one worth another attempt.
    #[tokio::test]
    async fn a_reset_mid_handshake_is_transient() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let peer = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.expect("accept");
            let mut name = [0u8; 8];
            stream.read_exact(&mut name).await.expect("our send_name");
            // Linger 0 turns the close into a TCP reset.
            stream.set_zero_linger().expect("linger");
        });
        let node = NodeName::parse("busy@127.0.0.1").expect("name");
        let opts = ConnectOptions::new("c".into(), "cookie".into(), Duration::from_secs(5));
        let err = connect_at(&node, port, &opts)
            .await
            .err()
            .expect("the reset fails the handshake");
        peer.await.expect("peer");
        assert!(err.is_transient(), "{err}");
        assert!(err.to_string().contains("dropped the connection"), "{err}");
    }
}
