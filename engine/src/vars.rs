//! Template variables: the values a request is built from.
//!
//! The wizard collects them across its steps (client id, redirect URI, the code from the callback,
//! secrets from step 3, service variables from step 1) and hands them to the request builders.

use std::collections::BTreeMap;
use std::fmt;

/// The variables every service knows, whatever its settings.
pub const STANDARD_VARIABLES: &[&str] = &[
    "scope",
    "redirect_uri",
    "code",
    "client_id",
    "grant_type",
    "user_name",
    "client_secret",
    "token",
    "refresh_token",
    "state",
    "code_verifier",
    "private_key",
    "client_assertion",
];

/// The variables whose values are secrets: masked in previews and never shown in error messages.
/// This list is the one place that decides it: the wizard keeps these values out of storage unless
/// the user asks (`user_name` is the id whose password is the client secret, so it goes with it).
pub const SECRET_VARIABLES: &[&str] = &[
    "code",
    "user_name",
    "client_secret",
    "token",
    "refresh_token",
    "code_verifier",
    "private_key",
    "client_assertion",
];

/// Whether `name` is one of [`SECRET_VARIABLES`].
pub fn is_secret(name: &str) -> bool {
    SECRET_VARIABLES.contains(&name)
}

/// A map from variable name to its (raw, unencoded) value.
///
/// `Debug` masks the values of secret variables so a stray `{:?}` cannot leak them.
#[derive(Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Vars(BTreeMap<String, String>);

impl Vars {
    /// An empty set of variables.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `name` to `value`, replacing any previous value.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.0.insert(name.into(), value.into());
        self
    }

    /// Builder form of [`Vars::set`].
    #[must_use]
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.set(name, value);
        self
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// Removes `name`, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<String> {
        self.0.remove(name)
    }

    /// Whether `name` is set (possibly to an empty value).
    pub fn contains(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// Every variable, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// A copy with every non-empty secret replaced by [`crate::request::MASK`], for building a
    /// request to show: it shows where each secret goes without showing it, and unlike masking a
    /// finished request by substring ([`crate::request::HttpRequest::masked`]) it cannot garble
    /// text that merely contains a short secret. An empty secret stays empty, so the request still
    /// says which one is missing.
    #[must_use]
    pub fn masked(&self) -> Self {
        let mut masked = self.clone();
        for name in SECRET_VARIABLES {
            if self.get(name).is_some_and(|value| !value.is_empty()) {
                masked.set(*name, crate::request::MASK);
            }
        }
        masked
    }

    /// The non-empty values of the secret variables, longest first (so masking a long secret is
    /// not defeated by first masking a shorter one that it contains).
    pub fn secret_values(&self) -> Vec<&str> {
        let mut values: Vec<&str> = SECRET_VARIABLES
            .iter()
            .filter_map(|name| self.get(name))
            .filter(|value| !value.is_empty())
            .collect();
        longest_first(&mut values);
        values
    }
}

/// Sorts texts longest first, equal lengths in text order so that `dedup` sees duplicates side by
/// side, and drops the duplicates. The one sort of the masking code: each element type sorted
/// adds a copy of the sort to the wasm.
pub(crate) fn longest_first(values: &mut Vec<&str>) {
    values.sort_unstable_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    values.dedup();
}

impl fmt::Debug for Vars {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in &self.0 {
            if is_secret(name) && !value.is_empty() {
                map.entry(name, &"••••••");
            } else {
                map.entry(name, value);
            }
        }
        map.finish()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Vars {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        // Inserting one by one, not `BTreeMap::from_iter`, which sorts with a stable sort that
        // costs the wasm several KB per iterator type; the last value of a name wins either way.
        let mut vars = Self::new();
        vars.extend(iter);
        vars
    }
}

impl<K: Into<String>, V: Into<String>> Extend<(K, V)> for Vars {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        self.0
            .extend(iter.into_iter().map(|(k, v)| (k.into(), v.into())));
    }
}

#[cfg(test)]
mod tests;
