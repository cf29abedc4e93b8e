//! Tests of `device`.

use super::*;
use crate::settings::{AuthorizationSettings, ClientAuth};

fn settings() -> ServiceSettings {
    let mut auth = AuthorizationSettings::blank();
    auth.url = "https://id.example.com/authorize".to_owned();
    auth.device_url = "https://id.example.com/device/code".to_owned();
    auth.scopes = vec!["openid".to_owned(), "offline_access".to_owned()];
    let mut token = EndpointSettings::authorization_code("https://id.example.com/token");
    token.client_auth = ClientAuth::None;
    ServiceSettings {
        client_id_label: "Client ID".to_owned(),
        variables: Vec::new(),
        authorization: Some(auth),
        token,
        refresh: None,
        follow_up: None,
    }
}

fn vars() -> Vars {
    Vars::new().with("client_id", "tv-app")
}

fn pending(code: &str) -> Result<TokenResponse, TokenError> {
    Err(TokenError::OAuth {
        status: 400,
        error: code.to_owned(),
        description: None,
        uri: None,
    })
}

#[test]
fn the_device_request_names_the_client_and_the_scopes() {
    let request = device_authorization_request(&settings(), &vars()).unwrap();
    assert_eq!(request.url, "https://id.example.com/device/code");
    assert_eq!(
        request.body.as_deref(),
        Some("scope=openid+offline_access&client_id=tv-app")
    );
    let token = device_token_request(&settings(), &vars(), "dc-1").unwrap();
    assert_eq!(token.url, "https://id.example.com/token");
    assert_eq!(
        token.body.as_deref(),
        Some(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=dc-1&client_id=tv-app"
        )
    );
}

#[test]
fn a_confidential_client_authenticates_as_for_the_token() {
    let mut settings = settings();
    settings.token.client_auth = ClientAuth::BasicHeader;
    let vars = vars().with("client_secret", "s");
    let token = device_token_request(&settings, &vars, "{dc}").unwrap();
    assert!(
        token
            .body
            .as_deref()
            .unwrap()
            .contains("device_code=%7Bdc%7D"),
        "a literal, not a template"
    );
    assert!(token.header("authorization").unwrap().starts_with("Basic "));
}

#[test]
fn without_a_device_endpoint_it_says_what_to_do() {
    let mut settings = settings();
    settings.authorization.as_mut().unwrap().device_url = String::new();
    let error = device_authorization_request(&settings, &vars()).unwrap_err();
    assert_eq!(error, BuildError::NoDeviceEndpoint);
    assert!(
        error
            .hint()
            .unwrap()
            .contains("device authorization endpoint")
    );
}

#[test]
fn the_device_answer_is_read_with_defaults_and_errors_explained() {
    let answer = parse_device_authorization(
        200,
        Some("application/json"),
        r#"{"device_code":"dc","user_code":"WDJB-MJHT","verification_uri":"https://x/device","expires_in":"1800"}"#,
    )
    .unwrap();
    assert_eq!(answer.user_code, "WDJB-MJHT");
    assert_eq!(answer.expires_in, 1800);
    assert_eq!(answer.interval, DEFAULT_INTERVAL);
    assert!(
        !format!("{answer:?}").contains("\"dc\""),
        "the device code is not shown"
    );
    assert_eq!(
        parse_device_authorization(
            200,
            None,
            r#"{"device_code":"dc","verification_uri":"u","expires_in":1}"#
        ),
        Err(DeviceError::Missing("user_code"))
    );
    let refused = parse_device_authorization(
        400,
        Some("application/json"),
        r#"{"error":"invalid_client","error_description":"unknown client"}"#,
    )
    .unwrap_err();
    assert_eq!(
        refused.to_string(),
        "The device authorization endpoint refused: The token endpoint answered 400 with error `invalid_client`: unknown client"
    );
}

