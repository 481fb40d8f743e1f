//! The RPC loads both benchmarks drive over one connection: `erlang:node/0` in a loop, from many callers
//! at once, and a 10 MB binary round trip.

use std::time::{Duration, Instant};

use beamtalk::dist::Connection;
use eetf::{Binary, Term};

const T: Duration = Duration::from_secs(30);

/// Time for `n` sequential calls.
pub async fn sequential(conn: &Connection, n: usize) -> Duration {
    let s = Instant::now();
    for _ in 0..n {
        conn.call("erlang", "node", vec![], T).await.expect("call");
    }
    s.elapsed()
}

/// Time for `callers` concurrent callers making `per` calls each.
pub async fn concurrent(conn: &Connection, callers: usize, per: usize) -> Duration {
    let s = Instant::now();
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let conn = conn.clone();
            tokio::spawn(async move {
                for _ in 0..per {
                    conn.call("erlang", "node", vec![], T).await.expect("call");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task");
    }
    s.elapsed()
}

/// Median of `runs` round trips of a 10 MB binary through `erlang:iolist_to_binary/1`.
pub async fn ten_megabytes(conn: &Connection, runs: usize) -> Duration {
    let data = Term::from(Binary::from(vec![7u8; 10 << 20]));
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        // The argument is built before the clock starts, as Erlang's `B` is.
        let args = vec![data.clone()];
        let s = Instant::now();
        conn.call("erlang", "iolist_to_binary", args, T)
            .await
            .expect("call");
        times.push(s.elapsed());
    }
    times.sort();
    times[times.len() / 2]
}
