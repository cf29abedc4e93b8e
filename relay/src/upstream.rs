//! The proxy's HTTP client: HTTP/1.1 connections (hyper's client connection over rustls and the
//! filtering resolver) in small per-worker pools, and one call with its time and size limits.
//!
//! What the client never does, by construction rather than by setting: follow redirects (a
//! 3xx is an answer like any other), use a system proxy (`HTTP(S)_PROXY` is not read), or
//! resolve a name other than through [`FilteringResolver`] (IP literals are not looked up;
//! [`crate::target`] checks them before the call).
//!
//! It replaced reqwest, which on every call re-parsed the URL twice (for its redirect policy and
//! its `Uri`) and armed two timers, about a fifth of the relay's work per proxied call. It then
//! replaced hyper-util's pooled client, which runs every connection as a task of its own, hands
//! each request to it and the answer back over channels, spawns one more task per call to put
//! the connection back, and keys its pool by a SipHash of scheme and authority: the call now
//! drives its connection itself, inside the request's own task, and the pool is a short list
//! per serving worker ([`crate::server`]), so a call never leaves its thread.

use std::error::Error as StdError;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::uri::{Authority, Scheme};
use axum::http::{HeaderName, HeaderValue, Method, Request, Response, StatusCode, Uri, header};
use http_body_util::Full;
use hyper::body::{Body as _, Incoming};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::rt::TokioIo;
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

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

type Connector = HttpsConnector<HttpConnector<FilteringResolver>>;
type Stream = MaybeHttpsStream<TokioIo<tokio::net::TcpStream>>;
type Connection = http1::Connection<Stream, Full<Bytes>>;

/// The proxy's client: opens connections through the filtering resolver and keeps idle ones for
/// reuse, in one pool per serving worker plus one for calls from any other thread (a worker
/// only reuses connections registered with its own runtime).
#[derive(Clone)]
pub struct UpstreamClient {
    connector: Connector,
    pools: Arc<[Mutex<Vec<Idle>>]>,
    settings: ClientSettings,
}

/// Where a connection goes: scheme and authority of the URL it was opened for.
#[derive(Clone, PartialEq, Eq)]
struct Destination {
    scheme: Scheme,
    authority: Authority,
}

/// An open connection and the means to send on it.
struct Conn {
    destination: Destination,
    sender: SendRequest<Full<Bytes>>,
    connection: Connection,
    /// The connection has finished (closed, or failed); it is never polled again.
    finished: bool,
}

/// A connection waiting in a pool. Boxed: the connection (buffers, TLS state) is large, and
/// it moves between the pool and the calls.
struct Idle {
    conn: Box<Conn>,
    since: Instant,
}

impl Conn {
    /// Lets the connection make progress (write the request, read the answer, notice that the
    /// server closed it). Its end, with or without an error, surfaces through the request's own
    /// future, so it is only recorded here.
    fn drive(&mut self, cx: &mut Context<'_>) {
        if !self.finished && Pin::new(&mut self.connection).poll(cx).is_ready() {
            self.finished = true;
        }
    }

