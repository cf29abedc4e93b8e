use super::*;
use crate::settings::{AuthorizationSettings, EndpointSettings};

fn settings(pkce: PkceMethod, auth: ClientAuth) -> ServiceSettings {
    let mut token = EndpointSettings::authorization_code("https://id.example/token");
    token.client_auth = auth;
    ServiceSettings {
        client_id_label: "Client ID".into(),
        variables: Vec::new(),
        authorization: Some(AuthorizationSettings {
            pkce,
            ..AuthorizationSettings::blank()
        }),
        token,
        refresh: Some(EndpointSettings::refresh_token("https://id.example/token")),
        follow_up: None,
    }
}

/// Metadata from `json`, with a token endpoint when it names none (discovery requires one).
fn metadata(json: &str) -> ServerMetadata {
    let mut value: serde_json::Value = serde_json::from_str(json).expect("JSON");
    value
        .as_object_mut()
        .expect("an object")
        .entry("token_endpoint")
        .or_insert_with(|| "https://id.example/token".into());
    crate::discovery::parse_metadata(&value.to_string()).expect("metadata")
}

fn find<'a>(found: &'a [Recommendation], key: &str) -> &'a Recommendation {
    found
        .iter()
        .find(|r| r.key == key)
        .unwrap_or_else(|| panic!("no {key} in {found:?}"))
}

const FULL: &str = r#"{"issuer": "https://id.example", "token_endpoint": "https://id.example/token",
    "code_challenge_methods_supported": ["S256"],
    "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    "grant_types_supported": ["authorization_code", "refresh_token"],
    "authorization_response_iss_parameter_supported": true}"#;

#[test]
fn cors_decides_whether_the_relay_is_needed() {
    let s = settings(PkceMethod::S256, ClientAuth::BasicHeader);
    let allowed = recommend(&metadata(FULL), CorsProbe::Allowed, &s);
    assert!(find(&allowed, "relay").text.contains("relay is not needed"));
    let blocked = recommend(&metadata(FULL), CorsProbe::Blocked, &s);
    assert!(
        find(&blocked, "relay")
            .text
            .contains("go through the relay")
    );
    let by_page = recommend(&metadata(FULL), CorsProbe::BlockedByPage, &s);
    let advice = find(&by_page, "relay");
    assert_eq!(advice.tone, Tone::Warning);
    assert!(
        advice.text.contains("content security policy"),
        "{}",
        advice.text
    );
    assert!(!advice.text.contains("not needed"), "{}", advice.text);
    let untried = recommend(&metadata(FULL), CorsProbe::NotTried, &s);
    assert!(untried.iter().all(|r| r.key != "relay"));
}

