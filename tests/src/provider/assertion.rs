//! JWT client authentication at the mock provider (RFC 7523 §3, OpenID Connect Core §9), as
//! strict as real providers: the signature by the client's registered key (ring verifies it),
//! `iss` = `sub` = the client, `aud` = the token endpoint, a live `exp` no further than ten
//! minutes out, a `jti` used once, and the `kid` the key is registered under. Every failure is
//! `invalid_client`, with a description a real provider might give.

use std::collections::HashSet;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{self, KeyPair as _};
use serde_json::Value;

use super::{Incoming, OAuthError, first};

/// The test keys of `tests/keys/` (made for the tests only).
pub const CLIENT_RSA_PEM: &str = include_str!("../../keys/client-rsa.pem");
/// The EC (P-256) test key.
pub const CLIENT_EC_PEM: &str = include_str!("../../keys/client-ec.pem");
/// An RSA key no client is registered with.
pub const OTHER_RSA_PEM: &str = include_str!("../../keys/other-rsa.pem");

/// A client that authenticates with a signed JWT.
#[derive(Clone, Debug)]
pub struct JwtClient {
    /// Its id (`iss` and `sub` of its assertions).
    pub client_id: String,
    /// The key its assertions are verified with.
    pub key: JwtClientKey,
    /// The `kid` its key is registered under; empty accepts any or none.
    pub kid: String,
}

/// The registered key of a [`JwtClient`].
#[derive(Clone, Debug)]
pub enum JwtClientKey {
    /// client_secret_jwt: HS256 with this shared secret.
    Secret(String),
    /// private_key_jwt with RSA (RS256 or PS256): the public key, DER `RSAPublicKey`.
    Rsa(Vec<u8>),
    /// private_key_jwt with ES256: the public point, uncompressed.
    Ec(Vec<u8>),
}

impl JwtClient {
    /// The RSA test client (`e2e-jwt-rsa-client`, kid `e2e-rsa-key`).
    pub fn rsa() -> Self {
        Self {
            client_id: "e2e-jwt-rsa-client".to_owned(),
            key: JwtClientKey::Rsa(rsa_public_key(CLIENT_RSA_PEM)),
            kid: "e2e-rsa-key".to_owned(),
        }
    }

    /// The EC test client (`e2e-jwt-ec-client`, kid `e2e-ec-key`).
    pub fn ec() -> Self {
        let der = pem_der(CLIENT_EC_PEM);
        let rng = ring::rand::SystemRandom::new();
        let pair = signature::EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &der,
            &rng,
        )
        .expect("tests/keys/client-ec.pem is a P-256 PKCS #8 key");
        Self {
            client_id: "e2e-jwt-ec-client".to_owned(),
            key: JwtClientKey::Ec(pair.public_key().as_ref().to_vec()),
            kid: "e2e-ec-key".to_owned(),
        }
    }

    /// The client_secret_jwt test client (`e2e-jwt-secret-client`).
    pub fn secret() -> Self {
        Self {
            client_id: "e2e-jwt-secret-client".to_owned(),
            key: JwtClientKey::Secret("e2e-jwt-shared-secret-0123456789abcdef".to_owned()),
            kid: String::new(),
        }
    }
}

fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("a test key is valid PEM")
}

fn rsa_public_key(pem: &str) -> Vec<u8> {
    let pair = signature::RsaKeyPair::from_pkcs8(&pem_der(pem))
        .expect("tests/keys/client-rsa.pem is an RSA PKCS #8 key");
    pair.public().as_ref().to_vec()
}

