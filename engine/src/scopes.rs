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

#[cfg(test)]
mod tests;
