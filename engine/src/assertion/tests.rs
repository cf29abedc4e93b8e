//! Tests of `assertion`.

use super::*;
use crate::request::{refresh_request, token_request};
use crate::settings::{AssertionSettings, VariableSpec};

const RSA: &str = include_str!("../../../tests/keys/client-rsa.pem");
const EC: &str = include_str!("../../../tests/keys/client-ec.pem");
const EC384: &str = include_str!("../../../tests/keys/client-ec384.pem");
const RSA_PKCS1: &str = include_str!("../../../tests/keys/client-rsa-pkcs1.pem");

fn settings(auth: ClientAuth, alg: JwtAlg) -> ServiceSettings {
    let mut token = EndpointSettings::client_credentials("https://{host}/oauth2/v1/token");
    token.client_auth = auth;
    token.assertion = AssertionSettings {
        alg,
        key_id: "{certificate_id}".to_owned(),
        ..AssertionSettings::default()
    };
    let mut refresh = EndpointSettings::refresh_token("https://{host}/oauth2/v1/token");
    refresh.client_auth = auth;
    ServiceSettings {
        client_id_label: "Client ID".to_owned(),
        variables: vec![
            VariableSpec {
                name: "host".to_owned(),
                label: "Host".to_owned(),
                help: String::new(),
                default: "id.example.com".to_owned(),
            },
            VariableSpec {
                name: "certificate_id".to_owned(),
                label: "Certificate ID".to_owned(),
                help: String::new(),
                default: String::new(),
            },
        ],
        authorization: None,
        token,
        refresh: Some(refresh),
        follow_up: None,
    }
}

fn vars() -> Vars {
    Vars::new()
        .with("client_id", "my-client")
        .with("client_secret", "s3cret")
        .with("private_key", RSA)
        .with("certificate_id", "cert-1")
        .with("refresh_token", "rt-1")
}

