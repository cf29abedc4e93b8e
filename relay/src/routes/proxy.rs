//! `POST /api/proxy`: calls a token endpoint for the browser (which CORS stops from calling it)
//! and answers with a JSON envelope, never with the upstream's bytes as a document.
//!
//! Layers, in order: concurrency cap, method, target URL rules ([`crate::target`]), header
//! allowlist ([`crate::headers`]), the filtering resolver at connect time
//! ([`crate::resolver`]), no redirects, no system proxy, timeouts, and a cap on the body read.
//! Nothing of the request or response (URL path/query, headers, bodies) is logged.
//!
//! The route is the relay's hot path: it is dispatched past the router ([`DirectLayer`]), the
//! envelope is read without copying its strings, and the answer is written as JSON in one buffer.

use std::borrow::Cow;
use std::future::Future;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, json_body, parse_json};
use crate::headers::response_headers;
use crate::resolver::find_refusal;
use crate::state::AppState;
use crate::target::validate_target;
use crate::upstream::UpstreamError;

/// Largest request envelope accepted, in bytes.
pub const MAX_ENVELOPE: usize = 64 * 1024;
/// Largest upstream body read; beyond it the call fails with `upstream_too_large`.
pub const MAX_UPSTREAM_BODY: usize = 1024 * 1024;

/// The request envelope.
#[derive(Debug, Clone, Deserialize)]
pub struct ProxyRequest {
    /// `"GET"` or `"POST"`.
    pub method: String,
    /// The token endpoint (https, port 443 unless configured).
    pub url: String,
    /// `[["name", "value"], ...]`, from the allowlist only.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The body for a POST (e.g. a urlencoded form); `null` or absent for none.
    #[serde(default)]
    pub body: Option<String>,
}

/// The response envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxyResponse {
    /// The upstream's status.
    pub status: u16,
    /// The upstream's headers, from the response allowlist.
    pub headers: Vec<(String, String)>,
    /// The upstream's body as text (invalid UTF-8 replaced).
    pub body: String,
}

fn busy() -> AppError {
    AppError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "proxy_busy",
        "The relay is handling too many token requests at once; try again in a moment.",
    )
}

fn upstream_error(err: &UpstreamError, host: &str, timeout_secs: u64) -> AppError {
    if let Some(refusal) = find_refusal(err) {
        return AppError::forbidden(
            "target_refused",
            format!("Not calling the target: {refusal}."),
        );
    }
    match err {
        UpstreamError::Timeout => AppError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "upstream_timeout",
            format!("`{host}` did not answer within {timeout_secs} seconds."),
        ),
        UpstreamError::TooLarge => too_large(host),
        UpstreamError::Connect(_) => AppError::new(
            StatusCode::BAD_GATEWAY,
            "upstream_unreachable",
            format!("Could not connect to `{host}`: {}.", err.cause_text()),
        ),
        UpstreamError::Body(_) => AppError::new(
            StatusCode::BAD_GATEWAY,
            "upstream_failed",
            format!(
                "The answer from `{host}` was cut off or unreadable: {}.",
                err.cause_text()
            ),
        ),
        UpstreamError::Call(_) => AppError::new(
            StatusCode::BAD_GATEWAY,
            "upstream_failed",
            format!("The call to `{host}` failed: {}.", err.cause_text()),
        ),
    }
}

fn too_large(host: &str) -> AppError {
    AppError::new(
        StatusCode::BAD_GATEWAY,
        "upstream_too_large",
        format!(
            "The answer from `{host}` is larger than {} KiB, which no token response needs; the \
             relay stopped reading it.",
            MAX_UPSTREAM_BODY / 1024
        ),
    )
}

