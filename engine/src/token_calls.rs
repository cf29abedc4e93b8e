//! The calls about a token once it is issued: OpenID userinfo, revocation (RFC 7009) and
//! introspection (RFC 7662). Their endpoints come from discovery or the preset; revocation and
//! introspection authenticate the client the way the token request does.

use crate::request::{BuildError, HttpRequest, endpoint_request};
use crate::settings::{ClientAuth, EndpointSettings, HttpMethod, Param, ServiceSettings};
use crate::validate::Endpoint;
use crate::vars::Vars;

/// Which call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenCall {
    /// `GET userinfo_endpoint` with the access token (OpenID Connect Core §5.3).
    Userinfo,
    /// `POST revocation_endpoint` `token=…` (RFC 7009 §2.1).
    Revoke,
    /// `POST introspection_endpoint` `token=…` (RFC 7662 §2.1).
    Introspect,
}

impl TokenCall {
    /// The endpoint's URL in the settings; empty when unknown.
    pub fn url(self, settings: &ServiceSettings) -> String {
        settings
            .authorization
            .as_ref()
            .map(|auth| match self {
                Self::Userinfo => auth.userinfo_url.clone(),
                Self::Revoke => auth.revocation_url.clone(),
                Self::Introspect => auth.introspection_url.clone(),
            })
            .unwrap_or_default()
    }

    /// The request, for `token` (the access token; revocation may take the refresh token).
    pub fn request(
        self,
        settings: &ServiceSettings,
        vars: &Vars,
        token: &str,
        token_type_hint: &str,
    ) -> Result<HttpRequest, BuildError> {
        let url = self.url(settings);
        if url.trim().is_empty() {
            return Err(BuildError::NoTokenCallEndpoint(self.name()));
        }
        if self == Self::Userinfo {
            return Ok(HttpRequest {
                method: HttpMethod::Get,
                url,
                headers: vec![
                    ("Accept".to_owned(), "application/json".to_owned()),
                    ("Authorization".to_owned(), format!("Bearer {token}")),
                ],
                body: None,
            });
        }
        let literal = |name: &str, value: &str| Param {
            name: name.to_owned(),
            value: crate::template::escape(value),
            optional: false,
        };
        let mut body = vec![
            literal("token", token),
            literal("token_type_hint", token_type_hint),
        ];
        // A public client names itself (RFC 7009 §2.1); the others authenticate as for tokens.
        if settings.token.client_auth == ClientAuth::None {
            body.push(Param {
                name: "client_id".to_owned(),
                value: "{client_id}".to_owned(),
                optional: false,
            });
        }
        let endpoint = EndpointSettings {
            url: crate::template::escape(&url),
            client_auth: settings.token.client_auth,
            credentials: settings.token.credentials,
            assertion: settings.token.assertion.clone(),
            body,
            ..EndpointSettings::client_credentials(String::new())
        };
        endpoint_request(settings, &endpoint, Endpoint::Token, vars)
    }

    /// The words for the button and messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Userinfo => "userinfo",
            Self::Revoke => "revocation",
            Self::Introspect => "introspection",
        }
    }

    /// What the answer means, in words: `None` for a success that speaks for itself.
    pub fn explain(self, status: u16, body: &str) -> String {
        let json: Option<serde_json::Value> = serde_json::from_str(body).ok();
        let field = |name: &str| {
            json.as_ref()
                .and_then(|v| v.get(name))
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        };
        if !(200..300).contains(&status) {
            let error = field("error").unwrap_or_else(|| format!("HTTP {status}"));
            let description = field("error_description")
                .map(|d| format!(": {d}"))
                .unwrap_or_default();
            let advice = match (self, error.as_str()) {
                (Self::Userinfo, "invalid_token" | "HTTP 401") => {
                    " The access token is expired, revoked or lacks the openid scope: get a new one."
                }
                (_, "invalid_client" | "HTTP 401") => {
                    " The service wants this client to authenticate here as at the token endpoint: check the client secret and client authentication."
                }
                (Self::Revoke, "unsupported_token_type") => {
                    " The service cannot revoke this kind of token (often: access tokens); revoke the refresh token instead."
                }
                _ => "",
            };
            return format!(
                "The {} endpoint refused ({error}{description}).{advice}",
                self.name()
            );
        }
        match self {
            Self::Revoke => {
                "Revoked: the service no longer accepts this token (RFC 7009 answers 200 even for a token it did not know).".to_owned()
            }
            Self::Introspect => match json.as_ref().and_then(|v| v.get("active")) {
                Some(serde_json::Value::Bool(true)) => "Active: the service accepts this token.".to_owned(),
                Some(serde_json::Value::Bool(false)) => {
                    "Not active: the token is expired, revoked, or not the service's.".to_owned()
                }
                _ => "The answer has no `active`: not an RFC 7662 introspection answer.".to_owned(),
            },
            Self::Userinfo => "The service's answer about the signed-in user:".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests;
