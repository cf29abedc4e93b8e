//! The self-test for custom services: after discovery, what the browser can check, turned into
//! recommended settings in words.
//!
//! The wizard asks the token endpoint from the page (a CORS probe: does the answer allow this
//! origin?) and reads the service's metadata; [`recommend`] says whether the relay is needed, which
//! PKCE method and client authentication to use, and what the grant list means for refreshes.

use crate::discovery::ServerMetadata;
use crate::settings::{ClientAuth, PkceMethod, ServiceSettings};

/// What the browser found when it called the token endpoint from this page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CorsProbe {
    /// The answer allowed this page's origin: calls can go straight from the browser.
    Allowed,
    /// The browser blocked the answer (no `Access-Control-Allow-Origin` for this page).
    Blocked,
    /// This page's own content security policy (`connect-src`) forbade the call, so the service
    /// was never asked: whether it allows CORS is unknown.
    BlockedByPage,
    /// Not tried (no token endpoint, or the probe could not run).
    NotTried,
}

/// How a recommendation reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Already as it should be, or good news.
    Ok,
    /// A setting to change.
    Change,
    /// Something the wizard cannot do for this service, or to expect.
    Warning,
}

/// One finding, with what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recommendation {
    /// A stable name (`relay`, `pkce`, `client-auth`, `refresh`, `issuer`), for test ids.
    pub key: &'static str,
    /// Good news, a change, or a warning.
    pub tone: Tone,
    /// The finding and the advice, in words.
    pub text: String,
}

/// Every client authentication the wizard can send, most usual first (the order recommendations pick in).
const SENDABLE: [ClientAuth; 5] = [
    ClientAuth::BasicHeader,
    ClientAuth::Body,
    ClientAuth::None,
    ClientAuth::PrivateKeyJwt,
    ClientAuth::ClientSecretJwt,
];

fn say(key: &'static str, tone: Tone, text: impl Into<String>) -> Recommendation {
    Recommendation {
        key,
        tone,
        text: text.into(),
    }
}

/// The recommendations for `settings`, from the service's `metadata` and the CORS probe.
pub fn recommend(
    metadata: &ServerMetadata,
    cors: CorsProbe,
    settings: &ServiceSettings,
) -> Vec<Recommendation> {
    let mut found = Vec::new();
    match cors {
        CorsProbe::Allowed => found.push(say(
            "relay",
            Tone::Ok,
            "The token endpoint accepts calls from this page (CORS), so the relay is not needed: tick “No relay” in Settings to call it straight from the browser.",
        )),
        CorsProbe::Blocked => found.push(say(
            "relay",
            Tone::Ok,
            "The token endpoint does not accept calls from this page (no CORS): the calls go through the relay, as set.",
        )),
        CorsProbe::BlockedByPage => found.push(say(
            "relay",
            Tone::Warning,
            "This page's content security policy does not allow calls to the token endpoint, so the wizard could not ask whether the service allows CORS: keep the relay (the relay's operator can allow the endpoint with --connect-origin).",
        )),
        CorsProbe::NotTried => {}
    }
    found.extend(pkce(metadata, settings));
    found.extend(client_auth(metadata, settings));
    let grants = &metadata.grant_types_supported;
    let refresh_listed = grants.iter().any(|g| g == "refresh_token");
    if !grants.is_empty() && settings.refresh.is_some() && !refresh_listed {
        found.push(say(
            "refresh",
            Tone::Warning,
            "The service does not list the refresh_token grant: expect no refresh token, and get a new code when the access token expires.",
        ));
    } else if refresh_listed {
        found.push(say(
            "refresh",
            Tone::Ok,
            "The service lists the refresh_token grant: a refresh token can renew the access token.",
        ));
    }
    if metadata.authorization_response_iss_parameter_supported {
        found.push(say(
            "issuer",
            Tone::Ok,
            "The service names itself in every authorization answer (iss): the wizard checks it.",
        ));
    }
    found
}

/// `settings` with the recommended PKCE method and client authentication; nothing else changes
/// (the URLs, scopes and parameters the user typed stay).
pub fn apply(metadata: &ServerMetadata, settings: &ServiceSettings) -> ServiceSettings {
    let mut applied = settings.clone();
    let methods = &metadata.code_challenge_methods_supported;
    if let Some(authorization) = applied.authorization.as_mut() {
        if methods.iter().any(|m| m == "S256") {
            authorization.pkce = PkceMethod::S256;
        } else if methods.iter().any(|m| m == "plain") {
            authorization.pkce = PkceMethod::None;
        }
    }
    let listed = &metadata.token_endpoint_auth_methods_supported;
    let supported = |auth: ClientAuth| listed.iter().any(|m| m == auth.method_name());
    if !listed.is_empty()
        && !supported(applied.token.client_auth)
        && let Some(auth) = SENDABLE.into_iter().find(|auth| supported(*auth))
    {
        applied.token.client_auth = auth;
    }
    applied
}

fn pkce(metadata: &ServerMetadata, settings: &ServiceSettings) -> Option<Recommendation> {
    let current = settings.authorization.as_ref()?.pkce;
    let methods = &metadata.code_challenge_methods_supported;
    let s256 = methods.iter().any(|m| m == "S256");
    Some(match (s256, current) {
        (true, PkceMethod::S256) => say(
            "pkce",
            Tone::Ok,
            "The service supports PKCE S256, and it is on.",
        ),
        (true, PkceMethod::None) => say(
            "pkce",
            Tone::Change,
            "The service supports PKCE S256: turn PKCE on in step 2's advanced options (it protects the code).",
        ),
        (false, _) if methods.iter().any(|m| m == "plain") => say(
            "pkce",
            Tone::Warning,
            "The service lists only the `plain` PKCE method, which the wizard does not send (RFC 9700 advises against it): leave PKCE off.",
        ),
        (false, PkceMethod::S256) => say(
            "pkce",
            Tone::Warning,
            "The service does not say it supports PKCE: if the authorization or the code exchange is refused, turn PKCE off.",
        ),
        (false, PkceMethod::None) => say(
            "pkce",
            Tone::Ok,
            "The service lists no PKCE method, and PKCE is off.",
        ),
    })
}

fn client_auth(metadata: &ServerMetadata, settings: &ServiceSettings) -> Option<Recommendation> {
    let methods = &metadata.token_endpoint_auth_methods_supported;
    let supported =
        |auth: ClientAuth| methods.is_empty() || methods.iter().any(|m| m == auth.method_name());
    let current = settings.token.client_auth;
    if supported(current) {
        return Some(say(
            "client-auth",
            Tone::Ok,
            format!(
                "The service accepts the chosen client authentication ({}).",
                current.label()
            ),
        ));
    }
    let usable = SENDABLE.into_iter().find(|auth| supported(*auth));
    Some(match usable {
        Some(auth) => say(
            "client-auth",
            Tone::Change,
            format!(
                "The service lists {}: choose client authentication “{}” in step 3.",
                methods.join(", "),
                auth.label()
            ),
        ),
        None => say(
            "client-auth",
            Tone::Warning,
            format!(
                "The service lists only {}, which the wizard cannot send (it sends a client secret, a signed JWT, or nothing for a public client).",
                methods.join(", ")
            ),
        ),
    })
}

#[cfg(test)]
mod tests;
