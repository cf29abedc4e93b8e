//! Tests of `pkce`.

use super::*;

/// RFC 7636 appendix B.
const RFC_BYTES: [u8; 32] = [
    116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77,
    105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
];
const RFC_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const RFC_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

#[test]
fn rfc7636_appendix_b_vector() {
    let pkce = Pkce::from_random(&RFC_BYTES);
    assert_eq!(pkce.verifier(), RFC_VERIFIER);
    assert_eq!(pkce.challenge(), RFC_CHALLENGE);
    assert_eq!(challenge_s256(RFC_VERIFIER), RFC_CHALLENGE);
    assert_eq!(Pkce::from_verifier(RFC_VERIFIER).unwrap(), pkce);
}

#[test]
fn verifier_length_limits() {
    assert_eq!(
        Pkce::from_verifier(&"a".repeat(42)),
        Err(PkceError::Length(42))
    );
    assert!(Pkce::from_verifier(&"a".repeat(43)).is_ok());
    assert!(Pkce::from_verifier(&"a".repeat(128)).is_ok());
    assert_eq!(
        Pkce::from_verifier(&"a".repeat(129)),
        Err(PkceError::Length(129))
    );
    assert_eq!(Pkce::from_verifier(""), Err(PkceError::Length(0)));
}

#[test]
fn verifier_characters() {
    assert!(Pkce::from_verifier(&format!("{}-._~", "A1z".repeat(14))).is_ok());
    for bad in ['+', '/', '=', ' ', 'é'] {
        let verifier = format!("{}{bad}", "a".repeat(43));
        assert_eq!(
            Pkce::from_verifier(&verifier),
            Err(PkceError::Character),
            "{bad}"
        );
    }
    assert!(PkceError::Character.to_string().contains("letters, digits"));
}

#[test]
fn state_is_43_url_safe_characters_of_256_bits() {
    let state = new_state(&RFC_BYTES);
    assert_eq!(state, RFC_VERIFIER);
    assert_eq!(new_state(&[0xff; 32]).len(), 43);
    assert!(
        new_state(&[0xfb; 32])
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_ne!(new_state(&[1; 32]), new_state(&[2; 32]));
}

#[test]
fn debug_hides_the_verifier() {
    let debug = format!("{:?}", Pkce::from_random(&RFC_BYTES));
    assert!(!debug.contains(RFC_VERIFIER), "{debug}");
    assert!(debug.contains(RFC_CHALLENGE), "{debug}");
}

#[test]
fn without_pkce_no_verifier_is_sent() {
    use crate::settings::PkceMethod;
    assert_eq!(
        verifier_to_send(PkceMethod::S256, RFC_VERIFIER),
        RFC_VERIFIER
    );
    assert_eq!(verifier_to_send(PkceMethod::None, RFC_VERIFIER), "");
}
