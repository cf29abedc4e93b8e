//! Calling the token endpoints (through the relay, or directly) and the automatic refresh.

use std::time::Duration;

use engine::explain::{ErrorAnswer, explain};
use engine::follow_up::{follow_up_request, merge, parse_endpoint_response};
use engine::request::{HttpRequest, MASK, refresh_request, token_request};
use engine::token::{TokenError, parse_token_response};
use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::browser;
use crate::state::{CallFailure, CallKind, TokenOutcome, WizardState};

/// Builds the request for `kind` from the current settings and values, with the signed client
/// assertion when the client authenticates by JWT.
pub fn build_request(
    state: WizardState,
    kind: CallKind,
    assertion: Option<&str>,
) -> Result<HttpRequest, engine::request::BuildError> {
    let settings = state.settings.read();
    let mut vars = state.vars();
    if let Some(assertion) = assertion {
        vars.set("client_assertion", assertion);
    }
    match kind {
        CallKind::Bearer => token_request(&settings, &vars),
        CallKind::Refresh => refresh_request(&settings, &vars),
    }
}

/// The request for `kind` as shown to the user: secrets masked unless `reveal`.
pub fn shown_request(
    state: WizardState,
    kind: CallKind,
    reveal: bool,
) -> Result<HttpRequest, engine::request::BuildError> {
    // The assertion is signed only when the request is sent: the preview shows where it goes.
    if reveal {
        let mut request = build_request(state, kind, Some(MASK))?;
        request.body = request
            .body
            .map(|body| body.replace(&engine::encode::form_component(MASK), MASK));
        return Ok(request);
    }
    let settings = state.settings.read();
    let vars = state.vars().masked().with("client_assertion", MASK);
    let request = match kind {
        CallKind::Bearer => token_request(&settings, &vars),
        CallKind::Refresh => refresh_request(&settings, &vars),
    }?;
    // Still masks the Basic credential, which encodes the secret.
    Ok(request.masked(&vars))
}

/// Whether a refresh can be attempted now: refresh settings, and the token they need.
pub fn can_refresh(state: WizardState) -> bool {
    let settings = state.settings.read();
    if settings.refresh.is_none() {
        return false;
    }
    if settings.refresh_uses_access_token() {
        state.secrets.with(|s| !s.access_token.is_empty())
    } else {
        state.secrets.with(|s| !s.refresh_token.is_empty())
    }
}

/// When the next automatic refresh happens, if one is scheduled.
pub fn next_refresh_ms(state: WizardState) -> Option<f64> {
    if !state.prefs.auto_refresh.get() || !can_refresh(state) {
        return None;
    }
    state
        .outcome
        .with(|outcome| outcome.as_ref().and_then(TokenOutcome::refresh_due_ms))
}

/// The longest delay handed to `setTimeout`: browsers (and leptos' helper) take a signed 32-bit
/// number of milliseconds, about 24.8 days; a long-lived token is re-checked after this instead.
const LONGEST_TIMER_MS: f64 = 1_000_000_000.0;

/// Schedules automatic refreshes while the page is open.
pub fn install(state: WizardState) {
    let timer = StoredValue::new_local(None::<TimeoutHandle>);
    // The due time already tried: a refresh that failed is not retried in a loop; the next
    // successful call (a new outcome) schedules again.
    let attempted = StoredValue::new_local(None::<f64>);
    // Bumped by a wake-up timer so that a far-off refresh is scheduled in steps.
    let wake = RwSignal::new(0u32);
    Effect::new(move |_| {
        wake.track();
        if let Some(handle) = timer.get_value() {
            handle.clear();
        }
        timer.set_value(None);
        let Some(due) = next_refresh_ms(state).filter(|due| attempted.get_value() != Some(*due))
        else {
            return;
        };
        let delay = (due - browser::now_ms()).max(0.0);
        let handle = if delay > LONGEST_TIMER_MS {
            set_timeout_with_handle(
                move || wake.update(|w| *w = w.wrapping_add(1)),
                Duration::from_millis(LONGEST_TIMER_MS as u64),
            )
        } else {
            set_timeout_with_handle(
                move || {
                    attempted.set_value(Some(due));
                    state.call(CallKind::Refresh, true);
                },
                Duration::from_millis(delay as u64),
            )
        };
        timer.set_value(handle.ok());
    });
}

