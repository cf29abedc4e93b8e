//! Sealed callbacks, the wizard's side: a fresh P-256 key pair per authorization (WebCrypto, the
//! private key never extractable), and opening what the relay sealed to it — HPKE (RFC 9180)
//! base mode, DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, with WebCrypto's ECDH,
//! HKDF-SHA256 and AES-GCM, so no crypto crate goes into the wasm. The steps are a few lines of
//! JavaScript below: every WebCrypto call is a promise, and awaiting them in Rust cost 7 KB of
//! gzipped wasm where the script costs under 1 KB. The relay's side and the format:
//! relay/src/seal.rs, relay/README.md "Sealed callbacks".
//!
//! Interface: [`new_key`] before registering a state, [`open`] after its pickup.

use std::cell::RefCell;

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

// The script (shipped as it is written, so its comments live here): `labeled` is RFC 9180's
// labeled input ("HPKE-v1" ‖ suite ‖ label ‖ data), `expandInfo` LabeledExpand's info (length
// first), and `hkdf` one LabeledExtract followed by one LabeledExpand in a single WebCrypto HKDF
// call. Suite ids: KEM 0x0010 DHKEM(P-256, HKDF-SHA256), KDF 0x0001 HKDF-SHA256, AEAD 0x0001
// AES-128-GCM. `CONTEXT` is mode_base ‖ LabeledExtract("", "psk_id_hash", "") ‖
// LabeledExtract("", "info_hash", INFO), fixed for the relay's INFO `oauth-token-wizard callback
// v1` without a PSK (computed once with Python's hmac; a wrong byte and nothing opens, which
// the e2e scenarios would show). Opening: DH with the sender's `enc` (the first 65 bytes), the
// shared secret, then key and base_nonce (sequence number 0: the nonce itself), AES-GCM with
// the tag as the last 16 bytes, UTF-8 checked.
#[wasm_bindgen(inline_js = r#"
const te = new TextEncoder();
const cat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};
const bytes = (...list) => new Uint8Array(list);
const KEM = cat(te.encode("KEM"), bytes(0, 0x10));
const HPKE = cat(te.encode("HPKE"), bytes(0, 0x10, 0, 1, 0, 1));
const CONTEXT = bytes(
  0x00, 0xb8, 0x8d, 0x4e, 0x6d, 0x91, 0x75, 0x9e, 0x65, 0xe8, 0x7c, 0x47, 0x0e, 0x8b, 0x91, 0x41,
  0x11, 0x3e, 0x9a, 0xd5, 0xf0, 0xc8, 0xce, 0xef, 0xc1, 0xe0, 0x88, 0xc8, 0x2e, 0x69, 0x80, 0x50,
  0x07, 0x96, 0xd3, 0xa4, 0x35, 0x7e, 0x96, 0x64, 0x97, 0x8b, 0x4b, 0x00, 0x27, 0x88, 0x48, 0xdf,
  0xbb, 0xff, 0xeb, 0x48, 0x00, 0xeb, 0xa0, 0x18, 0x38, 0xd2, 0xd6, 0x40, 0x8b, 0x1b, 0x8e, 0xc3,
  0xe7);
const EC = { name: "ECDH", namedCurve: "P-256" };
const subtle = () => crypto.subtle;
const labeled = (suite, label, data) => cat(te.encode("HPKE-v1"), suite, te.encode(label), data);
const expandInfo = (suite, label, data, len) => cat(bytes(len >> 8, len & 255), labeled(suite, label, data));
async function hkdf(ikm, salt, info, len) {
  const key = await subtle().importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
  const params = { name: "HKDF", hash: "SHA-256", salt, info };
  return new Uint8Array(await subtle().deriveBits(params, key, len * 8));
}
const base64url = (raw) =>
  btoa(String.fromCharCode(...raw)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

export async function otw_seal_key() {
  const pair = await subtle().generateKey(EC, false, ["deriveBits"]);
  const raw = new Uint8Array(await subtle().exportKey("raw", pair.publicKey));
  return [pair.privateKey, raw, base64url(raw)];
}

export async function otw_seal_open(privateKey, publicRaw, sealed) {
  const data = Uint8Array.from(atob(sealed.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  if (data.length < 65 + 16) throw new Error("too short");
  const enc = data.subarray(0, 65);
  const ephemeral = await subtle().importKey("raw", enc, EC, true, []);
  const dh = new Uint8Array(await subtle().deriveBits({ name: "ECDH", public: ephemeral }, privateKey, 256));
  const shared = await hkdf(labeled(KEM, "eae_prk", dh), new Uint8Array(0),
    expandInfo(KEM, "shared_secret", cat(enc, publicRaw), 32), 32);
  const secret = labeled(HPKE, "secret", new Uint8Array(0));
  const key = await hkdf(secret, shared, expandInfo(HPKE, "key", CONTEXT, 16), 16);
  const nonce = await hkdf(secret, shared, expandInfo(HPKE, "base_nonce", CONTEXT, 12), 12);
  const aes = await subtle().importKey("raw", key, "AES-GCM", false, ["decrypt"]);
  const plain = await subtle().decrypt({ name: "AES-GCM", iv: nonce }, aes, data.subarray(65));
  return new TextDecoder("utf-8", { fatal: true }).decode(plain);
}
"#)]
extern "C" {
    #[wasm_bindgen(catch)]
    fn otw_seal_key() -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch)]
    fn otw_seal_open(
        private_key: &JsValue,
        public_raw: &JsValue,
        sealed: &str,
    ) -> Result<Promise, JsValue>;
}

/// Why a sealed callback could not be opened (or a key made).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// WebCrypto is missing or refused to make a key pair.
    #[error("the browser's WebCrypto could not make a key pair for this authorization")]
    NoKeyPair,
    /// No key for this state in this tab (reloaded, or another authorization started).
    #[error("this tab holds no key for the authorization (was the page reloaded?)")]
    NoKey,
    /// Not base64url, too short, or it does not decrypt with this tab's key.
    #[error("the sealed callback is damaged or was not sealed to this tab's key")]
    Damaged,
}

struct KeyPair {
    state: String,
    private: JsValue,
    public: JsValue,
}

thread_local! {
    /// The newest few authorizations' keys (memory only; a reload forgets them).
    static KEYS: RefCell<Vec<KeyPair>> = const { RefCell::new(Vec::new()) };
}
const KEPT_KEYS: usize = 4;

async fn settle(promise: Result<Promise, JsValue>) -> Result<JsValue, JsValue> {
    JsFuture::from(promise?).await
}

/// Makes a fresh key pair for `state` and returns its public key for `POST /api/pending`
/// (uncompressed point, base64url without padding).
pub async fn new_key(state: &str) -> Result<String, SealError> {
    let made = settle(otw_seal_key())
        .await
        .map_err(|_| SealError::NoKeyPair)?;
    let made: Array = made.dyn_into().map_err(|_| SealError::NoKeyPair)?;
    let text = made.get(2).as_string().ok_or(SealError::NoKeyPair)?;
    KEYS.with_borrow_mut(|keys| {
        keys.retain(|key| key.state != state);
        if keys.len() >= KEPT_KEYS {
            keys.remove(0);
        }
        keys.push(KeyPair {
            state: state.to_owned(),
            private: made.get(0),
            public: made.get(1),
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
    let opened = settle(otw_seal_open(&private, &public, sealed.trim()))
        .await
        .ok()
        .and_then(|text| text.as_string())
        .ok_or(SealError::Damaged)?;
    KEYS.with_borrow_mut(|keys| keys.retain(|key| key.state != state));
    Ok(opened)
}
