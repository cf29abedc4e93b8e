//! `POST /api/listen` (local mode only): listen once on a loopback redirect URI, for providers
//! whose registered redirect URI is `http://localhost:PORT/...` (RFC 8252 style).
//!
//! The port follows the rule users know:
//! - an explicit port (`http://localhost:8765/cb`) → that port;
//! - no port and no path (`http://localhost`) → a random free port, answered back so the user
//!   registers the resulting URI;
//! - no port and a path (`http://localhost/` or `http://localhost/cb`) → the scheme's default
//!   port, 80, or 443 with a self-signed certificate made at start.
//!
//! Only loopback hosts are listened on. The listener serves only the given path with the same
//! static callback page, keeps a callback whose `state` is the registered one for
//! `/api/pickup`, and stops after that callback (after a form_post, once the page it redirects
//! to is served) or when the registration expires.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;
use tokio::sync::watch;
use wire::{ListenRequest, Listening};

use crate::callback_query::parse_callback_query;
use crate::error::{ApiJson, AppError};
use crate::routes::callback::{CALLBACK_PAGE, form_post_redirect};
use crate::routes::pending::{register_error, validate_registration};
use crate::state::AppState;
use crate::store::Registration;

/// How long a listener keeps serving after a form_post callback, for the redirect it answered.
pub const FOLLOW_UP_GRACE: Duration = Duration::from_secs(10);

/// http or https.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenScheme {
    /// Plain HTTP.
    Http,
    /// HTTPS with the relay's self-signed certificate.
    Https,
}

/// Which port to listen on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortChoice {
    /// Written in the URI.
    Explicit(u16),
    /// No port and no path: any free port.
    Random,
    /// No port but a path: the scheme's default port.
    Default(u16),
}

/// What a redirect URI asks to listen on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenPlan {
    /// http or https.
    pub scheme: ListenScheme,
    /// The host as written (lower case), e.g. `localhost`, `127.0.0.1`, `[::1]`.
    pub host: String,
    /// Addresses to bind: the first must succeed, the others are best effort (`localhost`
    /// binds 127.0.0.1 and, if available, ::1 on the same port).
    pub bind: Vec<IpAddr>,
    /// The port rule that applies.
    pub port: PortChoice,
    /// The path to serve (percent-encoded, as the browser will request it).
    pub path: String,
    /// Everything after the authority, as written (path and query).
    pub rest: String,
}

impl ListenPlan {
    /// The redirect URI with `port` (the port actually bound).
    pub fn redirect_uri(&self, port: u16) -> String {
        let scheme = match self.scheme {
            ListenScheme::Http => "http",
            ListenScheme::Https => "https",
        };
        match self.port {
            PortChoice::Default(_) => format!("{scheme}://{}{}", self.host, self.rest),
            PortChoice::Explicit(_) | PortChoice::Random => {
                format!("{scheme}://{}:{port}{}", self.host, self.rest)
            }
        }
    }
}

fn invalid_uri(message: impl Into<String>) -> AppError {
    AppError::bad_request("invalid_redirect_uri", message)
}

