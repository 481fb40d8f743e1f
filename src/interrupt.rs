//! Ctrl-C (and the other signals that end a command) as futures, with handlers installed only while
//! something waits for them.
//!
//! tokio's `signal` feature builds its signal machinery (a socket pair and channels for every signal)
//! whenever a runtime starts. Only the REPL and `load --watch` wait for Ctrl-C, yet every cold
//! `beamtalk rpc` paid for it: nine page faults and ~0.1 ms of a 2 ms call.

use std::io;
use std::os::unix::net::UnixStream;

use signal_hook::SigId;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use tokio::io::AsyncReadExt;

/// Resolves when the process receives SIGINT after the call. Like tokio's `ctrl_c`, once it has been
/// called an interrupt no longer kills the process.
pub async fn ctrl_c() -> io::Result<()> {
    waiter(SIGINT)?.wait().await
}

/// Resolves with the number of the first of SIGINT, SIGTERM and SIGHUP the process receives after the
/// call; until the future is dropped, none of them kills the process. For work that must clean up
/// before it exits.
pub async fn termination() -> io::Result<i32> {
    let (int, term, hup) = (waiter(SIGINT)?, waiter(SIGTERM)?, waiter(SIGHUP)?);
    tokio::select! {
        r = int.wait() => r.map(|()| SIGINT),
        r = term.wait() => r.map(|()| SIGTERM),
        r = hup.wait() => r.map(|()| SIGHUP),
    }
}

/// A registered handler for one signal and the socket it writes a byte to.
struct Waiter {
    read: tokio::net::UnixStream,
    _registered: Registered,
}

fn waiter(signal: i32) -> io::Result<Waiter> {
    // The handler writes one byte to `write`, which is async-signal-safe.
    let (read, write) = UnixStream::pair()?;
    read.set_nonblocking(true)?;
    write.set_nonblocking(true)?;
    let registered = Registered(signal_hook::low_level::pipe::register(signal, write)?);
    Ok(Waiter {
        read: tokio::net::UnixStream::from_std(read)?,
        _registered: registered,
    })
}

impl Waiter {
    async fn wait(mut self) -> io::Result<()> {
        let mut byte = [0u8; 1];
        self.read.read_exact(&mut byte).await?;
        Ok(())
    }
}

/// Removes the handler's action when the wait ends or is abandoned.
struct Registered(SigId);

impl Drop for Registered {
    fn drop(&mut self) {
        signal_hook::low_level::unregister(self.0);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Signals are the whole process's: tests that raise them run one at a time.
    static SIGNALS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

    #[tokio::test]
    async fn resolves_on_sigint_and_not_before() {
        let _alone = SIGNALS.lock().await;
        let wait = ctrl_c();
        tokio::pin!(wait);
        let early = tokio::time::timeout(Duration::from_millis(50), &mut wait).await;
        assert!(early.is_err(), "no interrupt yet");
        // SAFETY: raise only sends SIGINT to this process, whose handler is the one registered above.
        unsafe {
            libc::raise(libc::SIGINT);
        }
        tokio::time::timeout(Duration::from_secs(5), wait)
            .await
            .expect("resolved by the interrupt")
            .expect("no I/O error");
    }

    #[tokio::test]
    async fn termination_names_the_signal() {
        let _alone = SIGNALS.lock().await;
        let wait = termination();
        tokio::pin!(wait);
        let early = tokio::time::timeout(Duration::from_millis(50), &mut wait).await;
        assert!(early.is_err(), "no signal yet");
        // SAFETY: raise only sends SIGHUP to this process, whose handler is the one registered above.
        unsafe {
            libc::raise(libc::SIGHUP);
        }
        let got = tokio::time::timeout(Duration::from_secs(5), wait)
            .await
            .expect("resolved by the signal")
            .expect("no I/O error");
        assert_eq!(got, SIGHUP);
    }
}
