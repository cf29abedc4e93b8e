//! Tests of `token`.

use serde_json::json;

use super::*;
use crate::settings::ClientAuth;

const JSON: Option<&str> = Some("application/json; charset=utf-8");
const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

fn ok(status: u16, content_type: Option<&str>, body: &str) -> TokenResponse {
    parse_token_response(status, content_type, body)
        .unwrap_or_else(|error| panic!("{body}: {error}"))
}

fn err(status: u16, content_type: Option<&str>, body: &str) -> TokenError {
    parse_token_response(status, content_type, body).expect_err(body)
}

#[test]
fn standard_json_response() {
    let response = ok(
        200,
        JSON,
        r#"{"access_token":"at","token_type":"Bearer","expires_in":3599,"refresh_token":"rt","scope":"openid email","id_token":"eyJ","extra":{"a":1}}"#,
    );
    assert_eq!(response.access_token, "at");
    assert_eq!(response.token_type.as_deref(), Some("Bearer"));
    assert_eq!(response.expires_in, Some(3599));
    assert_eq!(response.refresh_token.as_deref(), Some("rt"));
    assert_eq!(response.refresh_token_expires_in, None);
    assert_eq!(response.scope.as_deref(), Some("openid email"));
    assert_eq!(response.id_token.as_deref(), Some("eyJ"));
    assert_eq!(response.fields.len(), 7);
    assert_eq!(response.fields["extra"], json!({"a": 1}));
}

#[test]
fn form_encoded_response_like_github() {
    let response = ok(
        200,
        FORM,
        "access_token=gho_16C7&scope=repo%2Cgist&token_type=bearer",
    );
    assert_eq!(response.access_token, "gho_16C7");
    assert_eq!(response.scope.as_deref(), Some("repo,gist"));
    assert_eq!(response.fields["token_type"], json!("bearer"));
}

