//! Logging: human-readable or JSON lines on stderr (stdout carries only the URL line), and the
//! one access-log line per request.

use std::future::Future;
use std::io::IsTerminal;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, ready};
use std::time::Instant;

use axum::extract::MatchedPath;
use axum::http::{Method, Request, Response, StatusCode};
use pin_project_lite::pin_project;
use tower::{Layer, Service};
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

/// Where the router reports the route it matched to the access log, which runs outside it
/// (so that it also logs requests refused before routing, such as `host_refused`).
#[derive(Clone, Default)]
struct RouteSlot(Arc<OnceLock<MatchedPath>>);

/// Writes the access-log line: method, matched route, status and latency.
///
/// One event per request, replacing a request span plus a "finished" event (a span allocation,
/// formatted span fields and two writes per request). The fields are `&str`s and integers,
/// written once into the subscriber's reused buffer. The route is the router's pattern (e.g.
/// `/api/proxy`, or `(app)` for the static fallback), never the URI: its query may hold an
/// authorization code. Headers and bodies are never logged.
fn log_request(method: &Method, route: Option<&MatchedPath>, status: StatusCode, started: Instant) {
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    tracing::info!(
        target: "relay::access",
        method = %method,
        route = %route.map_or("(app)", MatchedPath::as_str),
        status = status.as_u16(),
        micros,
    );
}

/// Logs one line per request (see [`log_request`]); outermost, so refusals are logged too.
#[derive(Debug, Clone, Copy, Default)]
pub struct AccessLogLayer;

impl<S> Layer<S> for AccessLogLayer {
    type Service = AccessLog<S>;

    fn layer(&self, inner: S) -> AccessLog<S> {
        AccessLog { inner }
    }
}

/// The service of [`AccessLogLayer`].
#[derive(Debug, Clone)]
pub struct AccessLog<S> {
    inner: S,
}

impl<S, B, R> Service<Request<B>> for AccessLog<S>
where
    S: Service<Request<B>, Response = Response<R>>,
{
    type Response = Response<R>;
    type Error = S::Error;
    type Future = AccessLogFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let started = Instant::now();
        let method = request.method().clone();
        let slot = RouteSlot::default();
        request.extensions_mut().insert(slot.clone());
        AccessLogFuture {
            inner: self.inner.call(request),
            started,
            method,
            slot,
        }
    }
}

pin_project! {
    /// The future of [`AccessLog`]: the inner answer, logged when it is ready.
    pub struct AccessLogFuture<F> {
        #[pin]
        inner: F,
        started: Instant,
        method: Method,
        slot: RouteSlot,
    }
}

impl<F, R, E> Future for AccessLogFuture<F>
where
    F: Future<Output = Result<Response<R>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        if let Ok(response) = &result {
            log_request(
                this.method,
                this.slot.0.get(),
                response.status(),
                *this.started,
            );
        }
        Poll::Ready(result)
    }
}

/// Layer for the router's routes: tells the access log which route matched.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecordRouteLayer;

impl<S> Layer<S> for RecordRouteLayer {
    type Service = RecordRoute<S>;

    fn layer(&self, inner: S) -> RecordRoute<S> {
        RecordRoute { inner }
    }
}

/// The service of [`RecordRouteLayer`]: no future of its own, so it adds no allocation.
#[derive(Debug, Clone)]
pub struct RecordRoute<S> {
    inner: S,
}

impl<S, B> Service<Request<B>> for RecordRoute<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let extensions = request.extensions();
        if let (Some(slot), Some(route)) = (
            extensions.get::<RouteSlot>(),
            extensions.get::<MatchedPath>(),
        ) {
            // Set once: a nested router would otherwise overwrite the outer match.
            let _ = slot.0.set(route.clone());
        }
        self.inner.call(request)
    }
}
