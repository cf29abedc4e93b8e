//! Browser storage: every key the wizard writes starts with [`PREFIX`], so "forget everything" can
//! remove exactly ours and nothing else on the origin.
//!
//! Storage can be missing (private modes, sandboxed frames): the wizard then keeps working in
//! memory without a word. Storage that refuses a write (full: another tool on the origin filled
//! it) is reported by [`set`], so the wizard can say that a change is not saved; the browser
//! keeps the value that was stored before.

use serde::Serialize;
use serde::de::DeserializeOwned;
use web_sys::Storage;

/// Prefix of every key the wizard owns.
pub const PREFIX: &str = "otw.";

/// Where a value lives: across restarts (`Local`) or only for this tab's life (`Session`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    /// `localStorage`: survives closing the browser.
    Local,
    /// `sessionStorage`: gone when the tab closes.
    Session,
}

fn storage(area: Area) -> Option<Storage> {
    let window = web_sys::window()?;
    match area {
        Area::Local => window.local_storage().ok().flatten(),
        Area::Session => window.session_storage().ok().flatten(),
    }
}

/// The text stored under `key`, if any.
pub fn get(area: Area, key: &str) -> Option<String> {
    storage(area)?.get_item(key).ok().flatten()
}

/// Stores `value` under `key`; `Err` when the browser refused the write (storage full).
pub fn set(area: Area, key: &str, value: &str) -> Result<(), Refused> {
    match storage(area) {
        Some(storage) => storage.set_item(key, value).map_err(|_| Refused),
        None => Ok(()),
    }
}

/// The browser refused to store a value: its storage for this site is full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused;

/// Removes `key`.
pub fn remove(area: Area, key: &str) {
    if let Some(storage) = storage(area) {
        let _ = storage.remove_item(key);
    }
}

/// The JSON value stored under `key`; a value that no longer parses (an older format) counts as absent.
pub fn get_json<T: DeserializeOwned>(area: Area, key: &str) -> Option<T> {
    serde_json::from_str(&get(area, key)?).ok()
}

/// Stores `value` as JSON under `key`. Pretty-printed like the exported configuration, so the
/// settings are serialized by one copy of their code in the wasm, not one per JSON style.
pub fn set_json<T: Serialize>(area: Area, key: &str, value: &T) -> Result<(), Refused> {
    match serde_json::to_string_pretty(value) {
        Ok(text) => set(area, key, &text),
        // Only strings, numbers and maps with string keys: this does not happen.
        Err(_) => Ok(()),
    }
}

/// Removes every key of ours from both areas.
pub fn forget_everything() {
    remove_prefixed(PREFIX, Area::Local);
    remove_prefixed(PREFIX, Area::Session);
}

/// Removes every key starting with `prefix` from one area.
pub fn remove_prefixed(prefix: &str, area: Area) {
    let Some(storage) = storage(area) else { return };
    let count = storage.length().unwrap_or(0);
    // Collect first: removing while indexing would skip keys.
    let keys: Vec<String> = (0..count)
        .filter_map(|index| storage.key(index).ok().flatten())
        .filter(|key| key.starts_with(prefix))
        .collect();
    for key in keys {
        let _ = storage.remove_item(&key);
    }
}
