//! Sealed callbacks, the wizard's side: a fresh P-256 key pair per authorization (WebCrypto, the
//! private key never extractable), and opening what the relay sealed to it — HPKE (RFC 9180)
//! base mode, DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, written with WebCrypto's
//! ECDH, HKDF-SHA256 and AES-GCM so no crypto crate goes into the wasm. The relay's side and the
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

const POINT_LEN: usize = 65;
const TAG_LEN: usize = 16;
/// KEM 0x0010 (DHKEM(P-256, HKDF-SHA256)), KDF 0x0001 (HKDF-SHA256), AEAD 0x0001 (AES-128-GCM).
const KEM_SUITE: &[u8] = b"KEM\x00\x10";
const HPKE_SUITE: &[u8] = b"HPKE\x00\x10\x00\x01\x00\x01";
/// mode_base (0x00) ‖ psk_id_hash ‖ info_hash, fixed for this suite without a PSK and with the relay's
/// `seal::INFO` (`oauth-token-wizard callback v1`): LabeledExtract("", "psk_id_hash", "") and
/// LabeledExtract("", "info_hash", INFO), computed once
/// (Python's hmac) rather than in every tab. A wrong byte and no callback opens (the e2e
/// scenarios would fail).
const KEY_SCHEDULE_CONTEXT: [u8; 65] = [
    0x00, 0xb8, 0x8d, 0x4e, 0x6d, 0x91, 0x75, 0x9e, 0x65, 0xe8, 0x7c, 0x47, 0x0e, 0x8b, 0x91, 0x41,
    0x11, 0x3e, 0x9a, 0xd5, 0xf0, 0xc8, 0xce, 0xef, 0xc1, 0xe0, 0x88, 0xc8, 0x2e, 0x69, 0x80, 0x50,
    0x07, 0x96, 0xd3, 0xa4, 0x35, 0x7e, 0x96, 0x64, 0x97, 0x8b, 0x4b, 0x00, 0x27, 0x88, 0x48, 0xdf,
    0xbb, 0xff, 0xeb, 0x48, 0x00, 0xeb, 0xa0, 0x18, 0x38, 0xd2, 0xd6, 0x40, 0x8b, 0x1b, 0x8e, 0xc3,
    0xe7,
];

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
    // shared_secret = LabeledExpand(LabeledExtract("", "eae_prk", dh), "shared_secret", enc ‖ pkR).
    let kem_context = [enc, &public].concat();
    let shared = hkdf(
        &subtle,
        &labeled(KEM_SUITE, "eae_prk", &dh),
        &[],
        &[
            &32u16.to_be_bytes()[..],
            &labeled(KEM_SUITE, "shared_secret", &kem_context),
        ]
        .concat(),
        32,
    )
    .await?;
    // Key schedule: secret = LabeledExtract(shared_secret, "secret", ""), then key and base_nonce.
    let secret = labeled(HPKE_SUITE, "secret", &[]);
    let expand = |label: &str, len: u16| {
        [
            &len.to_be_bytes()[..],
            &labeled(HPKE_SUITE, label, &KEY_SCHEDULE_CONTEXT),
        ]
        .concat()
    };
    let key = hkdf(&subtle, &secret, &shared, &expand("key", 16), 16).await?;
    let nonce = hkdf(&subtle, &secret, &shared, &expand("base_nonce", 12), 12).await?;

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

/// "HPKE-v1" ‖ suite ‖ label ‖ data: RFC 9180's labeled input.
fn labeled(suite: &[u8], label: &str, data: &[u8]) -> Vec<u8> {
    [b"HPKE-v1", suite, label.as_bytes(), data].concat()
}

/// HKDF-SHA256 Extract(salt, ikm) then Expand(info, len) in one WebCrypto call: RFC 9180's
/// LabeledExtract followed by LabeledExpand, given the labeled `ikm` and `info`.
async fn hkdf(
    subtle: &SubtleCrypto,
    ikm: &[u8],
    salt: &[u8],
    info: &[u8],
    len: u32,
) -> Result<Vec<u8>, SealError> {
    let key = wait(
        subtle.import_key_with_str(
            "raw",
            &Uint8Array::from(ikm),
            "HKDF",
            false,
            &usages(&["deriveBits"]),
        ),
        "use HKDF",
    )
    .await?
    .unchecked_into::<CryptoKey>();
    let params = object(&[
        ("name", &"HKDF".into()),
        ("hash", &"SHA-256".into()),
        ("salt", &Uint8Array::from(salt).into()),
        ("info", &Uint8Array::from(info).into()),
    ]);
    Ok(bytes(
        &wait(
            subtle.derive_bits_with_object(&params, &key, len * 8),
            "use HKDF",
        )
        .await?,
    ))
}
