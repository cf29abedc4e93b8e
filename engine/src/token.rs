//! Parsing a token endpoint's answer: the tokens, or an error a user can act on.
//!
//! Services answer in JSON (RFC 6749 §5.1) or, like GitHub by default, form-encoded; errors come
//! as RFC 6749 §5.2 objects, in a handful of non-standard shapes, or as an HTML page.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;
use thiserror::Error;

use crate::settings::ClientAuth;

/// The longest excerpt of an unreadable body shown in an error, in characters.
pub const EXCERPT_LEN: usize = 200;

/// A successful token response. (De)serializes with every token in clear, for export and storage.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TokenResponse {
    /// The bearer token.
    pub access_token: String,
    /// Usually `Bearer`.
    pub token_type: Option<String>,
    /// Lifetime in seconds; `None` when not sent or 0 (no known expiry).
    pub expires_in: Option<u64>,
    /// The refresh token, if one was issued.
    pub refresh_token: Option<String>,
    /// The refresh token's lifetime in seconds, under whichever common name the service uses.
    pub refresh_token_expires_in: Option<u64>,
    /// The granted scope.
    pub scope: Option<String>,
    /// The OpenID Connect ID token.
    pub id_token: Option<String>,
    /// Every field of the response, for display.
    pub fields: BTreeMap<String, Value>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hidden = |present: bool| if present { "••••••" } else { "-" };
        f.debug_struct("TokenResponse")
            .field("access_token", &hidden(true))
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("refresh_token", &hidden(self.refresh_token.is_some()))
            .field("refresh_token_expires_in", &self.refresh_token_expires_in)
            .field("scope", &self.scope)
            .field("id_token", &hidden(self.id_token.is_some()))
            .field("fields", &self.fields.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Why a token response gives no token.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum TokenError {
    /// An OAuth error response (RFC 6749 §5.2, or a common non-standard shape of one).
    #[error("The token endpoint answered {status} with error `{error}`{}{}",
        .description.as_deref().map(|d| format!(": {d}")).unwrap_or_default(),
        .uri.as_deref().map(|u| format!(" (more: {u})")).unwrap_or_default())]
    OAuth {
        /// HTTP status.
        status: u16,
        /// The error code, e.g. `invalid_grant`.
        error: String,
        /// `error_description` or the service's message.
        description: Option<String>,
        /// `error_uri`.
        uri: Option<String>,
    },
    /// A non-2xx answer that is not an OAuth error (an HTML page, an empty body …).
    #[error("The token endpoint answered HTTP {status}{}",
        if .excerpt.is_empty() { " with an empty body".to_owned() } else { format!(": {}", .excerpt) })]
    Http {
        /// HTTP status.
        status: u16,
        /// The start of the body as plain text (at most [`EXCERPT_LEN`] characters).
        excerpt: String,
    },
    /// A 2xx answer whose body is neither JSON nor form data.
    #[error("The token endpoint answered {status}, but the body is neither JSON nor form data{}",
        if .excerpt.is_empty() { " (it is empty)".to_owned() } else { format!(": {}", .excerpt) })]
    Unreadable {
        /// HTTP status.
        status: u16,
        /// The start of the body as plain text.
        excerpt: String,
    },
    /// A 2xx answer without an `access_token`.
    #[error("The response has no access_token (its fields: {})", if .fields.is_empty() { "none".to_owned() } else { .fields.join(", ") })]
    MissingAccessToken {
        /// The names of the fields it has.
        fields: Vec<String>,
    },
}

impl TokenError {
    /// Whether the service complains about the redirect URI (`redirect_uri_mismatch`, or an
    /// `invalid_grant` whose description names the redirect): services word it differently, but
    /// each names the redirect in the code or the description.
    pub fn is_redirect_mismatch(&self) -> bool {
        let Self::OAuth {
            error, description, ..
        } = self
        else {
            return false;
        };
        let mentions_redirect = |text: &str| text.to_ascii_lowercase().contains("redirect");
        mentions_redirect(error) || description.as_deref().is_some_and(mentions_redirect)
    }

