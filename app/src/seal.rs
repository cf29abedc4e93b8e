//! Sealed callbacks, the wizard's side: a fresh P-256 key pair per authorization (WebCrypto, the
//! private key never extractable), and opening what the relay sealed to it — HPKE (RFC 9180)
//! base mode, DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, written with WebCrypto's
//! ECDH, HMAC-SHA256 and AES-GCM so no crypto crate goes into the wasm. The relay's side and the
//! format: relay/src/seal.rs, relay/README.md "Sealed callbacks".
//!
//! Interface: [`new_key`] before registering a state, [`open`] after its pickup.

use std::cell::RefCell;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto};

/// Must equal the relay's `seal::INFO`.
const INFO: &[u8] = b"oauth-token-wizard callback v1";
const POINT_LEN: usize = 65;
const TAG_LEN: usize = 16;
/// KEM 0x0010 (DHKEM(P-256, HKDF-SHA256)), KDF 0x0001 (HKDF-SHA256), AEAD 0x0001 (AES-128-GCM).
const KEM_SUITE: &[u8] = b"KEM\x00\x10";
const HPKE_SUITE: &[u8] = b"HPKE\x00\x10\x00\x01\x00\x01";

/// Why a sealed callback could not be opened (or a key made).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// WebCrypto is missing or refused an operation.
    #[error("the browser's WebCrypto refused to {0}")]
    Crypto(&'static str),
    /// No key for this state in this tab (reloaded, or another authorization started).
    #[error("this tab holds no key for the authorization (was the page reloaded?)")]
    NoKey,
    /// Not base64url, too short, or it does not decrypt with this tab's key.
    #[error("the sealed callback is damaged or was not sealed to this tab's key")]
    Damaged,
}

struct KeyPair {
    state: String,
    private: CryptoKey,
    public: Vec<u8>,
}

thread_local! {
    /// The newest few authorizations' keys (memory only; a reload forgets them).
    static KEYS: RefCell<Vec<KeyPair>> = const { RefCell::new(Vec::new()) };
}
const KEPT_KEYS: usize = 4;

fn subtle() -> Result<SubtleCrypto, SealError> {
    web_sys::window()
        .and_then(|window| window.crypto().ok())
        .map(|crypto| crypto.subtle())
        .ok_or(SealError::Crypto("start (no window.crypto.subtle)"))
}

fn object(pairs: &[(&str, &JsValue)]) -> Object {
    let object = Object::new();
    for (name, value) in pairs {
        let _ = Reflect::set(&object, &JsValue::from_str(name), value);
    }
    object
}

async fn wait(
    promise: Result<js_sys::Promise, JsValue>,
    doing: &'static str,
) -> Result<JsValue, SealError> {
    let promise = promise.map_err(|_| SealError::Crypto(doing))?;
    JsFuture::from(promise)
        .await
        .map_err(|_| SealError::Crypto(doing))
}

fn ec_params() -> Object {
    object(&[("name", &"ECDH".into()), ("namedCurve", &"P-256".into())])
}

fn usages(names: &[&str]) -> Array {
    names.iter().map(|name| JsValue::from_str(name)).collect()
}

fn bytes(value: &JsValue) -> Vec<u8> {
    Uint8Array::new(value).to_vec()
}

/// Makes a fresh key pair for `state` and returns its public key for `POST /api/pending`
/// (uncompressed point, base64url without padding).
pub async fn new_key(state: &str) -> Result<String, SealError> {
    let subtle = subtle()?;
    let pair = wait(
        subtle.generate_key_with_object(&ec_params(), false, &usages(&["deriveBits"])),
        "make a key pair",
    )
    .await?;
    let get = |name: &str| {
        Reflect::get(&pair, &JsValue::from_str(name))
            .ok()
            .and_then(|key| key.dyn_into::<CryptoKey>().ok())
            .ok_or(SealError::Crypto("make a key pair"))
    };
    let (private, public_key) = (get("privateKey")?, get("publicKey")?);
    let public = bytes(
        &wait(
            subtle.export_key("raw", &public_key),
            "export the public key",
        )
        .await?,
    );
    let text = URL_SAFE_NO_PAD.encode(&public);
    KEYS.with_borrow_mut(|keys| {
        keys.retain(|key| key.state != state);
        if keys.len() >= KEPT_KEYS {
            keys.remove(0);
        }
        keys.push(KeyPair {
            state: state.to_owned(),
            private,
            public,
        });
    });
    Ok(text)
}

