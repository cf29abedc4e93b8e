//! PKCE (RFC 7636) with the S256 method, and the `state` value.
//!
//! Callers pass the random bytes in (the engine has no randomness source).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use thiserror::Error;

/// A code verifier and its S256 challenge.
#[derive(Clone, PartialEq, Eq)]
pub struct Pkce {
    verifier: String,
    challenge: String,
}

/// Why a code verifier is refused.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum PkceError {
    /// RFC 7636 §4.1: 43 to 128 characters.
    #[error("the code verifier must be 43 to 128 characters long, not {0}")]
    Length(usize),
    /// RFC 7636 §4.1: only `A-Z a-z 0-9 - . _ ~`.
    #[error("the code verifier may contain only letters, digits and `-` `.` `_` `~`")]
    Character,
}

/// The `{code_verifier}` the code exchange sends: the attempt's verifier with PKCE, nothing
/// without (the optional parameter is then left out, as a service without PKCE expects).
pub fn verifier_to_send(method: crate::settings::PkceMethod, verifier: &str) -> &str {
    match method {
        crate::settings::PkceMethod::S256 => verifier,
        crate::settings::PkceMethod::None => "",
    }
}

impl Pkce {
    /// The method name sent as `code_challenge_method`.
    pub const METHOD: &'static str = "S256";

    /// A verifier made of 32 random bytes (base64url, 43 characters), as RFC 7636 §4.1 recommends.
    pub fn from_random(random: &[u8; 32]) -> Self {
        let verifier = URL_SAFE_NO_PAD.encode(random);
        let challenge = challenge_s256(&verifier);
        Self {
            verifier,
            challenge,
        }
    }

    /// Checks an existing verifier (e.g. one typed in or restored) and computes its challenge.
    pub fn from_verifier(verifier: &str) -> Result<Self, PkceError> {
        let length = verifier.chars().count();
        if !(43..=128).contains(&length) {
            return Err(PkceError::Length(length));
        }
        if !verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
        {
            return Err(PkceError::Character);
        }
        Ok(Self {
            verifier: verifier.to_owned(),
            challenge: challenge_s256(verifier),
        })
    }

    /// The secret `code_verifier`, sent with the token request.
    pub fn verifier(&self) -> &str {
        &self.verifier
    }

    /// The `code_challenge`, sent with the authorization request.
    pub fn challenge(&self) -> &str {
        &self.challenge
    }
}

impl fmt::Debug for Pkce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkce")
            .field("verifier", &"••••••")
            .field("challenge", &self.challenge)
            .finish()
    }
}

/// `BASE64URL(SHA256(ASCII(verifier)))` without padding (RFC 7636 §4.2).
pub fn challenge_s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A `state` value: 32 random bytes (256 bits) in base64url, 43 characters.
pub fn new_state(random: &[u8; 32]) -> String {
    URL_SAFE_NO_PAD.encode(random)
}

#[cfg(test)]
mod tests;

/// The OpenID `nonce` of the authorization that sent `state`: base64url(SHA-256("nonce:" state)).
/// Unguessable while the state is, and recomputed from it when the ID token comes back.
pub fn nonce_for(state: &str) -> String {
    use base64::Engine as _;
    use sha2::{Digest as _, Sha256};
    let digest = Sha256::digest(format!("nonce:{state}").as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}
