//! Tests of `token_calls`.

use super::*;
use crate::settings::AuthorizationSettings;

fn settings(auth: ClientAuth) -> ServiceSettings {
    let mut flow = AuthorizationSettings::blank();
    flow.userinfo_url = "https://id.example.com/userinfo".to_owned();
    flow.revocation_url = "https://id.example.com/revoke".to_owned();
    flow.introspection_url = "https://id.example.com/introspect".to_owned();
    let mut token = EndpointSettings::authorization_code("https://id.example.com/token");
    token.client_auth = auth;
    ServiceSettings {
        client_id_label: "Client ID".to_owned(),
        variables: Vec::new(),
        authorization: Some(flow),
        token,
        refresh: None,
        follow_up: None,
    }
}

fn vars() -> Vars {
    Vars::new()
        .with("client_id", "c")
        .with("client_secret", "s")
}

#[test]
fn each_call_is_built_for_its_endpoint() {
    let userinfo = TokenCall::Userinfo
        .request(
            &settings(ClientAuth::BasicHeader),
            &vars(),
            "at{1}",
            "access_token",
        )
        .unwrap();
    assert_eq!(userinfo.method, HttpMethod::Get);
    assert_eq!(userinfo.header("authorization"), Some("Bearer at{1}"));
    let revoke = TokenCall::Revoke
        .request(
            &settings(ClientAuth::BasicHeader),
            &vars(),
            "rt{1}",
            "refresh_token",
        )
        .unwrap();
    assert_eq!(revoke.url, "https://id.example.com/revoke");
    assert_eq!(
        revoke.body.as_deref(),
        Some("token=rt%7B1%7D&token_type_hint=refresh_token")
    );
    assert!(
        revoke
            .header("authorization")
            .unwrap()
            .starts_with("Basic ")
    );
    let public = TokenCall::Introspect
        .request(&settings(ClientAuth::None), &vars(), "at", "access_token")
        .unwrap();
    assert_eq!(
        public.body.as_deref(),
        Some("token=at&token_type_hint=access_token&client_id=c")
    );
    let mut none = settings(ClientAuth::None);
    none.authorization.as_mut().unwrap().revocation_url = String::new();
    let error = TokenCall::Revoke
        .request(&none, &vars(), "t", "access_token")
        .unwrap_err();
    assert_eq!(error.to_string(), "This service has no revocation endpoint");
}

#[test]
fn answers_are_explained() {
    assert!(
        TokenCall::Introspect
            .explain(200, r#"{"active":true}"#)
            .starts_with("Active")
    );
    assert!(
        TokenCall::Introspect
            .explain(200, r#"{"active":false}"#)
            .starts_with("Not active")
    );
    assert!(TokenCall::Revoke.explain(200, "").starts_with("Revoked"));
    let refused = TokenCall::Userinfo.explain(401, r#"{"error":"invalid_token"}"#);
    assert!(
        refused.starts_with("The userinfo endpoint refused (invalid_token)."),
        "{refused}"
    );
    assert!(refused.contains("get a new one"));
}
