//! The second exchange some services need right after the code exchange.
//!
//! Instagram's code exchange gives a one-hour token that cannot be refreshed; a GET with
//! `grant_type=ig_exchange_token` turns it into the 60-day token the refresh works on. A preset
//! describes that request as data ([`ServiceSettings::follow_up`], an ordinary
//! [`EndpointSettings`] whose `{token}` is the first answer's access token); the wizard and `otw`
//! send it as soon as the code exchange succeeds and keep [`merge`]'s result.

use crate::request::{BuildError, HttpRequest, endpoint_request};
use crate::settings::{EndpointSettings, ServiceSettings};
use crate::token::{TokenError, TokenResponse, parse_token_response_at};
use crate::validate::Endpoint;
use crate::vars::Vars;
use crate::wrapped::TokenPath;

/// The follow-up request after a code exchange that answered `first`, or `None` when the service
/// has no follow-up exchange. `vars` are the values the code exchange was built from.
pub fn follow_up_request(
    settings: &ServiceSettings,
    vars: &Vars,
    first: &TokenResponse,
) -> Option<Result<HttpRequest, BuildError>> {
    let follow_up = settings.follow_up.as_ref()?;
    let mut vars = vars.clone();
    vars.set("token", first.access_token.clone());
    if let Some(refresh_token) = &first.refresh_token {
        vars.set("refresh_token", refresh_token.clone());
    }
    Some(endpoint_request(
        settings,
        follow_up,
        Endpoint::FollowUp,
        &vars,
    ))
}

/// Parses an answer of `endpoint`, reading the token where its `token_path` says.
pub fn parse_endpoint_response(
    endpoint: &EndpointSettings,
    status: u16,
    content_type: Option<&str>,
    body: &str,
) -> Result<TokenResponse, TokenError> {
    // `validate` refuses a path that does not parse; one that slipped through reads the top level.
    let path = TokenPath::parse(&endpoint.token_path).unwrap_or_else(|_| TokenPath::top_level());
    parse_token_response_at(status, content_type, body, &path)
}

/// The tokens after the follow-up: its access token and lifetime replace the first answer's; a
/// refresh token, scope or ID token it does not bring is kept from the first answer.
pub fn merge(first: TokenResponse, second: TokenResponse) -> TokenResponse {
    let mut fields = first.fields;
    fields.extend(second.fields);
    let mut merged = TokenResponse {
        access_token: second.access_token,
        token_type: second.token_type.or(first.token_type),
        expires_in: second.expires_in,
        refresh_token: second.refresh_token,
        refresh_token_expires_in: second.refresh_token_expires_in,
        scope: second.scope.or(first.scope),
        id_token: second.id_token.or(first.id_token),
        fields,
    };
    if merged.refresh_token.as_deref().is_none_or(str::is_empty) {
        merged.refresh_token = first.refresh_token;
        merged.refresh_token_expires_in = first.refresh_token_expires_in;
    }
    merged
}

#[cfg(test)]
mod tests;
