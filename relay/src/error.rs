//! The relay's one error type for HTTP answers: every refusal or failure becomes
//! `{"error": "<code>", "message": "<human text>"}` with a 4xx/5xx status (contract 3).
//!
//! Messages are written for the person using the wizard. They never contain a code, token,
//! secret, callback parameter or target URL path/query, because the app may show or log them.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

/// An answer the relay gives instead of doing what was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppError {
    /// HTTP status of the answer.
    pub status: StatusCode,
    /// Stable machine-readable code (`target_refused`, `not_found`, …).
    pub code: &'static str,
    /// What went wrong and what to do, in plain words.
    pub message: String,
    /// Seconds to wait before trying again (sent as `Retry-After`), for rate limits.
    pub retry_after: Option<u64>,
}

impl AppError {
    /// An error with the given status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400 with the given code.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 403 with the given code.
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    /// 404 `not_found` for a pickup: unknown, expired, wrong secret and already taken all look alike.
    pub fn pickup_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "No callback is waiting for this state: it is unknown or expired, it was already picked \
             up, or the pickup secret is wrong. Start the authorization again.",
        )
    }

    /// 429 `rate_limited` with a `Retry-After` hint.
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self {
            retry_after: Some(retry_after_secs.max(1)),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "Too many requests from your address; wait a moment and try again.",
            )
        }
    }

    /// 404 for an unknown `/api/...` route.
    pub fn no_such_route() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "no_such_route",
            "This relay has no such API route.",
        )
    }

    /// 503 `store_unavailable`: Redis did not answer in time.
    pub fn store_unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            "The relay's shared store (Redis) is not answering, so it cannot keep or hand over \
             callbacks right now; try again in a moment.",
        )
    }

    /// 500 for faults that are the relay's own; the details go to the log, not to the client.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "The relay hit an internal error; see its log.",
        )
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.code,
            self.status.as_u16(),
            self.message
        )
    }
}

impl std::error::Error for AppError {}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = wire::ErrorBody {
            error: self.code.to_owned(),
            message: self.message,
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// `axum::Json` whose rejections answer in the relay's error format, and which insists on a
/// JSON content type (a `text/plain` POST would be a CORS "simple request" that skips preflight).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json_content_type(req.headers().get(header::CONTENT_TYPE)) {
            return Err(unsupported_media_type());
        }
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// 415 for a POST to `/api/*` that is not `application/json`.
pub fn unsupported_media_type() -> AppError {
    AppError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "Send the request body as JSON with `Content-Type: application/json`.",
    )
}

/// True for `application/json`, with or without parameters such as `charset`.
pub fn is_json_content_type(value: Option<&HeaderValue>) -> bool {
    let Some(value) = value.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
}

fn json_rejection(rejection: JsonRejection) -> AppError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "The request body is too large for the relay.",
        );
    }
    match rejection {
        JsonRejection::MissingJsonContentType(_) => unsupported_media_type(),
        JsonRejection::JsonDataError(err) => AppError::bad_request(
            "invalid_json",
            format!(
                "The request body does not have the expected fields: {}",
                err.body_text()
            ),
        ),
        JsonRejection::JsonSyntaxError(err) => AppError::bad_request(
            "invalid_json",
            format!("The request body is not valid JSON: {}", err.body_text()),
        ),
        other => AppError::bad_request(
            "invalid_body",
            format!("The request body could not be read: {}", other.body_text()),
        ),
    }
}