/// Authenticates a request carrying `client_assertion`: the client's id, or `invalid_client`.
/// `audience` is the token endpoint's URL (also at the device authorization endpoint); `used`
/// the jtis seen so far, shared by both endpoints.
pub(super) fn authenticate(
    clients: &[JwtClient],
    used: &mut HashSet<String>,
    incoming: &Incoming,
    audience: &str,
    now: u64,
) -> Result<String, OAuthError> {
    let refused =
        |why: &str| OAuthError::invalid_client(format!("Client assertion refused: {why}."));
    let body = &incoming.body;
    if incoming.basic.is_some() || first(body, "client_secret").is_some() {
        return Err(OAuthError::invalid_request(
            "The client used two authentication methods (a client assertion and a secret); use one.",
        ));
    }
    if first(body, "client_assertion_type")
        != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    {
        return Err(OAuthError::invalid_request(
            "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ));
    }
    let jwt = first(body, "client_assertion")
        .ok_or_else(|| OAuthError::invalid_request("client_assertion is missing"))?;
    let mut parts = jwt.split('.');
    let (Some(header_b64), Some(claims_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(refused("not a compact JWS (three parts)"));
    };
    let json = |part: &str| -> Option<Value> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
    };
    let (Some(header), Some(claims), Ok(signature)) = (
        json(header_b64),
        json(claims_b64),
        URL_SAFE_NO_PAD.decode(signature_b64),
    ) else {
        return Err(refused("not valid base64url JSON"));
    };
    let claim = |name: &str| claims.get(name).and_then(Value::as_str);
    let client_id = claim("iss").ok_or_else(|| refused("no iss"))?;
    if claim("sub") != Some(client_id) {
        return Err(refused("sub must equal iss (the client id)"));
    }
    if first(body, "client_id").is_some_and(|id| id != client_id) {
        return Err(refused("client_id differs from the assertion's iss"));
    }
    let client = clients
        .iter()
        .find(|client| client.client_id == client_id)
        .ok_or_else(|| refused("unknown client"))?;
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let message = format!("{header_b64}.{claims_b64}");
    let verified = match (&client.key, alg) {
        (JwtClientKey::Secret(secret), "HS256") => {
            let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
            ring::hmac::verify(&key, message.as_bytes(), &signature).is_ok()
        }
        (JwtClientKey::Rsa(public), "RS256" | "PS256") => {
            let algorithm: &dyn signature::VerificationAlgorithm = if alg == "PS256" {
                &signature::RSA_PSS_2048_8192_SHA256
            } else {
                &signature::RSA_PKCS1_2048_8192_SHA256
            };
            signature::UnparsedPublicKey::new(algorithm, public)
                .verify(message.as_bytes(), &signature)
                .is_ok()
        }
        (JwtClientKey::Ec(public), "ES256") => {
            signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, public)
                .verify(message.as_bytes(), &signature)
                .is_ok()
        }
        (_, other) => {
            return Err(refused(&format!(
                "alg `{other}` is not the one this client is registered for"
            )));
        }
    };
    if !verified {
        return Err(refused(
            "the signature does not verify with the registered key",
        ));
    }
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !client.kid.is_empty() && kid != client.kid {
        return Err(refused("kid names no key registered for this client"));
    }
    let audience_ok = match claims.get("aud") {
        Some(Value::String(aud)) => aud == audience,
        Some(Value::Array(auds)) => auds.iter().any(|aud| aud.as_str() == Some(audience)),
        _ => false,
    };
    if !audience_ok {
        return Err(refused("aud is not the token endpoint's URL"));
    }
    let exp = claims
        .get("exp")
        .and_then(Value::as_u64)
        .ok_or_else(|| refused("no exp"))?;
    if exp <= now {
        return Err(refused("it expired (exp is in the past)"));
    }
    if exp > now + 600 {
        return Err(refused("exp is more than ten minutes away"));
    }
    let jti = claim("jti").ok_or_else(|| refused("no jti"))?;
    if !used.insert(format!("{client_id} {jti}")) {
        return Err(refused(
            "its jti was already used (assertions are single-use)",
        ));
    }
    Ok(client_id.to_owned())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    const AUD: &str = "http://127.0.0.1:1/token";

    /// An RS256 assertion with these claims, signed by `key_pem` (the mock's tests sign their own).
    pub(in crate::provider) fn assertion(claims: &Value, kid: &str, key_pem: &str) -> String {
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": kid});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let pair = signature::RsaKeyPair::from_pkcs8(&pem_der(key_pem)).unwrap();
        let mut sig = vec![0; pair.public().modulus_len()];
        let rng = ring::rand::SystemRandom::new();
        pair.sign(
            &signature::RSA_PKCS1_SHA256,
            &rng,
            input.as_bytes(),
            &mut sig,
        )
        .unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    /// The RSA test client's claims.
    pub(in crate::provider) fn claims(aud: &str, exp: u64, jti: &str) -> Value {
        let id = "e2e-jwt-rsa-client";
        serde_json::json!({"iss": id, "sub": id, "aud": aud, "exp": exp, "iat": 1000, "jti": jti})
    }

    fn incoming(jwt: &str) -> Incoming {
        Incoming {
            query: Vec::new(),
            body: vec![
                (
                    "client_assertion_type".to_owned(),
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_owned(),
                ),
                ("client_assertion".to_owned(), jwt.to_owned()),
            ],
            basic: None,
            content_type: None,
        }
    }

    fn check(jwt: &str, used: &mut HashSet<String>) -> Result<String, String> {
        authenticate(&[JwtClient::rsa()], used, &incoming(jwt), AUD, 1000)
            .map_err(|error| format!("{} {}", error.code, error.description))
    }

    #[test]
    fn a_good_assertion_passes_once_and_each_broken_rule_is_invalid_client() {
        let mut used = HashSet::new();
        let good = assertion(&claims(AUD, 1100, "a"), "e2e-rsa-key", CLIENT_RSA_PEM);
        assert_eq!(check(&good, &mut used).unwrap(), "e2e-jwt-rsa-client");
        assert!(
            check(&good, &mut used)
                .unwrap_err()
                .contains("already used")
        );
        let cases = [
            (
                assertion(&claims(AUD, 1100, "b"), "e2e-rsa-key", OTHER_RSA_PEM),
                "signature does not verify",
            ),
            (
                assertion(
                    &claims("http://elsewhere/token", 1100, "c"),
                    "e2e-rsa-key",
                    CLIENT_RSA_PEM,
                ),
                "aud is not",
            ),
            (
                assertion(&claims(AUD, 999, "d"), "e2e-rsa-key", CLIENT_RSA_PEM),
                "expired",
            ),
            (
                assertion(&claims(AUD, 5000, "e"), "e2e-rsa-key", CLIENT_RSA_PEM),
                "ten minutes",
            ),
            (
                assertion(&claims(AUD, 1100, "f"), "another-key", CLIENT_RSA_PEM),
                "kid",
            ),
        ];
        for (jwt, why) in cases {
            let error = check(&jwt, &mut used).unwrap_err();
            assert!(error.starts_with("invalid_client "), "{error}");
            assert!(error.contains(why), "{error} should say {why}");
        }
    }
}
