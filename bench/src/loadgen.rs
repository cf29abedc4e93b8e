//! The load generator: `concurrency` workers, each with one keep-alive HTTP/1.1 connection,
//! sending requests back to back until a fixed count is reached or a time cap passes (so a run
//! is always bounded). Loopback only.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::{BenchError, Result, stats};

/// Builds request number `i` (its URI is a path; the `Host` header names the server).
pub type MakeRequest = Arc<dyn Fn(usize) -> Request<Full<Bytes>> + Send + Sync>;

/// Decides whether a response counts as a success (status, body).
pub type Accept = Arc<dyn Fn(StatusCode, &[u8]) -> bool + Send + Sync>;

/// How hard and how long to push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Load {
    /// Connections (and requests in flight).
    pub concurrency: usize,
    /// Requests to send in all.
    pub requests: usize,
    /// Stop early after this long, whatever was sent.
    pub max_duration: Duration,
}

/// What a run produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// Responses by status code.
    pub statuses: BTreeMap<u16, usize>,
    /// Responses the [`Accept`] check passed.
    pub accepted: usize,
    /// Requests that got no response (connection refused, reset, closed mid-request).
    pub transport_errors: usize,
    /// Latency of each accepted response, in milliseconds.
    pub latencies_ms: Vec<f64>,
    /// Wall time of the run.
    pub elapsed: Duration,
}

impl Outcome {
    /// Accepted responses per second.
    pub fn throughput(&self) -> f64 {
        self.accepted as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// Latency percentile `p` (0–100) in milliseconds.
    pub fn latency(&self, p: f64) -> Option<f64> {
        stats::percentile(&self.latencies_ms, p)
    }

    /// Responses of any status plus transport errors.
    pub fn attempted(&self) -> usize {
        self.statuses.values().sum::<usize>() + self.transport_errors
    }

    /// An error unless every attempted request was accepted, naming what came back instead.
    pub fn require_all_accepted(&self, what: &str) -> Result<()> {
        if self.accepted == self.attempted() && self.accepted > 0 {
            return Ok(());
        }
        Err(BenchError::Measurement(format!(
            "{what}: {} of {} requests succeeded (statuses {:?}, {} without a response)",
            self.accepted,
            self.attempted(),
            self.statuses,
            self.transport_errors
        )))
    }
}

/// Runs `load` against `addr`.
pub async fn run(
    addr: SocketAddr,
    load: Load,
    make: MakeRequest,
    accept: Accept,
) -> Result<Outcome> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + load.max_duration;
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..load.concurrency.max(1) {
        let (next, make, accept) = (next.clone(), make.clone(), accept.clone());
        workers.spawn(worker(addr, load.requests, deadline, next, make, accept));
    }
    let mut total = Outcome::default();
    while let Some(joined) = workers.join_next().await {
        let part = joined
            .map_err(|err| BenchError::Measurement(format!("a load worker failed: {err}")))??;
        for (status, count) in part.statuses {
            *total.statuses.entry(status).or_default() += count;
        }
        total.accepted += part.accepted;
        total.transport_errors += part.transport_errors;
        total.latencies_ms.extend(part.latencies_ms);
    }
    total.elapsed = started.elapsed();
    Ok(total)
}

async fn connect(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|err| BenchError::Measurement(format!("cannot connect to {addr}: {err}")))?;
    let _ = stream.set_nodelay(true);
    let (sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|err| {
            BenchError::Measurement(format!("HTTP handshake with {addr} failed: {err}"))
        })?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