/// Reads a redirect URI into a [`ListenPlan`], applying the port rule and the loopback rule.
pub fn plan_listener(uri: &str) -> Result<ListenPlan, AppError> {
    if uri.len() > 2048 || uri.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(invalid_uri(
            "The redirect URI must be at most 2048 characters without spaces or control characters.",
        ));
    }
    let (scheme_text, after) = uri
        .split_once("://")
        .ok_or_else(|| invalid_uri("The redirect URI must start with http:// or https://."))?;
    let scheme = match scheme_text.to_ascii_lowercase().as_str() {
        "http" => ListenScheme::Http,
        "https" => ListenScheme::Https,
        _ => {
            return Err(invalid_uri(
                "The redirect URI must start with http:// or https://.",
            ));
        }
    };
    let authority_end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let (authority, rest) = after.split_at(authority_end);
    if rest.contains('#') {
        return Err(invalid_uri("A redirect URI cannot contain a `#` fragment."));
    }
    if authority.contains('@') {
        return Err(invalid_uri(
            "The redirect URI must not contain a user name or password.",
        ));
    }
    let (host_text, port_text) = if let Some(inner) = authority.strip_prefix('[') {
        let close = inner
            .find(']')
            .ok_or_else(|| invalid_uri("The IPv6 address is missing its `]`."))?;
        let after_bracket = &inner[close + 1..];
        let port = match after_bracket.strip_prefix(':') {
            Some(port) => Some(port),
            None if after_bracket.is_empty() => None,
            None => return Err(invalid_uri("Unexpected text after the IPv6 address.")),
        };
        (&authority[..close + 2], port)
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let host = host_text.to_ascii_lowercase();
    let bind = loopback_addresses(&host).ok_or_else(|| {
        AppError::bad_request(
            "listen_host_refused",
            "The relay only listens on this computer's loopback addresses: use localhost, \
             127.0.0.1 (or another 127.x.x.x) or [::1] as the redirect URI's host.",
        )
    })?;
    let port = match port_text {
        Some(text) => match text.parse::<u16>() {
            Ok(port) if port != 0 && text.bytes().all(|b| b.is_ascii_digit()) => {
                PortChoice::Explicit(port)
            }
            _ => {
                return Err(invalid_uri(
                    "The redirect URI's port must be a number from 1 to 65535.",
                ));
            }
        },
        None if rest.starts_with('/') => PortChoice::Default(match scheme {
            ListenScheme::Http => 80,
            ListenScheme::Https => 443,
        }),
        None => PortChoice::Random,
    };
    let parsed = url::Url::parse(uri)
        .map_err(|err| invalid_uri(format!("The redirect URI is not valid: {err}.")))?;
    Ok(ListenPlan {
        scheme,
        host,
        bind,
        port,
        path: parsed.path().to_owned(),
        rest: rest.to_owned(),
    })
}

fn loopback_addresses(host: &str) -> Option<Vec<IpAddr>> {
    if host == "localhost" {
        return Some(vec![
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ]);
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        let v6: Ipv6Addr = inner.parse().ok()?;
        return (v6 == Ipv6Addr::LOCALHOST).then(|| vec![IpAddr::V6(v6)]);
    }
    let v4: Ipv4Addr = host.parse().ok()?;
    v4.is_loopback().then(|| vec![IpAddr::V4(v4)])
}

/// The answer for a failed bind, in words a user can act on.
pub fn bind_error(err: &std::io::Error, port: u16) -> AppError {
    match err.kind() {
        std::io::ErrorKind::AddrInUse => AppError::new(
            StatusCode::CONFLICT,
            "port_in_use",
            format!(
                "Port {port} is already in use by another program, so the relay cannot listen \
                 for the callback there. Stop that program, or choose another port in the \
                 redirect URI (and register that URI with the provider)."
            ),
        ),
        std::io::ErrorKind::PermissionDenied => AppError::new(
            StatusCode::FORBIDDEN,
            "port_needs_privileges",
            format!(
                "Listening on port {port} needs administrator rights (ports below 1024 are \
                 privileged). Use a redirect URI with a port above 1023, such as \
                 http://127.0.0.1:8765/callback, or start the relay with the rights to use \
                 port {port}."
            ),
        ),
        std::io::ErrorKind::AddrNotAvailable => AppError::new(
            StatusCode::BAD_REQUEST,
            "listen_address_unavailable",
            "That loopback address is not available on this computer; use 127.0.0.1.",
        ),
        _ => AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "listen_failed",
            format!("The relay could not listen on port {port}: {err}."),
        ),
    }
}

