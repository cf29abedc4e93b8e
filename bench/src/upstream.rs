//! A loopback stand-in for a provider's token endpoint: answers every request with the same small
//! token response, so proxy figures measure the proxies and not the endpoint.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::{IoContext, Result};

/// What the endpoint answers: a typical token response (about 150 bytes).
pub const TOKEN_RESPONSE: &str = r#"{"access_token":"bench-access-token-0123456789abcdef","token_type":"Bearer","expires_in":3600,"refresh_token":"bench-refresh-token-0123456789abcdef"}"#;

/// The running endpoint; dropping it stops accepting and closes its connections.
#[derive(Debug)]
pub struct Upstream {
    addr: SocketAddr,
    accept: tokio::task::JoinHandle<()>,
    accepted: Arc<AtomicUsize>,
}

impl Upstream {
    /// Listens on a free loopback port.
    pub async fn start() -> Result<Upstream> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .doing(|| "binding the test token endpoint".to_owned())?;
        let addr = listener
            .local_addr()
            .doing(|| "reading the token endpoint's port".to_owned())?;
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        let accept = tokio::spawn(async move {
            // Owned here, so aborting the accept task also aborts every connection.
            let mut connections = JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::Relaxed);
                let _ = stream.set_nodelay(true);
                connections.spawn(async move {
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service_fn(answer))
                        .await;
                });
                // Reap finished connections so the set does not grow over a long run.
                while connections.try_join_next().is_some() {}
            }
        });
        Ok(Upstream {
            addr,
            accept,
            accepted,
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Connections accepted so far (a proxy that does not reuse connections opens one per call).
    pub fn connections(&self) -> usize {
        self.accepted.load(Ordering::Relaxed)
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn answer(
    request: Request<Incoming>,
) -> std::result::Result<Response<Full<Bytes>>, Infallible> {
    // Read the whole request body, as a real endpoint does, before answering.
    let _ = request.into_body().collect().await;
    let response = Response::builder()
        .header("content-type", "application/json")
        .header("cache-control", "no-store")
        .body(Full::new(Bytes::from_static(TOKEN_RESPONSE.as_bytes())))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())));
    Ok(response)
}
