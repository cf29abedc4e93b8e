//! Handing out a valid access token without ever losing the refresh token.
//!
//! 1. Read the profile without a lock; a token with more than the margin left is handed out
//!    (no lock, no HTTP client).
//! 2. Otherwise: join the process's one refresh of this profile (single flight), take the
//!    store's lock (bounded wait), and read again — a peer may have refreshed meanwhile; then its
//!    result is used.
//! 3. Re-issue with the engine's request — the refresh (with the refresh token or, for services
//!    that exchange it, the access token), or client credentials for services without a
//!    sign-in, which spend no grant; the new tokens (the old refresh token kept when none
//!    comes back) are written atomically *before* the token is handed out.
//! 4. On `invalid_grant`, read again: if the stored refresh token changed, use that; if not, a
//!    new authorization is needed (exit 3). Nothing is ever deleted because of an error.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use engine::token::{TokenError, parse_token_response};

use crate::error::{Error, Result};
use crate::profile::{Profile, Tokens};
use crate::store::Store;

/// OAuth error codes that say "retry later" rather than "fix something".
const TEMPORARY_ERRORS: &[&str] = &["temporarily_unavailable", "server_error", "slow_down"];

/// What a caller wants.
#[derive(Clone, Copy, Debug, Default)]
pub struct Want {
    /// Hand out a stored token only with at least this much left (`None`: the default margin).
    pub min_ttl: Option<Duration>,
    /// Refresh even if the stored token is fresh (unless a peer refreshed while we waited).
    pub force: bool,
}

/// The keeper of one store's tokens.
pub struct Keeper<'s> {
    store: &'s dyn Store,
    lock_wait: Duration,
    in_flight: Mutex<HashMap<String, Arc<Mutex<()>>>>,
}

/// Unix time in milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or_default()
}

impl<'s> Keeper<'s> {
    /// A keeper over `store` that waits at most `lock_wait` for a profile's lock.
    pub fn new(store: &'s dyn Store, lock_wait: Duration) -> Self {
        Self {
            store,
            lock_wait,
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    /// The store.
    pub fn store(&self) -> &'s dyn Store {
        self.store
    }

    /// How long it waits for a profile's lock.
    pub fn lock_wait(&self) -> Duration {
        self.lock_wait
    }

    fn load(&self, name: &str) -> Result<Profile> {
        self.store.load(name)?.ok_or_else(|| Error::NotFound {
            name: name.to_owned(),
            store: self.store.describe(),
        })
    }

    /// A valid access token for `name`, refreshed first when needed.
    pub fn token(&self, name: &str, want: Want) -> Result<Tokens> {
        let seen = self.load(name)?;
        if !want.force && seen.tokens.is_fresh(now_ms(), want.min_ttl) {
            return Ok(seen.tokens);
        }
        // One refresh per profile per process: later callers wait here, then find it done.
        let gate = {
            let mut in_flight = self
                .in_flight
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            in_flight.entry(name.to_owned()).or_default().clone()
        };
        let _one_at_a_time = gate.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut guard = self.store.lock(name, self.lock_wait)?;
        let mut current = guard.load()?.ok_or_else(|| Error::NotFound {
            name: name.to_owned(),
            store: self.store.describe(),
        })?;
        let peer_refreshed = current.tokens.generation != seen.tokens.generation;
        if (peer_refreshed || !want.force) && current.tokens.is_fresh(now_ms(), want.min_ttl) {
            return Ok(current.tokens);
        }
        // What re-issues the token: the refresh token, the access token itself (`{token}`:
        // Instagram, Facebook exchange it), or for services without a sign-in the client
        // credentials, which spend nothing.
        let how = Reissue::of(&current.settings);
        let grant = |tokens: &Tokens| match how {
            Reissue::Refresh => tokens.refresh_token.clone(),
            Reissue::ExchangeToken => tokens.access_token.clone(),
            Reissue::ClientCredentials => None,
        };
        // At most twice: once more only when the stored grant changed under us.
        for _ in 0..2 {
            let sent = grant(&current.tokens).filter(|grant| !grant.is_empty());
            if sent.is_none() && how != Reissue::ClientCredentials {
                return Err(Error::NoRefreshToken {
                    name: name.to_owned(),
                });
            }
            match reissue(name, &current, how) {
                Ok(response) => {
                    let mut next = current.clone();
                    next.tokens = Tokens::from_response(
                        response,
                        current.tokens.refresh_token.as_deref(),
                        now_ms(),
                        current.tokens.generation + 1,
                    );
                    // Persist before use: the rotated refresh token is stored before anyone sees
                    // the new access token.
                    save_new_tokens(guard.as_mut(), &next, name)?;
                    return Ok(next.tokens);
                }
                // Client credentials spend no grant a peer could have replaced.
                Err(Refused::InvalidGrant(detail)) if how == Reissue::ClientCredentials => {
                    return Err(Error::Rejected {
                        name: name.to_owned(),
                        detail,
                        hint: None,
                    });
                }
                Err(Refused::InvalidGrant(detail)) => {
                    let reread = guard.load()?;
                    match reread {
                        Some(reread) if grant(&reread.tokens) != sent => {
                            if reread.tokens.is_fresh(now_ms(), want.min_ttl) {
                                return Ok(reread.tokens);
                            }
                            current = reread;
                        }
                        _ => {
                            return Err(Error::GrantRefused {
                                name: name.to_owned(),
                                detail,
                            });
                        }
                    }
                }
                Err(Refused::Other(error)) => return Err(error),
            }
        }
        Err(Error::GrantRefused {
            name: name.to_owned(),
            detail: "the refresh token was refused twice".to_owned(),
        })
    }
}

/// Which request re-issues a profile's access token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reissue {
    /// The refresh settings with the refresh token.
    Refresh,
    /// The refresh settings with the access token (`{token}`).
    ExchangeToken,
    /// The bearer request again: client credentials (RFC 6749 §4.4.3 issues no refresh token).
    ClientCredentials,
}

