//! Tests of `jwt`.

use super::*;

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

fn jwt(claims: Value) -> DecodedJwt {
    let token = format!(
        "{}.{}.{}",
        b64(&serde_json::json!({"alg": "RS256", "kid": "k1"})),
        b64(&claims),
        URL_SAFE_NO_PAD.encode([1, 2, 3])
    );
    match decode(&token) {
        TokenShape::Jwt(jwt) => jwt,
        other => panic!("not decoded: {other:?}"),
    }
}

#[test]
fn jwts_are_decoded_and_other_tokens_are_opaque() {
    let decoded = jwt(serde_json::json!({"sub": "alice", "exp": 2000, "iat": 1000}));
    assert_eq!(decoded.alg(), "RS256");
    assert_eq!(decoded.kid(), Some("k1"));
    assert_eq!(decoded.signature, [1, 2, 3]);
    assert_eq!(
        decoded.times(),
        [("iat", "issued", 1000), ("exp", "expires", 2000)]
    );
    assert_eq!(decode("mock-at-1234"), TokenShape::Opaque);
    assert_eq!(decode("a.b.c"), TokenShape::Opaque);
    // A JSON header without alg is no JWS.
    let no_alg = format!(
        "{}.{}.",
        b64(&serde_json::json!({})),
        b64(&serde_json::json!({}))
    );
    assert_eq!(decode(&no_alg), TokenShape::Opaque);
    let jwe = format!(
        "{}.a.b.c.d",
        b64(&serde_json::json!({"alg": "RSA-OAEP", "enc": "A256GCM"}))
    );
    assert_eq!(decode(&jwe), TokenShape::Encrypted);
}

#[test]
fn an_id_token_is_checked_against_the_settings() {
    let token = jwt(serde_json::json!({
        "iss": "https://id.example.com", "aud": ["my-client", "api"], "exp": 1100, "nonce": "n-1"
    }));
    let expected = Expected {
        issuer: Some("https://id.example.com"),
        client_id: Some("my-client"),
        nonce: Some("n-1"),
        now: 1000,
    };
    let checks = check_claims(&token, expected, true);
    assert!(checks.iter().all(|check| check.ok), "{checks:?}");
    assert_eq!(checks[0].words, "valid for 1 min 40 s more");

    let wrong = Expected {
        issuer: Some("https://other.example.com"),
        client_id: Some("someone-else"),
        nonce: Some("n-2"),
        now: 1200,
    };
    let failed: Vec<(&str, String)> = check_claims(&token, wrong, true)
        .into_iter()
        .filter(|check| !check.ok)
        .map(|check| (check.claim, check.words))
        .collect();
    assert_eq!(
        failed,
        [
            ("exp", "expired 1 min 40 s ago".to_owned()),
            (
                "iss",
                "names issuer https://id.example.com, but the settings' issuer is https://other.example.com".to_owned()
            ),
            ("aud", "is for my-client, api, not this client (someone-else)".to_owned()),
            (
                "nonce",
                "differs from the one sent: this ID token was not issued for this sign-in (a replay?)".to_owned()
            ),
        ]
    );
}

#[test]
fn an_access_tokens_audience_is_not_the_client() {
    let token = jwt(serde_json::json!({"aud": "https://api.example.com", "exp": 5000}));
    let checks = check_claims(
        &token,
        Expected {
            client_id: Some("my-client"),
            now: 1000,
            ..Expected::default()
        },
        false,
    );
    assert_eq!(checks.len(), 1, "{checks:?}");
    assert_eq!(checks[0].claim, "exp");
}

#[test]
fn durations_read_naturally() {
    assert_eq!(duration_words(45), "45 s");
    assert_eq!(duration_words(3 * 3600 + 5 * 60), "3 h 5 min");
    assert_eq!(duration_words(86_400 + 7200), "1 day 2 h");
    assert_eq!(duration_words(3 * 86_400), "3 days 0 h");
}

#[test]
fn the_signing_key_is_picked_by_kid_and_type() {
    let token = jwt(serde_json::json!({}));
    let jwks = r#"{"keys":[{"kty":"RSA","kid":"k0","n":"AQ","e":"AQAB"},{"kty":"RSA","kid":"k1","alg":"RS256","n":"Ag","e":"AQAB"}]}"#;
    assert_eq!(select_key(jwks, &token).unwrap()["n"], "Ag");
    assert_eq!(
        select_key(r#"{"keys":[{"kty":"RSA","kid":"k0"}]}"#, &token).unwrap_err(),
        "the service's key set has no key k1 (rotated away?)"
    );
    assert_eq!(
        select_key(r#"{"keys":[{"kty":"EC","kid":"k1"}]}"#, &token).unwrap_err(),
        "the key k1 is not a RSA key for RS256"
    );
    assert!(
        select_key("<html>", &token)
            .unwrap_err()
            .contains("not JSON")
    );
    let hs = format!(
        "{}.{}.",
        b64(&serde_json::json!({"alg": "HS256"})),
        b64(&serde_json::json!({}))
    );
    let TokenShape::Jwt(hs) = decode(&hs) else {
        panic!()
    };
    assert!(
        select_key(jwks, &hs)
            .unwrap_err()
            .contains("signed HS256, which this page cannot check")
    );
}
