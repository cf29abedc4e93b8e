//! A mock OAuth 2.0 authorization server: a real axum HTTP server on `127.0.0.1:0`.
//!
//! It is strict where real services are strict, so the wizard is tested against the rules and not
//! against a lenient stub: PKCE S256 is checked, codes are single-use, the `redirect_uri` must match,
//! refresh tokens rotate (the old one dies), replaying a rotated refresh token revokes its whole
//! family (RFC 9700 §4.14.2, as oidc-provider, Auth0 and Okta do), and errors follow RFC 6749 §5.2.
//!
//! # Endpoints
//!
//! | path | what it does |
//! | --- | --- |
//! | `GET /authorize` | checks `client_id`, `redirect_uri` (exact; any port on a loopback IP with [`ProviderConfig::loopback_any_port`]), `response_type=code`, `state` and the S256 `code_challenge`, then answers 302 to `redirect_uri?code=…&state=…` (plus [`ProviderConfig::extra_callback_params`]), or `error=access_denied&error_description=…` when [`ProviderConfig::deny_with`] is set; every answer names the issuer in `iss` (RFC 9207; another one with [`ProviderConfig::answer_as_issuer`]) |
//! | `POST /token` | `authorization_code`, `refresh_token` (rotating), `client_credentials`, `password`; the confidential client authenticates by exactly its registered method ([`ClientAuthMode`]), the public client ([`ProviderConfig::public_client_id`]) by `client_id` in the body and no secret; JSON answer |
//! | `POST /token` with `client_assertion` | JWT client authentication ([`assertion`]): signature by the registered key of a [`JwtClient`], `aud` = the token URL, live `exp`, single-use `jti`, `kid` |
//! | `POST /token-form` | the same, answered `application/x-www-form-urlencoded` (like GitHub's default) |
//! | `POST /slow/token` | the same as `/token` after [`ProviderConfig::slow_delay`] |
//! | `GET /exchange` | Facebook's `oauth/access_token`: the client in the query; `code` (no `grant_type`) exchanges a code, `grant_type=fb_exchange_token&fb_exchange_token=<current token>` re-issues a long-lived token |
//! | `/ig/…` | Instagram's wrapped code exchange, `ig_exchange_token` and `ig_refresh_token` ([`instagram`]) |
//! | `/ms/token`, `/google/token` | `POST /token`'s checks, refusals worded as Microsoft's and Google's token endpoints word them ([`services`]) |
//! | `POST /device_authorization`, `GET /device`, `GET /device/decide` | the device authorization grant (`provider/device.rs`): codes, the verification page, pending / slow_down / access_denied / expired_token at the token endpoint |
//! | `GET /jwks` | the provider's public keys (one kid per algorithm); the code exchange adds an `id_token` (with the request's `nonce`) when `openid` is granted, signed by [`ProviderConfig::id_token_alg`], and issues a JWT access token with [`ProviderConfig::jwt_access_tokens`] (`provider/id_token.rs`) |
//! | `GET /userinfo`, `POST /revoke`, `POST /introspect` | OpenID userinfo (a live access token), RFC 7009 revocation and RFC 7662 introspection (client authenticated as at `/token`) (`provider/token_calls.rs`) |
//! | `GET /echo` | a page that shows the parameters it received: a redirect URI that is not the relay, for "paste the code" tests |
//! | `GET /.well-known/openid-configuration`, `GET /.well-known/oauth-authorization-server` | discovery metadata (it says the answers carry `iss`) |
//!
//! Every request is recorded ([`Provider::requests`]) so tests can assert what the wizard sent.
//! The records stay in memory and are never printed by this module.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

pub mod instagram;
pub mod services;
#[cfg(test)]
mod tests;

pub mod assertion;
mod cors;
mod device;
mod id_token;
pub use id_token::IdTokenAlg;
mod token_calls;
pub use assertion::{JwtClient, JwtClientKey};

/// The `grant_type` of the device access token request (RFC 8628 §3.4).
pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// How long an authorization code stays usable (RFC 6749 §4.1.2 recommends at most 10 minutes).
const CODE_LIFETIME: Duration = Duration::from_secs(600);

/// How the confidential client is registered to authenticate at the token endpoint (its
/// `token_endpoint_auth_method`, RFC 7591 §2): every request, code exchange and refresh alike,
/// must use that one method, and only it (RFC 6749 §2.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ClientAuthMode {
    /// Only `Authorization: Basic` (client_secret_basic, RFC 7591's default).
    #[default]
    Basic,
    /// Only `client_id` + `client_secret` in the body (client_secret_post).
    Body,
}

