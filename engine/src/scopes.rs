//! Joining a scope list into the one `scope` value a service expects.

use crate::settings::ScopeSeparator;

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

/// What is wrong with one scope, in words naming the character; `None` when it is a valid
/// scope token (RFC 6749 §3.3: visible ASCII except `"` and `\\`, no spaces — a space separates
/// scopes, so two scopes go on two lines).
pub fn scope_problem(scope: &str) -> Option<String> {
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

#[cfg(test)]
mod tests;
