//! Relay proxy throughput and latency: the same token request sent to a loopback token endpoint
//! directly, through cors-anywhere (what people deploy for this job), through nginx
//! (`proxy_pass`) and through the relay's `/api/proxy`, at several concurrency levels. Rounds
//! interleave the targets so that machine noise hits all alike; figures are medians over rounds.
//! The targets compare the relay with cors-anywhere; nginx's ratio is for information.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::Request;

use crate::cors_anywhere::CorsAnywhere;
use crate::loadgen::{self, Accept, Load, MakeRequest};
use crate::nginx::{self, Nginx};
use crate::relay::{RelayProcess, UNLIMITED_RATES, log_path};
use crate::report::{Goal, Row, Status, Unit};
use crate::upstream::Upstream;
use crate::{Plan, Result, stats};

/// The token request's form body (fake values of realistic length).
const FORM: &str = "grant_type=authorization_code&code=4%2F0AeanS0ZabcdefghijklmnopqrstuvwxyzABCDEFGHIJ\
&redirect_uri=http%3A%2F%2F127.0.0.1%3A8787%2Fcallback&client_id=bench-client-id.apps.example.com\
&code_verifier=dBjftJeZ4CVP-mJ92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// Longest any single run may take.
const RUN_CAP: Duration = Duration::from_secs(10);

/// One way to reach the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Direct,
    CorsAnywhere,
    Nginx,
    Relay,
}

impl Route {
    fn name(self) -> &'static str {
        match self {
            Route::Direct => "direct",
            Route::CorsAnywhere => "cors-anywhere",
            Route::Nginx => "nginx",
            Route::Relay => "relay",
        }
    }
}

/// A target: where to connect, how to build requests, what counts as success.
struct Target {
    route: Route,
    addr: SocketAddr,
    make: MakeRequest,
    accept: Accept,
}

/// The token request as a browser would send it to the endpoint (directly or via nginx).
fn plain_target(route: Route, addr: SocketAddr) -> Target {
    let make: MakeRequest = Arc::new(move |_| {
        Request::post("/token")
            .header("host", addr.to_string())
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(Full::new(Bytes::from_static(FORM.as_bytes())))
            .unwrap_or_else(|_| Request::new(Full::new(Bytes::new())))
    });
    Target {
        route,
        addr,
        make,
        accept: loadgen::accept_success(),
    }
}

/// The token request through cors-anywhere: the target URL after its `/`, and the `Origin` a
/// browser page sends (cors-anywhere adds the CORS headers for it).
fn cors_anywhere_target(proxy: SocketAddr, upstream: SocketAddr) -> Target {
    let path = format!("/http://{upstream}/token");
    let make: MakeRequest = Arc::new(move |_| {
        Request::post(path.as_str())
            .header("host", proxy.to_string())
            .header("origin", "http://127.0.0.1:8787")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(Full::new(Bytes::from_static(FORM.as_bytes())))
            .unwrap_or_else(|_| Request::new(Full::new(Bytes::new())))
    });
    Target {
        route: Route::CorsAnywhere,
        addr: proxy,
        make,
        accept: loadgen::accept_success(),
    }
}

/// The same token request wrapped in the relay's `/api/proxy` envelope, as the wizard sends it.
fn relay_target(relay: &RelayProcess, upstream: SocketAddr) -> Target {
    let envelope = serde_json::json!({
        "method": "POST",
        "url": format!("http://{upstream}/token"),
        "headers": [["content-type", "application/x-www-form-urlencoded"], ["accept", "application/json"]],
        "body": FORM,
    })
    .to_string();
    let body = Bytes::from(envelope);
    let (addr, origin) = (relay.addr(), relay.origin());
    let make: MakeRequest = Arc::new(move |_| {
        Request::post("/api/proxy")
            .header("host", addr.to_string())
            .header("origin", origin.as_str())
            .header("content-type", "application/json")
            .body(Full::new(body.clone()))
            .unwrap_or_else(|_| Request::new(Full::new(Bytes::new())))
    });
    // The relay answers 200 with the upstream's status inside the envelope.
    let accept: Accept = Arc::new(|status, body| {
        status.is_success() && body.windows(12).any(|w| w == b"\"status\":200")
    });
    Target {
        route: Route::Relay,
        addr,
        make,
        accept,
    }
}