/// What the mock provider accepts and how it answers. Tests change it between scenarios with
/// [`Provider::configure`] and go back to the start value with [`Provider::reset`].
#[derive(Clone, Debug)]
pub struct ProviderConfig {
    /// The registered confidential client.
    pub client_id: String,
    /// Its secret.
    pub client_secret: String,
    /// How that client is registered to authenticate at the token endpoints.
    pub client_auth: ClientAuthMode,
    /// The registered public client (`token_endpoint_auth_method` `none`, RFC 6749 §2.1): it has
    /// no secret, must send `client_id` in the body of the code exchange and of each refresh,
    /// must never send a secret, and must use PKCE.
    pub public_client_id: String,
    /// `token_endpoint_auth_methods_supported` in the discovery metadata.
    pub token_endpoint_auth_methods: Vec<String>,
    /// Registered redirect URIs, compared exactly. [`Provider::start`] replaces `{port}` with the
    /// provider's port and completes an entry starting with `/` with its address (`/echo`).
    pub redirect_uris: Vec<String>,
    /// RFC 8252 §7.3 (native apps): a redirect URI on a loopback IP literal (`http://127.0.0.1`,
    /// `http://[::1]`) matches a registered one whatever the port, as Google's desktop clients
    /// do. Off by default: then every redirect URI must match character for character.
    pub loopback_any_port: bool,
    /// The public client allowed to use the password grant (no secret, like a first-party app).
    pub password_client_id: String,
    /// The resource owner's user name for the password grant.
    pub user_name: String,
    /// The resource owner's password for the password grant.
    pub password: String,
    /// `expires_in` of issued access tokens, in seconds.
    pub expires_in: u64,
    /// `expires_in` of tokens re-issued by `GET /exchange`, in seconds.
    pub exchanged_expires_in: u64,
    /// When true, every refresh issues a new refresh token and kills the old one.
    pub rotate_refresh_tokens: bool,
    /// When true (with rotation), presenting a refresh token that was already rotated away
    /// revokes every refresh token of its family: the reuse detection of RFC 9700 §4.14.2.
    pub revoke_family_on_reuse: bool,
    /// When true, `/authorize` refuses requests without an S256 `code_challenge`.
    pub require_pkce: bool,
    /// Extra parameters appended to a successful callback (e.g. QuickBooks' `realmId`).
    pub extra_callback_params: Vec<(String, String)>,
    /// When set, `/authorize` redirects with `error=access_denied` and this `error_description`.
    pub deny_with: Option<String>,
    /// When set, the redirect names this issuer in `iss` instead of the provider's own: the
    /// answer of another service (an RFC 9207 mix-up).
    pub answer_as_issuer: Option<String>,
    /// How long `POST /slow/token` waits before answering.
    pub slow_delay: Duration,
    /// The scope granted when the request names none.
    pub default_scope: String,
    /// Requested scopes the user "did not approve": left out of the granted scope.
    pub withheld_scopes: Vec<String>,
    /// When true, the code exchange issues a refresh token only if `offline_access` was granted
    /// (as OpenID providers do).
    pub refresh_needs_offline_access: bool,
    /// Clients that authenticate with a signed JWT (client_secret_jwt, private_key_jwt), checked
    /// by [`assertion`].
    pub jwt_clients: Vec<JwtClient>,
    /// `interval` of device authorizations, in seconds (RFC 8628 says 5; tests go faster).
    pub device_interval: u64,
    /// `expires_in` of device codes, in seconds.
    pub device_expires_in: u64,
    /// How many polls of each device code are answered `slow_down` before the others.
    pub device_slow_downs: u32,
    /// When set, ID tokens carry this `nonce` instead of the one the authorization request sent
    /// (a token minted for another sign-in).
    pub id_token_nonce: Option<String>,
    /// When true, ID tokens carry a signature that does not verify (a forged or altered token).
    pub id_token_bad_signature: bool,
    /// How ID tokens (and JWT access tokens) are signed; every key is at `GET /jwks` whatever this says.
    pub id_token_alg: IdTokenAlg,
    /// When true, the code exchange issues the access token as a JWT (RFC 9068, `typ` `at+jwt`)
    /// signed like the ID token, instead of an opaque one.
    pub jwt_access_tokens: bool,
}

impl Default for ProviderConfig {
    fn default() -> Self {
        Self {
            client_id: "e2e-client".to_owned(),
            client_secret: "e2e-client-secret".to_owned(),
            client_auth: ClientAuthMode::Basic,
            public_client_id: "e2e-public-client".to_owned(),
            token_endpoint_auth_methods: vec![
                "client_secret_basic".to_owned(),
                "client_secret_post".to_owned(),
                "none".to_owned(),
            ],
            redirect_uris: vec![
                "/echo".to_owned(),
                "http://echo.localhost:{port}/echo".to_owned(),
            ],
            loopback_any_port: false,
            password_client_id: "e2e-password-client".to_owned(),
            user_name: "alice".to_owned(),
            password: "wonderland".to_owned(),
            expires_in: 3600,
            exchanged_expires_in: 60 * 24 * 3600,
            rotate_refresh_tokens: true,
            revoke_family_on_reuse: true,
            require_pkce: true,
            extra_callback_params: Vec::new(),
            deny_with: None,
            answer_as_issuer: None,
            slow_delay: Duration::from_secs(2),
            default_scope: "read".to_owned(),
            withheld_scopes: Vec::new(),
            refresh_needs_offline_access: false,
            jwt_clients: vec![JwtClient::rsa(), JwtClient::ec(), JwtClient::secret()],
            device_interval: 5,
            device_expires_in: 600,
            device_slow_downs: 0,
            id_token_nonce: None,
            id_token_bad_signature: false,
            id_token_alg: IdTokenAlg::Rs256,
            jwt_access_tokens: false,
        }
    }
}

/// One request the provider received, with what it answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// `GET` or `POST`.
    pub method: String,
    /// The path, e.g. `/token`.
    pub path: String,
    /// Query parameters, in order.
    pub query: Vec<(String, String)>,
    /// Body parameters (form-encoded or JSON strings), in order.
    pub body: Vec<(String, String)>,
    /// The client id of an `Authorization: Basic` header, if one came.
    pub basic_client_id: Option<String>,
    /// The request's `Content-Type`.
    pub content_type: Option<String>,
    /// The status the provider answered.
    pub status: u16,
}

impl Recorded {
    /// The first value of a body parameter, else of a query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        first(&self.body, name).or_else(|| first(&self.query, name))
    }
}

/// Tokens issued by one successful token-endpoint answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issued {
    /// The grant that produced them (`authorization_code`, `refresh_token`, `fb_exchange_token` …).
    pub grant_type: String,
    /// The access token.
    pub access_token: String,
    /// The refresh token, when one was issued.
    pub refresh_token: Option<String>,
    /// The `expires_in` sent.
    pub expires_in: u64,
    /// The `scope` sent.
    pub scope: String,
    /// The OpenID ID token, when `openid` was granted to a code exchange.
    pub id_token: Option<String>,
}

/// A running mock provider. Dropping it stops the server.
pub struct Provider {
    base_url: String,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Provider {
    /// Binds `127.0.0.1:0` and serves until dropped. Must be called inside a Tokio runtime.
    pub async fn start(mut config: ProviderConfig) -> std::io::Result<Provider> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let port = listener.local_addr()?.port().to_string();
        for uri in &mut config.redirect_uris {
            *uri = uri.replace("{port}", &port);
            if uri.starts_with('/') {
                *uri = format!("{base_url}{uri}");
            }
        }
        let shared = Arc::new(Shared {
            initial: Mutex::new(config.clone()),
            base_url: base_url.clone(),
            inner: Mutex::new(Inner::new(config)),
        });
        let (shutdown, stopped) = oneshot::channel::<()>();
        let app = router(shared.clone());
        tokio::spawn(async move {
            // A failing accept loop only ends this mock; the tests then fail on their requests.
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Provider {
            base_url,
            shared,
            shutdown: Some(shutdown),
        })
    }

    /// `http://127.0.0.1:<port>`, which is also the issuer in the discovery metadata.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.base_url
            .rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .unwrap_or_default()
    }