#[test]
fn pkce_is_recommended_from_the_listed_methods() {
    let off = recommend(
        &metadata(FULL),
        CorsProbe::NotTried,
        &settings(PkceMethod::None, ClientAuth::BasicHeader),
    );
    assert_eq!(find(&off, "pkce").tone, Tone::Change);
    let on = recommend(
        &metadata(FULL),
        CorsProbe::NotTried,
        &settings(PkceMethod::S256, ClientAuth::BasicHeader),
    );
    assert_eq!(find(&on, "pkce").tone, Tone::Ok);
    let plain = metadata(r#"{"code_challenge_methods_supported": ["plain"]}"#);
    let found = recommend(
        &plain,
        CorsProbe::NotTried,
        &settings(PkceMethod::S256, ClientAuth::BasicHeader),
    );
    assert!(find(&found, "pkce").text.contains("only the `plain`"));
    let silent = recommend(
        &metadata("{}"),
        CorsProbe::NotTried,
        &settings(PkceMethod::S256, ClientAuth::BasicHeader),
    );
    assert_eq!(find(&silent, "pkce").tone, Tone::Warning);
}

#[test]
fn the_client_authentication_follows_the_listed_methods() {
    let post_only =
        metadata(r#"{"token_endpoint_auth_methods_supported": ["client_secret_post"]}"#);
    let found = recommend(
        &post_only,
        CorsProbe::NotTried,
        &settings(PkceMethod::S256, ClientAuth::BasicHeader),
    );
    let advice = find(&found, "client-auth");
    assert_eq!(advice.tone, Tone::Change);
    assert!(advice.text.contains("“In the body”"), "{}", advice.text);

    let public = metadata(r#"{"token_endpoint_auth_methods_supported": ["none"]}"#);
    let found = recommend(
        &public,
        CorsProbe::NotTried,
        &settings(PkceMethod::S256, ClientAuth::Body),
    );
    assert!(find(&found, "client-auth").text.contains("“None”"));
    let found = recommend(
        &public,
        CorsProbe::NotTried,
        &settings(PkceMethod::S256, ClientAuth::None),
    );
    assert_eq!(find(&found, "client-auth").tone, Tone::Ok);

    let jwt = metadata(r#"{"token_endpoint_auth_methods_supported": ["private_key_jwt"]}"#);
    let basic = settings(PkceMethod::S256, ClientAuth::BasicHeader);
    let found = recommend(&jwt, CorsProbe::NotTried, &basic);
    assert_eq!(find(&found, "client-auth").tone, Tone::Change);
    assert_eq!(
        apply(&jwt, &basic).token.client_auth,
        ClientAuth::PrivateKeyJwt
    );

    let mtls = metadata(r#"{"token_endpoint_auth_methods_supported": ["tls_client_auth"]}"#);
    let found = recommend(&mtls, CorsProbe::NotTried, &basic);
    assert_eq!(find(&found, "client-auth").tone, Tone::Warning);
    assert_eq!(apply(&mtls, &basic), basic);

    let listed_nothing = recommend(
        &metadata("{}"),
        CorsProbe::NotTried,
        &settings(PkceMethod::S256, ClientAuth::Body),
    );
    assert_eq!(find(&listed_nothing, "client-auth").tone, Tone::Ok);
}

#[test]
fn a_missing_refresh_grant_and_the_issuer_are_said() {
    let no_refresh = metadata(r#"{"grant_types_supported": ["authorization_code"]}"#);
    let found = recommend(
        &no_refresh,
        CorsProbe::NotTried,
        &settings(PkceMethod::S256, ClientAuth::BasicHeader),
    );
    assert_eq!(find(&found, "refresh").tone, Tone::Warning);
    let full = recommend(
        &metadata(FULL),
        CorsProbe::NotTried,
        &settings(PkceMethod::S256, ClientAuth::BasicHeader),
    );
    assert_eq!(find(&full, "refresh").tone, Tone::Ok);
    let listed_nothing = recommend(
        &metadata("{}"),
        CorsProbe::NotTried,
        &settings(PkceMethod::S256, ClientAuth::BasicHeader),
    );
    assert!(listed_nothing.iter().all(|r| r.key != "refresh"));
    assert_eq!(find(&full, "issuer").tone, Tone::Ok);
}

#[test]
fn applying_sets_only_pkce_and_the_client_authentication() {
    let mut typed = settings(PkceMethod::None, ClientAuth::BasicHeader);
    typed.token.url = "https://id.example/typed-token".into();
    if let Some(a) = typed.authorization.as_mut() {
        a.url = "https://id.example/typed-authorize".into();
        a.scopes = vec!["read".into(), "write".into()];
    }
    let post_only = metadata(
        r#"{"code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post"]}"#,
    );
    let applied = apply(&post_only, &typed);
    assert_eq!(applied.token.client_auth, ClientAuth::Body);
    let mut expected = typed.clone();
    expected.token.client_auth = ClientAuth::Body;
    if let Some(a) = expected.authorization.as_mut() {
        a.pkce = PkceMethod::S256;
    }
    assert_eq!(applied, expected);
    // After applying, nothing is left to change.
    let found = recommend(&post_only, CorsProbe::NotTried, &applied);
    assert!(found.iter().all(|r| r.tone != Tone::Change), "{found:?}");

    // Only `plain`: PKCE goes off; nothing listed: the choice stays.
    let plain = metadata(r#"{"code_challenge_methods_supported": ["plain"]}"#);
    let s256 = settings(PkceMethod::S256, ClientAuth::BasicHeader);
    assert_eq!(
        apply(&plain, &s256).authorization.map(|a| a.pkce),
        Some(PkceMethod::None)
    );
    assert_eq!(apply(&metadata("{}"), &s256), s256);
}
