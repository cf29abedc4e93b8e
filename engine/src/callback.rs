//! Parsing what the redirect brings back: a full redirect URL, its query or fragment, or a code.
//!
//! Pasted input is untrusted: it is capped in length, duplicated parameters are refused, a code
//! must be visible ASCII (RFC 6749 A.11), and the `state` is compared in constant time with the
//! one the wizard sent; a `state` when no authorization is in progress is refused.

use std::collections::BTreeMap;

use thiserror::Error;

/// The longest input accepted, in bytes.
pub const MAX_CALLBACK_LEN: usize = 16 * 1024;

/// A successful authorization response.
#[derive(Clone, PartialEq, Eq)]
pub struct Callback {
    /// The authorization code.
    pub code: String,
    /// The `state` returned, if any (absent only when a bare code was pasted).
    pub state: Option<String>,
    /// The RFC 9207 `iss` parameter, if the service sent it.
    pub iss: Option<String>,
    /// Every other parameter (e.g. `realmId`), by name.
    pub params: BTreeMap<String, String>,
}

impl std::fmt::Debug for Callback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callback")
            .field("code", &"••••••")
            .field("state", &self.state)
            .field("iss", &self.iss)
            .field("params", &self.params)
            .finish()
    }
}

/// Why a callback is refused.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CallbackError {
    /// Nothing was pasted.
    #[error("Paste the address the service redirected to, or just the code")]
    Empty,
    /// The input is longer than [`MAX_CALLBACK_LEN`].
    #[error("The pasted text is longer than {} KiB; paste only the redirect address or the code", MAX_CALLBACK_LEN / 1024)]
    TooLong,
    /// The input looks like a URL but is not one.
    #[error("The pasted address is not a valid URL: {0}")]
    InvalidUrl(String),
    /// The service answered with an error instead of a code (RFC 6749 §4.1.2.1).
    #[error("The service refused the authorization: {error}{}{}",
        .description.as_deref().map(|d| format!(" — {d}")).unwrap_or_default(),
        .uri.as_deref().map(|u| format!(" (more: {u})")).unwrap_or_default())]
    Provider {
        /// The `error` code, e.g. `access_denied`.
        error: String,
        /// `error_description`, if sent.
        description: Option<String>,
        /// `error_uri`, if sent.
        uri: Option<String>,
    },
    /// A parameter appears more than once, which a genuine redirect never does.
    #[error(
        "The parameter `{0}` appears more than once; paste the redirect address exactly as received"
    )]
    Duplicate(String),
    /// The `state` differs from the one sent: the response belongs to another attempt, or was forged.
    #[error(
        "The state in the response does not match the one this wizard sent; start the authorization again"
    )]
    StateMismatch,
    /// The response carries parameters but no `state`, though one was sent.
    #[error(
        "The response has no state parameter, so it cannot be matched to this authorization; start it again"
    )]
    MissingState,
    /// Neither a code nor an error.
    #[error("No authorization code found in the pasted text")]
    MissingCode,
    /// The `iss` differs from the expected issuer (RFC 9207): the response may come from another
    /// server (a mix-up attack).
    #[error(
        "The response comes from issuer `{found}`, not the expected `{expected}`; start the authorization again"
    )]
    IssuerMismatch {
        /// The issuer the authorization was sent to.
        expected: String,
        /// The `iss` in the response (empty when absent).
        found: String,
    },
    /// The code contains a character no code has: RFC 6749 (Appendix A.11) allows only visible
    /// ASCII, so spaces, line breaks, control and Unicode characters (a right-to-left override
    /// that disguises the text) are refused, naming the character.
    #[error(
        "The code contains {}, which no authorization code has (only visible ASCII characters); paste only the code itself",
        crate::input::describe_char(*.0)
    )]
    InvalidCode(char),
    /// The pasted text is a script or data address, not a redirect address or a code.
    #[error(
        "This is a `{0}:` address, not the address the service redirected to nor a code; paste the redirect address or the code"
    )]
    NotACode(String),
    /// The response carries a `state`, but no authorization is in progress to compare it with
    /// (none was started here, or it was lost with a reload).
    #[error(
        "The pasted address answers an authorization that is not in progress here (its state matches none: it was started elsewhere, or forgotten when the page reloaded); start the authorization again"
    )]
    NoAuthorizationInProgress,
}

impl Callback {
    /// Checks the RFC 9207 `iss` parameter against the issuer the authorization was sent to. A
    /// server that advertises `authorization_response_iss_parameter_supported` must send it, so
    /// `required` refuses a response without it; otherwise only a different value is refused.
    pub fn check_issuer(&self, expected: &str, required: bool) -> Result<(), CallbackError> {
        match &self.iss {
            Some(iss) if iss == expected => Ok(()),
            None if !required => Ok(()),
            found => Err(CallbackError::IssuerMismatch {
                expected: expected.to_owned(),
                found: found.clone().unwrap_or_default(),
            }),
        }
    }
}

