//! Tests of `discovery`.

use super::*;
use crate::settings::{BodyFormat, Credentials, HttpMethod};

fn bare_settings() -> ServiceSettings {
    ServiceSettings {
        client_id_label: "Client ID".into(),
        variables: Vec::new(),
        authorization: None,
        token: EndpointSettings {
            url: String::new(),
            method: HttpMethod::Post,
            grant_type: "authorization_code".into(),
            client_auth: ClientAuth::BasicHeader,
            credentials: Credentials::Secret,
            query: Vec::new(),
            body_format: BodyFormat::Form,
            body: Vec::new(),
            headers: Vec::new(),
            token_path: String::new(),
            assertion: Default::default(),
        },
        refresh: None,
        follow_up: None,
    }
}

fn with_flow() -> ServiceSettings {
    ServiceSettings {
        authorization: Some(AuthorizationSettings::blank()),
        ..bare_settings()
    }
}

const DOCUMENT: &str = r#"{
    "issuer": "https://as.example.com/tenant1",
    "authorization_endpoint": "https://as.example.com/tenant1/authorize",
    "token_endpoint": "https://as.example.com/tenant1/token",
    "code_challenge_methods_supported": ["plain", "S256"],
    "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
    "scopes_supported": ["openid", "offline_access"],
    "grant_types_supported": ["authorization_code", "refresh_token"],
    "response_types_supported": ["code"],
    "authorization_response_iss_parameter_supported": true
}"#;

#[test]
fn urls_for_an_issuer_with_a_path() {
    assert_eq!(
        discovery_urls("https://as.example.com/tenant1/").unwrap(),
        [
            "https://as.example.com/.well-known/oauth-authorization-server/tenant1",
            "https://as.example.com/tenant1/.well-known/openid-configuration",
        ]
    );
}

#[test]
fn urls_for_an_issuer_without_a_path() {
    assert_eq!(
        discovery_urls(" http://127.0.0.1:8080 ").unwrap(),
        [
            "http://127.0.0.1:8080/.well-known/oauth-authorization-server",
            "http://127.0.0.1:8080/.well-known/openid-configuration",
        ]
    );
}

#[test]
fn a_well_known_url_is_used_as_is() {
    let url = "https://accounts.google.com/.well-known/openid-configuration";
    assert_eq!(discovery_urls(url).unwrap(), [url]);
}

#[test]
fn bad_issuers() {
    assert!(matches!(
        discovery_urls("as.example.com"),
        Err(DiscoveryError::InvalidIssuer(_))
    ));
    assert!(matches!(
        discovery_urls("ftp://as.example.com"),
        Err(DiscoveryError::InvalidIssuer(_))
    ));
    let error = discovery_urls("https://as.example.com/?x=1").unwrap_err();
    assert!(error.to_string().contains("query or fragment"), "{error}");
}

#[test]
fn parses_metadata() {
    let metadata = parse_metadata(DOCUMENT).unwrap();
    assert_eq!(
        metadata.issuer.as_deref(),
        Some("https://as.example.com/tenant1")
    );
    assert_eq!(
        metadata.authorization_endpoint.as_deref(),
        Some("https://as.example.com/tenant1/authorize")
    );
    assert_eq!(
        metadata.token_endpoint.as_deref(),
        Some("https://as.example.com/tenant1/token")
    );
    assert_eq!(metadata.code_challenge_methods_supported, ["plain", "S256"]);
    assert_eq!(
        metadata.token_endpoint_auth_methods_supported,
        ["client_secret_post", "client_secret_basic"]
    );
    assert_eq!(metadata.scopes_supported, ["openid", "offline_access"]);
    assert_eq!(
        metadata.grant_types_supported,
        ["authorization_code", "refresh_token"]
    );
    assert!(
        metadata
            .check_issuer("https://as.example.com/tenant1/")
            .is_ok()
    );
    assert_eq!(
        metadata.check_issuer("https://evil.example.com"),
        Err(DiscoveryError::IssuerMismatch {
            expected: "https://evil.example.com".into(),
            found: "https://as.example.com/tenant1".into()
        })
    );
}

