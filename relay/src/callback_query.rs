//! Reading a redirect callback's parameters (`?code=…&state=…`, or a form_post body) before the
//! relay keeps them for pickup.
//!
//! The relay never interprets the values; it only finds `state` (to know whether the callback
//! was asked for), refuses input that is too large or ambiguous (duplicated names), and
//! re-encodes the pairs so what it stores and redirects to is plain `application/x-www-form-urlencoded`
//! ASCII whatever bytes arrived.

/// Longest single parameter (name plus value, decoded), in bytes.
pub const MAX_PARAM_LEN: usize = 2048;
/// Longest whole callback (as received, and as re-encoded), in bytes.
pub const MAX_QUERY_LEN: usize = 4096;
/// Most parameters in one callback.
pub const MAX_PARAMS: usize = 32;

/// A callback the relay is willing to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackQuery {
    /// The `state` parameter, if present.
    pub state: Option<String>,
    /// The parameters re-encoded as `application/x-www-form-urlencoded` (ASCII only).
    pub canonical: String,
}

/// Why a callback is not kept. Carries no parameter names or values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CallbackQueryError {
    /// The whole callback is longer than [`MAX_QUERY_LEN`].
    #[error("the callback is longer than {MAX_QUERY_LEN} bytes")]
    TooLong,
    /// More than [`MAX_PARAMS`] parameters.
    #[error("the callback has more than {MAX_PARAMS} parameters")]
    TooManyParams,
    /// One parameter is longer than [`MAX_PARAM_LEN`].
    #[error("a callback parameter is longer than {MAX_PARAM_LEN} bytes")]
    ParamTooLong,
    /// The same name appears twice (RFC 6749 §3.1: parameters must not be repeated).
    #[error("a callback parameter appears more than once")]
    Duplicate,
    /// No parameters at all.
    #[error("the callback has no parameters")]
    Empty,
}

/// Parses a query string or form body (without the leading `?` or `#`).
pub fn parse_callback_query(input: &str) -> Result<CallbackQuery, CallbackQueryError> {
    if input.len() > MAX_QUERY_LEN {
        return Err(CallbackQueryError::TooLong);
    }
    let mut names: Vec<String> = Vec::new();
    let mut state = None;
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (name, value) in form_urlencoded::parse(input.as_bytes()) {
        if names.len() == MAX_PARAMS {
            return Err(CallbackQueryError::TooManyParams);
        }
        if name.len() + value.len() > MAX_PARAM_LEN {
            return Err(CallbackQueryError::ParamTooLong);
        }
        if names.iter().any(|seen| *seen == name) {
            return Err(CallbackQueryError::Duplicate);
        }
        if name == "state" {
            state = Some(value.clone().into_owned());
        }
        serializer.append_pair(&name, &value);
        names.push(name.into_owned());
    }
    if names.is_empty() {
        return Err(CallbackQueryError::Empty);
    }
    let canonical = serializer.finish();
    if canonical.len() > MAX_QUERY_LEN {
        return Err(CallbackQueryError::TooLong);
    }
    Ok(CallbackQuery { state, canonical })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_state_and_reencodes() {
        let q =
            parse_callback_query("code=a%2Fb+c&state=xyz&iss=https%3A%2F%2Fid.example").unwrap();
        assert_eq!(q.state.as_deref(), Some("xyz"));
        assert_eq!(
            q.canonical,
            "code=a%2Fb+c&state=xyz&iss=https%3A%2F%2Fid.example"
        );
    }

    #[test]
    fn markup_and_control_characters_come_out_percent_encoded() {
        let q =
            parse_callback_query("error_description=%3Cscript%3E%22%00%E2%80%AE&state=s").unwrap();
        assert_eq!(
            q.canonical,
            "error_description=%3Cscript%3E%22%00%E2%80%AE&state=s"
        );
        assert!(q.canonical.bytes().all(|b| b.is_ascii_graphic()));
    }

    #[test]
    fn duplicates_oversize_and_empty_are_refused() {
        assert_eq!(
            parse_callback_query("state=a&state=b"),
            Err(CallbackQueryError::Duplicate)
        );
        assert_eq!(
            parse_callback_query(&format!("code={}", "a".repeat(MAX_PARAM_LEN))),
            Err(CallbackQueryError::ParamTooLong)
        );
        assert_eq!(
            parse_callback_query(&"a".repeat(MAX_QUERY_LEN + 1)),
            Err(CallbackQueryError::TooLong)
        );
        let many: Vec<String> = (0..=MAX_PARAMS).map(|i| format!("p{i}=1")).collect();
        assert_eq!(
            parse_callback_query(&many.join("&")),
            Err(CallbackQueryError::TooManyParams)
        );
        assert_eq!(parse_callback_query(""), Err(CallbackQueryError::Empty));
        assert_eq!(parse_callback_query("&&"), Err(CallbackQueryError::Empty));
    }
}
