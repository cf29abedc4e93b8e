//! A connection flood from one address: connections past the per-client cap are closed at once,
//! half-sent requests and idle keep-alive connections are closed after the header timeout, other
//! clients are served throughout, and nothing stays held afterwards. Real sockets; the flooder
//! is 127.0.0.2 (its own loopback address, bound before connecting).

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use relay::resolver::StaticLookup;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::support::{LiveRelay, client};

const FLOODER: [u8; 4] = [127, 0, 0, 2];

async fn connect_from(source: [u8; 4], relay: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from((source, 0))).unwrap();
    socket.connect(relay).await.unwrap()
}

/// Reads until the relay closes the connection (or resets it); `None` if it is still open
/// after `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let mut seen = Vec::new();
    let read = tokio::time::timeout(limit, async {
        let mut buf = [0u8; 1024];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok().map(|()| seen)
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_flooding_address_is_capped_and_timed_out_while_others_are_served() {
    let relay = LiveRelay::start(
        &[
            "--max-connections-per-client",
            "4",
            "--header-timeout-secs",
            "2",
        ],
        StaticLookup::new(),
    )
    .await;
    let flooder = IpAddr::from(FLOODER);
    let half_sent = format!("GET /healthz HTTP/1.1\r\nhost: {}\r\nx-slow: 1", relay.addr);

    let started = Instant::now();
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut stream = connect_from(FLOODER, relay.addr).await;
        stream.write_all(half_sent.as_bytes()).await.unwrap();
        held.push(stream);
    }
    wait_for("the four connections to be counted", || {
        relay.state.connections.open_from(flooder) == 4
    })
    .await;

    // Past the cap: closed before the header timeout could have run out.
    for _ in 0..20 {
        let mut extra = connect_from(FLOODER, relay.addr).await;
        let _ = extra.write_all(half_sent.as_bytes()).await;
        let answer = closed_within(&mut extra, Duration::from_millis(1500)).await;
        assert_eq!(answer, Some(Vec::new()), "closed without an answer");
    }
    assert_eq!(relay.state.connections.open_from(flooder), 4);

    // Another client is served while the flooder holds its connections.
    let health = client().get(relay.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);

    // The half-sent requests are closed by the header timeout, not before.
    for stream in &mut held {
        closed_within(stream, Duration::from_secs(5))
            .await
            .expect("a half-sent request is closed after the header timeout");
    }
    assert!(started.elapsed() >= Duration::from_millis(1900));
    wait_for("the flooder's connections to be released", || {
        relay.state.connections.open_from(flooder) == 0
    })
    .await;

    // Nothing is left held: the address is served again, and an idle keep-alive connection
    // is closed after the same timeout.
    let mut again = connect_from(FLOODER, relay.addr).await;
    let request = format!("GET /healthz HTTP/1.1\r\nhost: {}\r\n\r\n", relay.addr);
    again.write_all(request.as_bytes()).await.unwrap();
    let mut answer = [0u8; 64];
    let n = again.read(&mut answer).await.unwrap();
    assert!(
        answer[..n].starts_with(b"HTTP/1.1 200"),
        "{:?}",
        &answer[..n]
    );
    let idle_since = Instant::now();
    closed_within(&mut again, Duration::from_secs(5))
        .await
        .expect("an idle keep-alive connection is closed after the header timeout");
    assert!(idle_since.elapsed() >= Duration::from_millis(1500));

    let state = relay.state.clone();
    relay.stop().await.unwrap();
    assert_eq!(
        state.connections.open_total(),
        0,
        "every connection released"
    );
}
