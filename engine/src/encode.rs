//! The encoding contexts a variable's value can land in, and the encoders for each.
//!
//! A value is always encoded for where it lands, once, after template expansion — so a value can
//! neither add a parameter, a header, a path segment or a host, nor be expanded again.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::settings::SpaceEncoding;

/// Where a rendered value lands; decides how each variable's value is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// Inserted as is. For values the caller encodes as a whole afterwards (parameter values).
    Raw,
    /// A URL template: a variable in the scheme, host or path is encoded like [`Encoding::PathSegment`],
    /// one after the first literal `?` or `#` like [`Encoding::Query`]; a variable may not form a
    /// `.` or `..` path segment.
    Url,
    /// Percent-encoded so that it stays inside one path segment or host label: everything but the
    /// RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`) is encoded, including `/ ? # @ : %`.
    PathSegment,
    /// Percent-encoded for a query component: like [`Encoding::PathSegment`], a space as `%20`.
    Query,
    /// `application/x-www-form-urlencoded`: a space as `+`, everything else but `* - . _` and
    /// alphanumerics percent-encoded.
    Form,
    /// Escaped for the inside of a JSON string (without the quotes).
    Json,
    /// Inserted as is into an HTTP header value; a line break (CR, LF) or NUL is an error.
    Header,
}

/// Everything but the RFC 3986 unreserved characters.
pub const STRICT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes everything but the unreserved characters (a space becomes `%20`).
pub fn percent_encode(value: &str) -> String {
    utf8_percent_encode(value, STRICT).to_string()
}

/// Encodes a query component, writing a space as `%20` or `+`.
pub fn query_component(value: &str, spaces: SpaceEncoding) -> String {
    let encoded = percent_encode(value);
    match spaces {
        SpaceEncoding::Percent20 => encoded,
        SpaceEncoding::Plus => encoded.replace("%20", "+"),
    }
}

/// Encodes a value the way `application/x-www-form-urlencoded` does (a space becomes `+`).
pub fn form_component(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Escapes a value for the inside of a JSON string literal.
pub fn json_string_content(value: &str) -> String {
    let quoted = serde_json::Value::String(value.to_owned()).to_string();
    // `Value::to_string` of a string is always `"…"`.
    quoted[1..quoted.len() - 1].to_owned()
}

/// Whether a header value contains a character that would end the header (CR, LF) or that HTTP
/// forbids (NUL).
pub fn has_header_break(value: &str) -> bool {
    value.contains(['\r', '\n', '\0'])
}

/// Whether `name` is a valid HTTP header name (an RFC 9110 token).
pub fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Encodes `value` for `encoding` (for [`Encoding::Url`], as in the host or path).
pub(crate) fn encode(value: &str, encoding: Encoding) -> String {
    match encoding {
        Encoding::Raw | Encoding::Header => value.to_owned(),
        Encoding::Url | Encoding::PathSegment | Encoding::Query => percent_encode(value),
        Encoding::Form => form_component(value),
        Encoding::Json => json_string_content(value),
    }
}

#[cfg(test)]
mod tests;
