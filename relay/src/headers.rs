//! Which headers cross the token proxy, in each direction: an allowlist, never a denylist.
//!
//! Requests may carry only what a token endpoint needs (`content-type`, `accept`,
//! `authorization` for client_secret_basic, `dpop`, …). `Host`, `Cookie`, hop-by-hop and
//! forwarding headers can never be added, not even by the operator. Responses pass back only
//! the headers a token client reads; `set-cookie` never reaches the browser.

use std::collections::BTreeSet;

use axum::http::{HeaderMap, HeaderName, HeaderValue};

/// Request headers forwarded by default.
pub const DEFAULT_FORWARDED: &[&str] = &[
    "accept",
    "accept-language",
    "authorization",
    "content-type",
    "dpop",
    "user-agent",
];

/// Request headers that may never be forwarded, whatever the configuration says.
pub const NEVER_FORWARDED: &[&str] = &[
    "connection",
    "content-length",
    "cookie",
    "cookie2",
    "expect",
    "forwarded",
    "host",
    "keep-alive",
    "origin",
    "referer",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "via",
];

/// Prefixes of request headers that may never be forwarded.
pub const NEVER_FORWARDED_PREFIXES: &[&str] = &["proxy-", "x-forwarded-", "sec-", "x-real-ip"];

/// Response headers passed back to the browser inside the envelope.
pub const RESPONSE_HEADERS: &[&str] = &[
    "cache-control",
    "content-type",
    "dpop-nonce",
    "location",
    "pragma",
    "retry-after",
    "www-authenticate",
];

/// Most headers one proxied request may carry.
pub const MAX_HEADERS: usize = 32;

/// Why the envelope's headers were refused. Values are never repeated (they may hold secrets).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// More than [`MAX_HEADERS`].
    #[error("at most {MAX_HEADERS} headers may be sent")]
    TooMany,
    /// A CR, LF or NUL in a name or value (header injection).
    #[error("a header name or value contains a line break or NUL character")]
    LineBreak,
    /// Not a valid header name.
    #[error("a header name is empty or contains characters that are not allowed")]
    InvalidName,
    /// Not a valid header value (non-ASCII or control characters).
    #[error(
        "the value of header `{0}` contains characters that are not allowed (printable ASCII only)"
    )]
    InvalidValue(String),
    /// Not on the allowlist.
    #[error("header `{0}` is not forwarded by this relay (allowed: {1})")]
    NotAllowed(String, String),
    /// Sent twice.
    #[error("header `{0}` is sent more than once")]
    Duplicate(String),
}

/// Why an operator's extra header name was refused at start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderPolicyError {
    /// Not a header name.
    #[error("`{0}` is not a valid header name")]
    InvalidName(String),
    /// On the never-forwarded list.
    #[error(
        "header `{0}` can never be forwarded (host, cookie, hop-by-hop and forwarding headers)"
    )]
    Forbidden(String),
}

/// True for headers that may never be forwarded.
pub fn is_never_forwarded(lower_name: &str) -> bool {
    NEVER_FORWARDED.contains(&lower_name)
        || NEVER_FORWARDED_PREFIXES
            .iter()
            .any(|prefix| lower_name.starts_with(prefix))
}

/// The set of request headers this relay forwards.
#[derive(Debug, Clone)]
pub struct HeaderPolicy {
    forwarded: BTreeSet<String>,
}

impl Default for HeaderPolicy {
    fn default() -> Self {
        Self {
            forwarded: DEFAULT_FORWARDED.iter().map(|s| (*s).to_owned()).collect(),
        }
    }
}

impl HeaderPolicy {
    /// The default set plus `extra` names from the operator.
    pub fn with_extra(extra: &[String]) -> Result<Self, HeaderPolicyError> {
        let mut policy = Self::default();
        for name in extra {
            let lower = name.trim().to_ascii_lowercase();
            if HeaderName::from_bytes(lower.as_bytes()).is_err() {
                return Err(HeaderPolicyError::InvalidName(name.clone()));
            }
            if is_never_forwarded(&lower) {
                return Err(HeaderPolicyError::Forbidden(lower));
            }
            policy.forwarded.insert(lower);
        }
        Ok(policy)
    }

    /// True if `lower_name` is forwarded.
    pub fn allows(&self, lower_name: &str) -> bool {
        self.forwarded.contains(lower_name) && !is_never_forwarded(lower_name)
    }

