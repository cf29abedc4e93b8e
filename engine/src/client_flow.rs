//! Choosing the flow and the client authentication once, without losing what the user set up.
//!
//! Client-flow authorization (the authorization-code grant) is on when the settings have an
//! [`AuthorizationSettings`]. Switching it off parks those settings and the code exchange in a
//! [`ParkedFlow`], and the token request becomes the no-flow one; switching it on brings them back.
//! The token request therefore always matches the flow, and no choice wipes another.

use serde::{Deserialize, Serialize};

use crate::settings::{
    AuthorizationSettings, ClientAuth, Credentials, EndpointSettings, PkceMethod, ScopeSeparator,
    ServiceSettings, SpaceEncoding,
};
use crate::validate::Endpoint;

/// The settings of the flow not in use, kept so that switching back brings them back.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ParkedFlow {
    /// The authorization settings while client-flow authorization is off.
    pub authorization: Option<AuthorizationSettings>,
    /// The other flow's token request: the code exchange while the flow is off, the
    /// client-credentials (or password) request while it is on.
    pub token: Option<EndpointSettings>,
}

/// Parameters that belong to one grant and go when the request changes grant.
const GRANT_PARAMS: [&str; 6] = [
    "code",
    "redirect_uri",
    "code_verifier",
    "scope",
    "username",
    "password",
];

const CODE_GRANT: &str = "authorization_code";

impl AuthorizationSettings {
    /// An empty client flow with PKCE S256, every URL left for the user.
    pub fn blank() -> Self {
        Self {
            url: String::new(),
            scopes: Vec::new(),
            scope_separator: ScopeSeparator::Space,
            space_encoding: SpaceEncoding::Percent20,
            params: Vec::new(),
            pkce: PkceMethod::S256,
            callback_params: Vec::new(),
            redirect_uri: String::new(),
            issuer: String::new(),
            issuer_required: false,
            device_url: String::new(),
            jwks_uri: String::new(),
            userinfo_url: String::new(),
            revocation_url: String::new(),
            introspection_url: String::new(),
        }
    }
}

impl ServiceSettings {
    /// The settings "Customize OAuth settings" starts from: the standard RFC 6749 requests with
    /// every URL left for the user to fill in (a client flow, or client credentials without one).
    pub fn blank(client_flow: bool) -> Self {
        Self {
            client_id_label: "Client ID".to_owned(),
            variables: Vec::new(),
            authorization: client_flow.then(AuthorizationSettings::blank),
            token: EndpointSettings::blank_token(client_flow),
            refresh: Some(EndpointSettings::refresh_token("")),
            follow_up: None,
        }
    }
}

impl EndpointSettings {
    /// The blank token request: the code exchange with a client flow, client credentials without.
    pub fn blank_token(client_flow: bool) -> Self {
        if client_flow {
            Self::authorization_code("")
        } else {
            Self::client_credentials("")
        }
    }

    /// The RFC 6749 §4.4 client-credentials request at `url` (a template): `grant_type` and,
    /// when a scope is set, `scope`, form-encoded, Basic client auth.
    pub fn client_credentials(url: impl Into<String>) -> Self {
        let mut token = Self::authorization_code(url);
        token.convert(false);
        token
    }

    /// Turns this request into a code exchange (`code_exchange`) or a client-credentials
    /// request, keeping its URL, method, client authentication, headers and its other parameters.
    fn convert(&mut self, code_exchange: bool) {
        let keep = |param: &crate::settings::Param| !GRANT_PARAMS.contains(&param.name.as_str());
        self.body.retain(keep);
        self.query.retain(keep);
        let target = if self.method == crate::settings::HttpMethod::Get {
            &mut self.query
        } else {
            &mut self.body
        };
        let param = |name: &str, value: &str, optional: bool| crate::settings::Param {
            name: name.to_owned(),
            value: value.to_owned(),
            optional,
        };
        if !target.iter().any(|p| p.name == "grant_type") {
            target.insert(0, param("grant_type", "{grant_type}", false));
        }
        if code_exchange {
            self.grant_type = CODE_GRANT.to_owned();
            self.credentials = Credentials::Secret;
            target.extend([
                param("code", "{code}", false),
                param("redirect_uri", "{redirect_uri}", false),
                param("code_verifier", "{code_verifier}", true),
            ]);
        } else {
            self.grant_type = "client_credentials".to_owned();
            target.push(param("scope", "{scope}", true));
        }
    }
}

impl ServiceSettings {
    /// Whether client-flow authorization is on.
    pub fn client_flow(&self) -> bool {
        self.authorization.is_some()
    }

    /// Turns client-flow authorization on or off. Off: the authorization settings and the code
    /// exchange are parked, and the token request becomes the no-flow one parked before, else a
    /// client-credentials request. On: the parked ones come back (a blank flow the first time),
    /// else the token request becomes a code exchange. A request of the right kind is kept.
    pub fn set_client_flow(&mut self, on: bool, parked: &mut ParkedFlow) {
        if on == self.client_flow() {
            return;
        }
        if on {
            let authorization = parked
                .authorization
                .take()
                .unwrap_or_else(AuthorizationSettings::blank);
            self.authorization = Some(authorization);
        } else {
            parked.authorization = self.authorization.take();
        }
        let fits = |token: &EndpointSettings| (token.grant_type == CODE_GRANT) == on;
        if fits(&self.token) {
            return;
        }
        let replacement = match parked.token.take().filter(fits) {
            Some(mut token) => {
                if token.url.trim().is_empty() {
                    token.url = self.token.url.clone();
                }
                token
            }
            None => {
                let mut token = self.token.clone();
                token.convert(on);
                token
            }
        };
        parked.token = Some(std::mem::replace(&mut self.token, replacement));
    }

    /// Whether a refresh token can be expected: there are refresh settings, and the token request
    /// is not client credentials, which issue none (RFC 6749 §4.4.3: the client just asks again).
    pub fn expects_refresh_token(&self) -> bool {
        self.refresh.is_some() && self.token.grant_type != "client_credentials"
    }

    /// The client authentication of `which` request.
    pub fn client_auth(&self, which: Endpoint) -> Option<ClientAuth> {
        match which {
            Endpoint::Token => Some(self.token.client_auth),
            Endpoint::Refresh => self.refresh.as_ref().map(|r| r.client_auth),
            Endpoint::FollowUp => self.follow_up.as_ref().map(|f| f.client_auth),
        }
    }

    /// Chooses the client authentication of `which` request. The refresh request follows the
    /// bearer request's choice while the two agree, so the choice is made once; a different one
    /// chosen for the refresh stays.
    pub fn set_client_auth(&mut self, which: Endpoint, auth: ClientAuth) {
        match which {
            Endpoint::Token => {
                let before = self.token.client_auth;
                self.token.client_auth = auth;
                if let Some(refresh) = &mut self.refresh
                    && refresh.client_auth == before
                {
                    refresh.client_auth = auth;
                }
            }
            Endpoint::Refresh => {
                if let Some(refresh) = &mut self.refresh {
                    refresh.client_auth = auth;
                }
            }
            Endpoint::FollowUp => {
                if let Some(follow_up) = &mut self.follow_up {
                    follow_up.client_auth = auth;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
