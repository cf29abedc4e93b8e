//! Userinfo (OpenID), revocation (RFC 7009) and introspection (RFC 7662) at the mock provider:
//! `GET /userinfo` with a live access token answers who signed in; `POST /revoke` and
//! `POST /introspect` authenticate the client as the token endpoint does, then revoke the token
//! (200 even for an unknown one) or say whether it is active.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{Encoding, Incoming, Shared, client, error_response, first};

fn json_answer(status: StatusCode, body: serde_json::Value) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body.to_string(),
    )
        .into_response()
}

/// `GET /userinfo`.
pub(super) async fn userinfo(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned();
    let mut inner = shared.lock();
    let live = inner
        .access_tokens
        .get(&token)
        .is_some_and(|grant| grant.expires_at > Instant::now());
    let mut response = if live {
        json_answer(
            StatusCode::OK,
            json!({"sub": "alice", "name": "Alice Liddell"}),
        )
    } else {
        json_answer(
            StatusCode::UNAUTHORIZED,
            json!({"error": "invalid_token", "error_description": "The access token is invalid, expired or revoked."}),
        )
    };
    if !live {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
    }
    let incoming = Incoming {
        query: Vec::new(),
        body: Vec::new(),
        basic: None,
        content_type: None,
    };
    let record = incoming.record(&Method::GET, "/userinfo", response.status());
    inner.requests.push(record);
    response
}

/// `POST /revoke`.
pub(super) async fn revoke(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    answer(
        &shared,
        "/revoke",
        &headers,
        &body,
        |inner, token, _client| {
            inner.access_tokens.remove(token);
            inner.refresh_tokens.remove(token);
            (StatusCode::OK, json!({}))
        },
    )
}

/// `POST /introspect`.
pub(super) async fn introspect(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    answer(
        &shared,
        "/introspect",
        &headers,
        &body,
        |inner, token, _client| {
            let now = Instant::now();
            let body = match inner.access_tokens.get(token) {
                Some(grant) if grant.expires_at > now => json!({
                    "active": true,
                    "client_id": grant.client_id,
                    "token_type": "Bearer",
                    "exp_in": (grant.expires_at - now).as_secs(),
                }),
                _ if inner.refresh_tokens.contains_key(token) => json!({
                    "active": true, "token_type": "refresh_token",
                }),
                _ => json!({"active": false}),
            };
            (StatusCode::OK, body)
        },
    )
}

fn answer(
    shared: &Shared,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
    act: impl FnOnce(&mut super::Inner, &str, &str) -> (StatusCode, serde_json::Value),
) -> Response {
    let incoming = match Incoming::parse(None, headers, body) {
        Ok(incoming) => incoming,
        Err(error) => return error_response(&error, Encoding::Json),
    };
    let mut inner = shared.lock();
    let audience = format!("{}{path}", shared.base_url);
    let response = match client(&mut inner, &incoming, &audience) {
        Err(error) => error_response(&error, Encoding::Json),
        Ok(client_id) => match first(&incoming.body, "token") {
            None => error_response(
                &super::OAuthError::invalid_request("token is missing"),
                Encoding::Json,
            ),
            Some(token) => {
                let token = token.to_owned();
                let (status, body) = act(&mut inner, &token, &client_id);
                json_answer(status, body)
            }
        },
    };
    let record = incoming.record(&Method::POST, path, response.status());
    inner.requests.push(record);
    response
}