/// One token endpoint call, as dispatched to [`WizardState::calls`].
#[derive(Clone, Copy)]
pub struct Call {
    /// The wizard.
    pub state: WizardState,
    /// Which request.
    pub kind: CallKind,
    /// Started by the refresh timer, not by the user.
    pub automatic: bool,
}

impl Call {
    /// Makes the call; an automatic one's failure is also shown with the switch, since nothing
    /// else tells the user the refreshes stopped.
    pub async fn run(self) {
        call(self.state, self.kind).await;
        if self.automatic {
            self.state
                .auto_refresh_failure
                .set(self.state.failure.get_untracked());
        }
    }
}

/// Calls the bearer or refresh endpoint and records the outcome or the failure.
async fn call(state: WizardState, kind: CallKind) {
    state.failure.set(None);
    let which = match kind {
        CallKind::Bearer => engine::Endpoint::Token,
        CallKind::Refresh => engine::Endpoint::Refresh,
    };
    let assertion = match signed_assertion(state, which).await {
        Ok(assertion) => assertion,
        Err(failure) => {
            state.failure.set(Some(failure));
            return;
        }
    };
    let request = match untrack(|| build_request(state, kind, assertion.as_deref())) {
        Ok(request) => request,
        Err(error) => {
            state.failure.set(Some(CallFailure {
                message: format!("The request cannot be built. {error}"),
                hint: error.hint().map(str::to_owned),
                ..CallFailure::default()
            }));
            return;
        }
    };
    let relay = untrack(|| state.relay());
    let reply = match &relay {
        Some(relay) => relay.proxy(&request).await,
        None => api::direct(&request).await,
    };
    let reply = match reply {
        Ok(reply) => reply,
        Err(error) => {
            state.failure.set(Some(transport_failure(&error)));
            return;
        }
    };
    let parsed = untrack(|| {
        state.settings.with(|settings| {
            match kind {
                CallKind::Bearer => Some(&settings.token),
                CallKind::Refresh => settings.refresh.as_ref(),
            }
            .map_or_else(
                || parse_token_response(reply.status, reply.content_type(), &reply.body),
                |endpoint| {
                    parse_endpoint_response(
                        endpoint,
                        reply.status,
                        reply.content_type(),
                        &reply.body,
                    )
                },
            )
        })
    });
    let (parsed, reply) = match (parsed, kind) {
        (Ok(first), CallKind::Bearer) => match follow_up(state, relay.as_ref(), first).await {
            Ok((response, follow_up_reply)) => (Ok(response), follow_up_reply.unwrap_or(reply)),
            Err(failure) => return state.failure.set(Some(failure)),
        },
        (parsed, _) => (parsed, reply),
    };
    match parsed {
        Ok(response) => accept_tokens(state, kind, response, reply.status, &reply.body),
        Err(error) => {
            let client_auth = untrack(|| state.settings.with(|s| s.client_auth(which)));
            state
                .failure
                .set(Some(token_failure(state, &error, client_auth, &reply.body)));
        }
    }
}

