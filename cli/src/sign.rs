//! Signing the client assertion of JWT client authentication (`client_secret_jwt`,
//! `private_key_jwt`) with ring, the crypto library rustls already brings: the engine builds
//! the claims and the signing input, this signs it and hands it back as `{client_assertion}`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use engine::assertion::{SigningKey, UnsignedAssertion, client_assertion};
use engine::{Endpoint, JwtAlg, ServiceSettings, Vars};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, RsaKeyPair};

/// Sets `{client_assertion}` in `vars` when `which` request authenticates by JWT; nothing
/// otherwise. The error says what is wrong with the key, never what it holds.
pub fn sign_assertion(
    settings: &ServiceSettings,
    which: Endpoint,
    vars: &mut Vars,
) -> Result<(), String> {
    let mut jti = [0u8; 16];
    getrandom::fill(&mut jti).map_err(|error| format!("no random bytes for the jti: {error}"))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let unsigned =
        client_assertion(settings, which, vars, now, &jti).map_err(|error| error.to_string())?;
    if let Some(unsigned) = unsigned {
        let signature = sign(&unsigned)?;
        vars.set("client_assertion", unsigned.signed(&signature));
    }
    Ok(())
}

/// The signature of `unsigned.signing_input` (ES256 as the raw `r ‖ s`).
pub fn sign(unsigned: &UnsignedAssertion) -> Result<Vec<u8>, String> {
    let message = unsigned.signing_input.as_bytes();
    let rng = SystemRandom::new();
    let refused = |what: &str| format!("the private key cannot be used: {what}");
    match (unsigned.alg, &unsigned.key) {
        (JwtAlg::Hs256, SigningKey::Secret(secret)) => {
            let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
            Ok(ring::hmac::sign(&key, message).as_ref().to_vec())
        }
        (JwtAlg::Rs256 | JwtAlg::Ps256, key) => {
            let pair = match key {
                SigningKey::Pkcs8(der) => RsaKeyPair::from_pkcs8(der),
                SigningKey::Jwk(jwk) => {
                    let part = |name: &str| jwk_bytes(jwk, name);
                    RsaKeyPair::from_components(&ring::rsa::KeyPairComponents {
                        public_key: ring::rsa::PublicKeyComponents {
                            n: part("n")?,
                            e: part("e")?,
                        },
                        d: part("d")?,
                        p: part("p")?,
                        q: part("q")?,
                        dP: part("dp")?,
                        dQ: part("dq")?,
                        qInv: part("qi")?,
                    })
                }
                SigningKey::Secret(_) => return Err(refused("it is a secret, not an RSA key")),
            }
            .map_err(|rejected| refused(&rejected.to_string()))?;
            let padding: &dyn signature::RsaEncoding = if unsigned.alg == JwtAlg::Ps256 {
                &signature::RSA_PSS_SHA256
            } else {
                &signature::RSA_PKCS1_SHA256
            };
            let mut out = vec![0; pair.public().modulus_len()];
            pair.sign(padding, &rng, message, &mut out)
                .map_err(|_| refused("signing failed"))?;
            Ok(out)
        }
        (JwtAlg::Es256, key) => {
            let alg = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
            let pair = match key {
                SigningKey::Pkcs8(der) => EcdsaKeyPair::from_pkcs8(alg, der, &rng),
                SigningKey::Jwk(jwk) => {
                    let mut point = vec![4];
                    point.extend(jwk_bytes(jwk, "x")?);
                    point.extend(jwk_bytes(jwk, "y")?);
                    EcdsaKeyPair::from_private_key_and_public_key(
                        alg,
                        &jwk_bytes(jwk, "d")?,
                        &point,
                        &rng,
                    )
                }
                SigningKey::Secret(_) => return Err(refused("it is a secret, not an EC key")),
            }
            .map_err(|rejected| refused(&rejected.to_string()))?;
            let signature = pair
                .sign(&rng, message)
                .map_err(|_| refused("signing failed"))?;
            Ok(signature.as_ref().to_vec())
        }
        (JwtAlg::Hs256, _) => Err(refused("HS256 signs with the client secret")),
    }
}

fn jwk_bytes(
    jwk: &serde_json::Map<String, serde_json::Value>,
    name: &str,
) -> Result<Vec<u8>, String> {
    jwk.get(name)
        .and_then(serde_json::Value::as_str)
        .and_then(|value| URL_SAFE_NO_PAD.decode(value).ok())
        .ok_or_else(|| format!("the private key is a JWK without a base64url “{name}”"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA: &str = include_str!("../../tests/keys/client-rsa.pem");
    const EC: &str = include_str!("../../tests/keys/client-ec.pem");

    fn unsigned(alg: JwtAlg, pem: &str) -> UnsignedAssertion {
        UnsignedAssertion {
            alg,
            key: engine::assertion::parse_private_key(pem, alg).unwrap(),
            signing_input: "eyJhbGciOiJFUzI1NiJ9.e30".to_owned(),
        }
    }

    #[test]
    fn each_algorithm_signs_in_the_form_jws_expects() {
        // RSA signatures are as long as the modulus (2048 bits); ES256 is r ‖ s, 64 bytes.
        assert_eq!(sign(&unsigned(JwtAlg::Rs256, RSA)).unwrap().len(), 256);
        assert_eq!(sign(&unsigned(JwtAlg::Ps256, RSA)).unwrap().len(), 256);
        assert_eq!(sign(&unsigned(JwtAlg::Es256, EC)).unwrap().len(), 64);
        let hs = UnsignedAssertion {
            alg: JwtAlg::Hs256,
            key: SigningKey::Secret(b"key".to_vec()),
            signing_input: "The quick brown fox jumps over the lazy dog".to_owned(),
        };
        // RFC 4231-style known answer (HMAC-SHA256 of the pangram under "key").
        assert_eq!(
            sign(&hs).unwrap(),
            [
                0xf7, 0xbc, 0x83, 0xf4, 0x30, 0x53, 0x84, 0x24, 0xb1, 0x32, 0x98, 0xe6, 0xaa, 0x6f,
                0xb1, 0x43, 0xef, 0x4d, 0x59, 0xa1, 0x49, 0x46, 0x17, 0x59, 0x97, 0x47, 0x9d, 0xbc,
                0x2d, 0x1a, 0x3c, 0xd8
            ]
        );
    }

    #[test]
    fn rs256_is_deterministic_and_ps256_is_not() {
        let rs = unsigned(JwtAlg::Rs256, RSA);
        assert_eq!(sign(&rs).unwrap(), sign(&rs).unwrap());
        let ps = unsigned(JwtAlg::Ps256, RSA);
        assert_ne!(sign(&ps).unwrap(), sign(&ps).unwrap());
    }
}