    /// The absolute URL of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// `GET /authorize`.
    pub fn authorize_url(&self) -> String {
        self.url("/authorize")
    }

    /// `POST /token` (JSON answers).
    pub fn token_url(&self) -> String {
        self.url("/token")
    }

    /// `POST /token-form` (form-encoded answers).
    pub fn token_form_url(&self) -> String {
        self.url("/token-form")
    }

    /// `POST /slow/token` (answers after [`ProviderConfig::slow_delay`]).
    pub fn slow_token_url(&self) -> String {
        self.url("/slow/token")
    }

    /// `GET /exchange` (Facebook-style long-lived token exchange).
    pub fn exchange_url(&self) -> String {
        self.url("/exchange")
    }

    /// `GET /echo`: a redirect target that only shows what it received.
    pub fn echo_url(&self) -> String {
        self.url("/echo")
    }

    /// The same page as [`Provider::echo_url`] under `echo.localhost`: a redirect URI the wizard
    /// does not take for a loopback one (so its relay does not try to listen there), which Chromium
    /// still resolves to this machine. It stands for "a page elsewhere that shows the code", the
    /// case where the user pastes the code or the whole redirect address.
    pub fn foreign_echo_url(&self) -> String {
        format!("http://echo.localhost:{}/echo", self.port())
    }

    /// Registers one more redirect URI for good: it survives [`Provider::reset`].
    pub fn register_redirect_uri(&self, uri: &str) {
        let mut initial = self.shared.initial_config();
        initial.redirect_uris.push(uri.to_owned());
        *self
            .shared
            .initial
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = initial;
        self.configure(|c| c.redirect_uris.push(uri.to_owned()));
    }

    /// The current configuration.
    pub fn config(&self) -> ProviderConfig {
        self.shared.lock().config.clone()
    }

    /// Changes the configuration; issued codes and tokens stay valid.
    pub fn configure(&self, change: impl FnOnce(&mut ProviderConfig)) {
        change(&mut self.shared.lock().config);
    }

    /// Back to the configuration given to [`Provider::start`], with no codes, tokens or records.
    pub fn reset(&self) {
        *self.shared.lock() = Inner::new(self.shared.initial_config());
    }