impl Reissue {
    fn of(settings: &engine::ServiceSettings) -> Self {
        if crate::client_credentials::reissues(settings) {
            Self::ClientCredentials
        } else if settings.refresh_uses_access_token() {
            Self::ExchangeToken
        } else {
            Self::Refresh
        }
    }
}

/// The request `how` for `profile`, and its parsed answer.
fn reissue(
    name: &str,
    profile: &Profile,
    how: Reissue,
) -> Result<engine::token::TokenResponse, Refused> {
    if how != Reissue::ClientCredentials {
        return refresh(name, profile);
    }
    crate::client_credentials::issue(name, &profile.settings, &profile.vars()).map_err(|error| {
        match error {
            TokenAnswerError::InvalidGrant(detail) => Refused::InvalidGrant(detail),
            TokenAnswerError::Other(error) => Refused::Other(error),
        }
    })
}

/// How often, and how far apart, a write of freshly issued tokens is tried again when the store
/// fails: the service has already rotated the refresh token, so giving up loses it.
const SAVE_ATTEMPTS: u32 = 10;
const SAVE_PAUSE: Duration = Duration::from_millis(500);

fn save_new_tokens(
    guard: &mut dyn crate::store::Guard,
    profile: &Profile,
    name: &str,
) -> Result<()> {
    let mut attempt = 1;
    loop {
        match guard.save(profile) {
            Ok(()) => return Ok(()),
            Err(Error::StoreUnavailable { store, detail }) if attempt < SAVE_ATTEMPTS => {
                eprintln!("otw: cannot store the new tokens yet ({store}: {detail}); trying again");
                attempt += 1;
                std::thread::sleep(SAVE_PAUSE);
            }
            Err(Error::StoreUnavailable { store, detail }) => {
                return Err(Error::Unsaved {
                    name: name.to_owned(),
                    store,
                    detail,
                });
            }
            Err(other) => return Err(other),
        }
    }
}

enum Refused {
    InvalidGrant(String),
    Other(Error),
}

/// One refresh request for `profile`, and its parsed answer.
fn refresh(name: &str, profile: &Profile) -> Result<engine::token::TokenResponse, Refused> {
    let mut vars = profile.vars();
    crate::sign::sign_assertion(&profile.settings, engine::Endpoint::Refresh, &mut vars).map_err(
        |detail| {
            Refused::Other(Error::Settings {
                name: name.to_owned(),
                what: "refresh request",
                detail,
            })
        },
    )?;
    let request = engine::request::refresh_request(&profile.settings, &vars).map_err(|error| {
        Refused::Other(match error {
            // Without refresh settings, an expired token needs a new authorization.
            engine::request::BuildError::NoRefresh => Error::NoRefreshToken {
                name: name.to_owned(),
            },
            error => Error::Settings {
                name: name.to_owned(),
                what: "refresh request",
                detail: error.to_string(),
            },
        })
    })?;
    let answer = crate::http::send(&request).map_err(Refused::Other)?;
    let parsed = match &profile.settings.refresh {
        Some(endpoint) => parse_endpoint_answer(name, endpoint, &answer),
        None => parse_answer(name, &answer),
    };
    parsed.map_err(|error| match error {
        TokenAnswerError::InvalidGrant(detail) => Refused::InvalidGrant(detail),
        TokenAnswerError::Other(error) => Refused::Other(error),
    })
}

