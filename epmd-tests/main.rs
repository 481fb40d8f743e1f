//! EPMD conformance and fault suite for beamtalk's EPMD client (`beamtalk::dist::epmd`), modelled on OTP's
//! epmd_SUITE: the real `epmd` on a private port for conformance, and a fake EPMD of our own for the replies
//! a broken or hostile one could send.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use beamtalk::dist::epmd::{Epmd, EpmdError, MAX_REPLY_BYTES};
use common::Epmd as RealEpmd;
use erl_dist::epmd::{EpmdClient, NodeEntry};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};

const T: Duration = Duration::from_secs(3);

fn client(port: u16) -> Epmd {
    Epmd::new("127.0.0.1", port, T)
}

/// Registers `entry` with the epmd on `port`; the registration lasts as long as the returned socket.
async fn register(port: u16, entry: NodeEntry) -> (Compat<TcpStream>, u32) {
    let stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect to epmd");
    let (conn, creation) = EpmdClient::new(stream.compat())
        .register(entry)
        .await
        .expect("ALIVE2");
    (conn, creation.get())
}

fn entry(name: &str, port: u16) -> NodeEntry {
    let mut e = NodeEntry::new_hidden(name, port);
    e.extra = b"extra-bytes".to_vec();
    e
}

async fn wait_until_unlisted(epmd: &Epmd, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(3);
    while epmd
        .names()
        .await
        .expect("NAMES")
        .iter()
        .any(|(n, _)| n == name)
    {
        assert!(Instant::now() < deadline, "{name} still registered");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn alive2_registration_is_seen_by_names_and_port_please2() {
    let real = RealEpmd::start();
    let (_keep, creation) = register(real.port, entry("conformance", 45123)).await;
    assert!(creation > 0, "ALIVE2_X_RESP carries a creation");
    let epmd = client(real.port);
    let names = epmd.names().await.expect("NAMES");
    assert!(
        names.contains(&("conformance".to_owned(), 45123)),
        "{names:?}"
    );
    let found = epmd
        .lookup("conformance")
        .await
        .expect("PORT_PLEASE2")
        .expect("registered");
    assert_eq!(found.port, 45123);
    assert_eq!(found.extra, b"extra-bytes");
    assert_eq!((found.highest_version, found.lowest_version), (6, 6));
    assert_eq!(epmd.lookup("not-there").await.expect("PORT_PLEASE2"), None);
}

#[tokio::test]
async fn a_new_registration_of_a_name_gets_a_new_creation() {
    let real = RealEpmd::start();
    let epmd = client(real.port);
    let (first, c1) = register(real.port, entry("again", 40001)).await;
    drop(first);
    wait_until_unlisted(&epmd, "again").await;
    let (_second, c2) = register(real.port, entry("again", 40001)).await;
    assert_ne!(c1, c2, "creation changes between incarnations");
}

#[tokio::test]
async fn many_names() {
    let real = RealEpmd::start();
    let mut keep = Vec::new();
    for i in 0..60 {
        keep.push(register(real.port, entry(&format!("many{i}"), 41000 + i)).await);
    }
    let names = client(real.port).names().await.expect("NAMES");
    for i in 0..60 {
        assert!(
            names.contains(&(format!("many{i}"), 41000 + i)),
            "many{i} missing"
        );
    }
}

#[tokio::test]
async fn odd_but_legal_names() {
    let real = RealEpmd::start();
    let long = "n".repeat(200);
    let odd = [
        "with-dashes_and_underscores",
        "UPPER_lower_123",
        "x",
        long.as_str(),
    ];
    let mut keep = Vec::new();
    for (i, name) in odd.iter().enumerate() {
        keep.push(register(real.port, entry(name, 42000 + i as u16)).await);
    }
    let epmd = client(real.port);
    for (i, name) in odd.iter().enumerate() {
        let found = epmd
            .lookup(name)
            .await
            .expect("PORT_PLEASE2")
            .expect("registered");
        assert_eq!(found.port, 42000 + i as u16, "{name}");
    }
}

#[tokio::test]
async fn a_node_unregisters_by_closing_its_socket() {
    let real = RealEpmd::start();
    let epmd = client(real.port);
    let (conn, _) = register(real.port, entry("leaving", 43000)).await;
    assert!(epmd.lookup("leaving").await.expect("lookup").is_some());
    drop(conn);
    wait_until_unlisted(&epmd, "leaving").await;
    assert_eq!(epmd.lookup("leaving").await.expect("lookup"), None);
}

#[tokio::test]
async fn epmd_absent_then_restarted() {
    let port = common::free_port();
    let epmd = client(port);
    let started = Instant::now();
    let err = epmd.names().await.expect_err("nothing listens");
    assert!(matches!(err, EpmdError::Unreachable { .. }), "{err}");
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(1));

    let real = RealEpmd::start();
    let epmd = client(real.port);
    let (_keep, _) = register(real.port, entry("before", 44000)).await;
    let real_port = real.port;
    drop(real);
    assert!(epmd.names().await.is_err(), "epmd is down");
    // The CLI's next request after epmd comes back works (a node re-registers on its own).
    let again = std::process::Command::new("epmd")
        .args(["-port", &real_port.to_string()])
        .spawn()
        .expect("epmd");
    let guard = KillOnDrop(again);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match epmd.names().await {
            Ok(names) => {
                assert!(names.is_empty(), "a restarted epmd starts empty: {names:?}");
                break;
            }
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await
            }
            Err(e) => panic!("epmd did not come back: {e}"),
        }
    }
    drop(guard);
}

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A fake EPMD that answers every connection with `reply` (after reading the request), then closes.
async fn fake_epmd(reply: impl Fn() -> Vec<u8> + Send + Sync + 'static, forever: bool) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let reply = std::sync::Arc::new(reply);
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let reply = reply.clone();
            tokio::spawn(async move {
                let mut req = [0u8; 512];
                let _ = sock.read(&mut req).await;
                let bytes = reply();
                if forever {
                    // An endless reply: bounded reading must give up, not buffer it all.
                    loop {
                        if sock.write_all(&bytes).await.is_err() {
                            return;
                        }
                    }
                }
                let _ = sock.write_all(&bytes).await;
            });
        }
    });
    port
}