    /// Every request received since the start or the last [`Provider::reset`], oldest first.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.lock().requests.clone()
    }

    /// The requests received on `path`, oldest first.
    pub fn requests_to(&self, path: &str) -> Vec<Recorded> {
        self.shared
            .lock()
            .requests
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// Every successful token answer, oldest first.
    pub fn issued(&self) -> Vec<Issued> {
        self.shared.lock().issued.clone()
    }

    /// The newest refresh token issued, which is the only one still valid when tokens rotate.
    pub fn newest_refresh_token(&self) -> Option<String> {
        self.shared
            .lock()
            .issued
            .iter()
            .rev()
            .find_map(|i| i.refresh_token.clone())
    }

    /// How many refresh-token families were revoked because a rotated refresh token came back.
    /// A client that keeps its tokens right never makes this non-zero.
    pub fn revoked_families(&self) -> usize {
        self.shared.lock().revoked_families.len()
    }

    /// The newest access token issued.
    pub fn newest_access_token(&self) -> Option<String> {
        self.shared
            .lock()
            .issued
            .last()
            .map(|i| i.access_token.clone())
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

struct Shared {
    initial: Mutex<ProviderConfig>,
    base_url: String,
    inner: Mutex<Inner>,
}

impl Shared {
    fn initial_config(&self) -> ProviderConfig {
        self.initial
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave `Inner` half-updated in a way that matters
        // to a mock, so a poisoned lock is still usable.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

struct CodeGrant {
    /// The issuer that answered (it signs the ID token).
    issuer: String,
    /// The authorization request's `nonce` (OpenID), for the ID token.
    nonce: Option<String>,
    client_id: String,
    redirect_uri: Option<String>,
    code_challenge: Option<String>,
    scope: String,
    issued_at: Instant,
}

struct AccessGrant {
    client_id: String,
    expires_at: Instant,
}

struct RefreshGrant {
    client_id: String,
    scope: String,
    /// Every refresh token descended from one authorization shares its family.
    family: u64,
}

struct Inner {
    config: ProviderConfig,
    codes: HashMap<String, CodeGrant>,
    access_tokens: HashMap<String, AccessGrant>,
    refresh_tokens: HashMap<String, RefreshGrant>,
    /// Rotated-away refresh tokens and the family each belonged to.
    used_refresh_tokens: HashMap<String, u64>,
    /// Families revoked because a rotated refresh token was presented again.
    revoked_families: Vec<u64>,
    next_family: u64,
    /// `jti`s of client assertions seen (each may be used once).
    used_jtis: std::collections::HashSet<String>,
    /// Device authorizations in progress, by device code.
    devices: HashMap<String, device::DeviceGrant>,
    issued: Vec<Issued>,
    requests: Vec<Recorded>,
}

impl Inner {
    fn new(config: ProviderConfig) -> Self {
        Self {
            config,
            codes: HashMap::new(),
            access_tokens: HashMap::new(),
            refresh_tokens: HashMap::new(),
            used_refresh_tokens: HashMap::new(),
            revoked_families: Vec::new(),
            next_family: 0,
            used_jtis: std::collections::HashSet::new(),
            devices: HashMap::new(),
            issued: Vec::new(),
            requests: Vec::new(),
        }
    }

    /// Issues an access token (and a refresh token when asked) and remembers both. A refresh
    /// token joins `family`, or starts a new one.
    fn issue(
        &mut self,
        grant_type: &str,
        client_id: &str,
        scope: &str,
        expires_in: u64,
        with_refresh: bool,
        family: Option<u64>,
    ) -> Issued {
        let family = family.unwrap_or_else(|| {
            self.next_family += 1;
            self.next_family
        });
        let access_token = random_token("mock-at");
        self.access_tokens.insert(
            access_token.clone(),
            AccessGrant {
                client_id: client_id.to_owned(),
                expires_at: Instant::now() + Duration::from_secs(expires_in),
            },
        );
        let refresh_token = with_refresh.then(|| {
            let token = random_token("mock-rt");
            self.refresh_tokens.insert(
                token.clone(),
                RefreshGrant {
                    client_id: client_id.to_owned(),
                    scope: scope.to_owned(),
                    family,
                },
            );
            token
        });
        let issued = Issued {
            grant_type: grant_type.to_owned(),
            access_token,
            refresh_token,
            expires_in,
            scope: scope.to_owned(),
            id_token: None,
        };
        self.issued.push(issued.clone());
        issued
    }

    /// Replaces the opaque access token just issued in `issued` with a JWT access token
    /// (RFC 9068 §2) from `issuer`, signed by `alg`'s key, valid for the same calls.
    fn access_token_as_jwt(
        &mut self,
        issued: &mut Issued,
        alg: IdTokenAlg,
        issuer: &str,
        client_id: &str,
    ) {
        let now = id_token::now();
        let claims = json!({
            "iss": issuer,
            "sub": "alice",
            "aud": format!("{issuer}/api"),
            "client_id": client_id,
            "scope": issued.scope,
            "iat": now,
            "exp": now + issued.expires_in,
            "jti": random_token("mock-jti"),
        });
        let token = id_token::sign_claims(alg, "at+jwt", &claims);
        if let Some(grant) = self.access_tokens.remove(&issued.access_token) {
            self.access_tokens.insert(token.clone(), grant);
        }
        issued.access_token.clone_from(&token);
        if let Some(last) = self.issued.last_mut() {
            last.access_token = token;
        }
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/authorize", get(authorize))
        .route("/token", post(token_json))
        .route("/token-form", post(token_form))
        .route("/slow/token", post(token_slow))
        .route("/exchange", get(exchange))
        .route("/echo", get(echo))
        .route("/device_authorization", post(device::device_authorization))
        .route("/device", get(device::verification_page))
        .route("/device/decide", get(device::decide))
        .route("/jwks", get(id_token::jwks))
        .route("/userinfo", get(token_calls::userinfo))
        .route("/revoke", post(token_calls::revoke))
        .route("/introspect", post(token_calls::introspect))
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/.well-known/oauth-authorization-server", get(discovery))
        .merge(instagram::routes())
        .merge(services::routes())
        .merge(cors::routes())
        .with_state(shared)
}

/// An RFC 6749 §5.2 error answer.
#[derive(Debug)]
struct OAuthError {
    status: StatusCode,
    code: &'static str,
    description: String,
}

impl OAuthError {
    fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
    }

    fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            code,
            description: description.into(),
        }
    }
}

/// How a token endpoint writes its answers.
#[derive(Clone, Copy)]
enum Encoding {
    Json,
    Form,
}

/// The request data every handler parses the same way.
struct Incoming {
    query: Vec<(String, String)>,
    body: Vec<(String, String)>,
    basic: Option<Result<(String, String), String>>,
    content_type: Option<String>,
}

impl Incoming {
    fn parse(query: Option<String>, headers: &HeaderMap, body: &[u8]) -> Result<Self, OAuthError> {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = if body.is_empty() {
            Vec::new()
        } else if content_type
            .as_deref()
            .is_some_and(|ct| ct.starts_with("application/json"))
        {
            json_pairs(body)?
        } else {
            pairs(body)
        };
        Ok(Self {
            query: pairs(query.unwrap_or_default().as_bytes()),
            body,
            basic: basic_credentials(headers),
            content_type,
        })
    }

    fn record(&self, method: &Method, path: &str, status: StatusCode) -> Recorded {
        Recorded {
            method: method.to_string(),
            path: path.to_owned(),
            query: self.query.clone(),
            body: self.body.clone(),
            basic_client_id: match &self.basic {
                Some(Ok((id, _))) => Some(id.clone()),
                _ => None,
            },
            content_type: self.content_type.clone(),
            status: status.as_u16(),
        }
    }
}

fn pairs(bytes: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(bytes).into_owned().collect()
}

fn json_pairs(bytes: &[u8]) -> Result<Vec<(String, String)>, OAuthError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| OAuthError::invalid_request(format!("the JSON body does not parse: {e}")))?;
    let Value::Object(map) = value else {
        return Err(OAuthError::invalid_request(
            "the JSON body is not an object",
        ));
    };
    Ok(map
        .into_iter()
        .map(|(k, v)| match v {
            Value::String(s) => (k, s),
            other => (k, other.to_string()),
        })
        .collect())
}

/// `Authorization: Basic` credentials: `None` without the header, `Err` when it is malformed.
/// RFC 6749 §2.3.1 form-encodes id and secret before base64, so both are decoded afterwards.
fn basic_credentials(headers: &HeaderMap) -> Option<Result<(String, String), String>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = match STANDARD.decode(encoded.trim()) {
        Ok(bytes) => bytes,
        Err(_) => return Some(Err("the Basic credentials are not valid base64".to_owned())),
    };
    let Ok(text) = String::from_utf8(decoded) else {
        return Some(Err("the Basic credentials are not UTF-8".to_owned()));
    };
    let Some((id, secret)) = text.split_once(':') else {
        return Some(Err("the Basic credentials have no `:`".to_owned()));
    };
    let unescape = |s: &str| -> String {
        form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Some(Ok((unescape(id), unescape(secret))))
}

fn first<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// RFC 6749 §3.1 / §3.2: a parameter must not be sent more than once.
fn repeated(pairs: &[(String, String)]) -> Option<&str> {
    pairs.iter().enumerate().find_map(|(i, (k, _))| {
        pairs[..i]
            .iter()
            .any(|(earlier, _)| earlier == k)
            .then_some(k.as_str())
    })
}

fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random source is unavailable");
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}-{hex}")
}

fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn is_pkce_value(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The page shown when the authorization request is too broken to redirect back (RFC 6749 §4.1.2.1:
/// never redirect to an unverified `redirect_uri`).
fn refusal_page(reason: &str) -> Response {
    let body = format!(
        "<!doctype html><title>Mock provider: request refused</title>\
         <h1>Mock provider refused the authorization request</h1><p id=\"reason\">{}</p>",
        html_escape(reason)
    );
    (StatusCode::BAD_REQUEST, Html(body)).into_response()
}

/// Whether the `sent` redirect URI is the `registered` one: character for character, or, with
/// `loopback_any_port`, the same URI on a loopback IP literal with any port (RFC 8252 §7.3).
fn redirect_matches(registered: &str, sent: &str, loopback_any_port: bool) -> bool {
    if registered == sent {
        return true;
    }
    if !loopback_any_port {
        return false;
    }
    let (Ok(mut registered), Ok(mut sent)) = (url::Url::parse(registered), url::Url::parse(sent))
    else {
        return false;
    };
    let loopback_ip = match sent.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        _ => false,
    };
    if sent.scheme() != "http" || !loopback_ip {
        return false;
    }
    // Only the port may differ; `set_port` cannot fail on an http URL with a host.
    let _ = registered.set_port(None);
    let _ = sent.set_port(None);
    registered == sent
}

async fn authorize(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let incoming = match Incoming::parse(query, &HeaderMap::new(), &[]) {
        Ok(incoming) => incoming,
        Err(error) => return refusal_page(&error.description),
    };
    let mut inner = shared.lock();
    let response = authorize_answer(&mut inner, &incoming.query, &shared.base_url);
    let record = incoming.record(&Method::GET, "/authorize", response.status());
    inner.requests.push(record);
    response
}

fn authorize_answer(inner: &mut Inner, query: &[(String, String)], own_issuer: &str) -> Response {
    if let Some(name) = repeated(query) {
        return refusal_page(&format!("the parameter `{name}` is repeated"));
    }
    let config = &inner.config;
    let client_id = match first(query, "client_id") {
        None => return refusal_page("client_id is missing"),
        Some(id)
            if id != config.client_id
                && id != config.public_client_id
                && !config.jwt_clients.iter().any(|c| c.client_id == id) =>
        {
            return refusal_page(&format!("unknown client_id `{id}`"));
        }
        Some(id) => id.to_owned(),
    };
    let sent_redirect_uri = first(query, "redirect_uri").map(str::to_owned);
    let redirect_uri = match (&sent_redirect_uri, config.redirect_uris.as_slice()) {
        (Some(uri), registered)
            if registered
                .iter()
                .any(|r| redirect_matches(r, uri, config.loopback_any_port)) =>
        {
            uri.clone()
        }
        (Some(uri), _) => {
            return refusal_page(&format!(
                "redirect_uri `{uri}` is not registered for this client"
            ));
        }
        (None, [only]) => only.clone(),
        (None, _) => {
            return refusal_page("redirect_uri is missing and the client has several registered");
        }
    };
    let Ok(mut target) = url::Url::parse(&redirect_uri) else {
        return refusal_page("the registered redirect_uri does not parse");
    };
    let state = first(query, "state").map(str::to_owned);
    let mut back: Vec<(String, String)> = Vec::new();
    match authorize_checks(config, query, client_id == config.public_client_id) {
        Ok(()) => {
            let code = random_token("mock-code");
            let requested = first(query, "scope")
                .filter(|s| !s.is_empty())
                .unwrap_or(&config.default_scope);
            let scope = requested
                .split(' ')
                .filter(|scope| !config.withheld_scopes.iter().any(|w| w == scope))
                .collect::<Vec<_>>()
                .join(" ");
            inner.codes.insert(
                code.clone(),
                CodeGrant {
                    issuer: own_issuer.to_owned(),
                    nonce: first(query, "nonce").map(str::to_owned),
                    client_id,
                    redirect_uri: sent_redirect_uri,
                    code_challenge: first(query, "code_challenge").map(str::to_owned),
                    scope,
                    issued_at: Instant::now(),
                },
            );
            back.push(("code".to_owned(), code));
            if let Some(state) = state {
                back.push(("state".to_owned(), state));
            }
            back.extend(config.extra_callback_params.iter().cloned());
        }
        Err((error, description)) => {
            back.push(("error".to_owned(), error.to_owned()));
            back.push(("error_description".to_owned(), description));
            if let Some(state) = state {
                back.push(("state".to_owned(), state));
            }
        }
    }
    // RFC 9207: every answer, success or error, names the issuer (the discovery document says so).
    let issuer = config
        .answer_as_issuer
        .clone()
        .unwrap_or_else(|| own_issuer.to_owned());
    back.push(("iss".to_owned(), issuer));
    target.query_pairs_mut().extend_pairs(back);
    let location = HeaderValue::from_str(target.as_str());
    match location {
        Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        Err(_) => refusal_page("the redirect URL is not a valid header value"),
    }
}

/// The checks whose failure is reported back to the client through the redirect (RFC 6749 §4.1.2.1).
fn authorize_checks(
    config: &ProviderConfig,
    query: &[(String, String)],
    public_client: bool,
) -> Result<(), (&'static str, String)> {
    match first(query, "response_type") {
        Some("code") => {}
        Some(other) => {
            return Err((
                "unsupported_response_type",
                format!("response_type `{other}` is not supported; use `code`"),
            ));
        }
        None => return Err(("invalid_request", "response_type is missing".to_owned())),
    }
    if first(query, "state").is_none_or(str::is_empty) {
        return Err((
            "invalid_request",
            "state is missing (this provider requires it against CSRF)".to_owned(),
        ));
    }
    match (
        first(query, "code_challenge"),
        first(query, "code_challenge_method"),
    ) {
        (None, _) if config.require_pkce || public_client => {
            return Err((
                "invalid_request",
                "code_challenge is required (PKCE with S256)".to_owned(),
            ));
        }
        (None, _) => {}
        (Some(_), method) if method != Some("S256") => {
            return Err((
                "invalid_request",
                "code_challenge_method must be S256 (plain is not accepted)".to_owned(),
            ));
        }
        (Some(challenge), _) if !(challenge.len() == 43 && is_pkce_value(challenge)) => {
            return Err((
                "invalid_request",
                "code_challenge is not a base64url SHA-256 value".to_owned(),
            ));
        }
        (Some(_), _) => {}
    }
    if let Some(description) = &config.deny_with {
        return Err(("access_denied", description.clone()));
    }
    Ok(())
}

async fn token_json(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    token_endpoint(&shared, "/token", Encoding::Json, query, &headers, &body)
}

async fn token_form(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    token_endpoint(
        &shared,
        "/token-form",
        Encoding::Form,
        query,
        &headers,
        &body,
    )
}

async fn token_slow(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let delay = shared.lock().config.slow_delay;
    tokio::time::sleep(delay).await;
    token_endpoint(
        &shared,
        "/slow/token",
        Encoding::Json,
        query,
        &headers,
        &body,
    )
}

fn token_endpoint(
    shared: &Shared,
    path: &str,
    encoding: Encoding,
    query: Option<String>,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let incoming = match Incoming::parse(query, headers, body) {
        Ok(incoming) => incoming,
        Err(error) => return error_response(&error, encoding),
    };
    let mut inner = shared.lock();
    let result = if incoming
        .content_type
        .as_deref()
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"))
        || incoming
            .content_type
            .as_deref()
            .is_some_and(|ct| ct.starts_with("application/json"))
    {
        let audience = format!("{}{path}", shared.base_url);
        token_grant(&mut inner, &incoming, &audience)
    } else {
        Err(OAuthError::invalid_request(
            "the token request must be application/x-www-form-urlencoded (or JSON)",
        ))
    };
    let response = match result {
        Ok(issued) => success_response(&issued, encoding),
        Err(error) => error_response(&error, encoding),
    };
    let record = incoming.record(&Method::POST, path, response.status());
    inner.requests.push(record);
    response
}

fn token_grant(
    inner: &mut Inner,
    incoming: &Incoming,
    audience: &str,
) -> Result<Issued, OAuthError> {
    let params = &incoming.body;
    if let Some(name) = repeated(params) {
        return Err(OAuthError::invalid_request(format!(
            "the parameter `{name}` is repeated"
        )));
    }
    let grant_type = first(params, "grant_type")
        .ok_or_else(|| OAuthError::invalid_request("grant_type is missing"))?;
    match grant_type {
        "authorization_code" => {
            let client_id = client(inner, incoming, audience)?;
            redeem_code(inner, &client_id, params, true)
        }
        "refresh_token" => {
            let client_id = client(inner, incoming, audience)?;
            let token = first(params, "refresh_token")
                .ok_or_else(|| OAuthError::invalid_request("refresh_token is missing"))?;
            if let Some(&family) = inner.used_refresh_tokens.get(token)
                && inner.config.revoke_family_on_reuse
            {
                inner
                    .refresh_tokens
                    .retain(|_, grant| grant.family != family);
                inner.revoked_families.push(family);
                return Err(OAuthError::invalid_grant(
                    "The refresh token was already used: every token of this grant is revoked (reuse detection).",
                ));
            }
            let grant = inner
                .refresh_tokens
                .get(token)
                .filter(|grant| grant.client_id == client_id)
                .ok_or_else(|| {
                    OAuthError::invalid_grant(
                        "The refresh token is invalid or was already used (tokens rotate).",
                    )
                })?;
            let scope = grant.scope.clone();
            let family = grant.family;
            let rotate = inner.config.rotate_refresh_tokens;
            if rotate {
                inner.refresh_tokens.remove(token);
                inner.used_refresh_tokens.insert(token.to_owned(), family);
            }
            let expires_in = inner.config.expires_in;
            Ok(inner.issue(
                grant_type,
                &client_id,
                &scope,
                expires_in,
                rotate,
                Some(family),
            ))
        }
        "client_credentials" => {
            let client_id = client(inner, incoming, audience)?;
            if client_id == inner.config.public_client_id {
                return Err(OAuthError::new(
                    StatusCode::BAD_REQUEST,
                    "unauthorized_client",
                    "A public client cannot use client_credentials: it has no credentials.",
                ));
            }
            let scope = requested_scope(&inner.config, params);
            let expires_in = inner.config.expires_in;
            Ok(inner.issue(grant_type, &client_id, &scope, expires_in, false, None))
        }
        "password" => {
            // The password grant's client is public (a first-party app): identified, not authenticated.
            let client_id = match &incoming.basic {
                Some(Ok((id, _))) => Some(id.as_str()),
                Some(Err(problem)) => return Err(OAuthError::invalid_client(problem.clone())),
                None => first(params, "client_id"),
            };
            let config = &inner.config;
            if client_id != Some(config.password_client_id.as_str()) {
                return Err(OAuthError::invalid_client(
                    "This client may not use the password grant.",
                ));
            }
            let user = first(params, "username");
            let password = first(params, "password");
            if user.is_none() || password.is_none() {
                return Err(OAuthError::invalid_request(
                    "username and password are required",
                ));
            }
            if user != Some(config.user_name.as_str()) || password != Some(config.password.as_str())
            {
                return Err(OAuthError::invalid_grant("Wrong user name or password."));
            }
            let scope = requested_scope(config, params);
            let client_id = config.password_client_id.clone();
            let expires_in = config.expires_in;
            Ok(inner.issue(grant_type, &client_id, &scope, expires_in, true, None))
        }
        DEVICE_GRANT => {
            let client_id = client(inner, incoming, audience)?;
            device::device_grant(inner, &client_id, params)
        }
        other => Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            format!("grant_type `{other}` is not supported here"),
        )),
    }
}

