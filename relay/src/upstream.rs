//! The proxy's HTTP client: reqwest's pooled client over rustls, set so that it never follows a
//! redirect (a 3xx is an answer like any other), never uses a system proxy (`HTTP(S)_PROXY` is
//! not read), and resolves names only through [`FilteringResolver`], which refuses a name with
//! any non-public address and hands reqwest exactly the addresses it checked. IP literals are
//! not looked up: [`crate::target`] checks them before the call.

use std::error::Error as StdError;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::resolver::FilteringResolver;
use crate::tls::TlsSetupError;

/// The `user-agent` sent when the envelope has none.
pub const USER_AGENT: &str = concat!("oauth-token-wizard-relay/", env!("CARGO_PKG_VERSION"));

/// How long an idle upstream connection is kept for reuse.
const POOL_IDLE: Duration = Duration::from_secs(90);

/// The client's settings, from the relay's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientSettings {
    /// Allow `http://` targets (development only); otherwise only https is called.
    pub allow_http: bool,
    /// Time to open the TCP connection.
    pub connect_timeout: Duration,
    /// Longest wait for the next piece of the answer.
    pub read_timeout: Duration,
    /// Time for the whole call, head and body.
    pub total_timeout: Duration,
    /// Idle connections kept per host (as many as calls may run at once).
    pub max_idle_per_host: usize,
}

/// The proxy's client (cheap to clone: the pool is shared).
#[derive(Clone)]
pub struct UpstreamClient {
    client: reqwest::Client,
}

/// The upstream's answer, read whole.
#[derive(Debug)]
pub struct UpstreamAnswer {
    /// The status.
    pub status: StatusCode,
    /// The headers (all of them: the caller filters).
    pub headers: HeaderMap,
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
    #[error("could not connect")]
    Connect(#[source] reqwest::Error),
    /// The request could not be sent or the answer's head was unreadable.
    #[error("the call failed")]
    Call(#[source] reqwest::Error),
    /// The body was cut off or unreadable.
    #[error("the answer was cut off")]
    Body(#[source] reqwest::Error),
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

    fn sending(err: reqwest::Error) -> Self {
        if err.is_timeout() {
            Self::Timeout
        } else if err.is_connect() {
            Self::Connect(err)
        } else {
            Self::Call(err)
        }
    }

    fn reading(err: reqwest::Error) -> Self {
        if err.is_timeout() {
            Self::Timeout
        } else {
            Self::Body(err)
        }
    }
}

impl Resolve for FilteringResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let this = self.clone();
        Box::pin(async move {
            let addrs = this.resolve_checked(name.as_str()).await?;
            // Port 0: the connector puts the URL's port in; it connects to exactly these.
            let addrs: Addrs = Box::new(addrs.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

impl UpstreamClient {
    /// A client resolving through `resolver`, with the platform's trust store.
    pub fn new(
        resolver: FilteringResolver,
        settings: ClientSettings,
    ) -> Result<Self, TlsSetupError> {
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(crate::tls::client_config()?)
            .dns_resolver(Arc::new(resolver))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .http1_only()
            .https_only(!settings.allow_http)
            .connect_timeout(settings.connect_timeout)
            .read_timeout(settings.read_timeout)
            .timeout(settings.total_timeout)
            .pool_idle_timeout(POOL_IDLE)
            .pool_max_idle_per_host(settings.max_idle_per_host)
            .tcp_nodelay(true)
            .build()
            .map_err(|err| TlsSetupError::Client(err.to_string()))?;
        Ok(Self { client })
    }

    /// Sends one request and reads the whole answer, up to `max_body` bytes.
    ///
    /// `headers` are sent as given (already filtered); `user-agent` and `accept` get defaults
    /// when absent.
    pub async fn call(
        &self,
        method: Method,
        url: url::Url,
        headers: Vec<(HeaderName, HeaderValue)>,
        body: Option<Bytes>,
        max_body: usize,
    ) -> Result<UpstreamAnswer, UpstreamError> {
        let mut sent = HeaderMap::with_capacity(headers.len() + 2);
        for (name, value) in headers {
            sent.append(name, value);
        }
        sent.entry(header::USER_AGENT)
            .or_insert(HeaderValue::from_static(USER_AGENT));
        sent.entry(header::ACCEPT)
            .or_insert(HeaderValue::from_static("*/*"));
        let mut request = self.client.request(method, url).headers(sent);
        if let Some(body) = body {
            request = request.body(body);
        }
        let mut response = request.send().await.map_err(UpstreamError::sending)?;
        if response
            .content_length()
            .is_some_and(|len| len > max_body as u64)
        {
            return Err(UpstreamError::TooLarge);
        }
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(UpstreamError::reading)? {
            if body.len() + chunk.len() > max_body {
                return Err(UpstreamError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(UpstreamAnswer {
            status,
            headers,
            body,
        })
    }
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
    async fn endpoint(answers_per_connection: usize) -> (url::Url, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/token", listener.local_addr().unwrap())
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
        (url, accepted)
    }

    async fn get(client: &UpstreamClient, url: &url::Url) -> Result<UpstreamAnswer, UpstreamError> {
        client
            .call(Method::GET, url.clone(), Vec::new(), None, 1024)
            .await
    }

    #[tokio::test]
    async fn connections_are_reused() {
        let (url, accepted) = endpoint(usize::MAX).await;
        let client = client();
        for _ in 0..3 {
            let answer = get(&client, &url).await.unwrap();
            assert_eq!(
                (answer.status, answer.body.as_slice()),
                (StatusCode::OK, &b"ok"[..])
            );
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_pooled_connection_the_server_closed_is_replaced() {
        let (url, accepted) = endpoint(1).await;
        let client = client();
        for _ in 0..3 {
            let answer = get(&client, &url).await.unwrap();
            assert_eq!(answer.body, b"ok");
            // Let the close arrive while the connection waits in the pool.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 3);
    }
}
