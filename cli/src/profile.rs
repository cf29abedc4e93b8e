//! A profile: one service's settings, the user's values and the tokens, as stored.
//!
//! Stored as JSON with kebab-case keys, read strictly (an unknown key is an error, so a hand edit
//! that misspells a key is reported instead of silently dropping data).

use std::collections::BTreeMap;
use std::time::Duration;

use engine::token::TokenResponse;
use engine::{ServiceSettings, Vars};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The format version this build writes and reads.
pub const PROFILE_FORMAT_VERSION: u32 = 1;

/// The longest margin: a token is refreshed when it has less than this left.
pub const DEFAULT_MARGIN: Duration = Duration::from_secs(5 * 60);

/// One stored profile. `Debug` masks the secret values and hides the tokens.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Profile {
    /// Always [`PROFILE_FORMAT_VERSION`].
    pub format_version: u32,
    /// The preset the settings came from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset_id: Option<String>,
    /// The service's settings (the engine's contract, as the wizard exports them).
    pub settings: ServiceSettings,
    /// Template values other than the tokens: `client_id`, `client_secret`, `redirect_uri`, the
    /// service's variables.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
    /// The tokens.
    #[serde(default)]
    pub tokens: Tokens,
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let values: Vars = self.values.iter().collect();
        f.debug_struct("Profile")
            .field("preset_id", &self.preset_id)
            .field("values", &values)
            .field("tokens", &self.tokens)
            .finish_non_exhaustive()
    }
}

/// The tokens of a profile. `Debug` hides them.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Tokens {
    /// The access token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    /// `Bearer` usually.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// When the access token was received, Unix milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub obtained_at_ms: Option<u64>,
    /// When it expires, Unix milliseconds; `None` when the service gave no lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at_ms: Option<u64>,
    /// The granted scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The refresh token: the one thing that must never be lost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Counts the writes of new tokens: a waiter that sees it change knows a peer refreshed.
    #[serde(default)]
    pub generation: u64,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |present: bool| if present { "••••••" } else { "-" };
        f.debug_struct("Tokens")
            .field("access_token", &hidden(self.access_token.is_some()))
            .field("expires_at_ms", &self.expires_at_ms)
            .field("refresh_token", &hidden(self.refresh_token.is_some()))
            .field("generation", &self.generation)
            .finish()
    }
}

impl Tokens {
    /// The tokens of a token response received at `now_ms`, keeping `previous_refresh` when the
    /// response brings no refresh token (RFC 6749 §6).
    pub fn from_response(
        mut response: TokenResponse,
        previous_refresh: Option<&str>,
        now_ms: u64,
        generation: u64,
    ) -> Self {
        response.keep_refresh_token(previous_refresh);
        Self {
            access_token: Some(response.access_token.clone()),
            token_type: response.token_type.clone(),
            obtained_at_ms: Some(now_ms),
            expires_at_ms: response
                .expires_in
                .map(|seconds| now_ms.saturating_add(seconds.saturating_mul(1000))),
            scope: response.scope.clone(),
            refresh_token: response.refresh_token,
            generation,
        }
    }

    /// Whether the access token can be handed out at `now_ms` with at least `margin` left
    /// (`None`: the default margin, see [`default_margin`]). A token without a known expiry is
    /// fresh: the service gave no lifetime, so only `--force` or a refused call can say otherwise.
    pub fn is_fresh(&self, now_ms: u64, margin: Option<Duration>) -> bool {
        if self.access_token.as_deref().is_none_or(str::is_empty) {
            return false;
        }
        let Some(expires_at) = self.expires_at_ms else {
            return true;
        };
        let margin = margin.unwrap_or_else(|| {
            default_margin(self.obtained_at_ms.map(|at| expires_at.saturating_sub(at)))
        });
        let margin_ms = u64::try_from(margin.as_millis()).unwrap_or(u64::MAX);
        now_ms.saturating_add(margin_ms) < expires_at
    }

