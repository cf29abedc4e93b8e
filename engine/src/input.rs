//! Checks of what a person types into a one-line field (client id, state, scopes, URLs):
//! characters that cannot be seen or that reorder the text are refused, naming the character,
//! and lengths are capped where a service or the relay would refuse the value later.

/// The longest value a one-line field takes; the relay refuses larger registrations, and no
/// client id, state or URL needs more.
pub const MAX_FIELD_LEN: usize = 2048;

/// What is wrong with a one-line value, in words naming the character; `None` when it is fine.
pub fn single_line_problem(value: &str) -> Option<String> {
    if value.len() > MAX_FIELD_LEN {
        return Some(format!(
            "is {} characters long; at most {MAX_FIELD_LEN} fit here",
            value.chars().count()
        ));
    }
    value
        .chars()
        .find(|&c| c.is_control() || is_bidi_control(c))
        .map(|c| {
            format!(
                "contains {}, which cannot be seen or reorders the text; remove it",
                describe_char(c)
            )
        })
}

/// What is wrong with a redirect URI, in words; `None` when it can be sent. It must be an
/// absolute `https://` URI without a fragment (RFC 6749 §3.1.2); `http://` only on a loopback
/// host (`localhost`, `*.localhost`, `127.x.x.x`, `[::1]`: RFC 8252 §7.3, native apps).
pub fn redirect_uri_problem(uri: &str) -> Option<String> {
    let uri = uri.trim();
    if uri.is_empty() {
        return Some("is empty: enter the redirect URI registered with the service".to_owned());
    }
    if let Some(problem) = single_line_problem(uri) {
        return Some(problem);
    }
    let url = match url::Url::parse(uri) {
        Ok(url) => url,
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            return Some(
                "must be a whole address starting with https:// (or http:// on this computer)"
                    .to_owned(),
            );
        }
        Err(error) => return Some(format!("is not a valid address ({error})")),
    };
    let host = url.host_str().unwrap_or_default();
    match url.scheme() {
        "https" if !host.is_empty() => {}
        "http" if !host.is_empty() => {
            if !is_loopback_host(host) {
                return Some(
                    "may use http:// only for this computer (localhost, 127.0.0.1, [::1]); use https://"
                        .to_owned(),
                );
            }
        }
        "http" | "https" => return Some("has no host".to_owned()),
        other => {
            return Some(format!(
                "must start with https:// (or http:// on this computer), not `{other}:`"
            ));
        }
    }
    if url.fragment().is_some() {
        return Some("must not contain a `#` part (RFC 6749 §3.1.2)".to_owned());
    }
    None
}

/// What is wrong with the address of a relay (empty: this site's own relay), in words.
pub fn relay_url_problem(url: &str) -> Option<String> {
    let url = url.trim();
    if url.is_empty() {
        return None;
    }
    if let Some(problem) = single_line_problem(url) {
        return Some(problem);
    }
    match url::Url::parse(url) {
        Ok(parsed)
            if matches!(parsed.scheme(), "http" | "https")
                && parsed.host_str().is_some_and(|h| !h.is_empty()) =>
        {
            (parsed.query().is_some() || parsed.fragment().is_some())
                .then(|| "must be the relay's address alone, without `?` or `#` parts".to_owned())
        }
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => Some("has no host".to_owned()),
        Ok(parsed) => Some(format!(
            "must start with https:// (or http://), not `{}:`",
            parsed.scheme()
        )),
        Err(url::ParseError::RelativeUrlWithoutBase) => Some(
            "must be a whole address such as https://relay.example.com (or empty for this site's relay)"
                .to_owned(),
        ),
        Err(error) => Some(format!("is not a valid address ({error})")),
    }
}