    /// Checks the envelope's headers and turns them into typed ones for the upstream request.
    pub fn filter_request<N: AsRef<str>, V: AsRef<str>>(
        &self,
        headers: &[(N, V)],
    ) -> Result<Vec<(HeaderName, HeaderValue)>, HeaderError> {
        if headers.len() > MAX_HEADERS {
            return Err(HeaderError::TooMany);
        }
        let mut out: Vec<(HeaderName, HeaderValue)> = Vec::with_capacity(headers.len());
        for (name, value) in headers {
            let (name, value) = (name.as_ref(), value.as_ref());
            let has_break = |s: &str| s.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0));
            if has_break(name) || has_break(value) {
                return Err(HeaderError::LineBreak);
            }
            let header_name = HeaderName::from_bytes(name.trim().as_bytes())
                .map_err(|_| HeaderError::InvalidName)?;
            let lower = header_name.as_str();
            if !self.allows(lower) {
                return Err(HeaderError::NotAllowed(
                    lower.to_owned(),
                    self.allowed_list(),
                ));
            }
            // At most MAX_HEADERS names: a scan is cheaper than a set.
            if out.iter().any(|(seen, _)| *seen == header_name) {
                return Err(HeaderError::Duplicate(lower.to_owned()));
            }
            // `HeaderValue` would take non-ASCII bytes too; upstreams read them inconsistently.
            let printable = value
                .bytes()
                .all(|b| b == b'\t' || (0x20..0x7f).contains(&b));
            let header_value = HeaderValue::from_str(value)
                .ok()
                .filter(|_| printable)
                .ok_or_else(|| HeaderError::InvalidValue(lower.to_owned()))?;
            out.push((header_name, header_value));
        }
        Ok(out)
    }

    fn allowed_list(&self) -> String {
        self.forwarded
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The upstream response headers the browser may see, as `(lower-case name, value)` pairs.
/// Values that are not printable ASCII are dropped rather than mangled.
pub fn filter_response(headers: &HeaderMap) -> Vec<(String, String)> {
    response_headers(headers)
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

/// [`filter_response`] without copies: the passed headers, borrowed from `headers`.
pub fn response_headers(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .iter()
        .filter(|(name, _)| RESPONSE_HEADERS.contains(&name.as_str()))
        .filter_map(|(name, value)| {
            let text = value.to_str().ok()?;
            (!text.bytes().any(|b| b.is_ascii_control())).then_some((name.as_str(), text))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn allowed_headers_pass_with_lower_case_names() {
        let out = HeaderPolicy::default()
            .filter_request(&pairs(&[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Authorization", "Basic YTpi"),
            ]))
            .unwrap();
        assert_eq!(out[0].0.as_str(), "content-type");
        assert_eq!(out[1].1, "Basic YTpi");
    }

    #[test]
    fn forbidden_headers_are_refused_by_name() {
        let policy = HeaderPolicy::default();
        for name in [
            "Host",
            "Cookie",
            "Connection",
            "Transfer-Encoding",
            "X-Forwarded-For",
            "Forwarded",
            "Proxy-Authorization",
            "X-Custom",
        ] {
            let err = policy.filter_request(&pairs(&[(name, "x")])).unwrap_err();
            assert!(
                matches!(err, HeaderError::NotAllowed(ref n, _) if *n == name.to_ascii_lowercase()),
                "{name}: {err:?}"
            );
        }
    }

    #[test]
    fn injection_and_malformed_values_are_refused() {
        let policy = HeaderPolicy::default();
        assert_eq!(
            policy
                .filter_request(&pairs(&[("accept", "a\r\nHost: evil")]))
                .unwrap_err(),
            HeaderError::LineBreak
        );
        assert_eq!(
            policy
                .filter_request(&pairs(&[("accept\n", "a")]))
                .unwrap_err(),
            HeaderError::LineBreak
        );
        assert_eq!(
            policy
                .filter_request(&pairs(&[("accept", "a\0")]))
                .unwrap_err(),
            HeaderError::LineBreak
        );
        assert_eq!(
            policy
                .filter_request(&pairs(&[("acc ept", "a")]))
                .unwrap_err(),
            HeaderError::InvalidName
        );
        assert_eq!(
            policy
                .filter_request(&pairs(&[("accept", "caf\u{e9}")]))
                .unwrap_err(),
            HeaderError::InvalidValue("accept".into())
        );
        assert_eq!(
            policy
                .filter_request(&pairs(&[("accept", "a"), ("Accept", "b")]))
                .unwrap_err(),
            HeaderError::Duplicate("accept".into())
        );
        let many: Vec<_> = (0..=MAX_HEADERS)
            .map(|_| ("accept".to_owned(), "a".to_owned()))
            .collect();
        assert_eq!(
            policy.filter_request(&many).unwrap_err(),
            HeaderError::TooMany
        );
    }

    #[test]
    fn operators_can_add_headers_but_never_forbidden_ones() {
        let policy = HeaderPolicy::with_extra(&["Notion-Version".into()]).unwrap();
        assert!(
            policy
                .filter_request(&pairs(&[("notion-version", "2022-06-28")]))
                .is_ok()
        );
        assert_eq!(
            HeaderPolicy::with_extra(&["Cookie".into()]).unwrap_err(),
            HeaderPolicyError::Forbidden("cookie".into())
        );
        assert_eq!(
            HeaderPolicy::with_extra(&["x-forwarded-host".into()]).unwrap_err(),
            HeaderPolicyError::Forbidden("x-forwarded-host".into())
        );
        assert!(matches!(
            HeaderPolicy::with_extra(&["bad name".into()]),
            Err(HeaderPolicyError::InvalidName(_))
        ));
    }

    #[test]
    fn response_filter_keeps_only_the_allowlist() {
        let mut map = HeaderMap::new();
        map.insert("content-type", HeaderValue::from_static("application/json"));
        map.insert("set-cookie", HeaderValue::from_static("sid=1"));
        map.insert("dpop-nonce", HeaderValue::from_static("n1"));
        map.insert("x-powered-by", HeaderValue::from_static("php"));
        let out = filter_response(&map);
        assert_eq!(
            out,
            vec![
                ("content-type".into(), "application/json".into()),
                ("dpop-nonce".into(), "n1".into())
            ]
        );
    }
}
