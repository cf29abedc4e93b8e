//! A second issuer, `{base}/cors`, whose token endpoint allows calls from web pages (CORS), so
//! the wizard's self-test can meet both answers: this one allows any origin, the main `/token`
//! allows none.
//!
//! | path | what it does |
//! | --- | --- |
//! | `GET /cors/.well-known/openid-configuration` | metadata of the issuer `{base}/cors`: the main `/authorize`, the token endpoint below, PKCE S256, `client_secret_post` only |
//! | `OPTIONS /cors/token` | a CORS preflight: allows the asking origin, `POST`, and the `content-type` and `authorization` headers |
//! | `POST /cors/token` | refuses every request (`invalid_request`, no grant is run) with the CORS headers, so a page can read the refusal |

use super::*;
use axum::routing::options;

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/cors/.well-known/openid-configuration", get(metadata))
        .route("/cors/token", options(preflight).post(refuse))
}

impl Provider {
    /// The issuer whose token endpoint allows CORS.
    pub fn cors_issuer(&self) -> String {
        self.url("/cors")
    }
}

async fn metadata(State(shared): State<Arc<Shared>>) -> Response {
    let base = &shared.base_url;
    let body = json!({
        "issuer": format!("{base}/cors"),
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/cors/token"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post"],
    });
    record(
        &shared,
        "GET",
        "/cors/.well-known/openid-configuration",
        None,
        200,
    );
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            ),
        ],
        body.to_string(),
    )
        .into_response()
}

/// The CORS headers for the page at `Origin` (none when the request names no origin).
fn allow(headers: &HeaderMap) -> Vec<(header::HeaderName, HeaderValue)> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Vec::new();
    };
    vec![
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone()),
        (header::VARY, HeaderValue::from_static("Origin")),
        (
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("POST"),
        ),
        (
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("content-type, authorization"),
        ),
    ]
}

fn with_headers(
    status: StatusCode,
    headers: Vec<(header::HeaderName, HeaderValue)>,
    body: String,
) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().extend(headers);
    response
}

async fn preflight(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    record(&shared, "OPTIONS", "/cors/token", None, 204);
    with_headers(StatusCode::NO_CONTENT, allow(&headers), String::new())
}

async fn refuse(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    record(&shared, "POST", "/cors/token", content_type, 400);
    let mut answer = allow(&headers);
    answer.push((
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    ));
    let description = if body.is_empty() {
        "The request has no grant_type."
    } else {
        "This endpoint only answers CORS probes."
    };
    with_headers(
        StatusCode::BAD_REQUEST,
        answer,
        json!({"error": "invalid_request", "error_description": description}).to_string(),
    )
}

fn record(shared: &Shared, method: &str, path: &str, content_type: Option<String>, status: u16) {
    shared.lock().requests.push(Recorded {
        method: method.to_owned(),
        path: path.to_owned(),
        query: Vec::new(),
        body: Vec::new(),
        basic_client_id: None,
        content_type,
        status,
    });
}
