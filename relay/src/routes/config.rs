//! `GET /api/config` (what the wizard needs to know about this relay) and `GET /healthz`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use serde::Serialize;

use crate::routes::callback::CALLBACK_PATH;
use crate::state::AppState;

/// The body of `GET /api/config`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RelayInfo {
    /// `"local"` or `"public"`.
    pub mode: String,
    /// Whether `POST /api/listen` is available.
    pub local_listener: bool,
    /// Where providers should redirect to on this relay.
    pub callback_path: String,
}

/// `GET /api/config`.
pub async fn get_config(State(state): State<AppState>) -> impl IntoResponse {
    let info = RelayInfo {
        mode: if state.is_local() { "local" } else { "public" }.to_owned(),
        local_listener: state.is_local(),
        callback_path: CALLBACK_PATH.to_owned(),
    };
    (
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(info),
    )
}

/// `GET /healthz`: 200 `ok` while the relay serves.
pub async fn healthz() -> &'static str {
    "ok"
}
