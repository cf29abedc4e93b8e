//! Instagram-shaped routes (Business Login): the code exchange answers in the documented wrapped
//! shape `{"data": [{"access_token", "user_id", "permissions"}]}` with a one-hour token and no
//! refresh token; `ig_exchange_token` turns that token into a 60-day one; `ig_refresh_token`
//! renews only a 60-day token, as Instagram does, so a wizard that refreshes the short token fails.
//!
//! | path | what it does |
//! | --- | --- |
//! | `POST /ig/oauth/access_token` | the code exchange: `client_id` and `client_secret` in the form body, the code checked as on `/token` (single use, `redirect_uri`, PKCE) |
//! | `GET /ig/access_token` | `grant_type=ig_exchange_token&client_secret=…&access_token=<short-lived token>` |
//! | `GET /ig/refresh_access_token` | `grant_type=ig_refresh_token&access_token=<long-lived token>` |

use super::*;

/// What Instagram's long-lived tokens live: 60 days.
pub const LONG_LIVED_EXPIRES_IN: u64 = 60 * 24 * 3600;

const SHORT_GRANT: &str = "authorization_code";
const EXCHANGE_GRANT: &str = "ig_exchange_token";
const REFRESH_GRANT: &str = "ig_refresh_token";

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/ig/oauth/access_token", post(code_exchange))
        .route("/ig/access_token", get(long_lived_exchange))
        .route("/ig/refresh_access_token", get(refresh))
}

impl Provider {
    /// The Instagram-shaped code exchange (`POST /ig/oauth/access_token`).
    pub fn instagram_token_url(&self) -> String {
        self.url("/ig/oauth/access_token")
    }

    /// Where `ig_exchange_token` goes (`GET /ig/access_token`).
    pub fn instagram_exchange_url(&self) -> String {
        self.url("/ig/access_token")
    }

    /// Where `ig_refresh_token` goes (`GET /ig/refresh_access_token`).
    pub fn instagram_refresh_url(&self) -> String {
        self.url("/ig/refresh_access_token")
    }
}

/// Instagram's error shape for the Graph endpoints.
fn graph_error(status: StatusCode, message: &str) -> Response {
    let body = json!({"error": {"message": message, "type": "OAuthException", "code": 190}});
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn json_answer(body: &Value) -> Response {
    let mut response = (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body.to_string(),
    )
        .into_response();
    response.headers_mut().extend(no_store_headers());
    response
}

async fn code_exchange(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let incoming = match Incoming::parse(None, &headers, &body) {
        Ok(incoming) => incoming,
        Err(error) => return error_response(&error, Encoding::Json),
    };
    let mut inner = shared.lock();
    let answer = (|| {
        let config = &inner.config;
        if first(&incoming.body, "client_id") != Some(config.client_id.as_str())
            || first(&incoming.body, "client_secret") != Some(config.client_secret.as_str())
        {
            return Err(OAuthError::invalid_client("Invalid platform app"));
        }
        if first(&incoming.body, "grant_type") != Some("authorization_code") {
            return Err(OAuthError::invalid_request(
                "grant_type must be authorization_code",
            ));
        }
        let client_id = config.client_id.clone();
        redeem_code(&mut inner, &client_id, &incoming.body, false)
    })();
    let response = match answer {
        Ok(issued) => {
            // Instagram's code exchange gives a one-hour token.
            if let Some(grant) = inner.access_tokens.get_mut(&issued.access_token) {
                grant.expires_at = Instant::now() + Duration::from_secs(3600);
            }
            json_answer(&json!({"data": [{
                "access_token": issued.access_token,
                "user_id": "17841400000000000",
                "permissions": "instagram_business_basic",
            }]}))
        }
        Err(error) => error_response(&error, Encoding::Json),
    };
    let record = incoming.record(&Method::POST, "/ig/oauth/access_token", response.status());
    inner.requests.push(record);
    response
}

/// The grant type a live access token was issued by, if it is live.
fn live_token_grant(inner: &Inner, token: &str) -> Option<String> {
    let live = inner
        .access_tokens
        .get(token)
        .is_some_and(|grant| grant.expires_at > Instant::now());
    live.then(|| {
        inner
            .issued
            .iter()
            .find(|issued| issued.access_token == token)
            .map(|issued| issued.grant_type.clone())
    })?
}

async fn long_lived_exchange(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
) -> Response {
    let query = pairs(query.unwrap_or_default().as_bytes());
    let mut inner = shared.lock();
    let response = (|| {
        if first(&query, "grant_type") != Some(EXCHANGE_GRANT) {
            return graph_error(
                StatusCode::BAD_REQUEST,
                "grant_type must be ig_exchange_token",
            );
        }
        if first(&query, "client_secret") != Some(inner.config.client_secret.as_str()) {
            return graph_error(StatusCode::BAD_REQUEST, "Error validating client secret.");
        }
        let token = first(&query, "access_token").unwrap_or_default();
        if live_token_grant(&inner, token).as_deref() != Some(SHORT_GRANT) {
            return graph_error(
                StatusCode::BAD_REQUEST,
                "Invalid OAuth access token: only a valid short-lived token can be exchanged.",
            );
        }
        long_lived(&mut inner, EXCHANGE_GRANT)
    })();
    record_get(&mut inner, query, "/ig/access_token", response)
}

async fn refresh(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let query = pairs(query.unwrap_or_default().as_bytes());
    let mut inner = shared.lock();
    let response = (|| {
        if first(&query, "grant_type") != Some(REFRESH_GRANT) {
            return graph_error(
                StatusCode::BAD_REQUEST,
                "grant_type must be ig_refresh_token",
            );
        }
        let token = first(&query, "access_token").unwrap_or_default();
        match live_token_grant(&inner, token).as_deref() {
            Some(EXCHANGE_GRANT | REFRESH_GRANT) => {}
            Some(_) => {
                return graph_error(
                    StatusCode::BAD_REQUEST,
                    "Only a long-lived token can be refreshed: exchange the short-lived token first.",
                );
            }
            None => return graph_error(StatusCode::BAD_REQUEST, "Invalid OAuth access token."),
        }
        long_lived(&mut inner, REFRESH_GRANT)
    })();
    record_get(&mut inner, query, "/ig/refresh_access_token", response)
}

/// A long-lived token (60 days) issued under `grant`, answered as the Graph API answers it.
fn long_lived(inner: &mut Inner, grant: &str) -> Response {
    let client_id = inner.config.client_id.clone();
    let scope = inner.config.default_scope.clone();
    let issued = inner.issue(
        grant,
        &client_id,
        &scope,
        LONG_LIVED_EXPIRES_IN,
        false,
        None,
    );
    json_answer(&json!({
        "access_token": issued.access_token,
        "token_type": "bearer",
        "expires_in": issued.expires_in,
    }))
}

/// Records a `GET` to `path` carrying `query`, with the status it was answered.
fn record_get(
    inner: &mut Inner,
    query: Vec<(String, String)>,
    path: &str,
    response: Response,
) -> Response {
    let incoming = Incoming {
        query,
        body: Vec::new(),
        basic: None,
        content_type: None,
    };
    let record = incoming.record(&Method::GET, path, response.status());
    inner.requests.push(record);
    response
}
