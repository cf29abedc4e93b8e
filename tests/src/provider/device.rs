//! The device authorization grant at the mock provider (RFC 8628): `POST /device_authorization`
//! hands out a device code and a user code, `GET /device` is the verification page where the
//! "user" allows or denies (`GET /device/decide?user_code=…&decision=allow|deny`), and the token
//! endpoint answers the device grant with `authorization_pending`, `slow_down` (when polled
//! faster than the interval, or the first [`super::ProviderConfig::device_slow_downs`] polls),
//! `access_denied` or `expired_token`, then the tokens, once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use super::{
    Encoding, Inner, Issued, OAuthError, Shared, error_response, first, html_escape, pairs,
    random_token, requested_scope,
};

/// One device authorization in progress.
pub(super) struct DeviceGrant {
    client_id: String,
    user_code: String,
    scope: String,
    expires_at: Instant,
    interval: Duration,
    last_poll: Option<Instant>,
    slow_downs_left: u32,
    decision: Option<bool>,
}

/// `POST /device_authorization` (RFC 8628 §3.1–3.2).
pub(super) async fn device_authorization(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let incoming = match super::Incoming::parse(None, &headers, &body) {
        Ok(incoming) => incoming,
        Err(error) => return error_response(&error, Encoding::Json),
    };
    let mut inner = shared.lock();
    let result = start(&mut inner, &incoming, &shared.base_url);
    let response = match result {
        Ok(body) => (StatusCode::OK, axum::Json(body)).into_response(),
        Err(error) => error_response(&error, Encoding::Json),
    };
    let record = incoming.record(&Method::POST, "/device_authorization", response.status());
    inner.requests.push(record);
    response
}

fn start(
    inner: &mut Inner,
    incoming: &super::Incoming,
    base_url: &str,
) -> Result<serde_json::Value, OAuthError> {
    // RFC 8628 §3.1: a public client names itself, a confidential one authenticates as it does
    // at the token endpoint, by the same checks. A client assertion's audience is the token
    // endpoint (RFC 7523 §3), not this URL.
    let audience = format!("{base_url}/token");
    let client_id = super::client(inner, incoming, &audience)?;
    let client_id = client_id.as_str();
    let config = &inner.config;
    let device_code = random_token("mock-dc");
    let user_code = format!("{:04}-{:04}", inner.devices.len() + 1000, 4321);
    let verification_uri = format!("{base_url}/device");
    let grant = DeviceGrant {
        client_id: client_id.to_owned(),
        user_code: user_code.clone(),
        scope: requested_scope(config, &incoming.body),
        expires_at: Instant::now() + Duration::from_secs(config.device_expires_in),
        interval: Duration::from_secs(config.device_interval),
        last_poll: None,
        slow_downs_left: config.device_slow_downs,
        decision: None,
    };
    let answer = json!({
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": verification_uri,
        "verification_uri_complete": format!("{verification_uri}?user_code={user_code}"),
        "expires_in": config.device_expires_in,
        "interval": config.device_interval,
    });
    inner.devices.insert(device_code, grant);
    Ok(answer)
}

/// `GET /device`: the verification page, with Allow and Deny links.
pub(super) async fn verification_page(RawQuery(query): RawQuery) -> Response {
    let query = pairs(query.unwrap_or_default().as_bytes());
    let code = html_escape(first(&query, "user_code").unwrap_or_default());
    Html(format!(
        "<!doctype html><title>Mock device verification</title><h1>Enter the code</h1>\
         <p data-testid=\"device-code-seen\">{code}</p>\
         <a href=\"/device/decide?user_code={code}&amp;decision=allow\">Allow</a> \
         <a href=\"/device/decide?user_code={code}&amp;decision=deny\">Deny</a>"
    ))
    .into_response()
}

/// `GET /device/decide?user_code=…&decision=allow|deny`: what the user chose.
pub(super) async fn decide(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
) -> Response {
    let query = pairs(query.unwrap_or_default().as_bytes());
    let code = first(&query, "user_code").unwrap_or_default();
    let allow = first(&query, "decision") == Some("allow");
    let mut inner = shared.lock();
    let Some(grant) = inner
        .devices
        .values_mut()
        .find(|grant| grant.user_code == code)
    else {
        return (StatusCode::NOT_FOUND, Html("No such code.".to_owned())).into_response();
    };
    grant.decision = Some(allow);
    Html(
        if allow {
            "Allowed. Go back to your device."
        } else {
            "Denied."
        }
        .to_owned(),
    )
    .into_response()
}

/// The token endpoint's answer to `grant_type=urn:ietf:params:oauth:grant-type:device_code`.
pub(super) fn device_grant(
    inner: &mut Inner,
    client_id: &str,
    params: &[(String, String)],
) -> Result<Issued, OAuthError> {
    let code = first(params, "device_code")
        .ok_or_else(|| OAuthError::invalid_request("device_code is missing"))?
        .to_owned();
    let grant = inner
        .devices
        .get_mut(&code)
        .filter(|grant| grant.client_id == client_id)
        .ok_or_else(|| {
            OAuthError::invalid_grant("The device code is unknown or was already used.")
        })?;
    let now = Instant::now();
    if now >= grant.expires_at {
        inner.devices.remove(&code);
        return Err(pending("expired_token", "The device code expired."));
    }
    let too_soon = grant
        .last_poll
        .is_some_and(|last| now.duration_since(last) < grant.interval);
    grant.last_poll = Some(now);
    if too_soon || grant.slow_downs_left > 0 {
        grant.slow_downs_left = grant.slow_downs_left.saturating_sub(1);
        // RFC 8628 §3.5: the client must add 5 seconds to its interval from now on.
        grant.interval += Duration::from_secs(5);
        return Err(pending(
            "slow_down",
            "Polling too fast: wait 5 seconds more.",
        ));
    }
    match grant.decision {
        None => Err(pending(
            "authorization_pending",
            "The user has not entered the code yet.",
        )),
        Some(false) => {
            inner.devices.remove(&code);
            Err(pending(
                "access_denied",
                "The user denied the authorization.",
            ))
        }
        Some(true) => {
            let scope = grant.scope.clone();
            let client_id = grant.client_id.clone();
            inner.devices.remove(&code);
            let expires_in = inner.config.expires_in;
            Ok(inner.issue(
                super::DEVICE_GRANT,
                &client_id,
                &scope,
                expires_in,
                true,
                None,
            ))
        }
    }
}

fn pending(code: &'static str, description: &str) -> OAuthError {
    OAuthError::new(StatusCode::BAD_REQUEST, code, description)
}
