//! Typed client for the relay's HTTP API (contract 3) and for direct calls when no relay is used.
//! Components never build relay URLs themselves; they call one async function per route.

use engine::request::HttpRequest;
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Headers, RequestInit, Response};

/// Why a call to the relay (or, without relay, to the token endpoint) did not give an answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The relay could not be reached at all (offline, wrong relay URL, relay not running).
    #[error(
        "The relay at {relay} could not be reached. Check that it is running, or change the relay in Settings."
    )]
    RelayUnreachable {
        /// The relay's base URL as shown to the user.
        relay: String,
    },
    /// This page's content security policy does not allow connections to the relay (a relay
    /// other than the one that served the page, not listed in its `connect-src`).
    #[error(
        "This page may not call the relay at {relay}: the content security policy of the page (set by the \
         relay that served it) allows connections only to the origins it lists. Open the wizard from {relay} \
         itself, or start the relay that serves this page with --connect-origin {relay}."
    )]
    BlockedByPolicy {
        /// The relay's origin.
        relay: String,
    },
    /// A direct call (no relay) failed before any answer: almost always the endpoint's CORS policy.
    #[error(
        "The browser could not call {url} directly. Token endpoints usually do not allow calls from web pages \
         (CORS); use the relay instead (Settings → Relay)."
    )]
    DirectBlocked {
        /// The endpoint that was called.
        url: String,
    },
    /// The relay answered with its error JSON.
    #[error("{message}")]
    Relay {
        /// HTTP status of the relay's answer.
        status: u16,
        /// The relay's error code, e.g. `target_refused`.
        code: String,
        /// The relay's explanation.
        message: String,
    },
    /// The answer was not the JSON the contract promises.
    #[error("The relay's answer could not be understood ({0}). Is the relay URL right?")]
    Unexpected(String),
    /// The request could not even be formed (e.g. a header value the browser refuses).
    #[error("The browser refused the request: {0}")]
    Refused(String),
    /// The relay handed over the sealed callback, and this page could not open it (the relay
    /// has let go of it, so polling again cannot help).
    #[error(
        "The relay handed over the sign-in answer, but this page could not open it ({0}). Paste the code from the provider's page, or start again."
    )]
    Unopened(String),
    /// The call was cancelled by the user.
    #[error("Cancelled.")]
    Aborted,
}

/// `GET /api/config` (the relay's wire type).
pub use wire::RelayConfig;

/// An HTTP answer from a token endpoint: the relay's `/api/proxy` envelope, also used for the
/// answer of a direct call.
pub use wire::ProxyResponse as Upstream;

/// What a registration (`POST /api/pending` or `POST /api/listen`) gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    /// Seconds before the registration (and any code waiting for pickup) expires.
    pub expires_in: u64,
    /// `/api/listen` only: the exact redirect URI to register, with the port the relay chose.
    pub redirect_uri: Option<String>,
}

/// The relay the wizard talks to: its own origin (empty base) or another relay's URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relay {
    base: String,
}

