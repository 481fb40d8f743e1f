//! EPMD client: the node names registered on a host, and the distribution port of one of them.
//!
//! The protocol codec is `erl_dist`'s [`EpmdClient`]; this module adds what a CLI facing untrusted hosts
//! needs around it: host resolution, a deadline on every exchange, and a cap on the bytes a reply may take
//! (`NAMES` otherwise reads until the peer closes, however much it sends). `ERL_EPMD_PORT` is honoured as
//! `erl` honours it.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use erl_dist::epmd::{EpmdClient, NodeEntry};
use std::net::IpAddr;

use tokio::io::{AsyncRead, AsyncWrite, BufStream, ReadBuf};
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};

/// Buffer for EPMD's short messages; tokio zero-fills read buffers, so a short-lived call keeps them small
/// (longer replies are simply read in more pieces).
const MESSAGE_BUFFER: usize = 1024;

/// An EPMD client that sends each request as one segment.
fn client(stream: Limited<TcpStream>) -> EpmdClient<Compat<BufStream<Limited<TcpStream>>>> {
    EpmdClient::new(BufStream::with_capacity(MESSAGE_BUFFER, MESSAGE_BUFFER, stream).compat())
}

/// The port EPMD listens on unless `ERL_EPMD_PORT` says otherwise.
pub const DEFAULT_PORT: u16 = 4369;

/// The most bytes an EPMD reply may take.
pub const MAX_REPLY_BYTES: usize = 1 << 20;

/// Why EPMD could not answer.
#[derive(Debug, thiserror::Error)]
pub enum EpmdError {
    #[error("cannot resolve host `{host}`: {source}")]
    HostUnknown {
        host: String,
        #[source]
        source: std::io::Error,
    },
    #[error("no EPMD answering on {host}:{port} ({source})")]
    Unreachable {
        host: String,
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("EPMD on {host}:{port} did not answer within {after:?}")]
    Timeout {
        host: String,
        port: u16,
        after: Duration,
    },
    #[error("EPMD on {host}:{port} sent a malformed reply: {reason}")]
    Protocol {
        host: String,
        port: u16,
        reason: String,
    },
}

/// Where EPMD runs.
#[derive(Debug, Clone)]
pub struct Epmd {
    host: String,
    port: u16,
    timeout: Duration,
    addrs: Option<Vec<IpAddr>>,
}

/// The addresses of `host`: IP literals directly, names through the system resolver (once; callers reuse
/// the result for EPMD and for the node).
pub async fn resolve(host: &str, timeout: Duration) -> Result<Vec<IpAddr>, EpmdError> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    if is_this_host(host) {
        // This machine's own names come from /etc/hosts: read it directly (the system resolver would first
        // try nscd and read three other files), else ask the resolver, without a thread hop.
        let listed = etc_hosts(host);
        if !listed.is_empty() {
            return Ok(listed);
        }
        if let Ok(found) = std::net::ToSocketAddrs::to_socket_addrs(&(host, 0)) {
            let addrs: Vec<IpAddr> = found.map(|a| a.ip()).collect();
            if !addrs.is_empty() {
                return Ok(addrs);
            }
        }
    }
    let found = tokio::time::timeout(timeout, tokio::net::lookup_host((host, 0)))
        .await
        .map_err(|_| EpmdError::Timeout {
            host: host.to_owned(),
            port: 0,
            after: timeout,
        })?
        .map_err(|source| EpmdError::HostUnknown {
            host: host.to_owned(),
            source,
        })?;
    let addrs: Vec<IpAddr> = found.map(|a| a.ip()).collect();
    if addrs.is_empty() {
        return Err(EpmdError::HostUnknown {
            host: host.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "host has no addresses"),
        });
    }
    Ok(addrs)
}

impl Epmd {
    /// EPMD on `host` at `port` (see [`port_from_env`] for the usual choice).
    pub fn new(host: &str, port: u16, timeout: Duration) -> Self {
        Self {
            host: host.to_owned(),
            port,
            timeout,
            addrs: None,
        }
    }