/// Runs the service's follow-up exchange (`ServiceSettings::follow_up`) after a code exchange
/// answered `first`; without one, `first` as it is. The reply is the follow-up's, for display.
async fn follow_up(
    state: WizardState,
    relay: Option<&api::Relay>,
    first: engine::token::TokenResponse,
) -> Result<(engine::token::TokenResponse, Option<api::Upstream>), CallFailure> {
    let settings = untrack(|| state.settings.get());
    let Some(request) = follow_up_request(&settings, &untrack(|| state.vars()), &first) else {
        return Ok((first, None));
    };
    let request = request.map_err(|error| CallFailure {
        message: format!("The token came, but the follow-up exchange cannot be built. {error}"),
        hint: error.hint().map(str::to_owned),
        ..CallFailure::default()
    })?;
    // Still inside the bearer call's action, so the page shows it in flight.
    let reply = match relay {
        Some(relay) => relay.proxy(&request).await,
        None => api::direct(&request).await,
    };
    let reply = reply.map_err(|error| transport_failure(&error))?;
    let endpoint = settings.follow_up.as_ref().unwrap_or(&settings.token);
    match parse_endpoint_response(endpoint, reply.status, reply.content_type(), &reply.body) {
        Ok(second) => Ok((merge(first, second), Some(reply))),
        Err(error) => {
            let mut failure = token_failure(state, &error, Some(endpoint.client_auth), &reply.body);
            failure.message = format!("The follow-up exchange failed: {}", failure.message);
            Err(failure)
        }
    }
}

/// Keeps the tokens of a successful answer (`status`, `body`) to `kind`'s call: the secrets, the
/// outcome shown in step 3, the refresh count.
pub fn accept_tokens(
    state: WizardState,
    kind: CallKind,
    mut response: engine::token::TokenResponse,
    status: u16,
    body: &str,
) {
    let previous = state.secrets.with_untracked(|s| s.refresh_token.clone());
    response.keep_refresh_token(Some(&previous));
    let outcome = TokenOutcome {
        kind,
        received_at_ms: browser::now_ms(),
        token_type: response.token_type.clone(),
        expires_in: response.expires_in,
        refresh_token_expires_in: response.refresh_token_expires_in,
        scope_granted: response.scope.clone(),
        scope_requested: untrack(|| state.joined_scope()),
        id_token: response.id_token.clone(),
        status,
        raw: pretty(body),
    };
    // The tokens and what the service said about them change together, in one update.
    state.secrets.update(|s| {
        s.access_token = response.access_token.clone();
        s.refresh_token = response.refresh_token.clone().unwrap_or_default();
        s.outcome = Some(outcome);
        s.refresh_count = match kind {
            CallKind::Refresh => s.refresh_count + 1,
            CallKind::Bearer => 0,
        };
    });
    state.auto_refresh_failure.set(None);
}

/// Checks a JWT's signature against the service's keys at `jwks_uri` (fetched like the token
/// calls, through the relay): whether it verified, and why not, in words.
pub async fn verify_signature(state: WizardState, token: &str, jwks_uri: &str) -> (bool, String) {
    let engine::jwt::TokenShape::Jwt(jwt) = engine::jwt::decode(token) else {
        return (false, "not a signed JWT".to_owned());
    };
    if jwks_uri.is_empty() {
        return (
            false,
            "not checked: the service's key set (jwks_uri) is unknown; run discovery in step 1"
                .to_owned(),
        );
    }
    let request = engine::jwt::jwks_request(jwks_uri);
    let relay = untrack(|| state.relay());
    let reply = match &relay {
        Some(relay) => relay.proxy(&request).await,
        None => api::direct(&request).await,
    };
    let reply = match reply {
        Ok(reply) if (200..300).contains(&reply.status) => reply,
        Ok(reply) => {
            return (
                false,
                format!("not checked: the key set answered HTTP {}", reply.status),
            );
        }
        Err(error) => {
            return (
                false,
                format!("not checked: the key set could not be fetched ({error})"),
            );
        }
    };
    let key = match engine::jwt::select_key(&reply.body, &jwt) {
        Ok(key) => key,
        Err(why) => return (false, format!("not checked: {why}")),
    };
    let kid = jwt.kid().unwrap_or("(no kid)").to_owned();
    match crate::webcrypto::verify(jwt.alg(), &key, &jwt.signing_input, &jwt.signature).await {
        Ok(true) => (
            true,
            format!("verified with the service's key {kid} ({})", jwt.alg()),
        ),
        Ok(false) => (
            false,
            format!(
                "does NOT verify with the service's key {kid}: the token was changed or not signed by this service"
            ),
        ),
        Err(why) => (false, format!("not checked: {why}")),
    }
}

