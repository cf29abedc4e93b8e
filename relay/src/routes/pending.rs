//! `POST /api/pending` (register a state before opening the provider) and `POST /api/pickup`
//! (long-poll for the callback that arrived for it).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::access::ClientIp;
use crate::error::{ApiJson, AppError};
use crate::state::AppState;
use wire::{PendingCreated, PendingRequest, PickedUp};

use crate::seal::SealKey;
use crate::store::{
    Kept, MAX_SECRET_LEN, MAX_STATE_LEN, MIN_SECRET_LEN, Pickup, RegisterError, Registration,
};

/// Checks `state` and `pickup_secret` before they reach the store.
pub fn validate_registration(state: &str, secret: &str) -> Result<(), AppError> {
    if state.is_empty() || state.len() > MAX_STATE_LEN || state.chars().any(char::is_control) {
        return Err(AppError::bad_request(
            "invalid_state",
            format!("`state` must be 1 to {MAX_STATE_LEN} bytes without control characters."),
        ));
    }
    if secret.len() < MIN_SECRET_LEN
        || secret.len() > MAX_SECRET_LEN
        || !secret.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(AppError::bad_request(
            "invalid_pickup_secret",
            format!(
                "`pickup_secret` must be {MIN_SECRET_LEN} to {MAX_SECRET_LEN} printable ASCII \
                 characters (use a random value, e.g. 32 random bytes in base64url)."
            ),
        ));
    }
    Ok(())
}

/// The HTTP answer for a refused registration.
pub fn register_error(err: RegisterError) -> AppError {
    let (status, code) = match err {
        RegisterError::Unavailable => return AppError::store_unavailable(),
        RegisterError::Full => (StatusCode::SERVICE_UNAVAILABLE, "pending_store_full"),
        RegisterError::TooManyForAddress => (StatusCode::TOO_MANY_REQUESTS, "too_many_pending"),
        RegisterError::StateInUse => (StatusCode::CONFLICT, "state_in_use"),
    };
    AppError::new(
        status,
        code,
        format!("{}{}", capitalize(&err.to_string()), "."),
    )
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// `POST /api/pending` → 201 `{"expires_in": 300}`.
pub async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(request): ApiJson<PendingRequest>,
) -> Result<(StatusCode, Json<PendingCreated>), AppError> {
    validate_registration(&request.state, &request.pickup_secret)?;
    let key = match request.public_key.as_deref() {
        Some(text) => Some(
            SealKey::parse(text)
                .map_err(|err| AppError::bad_request("invalid_public_key", format!("{err}.")))?,
        ),
        None if !state.is_local() => {
            return Err(AppError::bad_request(
                "seal_required",
                "This public relay keeps callbacks only sealed to a key of the wizard's, and this \
                 wizard sent none: reload the page to get the current wizard.",
            ));
        }
        None => None,
    };
    state
        .store
        .register(Registration {
            state: &request.state,
            secret: &request.pickup_secret,
            owner: ip,
            key: key.as_ref(),
        })
        .await
        .map_err(register_error)?;
    let expires_in = state.store.limits().ttl.as_secs();
    Ok((StatusCode::CREATED, Json(PendingCreated { expires_in })))
}

/// `POST /api/pickup` → 200 `{"callback": ...}`, 204 (poll again) or 404.
pub async fn pickup(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<PendingRequest>,
) -> Result<Response, AppError> {
    if request.state.len() > MAX_STATE_LEN || request.pickup_secret.len() > MAX_SECRET_LEN {
        return Err(AppError::pickup_not_found());
    }
    let Ok(_slot) = state.waiter_slots.clone().try_acquire_owned() else {
        return Err(AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "too_many_waiters",
            "The relay is waiting for too many callbacks at once; poll again shortly.",
        ));
    };
    let outcome = state
        .store
        .pickup(
            &request.state,
            &request.pickup_secret,
            state.long_poll,
            state.shutdown.subscribe(),
        )
        .await;
    let no_store = [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))];
    match outcome {
        Pickup::Ready(kept) => {
            let answer = match kept {
                Kept::Sealed(sealed) => PickedUp {
                    sealed: Some(sealed),
                    ..PickedUp::default()
                },
                Kept::Plain(callback) => PickedUp {
                    callback: Some(callback),
                    ..PickedUp::default()
                },
            };
            Ok((no_store, Json(answer)).into_response())
        }
        Pickup::Unavailable => Err(AppError::store_unavailable()),
        Pickup::Timeout => Ok((StatusCode::NO_CONTENT, no_store).into_response()),
        Pickup::NotFound => Err(AppError::pickup_not_found()),
    }
}
