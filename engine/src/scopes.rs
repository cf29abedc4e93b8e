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

/// Splits text with one scope per line (the wizard's scope editor) into a scope list.
pub fn scopes_from_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests;