impl Relay {
    /// A relay at `base` (`""` means this page's own origin). A trailing `/` is ignored.
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim().trim_end_matches('/').to_owned(),
        }
    }

    /// The relay's origin, for checking `message` events (this page's origin for the same-origin relay).
    pub fn origin(&self) -> String {
        if self.base.is_empty() {
            crate::browser::own_origin()
        } else {
            crate::browser::origin_of(&self.base).unwrap_or_default()
        }
    }

    /// The relay's callback page URL: the default redirect URI.
    pub fn callback_url(&self, callback_path: &str) -> String {
        let base = if self.base.is_empty() {
            crate::browser::own_origin()
        } else {
            self.base.clone()
        };
        format!("{base}{callback_path}")
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn shown(&self) -> String {
        if self.base.is_empty() {
            crate::browser::own_origin()
        } else {
            self.base.clone()
        }
    }

    /// `GET /api/config`.
    pub async fn config(&self) -> Result<RelayConfig, ApiError> {
        let reply = self.call("GET", "/api/config", None, None).await?;
        decode(&reply)
    }

    /// `POST /api/pending`: registers a state before the provider is opened.
    pub async fn pending(
        &self,
        state: &str,
        pickup_secret: &str,
    ) -> Result<Registration, ApiError> {
        let public_key = crate::seal::new_key(state)
            .await
            .map_err(|e| ApiError::Refused(e.to_string()))?;
        let body = to_json(&wire::PendingRequest {
            state: state.to_owned(),
            pickup_secret: pickup_secret.to_owned(),
            public_key: Some(public_key),
        })?;
        let reply = self.call("POST", "/api/pending", Some(&body), None).await?;
        let created: wire::PendingCreated = decode(&reply)?;
        Ok(Registration {
            expires_in: created.expires_in,
            redirect_uri: None,
        })
    }

    /// `POST /api/listen`: asks the local relay to listen once on a loopback redirect URI.
    pub async fn listen(
        &self,
        redirect_uri: &str,
        state: &str,
        pickup_secret: &str,
    ) -> Result<Registration, ApiError> {
        let body = to_json(&wire::ListenRequest {
            redirect_uri: redirect_uri.to_owned(),
            state: state.to_owned(),
            pickup_secret: pickup_secret.to_owned(),
        })?;
        let reply = self.call("POST", "/api/listen", Some(&body), None).await?;
        let listening: wire::Listening = decode(&reply)?;
        Ok(Registration {
            expires_in: listening.expires_in,
            redirect_uri: Some(listening.redirect_uri),
        })
    }

    /// `POST /api/pickup`, one long-poll: `Some(query string)` when the callback arrived, `None`
    /// when the poll timed out (poll again). An unknown, expired or taken registration is a 404 error.
    pub async fn pickup(
        &self,
        state: &str,
        pickup_secret: &str,
        signal: &AbortSignal,
    ) -> Result<Option<String>, ApiError> {
        let body = to_json(&wire::PendingRequest {
            state: state.to_owned(),
            pickup_secret: pickup_secret.to_owned(),
            public_key: None,
        })?;
        let reply = self
            .call("POST", "/api/pickup", Some(&body), Some(signal))
            .await?;
        if reply.status == 204 {
            return Ok(None);
        }
        let reply: wire::PickedUp = decode(&reply)?;
        match (reply.sealed, reply.callback) {
            (Some(sealed), _) => crate::seal::open(state, &sealed)
                .await
                .map(Some)
                .map_err(|e| ApiError::Unopened(e.to_string())),
            (None, callback) => Ok(callback),
        }
    }

    /// `POST /api/proxy`: sends `request` to the token endpoint through the relay.
    pub async fn proxy(&self, request: &HttpRequest) -> Result<Upstream, ApiError> {
        let body = to_json(&wire::ProxyRequest {
            method: method_name(request.method).to_owned(),
            url: request.url.clone(),
            headers: request.headers.clone(),
            body: request.body.clone(),
        })?;
        let reply = self.call("POST", "/api/proxy", Some(&body), None).await?;
        decode(&reply)
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        json_body: Option<&str>,
        signal: Option<&AbortSignal>,
    ) -> Result<Upstream, ApiError> {
        let headers: Vec<(String, String)> = json_body
            .map(|_| vec![("content-type".to_owned(), "application/json".to_owned())])
            .unwrap_or_default();
        match fetch(method, &self.url(path), &headers, json_body, signal).await {
            Ok(reply) => Ok(reply),
            Err(FetchFailure::Aborted) => Err(ApiError::Aborted),
            Err(FetchFailure::Refused(detail)) => Err(ApiError::Refused(detail)),
            Err(FetchFailure::Network) => {
                let origin = self.origin();
                // The policy's violation event may come just after the failure.
                crate::browser::sleep(0).await;
                if crate::browser::blocked_by_policy(&origin) {
                    Err(ApiError::BlockedByPolicy { relay: origin })
                } else {
                    Err(ApiError::RelayUnreachable {
                        relay: self.shown(),
                    })
                }
            }
        }
    }
}