/// The authorization-code grant once the client is known: single use, same client, same
/// `redirect_uri`, and the PKCE verifier matching the challenge.
fn redeem_code(
    inner: &mut Inner,
    client_id: &str,
    params: &[(String, String)],
    with_refresh: bool,
) -> Result<Issued, OAuthError> {
    let code =
        first(params, "code").ok_or_else(|| OAuthError::invalid_request("code is missing"))?;
    let grant = inner.codes.remove(code).ok_or_else(|| {
        OAuthError::invalid_grant("The authorization code is invalid, expired or was already used.")
    })?;
    if grant.issued_at.elapsed() > CODE_LIFETIME {
        return Err(OAuthError::invalid_grant("The authorization code expired."));
    }
    if grant.client_id != client_id {
        return Err(OAuthError::invalid_grant(
            "The authorization code was issued to another client.",
        ));
    }
    let sent_redirect_uri = first(params, "redirect_uri");
    let redirect_ok = match (&grant.redirect_uri, sent_redirect_uri) {
        (Some(expected), Some(sent)) => expected == sent,
        (Some(_), None) => false,
        (None, None) => true,
        (None, Some(sent)) => inner.config.redirect_uris.iter().any(|r| r == sent),
    };
    if !redirect_ok {
        return Err(OAuthError::invalid_grant(
            "redirect_uri does not match the one of the authorization request.",
        ));
    }
    match (&grant.code_challenge, first(params, "code_verifier")) {
        (Some(_), None) => {
            return Err(OAuthError::invalid_grant(
                "code_verifier is missing (the authorization request used PKCE).",
            ));
        }
        (Some(challenge), Some(verifier)) => {
            if !is_pkce_value(verifier) || &s256(verifier) != challenge {
                return Err(OAuthError::invalid_grant(
                    "PKCE verification failed: code_verifier does not match code_challenge.",
                ));
            }
        }
        (None, Some(_)) => {
            return Err(OAuthError::invalid_grant(
                "code_verifier was sent but the authorization request had no code_challenge.",
            ));
        }
        (None, None) => {}
    }
    let expires_in = inner.config.expires_in;
    let offline_granted = grant.scope.split(' ').any(|s| s == "offline_access");
    let with_refresh =
        with_refresh && (offline_granted || !inner.config.refresh_needs_offline_access);
    let mut issued = inner.issue(
        "authorization_code",
        client_id,
        &grant.scope,
        expires_in,
        with_refresh,
        None,
    );
    let alg = inner.config.id_token_alg;
    if inner.config.jwt_access_tokens {
        inner.access_token_as_jwt(&mut issued, alg, &grant.issuer, client_id);
    }
    if grant.scope.split(' ').any(|s| s == "openid") {
        let nonce = inner.config.id_token_nonce.clone().or(grant.nonce);
        let mut token = id_token::sign(alg, &grant.issuer, client_id, nonce.as_deref(), expires_in);
        if inner.config.id_token_bad_signature {
            // Another claims part under the same signature: what an altered token looks like.
            let claims = URL_SAFE_NO_PAD.encode(r#"{"iss":"forged","sub":"mallory"}"#);
            let parts: Vec<&str> = token.split('.').collect();
            token = format!("{}.{claims}.{}", parts[0], parts[2]);
        }
        issued.id_token = Some(token);
        if let Some(last) = inner.issued.last_mut() {
            last.id_token.clone_from(&issued.id_token);
        }
    }
    Ok(issued)
}

fn requested_scope(config: &ProviderConfig, params: &[(String, String)]) -> String {
    first(params, "scope")
        .filter(|s| !s.is_empty())
        .unwrap_or(&config.default_scope)
        .to_owned()
}

/// The authenticated client's id: by its signed assertion when it sends one, else [`authenticate`].
fn client(inner: &mut Inner, incoming: &Incoming, audience: &str) -> Result<String, OAuthError> {
    if first(&incoming.body, "client_assertion").is_none()
        && first(&incoming.body, "client_assertion_type").is_none()
    {
        return authenticate(&inner.config, incoming);
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let clients = &inner.config.jwt_clients;
    assertion::authenticate(clients, &mut inner.used_jtis, incoming, audience, now)
}

/// Authenticates the client at the token endpoint and returns its id: the confidential client
/// by exactly the one method it is registered with (RFC 6749 §2.3.1), the public client by its
/// `client_id` in the body and nothing else (§2.1, §4.1.3, §6). Like certified providers, a
/// request without any client identification is `invalid_request`.
fn authenticate(config: &ProviderConfig, incoming: &Incoming) -> Result<String, OAuthError> {
    let body_id = first(&incoming.body, "client_id");
    let body_secret = first(&incoming.body, "client_secret");
    let failed = || {
        OAuthError::invalid_client("Client authentication failed: unknown client or wrong secret.")
    };
    let public_with_secret = || {
        OAuthError::invalid_client(
            "This is a public client (token_endpoint_auth_method none): it must not send a secret.",
        )
    };
    if incoming.basic.is_some() && body_secret.is_some() {
        return Err(OAuthError::invalid_request(
            "The client used two authentication methods (Basic header and client_secret in the body); use one.",
        ));
    }
    match &incoming.basic {
        Some(Err(problem)) => Err(OAuthError::invalid_client(problem.clone())),
        Some(Ok((id, secret))) => {
            if body_id.is_some_and(|body| body != id) {
                return Err(OAuthError::invalid_request(
                    "client_id in the body differs from the one in the Basic header.",
                ));
            }
            if *id == config.public_client_id {
                return Err(public_with_secret());
            }
            if *id != config.client_id || *secret != config.client_secret {
                return Err(failed());
            }
            if config.client_auth != ClientAuthMode::Basic {
                return Err(OAuthError::invalid_client(
                    "This client must send client_secret in the body (client_secret_post).",
                ));
            }
            Ok(id.clone())
        }
        None => match (body_id, body_secret) {
            (Some(id), Some(_)) if id == config.public_client_id => Err(public_with_secret()),
            (Some(id), Some(secret)) => {
                if id != config.client_id || secret != config.client_secret {
                    return Err(failed());
                }
                if config.client_auth != ClientAuthMode::Body {
                    return Err(OAuthError::invalid_client(
                        "This client must use HTTP Basic authentication (client_secret_basic).",
                    ));
                }
                Ok(id.to_owned())
            }
            (None, Some(_)) => Err(OAuthError::invalid_request(
                "client_secret was sent without client_id.",
            )),
            (Some(id), None) if id == config.public_client_id => Ok(id.to_owned()),
            (Some(id), None) if id == config.client_id => Err(OAuthError::invalid_client(
                "This client is confidential: it must authenticate with its secret.",
            )),
            (Some(_), None) => Err(failed()),
            (None, None) => Err(OAuthError::invalid_request(
                "no client authentication mechanism provided",
            )),
        },
    }
}

fn no_store_headers() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}

fn success_response(issued: &Issued, encoding: Encoding) -> Response {
    let mut fields: Vec<(&str, Value)> = vec![
        ("access_token", json!(issued.access_token)),
        ("token_type", json!("Bearer")),
        ("expires_in", json!(issued.expires_in)),
    ];
    if let Some(refresh_token) = &issued.refresh_token {
        fields.push(("refresh_token", json!(refresh_token)));
    }
    fields.push(("scope", json!(issued.scope)));
    if let Some(id_token) = &issued.id_token {
        fields.push(("id_token", json!(id_token)));
    }
    encode(StatusCode::OK, fields, encoding, false)
}

fn error_response(error: &OAuthError, encoding: Encoding) -> Response {
    let fields = vec![
        ("error", json!(error.code)),
        ("error_description", json!(error.description)),
    ];
    encode(
        error.status,
        fields,
        encoding,
        error.status == StatusCode::UNAUTHORIZED,
    )
}

fn encode(
    status: StatusCode,
    fields: Vec<(&str, Value)>,
    encoding: Encoding,
    challenge: bool,
) -> Response {
    let mut response = match encoding {
        Encoding::Json => {
            let object: Map<String, Value> =
                fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            (
                status,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json;charset=UTF-8"),
                )],
                Value::Object(object).to_string(),
            )
                .into_response()
        }
        Encoding::Form => {
            let mut serializer = form_urlencoded::Serializer::new(String::new());
            for (name, value) in fields {
                match value {
                    Value::String(s) => serializer.append_pair(name, &s),
                    other => serializer.append_pair(name, &other.to_string()),
                };
            }
            (
                status,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/x-www-form-urlencoded"),
                )],
                serializer.finish(),
            )
                .into_response()
        }
    };
    let headers = response.headers_mut();
    headers.extend(no_store_headers());
    if challenge {
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"mock-oauth\", charset=\"UTF-8\""),
        );
    }
    response
}