#[test]
fn metadata_errors() {
    assert!(matches!(
        parse_metadata("<html>"),
        Err(DiscoveryError::NotJson(_))
    ));
    assert!(matches!(
        parse_metadata("[]"),
        Err(DiscoveryError::NotJson(_))
    ));
    assert_eq!(
        parse_metadata(r#"{"issuer":"x"}"#),
        Err(DiscoveryError::NoTokenEndpoint)
    );
    assert_eq!(
        parse_metadata(r#"{"token_endpoint":"javascript:alert(1)"}"#),
        Err(DiscoveryError::InvalidEndpoint {
            name: "token_endpoint"
        })
    );
    assert_eq!(
        parse_metadata(r#"{"token_endpoint":"https://a/t","authorization_endpoint":"nope"}"#),
        Err(DiscoveryError::InvalidEndpoint {
            name: "authorization_endpoint"
        })
    );
}

#[test]
fn apply_fills_in_endpoints_pkce_and_client_auth() {
    let mut settings = with_flow();
    parse_metadata(DOCUMENT)
        .unwrap()
        .apply_to(&mut settings, &mut ParkedFlow::default());
    let auth = settings.authorization.as_ref().unwrap();
    assert_eq!(auth.url, "https://as.example.com/tenant1/authorize");
    assert_eq!(auth.pkce, PkceMethod::S256);
    assert_eq!(
        (auth.issuer.as_str(), auth.issuer_required),
        ("https://as.example.com/tenant1", true)
    );
    assert_eq!(settings.token.url, "https://as.example.com/tenant1/token");
    assert_eq!(settings.token.client_auth, ClientAuth::BasicHeader);
    let refresh = settings.refresh.as_ref().unwrap();
    assert_eq!(refresh.url, "https://as.example.com/tenant1/token");
    assert_eq!(refresh.grant_type, "refresh_token");
    assert!(settings.validate().is_ok(), "{:?}", settings.validate());
}

#[test]
fn apply_without_s256_or_basic() {
    let mut settings = with_flow();
    let document = r#"{"authorization_endpoint":"https://a/auth","token_endpoint":"https://a/token",
        "code_challenge_methods_supported":["plain"],"token_endpoint_auth_methods_supported":["client_secret_post","private_key_jwt"]}"#;
    parse_metadata(document)
        .unwrap()
        .apply_to(&mut settings, &mut ParkedFlow::default());
    let auth = settings.authorization.as_ref().unwrap();
    assert_eq!(auth.pkce, PkceMethod::None);
    // No issuer in the document: nothing to check the answer's `iss` against.
    assert_eq!((auth.issuer.as_str(), auth.issuer_required), ("", false));
    assert_eq!(settings.token.client_auth, ClientAuth::Body);
    assert_eq!(
        settings.refresh.as_ref().unwrap().client_auth,
        ClientAuth::Body
    );
}

#[test]
fn client_auth_choice() {
    let with = |methods: &[&str]| ServerMetadata {
        token_endpoint_auth_methods_supported: methods.iter().map(|m| (*m).to_owned()).collect(),
        ..ServerMetadata::default()
    };
    assert_eq!(with(&[]).client_auth(), ClientAuth::BasicHeader);
    assert_eq!(
        with(&["client_secret_post", "client_secret_basic"]).client_auth(),
        ClientAuth::BasicHeader
    );
    assert_eq!(
        with(&["client_secret_post"]).client_auth(),
        ClientAuth::Body
    );
    assert_eq!(with(&["none"]).client_auth(), ClientAuth::None);
}

#[test]
fn apply_keeps_existing_refresh_settings_and_escapes_braces() {
    let mut settings = bare_settings();
    let mut refresh = EndpointSettings::refresh_token("https://old/token");
    refresh.body.push(crate::settings::Param {
        name: "x".into(),
        value: "1".into(),
        optional: false,
    });
    settings.refresh = Some(refresh);
    let document = r#"{"token_endpoint":"https://a/{weird}/token"}"#;
    parse_metadata(document)
        .unwrap()
        .apply_to(&mut settings, &mut ParkedFlow::default());
    assert_eq!(settings.token.url, "https://a/{{weird}}/token");
    let refresh = settings.refresh.as_ref().unwrap();
    assert_eq!(refresh.url, "https://a/{{weird}}/token");
    assert_eq!(refresh.body.len(), 3);
    assert!(settings.authorization.is_none());
}

#[test]
fn apply_never_turns_the_client_flow_on_and_parks_what_it_found() {
    let mut settings = bare_settings();
    let mut parked = ParkedFlow {
        authorization: None,
        token: Some(EndpointSettings::authorization_code("")),
    };
    parse_metadata(DOCUMENT)
        .unwrap()
        .apply_to(&mut settings, &mut parked);
    assert!(
        settings.authorization.is_none(),
        "the user unticked the flow"
    );
    let flow = parked.authorization.as_ref().unwrap();
    assert_eq!(flow.url, "https://as.example.com/tenant1/authorize");
    assert_eq!(flow.pkce, PkceMethod::S256);
    let parked_token = parked.token.as_ref().unwrap();
    assert_eq!(parked_token.url, "https://as.example.com/tenant1/token");
    assert_eq!(settings.token.url, "https://as.example.com/tenant1/token");
}

#[test]
fn a_service_listing_only_none_gets_a_public_client() {
    let mut settings = with_flow();
    let document = r#"{"issuer":"https://id.example","authorization_endpoint":"https://id.example/auth",
        "token_endpoint":"https://id.example/token","code_challenge_methods_supported":["S256"],
        "token_endpoint_auth_methods_supported":["none"]}"#;
    let metadata = parse_metadata(document).unwrap();
    metadata.apply_to(&mut settings, &mut ParkedFlow::default());
    assert_eq!(settings.token.client_auth, ClientAuth::None);
    assert_eq!(
        settings.refresh.as_ref().map(|r| r.client_auth),
        Some(ClientAuth::None)
    );
    let decisions = metadata.decisions();
    let said = |key: &str| {
        decisions
            .iter()
            .find(|d| d.key == key)
            .map(|d| d.value.clone())
            .unwrap_or_default()
    };
    assert_eq!(
        said("client-auth"),
        "None (none; the service lists: none). A public client: client_id goes in the body, no secret"
    );
    assert_eq!(said("pkce"), "S256 (the service lists: S256)");
    assert_eq!(said("authorization-endpoint"), "https://id.example/auth");
    assert_eq!(said("token-endpoint"), "https://id.example/token");
    assert_eq!(said("issuer"), "https://id.example");
}

#[test]
fn decisions_say_why_and_name_the_public_client_choice() {
    let metadata = parse_metadata(DOCUMENT).unwrap();
    let decisions = metadata.decisions();
    let keys: Vec<&str> = decisions.iter().map(|d| d.key).collect();
    assert_eq!(
        keys,
        [
            "authorization-endpoint",
            "token-endpoint",
            "pkce",
            "client-auth",
            "issuer"
        ]
    );
    assert_eq!(
        decisions[3].value,
        "Basic header (client_secret_basic; the service lists: client_secret_post, client_secret_basic)"
    );
    assert_eq!(
        decisions[4].value,
        "https://as.example.com/tenant1 (its answers must name it: iss, RFC 9207)"
    );
    let with_none = ServerMetadata {
        token_endpoint_auth_methods_supported: vec!["client_secret_basic".into(), "none".into()],
        ..ServerMetadata::default()
    };
    assert!(
        with_none.decisions()[3]
            .value
            .ends_with("choose “None” if yours has no secret")
    );
    let silent = ServerMetadata::default();
    assert_eq!(
        silent.decisions()[3].value,
        "Basic header (client_secret_basic; the service lists no method, and client_secret_basic is the standard's default)"
    );
    assert_eq!(
        silent.decisions()[2].value,
        "off (the service lists: none listed; S256 is the only method sent)"
    );
}

#[test]
fn discovery_fills_the_device_endpoint() {
    let metadata = parse_metadata(
        r#"{"issuer":"https://id.example.com","authorization_endpoint":"https://id.example.com/a","token_endpoint":"https://id.example.com/t","device_authorization_endpoint":"https://id.example.com/device"}"#,
    )
    .unwrap();
    let mut settings = with_flow();
    metadata.apply_to(&mut settings, &mut ParkedFlow::default());
    assert_eq!(
        settings.authorization.unwrap().device_url,
        "https://id.example.com/device"
    );
}