/// Opens the sealed callback picked up for `state` into its query string; the key is then
/// forgotten.
pub async fn open(state: &str, sealed: &str) -> Result<String, SealError> {
    let (private, public) = KEYS
        .with_borrow(|keys| {
            keys.iter()
                .find(|key| key.state == state)
                .map(|key| (key.private.clone(), key.public.clone()))
        })
        .ok_or(SealError::NoKey)?;
    let data = URL_SAFE_NO_PAD
        .decode(sealed.trim())
        .map_err(|_| SealError::Damaged)?;
    if data.len() < POINT_LEN + TAG_LEN {
        return Err(SealError::Damaged);
    }
    let (enc, ciphertext) = data.split_at(POINT_LEN);
    let subtle = subtle()?;

    // DHKEM Decap: dh = ECDH(skR, pkE); shared_secret from dh and enc ‖ pkR.
    let ephemeral = wait(
        subtle.import_key_with_object(
            "raw",
            &Uint8Array::from(enc),
            &ec_params(),
            true,
            &usages(&[]),
        ),
        "read the sealed key",
    )
    .await
    .map_err(|_| SealError::Damaged)?
    .unchecked_into::<CryptoKey>();
    let derive = object(&[("name", &"ECDH".into()), ("public", &ephemeral)]);
    let dh = bytes(
        &wait(
            subtle.derive_bits_with_object(&derive, &private, 256),
            "agree on a key",
        )
        .await?,
    );
    let eae_prk = labeled_extract(&subtle, KEM_SUITE, &[], "eae_prk", &dh).await?;
    let kem_context = [enc, &public].concat();
    let shared = labeled_expand(
        &subtle,
        KEM_SUITE,
        &eae_prk,
        "shared_secret",
        &kem_context,
        32,
    )
    .await?;

    // Key schedule, mode_base (0x00) with no PSK.
    let psk_id_hash = labeled_extract(&subtle, HPKE_SUITE, &[], "psk_id_hash", &[]).await?;
    let info_hash = labeled_extract(&subtle, HPKE_SUITE, &[], "info_hash", INFO).await?;
    let context = [&[0u8][..], &psk_id_hash, &info_hash].concat();
    let secret = labeled_extract(&subtle, HPKE_SUITE, &shared, "secret", &[]).await?;
    let key = labeled_expand(&subtle, HPKE_SUITE, &secret, "key", &context, 16).await?;
    let nonce = labeled_expand(&subtle, HPKE_SUITE, &secret, "base_nonce", &context, 12).await?;

    let aes = object(&[("name", &"AES-GCM".into())]);
    let aes_key = wait(
        subtle.import_key_with_object(
            "raw",
            &Uint8Array::from(&key[..]),
            &aes,
            false,
            &usages(&["decrypt"]),
        ),
        "use the callback key",
    )
    .await?
    .unchecked_into::<CryptoKey>();
    // Sequence number 0: the nonce is base_nonce itself.
    let params = object(&[
        ("name", &"AES-GCM".into()),
        ("iv", &Uint8Array::from(&nonce[..]).into()),
        ("tagLength", &JsValue::from_f64(128.0)),
    ]);
    let plain = wait(
        subtle.decrypt_with_object_and_u8_array(&params, &aes_key, ciphertext),
        "decrypt",
    )
    .await
    .map_err(|_| SealError::Damaged)?;
    let text = String::from_utf8(bytes(&plain)).map_err(|_| SealError::Damaged)?;
    KEYS.with_borrow_mut(|keys| keys.retain(|key| key.state != state));
    Ok(text)
}

async fn hmac(subtle: &SubtleCrypto, key: &[u8], data: &[u8]) -> Result<Vec<u8>, SealError> {
    // HMAC pads short keys with zeros, so HKDF's empty salt is 32 zero bytes (WebCrypto refuses
    // an empty HMAC key).
    let key = if key.is_empty() { &[0u8; 32][..] } else { key };
    let params = object(&[("name", &"HMAC".into()), ("hash", &"SHA-256".into())]);
    let key = wait(
        subtle.import_key_with_object(
            "raw",
            &Uint8Array::from(key),
            &params,
            false,
            &usages(&["sign"]),
        ),
        "use HMAC",
    )
    .await?
    .unchecked_into::<CryptoKey>();
    Ok(bytes(
        &wait(
            subtle.sign_with_str_and_u8_array("HMAC", &key, data),
            "use HMAC",
        )
        .await?,
    ))
}

/// RFC 9180 LabeledExtract: HKDF-Extract(salt, "HPKE-v1" ‖ suite ‖ label ‖ ikm).
async fn labeled_extract(
    subtle: &SubtleCrypto,
    suite: &[u8],
    salt: &[u8],
    label: &str,
    ikm: &[u8],
) -> Result<Vec<u8>, SealError> {
    let input = [b"HPKE-v1", suite, label.as_bytes(), ikm].concat();
    hmac(subtle, salt, &input).await
}

/// RFC 9180 LabeledExpand for `len` ≤ 32 (one HKDF-Expand block).
async fn labeled_expand(
    subtle: &SubtleCrypto,
    suite: &[u8],
    prk: &[u8],
    label: &str,
    info: &[u8],
    len: u16,
) -> Result<Vec<u8>, SealError> {
    let input = [
        &len.to_be_bytes()[..],
        b"HPKE-v1",
        suite,
        label.as_bytes(),
        info,
        &[1u8],
    ]
    .concat();
    let mut block = hmac(subtle, prk, &input).await?;
    block.truncate(usize::from(len));
    Ok(block)
}