async fn exchange(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let incoming = match Incoming::parse(query, &HeaderMap::new(), &[]) {
        Ok(incoming) => incoming,
        Err(error) => return error_response(&error, Encoding::Json),
    };
    let mut inner = shared.lock();
    let response = match exchange_grant(&mut inner, &incoming.query) {
        Ok(issued) => {
            let body = json!({
                "access_token": issued.access_token,
                "token_type": "bearer",
                "expires_in": issued.expires_in,
            });
            let mut response = (
                StatusCode::OK,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json; charset=UTF-8"),
                )],
                body.to_string(),
            )
                .into_response();
            response.headers_mut().extend(no_store_headers());
            response
        }
        Err(error) => error_response(&error, Encoding::Json),
    };
    let record = incoming.record(&Method::GET, "/exchange", response.status());
    inner.requests.push(record);
    response
}

/// Facebook's `oauth/access_token`: by GET, the client in the query, and either the code
/// exchange (no `grant_type`) or `grant_type=fb_exchange_token`.
fn exchange_grant(inner: &mut Inner, query: &[(String, String)]) -> Result<Issued, OAuthError> {
    if let Some(name) = repeated(query) {
        return Err(OAuthError::invalid_request(format!(
            "the parameter `{name}` is repeated"
        )));
    }
    let config = &inner.config;
    if first(query, "client_id") != Some(config.client_id.as_str())
        || first(query, "client_secret") != Some(config.client_secret.as_str())
    {
        return Err(OAuthError::invalid_client(
            "Client authentication failed: unknown client or wrong secret.",
        ));
    }
    match first(query, "grant_type") {
        None if first(query, "code").is_some() => {
            let client_id = config.client_id.clone();
            // Facebook issues no refresh token: the long-lived exchange replaces it.
            return redeem_code(inner, &client_id, query, false);
        }
        Some("fb_exchange_token") => {}
        _ => {
            return Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "grant_type must be fb_exchange_token (or send a code without grant_type)",
            ));
        }
    }
    let token = first(query, "fb_exchange_token")
        .ok_or_else(|| OAuthError::invalid_request("fb_exchange_token is missing"))?;
    let valid = inner
        .access_tokens
        .get(token)
        .is_some_and(|g| g.client_id == config.client_id && g.expires_at > Instant::now());
    if !valid {
        return Err(OAuthError::invalid_grant(
            "The token to exchange is invalid or expired.",
        ));
    }
    let client_id = config.client_id.clone();
    let expires_in = config.exchanged_expires_in;
    let scope = config.default_scope.clone();
    Ok(inner.issue(
        "fb_exchange_token",
        &client_id,
        &scope,
        expires_in,
        false,
        None,
    ))
}

