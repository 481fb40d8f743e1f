//! Handshake framing for TLS distribution.
//!
//! Over plain TCP the handshake messages carry a 2-byte length (`{packet,2}`); `inet_tls_dist` sends them
//! with a 4-byte length (`{packet,4}`) instead. `erl_dist` speaks only the former, so during the handshake
//! this adapter rewrites lengths in both directions: outgoing 2-byte frames become 4-byte frames, incoming
//! 4-byte frames are handed up as 2-byte frames, one per read so that nothing beyond the handshake is
//! converted. What it has read but not converted is given back by [`Repacket::into_parts`].

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Handshake messages are small (names, flags, digests); anything larger is not a handshake.
const MAX_HANDSHAKE_FRAME: usize = 64 * 1024;

pub struct Repacket<S> {
    inner: S,
    /// Bytes written by the handshake not yet forming a whole 2-byte frame.
    pending_out: Vec<u8>,
    /// Converted bytes waiting to be written to `inner`.
    out: Vec<u8>,
    /// Bytes read from `inner`, not yet converted.
    raw_in: Vec<u8>,
    /// Converted bytes waiting to be read by the handshake.
    converted_in: Vec<u8>,
}

impl<S> Repacket<S> {
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            pending_out: Vec::new(),
            out: Vec::new(),
            raw_in: Vec::new(),
            converted_in: Vec::new(),
        }
    }

    /// The stream, and the bytes read from it that are still in their original framing.
    pub fn into_parts(self) -> (S, Vec<u8>) {
        (self.inner, self.raw_in)
    }
}

fn too_large(len: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("handshake frame of {len} bytes; the limit is {MAX_HANDSHAKE_FRAME}"),
    )
}

impl<S: AsyncWrite + Unpin> Repacket<S> {
    /// Moves every whole 2-byte frame from `pending_out` to `out` with a 4-byte length.
    fn convert_out(&mut self) {
        while self.pending_out.len() >= 2 {
            let len = u16::from_be_bytes([self.pending_out[0], self.pending_out[1]]) as usize;
            if self.pending_out.len() < 2 + len {
                break;
            }
            self.out.extend_from_slice(&(len as u32).to_be_bytes());
            self.out.extend_from_slice(&self.pending_out[2..2 + len]);
            self.pending_out.drain(..2 + len);
        }
    }

    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.out.is_empty() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.out))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.out.drain(..n);
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> Repacket<S> {
    /// Converts one whole 4-byte frame from `raw_in`, if there is one.
    fn convert_in(&mut self) -> io::Result<bool> {
        if self.raw_in.len() < 4 {
            return Ok(false);
        }
        let len = u32::from_be_bytes([
            self.raw_in[0],
            self.raw_in[1],
            self.raw_in[2],
            self.raw_in[3],
        ]) as usize;
        if len > MAX_HANDSHAKE_FRAME || len > u16::MAX as usize {
            return Err(too_large(len));
        }
        if self.raw_in.len() < 4 + len {
            return Ok(false);
        }
        self.converted_in
            .extend_from_slice(&(len as u16).to_be_bytes());
        self.converted_in
            .extend_from_slice(&self.raw_in[4..4 + len]);
        self.raw_in.drain(..4 + len);
        Ok(true)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for Repacket<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // A reply is only coming once our last message is out.
        if let Poll::Ready(Err(e)) = this.poll_drain(cx) {
            return Poll::Ready(Err(e));
        }
        while this.converted_in.is_empty() {
            if this.convert_in()? {
                break;
            }
            let mut chunk = [0u8; 4096];
            let mut chunk_buf = ReadBuf::new(&mut chunk);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut chunk_buf))?;
            if chunk_buf.filled().is_empty() {
                return Poll::Ready(Ok(())); // EOF
            }
            this.raw_in.extend_from_slice(chunk_buf.filled());
        }
        let n = this.converted_in.len().min(buf.remaining());
        buf.put_slice(&this.converted_in[..n]);
        this.converted_in.drain(..n);
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Repacket<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.pending_out.len() + buf.len() > MAX_HANDSHAKE_FRAME + 2 {
            return Poll::Ready(Err(too_large(this.pending_out.len() + buf.len())));
        }
        this.pending_out.extend_from_slice(buf);
        this.convert_out();
        // Best effort now; a flush or the next read finishes the job.
        if let Poll::Ready(Err(e)) = this.poll_drain(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn lengths_are_rewritten_both_ways_and_the_rest_is_given_back() {
        let (a, mut b) = tokio::io::duplex(1024);
        let mut r = Repacket::new(a);
        // Written in pieces, as erl_dist writes field by field.
        r.write_all(&[0, 3]).await.expect("write");
        r.write_all(b"abc").await.expect("write");
        r.flush().await.expect("flush");
        let mut got = [0u8; 7];
        b.read_exact(&mut got).await.expect("read");
        assert_eq!(&got, b"\0\0\0\x03abc");
        // One handshake frame, then the start of a normal frame that must stay untouched.
        b.write_all(b"\0\0\0\x02hi\0\0\0\x05xy")
            .await
            .expect("write");
        let mut hs = [0u8; 4];
        r.read_exact(&mut hs).await.expect("read");
        assert_eq!(&hs, b"\0\x02hi");
        let (_, rest) = r.into_parts();
        assert_eq!(rest, b"\0\0\0\x05xy");
    }

    #[tokio::test]
    async fn oversized_frames_are_refused() {
        let (a, mut b) = tokio::io::duplex(1024);
        let mut r = Repacket::new(a);
        b.write_all(&[0x7f, 0, 0, 0]).await.expect("write");
        let mut one = [0u8; 1];
        assert!(r.read(&mut one).await.is_err());
    }
}
