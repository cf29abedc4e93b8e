//! Logging: tracing's own formatter on stderr (stdout carries only the URL line), human-readable
//! or JSON lines, and the one access-log line per request.

use std::io::IsTerminal;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; `RUST_LOG` overrides the default filter. Each line is one
/// write to stderr from the request's own thread: a hand-off to a writer thread would cost a
/// thread wake-up per request, more than the write itself.
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
        route = %route.as_ref().map_or("(app)", MatchedPath::as_str),
        status = response.status().as_u16(),
        micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
    );
    response
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use clap::Parser;
    use tower::ServiceExt;
    use tracing::instrument::WithSubscriber;

    /// Collects what the subscriber writes.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn every_answer_is_logged_under_its_route_and_never_with_its_query() {
        let config = crate::Config::parse_from(["relay"]);
        let state = crate::AppState::new(&config, ([127, 0, 0, 1], 8787).into()).unwrap();
        let app = crate::app(state);
        let request = |method: &str, uri: &str, origin: &str| {
            Request::builder()
                .method(method)
                .uri(uri)
                .header("host", "127.0.0.1:8787")
                .header("origin", origin)
                .header("content-type", "application/json")
                .extension(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                    [127, 0, 0, 1],
                    5000,
                ))))
                .body(Body::from(r#"{"method":"PUT","url":"https://x"}"#))
                .unwrap()
        };
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let statuses = async {
            let mut statuses = Vec::new();
            for (method, uri, origin) in [
                ("POST", "/api/proxy", "https://evil.example"),
                ("POST", "/api/proxy", "http://127.0.0.1:8787"),
                (
                    "GET",
                    "/callback?code=secret-code-1&state=s",
                    "http://127.0.0.1:8787",
                ),
                ("GET", "/some/app/path", "http://127.0.0.1:8787"),
            ] {
                let answer = app.clone().oneshot(request(method, uri, origin)).await;
                statuses.push(answer.unwrap().status());
            }
            statuses
        }
        .with_subscriber(subscriber)
        .await;
        assert_eq!(
            statuses,
            [
                StatusCode::FORBIDDEN,
                StatusCode::BAD_REQUEST,
                StatusCode::OK,
                StatusCode::OK
            ]
        );
        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        for line in [
            "relay::access: method=POST route=/api/proxy status=403",
            "relay::access: method=POST route=/api/proxy status=400",
            "relay::access: method=GET route=/callback status=200",
            "relay::access: method=GET route=(app) status=200",
        ] {
            assert!(log.contains(line), "{line} missing from:\n{log}");
        }
        assert!(!log.contains("secret-code-1"), "{log}");
    }
}