async fn worker(
    addr: SocketAddr,
    requests: usize,
    deadline: Instant,
    next: Arc<AtomicUsize>,
    make: MakeRequest,
    accept: Accept,
) -> Result<Outcome> {
    let mut outcome = Outcome::default();
    let mut sender = connect(addr).await?;
    // A server may close a kept-alive connection (e.g. nginx after `keepalive_requests`); this
    // many reconnects in a row without a response means the server is gone.
    let mut failed_in_a_row = 0;
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= requests || Instant::now() >= deadline {
            return Ok(outcome);
        }
        if sender.ready().await.is_err() {
            sender = connect(addr).await?;
        }
        let request = make(i);
        let sent = Instant::now();
        let response = match sender.send_request(request).await {
            Ok(response) => response,
            Err(_) => {
                outcome.transport_errors += 1;
                failed_in_a_row += 1;
                if failed_in_a_row > 3 {
                    return Err(BenchError::Measurement(format!(
                        "{addr} keeps dropping connections"
                    )));
                }
                sender = connect(addr).await?;
                continue;
            }
        };
        let status = response.status();
        let body = match response.into_body().collect().await {
            Ok(body) => body.to_bytes(),
            Err(_) => {
                outcome.transport_errors += 1;
                continue;
            }
        };
        let latency = sent.elapsed();
        failed_in_a_row = 0;
        *outcome.statuses.entry(status.as_u16()).or_default() += 1;
        if accept(status, &body) {
            outcome.accepted += 1;
            outcome.latencies_ms.push(latency.as_secs_f64() * 1000.0);
        }
    }
}

/// Accepts any 2xx response.
pub fn accept_success() -> Accept {
    Arc::new(|status, _| status.is_success())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upstream::Upstream;

    fn get(addr: SocketAddr) -> MakeRequest {
        Arc::new(move |_| {
            Request::builder()
                .uri("/token")
                .header("host", addr.to_string())
                .body(Full::new(Bytes::new()))
                .expect("static request")
        })
    }

    #[tokio::test]
    async fn sends_exactly_the_requested_count_over_kept_alive_connections() {
        let upstream = Upstream::start().await.expect("upstream");
        let load = Load {
            concurrency: 4,
            requests: 100,
            max_duration: Duration::from_secs(30),
        };
        let outcome = run(
            upstream.addr(),
            load,
            get(upstream.addr()),
            accept_success(),
        )
        .await
        .expect("run");
        assert_eq!(outcome.accepted, 100);
        assert_eq!(outcome.statuses.get(&200), Some(&100));
        assert_eq!(outcome.latencies_ms.len(), 100);
        outcome
            .require_all_accepted("upstream")
            .expect("all accepted");
        assert!(outcome.throughput() > 0.0);
        assert!(outcome.latency(99.0) >= outcome.latency(50.0));
    }

    #[tokio::test]
    async fn the_time_cap_ends_a_run_early() {
        let upstream = Upstream::start().await.expect("upstream");
        let load = Load {
            concurrency: 1,
            requests: usize::MAX,
            max_duration: Duration::from_millis(200),
        };
        let started = Instant::now();
        let outcome = run(
            upstream.addr(),
            load,
            get(upstream.addr()),
            accept_success(),
        )
        .await
        .expect("run");
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(outcome.accepted > 0);
    }

    #[tokio::test]
    async fn rejected_responses_are_counted_not_accepted() {
        let upstream = Upstream::start().await.expect("upstream");
        let load = Load {
            concurrency: 2,
            requests: 10,
            max_duration: Duration::from_secs(30),
        };
        let refuse: Accept = Arc::new(|_, body| body.starts_with(b"nope"));
        let outcome = run(upstream.addr(), load, get(upstream.addr()), refuse)
            .await
            .expect("run");
        assert_eq!(outcome.accepted, 0);
        assert_eq!(outcome.attempted(), 10);
        let err = outcome
            .require_all_accepted("upstream")
            .expect_err("none accepted");
        assert!(err.to_string().contains("0 of 10"), "{err}");
    }

    #[tokio::test]
    async fn a_closed_port_is_an_error() {
        let port = crate::process::free_port().expect("port");
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let load = Load {
            concurrency: 1,
            requests: 1,
            max_duration: Duration::from_secs(5),
        };
        let err = run(addr, load, get(addr), accept_success())
            .await
            .expect_err("nothing listens");
        assert!(err.to_string().contains("cannot connect"), "{err}");
    }
}
