//! Who may use the relay: the Host check (local mode, against DNS rebinding), the Origin check
//! and JSON requirement on `/api/*`, and per-address rate limits.
//!
//! Origin rules for `/api/*`:
//! - a request that carries `Origin` must come from the relay's own origin (the `Origin`'s
//!   `host:port` equals the `Host` header) or from an `--allowed-origin`; `Origin: null` and
//!   foreign origins get 403 `origin_refused`;
//! - a POST without `Origin` is accepted only with `Sec-Fetch-Site: same-origin`, else 403
//!   `origin_required` (browsers always send one of the two; scripts must send an `Origin`);
//! - GETs without `Origin` (`/api/config` from curl or a health check) are fine.
//!
//! `/callback` has no Origin check: a form_post callback is a legitimate cross-site POST.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};

use crate::error::{AppError, is_json_content_type, unsupported_media_type};
use crate::state::{AppState, normalize_origin};

/// The client's address as the relay counts it (peer address, or the trusted proxy header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<ClientIp>()
            .copied()
            .unwrap_or_else(|| {
                ClientIp(peer_ip(&parts.extensions).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)))
            }))
    }
}

fn peer_ip(extensions: &axum::http::Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip())
}

/// The address to count a request against: the peer's, or the trusted proxy header's, with an
/// IPv6 address cut to `--ipv6-prefix-len` bits.
pub fn client_ip(
    state: &AppState,
    headers: &HeaderMap,
    extensions: &axum::http::Extensions,
) -> IpAddr {
    let from_header = state.client_ip_header.as_ref().and_then(|name| {
        headers
            .get(name)?
            .to_str()
            .ok()?
            .split(',')
            .next()?
            .trim()
            .parse::<IpAddr>()
            .ok()
    });
    let ip = from_header
        .or_else(|| peer_ip(extensions))
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    crate::serve::client_key(ip, state.ipv6_prefix)
}

/// Local mode: the `Host` header must name the relay itself (or an allowed dev server), so a
/// rebound DNS name cannot make a web page same-origin with the relay.
pub fn check_host(state: &AppState, request: &mut Request) -> Result<(), AppError> {
    if state.is_local() && !host_is_own(state, request.headers(), request.uri()) {
        return Err(AppError::forbidden(
            "host_refused",
            "This relay only answers requests addressed to 127.0.0.1, localhost or [::1] on its \
             own port.",
        ));
    }
    Ok(())
}

fn host_is_own(state: &AppState, headers: &HeaderMap, uri: &axum::http::Uri) -> bool {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| uri.authority().map(|a| a.as_str()));
    host.is_some_and(|host| {
        let host = host.trim().to_ascii_lowercase();
        state.own_hosts.contains(&host)
    })
}

/// True if `origin` may call the API: normalized, it is a configured one or names the `Host`
/// (the relay's own origin).
pub fn origin_allowed(state: &AppState, origin: &str, headers: &HeaderMap) -> bool {
    let Some(origin) = normalize_origin(origin) else {
        return false;
    };
    if state.allowed_origins.contains(&origin) {
        return true;
    }
    // Same origin: the page's origin names the host the request was sent to.
    let Some(authority) = crate::state::origin_authority(&origin) else {
        return false;
    };
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let host = host.trim().to_ascii_lowercase();
    let default_port = if origin.starts_with("https:") {
        ":443"
    } else {
        ":80"
    };
    host == authority || host.strip_suffix(default_port) == Some(authority.as_str())
}

/// `/api/*`: Origin allowlist, and JSON bodies on POST.
pub fn check_api(state: &AppState, request: &mut Request) -> Result<(), AppError> {
    let headers = request.headers();
    if let Some(origin) = headers.get(header::ORIGIN) {
        let allowed = origin
            .to_str()
            .is_ok_and(|o| origin_allowed(state, o, headers));
        if !allowed {
            return Err(AppError::forbidden(
                "origin_refused",
                "This relay does not accept API calls from that web page's origin. The operator \
                 can allow it with --allowed-origin.",
            ));
        }
    } else if request.method() == Method::POST {
        let same_origin = headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("same-origin"));
        if !same_origin {
            return Err(AppError::forbidden(
                "origin_required",
                "API calls must carry an Origin header (browsers add it; scripts must send the \
                 relay's own origin, e.g. `Origin: http://127.0.0.1:8787`).",
            ));
        }
    }
    if request.method() == Method::POST
        && !is_json_content_type(request.headers().get(header::CONTENT_TYPE))
    {
        return Err(unsupported_media_type());
    }
    Ok(())
}

/// Every route: per-address rate limit. Also records the [`ClientIp`] for handlers.
pub fn check_rate(state: &AppState, request: &mut Request) -> Result<(), AppError> {
    let ip = client_ip(state, request.headers(), request.extensions());
    request.extensions_mut().insert(ClientIp(ip));
    if let Err(not_until) = state.limiter.check_key(&ip) {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        return Err(AppError::rate_limited(wait.as_secs() + 1));
    }
    Ok(())
}

/// `/api/proxy`: the stricter per-address limit.
pub fn check_proxy_rate(state: &AppState, request: &mut Request) -> Result<(), AppError> {
    let ip = request.extensions().get::<ClientIp>().map_or_else(
        || client_ip(state, request.headers(), request.extensions()),
        |c| c.0,
    );
    if let Err(not_until) = state.proxy_limiter.check_key(&ip) {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        return Err(AppError::rate_limited(wait.as_secs() + 1));
    }
    Ok(())
}

/// Runs `check`: its `Err` is the answer, given at once.
async fn run_check(
    state: &AppState,
    mut request: Request,
    next: Next,
    check: fn(&AppState, &mut Request) -> Result<(), AppError>,
) -> Response {
    match check(state, &mut request) {
        Ok(()) => next.run(request).await,
        Err(refusal) => refusal.into_response(),
    }
}

/// Middleware: [`check_host`].
pub async fn guard_host(State(state): State<AppState>, request: Request, next: Next) -> Response {
    run_check(&state, request, next, check_host).await
}

/// Middleware: [`check_api`].
pub async fn guard_api(State(state): State<AppState>, request: Request, next: Next) -> Response {
    run_check(&state, request, next, check_api).await
}

/// Middleware: [`check_rate`].
pub async fn rate_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    run_check(&state, request, next, check_rate).await
}

/// Middleware: [`check_proxy_rate`].
pub async fn proxy_rate_limit(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    run_check(&state, request, next, check_proxy_rate).await
}
