//! `GET /api/config` (what the wizard needs to know about this relay) and `GET /healthz`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;

use crate::routes::callback::CALLBACK_PATH;
use crate::state::AppState;

/// `GET /api/config`.
pub async fn get_config(State(state): State<AppState>) -> impl IntoResponse {
    let info = wire::RelayConfig {
        mode: if state.is_local() { "local" } else { "public" }.to_owned(),
        local_listener: state.is_local(),
        callback_path: CALLBACK_PATH.to_owned(),
    };
    (
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(info),
    )
}

/// `GET /healthz`: 200 `ok` while the relay serves and its store answers; 503
/// `store unavailable` while Redis does not (so a load balancer can take the instance out).
pub async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if state.store.is_reachable().await {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "store unavailable")
    }
}
