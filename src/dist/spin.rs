//! Busy-polling for short waits.
//!
//! A reply from a nearby node comes back in tens of microseconds, but a thread that sleeps in `epoll_wait`
//! until it does pays the kernel's wakeup latency on top — about as much again here. The BEAM's
//! schedulers avoid that by busy-waiting briefly before they sleep; [`spin`] does the same for one
//! future, within a budget, and then sleeps as usual.

use std::future::Future;
use std::task::Poll;
use std::time::{Duration, Instant};

/// Drives `fut` to completion, polling it again after each pass of the runtime (which polls the sockets)
/// for up to `budget`, then waiting to be woken as usual.
pub(crate) async fn spin<F: Future>(fut: F, budget: Duration) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let start = Instant::now();
    loop {
        if let Poll::Ready(v) = futures::poll!(fut.as_mut()) {
            return v;
        }
        if start.elapsed() >= budget {
            return fut.await;
        }
        // Deferred until the runtime has polled its I/O driver, so each pass sees newly arrived bytes.
        tokio::task::yield_now().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn ready_futures_and_slow_ones_both_complete() {
        assert_eq!(spin(async { 7 }, Duration::from_millis(1)).await, 7);
        let slow = async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            8
        };
        let start = Instant::now();
        assert_eq!(spin(slow, Duration::from_millis(1)).await, 8);
        assert!(start.elapsed() >= Duration::from_millis(20));
    }
}
