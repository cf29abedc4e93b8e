//! Sealed callbacks: the relay encrypts a callback's parameters to the wizard's public key the
//! moment they arrive (HPKE, RFC 9180, base mode), so its memory and Redis hold no code in the
//! clear. Suite: DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM — P-256 because the browser
//! opens it with WebCrypto alone (`app/src/seal.rs`). Format: relay/README.md, "Sealed callbacks".

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hpke::{Deserializable, OpModeS, Serializable};

type Kem = hpke::kem::DhP256HkdfSha256;
type Kdf = hpke::kdf::HkdfSha256;
type Aead = hpke::aead::AesGcm128;

/// HPKE `info`: binds the ciphertext to this use.
pub const INFO: &[u8] = b"oauth-token-wizard callback v1";
/// An uncompressed P-256 point: 0x04, x, y.
pub const PUBLIC_KEY_LEN: usize = 65;

/// A wizard's public key, checked to be a point on P-256.
#[derive(Clone)]
pub struct SealKey {
    key: <Kem as hpke::Kem>::PublicKey,
    /// The base64url text as registered (what Redis keeps).
    pub text: Box<str>,
}

impl PartialEq for SealKey {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealKey")
    }
}

/// Why a public key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "`public_key` must be an uncompressed P-256 public key ({PUBLIC_KEY_LEN} bytes, 0x04 first) \
     in base64url without padding"
)]
pub struct BadKey;

impl SealKey {
    /// Reads `text` (base64url without padding of the uncompressed point).
    pub fn parse(text: &str) -> Result<Self, BadKey> {
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| BadKey)?;
        if bytes.len() != PUBLIC_KEY_LEN {
            return Err(BadKey);
        }
        let key = <Kem as hpke::Kem>::PublicKey::from_bytes(&bytes).map_err(|_| BadKey)?;
        Ok(Self {
            key,
            text: text.into(),
        })
    }

    /// Seals `plaintext`: base64url(enc ‖ ciphertext ‖ tag), no padding.
    pub fn seal(&self, plaintext: &str) -> String {
        let (enc, ciphertext) = hpke::single_shot_seal::<Aead, Kdf, Kem>(
            &OpModeS::Base,
            &self.key,
            INFO,
            plaintext.as_bytes(),
            b"",
        )
        .expect("HPKE sealing to a validated P-256 key with AES-GCM cannot fail");
        let mut out = enc.to_bytes().to_vec();
        out.extend_from_slice(&ciphertext);
        URL_SAFE_NO_PAD.encode(out)
    }
}

/// The wizard's side in Rust, for the relay's tests and benchmarks (the wizard itself opens with
/// WebCrypto, `app/src/seal.rs`).
pub mod receiver {
    use super::*;
    use hpke::{Kem as _, OpModeR};

    /// The private key type.
    pub type PrivateKey = <Kem as hpke::Kem>::PrivateKey;

    /// Why opening failed (the wizard's own words for these are in `app/src/seal.rs`).
    #[derive(Debug, PartialEq, Eq)]
    pub enum OpenError {
        /// Not base64url.
        NotBase64,
        /// Shorter than a key and a tag.
        TooShort,
        /// Altered, truncated, or sealed to another key.
        Refused,
    }

    /// The receiver's side, as the wizard does it in WebCrypto.
    pub fn open(sk: &PrivateKey, sealed: &str) -> Result<String, OpenError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(sealed)
            .map_err(|_| OpenError::NotBase64)?;
        if bytes.len() < PUBLIC_KEY_LEN + 16 {
            return Err(OpenError::TooShort);
        }
        let (enc, ciphertext) = bytes.split_at(PUBLIC_KEY_LEN);
        let enc =
            <Kem as hpke::Kem>::EncappedKey::from_bytes(enc).map_err(|_| OpenError::Refused)?;
        let plain = hpke::single_shot_open::<Aead, Kdf, Kem>(
            &OpModeR::Base,
            sk,
            &enc,
            INFO,
            ciphertext,
            b"",
        )
        .map_err(|_| OpenError::Refused)?;
        String::from_utf8(plain).map_err(|_| OpenError::Refused)
    }

    /// A fresh key pair: the private key, and the public key as the wizard registers it.
    pub fn key_pair() -> (PrivateKey, String) {
        let (sk, pk) = Kem::gen_keypair();
        (sk, URL_SAFE_NO_PAD.encode(pk.to_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::receiver::{OpenError, key_pair, open};
    use super::*;

    #[test]
    fn sealed_opens_with_the_right_key_only() {
        let (sk, pk) = key_pair();
        let key = SealKey::parse(&pk).unwrap();
        let sealed = key.seal("code=abc&state=s1");
        // The plaintext is in neither the text nor its bytes. (A short needle such as "abc" turns
        // up in random base64 now and then: about one run in two thousand.)
        let bytes = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        assert!(!sealed.contains("code=abc&state=s1"));
        assert!(!bytes.windows(17).any(|w| w == b"code=abc&state=s1"));
        assert_ne!(
            key.seal("code=abc&state=s1"),
            sealed,
            "fresh encapsulation each time"
        );
        assert_eq!(open(&sk, &sealed).unwrap(), "code=abc&state=s1");
        let (other, _) = key_pair();
        assert_eq!(open(&other, &sealed), Err(OpenError::Refused));
    }

    #[test]
    fn truncated_or_altered_ciphertext_is_refused() {
        let (sk, pk) = key_pair();
        let sealed = SealKey::parse(&pk).unwrap().seal("code=abc");
        let mut bytes = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        let cut = URL_SAFE_NO_PAD.encode(&bytes[..bytes.len() - 1]);
        assert_eq!(open(&sk, &cut), Err(OpenError::Refused));
        assert_eq!(
            open(&sk, &URL_SAFE_NO_PAD.encode(&bytes[..40])),
            Err(OpenError::TooShort)
        );
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(
            open(&sk, &URL_SAFE_NO_PAD.encode(&bytes)),
            Err(OpenError::Refused)
        );
        bytes[last] ^= 1;
        bytes[PUBLIC_KEY_LEN + 2] ^= 0x80;
        assert_eq!(
            open(&sk, &URL_SAFE_NO_PAD.encode(&bytes)),
            Err(OpenError::Refused)
        );
        assert_eq!(open(&sk, "not base64!"), Err(OpenError::NotBase64));
    }

    #[test]
    fn keys_that_are_not_p256_points_are_refused() {
        let (_, pk) = key_pair();
        let mut bytes = URL_SAFE_NO_PAD.decode(&pk).unwrap();
        assert!(SealKey::parse(&URL_SAFE_NO_PAD.encode(&bytes[..64])).is_err());
        bytes[64] ^= 1; // off the curve
        assert_eq!(SealKey::parse(&URL_SAFE_NO_PAD.encode(&bytes)), Err(BadKey));
        assert_eq!(SealKey::parse("AAAA"), Err(BadKey));
        assert_eq!(SealKey::parse(&"A".repeat(87)), Err(BadKey));
    }
}
