//! Connections that hold the server without asking anything are closed: a plain-HTTP client
//! that sends half a request header, and a TLS client (openssl s_client) that completes the
//! handshake and then says nothing, are each disconnected after the header timeout
//! (`hpki_server::accept::HEADER_TIMEOUT`, 30 s), not kept open.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use hpki_server::accept::HEADER_TIMEOUT;
use hpki_testkit::Backend;

/// Seconds until the server closed a plain connection that sent half a header.
fn half_sent_header(addr: std::net::SocketAddr) -> f64 {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .expect("write");
    s.set_read_timeout(Some(HEADER_TIMEOUT * 2))
        .expect("timeout");
    let start = Instant::now();
    let mut buf = [0u8; 64];
    let n = s
        .read(&mut buf)
        .expect("the server closes, the read does not time out");
    assert_eq!(n, 0, "closed without an answer");
    start.elapsed().as_secs_f64()
}

/// Seconds until the server closed a TLS connection that completed the handshake and then sent
/// nothing (openssl s_client exits when the server closes).
fn idle_after_handshake(addr: std::net::SocketAddr, root: &str) -> f64 {
    let start = Instant::now();
    let mut child = Command::new("openssl")
        .args(["s_client", "-quiet", "-CAfile", root, "-connect"])
        .arg(addr.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl s_client");
    let _stdin = child.stdin.take();
    let deadline = start + HEADER_TIMEOUT * 2;
    loop {
        if let Some(_status) = child.try_wait().expect("wait") {
            return start.elapsed().as_secs_f64();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "the idle TLS connection is still open after {:?}",
                HEADER_TIMEOUT * 2
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_half_sent_connections_are_closed() {
    let Some(w) = world(Backend::Sqlite).await else {
        return;
    };
    let (public, tls, root) = (w.public, w.tls, w.root.clone());
    let plain = tokio::task::spawn_blocking(move || half_sent_header(public));
    let tls = tokio::task::spawn_blocking(move || idle_after_handshake(tls, &root));
    let limit = HEADER_TIMEOUT.as_secs_f64();
    for (what, secs) in [
        ("plain, half a header", plain.await.expect("join")),
        ("TLS, idle after the handshake", tls.await.expect("join")),
    ] {
        assert!(
            secs >= limit - 1.0 && secs < limit + 10.0,
            "{what}: closed after {secs:.1} s (the limit is {limit} s)"
        );
    }
    w.finish().await;
}