/// What the rounds of one route at one concurrency produced.
#[derive(Debug, Default)]
struct Samples {
    throughput: Vec<f64>,
    p50: Vec<f64>,
    p99: Vec<f64>,
    /// Upstream connections the route opened, against the requests sent: connection reuse.
    connections: usize,
    requests: usize,
}

impl Samples {
    fn add(&mut self, outcome: &loadgen::Outcome, connections: usize) {
        self.throughput.push(outcome.throughput());
        self.p50.push(outcome.latency(50.0).unwrap_or(f64::NAN));
        self.p99.push(outcome.latency(99.0).unwrap_or(f64::NAN));
        self.connections += connections;
        self.requests += outcome.attempted();
    }

    /// Medians over the rounds.
    fn figures(&self) -> Figures {
        let median = |v: &[f64]| stats::median(v).unwrap_or(f64::NAN);
        Figures {
            throughput: median(&self.throughput),
            p50: median(&self.p50),
            p99: median(&self.p99),
        }
    }
}

/// Median figures of one route at one concurrency.
#[derive(Debug, Clone, Copy)]
struct Figures {
    throughput: f64,
    p50: f64,
    p99: f64,
}

/// Runs the proxy benchmark. Returns the table rows and detail lines.
pub async fn measure(
    relay_bin: &Path,
    cors_anywhere: Option<&Path>,
    work: &Path,
    plan: &Plan,
) -> Result<(Vec<Row>, Vec<String>)> {
    let upstream = Upstream::start().await?;
    let relay_args: Vec<String> = [
        "--allow-private-targets",
        "--allowed-port",
        &upstream.addr().port().to_string(),
    ]
    .into_iter()
    .chain(UNLIMITED_RATES)
    .map(str::to_owned)
    .collect();
    let relay = RelayProcess::start(relay_bin, &relay_args, &log_path(work, "proxy"))?;
    let workers = std::thread::available_parallelism().map_or(2, usize::from);
    let mut details = Vec::new();
    let nginx = match nginx::ensure_installed() {
        Ok(binary) => {
            Some(Nginx::start(&binary, &work.join("nginx"), upstream.addr(), workers).await?)
        }
        Err(err) if plan.smoke => {
            eprintln!(
                "bench: smoke run without nginx ({err}); the relay and direct routes still run"
            );
            details.push(format!("nginx skipped: {err}"));
            None
        }
        Err(err) => return Err(err),
    };

    let cors_anywhere = match cors_anywhere {
        Some(prefix) => Some(CorsAnywhere::start(prefix, &work.join("cors-anywhere.log")).await?),
        None if plan.smoke => {
            details.push("cors-anywhere skipped: not installed (--cors-anywhere)".to_owned());
            None
        }
        None => {
            return Err(crate::BenchError::Setup(
                "cors-anywhere is not installed (cargo xtask bench passes --cors-anywhere)"
                    .to_owned(),
            ));
        }
    };

    let mut targets = vec![plain_target(Route::Direct, upstream.addr())];
    if let Some(cors) = &cors_anywhere {
        targets.push(cors_anywhere_target(cors.addr(), upstream.addr()));
    }
    if let Some(nginx) = &nginx {
        targets.push(plain_target(Route::Nginx, nginx.addr()));
    }
    targets.push(relay_target(&relay, upstream.addr()));

    // Warm-up: connections, upstream keep-alive pools, allocator, page cache.
    let warm_up = Load {
        concurrency: 8,
        requests: plan.proxy_requests.min(500),
        max_duration: RUN_CAP,
    };
    for target in &targets {
        loadgen::run(
            target.addr,
            warm_up,
            target.make.clone(),
            target.accept.clone(),
        )
        .await?
        .require_all_accepted(&format!("warm-up via {}", target.route.name()))?;
    }

    let mut rows = Vec::new();
    for &concurrency in &plan.proxy_concurrency {
        let load = Load {
            concurrency,
            requests: plan.proxy_requests,
            max_duration: RUN_CAP,
        };
        let mut samples: Vec<Samples> = targets.iter().map(|_| Samples::default()).collect();
        for round in 0..plan.proxy_rounds {
            // Rotate the order each round so no route always runs first (or last).
            for k in 0..targets.len() {
                let index = (k + round) % targets.len();
                let target = &targets[index];
                let connections_before = upstream.connections();
                let outcome = loadgen::run(
                    target.addr,
                    load,
                    target.make.clone(),
                    target.accept.clone(),
                )
                .await?;
                outcome.require_all_accepted(&format!(
                    "{} at {concurrency} connections",
                    target.route.name()
                ))?;
                samples[index].add(&outcome, upstream.connections() - connections_before);
            }
        }
        let figures = |route: Route| {
            targets
                .iter()
                .position(|t| t.route == route)
                .map(|i| (samples[i].figures(), &samples[i]))
        };
        let (cors_figures, nginx_figures, relay_figures) = (
            figures(Route::CorsAnywhere).map(|f| f.0),
            figures(Route::Nginx).map(|f| f.0),
            figures(Route::Relay).map(|f| f.0),
        );
        for route in [
            Route::Direct,
            Route::CorsAnywhere,
            Route::Nginx,
            Route::Relay,
        ] {
            let Some((f, sampled)) = figures(route) else {
                continue;
            };
            details.push(format!(
                "proxy, {concurrency:>2} conn, {:<13}: {:>7.0} req/s, p50 {:.2} ms, p99 {:.2} ms; \
                 {} upstream connections opened for {} requests",
                route.name(),
                f.throughput,
                f.p50,
                f.p99,
                sampled.connections,
                sampled.requests
            ));
        }
        let Some(relay_f) = relay_figures else {
            continue;
        };
        let throughput = |baseline: &str| {
            Row::new(
                format!("proxy req/s, {concurrency} conn (vs {baseline})"),
                Unit::PerSecond,
                relay_f.throughput,
            )
        };
        let latency = |name: &str, value: f64| {
            Row::new(
                format!("proxy {name} latency, {concurrency} conn"),
                Unit::Millis,
                value,
            )
        };
        match cors_figures {
            Some(c) => {
                rows.push(
                    throughput("cors-anywhere")
                        .baseline("cors-anywhere", c.throughput)
                        .goal("≥ 5× cors-anywhere", Goal::RatioAtLeast(5.0)),
                );
                rows.push(latency("p50", relay_f.p50).baseline("cors-anywhere", c.p50));
                rows.push(
                    latency("p99", relay_f.p99)
                        .baseline("cors-anywhere", c.p99)
                        .goal("≤ 0.5× cors-anywhere", Goal::RatioAtMost(0.5)),
                );
            }
            None => rows.push(Row::unmeasured(
                format!("proxy req/s, {concurrency} conn (vs cors-anywhere)"),
                Unit::PerSecond,
                "≥ 5× cors-anywhere",
                Status::Skipped("cors-anywhere not installed in this smoke run".to_owned()),
            )),
        }
        match nginx_figures {
            Some(n) => {
                rows.push(throughput("nginx").baseline("nginx", n.throughput));
                rows.push(latency("p99", relay_f.p99).baseline("nginx", n.p99));
            }
            None => rows.push(Row::unmeasured(
                format!("proxy req/s, {concurrency} conn (vs nginx)"),
                Unit::PerSecond,
                "—",
                Status::Skipped("nginx not available in this smoke run".to_owned()),
            )),
        }
    }
    drop(relay);
    drop(nginx);
    drop(cors_anywhere);
    Ok((rows, details))
}
