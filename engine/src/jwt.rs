//! Looking inside the tokens a service returns: a JWT's header and claims decoded, its times
//! read, and its claims checked against the settings (issuer, audience = the client, expiry, the
//! OpenID `nonce`). An opaque token is said to be opaque, which is not an error. The signature
//! is checked by the caller's crypto (WebCrypto) with the key [`select_key`] picks from the
//! service's JWKS.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// What a token turned out to be.
#[derive(Clone, Debug, PartialEq)]
pub enum TokenShape {
    /// A signed JWT (JWS compact serialization).
    Jwt(DecodedJwt),
    /// An encrypted JWT (JWE, five parts): only the service can read it.
    Encrypted,
    /// Not a JWT: a reference only the service can look up (introspection tells more).
    Opaque,
}

/// A JWT's decoded parts.
#[derive(Clone, Debug, PartialEq)]
pub struct DecodedJwt {
    /// The JOSE header (`alg`, `kid`, `typ` …).
    pub header: Map<String, Value>,
    /// The claims.
    pub claims: Map<String, Value>,
    /// `base64url(header) "." base64url(claims)`: what the signature covers.
    pub signing_input: String,
    /// The signature's bytes.
    pub signature: Vec<u8>,
}

impl DecodedJwt {
    /// The `alg` header (`RS256` …), empty when missing.
    pub fn alg(&self) -> &str {
        self.header
            .get("alg")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The `kid` header, if any.
    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }

    /// A string claim.
    pub fn claim(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    /// A time claim (`exp`, `iat`, `nbf`, `auth_time`) in Unix seconds.
    pub fn time(&self, name: &str) -> Option<u64> {
        self.claims.get(name).and_then(|value| {
            value
                .as_u64()
                .or_else(|| value.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
        })
    }

    /// The time claims present, in a fixed order, with what each means.
    pub fn times(&self) -> Vec<(&'static str, &'static str, u64)> {
        [
            ("iat", "issued"),
            ("nbf", "valid from"),
            ("auth_time", "signed in"),
            ("exp", "expires"),
        ]
        .into_iter()
        .filter_map(|(name, words)| self.time(name).map(|secs| (name, words, secs)))
        .collect()
    }

    /// The audiences (`aud` as a string or a list).
    pub fn audiences(&self) -> Vec<&str> {
        match self.claims.get("aud") {
            Some(Value::String(aud)) => vec![aud.as_str()],
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }
}

/// Reads `token`: a JWT's parts, or what else it is.
pub fn decode(token: &str) -> TokenShape {
    let token = token.trim();
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() == 5 && object(parts[0]).is_some() {
        return TokenShape::Encrypted;
    }
    let [header, claims, signature] = parts.as_slice() else {
        return TokenShape::Opaque;
    };
    match (
        object(header),
        object(claims),
        URL_SAFE_NO_PAD.decode(signature),
    ) {
        (Some(header), Some(claims), Ok(signature)) if header.contains_key("alg") => {
            TokenShape::Jwt(DecodedJwt {
                header,
                claims,
                signing_input: format!("{}.{}", parts[0], parts[1]),
                signature,
            })
        }
        _ => TokenShape::Opaque,
    }
}

fn object(part: &str) -> Option<Map<String, Value>> {
    let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// One check of a token's claims, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimCheck {
    /// The claim checked (`exp`, `iss`, `aud`, `nonce`).
    pub claim: &'static str,
    /// Whether it passed.
    pub ok: bool,
    /// What was found, in words.
    pub words: String,
}

/// What the claims are checked against.
#[derive(Clone, Copy, Debug, Default)]
pub struct Expected<'a> {
    /// The service's issuer from the settings (discovery); `None` when unknown.
    pub issuer: Option<&'a str>,
    /// The client id: an ID token's audience must hold it.
    pub client_id: Option<&'a str>,
    /// The `nonce` sent with the authorization request (OpenID Connect Core §3.1.3.7).
    pub nonce: Option<&'a str>,
    /// Now, in Unix seconds.
    pub now: u64,
}

/// Checks what can be checked without the service's keys. An ID token (`id_token`) must name
/// the client in `aud` and carry the nonce sent; an access token's audience is the API, so it is
/// only shown.
pub fn check_claims(jwt: &DecodedJwt, expected: Expected<'_>, id_token: bool) -> Vec<ClaimCheck> {
    let mut checks = Vec::new();
    let mut push = |claim, ok, words: String| checks.push(ClaimCheck { claim, ok, words });
    match jwt.time("exp") {
        Some(exp) if exp > expected.now => push(
            "exp",
            true,
            format!("valid for {} more", duration_words(exp - expected.now)),
        ),
        Some(exp) => push(
            "exp",
            false,
            format!("expired {} ago", duration_words(expected.now - exp)),
        ),
        None if id_token => push(
            "exp",
            false,
            "no expiry: an ID token must have one".to_owned(),
        ),
        None => {}
    }
    if let Some(nbf) = jwt.time("nbf")
        && nbf > expected.now
    {
        push(
            "nbf",
            false,
            format!(
                "not valid for another {}",
                duration_words(nbf - expected.now)
            ),
        );
    }
    match (
        expected.issuer.filter(|iss| !iss.is_empty()),
        jwt.claim("iss"),
    ) {
        (Some(want), Some(found)) if want == found => {
            push("iss", true, format!("the service's issuer ({found})"))
        }
        (Some(want), Some(found)) => push(
            "iss",
            false,
            format!("names issuer {found}, but the settings' issuer is {want}"),
        ),
        (Some(want), None) => push(
            "iss",
            !id_token,
            format!("no iss (the settings' issuer is {want})"),
        ),
        (None, Some(found)) => push(
            "iss",
            true,
            format!("{found} (the settings name no issuer to compare)"),
        ),
        (None, None) => {}
    }
    if id_token {
        let audiences = jwt.audiences();
        match expected.client_id.filter(|id| !id.is_empty()) {
            Some(client) if audiences.contains(&client) => {
                push("aud", true, format!("this client ({client})"))
            }
            Some(client) => push(
                "aud",
                false,
                format!(
                    "is for {}, not this client ({client})",
                    if audiences.is_empty() {
                        "nobody".to_owned()
                    } else {
                        audiences.join(", ")
                    }
                ),
            ),
            None => {}
        }
        match (expected.nonce.filter(|n| !n.is_empty()), jwt.claim("nonce")) {
            (Some(sent), Some(found)) if sent == found => {
                push("nonce", true, "matches the one sent".to_owned())
            }
            (Some(_), Some(_)) => push(
                "nonce",
                false,
                "differs from the one sent: this ID token was not issued for this sign-in (a replay?)"
                    .to_owned(),
            ),
            (Some(_), None) => push("nonce", false, "missing, but one was sent".to_owned()),
            (None, Some(_)) => push("nonce", true, "present (none was sent from this page)".to_owned()),
            (None, None) => {}
        }
    }
    checks
}

/// `2 h 5 min`, `3 min 20 s`, `45 s`, `3 days 2 h`.
pub fn duration_words(seconds: u64) -> String {
    let (days, hours, minutes, secs) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
        seconds % 60,
    );
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{secs} s"),
        (0, 0, _) => format!("{minutes} min {secs} s"),
        (0, _, _) => format!("{hours} h {minutes} min"),
        (1, _, _) => format!("1 day {hours} h"),
        _ => format!("{days} days {hours} h"),
    }
}