/// Sends `request` straight to the endpoint from the browser (the "no relay" setting).
pub async fn direct(request: &HttpRequest) -> Result<Upstream, ApiError> {
    fetch(
        method_name(request.method),
        &request.url,
        &request.headers,
        request.body.as_deref(),
        None,
    )
    .await
    .map_err(|failure| match failure {
        FetchFailure::Aborted => ApiError::Aborted,
        FetchFailure::Refused(detail) => ApiError::Refused(detail),
        FetchFailure::Network => ApiError::DirectBlocked {
            url: request.url.clone(),
        },
    })
}

/// Asks the token endpoint at `token_url`, from this page, whether it accepts calls from it (CORS).
///
/// The probe is a `POST` with a JSON content type and no body: no grant, so every token endpoint
/// refuses it (`invalid_request`) and nothing happens there, and no code, secret or token is sent.
/// A JSON content type is not one of the "simple" ones, so the browser first sends the CORS
/// preflight that the wizard's real token calls (with an `Authorization` header) also need, and
/// hands over the answer only when the endpoint allows this origin. Any answer the page can read,
/// even the refusal, means calls can go straight from the browser.
pub async fn cors_probe(token_url: &str) -> engine::self_test::CorsProbe {
    use engine::self_test::CorsProbe;
    let headers = [("content-type".to_owned(), "application/json".to_owned())];
    match fetch("POST", token_url, &headers, None, None).await {
        Ok(_) => CorsProbe::Allowed,
        Err(FetchFailure::Network) => {
            let origin = crate::browser::origin_of(token_url).unwrap_or_default();
            // The policy's violation event may come just after the failure.
            crate::browser::sleep(0).await;
            if crate::browser::blocked_by_policy(&origin) {
                CorsProbe::BlockedByPage
            } else {
                CorsProbe::Blocked
            }
        }
        Err(FetchFailure::Aborted | FetchFailure::Refused(_)) => CorsProbe::NotTried,
    }
}

fn method_name(method: engine::HttpMethod) -> &'static str {
    match method {
        engine::HttpMethod::Get => "GET",
        engine::HttpMethod::Post => "POST",
    }
}