/// Why a token answer gives no tokens, sorted by what the user should do.
pub enum TokenAnswerError {
    /// `invalid_grant`: the grant is dead (or a peer rotated it).
    InvalidGrant(String),
    /// Anything else, already mapped to its exit code.
    Other(Error),
}

/// Parses a token endpoint's answer with the engine and sorts its errors.
pub fn parse_answer(
    name: &str,
    answer: &crate::http::Answer,
) -> Result<engine::token::TokenResponse, TokenAnswerError> {
    parse_token_response(answer.status, answer.content_type.as_deref(), &answer.body)
        .map_err(|error| classify(name, error))
}

/// [`parse_answer`] for an answer of `endpoint`, read where its token path says (a wrapped answer).
pub fn parse_endpoint_answer(
    name: &str,
    endpoint: &engine::EndpointSettings,
    answer: &crate::http::Answer,
) -> Result<engine::token::TokenResponse, TokenAnswerError> {
    engine::follow_up::parse_endpoint_response(
        endpoint,
        answer.status,
        answer.content_type.as_deref(),
        &answer.body,
    )
    .map_err(|error| classify(name, error))
}

/// Maps a token error to what the user must do: re-authorize, fix settings, or retry later.
pub fn classify(name: &str, error: TokenError) -> TokenAnswerError {
    let detail = error.to_string();
    match &error {
        TokenError::OAuth { error: code, .. } if code == "invalid_grant" => {
            TokenAnswerError::InvalidGrant(detail)
        }
        TokenError::OAuth {
            error: code,
            status,
            ..
        } if TEMPORARY_ERRORS.contains(&code.as_str()) || *status >= 500 => {
            TokenAnswerError::Other(Error::Service { detail })
        }
        TokenError::Http { status, .. } if *status >= 500 || *status == 429 || *status == 408 => {
            TokenAnswerError::Other(Error::Service { detail })
        }
        TokenError::Unreadable { .. } | TokenError::MissingAccessToken { .. } => {
            TokenAnswerError::Other(Error::Service { detail })
        }
        TokenError::OAuth { .. } | TokenError::Http { .. } => {
            TokenAnswerError::Other(Error::Rejected {
                name: name.to_owned(),
                detail,
                hint: error.hint(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{EXIT_RETRY, EXIT_USAGE};

    fn class(status: u16, content_type: &str, body: &str) -> Result<(), i32> {
        let answer = crate::http::Answer {
            status,
            content_type: Some(content_type.to_owned()),
            body: body.to_owned(),
        };
        match parse_answer("work", &answer) {
            Ok(_) => Ok(()),
            Err(TokenAnswerError::InvalidGrant(_)) => Err(3),
            Err(TokenAnswerError::Other(error)) => Err(error.exit_code()),
        }
    }

    #[test]
    fn token_answers_map_to_what_the_user_must_do() {
        let json = "application/json";
        assert_eq!(class(200, json, r#"{"access_token":"a"}"#), Ok(()));
        assert_eq!(class(400, json, r#"{"error":"invalid_grant"}"#), Err(3));
        assert_eq!(
            class(401, json, r#"{"error":"invalid_client"}"#),
            Err(EXIT_USAGE)
        );
        assert_eq!(
            class(400, json, r#"{"error":"invalid_scope"}"#),
            Err(EXIT_USAGE)
        );
        assert_eq!(
            class(503, json, r#"{"error":"temporarily_unavailable"}"#),
            Err(EXIT_RETRY)
        );
        assert_eq!(
            class(500, json, r#"{"error":"server_error"}"#),
            Err(EXIT_RETRY)
        );
        assert_eq!(
            class(502, "text/html", "<h1>Bad gateway</h1>"),
            Err(EXIT_RETRY)
        );
        assert_eq!(class(429, "text/plain", "slow down"), Err(EXIT_RETRY));
        assert_eq!(
            class(404, "text/html", "<h1>Not found</h1>"),
            Err(EXIT_USAGE)
        );
        assert_eq!(
            class(200, "text/html", "<html>login</html>"),
            Err(EXIT_RETRY)
        );
        assert_eq!(
            class(200, json, r#"{"token_type":"Bearer"}"#),
            Err(EXIT_RETRY)
        );
    }
}