fn decode(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

#[test]
fn private_key_jwt_claims_name_the_client_and_the_token_endpoint() {
    let settings = settings(ClientAuth::PrivateKeyJwt, JwtAlg::Ps256);
    let unsigned = client_assertion(&settings, Endpoint::Token, &vars(), 1_000, &[7; 16])
        .unwrap()
        .unwrap();
    assert_eq!(unsigned.alg, JwtAlg::Ps256);
    assert!(matches!(unsigned.key, SigningKey::Pkcs8(_)));
    let (header, claims) = unsigned.signing_input.split_once('.').unwrap();
    assert_eq!(
        decode(header),
        json!({"alg": "PS256", "typ": "JWT", "kid": "cert-1"})
    );
    assert_eq!(
        decode(claims),
        json!({
            "iss": "my-client",
            "sub": "my-client",
            "aud": "https://id.example.com/oauth2/v1/token",
            "jti": URL_SAFE_NO_PAD.encode([7; 16]),
            "iat": 1_000,
            "exp": 1_300,
        })
    );
    assert_eq!(
        unsigned.signed(&[1, 2, 3]),
        format!("{}.AQID", unsigned.signing_input)
    );
}

#[test]
fn audience_and_lifetime_follow_the_settings_and_no_kid_when_empty() {
    let mut settings = settings(ClientAuth::PrivateKeyJwt, JwtAlg::Es256);
    settings.token.assertion.audience = "https://{host}".to_owned();
    settings.token.assertion.lifetime = 60;
    settings.token.assertion.key_id = String::new();
    settings.token.assertion.claims = vec![
        crate::settings::Param {
            name: "scope".to_owned(),
            value: "restlets,{certificate_id}".to_owned(),
            optional: false,
        },
        crate::settings::Param {
            name: "extra".to_owned(),
            value: "{user_name}".to_owned(),
            optional: true,
        },
    ];
    let vars = vars().with("private_key", EC);
    let unsigned = client_assertion(&settings, Endpoint::Token, &vars, 10, &[1; 16])
        .unwrap()
        .unwrap();
    let (header, claims) = unsigned.signing_input.split_once('.').unwrap();
    assert_eq!(decode(header), json!({"alg": "ES256", "typ": "JWT"}));
    let claims = decode(claims);
    assert_eq!(claims["aud"], "https://id.example.com");
    assert_eq!(claims["exp"], 70);
    assert_eq!(claims["scope"], "restlets,cert-1");
    assert_eq!(
        claims.get("extra"),
        None,
        "an optional claim that renders empty is left out"
    );
}

#[test]
fn client_secret_jwt_is_hs256_keyed_by_the_secret() {
    let settings = settings(ClientAuth::ClientSecretJwt, JwtAlg::Rs256);
    let unsigned = client_assertion(&settings, Endpoint::Refresh, &vars(), 5, &[2; 16])
        .unwrap()
        .unwrap();
    assert_eq!(unsigned.alg, JwtAlg::Hs256);
    assert_eq!(unsigned.key, SigningKey::Secret(b"s3cret".to_vec()));
    assert!(decode(unsigned.signing_input.split('.').next().unwrap())["alg"] == "HS256");
    let no_secret = vars().with("client_secret", "");
    let error =
        client_assertion(&settings, Endpoint::Refresh, &no_secret, 5, &[2; 16]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Refresh client authentication: the client secret is empty, but client authentication “JWT signed with the secret” sends one"
    );
}

#[test]
fn other_methods_and_missing_requests_need_no_assertion() {
    let mut jwt = settings(ClientAuth::PrivateKeyJwt, JwtAlg::Rs256);
    jwt.refresh = None;
    assert_eq!(
        client_assertion(&jwt, Endpoint::Refresh, &vars(), 0, &[0; 16]).unwrap(),
        None
    );
    let settings = settings(ClientAuth::BasicHeader, JwtAlg::Rs256);
    assert_eq!(
        client_assertion(&settings, Endpoint::Token, &vars(), 0, &[0; 16]).unwrap(),
        None
    );
}

#[test]
fn the_request_carries_the_assertion_and_client_id_where_a_public_client_would() {
    let settings = settings(ClientAuth::PrivateKeyJwt, JwtAlg::Rs256);
    let vars = vars().with("client_assertion", "h.c.s");
    let token = token_request(&settings, &vars).unwrap();
    assert_eq!(token.header("authorization"), None);
    assert_eq!(
        token.body.as_deref(),
        Some(
            "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=h.c.s"
        )
    );
    let refresh = refresh_request(&settings, &vars).unwrap();
    let body = refresh.body.unwrap();
    assert!(
        body.contains("client_id=my-client&client_assertion_type="),
        "{body}"
    );
    assert!(!body.contains("s3cret"), "the secret itself is never sent");
    // The assertion is a secret: masked in what is shown.
    let shown = token.masked(&vars);
    assert!(!shown.body.unwrap().contains("h.c.s"));
}

#[test]
fn a_request_without_a_signed_assertion_says_so() {
    let settings = settings(ClientAuth::PrivateKeyJwt, JwtAlg::Rs256);
    let error = token_request(&settings, &vars()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Token client authentication: variable {client_assertion} is empty"
    );
    assert!(
        error
            .hint()
            .unwrap()
            .contains("signed when the request is sent")
    );
}

#[test]
fn keys_that_do_not_fit_are_refused_in_words() {
    let settings = settings(ClientAuth::PrivateKeyJwt, JwtAlg::Es256);
    let refused = |key: &str| {
        client_assertion(
            &settings,
            Endpoint::Token,
            &vars().with("private_key", key),
            0,
            &[0; 16],
        )
        .unwrap_err()
        .to_string()
    };
    assert!(refused(RSA).ends_with(
        "the private key is an RSA key, but ES256 needs a P-256 (EC) key: choose RS256 or PS256"
    ));
    assert!(refused(EC384).contains("another curve than P-256"));
    assert!(refused(RSA_PKCS1).contains("older RSA PRIVATE KEY form"));
    assert!(refused(RSA_PKCS1).contains("openssl pkcs8 -topk8"));
    assert!(
        refused("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----")
            .contains("is a certificate")
    );
    assert!(
        refused("-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----")
            .contains("not valid base64")
    );
    assert!(
        refused("-----BEGIN PRIVATE KEY-----\nMIIB").contains("no -----END PRIVATE KEY----- line")
    );
    assert!(refused("hello").contains("neither a PEM block"));
    assert_eq!(
        refused(""),
        "Token client authentication: variable {private_key} is empty"
    );
    // The key never appears in an error.
    assert!(!refused(RSA).contains("MII"));
}

#[test]
fn jwks_are_checked_for_type_and_private_part() {
    let ec = r#"{"kty":"EC","crv":"P-256","x":"AQ","y":"Ag","d":"Aw"}"#;
    assert!(matches!(
        parse_private_key(ec, JwtAlg::Es256),
        Ok(SigningKey::Jwk(_))
    ));
    assert_eq!(
        parse_private_key(
            r#"{"kty":"EC","crv":"P-256","x":"AQ","y":"Ag"}"#,
            JwtAlg::Es256
        )
        .unwrap_err(),
        "is a public JWK (no “d”): paste the private key"
    );
    assert!(
        parse_private_key(ec, JwtAlg::Rs256)
            .unwrap_err()
            .contains("needs an RSA key")
    );
    assert_eq!(
        parse_private_key(
            r#"{"kty":"RSA","n":"AQ","e":"AQAB","d":"AQ"}"#,
            JwtAlg::Rs256
        )
        .unwrap_err(),
        "is a JWK without “p”"
    );
    assert_eq!(
        parse_private_key(
            r#"{"kty":"EC","crv":"P-256","x":"AQ","y":"Ag","d":"Aw","alg":"ES384"}"#,
            JwtAlg::Es256
        )
        .unwrap_err(),
        "is a JWK for ES384, but the algorithm chosen is ES256"
    );
    assert!(
        parse_private_key("{nope", JwtAlg::Es256)
            .unwrap_err()
            .contains("not a JSON object")
    );
}

#[test]
fn keys_are_not_shown_by_debug() {
    let key = parse_private_key(RSA, JwtAlg::Rs256).unwrap();
    assert_eq!(format!("{key:?}"), "Pkcs8(••••••)");
}

#[test]
fn assertion_settings_round_trip_and_stay_out_of_files_when_default() {
    let settings = settings(ClientAuth::PrivateKeyJwt, JwtAlg::Ps256);
    let json = serde_json::to_string(&settings).unwrap();
    assert!(
        json.contains(r#""client-auth":"private-key-jwt""#),
        "{json}"
    );
    assert!(json.contains(r#""alg":"PS256""#), "{json}");
    let back: ServiceSettings = serde_json::from_str(&json).unwrap();
    assert_eq!(back, settings);
    let plain = EndpointSettings::client_credentials("https://x");
    assert!(!serde_json::to_string(&plain).unwrap().contains("assertion"));
}

#[test]
fn validation_names_unknown_variables_in_the_assertion() {
    let mut settings = settings(ClientAuth::PrivateKeyJwt, JwtAlg::Rs256);
    assert_eq!(settings.validate(), Ok(()));
    settings.token.assertion.key_id = "{certificate}".to_owned();
    let errors = settings.validate().unwrap_err();
    assert_eq!(
        errors[0].to_string(),
        "Token client authentication: unknown variable {certificate}"
    );
}