/// Sends a GET through the relay when there is one, else directly (used by discovery).
pub async fn get(relay: Option<&Relay>, url: &str) -> Result<Upstream, ApiError> {
    let request = HttpRequest {
        method: engine::HttpMethod::Get,
        url: url.to_owned(),
        headers: Vec::new(),
        body: None,
    };
    match relay {
        Some(relay) => relay.proxy(&request).await,
        None => direct(&request).await,
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(|error| ApiError::Refused(error.to_string()))
}

/// Decodes a relay answer: the promised JSON on 2xx, the error JSON otherwise.
fn decode<T: for<'de> Deserialize<'de>>(reply: &Upstream) -> Result<T, ApiError> {
    if (200..300).contains(&reply.status) {
        return serde_json::from_str(&reply.body)
            .map_err(|error| ApiError::Unexpected(error.to_string()));
    }
    match serde_json::from_str::<wire::ErrorBody>(&reply.body) {
        Ok(body) if !body.message.is_empty() || !body.error.is_empty() => Err(ApiError::Relay {
            status: reply.status,
            code: body.error,
            message: if body.message.is_empty() {
                format!("The relay refused the call ({}).", reply.status)
            } else {
                body.message
            },
        }),
        _ => Err(ApiError::Relay {
            status: reply.status,
            code: String::new(),
            message: format!(
                "The relay answered HTTP {} without an explanation. Is the relay URL right?",
                reply.status
            ),
        }),
    }
}

enum FetchFailure {
    Network,
    Aborted,
    Refused(String),
}

async fn fetch(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Option<&str>,
    signal: Option<&AbortSignal>,
) -> Result<Upstream, FetchFailure> {
    let window = web_sys::window().ok_or(FetchFailure::Network)?;
    let init = RequestInit::new();
    init.set_method(method);
    let header_map = Headers::new().map_err(|_| FetchFailure::Network)?;
    for (name, value) in headers {
        header_map.append(name, value).map_err(|_| {
            FetchFailure::Refused(format!("the header `{name}` is not allowed or not valid"))
        })?;
    }
    init.set_headers(&header_map);
    if let Some(body) = body {
        init.set_body(&JsValue::from_str(body));
    }
    init.set_signal(signal);
    let promise = window.fetch_with_str_and_init(url, &init);
    let response: Response = match JsFuture::from(promise).await {
        Ok(value) => value.unchecked_into(),
        Err(error) => {
            let aborted = signal.is_some_and(AbortSignal::aborted)
                || error
                    .dyn_ref::<web_sys::DomException>()
                    .is_some_and(|e| e.name() == "AbortError");
            return Err(if aborted {
                FetchFailure::Aborted
            } else {
                FetchFailure::Network
            });
        }
    };
    let status = response.status();
    let headers = read_headers(&response.headers());
    let text = response.text().map_err(|_| FetchFailure::Network)?;
    let body = match JsFuture::from(text).await {
        Ok(value) => value.as_string().unwrap_or_default(),
        Err(_) if signal.is_some_and(AbortSignal::aborted) => return Err(FetchFailure::Aborted),
        Err(_) => return Err(FetchFailure::Network),
    };
    Ok(Upstream {
        status,
        headers,
        body,
    })
}

fn read_headers(headers: &Headers) -> Vec<(String, String)> {
    let Ok(Some(entries)) = js_sys::try_iter(headers) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pair: js_sys::Array = entry.dyn_into().ok()?;
            Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str) -> Upstream {
        Upstream {
            status,
            headers: Vec::new(),
            body: body.to_owned(),
        }
    }

    #[test]
    fn a_success_decodes_the_promised_json() {
        let config: RelayConfig = decode(&reply(
            200,
            r#"{"mode":"local","local_listener":true,"callback_path":"/callback"}"#,
        ))
        .unwrap();
        assert!(config.local_listener);
        assert_eq!(config.callback_path, "/callback");
        let created: wire::PendingCreated = decode(&reply(201, r#"{"expires_in":120}"#)).unwrap();
        assert_eq!(created.expires_in, 120);
    }

    #[test]
    fn the_relay_error_json_becomes_its_message() {
        let error = decode::<RelayConfig>(&reply(
            403,
            r#"{"error":"target_refused","message":"The token URL points to a private address."}"#,
        ))
        .unwrap_err();
        assert_eq!(
            error,
            ApiError::Relay {
                status: 403,
                code: "target_refused".to_owned(),
                message: "The token URL points to a private address.".to_owned(),
            }
        );
        assert_eq!(
            error.to_string(),
            "The token URL points to a private address."
        );
    }

    #[test]
    fn an_answer_that_is_not_the_relay_says_so() {
        let error = decode::<RelayConfig>(&reply(404, "<html>Not Found</html>")).unwrap_err();
        assert!(error.to_string().contains("HTTP 404"), "{error}");
        let error = decode::<RelayConfig>(&reply(200, "<html>app</html>")).unwrap_err();
        assert!(matches!(error, ApiError::Unexpected(_)), "{error:?}");
    }

    #[test]
    fn headers_are_found_whatever_their_case() {
        let upstream = Upstream {
            status: 200,
            headers: vec![("Content-Type".to_owned(), "application/json".to_owned())],
            body: String::new(),
        };
        assert_eq!(upstream.content_type(), Some("application/json"));
        assert_eq!(reply(200, "").content_type(), None);
    }
}
