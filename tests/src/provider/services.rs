//! Token endpoints that refuse in the words of real services: the same strict checks as
//! `POST /token`, with each refusal written as Microsoft's or Google's token endpoint writes it,
//! so the wizard's error explainer meets the answers users meet.
//!
//! | path | what it does |
//! | --- | --- |
//! | `POST /ms/token` | Microsoft identity platform: a wrong secret is `AADSTS7000215`, a redirect URI other than the authorization's `AADSTS50011`, a used code `AADSTS54005`, each with `error_codes` |
//! | `POST /google/token` | Google: a wrong secret is `invalid_client` / `Unauthorized`, a redirect URI mismatch `redirect_uri_mismatch` / `Bad Request`, a used code `invalid_grant` / `Bad Request` |

use super::*;

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/ms/token", post(microsoft))
        .route("/google/token", post(google))
}

impl Provider {
    /// The Microsoft-worded token endpoint (`POST /ms/token`).
    pub fn microsoft_token_url(&self) -> String {
        self.url("/ms/token")
    }

    /// The Google-worded token endpoint (`POST /google/token`).
    pub fn google_token_url(&self) -> String {
        self.url("/google/token")
    }
}

/// Which of the mock's refusals an error is, from the checks in `token_grant`.
enum Refusal {
    WrongClient,
    RedirectMismatch,
    UsedCode,
    Other,
}

fn refusal(error: &OAuthError) -> Refusal {
    match error.code {
        "invalid_client" => Refusal::WrongClient,
        "invalid_grant" if error.description.contains("redirect_uri") => Refusal::RedirectMismatch,
        "invalid_grant" if error.description.contains("already used") => Refusal::UsedCode,
        _ => Refusal::Other,
    }
}

fn answer(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

fn microsoft_error(error: &OAuthError) -> Response {
    let (status, code, number, text) = match refusal(error) {
        Refusal::WrongClient => (
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7_000_215,
            "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app 'e2e-client'.".to_owned(),
        ),
        Refusal::RedirectMismatch => (
            StatusCode::BAD_REQUEST,
            "invalid_request",
            50_011,
            "AADSTS50011: The redirect URI specified in the request does not match the redirect URIs configured for the application 'e2e-client'.".to_owned(),
        ),
        Refusal::UsedCode => (
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            54_005,
            "AADSTS54005: OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.".to_owned(),
        ),
        Refusal::Other => (error.status, error.code, 90_000, format!("AADSTS90000: {}", error.description)),
    };
    answer(
        status,
        &json!({"error": code, "error_description": text, "error_codes": [number], "trace_id": "00000000-0000-0000-0000-000000000000"}),
    )
}

fn google_error(error: &OAuthError) -> Response {
    let (status, code, text) = match refusal(error) {
        Refusal::WrongClient => (StatusCode::UNAUTHORIZED, "invalid_client", "Unauthorized"),
        Refusal::RedirectMismatch => (
            StatusCode::BAD_REQUEST,
            "redirect_uri_mismatch",
            "Bad Request",
        ),
        Refusal::UsedCode => (StatusCode::BAD_REQUEST, "invalid_grant", "Bad Request"),
        Refusal::Other => (error.status, error.code, error.description.as_str()),
    };
    answer(status, &json!({"error": code, "error_description": text}))
}

fn worded(
    shared: &Shared,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
    refuse: fn(&OAuthError) -> Response,
) -> Response {
    let incoming = match Incoming::parse(None, headers, body) {
        Ok(incoming) => incoming,
        Err(error) => return refuse(&error),
    };
    let mut inner = shared.lock();
    // A client assertion's audience is the endpoint it was sent to.
    let audience = format!("{}{path}", shared.base_url);
    let response = match token_grant(&mut inner, &incoming, &audience) {
        Ok(issued) => success_response(&issued, Encoding::Json),
        Err(error) => refuse(&error),
    };
    let record = incoming.record(&Method::POST, path, response.status());
    inner.requests.push(record);
    response
}

async fn microsoft(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    worded(&shared, "/ms/token", &headers, &body, microsoft_error)
}

async fn google(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    worded(&shared, "/google/token", &headers, &body, google_error)
}
