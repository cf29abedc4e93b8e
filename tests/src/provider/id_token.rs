//! OpenID Connect ID tokens at the mock provider: issued with the code exchange when `openid` was
//! granted, signed RS256 with the provider's key (`tests/keys/provider-rsa.pem`, kid
//! `mock-key-1`), carrying the authorization request's `nonce`; the public key at `GET /jwks`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{self, RsaKeyPair};
use serde_json::json;

/// The provider's signing key.
const PROVIDER_RSA_PEM: &str = include_str!("../../keys/provider-rsa.pem");

/// The `kid` of the provider's key.
pub const KID: &str = "mock-key-1";

fn key_pair() -> RsaKeyPair {
    let body: String = PROVIDER_RSA_PEM
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("the provider key is valid PEM");
    RsaKeyPair::from_pkcs8(&der).expect("the provider key is an RSA PKCS #8 key")
}

/// An ID token for `client_id` from `issuer`, with `nonce` when one was sent.
pub(super) fn sign(issuer: &str, client_id: &str, nonce: Option<&str>, lifetime: u64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": KID});
    let mut claims = json!({
        "iss": issuer,
        "sub": "alice",
        "aud": client_id,
        "iat": now,
        "exp": now + lifetime,
        "name": "Alice Liddell",
    });
    if let Some(nonce) = nonce {
        claims["nonce"] = json!(nonce);
    }
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let pair = key_pair();
    let mut signature = vec![0; pair.public().modulus_len()];
    pair.sign(
        &signature::RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        input.as_bytes(),
        &mut signature,
    )
    .expect("RSA signing works");
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// `GET /jwks`: the provider's public key as a JWK Set (RFC 7517 §5).
pub(super) async fn jwks() -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let pair = key_pair();
    let public = ring::rsa::PublicKeyComponents::<Vec<u8>>::from(pair.public());
    let body = json!({"keys": [{
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": KID,
        "n": URL_SAFE_NO_PAD.encode(&public.n), "e": URL_SAFE_NO_PAD.encode(&public.e),
    }]});
    (
        [
            (axum::http::header::CONTENT_TYPE, "application/json"),
            (axum::http::header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        body.to_string(),
    )
        .into_response()
}
