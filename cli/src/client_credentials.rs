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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_without_a_sign_in_reissue_by_client_credentials() {
        let netsuite = presets::by_id("netsuite-m2m").expect("the NetSuite M2M preset");
        assert!(reissues(&netsuite.settings));
        assert!(reissues(&ServiceSettings::blank(false)));
        assert!(!reissues(&ServiceSettings::blank(true)));
        let github = presets::by_id("github").expect("the GitHub preset");
        assert!(!reissues(&github.settings));
        let mut password = ServiceSettings::blank(false);
        password.token.grant_type = "password".to_owned();
        assert!(
            !reissues(&password),
            "no sign-in, but not client credentials"
        );
    }

    fn oauth(code: &str, status: u16) -> TokenError {
        TokenError::OAuth {
            status,
            error: code.to_owned(),
            description: Some("no".to_owned()),
            uri: None,
        }
    }

    #[test]
    fn a_refused_client_is_told_which_credential_to_fix() {
        let words = |auth, error: &TokenError| {
            refused_client("work", auth, error).map(|error| error.to_string())
        };
        let basic = words(ClientAuth::BasicHeader, &oauth("invalid_client", 401)).unwrap();
        assert!(basic.contains("client secret"), "{basic}");
        assert!(
            basic.contains("otw login work --client-secret-file FILE"),
            "{basic}"
        );
        let jwt = words(ClientAuth::PrivateKeyJwt, &oauth("invalid_client", 401)).unwrap();
        assert!(jwt.contains("signed assertion"), "{jwt}");
        assert!(
            jwt.contains("otw login work --private-key-file FILE"),
            "{jwt}"
        );
        let bare = TokenError::Http {
            status: 401,
            excerpt: String::new(),
        };
        assert!(words(ClientAuth::Body, &bare).is_some());
        assert_eq!(
            words(ClientAuth::BasicHeader, &oauth("invalid_scope", 400)),
            None
        );
        assert_eq!(
            Error::ClientRefused {
                name: "work".to_owned(),
                detail: String::new(),
                fix: String::new(),
            }
            .exit_code(),
            crate::error::EXIT_USAGE
        );
    }
}
