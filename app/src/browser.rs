//! Thin wrappers over the browser APIs the wizard needs: clock, randomness, clipboard, downloads,
//! popups. Each one turns a missing API into a plain `None`/`Err(String)` instead of a panic.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Milliseconds since the Unix epoch, from the browser's clock.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Fills an array with cryptographically strong random bytes from `crypto.getRandomValues`.
pub fn random_bytes() -> Result<[u8; 32], String> {
    let mut bytes = [0u8; 32];
    let crypto = web_sys::window()
        .and_then(|window| window.crypto().ok())
        .ok_or_else(|| "This browser has no secure random source (window.crypto).".to_owned())?;
    crypto
        .get_random_values_with_u8_array(&mut bytes)
        .map_err(|_| "The browser refused to produce random bytes.".to_owned())?;
    Ok(bytes)
}

/// 32 random bytes written as 64 lowercase hex digits (used for the pickup secret).
pub fn random_hex() -> Result<String, String> {
    let bytes = random_bytes()?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

/// This page's origin, e.g. `https://wizard.example` (empty if unknown).
pub fn own_origin() -> String {
    web_sys::window()
        .and_then(|window| window.location().origin().ok())
        .unwrap_or_default()
}

/// The origin of an absolute URL, or `None` if it does not parse.
pub fn origin_of(url: &str) -> Option<String> {
    web_sys::Url::new(url).ok().map(|url| url.origin())
}

/// The local time of day of a timestamp, as the browser writes it (e.g. `14:05:09`).
pub fn local_time(ms: f64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(ms));
    String::from(date.to_locale_time_string("default"))
}

/// A timestamp as date and local time (e.g. `29/11/2026, 14:05:09`).
pub fn local_date_time(ms: f64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(ms));
    String::from(date.to_locale_string("default", &JsValue::UNDEFINED))
}

/// `m:ss` (or `h:mm:ss`) for a number of whole seconds.
pub fn clock_text(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let (hours, minutes, secs) = (seconds / 3600, (seconds % 3600) / 60, seconds % 60);
    if hours > 0 {
        format!("{hours}:{minutes:02}:{secs:02}")
    } else {
        format!("{minutes}:{secs:02}")
    }
}

/// Writes `text` to the clipboard.
pub async fn copy_to_clipboard(text: &str) -> Result<(), String> {
    let window = web_sys::window().ok_or("No browser window.")?;
    let promise = window.navigator().clipboard().write_text(text);
    JsFuture::from(promise).await.map(|_| ()).map_err(|_| {
        "The browser did not allow copying; select the text and copy it by hand.".to_owned()
    })
}

/// Offers `contents` as a file download named `file_name`.
pub fn download(file_name: &str, mime: &str, contents: &str) -> Result<(), String> {
    let failed = |_| "The browser refused to create the file.".to_owned();
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("No document.")?;
    let parts = js_sys::Array::of1(&JsValue::from_str(contents));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob =
        web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(failed)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(failed)?;
    let anchor: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(failed)?
        .unchecked_into();
    anchor.set_href(&url);
    anchor.set_download(file_name);
    anchor.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// Reads the first file chosen in a file input as text.
pub async fn read_chosen_file(input: &web_sys::HtmlInputElement) -> Result<String, String> {
    let file = input
        .files()
        .and_then(|files| files.get(0))
        .ok_or("No file was chosen.")?;
    let text = JsFuture::from(file.text())
        .await
        .map_err(|_| "The file could not be read.".to_owned())?;
    text.as_string()
        .ok_or_else(|| "The file is not text.".to_owned())
}

/// Opens an empty popup window synchronously (inside the click, so popup blockers allow it); the
/// caller navigates it once the provider URL is ready.
pub fn open_blank_popup() -> Option<web_sys::Window> {
    let window = web_sys::window()?;
    window
        .open_with_url_and_target_and_features(
            "",
            "oauth-token-wizard-sign-in",
            "popup,width=560,height=720",
        )
        .ok()
        .flatten()
}

/// Opens `url` in a new tab; `None` if the browser blocked it.
pub fn open_tab(url: &str) -> Option<web_sys::Window> {
    web_sys::window()?
        .open_with_url_and_target(url, "_blank")
        .ok()
        .flatten()
}

thread_local! {
    /// Origins this page's content security policy stopped it from connecting to.
    static BLOCKED_ORIGINS: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Records the origins the page's content security policy blocks (`securitypolicyviolation`),
/// so a failed call can say the policy stopped it rather than that the server is down.
pub fn watch_policy_violations() {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let listener = Closure::<dyn Fn(web_sys::Event)>::new(|event: web_sys::Event| {
        let Ok(violation) = event.dyn_into::<web_sys::SecurityPolicyViolationEvent>() else {
            return;
        };
        if let Some(origin) = origin_of(&violation.blocked_uri()) {
            BLOCKED_ORIGINS.with_borrow_mut(|blocked| {
                if !blocked.contains(&origin) {
                    blocked.push(origin);
                }
            });
        }
    });
    let _ = document.add_event_listener_with_callback(
        "securitypolicyviolation",
        listener.as_ref().unchecked_ref(),
    );
    // The listener lives as long as the page.
    listener.forget();
}

/// Whether the page's content security policy has blocked a connection to `origin`. The
/// violation event comes as a task of its own, so a caller that just saw a call fail waits a
/// moment first ([`sleep`]).
pub fn blocked_by_policy(origin: &str) -> bool {
    BLOCKED_ORIGINS.with_borrow(|blocked| blocked.iter().any(|b| b == origin))
}

/// Waits `ms` milliseconds without blocking the page.
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Whether `uri` is an http or https URL on a loopback host (`localhost`, `127.0.0.1`, `[::1]`):
/// one the local relay can listen on (https with a certificate of its own).
pub fn is_loopback_uri(uri: &str) -> bool {
    let Ok(url) = web_sys::Url::new(uri.trim()) else {
        return false;
    };
    let host = url.hostname();
    matches!(url.protocol().as_str(), "http:" | "https:")
        && (host == "localhost" || host == "127.0.0.1" || host == "[::1]" || host == "::1")
}

#[cfg(test)]
mod tests {
    use super::clock_text;

    #[test]
    fn clock_text_shows_minutes_and_hours() {
        assert_eq!(clock_text(0), "0:00");
        assert_eq!(clock_text(59), "0:59");
        assert_eq!(clock_text(300), "5:00");
        assert_eq!(clock_text(3661), "1:01:01");
        assert_eq!(clock_text(-5), "0:00");
    }
}
