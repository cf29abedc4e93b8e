//! Logging: tracing's own formatter on stderr (stdout carries only the URL line), human-readable
//! or JSON lines, and the one access-log line per request.

use std::io::IsTerminal;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; `RUST_LOG` overrides the default filter.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!("{}=info,tower_http=info", env!("CARGO_CRATE_NAME")))
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Colour codes only help a person watching a terminal; in a log file they are noise.
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    // A second call (tests, embedding) keeps the first subscriber.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// The access log's target.
pub const ACCESS_TARGET: &str = "relay::access";

/// One line per request: method, the route's pattern (`(app)` for the app's files), status and
/// latency. Never the URI (its query may hold a code), headers or bodies.
///
/// Added with `Router::layer`, so it runs after routing (the matched pattern is known) and
/// outside every check, so refusals are logged too.
pub async fn access_log(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    tracing::info!(
        target: ACCESS_TARGET,
        method = %method,
        route = route.as_ref().map_or("(app)", MatchedPath::as_str),
        status = response.status().as_u16(),
        micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
    );
    response
}