/// The JWS algorithms whose signatures the wizard can check (EdDSA where the browser has it).
pub const VERIFIABLE: &[&str] = &["RS256", "PS256", "ES256", "EdDSA"];

/// The GET request for the service's keys.
pub fn jwks_request(jwks_uri: &str) -> crate::request::HttpRequest {
    crate::request::HttpRequest {
        method: crate::settings::HttpMethod::Get,
        url: jwks_uri.to_owned(),
        headers: vec![("Accept".to_owned(), "application/json".to_owned())],
        body: None,
    }
}

/// The key of the JWKS (`jwks`, the service's answer) that signed `jwt`: the one with its `kid`
/// (or the only one of its type when it names none), fit for its `alg`. `Err` says why none.
pub fn select_key(jwks: &str, jwt: &DecodedJwt) -> Result<Map<String, Value>, String> {
    let alg = jwt.alg();
    if !VERIFIABLE.contains(&alg) {
        return Err(format!(
            "it is signed {alg}, which this page cannot check (it checks {})",
            VERIFIABLE.join(", ")
        ));
    }
    let kty = match alg {
        "ES256" => "EC",
        "EdDSA" => "OKP",
        _ => "RSA",
    };
    let Ok(Value::Object(set)) = serde_json::from_str::<Value>(jwks) else {
        return Err("the service's key set (jwks_uri) is not JSON".to_owned());
    };
    let keys: Vec<&Map<String, Value>> = set
        .get("keys")
        .and_then(Value::as_array)
        .map(|keys| keys.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default();
    let text = |key: &Map<String, Value>, name: &str| {
        key.get(name).and_then(Value::as_str).map(str::to_owned)
    };
    let fits = |key: &&Map<String, Value>| {
        text(key, "kty").as_deref() == Some(kty)
            && text(key, "alg").is_none_or(|a| a == alg)
            && text(key, "use").is_none_or(|u| u == "sig")
    };
    let candidates: Vec<&Map<String, Value>> = match jwt.kid() {
        Some(kid) => keys
            .iter()
            .copied()
            .filter(|key| text(key, "kid").as_deref() == Some(kid))
            .collect(),
        None => keys.iter().copied().filter(fits).collect(),
    };
    match candidates.as_slice() {
        [key] if fits(key) => Ok((*key).clone()),
        [_] => Err(format!(
            "the key {} is not a {kty} key for {alg}",
            jwt.kid().unwrap_or_default()
        )),
        [] => Err(match jwt.kid() {
            Some(kid) => format!("the service's key set has no key {kid} (rotated away?)"),
            None => format!("the service's key set has no {kty} key"),
        }),
        _ => Err("the token names no kid and the key set has several keys that fit".to_owned()),
    }
}

#[cfg(test)]
mod tests;