    /// True if another request can go out on it now.
    fn reusable(&self) -> bool {
        !self.finished && self.sender.is_ready()
    }
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
    Connect(#[source] Box<dyn StdError + Send + Sync>),
    /// The request could not be sent or the answer's head was unreadable.
    #[error("the call failed: {0}")]
    Call(#[source] hyper::Error),
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
        let pools = (0..=crate::server::worker_count())
            .map(|_| Mutex::new(Vec::new()))
            .collect();
        Ok(Self {
            connector,
            pools,
            settings,
        })
    }

    /// This thread's pool: its worker's own, or the shared one (index 0).
    fn pool(&self) -> MutexGuard<'_, Vec<Idle>> {
        let workers = self.pools.len() - 1;
        let index = match crate::server::worker_index() {
            Some(worker) if workers > 0 => 1 + worker % workers,
            _ => 0,
        };
        // A panic while holding the lock cannot leave the list inconsistent; keep using it.
        self.pools[index]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// An idle connection to `destination` that can take a request now, if the pool has one.
    fn checkout(&self, destination: &Destination, cx: &mut Context<'_>) -> Option<Box<Conn>> {
        let mut pool = self.pool();
        while let Some(position) = pool
            .iter()
            .rposition(|idle| idle.conn.destination == *destination)
        {
            let Idle { mut conn, since } = pool.swap_remove(position);
            if since.elapsed() >= POOL_IDLE {
                continue;
            }
            // Notices a connection the server closed while it waited.
            conn.drive(cx);
            if conn.reusable() {
                return Some(conn);
            }
        }
        None
    }

    /// Puts a connection whose answer was read whole back for reuse (unless enough wait).
    fn checkin(&self, conn: Box<Conn>) {
        if !conn.reusable() {
            return;
        }
        let mut pool = self.pool();
        let waiting = pool
            .iter()
            .filter(|idle| idle.conn.destination == conn.destination)
            .count();
        if waiting < self.settings.max_idle_per_host {
            pool.push(Idle {
                conn,
                since: Instant::now(),
            });
        }
    }

    /// Closes connections that have been idle too long (called now and then by housekeeping).
    pub fn close_idle(&self) {
        for pool in self.pools.iter() {
            let mut pool = pool
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            pool.retain(|idle| idle.since.elapsed() < POOL_IDLE);
        }
    }

    /// A new connection to `uri`'s destination: resolved and checked by the filtering resolver,
    /// TLS unless plain http is allowed.
    async fn connect(
        &self,
        destination: Destination,
        uri: &Uri,
    ) -> Result<Box<Conn>, UpstreamError> {
        let stream = self
            .connector
            .clone()
            .oneshot(uri.clone())
            .await
            .map_err(|err| {
                if has_timed_out(&*err) {
                    UpstreamError::Timeout
                } else {
                    UpstreamError::Connect(err)
                }
            })?;
        let (sender, connection) = http1::handshake(stream)
            .await
            .map_err(UpstreamError::Call)?;
        Ok(Box::new(Conn {
            destination,
            sender,
            connection,
            finished: false,
        }))
    }

    /// Sends `request` on a pooled connection to its destination, or on a new one, and waits
    /// for the answer's head. A pooled connection that turns out to be closed before the
    /// request went out is replaced by a new one; once sent, a request is never sent again.
    async fn send(
        &self,
        mut request: Request<Full<Bytes>>,
    ) -> Result<(Response<Incoming>, Box<Conn>), UpstreamError> {
        let uri = request.uri().clone();
        let destination = Destination {
            scheme: uri.scheme().cloned().unwrap_or(Scheme::HTTPS),
            authority: uri
                .authority()
                .cloned()
                .ok_or_else(|| UpstreamError::Connect("the URL has no host".into()))?,
        };
        // HTTP/1.1 to an origin server: the path and query as the request target, the
        // authority (without a default port) as Host.
        let host = host_header(&uri)?;
        request.headers_mut().insert(header::HOST, host);
        *request.uri_mut() = origin_form(&uri);

        let pooled = poll_fn(|cx| Poll::Ready(self.checkout(&destination, cx))).await;
        let mut conn = match pooled {
            Some(conn) => conn,
            None => self.connect(destination.clone(), &uri).await?,
        };
        let answer = {
            let mut sending = std::pin::pin!(conn.sender.try_send_request(request));
            poll_fn(|cx| {
                conn.drive(cx);
                sending.as_mut().poll(cx)
            })
            .await
        };
        match answer {
            Ok(response) => Ok((response, conn)),
            Err(mut failed) => match failed.take_message() {
                // Not sent: the pooled connection was closed. A new one gets it.
                Some(request) => {
                    let mut conn = self.connect(destination, &uri).await?;
                    let mut sending = std::pin::pin!(conn.sender.send_request(request));
                    let response = poll_fn(|cx| {
                        conn.drive(cx);
                        sending.as_mut().poll(cx)
                    })
                    .await
                    .map_err(UpstreamError::Call)?;
                    Ok((response, conn))
                }
                None => Err(UpstreamError::Call(failed.into_error())),
            },
        }
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
        body: Option<Bytes>,
        max_body: usize,
    ) -> Result<UpstreamAnswer, UpstreamError> {
        let mut request = Request::new(Full::new(body.unwrap_or_default()));
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

        let (response, mut conn) = tokio::select! {
            biased;
            sent = self.send(request) => sent?,
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
            let frame = poll_fn(|cx| {
                conn.drive(cx);
                if let Poll::Ready(frame) = Pin::new(&mut incoming).poll_frame(cx) {
                    return Poll::Ready(Some(frame));
                }
                timer.as_mut().poll(cx).map(|()| None)
            })
            .await;
            let Some(frame) = frame else {
                return Err(UpstreamError::Timeout);
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
        // The answer is complete: the connection goes idle (or notices it must close).
        drop(incoming);
        poll_fn(|cx| {
            conn.drive(cx);
            Poll::Ready(())
        })
        .await;
        self.checkin(conn);
        Ok(UpstreamAnswer {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }
}

/// `Host` for `uri`: its host, with the port unless it is the scheme's default.
fn host_header(uri: &Uri) -> Result<HeaderValue, UpstreamError> {
    let host = uri.host().unwrap_or_default();
    let default_port = match uri.scheme_str() {
        Some("https") => 443,
        _ => 80,
    };
    let value = match (uri.port_u16(), uri.authority()) {
        // The authority is `host:port` unless it has a user name (checked targets have none).
        (Some(port), Some(authority)) if port != default_port => {
            match authority.as_str().contains('@') {
                false => HeaderValue::from_str(authority.as_str()),
                true => HeaderValue::from_str(&format!("{host}:{port}")),
            }
        }
        _ => HeaderValue::from_str(host),
    };
    value.map_err(|_| UpstreamError::Connect("the URL's host cannot be sent as Host".into()))
}

/// The request target for an origin server: path and query only.
fn origin_form(uri: &Uri) -> Uri {
    match uri.path_and_query() {
        Some(path) if path.as_str() != "/" => {
            let mut parts = axum::http::uri::Parts::default();
            parts.path_and_query = Some(path.clone());
            Uri::from_parts(parts).unwrap_or_else(|_| Uri::from_static("/"))
        }
        _ => Uri::from_static("/"),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn client() -> UpstreamClient {
        let resolver = FilteringResolver::new(Arc::new(crate::resolver::StaticLookup::new()), true);
        UpstreamClient::new(
            resolver,
            ClientSettings {
                allow_http: true,
                connect_timeout: Duration::from_secs(5),
                read_timeout: Duration::from_secs(5),
                total_timeout: Duration::from_secs(10),
                max_idle_per_host: 4,
            },
        )
        .unwrap()
    }

    /// A token endpoint answering `answers_per_connection` requests on each connection, then
    /// closing it; counts connections.
    async fn endpoint(answers_per_connection: usize) -> (Uri, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let uri: Uri = format!("http://{}/token", listener.local_addr().unwrap())
            .parse()
            .unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    for _ in 0..answers_per_connection {
                        let mut request = Vec::new();
                        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                            let n = stream.read(&mut buf).await.unwrap_or(0);
                            if n == 0 {
                                return;
                            }
                            request.extend_from_slice(&buf[..n]);
                        }
                        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                        if stream.write_all(answer).await.is_err() {
                            return;
                        }
                    }
                    // Like a server whose keep-alive timeout ran out: closes without a word.
                });
            }
        });
        (uri, accepted)
    }

