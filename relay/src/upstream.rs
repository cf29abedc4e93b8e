//! The proxy's HTTP client: hyper's pooled HTTP/1.1 client over rustls and the filtering
//! resolver, and one call with its time and size limits.
//!
//! What the client never does, by construction rather than by setting: follow redirects (a
//! 3xx is an answer like any other), use a system proxy (`HTTP(S)_PROXY` is not read), or
//! resolve a name other than through [`FilteringResolver`] (IP literals are not looked up;
//! [`crate::target`] checks them before the call).
//!
//! It replaced reqwest, which on every call re-parsed the URL twice (for its redirect policy and
//! its `Uri`) and armed two timers, about a fifth of the relay's work per proxied call.

use std::error::Error as StdError;
use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderName, HeaderValue, Method, Request, Response, StatusCode, Uri, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tokio::time::{Instant, Sleep};

use crate::resolver::{FilteringResolver, ResolveError};
use crate::tls::TlsSetupError;

/// The `user-agent` sent when the envelope has none.
pub const USER_AGENT: &str = concat!("oauth-token-wizard-relay/", env!("CARGO_PKG_VERSION"));

/// How long an idle upstream connection is kept for reuse.
const POOL_IDLE: Duration = Duration::from_secs(90);

/// The client's settings, from the relay's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientSettings {
    /// Allow `http://` targets (development only); otherwise the connector speaks TLS only.
    pub allow_http: bool,
    /// Time to open the TCP connection.
    pub connect_timeout: Duration,
    /// Longest wait for the answer's head or for the next piece of its body.
    pub read_timeout: Duration,
    /// Time for the whole call, head and body.
    pub total_timeout: Duration,
    /// Idle connections kept per host (as many as calls may run at once).
    pub max_idle_per_host: usize,
}

/// The pooled client the proxy calls through.
#[derive(Clone)]
pub struct UpstreamClient {
    client: Client<HttpsConnector<HttpConnector<FilteringResolver>>, Full<Bytes>>,
    settings: ClientSettings,
}

/// The upstream's answer, read whole.
#[derive(Debug)]
pub struct UpstreamAnswer {
    /// The status.
    pub status: StatusCode,
    /// The headers (all of them: the caller filters).
    pub headers: axum::http::HeaderMap,
    /// The body, at most the cap given to [`UpstreamClient::call`].
    pub body: Vec<u8>,
}

/// Why a call gave no usable answer. Displays never carry the URL (its path or query may hold
/// secrets), only the innermost cause.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// No complete answer within the total or read timeout (or no connection within the
    /// connect timeout).
    #[error("no answer in time")]
    Timeout,
    /// DNS or TCP/TLS connection failure (a refused name is among these: see
    /// [`crate::resolver::find_refusal`]).
    #[error("could not connect: {0}")]
    Connect(#[source] hyper_util::client::legacy::Error),
    /// The request could not be sent or the answer's head was unreadable.
    #[error("the call failed: {0}")]
    Call(#[source] hyper_util::client::legacy::Error),
    /// The body was cut off or unreadable.
    #[error("the answer was cut off: {0}")]
    Body(#[source] hyper::Error),
    /// The body is larger than the cap.
    #[error("the answer is too large")]
    TooLarge,
}

impl UpstreamError {
    /// The innermost cause's text (for messages), e.g. `Connection refused (os error 111)`.
    pub fn cause_text(&self) -> String {
        let mut cause: Option<&(dyn StdError + 'static)> = self.source();
        let mut last = None;
        while let Some(c) = cause {
            last = Some(c.to_string());
            cause = c.source();
        }
        last.unwrap_or_else(|| "no further detail".to_owned())
    }
}

impl tower::Service<Name> for FilteringResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = ResolveError;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, ResolveError>> + Send>,
    >;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), ResolveError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let addrs = this.resolve_checked(name.as_str()).await?;
            // The connector fills in the port; it connects to exactly these addresses.
            let addrs: Vec<SocketAddr> =
                addrs.into_iter().map(|ip| SocketAddr::new(ip, 0)).collect();
            Ok(addrs.into_iter())
        })
    }
}

