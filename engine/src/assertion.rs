//! Client authentication by JWT (RFC 7523 §2.2, OpenID Connect Core §9): `client_secret_jwt`
//! and `private_key_jwt`.
//!
//! The engine builds the assertion's header and claims (`iss` = `sub` = the client id, `aud` =
//! the token endpoint, `jti`, `iat`, `exp`) and the signing input, and reads the key the user
//! pasted; the caller signs (the wizard with WebCrypto, `otw` with ring), because signing needs
//! a crypto library the engine does not carry. The signed assertion goes back in as the
//! `{client_assertion}` variable, which the token and refresh requests send.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Map, Value, json};

use crate::request::{BuildError, effective_vars, render_url};
use crate::settings::{ClientAuth, EndpointSettings, JwtAlg, ServiceSettings};
use crate::template::Template;
use crate::validate::{Endpoint, Field, Problem};
use crate::vars::Vars;

/// `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2).
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The key an assertion is signed with, as the signer imports it.
#[derive(Clone, PartialEq, Eq)]
pub enum SigningKey {
    /// HS256: the client secret's bytes.
    Secret(Vec<u8>),
    /// A PKCS #8 private key (DER), from a `-----BEGIN PRIVATE KEY-----` block.
    Pkcs8(Vec<u8>),
    /// A private JWK (RFC 7517), checked to fit the algorithm: its members as JSON.
    Jwk(Map<String, Value>),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Secret(_) => "Secret(••••••)",
            Self::Pkcs8(_) => "Pkcs8(••••••)",
            Self::Jwk(_) => "Jwk(••••••)",
        })
    }
}

/// An assertion ready to be signed: sign `signing_input` with `key` by `alg`, then call
/// [`UnsignedAssertion::signed`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsignedAssertion {
    /// The JWS algorithm.
    pub alg: JwtAlg,
    /// The key to sign with.
    pub key: SigningKey,
    /// `base64url(header) "." base64url(claims)`.
    pub signing_input: String,
}

impl UnsignedAssertion {
    /// The compact JWS: the signing input, a dot and the signature in base64url. An ES256
    /// signature is the raw `r ‖ s` (64 bytes), as WebCrypto and ring produce it.
    pub fn signed(&self, signature: &[u8]) -> String {
        format!(
            "{}.{}",
            self.signing_input,
            URL_SAFE_NO_PAD.encode(signature)
        )
    }
}

/// The assertion `which` request needs, or `None` when its client authentication is not a JWT
/// (or there is no such request). Both device requests take `Endpoint::Token`'s.
///
/// `now` is the Unix time in seconds; `jti` fresh random bytes (16 or more) for every request
/// sent, so that the service can refuse a replayed assertion.
pub fn client_assertion(
    settings: &ServiceSettings,
    which: Endpoint,
    vars: &Vars,
    now: u64,
    jti: &[u8],
) -> Result<Option<UnsignedAssertion>, BuildError> {
    // Without the request (no refresh settings) there is nothing to sign: building it says why.
    let Ok(endpoint) = endpoint(settings, which) else {
        return Ok(None);
    };
    if !endpoint.client_auth.is_jwt() {
        return Ok(None);
    }
    let field = || Field::ClientAuth(which);
    let at = |problem: Problem| BuildError::Field {
        field: field(),
        problem,
    };
    let vars = effective_vars(settings, vars, Some(&endpoint.grant_type));
    let client_id = non_empty(&vars, "client_id", which)?;
    let settings = &endpoint.assertion;
    // RFC 7523 §3 lets `aud` be the token endpoint's URL, and OpenID Connect Core §9 asks for it.
    // The device requests (`device.rs`) sign as `Endpoint::Token` too: the device authorization
    // endpoint is another URL, but the audience stays the token endpoint, the one URL every
    // provider accepts for its client assertions.
    let audience = if settings.audience.trim().is_empty() {
        render_url(&endpoint.url, &vars, Field::Url(which))?.to_string()
    } else {
        render(&settings.audience, &vars, which)?
    };
    let key_id = render_allowing_empty(&settings.key_id, &vars, which)?;
    let (alg, key) = match endpoint.client_auth {
        ClientAuth::ClientSecretJwt => {
            let secret = vars.get("client_secret").unwrap_or_default();
            if secret.is_empty() {
                return Err(at(Problem::EmptySecret(ClientAuth::ClientSecretJwt)));
            }
            (
                JwtAlg::Hs256,
                SigningKey::Secret(secret.as_bytes().to_vec()),
            )
        }
        _ => {
            let alg = settings.alg;
            let text = non_empty(&vars, "private_key", which)?;
            let key =
                parse_private_key(text, alg).map_err(|words| at(Problem::PrivateKey(words)))?;
            (alg, key)
        }
    };
    let mut header = json!({ "alg": alg.name(), "typ": "JWT" });
    if !key_id.is_empty() {
        header["kid"] = Value::String(key_id);
    }
    let mut claims = json!({
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "jti": URL_SAFE_NO_PAD.encode(jti),
        "iat": now,
        "exp": now.saturating_add(settings.lifetime.max(1)),
    });
    for claim in &settings.claims {
        let value = if claim.optional {
            render_allowing_empty(&claim.value, &vars, which)?
        } else {
            render(&claim.value, &vars, which)?
        };
        if !(claim.optional && value.is_empty()) {
            claims[claim.name.as_str()] = Value::String(value);
        }
    }
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    Ok(Some(UnsignedAssertion {
        alg,
        key,
        signing_input,
    }))
}