#[test]
fn polling_waits_slows_down_and_ends() {
    let device = DeviceAuthorization {
        device_code: "dc".to_owned(),
        user_code: "U".to_owned(),
        verification_uri: "https://x".to_owned(),
        verification_uri_complete: None,
        expires_in: 60,
        interval: 5,
    };
    let mut poll = DevicePoll::start(&device, 1000);
    assert_eq!(poll.next_poll_at, 1005);
    assert_eq!(poll.seconds_left(1010), 50);
    assert_eq!(
        poll.on_answer(1005, pending("authorization_pending")),
        DeviceStep::Wait
    );
    assert_eq!((poll.interval, poll.next_poll_at), (5, 1010));
    assert_eq!(poll.on_answer(1010, pending("slow_down")), DeviceStep::Wait);
    assert_eq!((poll.interval, poll.next_poll_at), (10, 1020));
    // The next poll would come after the codes expired: it ends here.
    assert_eq!(
        poll.on_answer(1055, pending("authorization_pending")),
        DeviceStep::Failed(DeviceFailure::Expired)
    );
    let mut poll = DevicePoll::start(&device, 0);
    assert_eq!(
        poll.on_answer(5, pending("expired_token")),
        DeviceStep::Failed(DeviceFailure::Expired)
    );
    assert_eq!(
        poll.on_answer(5, pending("access_denied")),
        DeviceStep::Failed(DeviceFailure::Denied)
    );
    assert!(DeviceFailure::Denied.to_string().contains("denied"));
    assert!(matches!(
        poll.on_answer(5, pending("invalid_client")),
        DeviceStep::Failed(DeviceFailure::Service(_))
    ));
    let tokens = crate::token::parse_token_response(200, None, r#"{"access_token":"at"}"#);
    assert!(matches!(poll.on_answer(5, tokens), DeviceStep::Done(_)));
}

/// The claims of a signing input, decoded.
fn claims_of(unsigned: &crate::assertion::UnsignedAssertion) -> Value {
    use base64::Engine as _;
    let claims = unsigned.signing_input.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(claims)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn a_jwt_client_signs_each_device_request_for_the_token_endpoint() {
    use crate::assertion::{ASSERTION_TYPE, client_assertion};
    let mut settings = settings();
    settings.token.client_auth = crate::ClientAuth::PrivateKeyJwt;
    settings.token.assertion.alg = crate::JwtAlg::Es256;
    let vars = vars().with(
        "private_key",
        include_str!("../../../tests/keys/client-ec.pem"),
    );
    let now = 1_000;
    let first = client_assertion(&settings, Endpoint::Token, &vars, now, &[1; 16])
        .unwrap()
        .expect("private_key_jwt needs an assertion");
    let second = client_assertion(&settings, Endpoint::Token, &vars, now, &[2; 16])
        .unwrap()
        .unwrap();
    let (first_claims, second_claims) = (claims_of(&first), claims_of(&second));
    assert_eq!(first_claims["iss"], "tv-app");
    assert_eq!(first_claims["sub"], "tv-app");
    // RFC 7523 §3: the token endpoint, for the device authorization request too.
    assert_eq!(first_claims["aud"], "https://id.example.com/token");
    assert!(first_claims["exp"].as_u64().unwrap() > now);
    assert_ne!(first_claims["jti"], second_claims["jti"]);

    // Each request carries the assertion it is given, and none is built without one.
    let (first, second) = (first.signed(b"sig-1"), second.signed(b"sig-2"));
    let start = device_authorization_request(
        &settings,
        &vars.clone().with("client_assertion", first.as_str()),
    )
    .unwrap();
    let poll = device_token_request(
        &settings,
        &vars.clone().with("client_assertion", second.as_str()),
        "dc-1",
    )
    .unwrap();
    for (request, assertion) in [(&start, &first), (&poll, &second)] {
        let body: Vec<(String, String)> =
            url::form_urlencoded::parse(request.body.as_deref().unwrap().as_bytes())
                .into_owned()
                .collect();
        let param = |name: &str| {
            body.iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(param("client_assertion_type"), Some(ASSERTION_TYPE));
        assert_eq!(param("client_assertion"), Some(assertion.as_str()));
        assert_eq!(param("client_id"), Some("tv-app"));
        assert_eq!(param("client_secret"), None);
    }
    assert_eq!(start.url, "https://id.example.com/device/code");
    let unsigned = device_authorization_request(&settings, &vars).unwrap_err();
    assert!(
        unsigned.to_string().contains("client_assertion"),
        "{unsigned}"
    );
}