/// `localhost`, a name under `.localhost`, `127.x.x.x` or `[::1]`.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host == "[::1]"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Characters that change the direction of the text around them (embeddings, overrides,
/// isolates): they make `abc` look like `cba`.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// A character as a person can read it in a message: `U+0009 (tab)`, `` `é` (U+00E9) ``.
pub fn describe_char(c: char) -> String {
    let name = match c {
        '\t' => Some("tab"),
        '\n' => Some("line break"),
        '\r' => Some("carriage return"),
        '\0' => Some("NUL"),
        ' ' => Some("a space"),
        '\u{7F}' => Some("delete"),
        '\u{202A}' => Some("left-to-right embedding"),
        '\u{202B}' => Some("right-to-left embedding"),
        '\u{202C}' => Some("pop directional formatting"),
        '\u{202D}' => Some("left-to-right override"),
        '\u{202E}' => Some("right-to-left override"),
        '\u{2066}' => Some("left-to-right isolate"),
        '\u{2067}' => Some("right-to-left isolate"),
        '\u{2068}' => Some("first strong isolate"),
        '\u{2069}' => Some("pop directional isolate"),
        '\u{200E}' => Some("left-to-right mark"),
        '\u{200F}' => Some("right-to-left mark"),
        '\u{061C}' => Some("Arabic letter mark"),
        _ => None,
    };
    match name {
        Some("a space") => "a space".to_owned(),
        Some(name) => format!("U+{:04X} ({name})", u32::from(c)),
        None if c.is_control() => format!("U+{:04X} (a control character)", u32::from(c)),
        None => format!("`{c}` (U+{:04X})", u32::from(c)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_values_pass() {
        for value in [
            "",
            "e2e-client",
            "openid profile",
            "https://example.com/a?b=c",
            "café",
        ] {
            assert_eq!(single_line_problem(value), None, "{value}");
        }
    }

    #[test]
    fn invisible_and_reordering_characters_are_named() {
        assert_eq!(
            single_line_problem("id\u{0}x").as_deref(),
            Some("contains U+0000 (NUL), which cannot be seen or reorders the text; remove it")
        );
        assert_eq!(
            single_line_problem("read\twrite").as_deref(),
            Some("contains U+0009 (tab), which cannot be seen or reorders the text; remove it")
        );
        assert!(
            single_line_problem("abc\u{202E}def")
                .unwrap()
                .contains("U+202E (right-to-left override)")
        );
        assert!(
            single_line_problem("a\u{2067}b")
                .unwrap()
                .contains("U+2067")
        );
        assert!(
            single_line_problem("a\u{9B}b")
                .unwrap()
                .contains("U+009B (a control character)")
        );
    }

    #[test]
    fn length_is_capped() {
        assert_eq!(single_line_problem(&"a".repeat(MAX_FIELD_LEN)), None);
        assert!(
            single_line_problem(&"a".repeat(MAX_FIELD_LEN + 1))
                .unwrap()
                .contains("at most 2048")
        );
    }

    #[test]
    fn redirect_uris_must_be_absolute_http_s_and_http_only_on_loopback() {
        for good in [
            "https://example.com/cb",
            "http://127.0.0.1:8787/callback",
            "http://localhost/cb",
            "http://echo.localhost:9/echo",
            "http://[::1]:8765/",
            "https://localhost:8765/cb",
        ] {
            assert_eq!(redirect_uri_problem(good), None, "{good}");
        }
        for (bad, says) in [
            ("foo", "whole address"),
            ("http://", "not a valid address"),
            ("javascript:alert(1)", "not `javascript:`"),
            ("https://exa mple.com", "not a valid address"),
            ("http://example.com/cb", "only for this computer"),
            ("https://example.com/cb#x", "`#` part"),
            ("", "is empty"),
            ("https://example.com/\u{202E}", "right-to-left override"),
        ] {
            let problem = redirect_uri_problem(bad).unwrap_or_default();
            assert!(problem.contains(says), "{bad}: {problem}");
        }
    }

    #[test]
    fn relay_urls_are_whole_http_s_addresses_or_empty() {
        for good in [
            "",
            "https://relay.example.com",
            "http://127.0.0.1:8787",
            "https://r.example/base/",
        ] {
            assert_eq!(relay_url_problem(good), None, "{good}");
        }
        for (bad, says) in [
            ("foo", "whole address"),
            ("http://", "not a valid address"),
            ("ftp://r.example", "not `ftp:`"),
            ("https://r.example/?x=1", "without `?`"),
        ] {
            let problem = relay_url_problem(bad).unwrap_or_default();
            assert!(problem.contains(says), "{bad}: {problem}");
        }
    }

    #[test]
    fn characters_are_described_readably() {
        assert_eq!(describe_char('é'), "`é` (U+00E9)");
        assert_eq!(describe_char(' '), "a space");
        assert_eq!(describe_char('\n'), "U+000A (line break)");
    }
}