fn endpoint(settings: &ServiceSettings, which: Endpoint) -> Result<&EndpointSettings, BuildError> {
    match which {
        Endpoint::Token => Ok(&settings.token),
        Endpoint::Refresh => settings.refresh.as_ref().ok_or(BuildError::NoRefresh),
        Endpoint::FollowUp => settings
            .follow_up
            .as_ref()
            .ok_or(BuildError::NoTokenCallEndpoint("follow-up exchange")),
    }
}

fn non_empty<'a>(vars: &'a Vars, name: &str, which: Endpoint) -> Result<&'a str, BuildError> {
    match vars.get(name) {
        Some(value) if !value.trim().is_empty() => Ok(value),
        _ => Err(BuildError::Field {
            field: Field::ClientAuth(which),
            problem: crate::template::RenderError::Empty(name.to_owned()).into(),
        }),
    }
}

fn render(source: &str, vars: &Vars, which: Endpoint) -> Result<String, BuildError> {
    let at = |problem: Problem| BuildError::Field {
        field: Field::ClientAuth(which),
        problem,
    };
    let template = Template::parse(source).map_err(|error| at(error.into()))?;
    template
        .render(vars, crate::encode::Encoding::Raw)
        .map_err(|error| at(error.into()))
}

fn render_allowing_empty(source: &str, vars: &Vars, which: Endpoint) -> Result<String, BuildError> {
    let at = |problem: Problem| BuildError::Field {
        field: Field::ClientAuth(which),
        problem,
    };
    let template = Template::parse(source).map_err(|error| at(error.into()))?;
    template
        .render_allowing_empty(vars, crate::encode::Encoding::Raw)
        .map_err(|error| at(error.into()))
}

/// Reads a pasted private key for `alg`: a PKCS #8 PEM block or a private JWK. Anything else
/// (a certificate, a public key, an older PEM form) is refused with what to do instead.
pub fn parse_private_key(text: &str, alg: JwtAlg) -> Result<SigningKey, String> {
    let text = text.trim();
    if text.starts_with('{') {
        return parse_jwk(text, alg);
    }
    let Some(label) = text
        .strip_prefix("-----BEGIN ")
        .and_then(|rest| rest.split_once("-----"))
        .map(|(label, _)| label)
    else {
        return Err(
            "is neither a PEM block (-----BEGIN PRIVATE KEY-----) nor a JWK ({\"kty\": …}): paste the whole private key"
                .to_owned(),
        );
    };
    let convert = "convert it with `openssl pkcs8 -topk8 -nocrypt -in key.pem -out key-pkcs8.pem`";
    match label {
        "PRIVATE KEY" => {}
        "RSA PRIVATE KEY" | "EC PRIVATE KEY" => {
            return Err(format!(
                "is in the older {label} form; the browser reads only PKCS #8 (BEGIN PRIVATE KEY): {convert}"
            ));
        }
        "ENCRYPTED PRIVATE KEY" => {
            return Err(format!(
                "is encrypted with a passphrase; paste it unencrypted: {convert}"
            ));
        }
        "CERTIFICATE" | "PUBLIC KEY" | "RSA PUBLIC KEY" => {
            return Err(format!(
                "is a {}; the assertion is signed with the private key that belongs to it",
                label.to_ascii_lowercase()
            ));
        }
        other => {
            return Err(format!(
                "is a PEM block of type “{other}”, not a private key"
            ));
        }
    }
    let footer = "-----END PRIVATE KEY-----";
    let body = text
        .split_once("-----BEGIN PRIVATE KEY-----")
        .and_then(|(_, rest)| rest.split_once(footer))
        .map(|(body, _)| body)
        .ok_or_else(|| format!("has no {footer} line: paste the whole block"))?;
    let base64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let der = STANDARD
        .decode(base64)
        .map_err(|_| "is damaged: its PEM block is not valid base64".to_owned())?;
    let kind = pkcs8_key_kind(&der).ok_or_else(|| "is damaged: not a PKCS #8 key".to_owned())?;
    check_kind(kind, alg)?;
    Ok(SigningKey::Pkcs8(der))
}