    /// The same EPMD, at addresses already resolved.
    pub fn with_addrs(mut self, addrs: Vec<IpAddr>) -> Self {
        self.addrs = Some(addrs);
        self
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// All `(name, port)` pairs registered with this EPMD.
    pub async fn names(&self) -> Result<Vec<(String, u16)>, EpmdError> {
        let stream = self.connect().await?;
        self.bounded(client(stream).get_names()).await
    }

    /// The registration of node `name` (the part before `@`), or `None` when it is not registered.
    pub async fn lookup(&self, name: &str) -> Result<Option<NodeEntry>, EpmdError> {
        let stream = self.connect().await?;
        self.bounded(client(stream).get_node(name)).await
    }

    async fn connect(&self) -> Result<Limited<TcpStream>, EpmdError> {
        let addrs = match &self.addrs {
            Some(a) => a.clone(),
            None => resolve(&self.host, self.timeout).await?,
        };
        let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, "host has no addresses");
        for ip in addrs {
            match tokio::time::timeout(self.timeout, TcpStream::connect((ip, self.port))).await {
                Err(_) => return Err(self.timeout_error()),
                Ok(Ok(s)) => {
                    let _ = s.set_nodelay(true);
                    return Ok(Limited::new(s, MAX_REPLY_BYTES));
                }
                Ok(Err(e)) => last = e,
            }
        }
        Err(EpmdError::Unreachable {
            host: self.host.clone(),
            port: self.port,
            source: last,
        })
    }

    async fn bounded<T>(
        &self,
        fut: impl std::future::Future<Output = Result<T, erl_dist::epmd::EpmdError>>,
    ) -> Result<T, EpmdError> {
        tokio::time::timeout(self.timeout, fut)
            .await
            .map_err(|_| self.timeout_error())?
            .map_err(|e| EpmdError::Protocol {
                host: self.host.clone(),
                port: self.port,
                reason: e.to_string(),
            })
    }

    fn timeout_error(&self) -> EpmdError {
        EpmdError::Timeout {
            host: self.host.clone(),
            port: self.port,
            after: self.timeout,
        }
    }
}

/// The addresses /etc/hosts gives `host` (empty when it is not listed or the file is unreadable).
fn etc_hosts(host: &str) -> Vec<IpAddr> {
    std::fs::read_to_string("/etc/hosts")
        .map(|text| hosts_entries(&text, host))
        .unwrap_or_default()
}

fn hosts_entries(text: &str, host: &str) -> Vec<IpAddr> {
    text.lines()
        .map(|line| line.split('#').next().unwrap_or(""))
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let ip: IpAddr = words.next()?.parse().ok()?;
            words
                .any(|name| name.eq_ignore_ascii_case(host))
                .then_some(ip)
        })
        .collect()
}

fn is_this_host(host: &str) -> bool {
    host == "localhost"
        || host == super::node_name::short_hostname()
        || host == super::node_name::long_hostname()
}

/// `ERL_EPMD_PORT` when set to a valid port, else 4369.
pub fn port_from_env() -> u16 {
    std::env::var("ERL_EPMD_PORT")
        .ok()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or(DEFAULT_PORT)
}

/// A stream that fails reads once more than `limit` bytes have been read.
struct Limited<S> {
    inner: S,
    left: usize,
}

impl<S> Limited<S> {
    fn new(inner: S, limit: usize) -> Self {
        Self { inner, left: limit }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Limited<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.left == 0 {
            return Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("reply longer than {MAX_REPLY_BYTES} bytes"),
            )));
        }
        let mut limited = buf.take(self.left);
        let poll = Pin::new(&mut self.inner).poll_read(cx, &mut limited);
        let n = limited.filled().len();
        // SAFETY: `take` lends out the front of `buf`'s unfilled part; the inner read initialised `n` bytes of it.
        unsafe { buf.assume_init(n) };
        buf.advance(n);
        self.left -= n;
        poll
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Limited<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etc_hosts_lines_are_read_like_the_resolver_reads_them() {
        let text = "127.0.0.1 localhost\n# 10.0.0.9 box\n127.0.1.1\tBox box.example  # comment\n::1 localhost ip6-localhost\nnot-an-ip box\n";
        assert_eq!(
            hosts_entries(text, "box"),
            vec!["127.0.1.1".parse::<IpAddr>().expect("ip")]
        );
        assert_eq!(hosts_entries(text, "localhost").len(), 2);
        assert!(hosts_entries(text, "other").is_empty());
    }
}