impl UpstreamClient {
    /// A client resolving through `resolver`, with the platform's trust store.
    pub fn new(
        resolver: FilteringResolver,
        settings: ClientSettings,
    ) -> Result<Self, TlsSetupError> {
        let mut tcp = HttpConnector::new_with_resolver(resolver);
        // The TLS layer above decides which schemes pass.
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_connect_timeout(Some(settings.connect_timeout));
        let mut tls_config = crate::tls::client_config()?;
        // The connector offers ALPN itself (http/1.1 only, from `enable_http1`) and refuses a
        // configuration that already lists protocols.
        tls_config.alpn_protocols.clear();
        let tls = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls_config);
        let tls = if settings.allow_http {
            tls.https_or_http()
        } else {
            tls.https_only()
        };
        let connector = tls.enable_http1().wrap_connector(tcp);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(settings.max_idle_per_host)
            .pool_idle_timeout(POOL_IDLE)
            .pool_timer(TokioTimer::new())
            .build(connector);
        Ok(Self { client, settings })
    }

    /// Sends one request and reads the whole answer, up to `max_body` bytes.
    ///
    /// `headers` are sent as given (already filtered); `user-agent` and `accept` get defaults
    /// when absent. One timer covers the call: it is moved forward as the answer arrives, never
    /// past the total timeout.
    pub async fn call(
        &self,
        method: Method,
        uri: Uri,
        headers: Vec<(HeaderName, HeaderValue)>,
        body: Option<String>,
        max_body: usize,
    ) -> Result<UpstreamAnswer, UpstreamError> {
        let mut request = Request::new(Full::new(body.map(Bytes::from).unwrap_or_default()));
        *request.method_mut() = method;
        *request.uri_mut() = uri;
        let sent = request.headers_mut();
        for (name, value) in headers {
            sent.append(name, value);
        }
        sent.entry(header::USER_AGENT)
            .or_insert(HeaderValue::from_static(USER_AGENT));
        sent.entry(header::ACCEPT)
            .or_insert(HeaderValue::from_static("*/*"));

        let started = Instant::now();
        let total_deadline = started + self.settings.total_timeout;
        let read_deadline = |from: Instant| (from + self.settings.read_timeout).min(total_deadline);
        let timer = tokio::time::sleep_until(read_deadline(started));
        tokio::pin!(timer);

        let response: Response<Incoming> = tokio::select! {
            biased;
            answer = self.client.request(request) => answer.map_err(|err| {
                if err.is_connect() {
                    if has_timed_out(&err) {
                        UpstreamError::Timeout
                    } else {
                        UpstreamError::Connect(err)
                    }
                } else {
                    UpstreamError::Call(err)
                }
            })?,
            () = &mut timer => return Err(UpstreamError::Timeout),
        };
        let (parts, mut incoming) = response.into_parts();
        let announced = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if announced.is_some_and(|len| len > max_body as u64) {
            return Err(UpstreamError::TooLarge);
        }
        // The announced length (capped above) saves regrowing the buffer frame by frame.
        let mut body = Vec::with_capacity(announced.map_or(0, |len| len as usize));
        loop {
            reset(timer.as_mut(), read_deadline(Instant::now()));
            let frame = tokio::select! {
                biased;
                frame = incoming.frame() => frame,
                () = &mut timer => return Err(UpstreamError::Timeout),
            };
            let Some(frame) = frame else { break };
            let frame = frame.map_err(UpstreamError::Body)?;
            if let Ok(data) = frame.into_data() {
                if body.len() + data.len() > max_body {
                    return Err(UpstreamError::TooLarge);
                }
                body.extend_from_slice(&data);
            }
        }
        Ok(UpstreamAnswer {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }
}

/// Moves the timer to `deadline`. Moving it later, the usual case, only updates the entry
/// (tokio extends timers lazily); it is skipped when nothing changes.
fn reset(timer: std::pin::Pin<&mut Sleep>, deadline: Instant) {
    if timer.deadline() != deadline {
        timer.reset(deadline);
    }
}

/// True if a connect error comes from the connect timeout.
fn has_timed_out(err: &(dyn StdError + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(e) = current {
        if e.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::TimedOut)
        {
            return true;
        }
        current = e.source();
    }
    false
}
