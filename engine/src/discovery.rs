//! Authorization server discovery: RFC 8414 metadata and OpenID Connect Discovery 1.0.
//!
//! The caller fetches the URLs from [`discovery_urls`] in order and hands the first JSON answer
//! to [`parse_metadata`]; [`ServerMetadata::apply_to`] then fills in the service settings, and
//! [`ServerMetadata::decisions`] says what it chose and why.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::client_flow::ParkedFlow;
use crate::settings::{
    AuthorizationSettings, ClientAuth, EndpointSettings, PkceMethod, ServiceSettings,
};
use crate::template;

/// What discovery found about an authorization server.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerMetadata {
    /// The issuer identifier the server states.
    pub issuer: Option<String>,
    /// Where to send the user to authorize.
    pub authorization_endpoint: Option<String>,
    /// Where to exchange codes and refresh tokens.
    pub token_endpoint: Option<String>,
    /// Where a device asks for a user code (RFC 8628 §4).
    pub device_authorization_endpoint: Option<String>,
    /// The server's signing keys (RFC 8414 §2, OpenID Discovery §3).
    pub jwks_uri: Option<String>,
    /// OpenID Connect's userinfo endpoint.
    pub userinfo_endpoint: Option<String>,
    /// RFC 7009's revocation endpoint (RFC 8414 §2).
    pub revocation_endpoint: Option<String>,
    /// RFC 7662's introspection endpoint (RFC 8414 §2).
    pub introspection_endpoint: Option<String>,
    /// PKCE methods (`S256`, `plain`).
    pub code_challenge_methods_supported: Vec<String>,
    /// Client authentication methods (`client_secret_basic`, `client_secret_post`, `none` …).
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// Scopes the server advertises.
    pub scopes_supported: Vec<String>,
    /// Grant types (`authorization_code`, `refresh_token` …).
    pub grant_types_supported: Vec<String>,
    /// Whether the server sends `iss` in authorization responses (RFC 9207), so a response
    /// without it must be refused (see [`crate::callback::Callback::check_issuer`]).
    pub authorization_response_iss_parameter_supported: bool,
}

/// Why discovery failed.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DiscoveryError {
    /// The issuer is not an http(s) URL without query or fragment.
    #[error("The issuer must be an https:// address without `?` or `#` ({0})")]
    InvalidIssuer(String),
    /// The answer is not a JSON object.
    #[error("The discovery document is not a JSON object ({0})")]
    NotJson(String),
    /// An endpoint is not an http(s) URL.
    #[error("The discovery document's `{name}` is not an http(s) URL")]
    InvalidEndpoint {
        /// The metadata field.
        name: &'static str,
    },
    /// No token endpoint: the document is of no use here.
    #[error("The discovery document has no token_endpoint")]
    NoTokenEndpoint,
    /// The document names another issuer than the one asked (RFC 8414 §3.3): it must not be used.
    #[error("The discovery document is for issuer `{found}`, not `{expected}`")]
    IssuerMismatch {
        /// The issuer asked about.
        expected: String,
        /// The issuer the document states.
        found: String,
    },
}

const RFC8414_SUFFIX: &str = "/.well-known/oauth-authorization-server";
const OPENID_SUFFIX: &str = "/.well-known/openid-configuration";