/// Binds the plan's addresses; returns the listeners and the port bound.
pub async fn bind_plan(plan: &ListenPlan) -> Result<(Vec<TcpListener>, u16), AppError> {
    let wanted = match plan.port {
        PortChoice::Explicit(port) | PortChoice::Default(port) => port,
        PortChoice::Random => 0,
    };
    let first = TcpListener::bind((plan.bind[0], wanted))
        .await
        .map_err(|e| bind_error(&e, wanted))?;
    let port = first
        .local_addr()
        .map_err(|e| bind_error(&e, wanted))?
        .port();
    let mut listeners = vec![first];
    for addr in &plan.bind[1..] {
        // Best effort: browsers may try ::1 for `localhost` first, then fall back to 127.0.0.1.
        if let Ok(extra) = TcpListener::bind((*addr, port)).await {
            listeners.push(extra);
        }
    }
    Ok((listeners, port))
}

/// Where a listener is in its short life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for the callback.
    Waiting,
    /// A form_post callback arrived; serve the page it redirects to, then stop.
    FollowUp,
    /// Done: stop accepting.
    Done,
}

#[derive(Clone)]
struct ListenerContext {
    relay: AppState,
    path: String,
    state: Arc<str>,
    phase: Arc<watch::Sender<Phase>>,
    port: u16,
}

impl ListenerContext {
    fn set_phase(&self, phase: Phase) {
        self.phase.send_replace(phase);
    }

    fn phase(&self) -> Phase {
        *self.phase.borrow()
    }

    /// Any loopback name for this port (a rebound DNS name is not one).
    fn host_ok(&self, headers: &HeaderMap) -> bool {
        let Some(host) = headers
            .get(axum::http::header::HOST)
            .and_then(|v| v.to_str().ok())
        else {
            return false;
        };
        let host = host.trim().to_ascii_lowercase();
        let (name, port) = match host
            .rsplit_once(':')
            .filter(|(name, _)| !name.ends_with(':'))
        {
            Some((name, port)) if !host.ends_with(']') => {
                (name.to_owned(), port.parse::<u16>().ok())
            }
            _ => (host.clone(), None),
        };
        let port_ok = match port {
            Some(port) => port == self.port,
            None => matches!(self.port, 80 | 443),
        };
        port_ok && loopback_addresses(&name).is_some()
    }

    /// Keeps the callback if its state is this listener's; returns whether it was kept.
    async fn deliver(&self, query: &str) -> bool {
        let Ok(callback) = parse_callback_query(query) else {
            return false;
        };
        let matches = callback
            .state
            .as_deref()
            .is_some_and(|s| bool::from(s.as_bytes().ct_eq(self.state.as_bytes())));
        matches
            && self
                .relay
                .store
                .deliver(&self.state, &callback.canonical)
                .await
    }
}

async fn listener_handler(
    State(ctx): State<ListenerContext>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if uri.path() != ctx.path || !ctx.host_ok(&headers) {
        return (StatusCode::NOT_FOUND, "Not found").into_response();
    }
    match method {
        Method::GET | Method::HEAD => {
            let query = uri.query().unwrap_or_default();
            if !query.is_empty() && ctx.phase() == Phase::Waiting && ctx.deliver(query).await {
                tracing::info!("local listener kept the callback for pickup");
                ctx.set_phase(Phase::Done);
            } else if query.is_empty() && ctx.phase() == Phase::FollowUp {
                ctx.set_phase(Phase::Done);
            }
            CALLBACK_PAGE.response()
        }
        Method::POST => match form_post_redirect(&headers, &body, &ctx.path) {
            Ok((callback, response)) => {
                if ctx.phase() == Phase::Waiting && ctx.deliver(&callback.canonical).await {
                    tracing::info!("local listener kept the form_post callback for pickup");
                    ctx.set_phase(Phase::FollowUp);
                }
                response
            }
            Err(err) => err.into_response(),
        },
        _ => StatusCode::METHOD_NOT_ALLOWED.into_response(),
    }
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    router: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    let service = TowerToHyperService::new(router);
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(10))
        .keep_alive(false);
    let served = async {
        match tls {
            Some(acceptor) => match acceptor.accept(stream).await {
                Ok(tls_stream) => {
                    builder
                        .serve_connection(TokioIo::new(tls_stream), service)
                        .await
                }
                // A browser refusing the self-signed certificate ends here; it retries after the
                // user accepts it.
                Err(_) => Ok(()),
            },
            None => {
                builder
                    .serve_connection(TokioIo::new(stream), service)
                    .await
            }
        }
    };
    if let Ok(Err(err)) = tokio::time::timeout(Duration::from_secs(30), served).await {
        tracing::debug!(error = %err, "local listener connection ended with an error");
    }
}

