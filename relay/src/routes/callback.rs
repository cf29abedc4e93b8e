//! `GET|POST /callback`: the static page that hands an authorization response to the wizard.
//!
//! The page is the same bytes for every request: no server-written values, so nothing a
//! provider or attacker puts in the URL can reach the HTML. Its inline script and style are
//! allowed by hash (computed here from the embedded files), nothing else may run or load.
//! When the callback's `state` was registered through `/api/pending` or `/api/listen`, the
//! parameters are also kept for `/api/pickup`.

use std::sync::LazyLock;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::callback_query::{CallbackQuery, parse_callback_query};
use crate::error::AppError;
use crate::state::AppState;

/// The path providers redirect to.
pub const CALLBACK_PATH: &str = "/callback";

const HTML: &str = include_str!("../../assets/callback.html");
const SCRIPT: &str = include_str!("../../assets/callback.js");
const STYLE: &str = include_str!("../../assets/callback.css");

/// The assembled page and its Content-Security-Policy.
pub struct CallbackPage {
    html: Bytes,
    csp: HeaderValue,
}

/// `'sha256-…'` source expression for an inline block.
pub fn csp_hash(content: &str) -> String {
    let digest = Sha256::digest(content.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

impl CallbackPage {
    fn build() -> Self {
        let html = HTML
            .replacen("/*STYLE*/", STYLE, 1)
            .replacen("/*SCRIPT*/", SCRIPT, 1);
        let csp = format!(
            "default-src 'none'; script-src {}; style-src {}; base-uri 'none'; form-action 'none'; \
             frame-ancestors 'none'",
            csp_hash(SCRIPT),
            csp_hash(STYLE)
        );
        Self {
            html: Bytes::from(html),
            csp: HeaderValue::from_str(&csp).expect("a CSP of hashes is a valid header value"),
        }
    }

    /// The page, as served.
    pub fn html(&self) -> &Bytes {
        &self.html
    }

    /// The page's Content-Security-Policy.
    pub fn csp(&self) -> &HeaderValue {
        &self.csp
    }

    /// The page with its security headers.
    pub fn response(&self) -> Response {
        let headers = [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CONTENT_SECURITY_POLICY, self.csp.clone()),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
            (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ];
        (headers, self.html.clone()).into_response()
    }
}

/// The page, built once (hashes computed at start: the relay forces it when it builds its state).
pub static CALLBACK_PAGE: LazyLock<CallbackPage> = LazyLock::new(CallbackPage::build);

/// Keeps `callback` for pickup if its state was registered; returns whether it was kept.
pub async fn deliver_if_registered(state: &AppState, callback: &CallbackQuery) -> bool {
    match &callback.state {
        Some(registered) => state.store.deliver(registered, &callback.canonical).await,
        None => false,
    }
}

/// `GET /callback`: the page; a registered state's parameters are kept for pickup.
pub async fn get_callback(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    if let Some(query) = query.filter(|q| !q.is_empty()) {
        match parse_callback_query(&query) {
            Ok(callback) => {
                if deliver_if_registered(&state, &callback).await {
                    tracing::info!("callback kept for pickup");
                }
            }
            Err(err) => tracing::info!(reason = %err, "callback not kept"),
        }
    }
    CALLBACK_PAGE.response()
}

/// True if the request says its body is a urlencoded form.
pub fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| {
            essence
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// Reads a form_post body and builds the 303 that moves its parameters into the fragment of
/// `page_path`, where the page's script reads them (the server never echoes them into HTML).
pub fn form_post_redirect(
    headers: &HeaderMap,
    body: &[u8],
    page_path: &str,
) -> Result<(CallbackQuery, Response), AppError> {
    if !is_form(headers) {
        return Err(AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "A form_post callback must be sent as application/x-www-form-urlencoded.",
        ));
    }
    let text = std::str::from_utf8(body).map_err(|_| {
        AppError::bad_request("invalid_callback", "The callback form is not valid UTF-8.")
    })?;
    let callback = parse_callback_query(text).map_err(|err| {
        AppError::bad_request(
            "invalid_callback",
            format!("The callback could not be read: {err}."),
        )
    })?;
    // The canonical form is pure ASCII (form-urlencoded), so it is always a valid header value.
    let location = HeaderValue::from_str(&format!("{page_path}#{}", callback.canonical))
        .map_err(|_| AppError::internal())?;
    let response = (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
        ],
    )
        .into_response();
    Ok((callback, response))
}

/// `POST /callback` (response_mode=form_post): 303 to `/callback#<parameters>`.
pub async fn post_callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let (callback, response) = form_post_redirect(&headers, &body, CALLBACK_PATH)?;
    if deliver_if_registered(&state, &callback).await {
        tracing::info!("form_post callback kept for pickup");
    }
    Ok(response)
}
