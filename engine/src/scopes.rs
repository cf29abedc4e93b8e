//! Joining a scope list into the one `scope` value a service expects.

use crate::settings::{AuthorizationSettings, ScopeSeparator, SpaceEncoding};

/// Joins `scopes` with `separator`, skipping blank entries and trimming each one.
///
/// The result is the value the *server* receives. For [`ScopeSeparator::Plus`] that is a
/// space-joined string: `+` is how a URL query writes a space, so the authorization URL writes
/// each space as `+` and a form or JSON body carries the space itself.
pub fn join_scopes(scopes: &[String], separator: ScopeSeparator) -> String {
    let separator = match separator {
        ScopeSeparator::Space | ScopeSeparator::Plus => " ",
        ScopeSeparator::Comma => ",",
        ScopeSeparator::Semicolon => ";",
    };
    scopes
        .iter()
        .map(|scope| scope.trim())
        .filter(|scope| !scope.is_empty())
        .collect::<Vec<_>>()
        .join(separator)
}

/// How a space in `scope` is written in the authorization URL: always `+` with the plus
/// separator, else as the settings say for every parameter. The one place of that rule.
pub fn scope_space_encoding(auth: &AuthorizationSettings) -> SpaceEncoding {
    if auth.scope_separator == ScopeSeparator::Plus {
        SpaceEncoding::Plus
    } else {
        auth.space_encoding
    }
}

/// The `scope` value the service receives, and how the authorization URL writes it.
pub fn scope_in_url(auth: &AuthorizationSettings) -> (String, String) {
    let joined = join_scopes(&auth.scopes, auth.scope_separator);
    let encoded = crate::encode::query_component(&joined, scope_space_encoding(auth));
    (joined, encoded)
}

/// What is wrong with one scope, in words naming the character; `None` when it is a valid
/// scope token (RFC 6749 §3.3: visible ASCII except `"` and `\\`, no spaces — a space separates
/// scopes, so two scopes go on two lines).
pub fn scope_problem(scope: &str) -> Option<String> {
    if scope.len() > crate::input::MAX_FIELD_LEN {
        return Some(format!(
            "a scope is at most {} characters long",
            crate::input::MAX_FIELD_LEN
        ));
    }
    if scope.contains(' ') {
        return Some(format!(
            "`{scope}` contains a space; put each scope on a line of its own"
        ));
    }
    scope
        .chars()
        .find(|&c| !c.is_ascii_graphic() || c == '"' || c == '\\')
        .map(|c| format!("a scope cannot contain {}", crate::input::describe_char(c)))
}

/// The requested scopes the granted scope lacks, in request order. Both are split at spaces,
/// commas and semicolons; a service that states no granted scope (`None`) granted what was asked.
pub fn missing_from_grant(requested: &str, granted: Option<&str>) -> Vec<String> {
    let Some(granted) = granted else {
        return Vec::new();
    };
    let split = |text: &str| -> Vec<String> {
        text.split([' ', ',', ';'])
            .map(str::trim)
            .filter(|scope| !scope.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let granted = split(granted);
    split(requested)
        .into_iter()
        .filter(|scope| !granted.contains(scope))
        .collect()
}

/// What usually makes a service drop the `missing` scopes, for the service whose client flow is
/// `authorization`: an offline-access scope is granted only after a fresh consent (and, at
/// Google, with `access_type=offline`); other scopes need the app registration's permission.
pub fn missing_scope_advice(
    missing: &[String],
    authorization: Option<&AuthorizationSettings>,
) -> String {
    let offline = missing
        .iter()
        .any(|scope| scope.eq_ignore_ascii_case("offline_access"));
    let has_param =
        |name: &str| authorization.is_some_and(|auth| auth.params.iter().any(|p| p.name == name));
    let google = authorization.is_some_and(|auth| auth.url.contains("google"));
    let mut advice = if offline {
        "Without offline access no refresh token comes. Services grant it only on a consent screen: ".to_owned()
    } else {
        "The service granted less than was asked: the user declined a scope, or the app registration does not allow it. To ask again: ".to_owned()
    };
    let mut steps: Vec<&str> = Vec::new();
    if !has_param("prompt") {
        steps.push("add the extra authorization parameter prompt=consent");
    }
    if google && !has_param("access_type") {
        steps.push("add access_type=offline");
    }
    if !offline {
        steps.push("check the scopes allowed in the app registration");
    }
    steps.push("then run client-flow authorization again and approve every scope");
    advice.push_str(&steps.join(", "));
    advice.push('.');
    advice
}

#[cfg(test)]
mod tests;
