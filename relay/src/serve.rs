//! Serving connections: hyper's HTTP/1 server (the accept loop of axum's `serve-with-hyper`
//! example) with what an internet-facing server needs and `axum::serve` cannot set:
//!
//! - hyper's header read timeout, which runs whenever the connection waits for a request head:
//!   it closes a half-sent request, and an idle keep-alive connection, after
//!   `--header-timeout-secs`;
//! - a cap on open connections in total and per client address ([`ConnectionLimits`]): a
//!   connection past either cap is closed as soon as it is accepted, so one address cannot hold
//!   the relay's file descriptors;
//! - graceful shutdown through hyper-util's `GracefulShutdown`, bounded by [`DRAIN_LIMIT`].
//!
//! The per-request deadline is a tower layer in [`crate::app`].

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt;

use crate::state::AppState;

/// Longest wait for requests in flight after shutdown began (long-polls answer at once, and
/// proxied calls end within their timeout).
pub const DRAIN_LIMIT: Duration = Duration::from_secs(70);

/// The key a client's limits are counted under: its IPv4 address, or its IPv6 address cut to
/// `ipv6_prefix` bits (a host usually owns a whole /64 and can rotate addresses inside it).
pub fn client_key(ip: IpAddr, ipv6_prefix: u8) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => {
            let bits = u32::from(ipv6_prefix.min(128));
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask))
        }
    }
}

/// Open connections, in total and per client key.
pub struct ConnectionLimits {
    total: Arc<Semaphore>,
    /// `None`: no per-client cap (behind a reverse proxy every connection comes from it).
    per_client: Option<usize>,
    ipv6_prefix: u8,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One admitted connection; dropping it frees its place.
pub struct ConnectionPermit {
    limits: Arc<ConnectionLimits>,
    key: IpAddr,
    _total: OwnedSemaphorePermit,
}

impl ConnectionLimits {
    /// At most `total` connections, and `per_client` from one client key.
    pub fn new(total: usize, per_client: Option<usize>, ipv6_prefix: u8) -> Arc<Self> {
        Arc::new(Self {
            total: Arc::new(Semaphore::new(total)),
            per_client,
            ipv6_prefix,
            open: Mutex::default(),
        })
    }

    fn open(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
        // Counts are updated in one statement; a panic elsewhere cannot leave them half-done.
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A place for a connection from `peer`, or `None` when a cap is reached.
    pub fn admit(self: &Arc<Self>, peer: IpAddr) -> Option<ConnectionPermit> {
        let total = self.total.clone().try_acquire_owned().ok()?;
        let key = client_key(peer, self.ipv6_prefix);
        let mut open = self.open();
        let count = open.entry(key).or_insert(0);
        if self.per_client.is_some_and(|cap| *count >= cap) {
            return None;
        }
        *count += 1;
        Some(ConnectionPermit {
            limits: self.clone(),
            key,
            _total: total,
        })
    }

    /// Connections open from `peer`'s client key.
    pub fn open_from(&self, peer: IpAddr) -> usize {
        let key = client_key(peer, self.ipv6_prefix);
        self.open().get(&key).copied().unwrap_or(0)
    }

    /// Connections open in total.
    pub fn open_total(&self) -> usize {
        self.open().values().sum()
    }
}

impl Drop for ConnectionPermit {
    fn drop(&mut self) {
        let mut open = self.limits.open();
        if let Some(count) = open.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting, tells long-polls
/// and local listeners to finish, and waits (at most [`DRAIN_LIMIT`]) for requests in flight.
pub async fn serve_router(
    listener: tokio::net::TcpListener,
    app: Router,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(state.header_timeout)
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    handle_accept_error(err).await;
                    continue;
                }
            },
        };
        // Over a cap: closed at once, before a byte is read.
        let Some(permit) = state.connections.admit(peer.ip()) else {
            drop(stream);
            continue;
        };
        // Small answers are written whole; without this one may wait for the previous ACK.
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(request)
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(error = %err, "connection ended with an error");
            }
            drop(permit);
        });
    }
    tracing::info!("shutting down");
    drop(listener);
    state.begin_shutdown();
    if tokio::time::timeout(DRAIN_LIMIT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still running after the drain limit were cut off");
    }
    Ok(())
}

/// As `axum::serve` does: a failed handshake is the client's problem; anything else (out of
/// file descriptors, say) is logged and accepting pauses for a moment.
async fn handle_accept_error(err: io::Error) {
    if matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %err, "accept error");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_keyed_on_their_prefix() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::7".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a, 64), client_key(b, 64));
        assert_ne!(client_key(a, 64), client_key(other, 64));
        assert_eq!(
            client_key(a, 64),
            "2001:db8:1:2::".parse::<IpAddr>().unwrap()
        );
        assert_ne!(client_key(a, 128), client_key(b, 128));
        assert_eq!(client_key(a, 0), IpAddr::V6(Ipv6Addr::UNSPECIFIED));
        let mapped: IpAddr = "::ffff:192.0.2.9".parse().unwrap();
        assert_eq!(
            client_key(mapped, 64),
            "192.0.2.9".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn caps_hold_per_client_and_in_total_and_free_on_drop() {
        let limits = ConnectionLimits::new(3, Some(2), 64);
        let one: IpAddr = "127.0.0.2".parse().unwrap();
        let two: IpAddr = "127.0.0.3".parse().unwrap();
        let a = limits.admit(one).unwrap();
        let _b = limits.admit(one).unwrap();
        assert!(limits.admit(one).is_none(), "per-client cap");
        let _c = limits.admit(two).unwrap();
        assert!(limits.admit(two).is_none(), "total cap");
        assert_eq!((limits.open_from(one), limits.open_total()), (2, 3));
        drop(a);
        assert_eq!(limits.open_from(one), 1);
        assert!(limits.admit(one).is_some());
        let unlimited = ConnectionLimits::new(2, None, 64);
        let _x = unlimited.admit(one).unwrap();
        assert!(unlimited.admit(one).is_some(), "no per-client cap");
    }
}
