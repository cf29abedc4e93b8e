use super::*;
use crate::token::{TokenError, parse_token_response, parse_token_response_at};

fn path(text: &str) -> TokenPath {
    TokenPath::parse(text).expect("path parses")
}

#[test]
fn instagram_documented_shape_is_read_at_the_path() {
    let body = r#"{"data": [{"access_token": "IGQ-short", "user_id": "17841400000", "permissions": "instagram_business_basic"}]}"#;
    let response = parse_token_response_at(
        200,
        Some("application/json"),
        body,
        &path("data[0].access_token"),
    )
    .expect("token found at the path");
    assert_eq!(response.access_token, "IGQ-short");
    assert_eq!(response.fields["user_id"], "17841400000");
    // Without the path, the documented shape has no token: what the old preset relied on.
    assert!(matches!(
        parse_token_response(200, Some("application/json"), body),
        Err(TokenError::MissingAccessToken { .. })
    ));
}

#[test]
fn a_flat_answer_is_still_read_when_the_path_leads_nowhere() {
    let body = r#"{"access_token": "IGQ-flat", "user_id": 1}"#;
    let response = parse_token_response_at(200, None, body, &path("data[0].access_token")).unwrap();
    assert_eq!(response.access_token, "IGQ-flat");
}

#[test]
fn fields_beside_the_token_are_read_from_its_object() {
    let body = r#"{"ok": true, "access_token": "xoxb-bot", "authed_user": {"access_token": "xoxp-user", "refresh_token": "xoxe-1", "expires_in": 43200, "scope": "channels:history"}}"#;
    let response =
        parse_token_response_at(200, None, body, &path("authed_user.access_token")).unwrap();
    assert_eq!(response.access_token, "xoxp-user");
    assert_eq!(response.refresh_token.as_deref(), Some("xoxe-1"));
    assert_eq!(response.expires_in, Some(43_200));
    assert_eq!(response.scope.as_deref(), Some("channels:history"));
}

#[test]
fn a_token_under_another_name_is_found() {
    let body = r#"{"result": {"token": "abc", "expires_in": "60"}}"#;
    let response = parse_token_response_at(200, None, body, &path("result.token")).unwrap();
    assert_eq!(response.access_token, "abc");
    assert_eq!(response.expires_in, Some(60));
}

#[test]
fn errors_are_read_at_the_top_level_whatever_the_path() {
    let body = r#"{"error": {"message": "Invalid verification code format.", "type": "OAuthException", "code": 100}}"#;
    let error =
        parse_token_response_at(400, None, body, &path("data[0].access_token")).unwrap_err();
    assert!(
        matches!(error, TokenError::OAuth { ref error, .. } if error == "OAuthException"),
        "{error:?}"
    );
}

#[test]
fn empty_path_is_the_top_level() {
    assert!(TokenPath::parse("").unwrap().is_top_level());
    assert!(TokenPath::parse("  ").unwrap().is_top_level());
    assert!(!path("data[0].access_token").is_top_level());
}

#[test]
fn paths_print_as_written() {
    for text in [
        "access_token",
        "data[0].access_token",
        "a.b[2][3].c",
        "authed_user.access_token",
    ] {
        assert_eq!(path(text).to_string(), text);
    }
}

#[test]
fn malformed_paths_are_refused_with_the_reason() {
    assert!(matches!(
        TokenPath::parse("data..access_token"),
        Err(PathError::EmptyName(_))
    ));
    assert!(matches!(
        TokenPath::parse(".access_token"),
        Err(PathError::EmptyName(_))
    ));
    assert!(matches!(
        TokenPath::parse("data[x].access_token"),
        Err(PathError::BadIndex(_))
    ));
    assert!(matches!(
        TokenPath::parse("data[0"),
        Err(PathError::BadIndex(_))
    ));
    assert!(matches!(
        TokenPath::parse("data[0]"),
        Err(PathError::EndsInIndex(_))
    ));
    assert!(matches!(
        TokenPath::parse("data[0].access token"),
        Err(PathError::BadCharacter { .. })
    ));
    assert!(matches!(
        TokenPath::parse(&"a.".repeat(150)),
        Err(PathError::TooLong)
    ));
    let message = TokenPath::parse("data[0]").unwrap_err().to_string();
    assert!(message.contains("data[0].access_token"), "{message}");
}

#[test]
fn an_index_past_the_end_or_a_wrong_kind_leads_nowhere() {
    let body = r#"{"data": [], "other": {"access_token": 5}}"#;
    let fields: BTreeMap<String, Value> = serde_json::from_str(body).unwrap();
    assert!(path("data[0].access_token").find(&fields).is_none());
    assert!(path("other[0].access_token").find(&fields).is_none());
    assert!(path("other.access_token").find(&fields).is_some());
}
