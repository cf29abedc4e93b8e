//! OpenID Connect ID tokens at the mock provider: issued with the code exchange when `openid` was
//! granted, carrying the authorization request's `nonce`, signed with the algorithm
//! [`ProviderConfig::id_token_alg`](super::ProviderConfig) names (RS256 by default; PS256, ES256
//! and EdDSA on request); every public key at `GET /jwks`, one `kid` per algorithm.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair};
use serde_json::json;

/// The provider's RSA signing key (RS256 and PS256).
const PROVIDER_RSA_PEM: &str = include_str!("../../keys/provider-rsa.pem");
/// The provider's P-256 signing key (ES256).
const PROVIDER_EC_PEM: &str = include_str!("../../keys/provider-ec.pem");
/// The provider's Ed25519 signing key (EdDSA).
const PROVIDER_ED25519_PEM: &str = include_str!("../../keys/provider-ed25519.pem");

/// The `kid` of the provider's RS256 key.
pub const KID: &str = "mock-key-1";

/// How the mock provider signs the ID tokens it issues (JWS `alg`, RFC 7518 §3.1, RFC 8037 §3.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IdTokenAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256, key `mock-key-1`.
    #[default]
    Rs256,
    /// RSASSA-PSS with SHA-256 (the same RSA key), key `mock-key-ps256`.
    Ps256,
    /// ECDSA on P-256 with SHA-256, key `mock-key-es256`.
    Es256,
    /// Ed25519, key `mock-key-ed25519`.
    EdDsa,
}

impl IdTokenAlg {
    /// Every algorithm, in the order the JWKS lists their keys.
    pub const ALL: [Self; 4] = [Self::Rs256, Self::Ps256, Self::Es256, Self::EdDsa];

    /// The JWS `alg` value.
    pub fn name(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Ps256 => "PS256",
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
        }
    }

    /// The `kid` of the key that signs with this algorithm.
    pub fn kid(self) -> &'static str {
        match self {
            Self::Rs256 => KID,
            Self::Ps256 => "mock-key-ps256",
            Self::Es256 => "mock-key-es256",
            Self::EdDsa => "mock-key-ed25519",
        }
    }
}

fn pkcs8(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("the provider's keys are valid PEM")
}

fn rsa_pair() -> RsaKeyPair {
    RsaKeyPair::from_pkcs8(&pkcs8(PROVIDER_RSA_PEM))
        .expect("provider-rsa.pem is an RSA PKCS #8 key")
}

fn ec_pair() -> EcdsaKeyPair {
    EcdsaKeyPair::from_pkcs8(
        &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &pkcs8(PROVIDER_EC_PEM),
        &SystemRandom::new(),
    )
    .expect("provider-ec.pem is a P-256 PKCS #8 key")
}

fn ed25519_pair() -> Ed25519KeyPair {
    // openssl writes PKCS #8 v1 (no public key inside), which the checked reader refuses.
    Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pkcs8(PROVIDER_ED25519_PEM))
        .expect("provider-ed25519.pem is an Ed25519 PKCS #8 key")
}

/// The JWS signature of `input` by `alg`'s key (ES256 as the raw `r ‖ s`, RFC 7518 §3.4).
fn signature_of(alg: IdTokenAlg, input: &[u8]) -> Vec<u8> {
    let rng = SystemRandom::new();
    match alg {
        IdTokenAlg::Rs256 | IdTokenAlg::Ps256 => {
            let pair = rsa_pair();
            let padding: &dyn signature::RsaEncoding = if alg == IdTokenAlg::Rs256 {
                &signature::RSA_PKCS1_SHA256
            } else {
                &signature::RSA_PSS_SHA256
            };
            let mut out = vec![0; pair.public().modulus_len()];
            pair.sign(padding, &rng, input, &mut out)
                .expect("RSA signing works");
            out
        }
        IdTokenAlg::Es256 => ec_pair()
            .sign(&rng, input)
            .expect("ECDSA signing works")
            .as_ref()
            .to_vec(),
        IdTokenAlg::EdDsa => ed25519_pair().sign(input).as_ref().to_vec(),
    }
}