    /// Advice for the common mistakes, if this error points at one.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Self::OAuth { error, .. } => {
                if self.is_redirect_mismatch() {
                    return Some(
                        "The redirect URI must match the registration exactly (scheme, host, port, path and trailing slash), in step 2 and in the token request.",
                    );
                }
                match error.as_str() {
                    "invalid_client" | "unauthorized" => Some(
                        "Check the client ID and secret, or try the other client-authentication method (Basic header ↔ in body).",
                    ),
                    "invalid_grant" => {
                        Some("The code or refresh token was used or has expired: run step 2 again.")
                    }
                    "unauthorized_client" => Some(
                        "The client is not allowed this grant type: check the grant types enabled in the app registration.",
                    ),
                    "invalid_scope" => Some(
                        "A requested scope is unknown or not granted to this client: check the scope list.",
                    ),
                    "unsupported_grant_type" => Some(
                        "The service does not accept this grant type: check the grant type setting.",
                    ),
                    "invalid_request" => Some(
                        "A parameter is missing or malformed: compare the request preview with the service's documentation.",
                    ),
                    _ => None,
                }
            }
            Self::Http { status: 401, .. } => Some(
                "Check the client ID and secret, or try the other client-authentication method (Basic header ↔ in body).",
            ),
            Self::Http {
                status: 404 | 405, ..
            } => Some("Check the token URL and the HTTP method."),
            Self::Unreadable { .. } => {
                Some("Check the token URL: it answered with something other than a token response.")
            }
            Self::Http { .. } | Self::MissingAccessToken { .. } => None,
        }
    }
}

impl TokenError {
    /// [`TokenError::hint`], made precise for the client authentication the request used:
    /// `invalid_request` usually means the service expected the client to identify itself
    /// another way, and `invalid_client` without a secret means it wants one.
    pub fn hint_for(&self, client_auth: ClientAuth) -> Option<&'static str> {
        let Self::OAuth { error, .. } = self else {
            return self.hint();
        };
        match (error.as_str(), client_auth) {
            ("invalid_request", ClientAuth::None) => Some(
                "A public client (client authentication “None”) must send client_id in the body and no secret, and the code exchange needs the PKCE code_verifier: check the client ID and the request preview.",
            ),
            ("invalid_request", ClientAuth::BasicHeader) => Some(
                "With “Basic header” the client ID and secret go in the Authorization header only. A service that expects them in the body (client_secret_post), or a public client without a secret (“None”), answers like this: try the other choice.",
            ),
            ("invalid_request", ClientAuth::Body) => Some(
                "With “In the body” client_id and client_secret go in the body only. A service that expects a Basic header (client_secret_basic), or a public client without a secret (“None”), answers like this: try the other choice.",
            ),
            ("invalid_client" | "unauthorized", ClientAuth::PrivateKeyJwt) => Some(
                "The service refused the signed assertion: check that it holds the public key (or certificate) of this private key under the key id sent, that the algorithm is one it accepts, and that this computer's clock is right (the assertion lives a few minutes).",
            ),
            ("invalid_client" | "unauthorized", ClientAuth::ClientSecretJwt) => Some(
                "The service refused the assertion signed with the client secret: check the secret, that the client is registered for client_secret_jwt, and that this computer's clock is right.",
            ),
            ("invalid_client" | "unauthorized", ClientAuth::None) => Some(
                "The service wants this client to authenticate: type the client secret and choose client authentication “Basic header” or “In the body”.",
            ),
            _ => self.hint(),
        }
    }
}

impl TokenResponse {
    /// Keeps `previous` as the refresh token when the response brings none; a new one replaces it
    /// (services that rotate refresh tokens invalidate the old one).
    pub fn keep_refresh_token(&mut self, previous: Option<&str>) {
        if self.refresh_token.as_deref().is_none_or(str::is_empty) {
            self.refresh_token = previous
                .filter(|token| !token.is_empty())
                .map(str::to_owned);
        }
    }

    /// When the access token expires, given when the response was received (both in the caller's
    /// time unit, e.g. Unix seconds); `None` without a known expiry.
    pub fn expires_at(&self, received_at: u64) -> Option<u64> {
        self.expires_in
            .map(|seconds| received_at.saturating_add(seconds))
    }
}