#[test]
fn format_is_sniffed_when_the_content_type_is_missing_or_wrong() {
    assert_eq!(ok(200, None, r#" {"access_token":"a"}"#).access_token, "a");
    assert_eq!(
        ok(200, Some("text/plain"), "access_token=b&expires=5183999").expires_in,
        Some(5_183_999)
    );
    assert_eq!(
        ok(200, Some("text/html"), r#"{"access_token":"c"}"#).access_token,
        "c"
    );
    assert_eq!(ok(200, FORM, r#"{"access_token":"d"}"#).access_token, "d");
    assert_eq!(ok(200, JSON, "access_token=e").access_token, "e");
}

#[test]
fn expires_in_as_number_string_zero_or_absent() {
    let expires = |value: &str| {
        ok(
            200,
            JSON,
            &format!(r#"{{"access_token":"a","expires_in":{value}}}"#),
        )
        .expires_in
    };
    assert_eq!(expires("3600"), Some(3600));
    assert_eq!(expires(r#""3600""#), Some(3600));
    assert_eq!(expires(" 3600.7"), Some(3600));
    assert_eq!(expires(r#"" 3600.7""#), Some(3600));
    assert_eq!(expires(r#""3600.""#), Some(3600));
    assert_eq!(expires(r#""3600.x""#), None);
    assert_eq!(expires(r#""-5""#), None);
    assert_eq!(expires("0"), None);
    assert_eq!(expires(r#""0""#), None);
    assert_eq!(expires("-5"), None);
    assert_eq!(expires(r#""soon""#), None);
    assert_eq!(expires("null"), None);
    assert_eq!(ok(200, JSON, r#"{"access_token":"a"}"#).expires_in, None);
}

#[test]
fn refresh_lifetimes_under_common_names() {
    for name in [
        "refresh_token_expires_in",
        "x_refresh_token_expires_in",
        "refresh_expires_in",
    ] {
        let body = format!(r#"{{"access_token":"a","refresh_token":"r","{name}":"8726400"}}"#);
        assert_eq!(
            ok(200, JSON, &body).refresh_token_expires_in,
            Some(8_726_400),
            "{name}"
        );
    }
}

#[test]
fn scope_as_an_array() {
    assert_eq!(
        ok(200, JSON, r#"{"access_token":"a","scope":["x","y"]}"#)
            .scope
            .as_deref(),
        Some("x y")
    );
}

#[test]
fn rfc6749_error() {
    let error = err(
        400,
        JSON,
        r#"{"error":"invalid_grant","error_description":"Bad Request","error_uri":"https://docs.example/e"}"#,
    );
    assert_eq!(
        error,
        TokenError::OAuth {
            status: 400,
            error: "invalid_grant".into(),
            description: Some("Bad Request".into()),
            uri: Some("https://docs.example/e".into()),
        }
    );
    assert_eq!(
        error.to_string(),
        "The token endpoint answered 400 with error `invalid_grant`: Bad Request (more: https://docs.example/e)"
    );
}

#[test]
fn github_error_with_status_200_in_form_data() {
    let error = err(
        200,
        FORM,
        "error=bad_verification_code&error_description=The+code+passed+is+incorrect",
    );
    assert!(
        matches!(&error, TokenError::OAuth { status: 200, error, description: Some(d), .. }
        if error == "bad_verification_code" && d == "The code passed is incorrect"),
        "{error:?}"
    );
}

#[test]
fn non_standard_error_shapes() {
    let facebook = err(
        400,
        JSON,
        r#"{"error":{"message":"Invalid verification code format.","type":"OAuthException","code":100}}"#,
    );
    assert_eq!(
        facebook,
        TokenError::OAuth {
            status: 400,
            error: "OAuthException".into(),
            description: Some("Invalid verification code format.".into()),
            uri: None
        }
    );
    let message = err(
        401,
        JSON,
        r#"{"message":"Unauthorized client","code":"401"}"#,
    );
    assert!(
        matches!(&message, TokenError::OAuth { error, description: Some(d), .. } if error == "401" && d == "Unauthorized client")
    );
    let errors = err(
        400,
        JSON,
        r#"{"errors":[{"message":"bad code","code":"INVALID"}]}"#,
    );
    assert!(
        matches!(&errors, TokenError::OAuth { error, description: Some(d), .. } if error == "INVALID" && d == "bad code")
    );
    let okta = err(
        400,
        JSON,
        r#"{"errorCode":"E0000021","errorSummary":"Bad request."}"#,
    );
    assert!(
        matches!(&okta, TokenError::OAuth { error, description: Some(d), .. } if error == "E0000021" && d == "Bad request.")
    );
    let bare = err(500, JSON, r#"{"error_message":"oops"}"#);
    assert!(
        matches!(&bare, TokenError::OAuth { error, .. } if error == "error"),
        "{bare:?}"
    );
}

#[test]
fn html_and_empty_bodies_become_http_errors() {
    let html = format!(
        "<html><head><title>502 Bad Gateway</title></head>\n<body>{}</body></html>",
        "x".repeat(500)
    );
    let error = err(502, Some("text/html"), &html);
    let TokenError::Http { status, excerpt } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(*status, 502);
    assert!(
        excerpt.starts_with("<html><head><title>502 Bad Gateway</title></head> <body>xxx"),
        "{excerpt}"
    );
    assert_eq!(excerpt.chars().count(), EXCERPT_LEN);
    assert!(excerpt.ends_with('…'));
    assert_eq!(
        err(503, None, ""),
        TokenError::Http {
            status: 503,
            excerpt: String::new()
        }
    );
    assert_eq!(
        err(503, None, "").to_string(),
        "The token endpoint answered HTTP 503 with an empty body"
    );
    // A JSON error body with no recognisable error is still an HTTP error.
    assert_eq!(
        err(500, JSON, r#"{"ok":false}"#),
        TokenError::Http {
            status: 500,
            excerpt: r#"{"ok":false}"#.into()
        }
    );
    // A token in a non-2xx answer is not trusted.
    assert!(matches!(
        err(404, JSON, r#"{"access_token":"a"}"#),
        TokenError::Http { status: 404, .. }
    ));
}

#[test]
fn unreadable_or_incomplete_success() {
    assert_eq!(
        err(200, Some("text/html"), "<p>Login</p>"),
        TokenError::Unreadable {
            status: 200,
            excerpt: "<p>Login</p>".into()
        }
    );
    assert!(matches!(
        err(200, JSON, "[1,2]"),
        TokenError::Unreadable { .. }
    ));
    assert!(matches!(err(200, None, ""), TokenError::Unreadable { .. }));
    let missing = err(200, JSON, r#"{"token_type":"Bearer","access_token":""}"#);
    assert_eq!(
        missing,
        TokenError::MissingAccessToken {
            fields: vec!["access_token".into(), "token_type".into()]
        }
    );
    assert_eq!(
        missing.to_string(),
        "The response has no access_token (its fields: access_token, token_type)"
    );
}

#[test]
fn keep_refresh_token() {
    let mut without = ok(200, JSON, r#"{"access_token":"a"}"#);
    without.keep_refresh_token(Some("old"));
    assert_eq!(without.refresh_token.as_deref(), Some("old"));
    let mut with = ok(200, JSON, r#"{"access_token":"a","refresh_token":"new"}"#);
    with.keep_refresh_token(Some("old"));
    assert_eq!(with.refresh_token.as_deref(), Some("new"));
    let mut none = ok(200, JSON, r#"{"access_token":"a","refresh_token":""}"#);
    none.keep_refresh_token(None);
    assert_eq!(none.refresh_token, None);
}

#[test]
fn expires_at() {
    assert_eq!(
        ok(200, JSON, r#"{"access_token":"a","expires_in":60}"#).expires_at(1000),
        Some(1060)
    );
    assert_eq!(
        ok(200, JSON, r#"{"access_token":"a"}"#).expires_at(1000),
        None
    );
}

#[test]
fn hints() {
    let oauth = |error: &str, description: Option<&str>| TokenError::OAuth {
        status: 400,
        error: error.into(),
        description: description.map(Into::into),
        uri: None,
    };
    assert!(
        oauth("invalid_client", None)
            .hint()
            .unwrap()
            .contains("Basic header ↔ in body")
    );
    assert!(
        oauth("invalid_grant", None)
            .hint()
            .unwrap()
            .contains("run step 2 again")
    );
    let redirect = "redirect URI must match";
    assert!(
        oauth("redirect_uri_mismatch", None)
            .hint()
            .unwrap()
            .contains(redirect)
    );
    assert!(
        oauth(
            "invalid_grant",
            Some("AADSTS50011: The Redirect URI does not match")
        )
        .hint()
        .unwrap()
        .contains(redirect)
    );
    assert!(oauth("invalid_scope", None).hint().is_some());
    assert_eq!(oauth("server_error", None).hint(), None);
    assert!(
        TokenError::Http {
            status: 401,
            excerpt: String::new()
        }
        .hint()
        .unwrap()
        .contains("Basic header")
    );
    assert_eq!(
        TokenError::Http {
            status: 500,
            excerpt: String::new()
        }
        .hint(),
        None
    );
}

#[test]
fn debug_hides_tokens() {
    let response = ok(
        200,
        JSON,
        r#"{"access_token":"at-secret","refresh_token":"rt-secret","id_token":"id-secret"}"#,
    );
    let debug = format!("{response:?}");
    assert!(!debug.contains("secret"), "{debug}");
}

#[test]
fn excerpt_collapses_whitespace_and_controls() {
    assert_eq!(excerpt("  a\n\n\tb\u{0}c  "), "a b c");
    assert_eq!(excerpt(&"é".repeat(300)).chars().count(), EXCERPT_LEN);
}

#[test]
fn invalid_request_hint_names_what_the_client_auth_usually_misses() {
    let error = |code: &str| TokenError::OAuth {
        status: 400,
        error: code.to_owned(),
        description: Some("no client authentication mechanism provided".to_owned()),
        uri: None,
    };
    let hint = |code: &str, auth| error(code).hint_for(auth).unwrap_or_default();
    assert!(
        hint("invalid_request", ClientAuth::None).contains("must send client_id in the body"),
        "{}",
        hint("invalid_request", ClientAuth::None)
    );
    assert!(hint("invalid_request", ClientAuth::BasicHeader).contains("(client_secret_post)"));
    assert!(hint("invalid_request", ClientAuth::Body).contains("(client_secret_basic)"));
    assert!(hint("invalid_client", ClientAuth::None).contains("type the client secret"));
    assert_eq!(
        error("invalid_grant").hint_for(ClientAuth::None),
        error("invalid_grant").hint(),
        "other errors keep their hint"
    );
}

#[test]
fn a_redirect_mismatch_is_recognised_from_the_parsed_error() {
    let oauth = |error: &str, description: Option<&str>| TokenError::OAuth {
        status: 400,
        error: error.into(),
        description: description.map(Into::into),
        uri: None,
    };
    assert!(oauth("redirect_uri_mismatch", None).is_redirect_mismatch());
    assert!(
        oauth(
            "invalid_grant",
            Some("AADSTS50011: The Redirect URI does not match")
        )
        .is_redirect_mismatch()
    );
    assert!(!oauth("invalid_grant", Some("The code has expired")).is_redirect_mismatch());
    assert!(!oauth("invalid_client", None).is_redirect_mismatch());
    // Only an OAuth error names the cause: an HTML page mentioning a redirect says nothing.
    assert!(
        !TokenError::Http {
            status: 400,
            excerpt: "redirect".to_owned()
        }
        .is_redirect_mismatch()
    );
}
