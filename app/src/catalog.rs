//! The preset catalog: fetched as `catalog.json` (built with the app) before the wizard mounts,
//! instead of being compiled into the wasm, so more presets do not make the wasm heavier.

use std::sync::OnceLock;

/// Why the catalog could not be loaded, when it could not (shown in step 1).
static LOAD_ERROR: OnceLock<String> = OnceLock::new();

/// The catalog's address, relative to the page (the app works under any sub-path).
const CATALOG_URL: &str = "catalog.json";

/// Fetches and installs the catalog; a failure is kept for [`load_error`] (the wizard then
/// offers custom settings only).
pub async fn load() {
    if let Err(message) = fetch_and_install().await {
        let _ = LOAD_ERROR.set(message);
    }
}

/// Why the list of services is missing, if it is.
pub fn load_error() -> Option<&'static str> {
    LOAD_ERROR.get().map(String::as_str)
}

async fn fetch_and_install() -> Result<(), String> {
    let request = engine::request::HttpRequest {
        method: engine::HttpMethod::Get,
        url: CATALOG_URL.to_owned(),
        headers: vec![("Accept".to_owned(), "application/json".to_owned())],
        body: None,
    };
    let reply = crate::api::direct(&request)
        .await
        .map_err(|error| format!("{CATALOG_URL} could not be fetched: {error}"))?;
    if reply.status != 200 {
        return Err(format!("{CATALOG_URL} answered HTTP {}", reply.status));
    }
    let presets = presets::parse_catalog(&reply.body).map_err(|error| error.to_string())?;
    presets::install(presets);
    Ok(())
}