async fn echo(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let query = pairs(query.unwrap_or_default().as_bytes());
    let rows: String = query
        .iter()
        .map(|(name, value)| {
            format!(
                "<dt>{}</dt><dd id=\"param-{}\">{}</dd>",
                html_escape(name),
                html_escape(name),
                html_escape(value)
            )
        })
        .collect();
    let page = format!(
        "<!doctype html><title>Mock provider: your code</title>\
         <h1>Copy this into the wizard</h1><dl>{rows}</dl>"
    );
    let mut inner = shared.lock();
    inner.requests.push(Recorded {
        method: "GET".to_owned(),
        path: "/echo".to_owned(),
        query,
        body: Vec::new(),
        basic_client_id: None,
        content_type: None,
        status: 200,
    });
    Html(page).into_response()
}

async fn discovery(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    let base = &shared.base_url;
    let config = shared.lock().config.clone();
    let metadata = json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "device_authorization_endpoint": format!("{base}/device_authorization"),
        "jwks_uri": format!("{base}/jwks"),
        "userinfo_endpoint": format!("{base}/userinfo"),
        "revocation_endpoint": format!("{base}/revoke"),
        "introspection_endpoint": format!("{base}/introspect"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials", "password"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": config.token_endpoint_auth_methods,
        "scopes_supported": ["openid", "read", "write"],
        "authorization_response_iss_parameter_supported": true,
    });
    shared.lock().requests.push(Recorded {
        method: "GET".to_owned(),
        path: uri.path().to_owned(),
        query: Vec::new(),
        body: Vec::new(),
        basic_client_id: None,
        content_type: None,
        status: 200,
    });
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            // Real discovery documents are public; a browser may read them directly.
            (
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            ),
        ],
        metadata.to_string(),
    )
        .into_response()
}
