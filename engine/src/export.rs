//! The shapes the wizard exports tokens in: a JSON object and `.env` lines.
//!
//! The caller passes the expiry time already written in ISO 8601 (the engine has no clock).

use serde::Serialize;

/// What an export carries: the tokens and what the service said about them.
#[derive(Clone, Default, PartialEq, Eq, Serialize)]
pub struct TokenExport {
    /// The access token.
    pub access_token: String,
    /// The refresh token; left out when empty.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub refresh_token: String,
    /// `token_type`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// `expires_in` in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
    /// When the access token expires, ISO 8601 (UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// The scope granted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The OpenID Connect `id_token`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl std::fmt::Debug for TokenExport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenExport")
            .field("token_type", &self.token_type)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl TokenExport {
    /// The JSON object, pretty-printed, fields in a fixed order.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// `ACCESS_TOKEN=…` lines for a `.env` file: the refresh token when there is one, the
    /// token type and the expiry when the service stated them.
    pub fn to_env(&self) -> String {
        let mut lines = vec![format!("ACCESS_TOKEN={}", env_value(&self.access_token))];
        if !self.refresh_token.is_empty() {
            lines.push(format!("REFRESH_TOKEN={}", env_value(&self.refresh_token)));
        }
        if let Some(kind) = &self.token_type {
            lines.push(format!("TOKEN_TYPE={}", env_value(kind)));
        }
        if let Some(at) = &self.expires_at {
            lines.push(format!("TOKEN_EXPIRES_AT={}", env_value(at)));
        }
        lines.join("\n")
    }
}

/// A `.env` value: bare when safe, double-quoted otherwise.
pub fn env_value(value: &str) -> String {
    if value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-._~+/=:".contains(c))
    {
        value.to_owned()
    } else {
        format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> TokenExport {
        TokenExport {
            access_token: "at-1".to_owned(),
            refresh_token: "rt-1".to_owned(),
            token_type: Some("Bearer".to_owned()),
            expires_in: Some(3600),
            expires_at: Some("2026-12-03T12:00:00.000Z".to_owned()),
            scope: Some("read write".to_owned()),
            id_token: Some("eyJ.x.y".to_owned()),
        }
    }

    #[test]
    fn json_carries_every_stated_field_in_order() {
        assert_eq!(
            full().to_json(),
            "{\n  \"access_token\": \"at-1\",\n  \"refresh_token\": \"rt-1\",\n  \"token_type\": \"Bearer\",\n  \
             \"expires_in\": 3600,\n  \"expires_at\": \"2026-12-03T12:00:00.000Z\",\n  \"scope\": \"read write\",\n  \
             \"id_token\": \"eyJ.x.y\"\n}"
        );
    }

    #[test]
    fn json_leaves_out_what_the_service_did_not_say() {
        let bare = TokenExport {
            access_token: "at-1".to_owned(),
            ..TokenExport::default()
        };
        assert_eq!(bare.to_json(), "{\n  \"access_token\": \"at-1\"\n}");
    }

    #[test]
    fn env_lines_name_each_value() {
        assert_eq!(
            full().to_env(),
            "ACCESS_TOKEN=at-1\nREFRESH_TOKEN=rt-1\nTOKEN_TYPE=Bearer\nTOKEN_EXPIRES_AT=2026-12-03T12:00:00.000Z"
        );
        let bare = TokenExport {
            access_token: "a b".to_owned(),
            ..TokenExport::default()
        };
        assert_eq!(bare.to_env(), "ACCESS_TOKEN=\"a b\"");
    }

    #[test]
    fn env_values_are_quoted_only_when_needed() {
        assert_eq!(
            env_value("ya29.a0AfH6SM-x_y~z+/="),
            "ya29.a0AfH6SM-x_y~z+/="
        );
        assert_eq!(env_value("two words"), "\"two words\"");
        assert_eq!(env_value(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(env_value("x#y"), "\"x#y\"");
    }

    #[test]
    fn debug_shows_no_token() {
        let shown = format!("{:?}", full());
        assert!(
            !shown.contains("at-1") && !shown.contains("rt-1") && !shown.contains("eyJ"),
            "{shown}"
        );
    }
}