/// The metadata URLs to try for `issuer`, in order: RFC 8414 (`/.well-known/oauth-authorization-server`
/// inserted before the issuer's path) and OpenID (`/.well-known/openid-configuration` appended).
/// A URL that already is a `/.well-known/` address is returned as is.
pub fn discovery_urls(issuer: &str) -> Result<Vec<String>, DiscoveryError> {
    let issuer = issuer.trim();
    let url = url::Url::parse(issuer)
        .map_err(|error| DiscoveryError::InvalidIssuer(error.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(DiscoveryError::InvalidIssuer(format!(
            "the scheme is `{}`",
            url.scheme()
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(DiscoveryError::InvalidIssuer(
            "it has a query or fragment".to_owned(),
        ));
    }
    if url.path().contains("/.well-known/") {
        return Ok(vec![url.into()]);
    }
    let path = url.path().trim_end_matches('/');
    let origin = url.origin().ascii_serialization();
    Ok(vec![
        format!("{origin}{RFC8414_SUFFIX}{path}"),
        format!("{origin}{path}{OPENID_SUFFIX}"),
    ])
}

/// Parses a discovery document.
pub fn parse_metadata(json: &str) -> Result<ServerMetadata, DiscoveryError> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|error| DiscoveryError::NotJson(error.to_string()))?;
    let serde_json::Value::Object(object) = value else {
        return Err(DiscoveryError::NotJson("it is not an object".to_owned()));
    };
    let text = |name: &str| {
        object
            .get(name)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    let list = |name: &str| -> Vec<String> {
        let items = object.get(name).and_then(serde_json::Value::as_array);
        items
            .into_iter()
            .flatten()
            .filter_map(|item| item.as_str().map(str::to_owned))
            .collect()
    };
    let endpoint = |name: &'static str| -> Result<Option<String>, DiscoveryError> {
        let Some(url) = text(name) else {
            return Ok(None);
        };
        match url::Url::parse(&url) {
            Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => Ok(Some(url)),
            _ => Err(DiscoveryError::InvalidEndpoint { name }),
        }
    };
    let metadata = ServerMetadata {
        issuer: text("issuer"),
        authorization_endpoint: endpoint("authorization_endpoint")?,
        token_endpoint: endpoint("token_endpoint")?,
        device_authorization_endpoint: endpoint("device_authorization_endpoint")?,
        jwks_uri: endpoint("jwks_uri")?,
        userinfo_endpoint: endpoint("userinfo_endpoint")?,
        revocation_endpoint: endpoint("revocation_endpoint")?,
        introspection_endpoint: endpoint("introspection_endpoint")?,
        code_challenge_methods_supported: list("code_challenge_methods_supported"),
        token_endpoint_auth_methods_supported: list("token_endpoint_auth_methods_supported"),
        scopes_supported: list("scopes_supported"),
        grant_types_supported: list("grant_types_supported"),
        authorization_response_iss_parameter_supported: object
            .get("authorization_response_iss_parameter_supported")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false),
    };
    if metadata.token_endpoint.is_none() {
        return Err(DiscoveryError::NoTokenEndpoint);
    }
    Ok(metadata)
}

impl ServerMetadata {
    /// Checks the document is about `expected` (RFC 8414 §3.3; a trailing `/` is ignored).
    pub fn check_issuer(&self, expected: &str) -> Result<(), DiscoveryError> {
        let normalize = |issuer: &str| issuer.trim().trim_end_matches('/').to_owned();
        match &self.issuer {
            Some(found) if normalize(found) == normalize(expected) => Ok(()),
            found => Err(DiscoveryError::IssuerMismatch {
                expected: expected.to_owned(),
                found: found.clone().unwrap_or_default(),
            }),
        }
    }

    /// The client authentication the server prefers: Basic when it supports `client_secret_basic`
    /// (also the RFC 8414 default when it lists nothing), otherwise in the body; nothing when it
    /// only accepts public clients.
    pub fn client_auth(&self) -> ClientAuth {
        let methods = &self.token_endpoint_auth_methods_supported;
        let supports = |method: &str| methods.iter().any(|m| m == method);
        if methods.is_empty() || supports("client_secret_basic") {
            ClientAuth::BasicHeader
        } else if methods.iter().all(|m| m == "none") {
            ClientAuth::None
        } else {
            ClientAuth::Body
        }
    }

    /// Fills in the authorization URL, the token and refresh URLs, PKCE (S256 if supported, else
    /// off), the issuer the authorization response's `iss` must match, and the client
    /// authentication (of both requests: it is chosen once). Settings it has nothing to say about
    /// are kept; a missing refresh section is created with the standard parameters.
    ///
    /// It never switches client-flow authorization on or off: that is the user's choice. While
    /// the flow is off, what it finds for the flow goes to the parked settings, ready for when
    /// the flow is ticked.
    pub fn apply_to(&self, settings: &mut ServiceSettings, parked: &mut ParkedFlow) {
        let client_auth = self.client_auth();
        let pkce = if self.supports_s256() {
            PkceMethod::S256
        } else {
            PkceMethod::None
        };
        // RFC 9207: the answer's `iss` is checked against the issuer the metadata names.
        let issuer = self.issuer.clone().unwrap_or_default();
        let issuer_required =
            self.authorization_response_iss_parameter_supported && !issuer.is_empty();
        if let Some(endpoint) = &self.authorization_endpoint {
            let flow = match &mut settings.authorization {
                Some(auth) => auth,
                None => parked
                    .authorization
                    .get_or_insert_with(AuthorizationSettings::blank),
            };
            // Discovered URLs are literal text, but settings URLs are templates.
            flow.url = template::escape(endpoint);
            flow.pkce = pkce;
            flow.issuer = issuer;
            flow.issuer_required = issuer_required;
            if let Some(device) = &self.device_authorization_endpoint {
                flow.device_url = template::escape(device);
            }
            for (found, field) in [
                (&self.jwks_uri, &mut flow.jwks_uri),
                (&self.userinfo_endpoint, &mut flow.userinfo_url),
                (&self.revocation_endpoint, &mut flow.revocation_url),
                (&self.introspection_endpoint, &mut flow.introspection_url),
            ] {
                if let Some(url) = found {
                    field.clone_from(url);
                }
            }
        }
        if let Some(endpoint) = &self.token_endpoint {
            let url = template::escape(endpoint);
            for token in std::iter::once(&mut settings.token).chain(parked.token.as_mut()) {
                token.url = url.clone();
                token.client_auth = client_auth;
            }
            let refresh = settings
                .refresh
                .get_or_insert_with(|| EndpointSettings::refresh_token(url.clone()));
            refresh.url = url;
            refresh.client_auth = client_auth;
        }
    }

    fn supports_s256(&self) -> bool {
        self.code_challenge_methods_supported
            .iter()
            .any(|m| m == "S256")
    }

    /// What [`ServerMetadata::apply_to`] decides, and why, for the user to check.
    pub fn decisions(&self) -> Vec<Decision> {
        let listed = |items: &[String]| {
            if items.is_empty() {
                "none listed".to_owned()
            } else {
                items.join(", ")
            }
        };
        let endpoint =
            |url: &Option<String>, missing: &str| url.clone().unwrap_or_else(|| missing.to_owned());
        let pkce = if self.supports_s256() {
            format!(
                "S256 (the service lists: {})",
                listed(&self.code_challenge_methods_supported)
            )
        } else {
            format!(
                "off (the service lists: {}; S256 is the only method sent)",
                listed(&self.code_challenge_methods_supported)
            )
        };
        let methods = &self.token_endpoint_auth_methods_supported;
        let chosen = self.client_auth();
        let why = if methods.is_empty() {
            "the service lists no method, and client_secret_basic is the standard's default"
                .to_owned()
        } else {
            format!("the service lists: {}", methods.join(", "))
        };
        let mut client_auth = format!("{} ({}; {why})", chosen.label(), chosen.method_name());
        if chosen == ClientAuth::None {
            client_auth.push_str(". A public client: client_id goes in the body, no secret");
        } else if methods.iter().any(|m| m == "none") {
            client_auth
                .push_str(". It also takes public clients: choose “None” if yours has no secret");
        }
        let issuer = match &self.issuer {
            Some(issuer) if self.authorization_response_iss_parameter_supported => {
                format!("{issuer} (its answers must name it: iss, RFC 9207)")
            }
            Some(issuer) => issuer.clone(),
            None => "not stated".to_owned(),
        };
        vec![
            Decision {
                key: "authorization-endpoint",
                label: "Authorization endpoint",
                value: endpoint(
                    &self.authorization_endpoint,
                    "none listed (no client-flow authorization)",
                ),
            },
            Decision {
                key: "token-endpoint",
                label: "Token endpoint",
                value: endpoint(&self.token_endpoint, "none listed"),
            },
            Decision {
                key: "pkce",
                label: "PKCE",
                value: pkce,
            },
            Decision {
                key: "client-auth",
                label: "Client authentication",
                value: client_auth,
            },
            Decision {
                key: "issuer",
                label: "Issuer",
                value: issuer,
            },
        ]
    }
}

/// One thing discovery decided, in words ([`ServerMetadata::decisions`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// A stable name (`client-auth`), for the page.
    pub key: &'static str,
    /// What it is about ("Client authentication").
    pub label: &'static str,
    /// What was chosen, and why.
    pub value: String,
}

#[cfg(test)]
mod tests;