/// The kinds of key an algorithm signs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyKind {
    Rsa,
    P256,
    OtherEc,
    Other,
}

fn check_kind(kind: KeyKind, alg: JwtAlg) -> Result<(), String> {
    match (alg, kind) {
        (JwtAlg::Rs256 | JwtAlg::Ps256, KeyKind::Rsa) | (JwtAlg::Es256, KeyKind::P256) => Ok(()),
        (JwtAlg::Es256, KeyKind::Rsa) => Err(format!(
            "is an RSA key, but {} needs a P-256 (EC) key: choose RS256 or PS256",
            alg.name()
        )),
        (JwtAlg::Rs256 | JwtAlg::Ps256, KeyKind::P256) => Err(format!(
            "is an EC key, but {} needs an RSA key: choose ES256",
            alg.name()
        )),
        (_, KeyKind::OtherEc) => {
            Err("is an EC key on another curve than P-256, which ES256 needs".to_owned())
        }
        _ => Err(format!("is not a key {} can sign with", alg.name())),
    }
}

/// DER object identifiers (content bytes) of the PKCS #8 algorithms.
const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// Reads the algorithm of a PKCS #8 `PrivateKeyInfo`: SEQUENCE { INTEGER version,
/// SEQUENCE { OID algorithm, parameters }, OCTET STRING key }.
fn pkcs8_key_kind(der: &[u8]) -> Option<KeyKind> {
    let (tag, info, _) = der_element(der)?;
    if tag != 0x30 {
        return None;
    }
    let (tag, _version, rest) = der_element(info)?;
    if tag != 0x02 {
        return None;
    }
    let (tag, algorithm, rest) = der_element(rest)?;
    if tag != 0x30 {
        return None;
    }
    let (tag, _key, _) = der_element(rest)?;
    if tag != 0x04 {
        return None;
    }
    let (tag, oid, parameters) = der_element(algorithm)?;
    if tag != 0x06 {
        return None;
    }
    Some(if oid == RSA_ENCRYPTION {
        KeyKind::Rsa
    } else if oid == EC_PUBLIC_KEY {
        match der_element(parameters) {
            Some((0x06, curve, _)) if curve == P256 => KeyKind::P256,
            _ => KeyKind::OtherEc,
        }
    } else {
        KeyKind::Other
    })
}

/// One DER element: its tag, its content and what follows it.
fn der_element(bytes: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = bytes.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let length = rest[..count]
            .iter()
            .fold(0usize, |length, &byte| (length << 8) | usize::from(byte));
        (length, &rest[count..])
    };
    (rest.len() >= length).then(|| (tag, &rest[..length], &rest[length..]))
}

fn parse_jwk(text: &str, alg: JwtAlg) -> Result<SigningKey, String> {
    let Ok(Value::Object(members)) = serde_json::from_str::<Value>(text) else {
        return Err("starts like a JWK but is not a JSON object".to_owned());
    };
    let member = |name: &str| members.get(name).and_then(Value::as_str);
    let kind = match (member("kty"), member("crv")) {
        (Some("RSA"), _) => KeyKind::Rsa,
        (Some("EC"), Some("P-256")) => KeyKind::P256,
        (Some("EC"), _) => KeyKind::OtherEc,
        (Some(_), _) => KeyKind::Other,
        (None, _) => return Err("is a JWK without “kty”".to_owned()),
    };
    check_kind(kind, alg)?;
    if let Some(declared) = member("alg")
        && declared != alg.name()
    {
        return Err(format!(
            "is a JWK for {declared}, but the algorithm chosen is {}",
            alg.name()
        ));
    }
    let needed: &[&str] = match kind {
        KeyKind::Rsa => &["n", "e", "d", "p", "q", "dp", "dq", "qi"],
        _ => &["x", "y", "d"],
    };
    if member("d").is_none() {
        return Err("is a public JWK (no “d”): paste the private key".to_owned());
    }
    if let Some(missing) = needed.iter().find(|name| member(name).is_none()) {
        return Err(format!("is a JWK without “{missing}”"));
    }
    for name in needed {
        let value = member(name).unwrap_or_default();
        if URL_SAFE_NO_PAD.decode(value).is_err() {
            return Err(format!("is a JWK whose “{name}” is not base64url"));
        }
    }
    Ok(SigningKey::Jwk(members))
}

#[cfg(test)]
mod tests;
