use super::*;
use crate::settings::{ClientAuth, HttpMethod, Param};
use crate::token::parse_token_response;

fn instagram_like() -> ServiceSettings {
    let mut settings: ServiceSettings = serde_json::from_value(serde_json::json!({
        "token": {
            "url": "https://api.example.com/oauth/access_token",
            "grant-type": "authorization_code",
            "client-auth": "body",
            "token-path": "data[0].access_token",
            "body": [
                {"name": "grant_type", "value": "{grant_type}"},
                {"name": "code", "value": "{code}"}
            ]
        }
    }))
    .expect("settings");
    settings.follow_up = Some(EndpointSettings {
        method: HttpMethod::Get,
        grant_type: "ig_exchange_token".to_owned(),
        client_auth: ClientAuth::None,
        query: vec![
            Param {
                name: "grant_type".into(),
                value: "{grant_type}".into(),
                optional: false,
            },
            Param {
                name: "client_secret".into(),
                value: "{client_secret}".into(),
                optional: false,
            },
            Param {
                name: "access_token".into(),
                value: "{token}".into(),
                optional: false,
            },
        ],
        ..EndpointSettings::authorization_code("https://graph.example.com/access_token")
    });
    settings.follow_up.as_mut().unwrap().body.clear();
    settings
}

fn vars() -> Vars {
    Vars::new()
        .with("client_id", "app-1")
        .with("client_secret", "s3cret")
        .with("code", "the-code")
        .with("token", "an-older-token")
}

fn first() -> TokenResponse {
    parse_token_response(
        200,
        None,
        r#"{"access_token": "short", "expires_in": 3600, "refresh_token": "r1", "scope": "a"}"#,
    )
    .unwrap()
}

#[test]
fn a_refresh_by_exchanging_the_access_token_is_recognised() {
    let mut settings = instagram_like();
    assert!(!settings.refresh_uses_access_token(), "no refresh settings");
    let mut refresh =
        EndpointSettings::refresh_token("https://graph.example.com/refresh_access_token");
    settings.refresh = Some(refresh.clone());
    assert!(
        !settings.refresh_uses_access_token(),
        "a refresh token grant"
    );
    refresh.body = vec![Param {
        name: "access_token".into(),
        value: "{token}".into(),
        optional: false,
    }];
    settings.refresh = Some(refresh);
    assert!(settings.refresh_uses_access_token());
}

#[test]
fn no_follow_up_without_settings() {
    let mut settings = instagram_like();
    settings.follow_up = None;
    assert!(follow_up_request(&settings, &vars(), &first()).is_none());
}

#[test]
fn the_follow_up_sends_the_first_answers_token() {
    let request = follow_up_request(&instagram_like(), &vars(), &first())
        .expect("has a follow-up")
        .expect("builds");
    assert_eq!(request.method, HttpMethod::Get);
    assert_eq!(
        request.url,
        "https://graph.example.com/access_token?grant_type=ig_exchange_token&client_secret=s3cret&access_token=short"
    );
    assert!(request.body.is_none());
}

#[test]
fn a_follow_up_build_error_names_the_follow_up_field() {
    let mut vars = vars();
    vars.set("client_secret", "");
    let error = follow_up_request(&instagram_like(), &vars, &first())
        .unwrap()
        .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("Follow-up exchange query parameter `client_secret`"),
        "{error}"
    );
}

#[test]
fn merge_takes_the_new_token_and_keeps_what_the_second_answer_lacks() {
    let second = parse_token_response(
        200,
        None,
        r#"{"access_token": "long", "token_type": "bearer", "expires_in": 5184000}"#,
    )
    .unwrap();
    let merged = merge(first(), second);
    assert_eq!(merged.access_token, "long");
    assert_eq!(merged.expires_in, Some(5_184_000));
    assert_eq!(merged.refresh_token.as_deref(), Some("r1"));
    assert_eq!(merged.scope.as_deref(), Some("a"));
    assert_eq!(merged.fields["access_token"], "long");
}

#[test]
fn merge_takes_a_new_refresh_token() {
    let second = parse_token_response(
        200,
        None,
        r#"{"access_token": "long", "refresh_token": "r2"}"#,
    )
    .unwrap();
    let merged = merge(first(), second);
    assert_eq!(merged.refresh_token.as_deref(), Some("r2"));
    assert_eq!(merged.expires_in, None);
}

#[test]
fn the_endpoint_response_is_read_at_its_token_path() {
    let settings = instagram_like();
    let body = r#"{"data": [{"access_token": "short", "user_id": "1"}]}"#;
    let response =
        parse_endpoint_response(&settings.token, 200, Some("application/json"), body).unwrap();
    assert_eq!(response.access_token, "short");
}

#[test]
fn a_bad_token_path_and_the_follow_up_are_validated() {
    let mut settings = instagram_like();
    assert_eq!(settings.validate(), Ok(()));
    settings.token.token_path = "data[0]".to_owned();
    if let Some(follow_up) = &mut settings.follow_up {
        follow_up.url = "ftp://graph.example.com".to_owned();
    }
    let errors: Vec<String> = settings
        .validate()
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("Token token path: `data[0]` must end")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("Follow-up exchange URL")),
        "{errors:?}"
    );
}

#[test]
fn settings_without_the_new_fields_read_and_write_as_before() {
    let json = r#"{"token":{"url":"https://a.example/t","grant-type":"authorization_code"}}"#;
    let settings: ServiceSettings = serde_json::from_str(json).unwrap();
    assert!(settings.follow_up.is_none());
    let written = serde_json::to_string(&settings).unwrap();
    assert!(
        !written.contains("follow-up") && !written.contains("token-path"),
        "{written}"
    );
}