async fn accept_loop(
    listener: TcpListener,
    router: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(serve_connection(stream, router.clone(), tls.clone()));
                }
                Err(err) => {
                    tracing::warn!(error = %err, "local listener could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
    }
}

/// Runs a listener until its callback is handled, its time is up, or the relay shuts down.
fn spawn_listener(
    relay: AppState,
    plan: &ListenPlan,
    listeners: Vec<TcpListener>,
    port: u16,
    state: &str,
    slot: tokio::sync::OwnedSemaphorePermit,
) {
    let (phase_tx, mut phase_rx) = watch::channel(Phase::Waiting);
    let ctx = ListenerContext {
        relay: relay.clone(),
        path: plan.path.clone(),
        state: state.into(),
        phase: Arc::new(phase_tx),
        port,
    };
    let router = Router::new()
        .fallback(listener_handler)
        .layer(DefaultBodyLimit::max(
            crate::callback_query::MAX_QUERY_LEN * 2,
        ))
        .with_state(ctx);
    let tls = match plan.scheme {
        ListenScheme::Https => relay
            .listener_tls
            .clone()
            .map(tokio_rustls::TlsAcceptor::from),
        ListenScheme::Http => None,
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    for listener in listeners {
        tokio::spawn(accept_loop(
            listener,
            router.clone(),
            tls.clone(),
            stop_rx.clone(),
        ));
    }
    let lifetime = relay.store.limits().ttl;
    let mut shutdown = relay.shutdown.subscribe();
    tokio::spawn(async move {
        let _slot = slot;
        let expired = tokio::time::sleep(lifetime);
        tokio::pin!(expired);
        loop {
            let phase = *phase_rx.borrow_and_update();
            match phase {
                Phase::Done => break,
                Phase::FollowUp => {
                    tokio::select! {
                        () = tokio::time::sleep(FOLLOW_UP_GRACE) => break,
                        changed = phase_rx.changed() => if changed.is_err() { break },
                        _ = shutdown.changed() => break,
                    }
                }
                Phase::Waiting => {
                    tokio::select! {
                        () = &mut expired => break,
                        changed = phase_rx.changed() => if changed.is_err() { break },
                        _ = shutdown.changed() => break,
                    }
                }
            }
        }
        stop_tx.send_replace(true);
        tracing::info!(port, "local listener stopped");
    });
}

/// `POST /api/listen` → 200 `{"redirect_uri": ..., "expires_in": ...}`.
pub async fn listen(
    State(relay): State<AppState>,
    crate::access::ClientIp(ip): crate::access::ClientIp,
    ApiJson(request): ApiJson<ListenRequest>,
) -> Result<Json<Listening>, AppError> {
    if !relay.is_local() {
        return Err(AppError::forbidden(
            "listener_unavailable",
            "This relay runs in public mode, so it cannot listen on your computer. Use the \
             relay's /callback as the redirect URI, or run the relay locally.",
        ));
    }
    validate_registration(&request.state, &request.pickup_secret)?;
    let plan = plan_listener(&request.redirect_uri)?;
    if plan.scheme == ListenScheme::Https && relay.listener_tls.is_none() {
        return Err(AppError::internal());
    }
    let slot = relay.listener_slots.clone().try_acquire_owned().map_err(|_| {
        AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "too_many_listeners",
            "The relay is already listening for several callbacks; finish or wait for those first.",
        )
    })?;
    relay
        .store
        .register(Registration {
            state: &request.state,
            secret: &request.pickup_secret,
            owner: ip,
            key: None,
        })
        .await
        .map_err(register_error)?;
    let (listeners, port) = match bind_plan(&plan).await {
        Ok(bound) => bound,
        Err(err) => {
            relay
                .store
                .cancel(&request.state, &request.pickup_secret)
                .await;
            return Err(err);
        }
    };
    tracing::info!(port, "local listener started");
    spawn_listener(relay.clone(), &plan, listeners, port, &request.state, slot);
    Ok(Json(Listening {
        redirect_uri: plan.redirect_uri(port),
        expires_in: relay.store.limits().ttl.as_secs(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_rules() {
        let explicit = plan_listener("http://localhost:8765/cb").unwrap();
        assert_eq!(explicit.port, PortChoice::Explicit(8765));
        assert_eq!(explicit.path, "/cb");
        assert_eq!(explicit.redirect_uri(8765), "http://localhost:8765/cb");

        let random = plan_listener("http://localhost").unwrap();
        assert_eq!(random.port, PortChoice::Random);
        assert_eq!(random.path, "/");
        assert_eq!(random.redirect_uri(54321), "http://localhost:54321");

        assert_eq!(
            plan_listener("http://127.0.0.1/").unwrap().port,
            PortChoice::Default(80)
        );
        assert_eq!(
            plan_listener("http://127.0.0.1/cb?x=1").unwrap().port,
            PortChoice::Default(80)
        );
        let https = plan_listener("https://localhost/").unwrap();
        assert_eq!(https.port, PortChoice::Default(443));
        assert_eq!(https.redirect_uri(443), "https://localhost/");
        assert_eq!(
            plan_listener("http://localhost:80/").unwrap().port,
            PortChoice::Explicit(80)
        );
    }

    #[test]
    fn hosts_must_be_loopback() {
        assert_eq!(
            plan_listener("http://[::1]:9000/cb").unwrap().bind,
            vec![IpAddr::V6(Ipv6Addr::LOCALHOST)]
        );
        assert_eq!(
            plan_listener("http://127.0.0.2:9000/").unwrap().bind,
            vec![IpAddr::from([127, 0, 0, 2])]
        );
        for uri in [
            "http://0.0.0.0:9000/",
            "http://192.168.1.10:9000/",
            "http://example.com:9000/",
            "http://[::]:9000/",
            "http://localhost.evil.com:9000/",
            "http://2130706433:9000/",
        ] {
            assert_eq!(
                plan_listener(uri).unwrap_err().code,
                "listen_host_refused",
                "{uri}"
            );
        }
    }

    #[test]
    fn malformed_uris_are_refused() {
        for uri in [
            "ftp://localhost:21/",
            "localhost:8765",
            "http://localhost:0/",
            "http://localhost:99999/",
            "http://localhost:8765/#x",
            "http://a@localhost:8765/",
            "http://localhost:/",
            "http://localhost:8765/ x",
        ] {
            assert_eq!(
                plan_listener(uri).unwrap_err().code,
                "invalid_redirect_uri",
                "{uri}"
            );
        }
    }

    #[test]
    fn bind_errors_are_explained() {
        let in_use = bind_error(&std::io::Error::from(std::io::ErrorKind::AddrInUse), 8765);
        assert_eq!(
            (in_use.status, in_use.code),
            (StatusCode::CONFLICT, "port_in_use")
        );
        assert!(in_use.message.contains("8765"));
        let privileged = bind_error(
            &std::io::Error::from(std::io::ErrorKind::PermissionDenied),
            80,
        );
        assert_eq!(
            (privileged.status, privileged.code),
            (StatusCode::FORBIDDEN, "port_needs_privileges")
        );
        assert!(
            privileged
                .message
                .contains("port 80 needs administrator rights")
        );
    }
}