/// A JWS compact token over `claims`, signed by `alg`'s key.
pub(super) fn sign_claims(alg: IdTokenAlg, typ: &str, claims: &serde_json::Value) -> String {
    let header = json!({"alg": alg.name(), "typ": typ, "kid": alg.kid()});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = signature_of(alg, input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// Seconds since the Unix epoch.
pub(super) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// An ID token for `client_id` from `issuer`, with `nonce` when one was sent.
pub(super) fn sign(
    alg: IdTokenAlg,
    issuer: &str,
    client_id: &str,
    nonce: Option<&str>,
    lifetime: u64,
) -> String {
    let now = now();
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
    sign_claims(alg, "JWT", &claims)
}

/// The public JWK of `alg`'s key.
fn public_jwk(alg: IdTokenAlg) -> serde_json::Value {
    let (kid, name) = (alg.kid(), alg.name());
    match alg {
        IdTokenAlg::Rs256 | IdTokenAlg::Ps256 => {
            let pair = rsa_pair();
            let public = ring::rsa::PublicKeyComponents::<Vec<u8>>::from(pair.public());
            json!({
                "kty": "RSA", "use": "sig", "alg": name, "kid": kid,
                "n": URL_SAFE_NO_PAD.encode(&public.n), "e": URL_SAFE_NO_PAD.encode(&public.e),
            })
        }
        IdTokenAlg::Es256 => {
            // The uncompressed point: 0x04 ‖ x ‖ y.
            let point = ec_pair().public_key().as_ref().to_vec();
            json!({
                "kty": "EC", "use": "sig", "alg": name, "kid": kid, "crv": "P-256",
                "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
            })
        }
        IdTokenAlg::EdDsa => json!({
            "kty": "OKP", "use": "sig", "alg": name, "kid": kid, "crv": "Ed25519",
            "x": URL_SAFE_NO_PAD.encode(ed25519_pair().public_key().as_ref()),
        }),
    }
}

/// `GET /jwks`: the provider's public keys as a JWK Set (RFC 7517 §5).
pub(super) async fn jwks() -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let keys: Vec<serde_json::Value> = IdTokenAlg::ALL.into_iter().map(public_jwk).collect();
    (
        [
            (axum::http::header::CONTENT_TYPE, "application/json"),
            (axum::http::header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        json!({ "keys": keys }).to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(jwk: &serde_json::Value, name: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD
            .decode(jwk[name].as_str().expect("the JWK has the member"))
            .expect("JWK members are base64url")
    }

    /// Each token verifies with the public key the JWKS publishes under its `kid`, and only with it.
    #[test]
    fn every_algorithm_verifies_with_its_published_key() {
        for alg in IdTokenAlg::ALL {
            let token = sign(alg, "http://127.0.0.1:9", "client", Some("n"), 60);
            let (input, signature) = token.rsplit_once('.').expect("three parts");
            let signature = URL_SAFE_NO_PAD.decode(signature).expect("base64url");
            let header: serde_json::Value = serde_json::from_slice(
                &URL_SAFE_NO_PAD
                    .decode(input.split('.').next().unwrap_or_default())
                    .unwrap_or_default(),
            )
            .expect("the header is JSON");
            assert_eq!(header["alg"], alg.name());
            assert_eq!(header["kid"], alg.kid());
            let jwk = public_jwk(alg);
            assert_eq!(jwk["kid"], alg.kid());
            let verify = |message: &[u8]| match alg {
                IdTokenAlg::Rs256 | IdTokenAlg::Ps256 => {
                    let params = if alg == IdTokenAlg::Rs256 {
                        &signature::RSA_PKCS1_2048_8192_SHA256
                    } else {
                        &signature::RSA_PSS_2048_8192_SHA256
                    };
                    signature::RsaPublicKeyComponents {
                        n: member(&jwk, "n"),
                        e: member(&jwk, "e"),
                    }
                    .verify(params, message, &signature)
                    .is_ok()
                }
                IdTokenAlg::Es256 => {
                    let mut point = vec![4];
                    point.extend(member(&jwk, "x"));
                    point.extend(member(&jwk, "y"));
                    signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                        .verify(message, &signature)
                        .is_ok()
                }
                IdTokenAlg::EdDsa => {
                    signature::UnparsedPublicKey::new(&signature::ED25519, member(&jwk, "x"))
                        .verify(message, &signature)
                        .is_ok()
                }
            };
            assert!(verify(input.as_bytes()), "{} should verify", alg.name());
            assert!(
                !verify(b"another message"),
                "{} should not verify another message",
                alg.name()
            );
        }
    }
}