/// Parses `input` — a full redirect URL (query and/or fragment), `?query`, `#fragment`,
/// `code=..&state=..` or a bare code — and checks its `state` against `expected_state`.
///
/// A bare code carries no state and is accepted as is; any input with parameters must carry the
/// expected state when one is given.
pub fn parse_callback(
    input: &str,
    expected_state: Option<&str>,
) -> Result<Callback, CallbackError> {
    if input.len() > MAX_CALLBACK_LEN {
        return Err(CallbackError::TooLong);
    }
    let input = input.trim();
    if input.is_empty() {
        return Err(CallbackError::Empty);
    }
    if let Some((scheme, _)) = input.split_once(':')
        && ["javascript", "data", "vbscript", "file", "blob"]
            .iter()
            .any(|s| s.eq_ignore_ascii_case(scheme.trim()))
    {
        return Err(CallbackError::NotACode(scheme.trim().to_ascii_lowercase()));
    }
    let Some(parts) = parameter_parts(input)? else {
        return bare_code(input);
    };
    let mut params = BTreeMap::new();
    for part in parts {
        for (name, value) in form_urlencoded::parse(part.as_bytes()) {
            if params
                .insert(name.to_string(), value.into_owned())
                .is_some()
            {
                return Err(CallbackError::Duplicate(name.into_owned()));
            }
        }
    }
    let state = params.remove("state");
    if let (Some(expected), Some(state)) = (expected_state, &state)
        && !constant_time_eq(state.as_bytes(), expected.as_bytes())
    {
        return Err(CallbackError::StateMismatch);
    }
    // Some services drop the state from error responses; an error grants nothing, so it is shown.
    if let Some(error) = params.remove("error") {
        return Err(CallbackError::Provider {
            error,
            description: params.remove("error_description").filter(|d| !d.is_empty()),
            uri: params.remove("error_uri").filter(|u| !u.is_empty()),
        });
    }
    match (expected_state, &state) {
        (Some(_), None) => return Err(CallbackError::MissingState),
        (None, Some(_)) => return Err(CallbackError::NoAuthorizationInProgress),
        _ => {}
    }
    let code = params
        .remove("code")
        .map(|code| strip_code_junk(code.trim()).to_owned())
        .unwrap_or_default();
    if code.is_empty() {
        return Err(CallbackError::MissingCode);
    }
    check_code(&code)?;
    let iss = params.remove("iss");
    Ok(Callback {
        code,
        state,
        iss,
        params,
    })
}

/// The query and fragment texts holding the parameters, or `None` for a bare code.
fn parameter_parts(input: &str) -> Result<Option<Vec<&str>>, CallbackError> {
    let has_scheme = input.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    });
    let rest = if has_scheme {
        url::Url::parse(input).map_err(|error| CallbackError::InvalidUrl(error.to_string()))?;
        match input.find(['?', '#']) {
            Some(start) => &input[start..],
            // A redirect address without any parameter: no code in it.
            None => return Ok(Some(Vec::new())),
        }
    } else if input.starts_with(['?', '#']) {
        input
    } else if let Some(start) = input.find(['?', '#'])
        && !input[..start].contains('=')
        && looks_like_query(&input[start + 1..])
    {
        // An address without `scheme://` (`localhost:8765/cb?code=…`, `app:/cb?code=…`).
        &input[start..]
    } else if looks_like_query(input) {
        input
    } else {
        return Ok(None);
    };
    let (query, fragment) = match rest.split_once('#') {
        Some((query, fragment)) => (query, Some(fragment)),
        None => (rest, None),
    };
    let mut parts = vec![query.strip_prefix('?').unwrap_or(query)];
    // Facebook and Instagram append `#_=_` (or `#_`) to their redirects; it is not a parameter.
    if let Some(fragment) = fragment.filter(|f| !matches!(*f, "" | "_" | "_=_")) {
        parts.push(fragment);
    }
    Ok(Some(parts))
}

/// Whether pasted text without `?`/`#` is a query string rather than a bare code: it names a
/// parameter a redirect carries. (A bare code may itself contain `=`, e.g. base64 padding.)
fn looks_like_query(input: &str) -> bool {
    input.split(['&', '#']).any(|pair| {
        let name = pair.split('=').next().unwrap_or_default();
        pair.contains('=') && matches!(name, "code" | "state" | "error" | "iss")
    })
}

fn bare_code(input: &str) -> Result<Callback, CallbackError> {
    let code = strip_code_junk(input);
    // A code copied out of an address bar is still percent-encoded (`4%2F0A…` for `4/0A…`).
    let code = percent_encoding::percent_decode_str(code)
        .decode_utf8()
        .map_or_else(|_| code.to_owned(), |c| c.into_owned());
    if code.is_empty() {
        return Err(CallbackError::MissingCode);
    }
    check_code(&code)?;
    Ok(Callback {
        code,
        state: None,
        iss: None,
        params: BTreeMap::new(),
    })
}

/// Removes what some services append to the code: Facebook and Instagram end it with `#_=_`/`#_`.
fn strip_code_junk(code: &str) -> &str {
    let code = code.trim_end();
    for junk in ["#_=_", "#_", "#"] {
        if let Some(stripped) = code.strip_suffix(junk) {
            return stripped.trim_end();
        }
    }
    code
}

fn check_code(code: &str) -> Result<(), CallbackError> {
    match code.chars().find(|c| !c.is_ascii_graphic()) {
        Some(c) => Err(CallbackError::InvalidCode(c)),
        None => Ok(()),
    }
}

/// Compares in time that depends only on the lengths, so a forged `state` cannot be guessed byte
/// by byte from response timings.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter()
        .zip(b)
        .fold(0u8, |difference, (x, y)| difference | (x ^ y))
        == 0
}

#[cfg(test)]
mod tests;
