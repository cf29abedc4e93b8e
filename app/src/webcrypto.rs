//! Signing client assertions with the browser's WebCrypto (`crypto.subtle`): no crypto crate in
//! the wasm. The engine has already checked the key's form and type; the browser imports it
//! (PKCS #8 or JWK, never extractable) and signs. ES256 comes back as the raw `r ‖ s` a JWS needs.

use engine::JwtAlg;
use engine::assertion::{SigningKey, UnsignedAssertion};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The signature of `unsigned.signing_input`, or what went wrong in words.
pub async fn sign(unsigned: &UnsignedAssertion) -> Result<Vec<u8>, String> {
    let subtle = web_sys::window()
        .and_then(|window| window.crypto().ok())
        .and_then(|crypto| Reflect::get(&crypto, &"subtle".into()).ok())
        .filter(|subtle| !subtle.is_undefined())
        .ok_or_else(|| {
            "This browser cannot sign (no crypto.subtle: the page must be served over https or from localhost).".to_owned()
        })?;
    let (import_algorithm, sign_algorithm) = algorithms(unsigned.alg);
    let (format, data): (&str, JsValue) = match &unsigned.key {
        SigningKey::Secret(bytes) => ("raw", Uint8Array::from(bytes.as_slice()).into()),
        SigningKey::Pkcs8(der) => ("pkcs8", Uint8Array::from(der.as_slice()).into()),
        SigningKey::Jwk(members) => {
            let text = serde_json::Value::Object(members.clone()).to_string();
            let jwk = js_sys::JSON::parse(&text).map_err(|_| "The JWK is not JSON.".to_owned())?;
            ("jwk", jwk)
        }
    };
    let usages = Array::of1(&"sign".into());
    let key = call(
        &subtle,
        "importKey",
        &[
            format.into(),
            data,
            import_algorithm.into(),
            false.into(),
            usages.into(),
        ],
    )
    .await
    .map_err(|error| format!("The browser could not read the key ({}).", describe(&error)))?;
    let message = Uint8Array::from(unsigned.signing_input.as_bytes());
    let signature = call(
        &subtle,
        "sign",
        &[sign_algorithm.into(), key, message.into()],
    )
    .await
    .map_err(|error| format!("The browser could not sign ({}).", describe(&error)))?;
    Ok(Uint8Array::new(&signature).to_vec())
}

/// Whether `signature` over `signing_input` verifies with the public `jwk` by `alg` (RS256, PS256,
/// ES256, EdDSA where the browser has Ed25519); `Err` when the browser cannot check it.
pub async fn verify(
    alg: &str,
    jwk: &serde_json::Map<String, serde_json::Value>,
    signing_input: &str,
    signature: &[u8],
) -> Result<bool, String> {
    let subtle = web_sys::window()
        .and_then(|window| window.crypto().ok())
        .and_then(|crypto| Reflect::get(&crypto, &"subtle".into()).ok())
        .filter(|subtle| !subtle.is_undefined())
        .ok_or_else(|| "this browser has no crypto.subtle".to_owned())?;
    let (import_algorithm, verify_algorithm) = match alg {
        "RS256" => algorithms(JwtAlg::Rs256),
        "PS256" => algorithms(JwtAlg::Ps256),
        "ES256" => algorithms(JwtAlg::Es256),
        "EdDSA" => {
            let ed = || {
                let object = Object::new();
                let _ = Reflect::set(&object, &"name".into(), &"Ed25519".into());
                object
            };
            (ed(), ed())
        }
        other => return Err(format!("{other} cannot be checked here")),
    };
    // Only the public members: a JWK Set never needs more, and `key_ops` could forbid verify.
    let mut public = jwk.clone();
    public.remove("key_ops");
    let jwk = js_sys::JSON::parse(&serde_json::Value::Object(public).to_string())
        .map_err(|_| "the key is not JSON".to_owned())?;
    let usages = Array::of1(&"verify".into());
    let key = call(
        &subtle,
        "importKey",
        &[
            "jwk".into(),
            jwk,
            import_algorithm.into(),
            false.into(),
            usages.into(),
        ],
    )
    .await
    .map_err(|error| {
        format!(
            "the browser could not read the service's key ({})",
            describe(&error)
        )
    })?;
    let verified = call(
        &subtle,
        "verify",
        &[
            verify_algorithm.into(),
            key,
            Uint8Array::from(signature).into(),
            Uint8Array::from(signing_input.as_bytes()).into(),
        ],
    )
    .await
    .map_err(|error| format!("the browser could not check it ({})", describe(&error)))?;
    Ok(verified.as_bool().unwrap_or(false))
}

/// The WebCrypto algorithm objects for importing the key and for signing.
fn algorithms(alg: JwtAlg) -> (Object, Object) {
    let object = |pairs: &[(&str, JsValue)]| {
        let object = Object::new();
        for (name, value) in pairs {
            let _ = Reflect::set(&object, &(*name).into(), value);
        }
        object
    };
    let sha256 = || JsValue::from("SHA-256");
    match alg {
        JwtAlg::Hs256 => (
            object(&[("name", "HMAC".into()), ("hash", sha256())]),
            object(&[("name", "HMAC".into())]),
        ),
        JwtAlg::Rs256 => (
            object(&[("name", "RSASSA-PKCS1-v1_5".into()), ("hash", sha256())]),
            object(&[("name", "RSASSA-PKCS1-v1_5".into())]),
        ),
        // RFC 7518 §3.5: the salt is as long as the hash.
        JwtAlg::Ps256 => (
            object(&[("name", "RSA-PSS".into()), ("hash", sha256())]),
            object(&[("name", "RSA-PSS".into()), ("saltLength", 32.into())]),
        ),
        JwtAlg::Es256 => (
            object(&[("name", "ECDSA".into()), ("namedCurve", "P-256".into())]),
            object(&[("name", "ECDSA".into()), ("hash", sha256())]),
        ),
    }
}

async fn call(subtle: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let function: js_sys::Function = Reflect::get(subtle, &method.into())?.dyn_into()?;
    let args: Array = args.iter().collect();
    let promise: js_sys::Promise = function.apply(subtle, &args)?.dyn_into()?;
    JsFuture::from(promise).await
}

/// A DOMException's name and message (never the key).
fn describe(error: &JsValue) -> String {
    let text = |name: &str| {
        Reflect::get(error, &name.into())
            .ok()
            .and_then(|value| value.as_string())
            .unwrap_or_default()
    };
    match (text("name"), text("message")) {
        (name, message) if name.is_empty() && message.is_empty() => "unknown error".to_owned(),
        (name, message) if message.is_empty() => name,
        (name, message) => format!("{name}: {message}"),
    }
}