#[tokio::test]
async fn truncated_replies_are_clear_errors() {
    // PORT2_RESP with result 0 but cut off before the port.
    let port = fake_epmd(|| vec![119, 0, 0x12], false).await;
    let err = client(port).lookup("x").await.expect_err("truncated");
    assert!(matches!(err, EpmdError::Protocol { .. }), "{err}");
    // NAMES reply without even the epmd port.
    let port = fake_epmd(|| vec![0, 0], false).await;
    assert!(matches!(
        client(port).names().await,
        Err(EpmdError::Protocol { .. })
    ));
}

#[tokio::test]
async fn garbage_replies_are_clear_errors() {
    let port = fake_epmd(|| b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec(), false).await;
    let err = client(port).lookup("x").await.expect_err("garbage");
    assert!(err.to_string().contains("malformed reply"), "{err}");
    let port = fake_epmd(|| vec![0, 0, 0x11, 0x11, 0xff, 0xfe, 0xfd], false).await;
    assert!(client(port).names().await.is_err(), "invalid UTF-8 names");
}

#[tokio::test]
async fn an_endless_reply_is_cut_off_with_bounded_memory() {
    let port = fake_epmd(
        || {
            [0u8, 0, 0x11, 0x11]
                .iter()
                .copied()
                .chain(b"name x at port 1\n".repeat(4096))
                .collect()
        },
        true,
    )
    .await;
    let started = Instant::now();
    let err = client(port).names().await.expect_err("too long");
    assert!(
        err.to_string()
            .contains(&format!("reply longer than {MAX_REPLY_BYTES} bytes")),
        "{err}"
    );
    assert!(started.elapsed() < T, "gave up by size, not by timeout");
}

#[tokio::test]
async fn a_silent_epmd_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let epmd = Epmd::new("127.0.0.1", port, Duration::from_millis(300));
    let started = Instant::now();
    let err = epmd.lookup("x").await.expect_err("silent");
    assert!(matches!(err, EpmdError::Timeout { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
}
