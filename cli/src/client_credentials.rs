//! Services without a sign-in: the token comes from the client credentials grant (RFC 6749
//! §4.4), asked for again whenever it runs out — there is no refresh token (§4.4.3). `otw login`
//! asks for the first token with [`issue`]; the keeper re-issues with the same request.

use engine::token::{TokenError, TokenResponse};
use engine::{ClientAuth, Endpoint, ServiceSettings, Vars};

use crate::error::{Error, Result};
use crate::keeper::TokenAnswerError;
use crate::login::{Authorization, Authorized};

/// Whether `settings` get their tokens by client credentials: no client flow, and the bearer
/// request's grant is `client_credentials`.
pub fn reissues(settings: &ServiceSettings) -> bool {
    settings.authorization.is_none() && settings.token.grant_type == "client_credentials"
}

/// One client-credentials request for profile `name` (its assertion signed afresh, in a copy of
/// `vars`: it is for this request only) and its parsed answer.
pub fn issue(
    name: &str,
    settings: &ServiceSettings,
    vars: &Vars,
) -> Result<TokenResponse, TokenAnswerError> {
    let settings_error = |detail: String| {
        TokenAnswerError::Other(Error::Settings {
            name: name.to_owned(),
            what: "client credentials request",
            detail,
        })
    };
    let mut vars = vars.clone();
    crate::sign::sign_assertion(settings, Endpoint::Token, &mut vars).map_err(settings_error)?;
    let request = engine::request::token_request(settings, &vars)
        .map_err(|error| settings_error(error.to_string()))?;
    let answer = crate::http::send(&request).map_err(TokenAnswerError::Other)?;
    engine::follow_up::parse_endpoint_response(
        &settings.token,
        answer.status,
        answer.content_type.as_deref(),
        &answer.body,
    )
    .map_err(
        |error| match refused_client(name, settings.token.client_auth, &error) {
            Some(refused) => TokenAnswerError::Other(refused),
            None => crate::keeper::classify(name, error),
        },
    )
}

/// `invalid_client` (or a bare 401): the secret or the assertion was refused, in words that say
/// which credential to fix and how to store a new one.
fn refused_client(name: &str, auth: ClientAuth, error: &TokenError) -> Option<Error> {
    let refused = match error {
        TokenError::OAuth { error: code, .. } => code == "invalid_client",
        TokenError::Http { status, .. } => *status == 401,
        _ => false,
    };
    if !refused {
        return None;
    }
    let fix = match auth {
        ClientAuth::PrivateKeyJwt => format!(
            "{} To use another key: `otw login {name} --private-key-file FILE`",
            error.hint_for(auth).unwrap_or_default()
        ),
        ClientAuth::ClientSecretJwt => format!(
            "{} To store the right secret: `otw login {name} --client-secret-file FILE`",
            error.hint_for(auth).unwrap_or_default()
        ),
        _ => format!(
            "check the client ID and the client secret (and whether the service wants them in a Basic header or in the body); to store the right secret: `otw login {name} --client-secret-file FILE`"
        ),
    };
    Some(Error::ClientRefused {
        name: name.to_owned(),
        detail: error.to_string(),
        fix,
    })
}

/// `otw login` for a client-credentials service: the first token, no browser.
pub fn authorize(auth: Authorization<'_>) -> Result<Authorized> {
    let response = issue(auth.name, auth.settings, &auth.values).map_err(|error| match error {
        TokenAnswerError::InvalidGrant(detail) => Error::Rejected {
            name: auth.name.to_owned(),
            detail,
            hint: None,
        },
        TokenAnswerError::Other(error) => error,
    })?;
    Ok(Authorized {
        response,
        values: auth.values,
    })
}