    /// Seconds left at `now_ms` (0 once expired), `None` without a known expiry.
    pub fn seconds_left(&self, now_ms: u64) -> Option<u64> {
        self.expires_at_ms
            .map(|expires_at| expires_at.saturating_sub(now_ms) / 1000)
    }
}

/// The refresh margin for a token of `lifetime_ms`: 5 minutes, or 10 % of the lifetime when that
/// is shorter (a 60 s token is refreshed 6 s before it expires, not always).
pub fn default_margin(lifetime_ms: Option<u64>) -> Duration {
    match lifetime_ms {
        Some(lifetime) => DEFAULT_MARGIN.min(Duration::from_millis(lifetime / 10)),
        None => DEFAULT_MARGIN,
    }
}

impl Profile {
    /// The template variables for building a request: the values plus the tokens.
    pub fn vars(&self) -> Vars {
        let mut vars: Vars = self
            .values
            .iter()
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        if let Some(token) = &self.tokens.access_token {
            vars.set("token", token.clone());
        }
        if let Some(refresh) = &self.tokens.refresh_token {
            vars.set("refresh_token", refresh.clone());
        }
        vars
    }

    /// The profile as the JSON stored (pretty, ending in a newline).
    pub fn to_json(&self) -> String {
        // Strings, numbers and string-keyed maps only: serialization cannot fail.
        let mut json =
            serde_json::to_string_pretty(self).expect("a Profile always serializes to JSON");
        json.push('\n');
        json
    }

    /// Reads a stored profile; `location` names the file or key in the error.
    pub fn from_json(text: &str, location: &str) -> Result<Self> {
        let corrupt = |detail: String| Error::Corrupt {
            path: location.to_owned(),
            detail,
        };
        let profile: Self = serde_json::from_str(text).map_err(|error| {
            let message = error.to_string();
            let message = match message.rfind(" at line ") {
                Some(index) => message[..index].to_owned(),
                None => message,
            };
            let message = without_quoted_values(&message);
            corrupt(format!(
                "{message} at line {}, column {}",
                error.line(),
                error.column()
            ))
        })?;
        if profile.format_version != PROFILE_FORMAT_VERSION {
            return Err(corrupt(format!(
                "format version {} is not the version {PROFILE_FORMAT_VERSION} this otw reads",
                profile.format_version
            )));
        }
        Ok(profile)
    }
}

/// serde_json quotes the string it found (`invalid type: string "…"`), which may be a token
/// typed into the wrong field: the message keeps the quotes, not what was between them.
fn without_quoted_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quoted = false;
    for c in message.chars() {
        if c == '"' {
            if !quoted {
                out.push_str("\"…\"");
            }
            quoted = !quoted;
        } else if !quoted {
            out.push(c);
        }
    }
    out
}

/// Checks a profile name: 1 to 64 ASCII letters, digits, `-`, `_` and `.`, not starting with
/// `.` (it becomes a file name and a Redis key).
pub fn check_name(name: &str) -> Result<()> {
    let valid = (1..=64).contains(&name.len())
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if valid {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "`{name}` is not a profile name: use 1 to 64 letters, digits, `-`, `_` or `.` (not starting with `.`)"
        )))
    }
}

/// Parses a duration written as seconds (`90`) or with a unit (`90s`, `5m`, `2h`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(index) => text.split_at(index),
        None => (text, "s"),
    };
    let value: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: write seconds (90) or 90s, 5m, 2h"))?;
    let seconds = match unit {
        "s" => Some(value),
        "m" => value.checked_mul(60),
        "h" => value.checked_mul(3600),
        _ => None,
    };
    seconds
        .filter(|seconds| *seconds <= 366 * 24 * 3600)
        .map(Duration::from_secs)
        .ok_or_else(|| {
            format!(
                "`{text}` is not a duration: write seconds (90) or 90s, 5m, 2h (at most a year)"
            )
        })
}

#[cfg(test)]
mod tests;