/// The client assertion of `which` request, signed by the browser, when its client
/// authentication is a JWT (a fresh `jti` and times for every call); `None` otherwise. The
/// device requests take `Endpoint::Token`'s.
pub async fn signed_assertion(
    state: WizardState,
    which: engine::Endpoint,
) -> Result<Option<String>, CallFailure> {
    let cannot = |message: String, hint: Option<&str>| CallFailure {
        message: format!("The client assertion cannot be made. {message}"),
        hint: hint.map(str::to_owned),
        ..CallFailure::default()
    };
    let jti = browser::random_bytes().map_err(|message| cannot(message, None))?;
    let now = (browser::now_ms() / 1000.0) as u64;
    let unsigned = untrack(|| {
        let settings = state.settings.read();
        engine::assertion::client_assertion(&settings, which, &state.vars(), now, &jti[..16])
    })
    .map_err(|error| cannot(error.to_string(), error.hint()))?;
    let Some(unsigned) = unsigned else {
        return Ok(None);
    };
    let signature = crate::webcrypto::sign(&unsigned).await.map_err(|message| {
        cannot(
            message,
            Some("Check that the key fits the algorithm chosen (RSA for RS256 and PS256, P-256 for ES256)."),
        )
    })?;
    Ok(Some(unsigned.signed(&signature)))
}

fn transport_failure(error: &ApiError) -> CallFailure {
    let hint = match error {
        ApiError::Relay { code, .. } if code == "target_refused" => Some(
            "The relay only calls public https token endpoints. Check the token URL.".to_owned(),
        ),
        ApiError::Relay { code, .. } if code == "upstream_timeout" => Some(
            "The token endpoint did not answer in time. Try again, or check the token URL."
                .to_owned(),
        ),
        ApiError::DirectBlocked { .. } => {
            Some("Clear “No relay” in Settings so the call goes through the relay.".to_owned())
        }
        _ => None,
    };
    let status = match error {
        ApiError::Relay { status, .. } => Some(*status),
        _ => None,
    };
    CallFailure {
        message: error.to_string(),
        hint,
        status,
        ..CallFailure::default()
    }
}

fn token_failure(
    state: WizardState,
    error: &TokenError,
    client_auth: Option<engine::ClientAuth>,
    body: &str,
) -> CallFailure {
    let (code, description, status) = match error {
        TokenError::OAuth {
            status,
            error,
            description,
            ..
        } => (Some(error.clone()), description.clone(), Some(*status)),
        TokenError::Http { status, .. } | TokenError::Unreadable { status, .. } => {
            (None, None, Some(*status))
        }
        TokenError::MissingAccessToken { .. } => (None, None, None),
    };
    let known = untrack(|| state.preset())
        .and_then(|preset| explain(&preset.errors, &ErrorAnswer::of(error)).map(|e| (preset, e)));
    let about_redirect =
        known.is_some_and(|(_, entry)| entry.redirect) || error.is_redirect_mismatch();
    let redirect_uris = about_redirect.then(|| {
        let authorized = state
            .secrets
            .with_untracked(|s| s.authorized_redirect_uri.clone());
        let authorized = if authorized.is_empty() {
            "(no authorization was started here)".to_owned()
        } else {
            authorized
        };
        (authorized, state.redirect_uri.get_untracked())
    });
    let known_fix = known.map(|(preset, entry)| (preset.name.clone(), entry.fix.clone()));
    CallFailure {
        message: error.to_string(),
        code,
        description,
        status,
        known_fix,
        hint: client_auth
            .map_or_else(|| error.hint(), |auth| error.hint_for(auth))
            .map(str::to_owned),
        redirect_uris,
        raw: Some(pretty(body)),
    }
}

/// The body pretty-printed when it is JSON, else as it came.
fn pretty(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|value| serde_json::to_string_pretty(&value).ok())
        .unwrap_or_else(|| body.to_owned())
}