/// Parses a token endpoint's answer. `content_type` decides JSON or form data; without a useful
/// one, the body is sniffed.
pub fn parse_token_response(
    status: u16,
    content_type: Option<&str>,
    body: &str,
) -> Result<TokenResponse, TokenError> {
    parse_token_response_at(
        status,
        content_type,
        body,
        &crate::wrapped::TokenPath::top_level(),
    )
}

/// [`parse_token_response`] for a service that wraps its answer: `path` says where the access
/// token is (`data[0].access_token`), and the other fields are read beside it. A body where the
/// path leads nowhere is read at the top level, so a service that documents a wrapped shape but
/// answers flat still works. Errors are always read at the top level.
pub fn parse_token_response_at(
    status: u16,
    content_type: Option<&str>,
    body: &str,
    path: &crate::wrapped::TokenPath,
) -> Result<TokenResponse, TokenError> {
    let success = (200..300).contains(&status);
    let Some(fields) = parse_fields(content_type, body) else {
        let excerpt = excerpt(body);
        return Err(if success {
            TokenError::Unreadable { status, excerpt }
        } else {
            TokenError::Http { status, excerpt }
        });
    };
    if let Some(error) = oauth_error(status, &fields) {
        return Err(error);
    }
    if !success {
        return Err(TokenError::Http {
            status,
            excerpt: excerpt(body),
        });
    }
    let (fields, token_name) = match path.find(&fields) {
        Some((inner, name)) => (inner, name),
        None => (fields, "access_token"),
    };
    let text = |name: &str| {
        fields
            .get(name)
            .and_then(value_text)
            .filter(|value| !value.is_empty())
    };
    let Some(access_token) = text(token_name) else {
        return Err(TokenError::MissingAccessToken {
            fields: fields.keys().cloned().collect(),
        });
    };
    let lifetime = |names: &[&str]| {
        names
            .iter()
            .find_map(|name| fields.get(*name))
            .and_then(seconds)
    };
    Ok(TokenResponse {
        access_token,
        token_type: text("token_type"),
        // `expires` is what Facebook's older API versions sent.
        expires_in: lifetime(&["expires_in", "expires"]),
        refresh_token: text("refresh_token"),
        refresh_token_expires_in: lifetime(&[
            "refresh_token_expires_in",
            "x_refresh_token_expires_in",
            "refresh_expires_in",
        ]),
        scope: fields.get("scope").and_then(scope_text),
        id_token: text("id_token"),
        fields,
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Form,
}

/// The body's fields, or `None` if it is neither a JSON object nor form data.
fn parse_fields(content_type: Option<&str>, body: &str) -> Option<BTreeMap<String, Value>> {
    let declared = content_type.map(str::to_ascii_lowercase).and_then(|ct| {
        if ct.contains("json") {
            Some(Format::Json)
        } else if ct.contains("x-www-form-urlencoded") {
            Some(Format::Form)
        } else {
            None
        }
    });
    let sniffed = if body.trim_start().starts_with('{') {
        Format::Json
    } else {
        Format::Form
    };
    let mut formats = vec![declared.unwrap_or(sniffed)];
    if declared.is_some_and(|declared| declared != sniffed) {
        // Services mislabel bodies (JSON sent as text/html or as form data); try what it looks like.
        formats.push(sniffed);
    }
    formats.into_iter().find_map(|format| match format {
        Format::Json => match serde_json::from_str::<Value>(body) {
            // `extend` inserts one by one; `collect()` would add a stable sort to the wasm.
            Ok(Value::Object(object)) => {
                let mut fields = BTreeMap::new();
                fields.extend(object);
                Some(fields)
            }
            _ => None,
        },
        Format::Form => parse_form(body),
    })
}

fn parse_form(body: &str) -> Option<BTreeMap<String, Value>> {
    let body = body.trim();
    let is_form = !body.is_empty()
        && body.split('&').all(|pair| {
            pair.split_once('=').is_some_and(|(name, _)| {
                !name.is_empty()
                    && name.bytes().all(|b| {
                        b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'%')
                    })
            })
        });
    if !is_form {
        return None;
    }
    let mut fields = BTreeMap::new();
    for (name, value) in form_urlencoded::parse(body.as_bytes()) {
        fields
            .entry(name.into_owned())
            .or_insert_with(|| Value::String(value.into_owned()));
    }
    Some(fields)
}

/// Recognises an error in the fields: RFC 6749 §5.2, Facebook's `{"error": {"message", "type"}}`,
/// `{"errors": [{"message"}]}`, Okta's `errorCode`/`errorSummary`, or a bare `message`.
fn oauth_error(status: u16, fields: &BTreeMap<String, Value>) -> Option<TokenError> {
    let text = |name: &str| {
        fields
            .get(name)
            .and_then(value_text)
            .filter(|value| !value.is_empty())
    };
    let oauth =
        |error: String, description: Option<String>, uri: Option<String>| TokenError::OAuth {
            status,
            error,
            description,
            uri,
        };
    match fields.get("error") {
        Some(Value::String(error)) if !error.is_empty() => {
            return Some(oauth(
                error.clone(),
                text("error_description"),
                text("error_uri"),
            ));
        }
        Some(Value::Object(inner)) => {
            let inner_text = |name: &str| {
                inner
                    .get(name)
                    .and_then(value_text)
                    .filter(|value| !value.is_empty())
            };
            let error = inner_text("type")
                .or_else(|| inner_text("code"))
                .unwrap_or_else(|| "error".to_owned());
            return Some(oauth(
                error,
                inner_text("message").or_else(|| inner_text("error_user_msg")),
                None,
            ));
        }
        _ => {}
    }
    if let Some(Value::Array(errors)) = fields.get("errors")
        && let Some(Value::Object(first)) = errors.first()
    {
        let first_text = |name: &str| {
            first
                .get(name)
                .and_then(value_text)
                .filter(|value| !value.is_empty())
        };
        let error = first_text("code")
            .or_else(|| first_text("type"))
            .unwrap_or_else(|| "error".to_owned());
        return Some(oauth(
            error,
            first_text("message").or_else(|| first_text("detail")),
            None,
        ));
    }
    if let Some(code) = text("errorCode") {
        return Some(oauth(code, text("errorSummary"), None));
    }
    if fields.contains_key("access_token") {
        return None;
    }
    let message = text("error_message").or_else(|| text("message"))?;
    let error = ["code", "error_code", "status"]
        .iter()
        .find_map(|name| text(name))
        .unwrap_or_else(|| "error".to_owned());
    Some(oauth(error, Some(message), None))
}

/// A string or number as text.
fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// A scope as a string, or an array of scopes joined with spaces.
fn scope_text(value: &Value) -> Option<String> {
    match value {
        Value::Array(items) => {
            let scopes: Vec<String> = items.iter().filter_map(value_text).collect();
            (!scopes.is_empty()).then(|| scopes.join(" "))
        }
        other => value_text(other).filter(|scope| !scope.is_empty()),
    }
}

/// A lifetime in whole seconds from a number or a numeric string (`"3600"`, `"3600.7"`); 0,
/// negative or unreadable → `None`.
fn seconds(value: &Value) -> Option<u64> {
    let number = match value {
        Value::Number(number) => number.as_u64().or_else(|| {
            number
                .as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0)
                .map(|f| f as u64)
        }),
        Value::String(text) => {
            // The whole part of a decimal: parsing the string as an `f64` would add a float
            // parser to the wasm for a form no service sends (exponents).
            let (whole, fraction) = text.trim().split_once('.').unwrap_or((text.trim(), "0"));
            if fraction.bytes().all(|b| b.is_ascii_digit()) {
                whole.parse::<u64>().ok()
            } else {
                None
            }
        }
        _ => None,
    };
    number.filter(|&seconds| seconds > 0)
}

/// The body as one line of plain text, at most [`EXCERPT_LEN`] characters (markup is kept as text,
/// never interpreted).
pub fn excerpt(body: &str) -> String {
    let words: Vec<&str> = body
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect();
    let line = words.join(" ");
    if line.chars().count() <= EXCERPT_LEN {
        return line;
    }
    let mut cut: String = line.chars().take(EXCERPT_LEN - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests;