/// `POST /api/proxy`.
pub async fn proxy(State(state): State<AppState>, request: Request) -> Result<Response, AppError> {
    let bytes = json_body(request, &state).await?;
    let request = match serde_json::from_slice::<Envelope<'_>>(&bytes) {
        Ok(envelope) => envelope,
        // The owned reader explains what is wrong, exactly as for the other routes.
        Err(_) => Envelope::from(parse_json::<ProxyRequest>(&bytes)?),
    };
    let _slot = state
        .proxy_slots
        .clone()
        .try_acquire_owned()
        .map_err(|_| busy())?;

    let method = match &*request.method.0 {
        "GET" => Method::GET,
        "POST" => Method::POST,
        other => {
            let shown: String = other.chars().take(16).filter(|c| !c.is_control()).collect();
            return Err(AppError::bad_request(
                "method_not_allowed",
                format!("Only GET and POST can be proxied, not `{shown}`."),
            ));
        }
    };
    let url = validate_target(&request.url.0, &state.target_policy).map_err(|err| {
        let message = format!("Not calling the target: {err}.");
        if err.is_refusal() {
            AppError::forbidden("target_refused", message)
        } else {
            AppError::bad_request("target_invalid", message)
        }
    })?;
    let headers = state
        .header_policy
        .filter_request(&request.headers)
        .map_err(|err| {
            AppError::bad_request("header_refused", format!("Not forwarding: {err}."))
        })?;
    if method == Method::GET && request.body.is_some() {
        return Err(AppError::bad_request(
            "body_not_allowed",
            "A GET request cannot carry a body; use POST or leave `body` null.",
        ));
    }
    // The body as sent: a slice of the request's own buffer when it needed no unescaping.
    let body = request.body.map(|text| match text.0 {
        Cow::Borrowed(text) => bytes.slice_ref(text.as_bytes()),
        Cow::Owned(text) => Bytes::from(text),
    });

    // The checked `Url`, serialized, is what is called; a URL the HTTP layer cannot carry is
    // refused rather than altered.
    let uri = Uri::try_from(String::from(url)).map_err(|_| {
        AppError::bad_request(
            "target_invalid",
            "Not calling the target: the URL cannot be sent as an HTTP request target.",
        )
    })?;
    let timeout_secs = state.upstream_timeout.as_secs();
    let answer = match state
        .client
        .call(method, uri.clone(), headers, body, MAX_UPSTREAM_BODY)
        .await
    {
        Ok(answer) => answer,
        Err(err) => {
            return Err(upstream_error(
                &err,
                uri.host().unwrap_or_default(),
                timeout_secs,
            ));
        }
    };
    // The access log already has the request's line; this detail is for debugging only.
    tracing::debug!(
        target_host = uri.host().unwrap_or_default(),
        upstream_status = answer.status.as_u16(),
        "proxied"
    );

    let body = match String::from_utf8(answer.body) {
        Ok(text) => text,
        Err(invalid) => String::from_utf8_lossy(invalid.as_bytes()).into_owned(),
    };
    let envelope = envelope_json(answer.status.as_u16(), &answer.headers, &body);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        envelope,
    )
        .into_response())
}

/// Sends `POST /api/proxy` straight to [`proxy`], past the router.
///
/// Through the router, a proxied call passed three per-route layers (the route recorder, the
/// API's Origin check, the proxy's rate limit), each of which axum boxes and clones per request,
/// plus the route lookup: more work than the proxy's own checks. This runs the same checks, in
/// the same order, on the same exact path and method, then the handler. Everything else, and
/// every request when CORS origins are configured (the CORS layer wraps the API router), goes
/// to the router.
#[derive(Clone)]
pub struct DirectLayer {
    state: AppState,
}

impl DirectLayer {
    /// For the relay with `state`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

impl<S> tower::Layer<S> for DirectLayer {
    type Service = Direct<S>;

