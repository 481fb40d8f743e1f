//! Reads a connection's length-prefixed frames into one reusable buffer.
//!
//! The socket is read straight into the buffer's spare capacity, so nothing is zeroed first and a large
//! frame is read in place rather than copied out of a separate read buffer. A short-lived CLI call touches
//! only the pages its few small frames need (a zero-filled 64 KiB read buffer was 16 page faults and a
//! tenth of the instructions of a cold `beamtalk rpc`).

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt};

use super::frame::MAX_FRAME_BYTES;

/// How much a read asks the socket for, at least.
const READ_CHUNK: usize = 64 * 1024;

/// A buffer that grew beyond this for one large frame is released once that frame is consumed.
const MAX_KEPT_BUFFER: usize = 64 << 20;

pub struct FrameReader<R> {
    socket: R,
    buf: Vec<u8>,
    /// Where the unconsumed bytes of `buf` start.
    start: usize,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    /// `early` holds bytes already read from the socket (during the handshake).
    pub fn new(socket: R, early: Vec<u8>) -> Self {
        Self {
            socket,
            buf: early,
            start: 0,
        }
    }

    /// The next frame's body; `Ok(None)` is a tick (an empty frame). The body is valid until the next call.
    pub async fn next(&mut self) -> io::Result<Option<&[u8]>> {
        self.fill(4).await?;
        let header = &self.buf[self.start..self.start + 4];
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        self.start += 4;
        if len == 0 {
            return Ok(None);
        }
        if len > MAX_FRAME_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("peer sent a {len}-byte frame; the limit is {MAX_FRAME_BYTES}"),
            ));
        }
        self.fill(len).await?;
        let body = self.start..self.start + len;
        self.start += len;
        Ok(Some(&self.buf[body]))
    }

    /// Reads until at least `need` unconsumed bytes are buffered.
    async fn fill(&mut self, need: usize) -> io::Result<()> {
        if self.start == self.buf.len() {
            self.recycle();
        }
        while self.buf.len() - self.start < need {
            self.make_room(need);
            if self.socket.read_buf(&mut self.buf).await? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
        Ok(())
    }

    /// Everything consumed: start over at the front, dropping a buffer one huge frame left behind.
    fn recycle(&mut self) {
        self.start = 0;
        if self.buf.capacity() > MAX_KEPT_BUFFER {
            self.buf = Vec::new();
        } else {
            self.buf.clear();
        }
    }

    /// Ensures spare capacity for the rest of a `need`-byte read, moving unconsumed bytes to the front
    /// when the buffer would otherwise have to grow.
    fn make_room(&mut self, need: usize) {
        let missing = need - (self.buf.len() - self.start);
        if self.buf.capacity() - self.buf.len() >= missing {
            return;
        }
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.reserve(missing.max(READ_CHUNK));
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncWriteExt;
    use tokio::net::{TcpListener, TcpStream};

    use super::*;

    /// A connected loopback pair: what the test writes to the first arrives at the reader.
    async fn pair(early: Vec<u8>) -> (TcpStream, FrameReader<TcpStream>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (client, accepted) = tokio::join!(TcpStream::connect(addr), listener.accept());
        let (server, _) = accepted.expect("accept");
        (client.expect("connect"), FrameReader::new(server, early))
    }

    fn framed(body: &[u8]) -> Vec<u8> {
        let mut out = (body.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(body);
        out
    }

    #[tokio::test]
    async fn early_bytes_come_first_then_the_socket() {
        let mut early = framed(b"one");
        early.extend_from_slice(&framed(b"two")[..5]);
        let (mut peer, mut frames) = pair(early).await;
        peer.write_all(b"wo").await.expect("write");
        peer.write_all(&[0, 0, 0, 0]).await.expect("write");
        assert_eq!(frames.next().await.expect("one"), Some(&b"one"[..]));
        assert_eq!(frames.next().await.expect("two"), Some(&b"two"[..]));
        assert_eq!(frames.next().await.expect("tick"), None);
    }

    #[tokio::test]
    async fn frames_split_byte_by_byte_and_many_per_read() {
        let (mut peer, mut frames) = pair(Vec::new()).await;
        let mut bytes = Vec::new();
        for i in 0..1000u32 {
            bytes.extend_from_slice(&framed(&i.to_be_bytes()));
        }
        let writer = tokio::spawn(async move {
            for (i, chunk) in bytes.chunks(7).enumerate() {
                peer.write_all(chunk).await.expect("write");
                if i % 50 == 0 {
                    peer.flush().await.expect("flush");
                    tokio::task::yield_now().await;
                }
            }
            peer
        });
        for i in 0..1000u32 {
            let body = frames.next().await.expect("frame").expect("not a tick");
            assert_eq!(body, i.to_be_bytes());
        }
        drop(writer.await.expect("writer"));
    }

    #[tokio::test]
    async fn a_large_frame_arrives_whole_between_small_ones() {
        let (mut peer, mut frames) = pair(Vec::new()).await;
        let big: Vec<u8> = (0..3_000_000u32).map(|i| i as u8).collect();
        let mut bytes = framed(b"before");
        bytes.extend_from_slice(&framed(&big));
        bytes.extend_from_slice(&framed(b"after"));
        let writer = tokio::spawn(async move { peer.write_all(&bytes).await.map(|()| peer) });
        assert_eq!(frames.next().await.expect("before"), Some(&b"before"[..]));
        assert_eq!(frames.next().await.expect("big"), Some(&big[..]));
        assert_eq!(frames.next().await.expect("after"), Some(&b"after"[..]));
        drop(writer.await.expect("join").expect("write"));
    }

    #[tokio::test]
    async fn an_oversized_length_is_refused_without_allocating() {
        let (mut peer, mut frames) = pair(Vec::new()).await;
        peer.write_all(&u32::MAX.to_be_bytes())
            .await
            .expect("write");
        let err = frames.next().await.expect_err("refused");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(
            frames.buf.capacity() < 1 << 20,
            "no allocation for the claimed length"
        );
    }

    #[tokio::test]
    async fn the_peer_closing_mid_frame_is_end_of_file() {
        let (mut peer, mut frames) = pair(Vec::new()).await;
        peer.write_all(&framed(b"whole")[..6]).await.expect("write");
        drop(peer);
        let err = frames.next().await.expect_err("cut short");
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }
}