    async fn get(client: &UpstreamClient, uri: &Uri) -> Result<UpstreamAnswer, UpstreamError> {
        client
            .call(Method::GET, uri.clone(), Vec::new(), None, 1024)
            .await
    }

    #[tokio::test]
    async fn connections_are_reused() {
        let (uri, accepted) = endpoint(usize::MAX).await;
        let client = client();
        for _ in 0..3 {
            let answer = get(&client, &uri).await.unwrap();
            assert_eq!(
                (answer.status, answer.body.as_slice()),
                (StatusCode::OK, &b"ok"[..])
            );
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_pooled_connection_the_server_closed_is_replaced() {
        let (uri, accepted) = endpoint(1).await;
        let client = client();
        for _ in 0..3 {
            let answer = get(&client, &uri).await.unwrap();
            assert_eq!(answer.body, b"ok");
            // Let the close arrive while the connection waits in the pool.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn host_and_request_target_follow_the_url() {
        let uri: Uri = "https://example.com:443/token?a=1".parse().unwrap();
        assert_eq!(host_header(&uri).unwrap(), "example.com");
        let uri: Uri = "http://[::1]:8080/t".parse().unwrap();
        assert_eq!(host_header(&uri).unwrap(), "[::1]:8080");
        assert_eq!(origin_form(&uri), "/t");
        assert_eq!(origin_form(&"https://x.example".parse().unwrap()), "/");
        assert_eq!(
            origin_form(&"https://x.example/a/b?c=d".parse().unwrap()),
            "/a/b?c=d"
        );
    }
}