    fn layer(&self, inner: S) -> Direct<S> {
        Direct {
            inner,
            state: self.state.clone(),
            enabled: self.state.allowed_origins.is_empty(),
        }
    }
}

/// The service of [`DirectLayer`].
#[derive(Clone)]
pub struct Direct<S> {
    inner: S,
    state: AppState,
    enabled: bool,
}

/// The future of [`proxy`], boxed (its type cannot be named).
type ProxyFuture = std::pin::Pin<Box<dyn Future<Output = Response> + Send>>;

impl<S, B> tower::Service<axum::http::Request<B>> for Direct<S>
where
    S: tower::Service<
            axum::http::Request<B>,
            Response = Response,
            Error = std::convert::Infallible,
        >,
    B: axum::body::HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future = DirectFuture<S::Future>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: axum::http::Request<B>) -> Self::Future {
        if !(self.enabled && request.method() == Method::POST && request.uri().path() == PATH) {
            return DirectFuture::Routed {
                inner: self.inner.call(request),
            };
        }
        crate::logging::record_route(&request, PATH);
        let mut request = request.map(axum::body::Body::new);
        let checked = crate::access::guard_api(&self.state, &mut request)
            .and_then(|()| crate::access::proxy_rate_limit(&self.state, &mut request));
        let answer: ProxyFuture = match checked {
            Ok(()) => {
                let state = self.state.clone();
                Box::pin(async move { proxy(State(state), request).await.into_response() })
            }
            Err(refusal) => Box::pin(std::future::ready(refusal.into_response())),
        };
        DirectFuture::Direct { answer }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Direct`].
    #[project = DirectProjection]
    pub enum DirectFuture<F> {
        /// Through the router.
        Routed { #[pin] inner: F },
        /// Straight to the handler.
        Direct { answer: ProxyFuture },
    }
}

impl<F> Future for DirectFuture<F>
where
    F: Future<Output = Result<Response, std::convert::Infallible>>,
{
    type Output = Result<Response, std::convert::Infallible>;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        match self.project() {
            DirectProjection::Routed { inner } => inner.poll(cx),
            DirectProjection::Direct { answer } => answer.as_mut().poll(cx).map(Ok),
        }
    }
}

/// The route's path.
pub const PATH: &str = "/api/proxy";

/// The request envelope as read on the hot path: its strings borrowed from the request body
/// where they need no unescaping. Same fields and rules as [`ProxyRequest`].
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    method: Text<'a>,
    #[serde(borrow)]
    url: Text<'a>,
    #[serde(borrow, default)]
    headers: Vec<(Text<'a>, Text<'a>)>,
    #[serde(borrow, default)]
    body: Option<Text<'a>>,
}

impl From<ProxyRequest> for Envelope<'_> {
    fn from(owned: ProxyRequest) -> Self {
        let text = |s: String| Text(Cow::Owned(s));
        Self {
            method: text(owned.method),
            url: text(owned.url),
            headers: owned
                .headers
                .into_iter()
                .map(|(name, value)| (text(name), text(value)))
                .collect(),
            body: owned.body.map(text),
        }
    }
}

/// A JSON string, borrowed when it has no escapes (serde's own `Cow<str>` is always owned
/// inside a `Vec` or a tuple).
struct Text<'a>(Cow<'a, str>);

impl AsRef<str> for Text<'_> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Text<'de>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(text)))
            }

            fn visit_str<E>(self, text: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(text.to_owned())))
            }

            fn visit_string<E>(self, text: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(text)))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

/// The response envelope as JSON, written in one buffer: what serializing [`ProxyResponse`]
/// with the headers [`response_headers`] passes would give, byte for byte.
fn envelope_json(status: u16, headers: &HeaderMap, body: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + body.len() + 64 * headers.len());
    out.extend_from_slice(b"{\"status\":");
    let mut digits = [0u8; 5];
    let mut start = digits.len();
    let mut rest = status;
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[start..]);
    out.extend_from_slice(b",\"headers\":[");
    for (index, (name, value)) in response_headers(headers).enumerate() {
        if index > 0 {
            out.push(b',');
        }
        out.push(b'[');
        json_string(&mut out, name);
        out.push(b',');
        json_string(&mut out, value);
        out.push(b']');
    }
    out.extend_from_slice(b"],\"body\":");
    json_string(&mut out, body);
    out.push(b'}');
    out
}

/// Appends `text` as a JSON string.
fn json_string(out: &mut Vec<u8>, text: &str) {
    // Writing into a `Vec` cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_is_what_serializing_the_response_gives() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(header::SET_COOKIE, HeaderValue::from_static("session=1"));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert("www-authenticate", HeaderValue::from_static("Bearer \t x"));
        let body = r#"{"error":"invalid_grant","error_description":"line\nbreak"}"#;
        let expected = ProxyResponse {
            status: 400,
            headers: crate::headers::filter_response(&headers),
            body: body.to_owned(),
        };
        assert_eq!(
            envelope_json(400, &headers, body),
            serde_json::to_vec(&expected).unwrap()
        );
        assert_eq!(
            envelope_json(200, &HeaderMap::new(), ""),
            br#"{"status":200,"headers":[],"body":""}"#
        );
    }

    /// Captures what the subscriber writes.
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
    async fn direct_calls_pass_the_api_checks_and_are_logged_under_their_route() {
        use clap::Parser;
        use tower::{Layer, ServiceExt};
        use tracing::instrument::WithSubscriber;

        let config = crate::Config::parse_from(["relay"]);
        let state = AppState::new(&config, ([127, 0, 0, 1], 8787).into()).unwrap();
        // Anything not taken directly would reach this and fail the test.
        let router = tower::service_fn(|_: axum::http::Request<axum::body::Body>| async {
            Ok::<Response, std::convert::Infallible>(StatusCode::IM_A_TEAPOT.into_response())
        });
        let service = crate::logging::AccessLogLayer.layer(DirectLayer::new(state).layer(router));
        let post = |origin: &str, path: &str| {
            axum::http::Request::post(path)
                .header(header::HOST, "127.0.0.1:8787")
                .header(header::ORIGIN, origin)
                .header(header::CONTENT_TYPE, "application/json")
                .body(axum::body::Body::from(
                    r#"{"method":"PUT","url":"https://x"}"#,
                ))
                .unwrap()
        };
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let answers = async {
            let foreign = service
                .clone()
                .oneshot(post("https://evil.example", PATH))
                .await
                .unwrap();
            let own = service
                .clone()
                .oneshot(post("http://127.0.0.1:8787", PATH))
                .await
                .unwrap();
            let elsewhere = service
                .clone()
                .oneshot(post("http://127.0.0.1:8787", "/api/proxy/"))
                .await
                .unwrap();
            [foreign.status(), own.status(), elsewhere.status()]
        }
        .with_subscriber(subscriber)
        .await;
        // Refused by the Origin check; refused by the handler (PUT); not the route.
        assert_eq!(
            answers,
            [
                StatusCode::FORBIDDEN,
                StatusCode::BAD_REQUEST,
                StatusCode::IM_A_TEAPOT
            ]
        );
        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(log.contains("route=/api/proxy status=403"), "{log}");
        assert!(log.contains("route=/api/proxy status=400"), "{log}");
        assert!(log.contains("route=(app) status=418"), "{log}");
    }

    #[test]
    fn the_envelope_borrows_unescaped_strings_and_unescapes_the_rest() {
        let raw = br#"{"method":"POST","url":"https:\/\/x.example\/token","headers":[["accept","a\"b"]],"body":"k=v","extra":1}"#;
        let envelope: Envelope<'_> = serde_json::from_slice(raw).unwrap();
        assert!(matches!(envelope.method.0, Cow::Borrowed("POST")));
        assert!(matches!(&envelope.url.0, Cow::Owned(url) if url == "https://x.example/token"));
        assert_eq!(envelope.headers[0].1.as_ref(), "a\"b");
        assert!(matches!(
            envelope.body.as_ref().map(|b| &b.0),
            Some(Cow::Borrowed("k=v"))
        ));
        let owned: ProxyRequest = serde_json::from_slice(raw).unwrap();
        let converted = Envelope::from(owned);
        assert_eq!(converted.url.as_ref(), envelope.url.as_ref());
        assert!(serde_json::from_slice::<Envelope<'_>>(br#"{"url":"https://x"}"#).is_err());
        let minimal: Envelope<'_> =
            serde_json::from_slice(br#"{"method":"GET","url":"https://x","body":null}"#).unwrap();
        assert!(minimal.headers.is_empty() && minimal.body.is_none());
    }
}
