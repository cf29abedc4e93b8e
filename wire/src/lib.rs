//! The relay's HTTP API, written once: every `/api/*` request body and answer, and the error
//! body, as the relay (`relay/`) reads and writes them and the wizard's client (`app/src/api.rs`)
//! sends and reads them. JSON field names are the Rust field names. relay/README.md describes
//! the routes.
//!
//! serde only: the crate is compiled into the wasm app as well as into the relay.

use serde::{Deserialize, Serialize};

/// Every refusal or failure of the relay: `{"error": "<code>", "message": "<human text>"}` with
/// a 4xx/5xx status.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable machine-readable code (`target_refused`, `not_found`, …).
    #[serde(default)]
    pub error: String,
    /// What went wrong and what to do, in plain words.
    #[serde(default)]
    pub message: String,
}

/// `GET /api/config`: what the wizard needs to know about this relay.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayConfig {
    /// `"local"` or `"public"`.
    pub mode: String,
    /// Whether `POST /api/listen` is available.
    pub local_listener: bool,
    /// Where providers should redirect to on this relay (`/callback`).
    pub callback_path: String,
}

/// `POST /api/pending` and `POST /api/pickup`: `{"state": "...", "pickup_secret": "...",
/// "public_key": "..."}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRequest {
    /// The `state` the wizard sends to the provider.
    pub state: String,
    /// A random secret that never appears in a URL; needed to pick the callback up.
    pub pickup_secret: String,
    /// Registration only: the wizard's fresh P-256 public key (uncompressed point, base64url
    /// without padding). The relay then keeps the callback only sealed to it (HPKE); a public
    /// relay requires it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
}

/// `POST /api/pending`'s answer (201).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingCreated {
    /// Seconds the registration (and a callback kept for it) lives.
    pub expires_in: u64,
}

/// `POST /api/pickup`'s answer when the callback arrived (200; 204 means "poll again"): one of
/// the two fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickedUp {
    /// The callback's parameters as a query string (`code=..&state=..`), for a registration
    /// without a public key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<String>,
    /// The parameters sealed to the registered key: base64url(HPKE enc ‖ ciphertext).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed: Option<String>,
}

/// `POST /api/listen` (local mode): listen once on a loopback redirect URI.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListenRequest {
    /// The redirect URI to listen on (loopback only).
    pub redirect_uri: String,
    /// The `state` the wizard sends to the provider.
    pub state: String,
    /// The secret needed to pick the callback up.
    pub pickup_secret: String,
}

/// `POST /api/listen`'s answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listening {
    /// The exact redirect URI to register and use, with the chosen port when it was random.
    pub redirect_uri: String,
    /// Seconds the listener (and the registration) lives.
    pub expires_in: u64,
}

/// `POST /api/proxy`: the request to send to a token endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxyRequest {
    /// `"GET"` or `"POST"`.
    pub method: String,
    /// The token endpoint (https, port 443 unless the relay allows others).
    pub url: String,
    /// `[["name", "value"], ...]`, from the relay's allowlist only.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The body for a POST (e.g. a urlencoded form); `null` or absent for none.
    #[serde(default)]
    pub body: Option<String>,
}

/// `POST /api/proxy`'s answer (200): the upstream's answer, whatever its status.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxyResponse {
    /// The upstream's status.
    pub status: u16,
    /// The upstream's headers that pass the relay's response allowlist (lower-case names).
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The upstream's body as text (invalid UTF-8 replaced).
    #[serde(default)]
    pub body: String,
}

impl ProxyResponse {
    /// The `content-type` header, if any (names compared without regard to case).
    pub fn content_type(&self) -> Option<&str> {
        self.headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
            .map(|(_, value)| value.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_json_is_the_documented_contract() {
        let proxy: ProxyRequest = serde_json::from_value(json!({
            "method": "POST", "url": "https://oauth2.example.com/token",
            "headers": [["content-type", "application/x-www-form-urlencoded"]],
            "body": "grant_type=client_credentials", "unknown": 1
        }))
        .unwrap();
        assert_eq!(proxy.headers[0].0, "content-type");
        let minimal: ProxyRequest =
            serde_json::from_value(json!({"method": "GET", "url": "https://x.example"})).unwrap();
        assert!(minimal.headers.is_empty() && minimal.body.is_none());
        assert!(serde_json::from_value::<ProxyRequest>(json!({"url": "https://x"})).is_err());

        let answer = ProxyResponse {
            status: 400,
            headers: vec![("content-type".into(), "application/json".into())],
            body: "{}".into(),
        };
        assert_eq!(
            serde_json::to_value(&answer).unwrap(),
            json!({"status": 400, "headers": [["content-type", "application/json"]], "body": "{}"})
        );
        assert_eq!(answer.content_type(), Some("application/json"));
        assert_eq!(
            serde_json::to_value(Listening {
                redirect_uri: "http://localhost:49152".into(),
                expires_in: 300
            })
            .unwrap(),
            json!({"redirect_uri": "http://localhost:49152", "expires_in": 300})
        );
        let sealed = PickedUp {
            sealed: Some("BASE64URL".into()),
            ..PickedUp::default()
        };
        assert_eq!(
            serde_json::to_value(&sealed).unwrap(),
            json!({"sealed": "BASE64URL"})
        );
        let plain: PickedUp =
            serde_json::from_value(json!({"callback": "code=a&state=s"})).unwrap();
        assert_eq!(
            (plain.callback.as_deref(), plain.sealed),
            (Some("code=a&state=s"), None)
        );
        let old_wizard: PendingRequest =
            serde_json::from_value(json!({"state": "s", "pickup_secret": "p"})).unwrap();
        assert_eq!(old_wizard.public_key, None);
        assert_eq!(
            serde_json::to_value(&old_wizard).unwrap(),
            json!({"state": "s", "pickup_secret": "p"}),
            "a pickup body carries no key"
        );
        let error: ErrorBody = serde_json::from_value(json!({"error": "not_found"})).unwrap();
        assert_eq!(
            (error.error.as_str(), error.message.as_str()),
            ("not_found", "")
        );
        assert_eq!(
            serde_json::to_value(RelayConfig {
                mode: "local".into(),
                local_listener: true,
                callback_path: "/callback".into()
            })
            .unwrap(),
            json!({"mode": "local", "local_listener": true, "callback_path": "/callback"})
        );
    }
}
