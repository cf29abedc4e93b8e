//! Known error answers of a service, with the concrete fix: the error explainer.
//!
//! A preset lists the answers its service is known to give for common mistakes (Microsoft's
//! `AADSTS7000215` for a secret's id pasted instead of its value, Google's `invalid_grant` for a
//! testing-mode refresh token …). [`explain`] picks the first entry that matches a failed call;
//! the wizard shows its fix above the generic RFC 6749 hint. Each entry carries an example answer,
//! which the presets' tests feed through the token parser to check that it picks that entry.

use serde::{Deserialize, Serialize};

use crate::token::TokenError;

/// One known error answer and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct KnownError {
    /// The OAuth `error` code it has (`invalid_grant`), compared without case; empty: any code.
    #[serde(default)]
    pub code: String,
    /// Words its description (or, for a non-OAuth answer, its body) contains (`AADSTS7000215`),
    /// compared without case; empty: any description.
    #[serde(default)]
    pub description: String,
    /// Its HTTP status; absent: any status.
    #[serde(default)]
    pub status: Option<u16>,
    /// What it means and what to do, in the service's words (console pages, settings).
    pub fix: String,
    /// The service rejected the redirect URI: the redirect doctor compares the URIs.
    #[serde(default)]
    pub redirect: bool,
    /// A body the service answers with for this error, as documented (checked by the tests).
    pub example: String,
    /// The HTTP status of `example`.
    pub example_status: u16,
}

/// What a failed call answered, as the matching needs it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ErrorAnswer<'a> {
    /// The HTTP status, when the service answered.
    pub status: Option<u16>,
    /// The OAuth `error` code.
    pub code: Option<&'a str>,
    /// `error_description`, or the start of a body that is not an OAuth error.
    pub description: Option<&'a str>,
}

impl<'a> ErrorAnswer<'a> {
    /// The parts of a token error the entries match on.
    pub fn of(error: &'a TokenError) -> Self {
        match error {
            TokenError::OAuth {
                status,
                error,
                description,
                ..
            } => Self {
                status: Some(*status),
                code: Some(error),
                description: description.as_deref(),
            },
            TokenError::Http { status, excerpt } | TokenError::Unreadable { status, excerpt } => {
                Self {
                    status: Some(*status),
                    code: None,
                    description: Some(excerpt),
                }
            }
            TokenError::MissingAccessToken { .. } => Self::default(),
        }
    }
}

impl KnownError {
    /// Whether `answer` is this error: every matcher the entry sets holds.
    pub fn matches(&self, answer: &ErrorAnswer<'_>) -> bool {
        if self.code.is_empty() && self.description.is_empty() {
            return false;
        }
        let code_holds = self.code.is_empty()
            || answer
                .code
                .is_some_and(|code| code.eq_ignore_ascii_case(self.code.trim()));
        let description_holds = self.description.is_empty()
            || answer
                .description
                .is_some_and(|text| contains_ignoring_case(text, self.description.trim()));
        let status_holds = self.status.is_none() || self.status == answer.status;
        code_holds && description_holds && status_holds
    }

    /// Every problem with the entry, in words: no matcher, an empty or multi-line fix, an
    /// impossible status, no example.
    pub fn check(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.code.trim().is_empty() && self.description.trim().is_empty() {
            problems.push(
                "gives neither `code` nor `description`, so it would match nothing".to_owned(),
            );
        }
        if self.fix.trim().is_empty() {
            problems.push("`fix` is empty".to_owned());
        } else if self.fix.contains(['\n', '\r']) {
            problems.push("`fix` must be one line".to_owned());
        }
        for (key, status) in [
            ("status", self.status),
            ("example-status", Some(self.example_status)),
        ] {
            // Slack and GitHub answer their errors with 200.
            if let Some(status) = status.filter(|s| !(200..=599).contains(s)) {
                problems.push(format!(
                    "`{key}` {status} is not an HTTP answer status (200–599)"
                ));
            }
        }
        if self.example.trim().is_empty() {
            problems.push("`example` is empty: give the answer the service sends".to_owned());
        }
        problems
    }
}

/// The first entry of `known` that matches `answer`.
pub fn explain<'k>(known: &'k [KnownError], answer: &ErrorAnswer<'_>) -> Option<&'k KnownError> {
    known.iter().find(|entry| entry.matches(answer))
}

fn contains_ignoring_case(text: &str, part: &str) -> bool {
    text.to_ascii_lowercase()
        .contains(&part.to_ascii_lowercase())
}

#[cfg(test)]
mod tests;
