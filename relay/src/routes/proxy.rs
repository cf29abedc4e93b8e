//! `POST /api/proxy`: calls a token endpoint for the browser (which CORS stops from calling it)
//! and answers with a JSON envelope, never with the upstream's bytes as a document.
//!
//! Layers, in order: concurrency cap, method, target URL rules ([`crate::target`]), header
//! allowlist ([`crate::headers`]), the filtering resolver at connect time
//! ([`crate::resolver`]), no redirects, no system proxy, timeouts, and a cap on the body read.
//! Nothing of the request or response (URL path/query, headers, bodies) is logged.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use wire::{ProxyRequest, ProxyResponse};

use crate::error::{ApiJson, AppError};
use crate::headers::filter_response;
use crate::resolver::find_refusal;
use crate::state::AppState;
use crate::target::validate_target;
use crate::upstream::UpstreamError;

/// Largest request envelope accepted, in bytes.
pub const MAX_ENVELOPE: usize = 64 * 1024;
/// Largest upstream body read; beyond it the call fails with `upstream_too_large`.
pub const MAX_UPSTREAM_BODY: usize = 1024 * 1024;

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
pub async fn proxy(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<ProxyRequest>,
) -> Result<([(header::HeaderName, HeaderValue); 1], Json<ProxyResponse>), AppError> {
    let _slot = state
        .proxy_slots
        .clone()
        .try_acquire_owned()
        .map_err(|_| busy())?;

    let method = match request.method.as_str() {
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
    let url = validate_target(&request.url, &state.target_policy).map_err(|err| {
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
    // A checked URL the HTTP layer cannot carry is refused rather than altered.
    let host = Uri::try_from(url.as_str())
        .map_err(|_| {
            AppError::bad_request(
                "target_invalid",
                "Not calling the target: the URL cannot be sent as an HTTP request target.",
            )
        })?
        .host()
        .unwrap_or_default()
        .to_owned();
    let body = request.body.map(Bytes::from);
    let answer = state
        .client
        .call(method, url, headers, body, MAX_UPSTREAM_BODY)
        .await
        .map_err(|err| upstream_error(&err, &host, state.upstream_timeout.as_secs()))?;
    // The access log already has the request's line; this detail is for debugging only.
    tracing::debug!(
        target_host = host,
        upstream_status = answer.status.as_u16(),
        "proxied"
    );
    let body = match String::from_utf8(answer.body) {
        Ok(text) => text,
        Err(invalid) => String::from_utf8_lossy(invalid.as_bytes()).into_owned(),
    };
    Ok((
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(ProxyResponse {
            status: answer.status.as_u16(),
            headers: filter_response(&answer.headers),
            body,
        }),
    ))
}
