//! The client flow's moving parts: starting an authorization, and receiving its code from
//! whichever channel delivers first — the BroadcastChannel, a `message` from the popup, the relay's
//! pickup long-poll, or the user pasting it.

use std::cell::RefCell;

use engine::callback::{CallbackError, parse_callback};
use engine::pkce::{Pkce, new_state};
use engine::request::authorization_url;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

use crate::api::{ApiError, Relay};
use crate::browser;
use crate::state::{Status, Waiting, WizardState};

/// The channel the relay's callback page broadcasts on (contract 3).
pub const CHANNEL_NAME: &str = "oauth-token-wizard";

/// Where a callback came from; a state mismatch is only an error for our own channels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The same-origin BroadcastChannel: another tab's flow may be on it too.
    Channel,
    /// A `message` from the popup.
    Message,
    /// The relay's pickup.
    Pickup,
    /// Typed or pasted by the user.
    Paste,
}

impl Source {
    fn describe(self) -> &'static str {
        match self {
            Source::Channel | Source::Message => "from the sign-in window",
            Source::Pickup => "through the relay",
            Source::Paste => "from what you pasted",
        }
    }
}

/// Browser objects of the flow in progress; not reactive state.
#[derive(Default)]
struct Handles {
    popup: Option<web_sys::Window>,
    pickup: Option<web_sys::AbortController>,
    channel: Option<web_sys::BroadcastChannel>,
}

thread_local! {
    static HANDLES: RefCell<Handles> = RefCell::new(Handles::default());
}

/// Installs the listeners that deliver a code by themselves, and the expiry watch.
pub fn install(state: WizardState) {
    listen_on_channel(state);
    listen_for_messages(state);
    // A reload while waiting keeps the attempt's state and verifier (sessionStorage) but not the
    // wait itself: say so, and how to go on.
    let interrupted = untrack(|| {
        state.secrets.state.with(|s| !s.is_empty()) && state.secrets.code.with(String::is_empty)
    });
    if interrupted {
        state.code_status.set(Some(Status::info(
            "The page was reloaded while an authorization was in progress, so the wizard stopped waiting for it. \
             If you finished signing in, paste the address the service sent you to (or the code) below; \
             otherwise start the authorization again.",
        )));
    }
    Effect::new(move |_| {
        let expired = state
            .waiting
            .with(|w| w.as_ref().map(|w| w.expires_at_ms))
            .is_some_and(|at| state.now.get() >= at);
        if expired {
            state.stop_flow();
            state.code_status.set(Some(Status::error(
                "No answer from the service in time. Start the authorization again, or paste the code if you have it.",
            )));
        }
    });
    // Whatever ends the wait (code, cancel, expiry) also ends the relay long-poll.
    Effect::new(move |_| {
        if state.waiting.with(Option::is_none) {
            HANDLES.with_borrow_mut(|handles| {
                if let Some(controller) = handles.pickup.take() {
                    controller.abort();
                }
            });
        }
    });
}

fn listen_on_channel(state: WizardState) {
    let Ok(channel) = web_sys::BroadcastChannel::new(CHANNEL_NAME) else {
        return;
    };
    let on_message =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            if let Some(url) = callback_url(&event.data()) {
                handle_callback(state, &url, Source::Channel);
            }
        });
    channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The listener lives as long as the page.
    on_message.forget();
    HANDLES.with_borrow_mut(|handles| handles.channel = Some(channel));
}

fn listen_for_messages(state: WizardState) {
    let listener = window_event_listener(leptos::ev::message, move |event| {
        let origin = event.origin();
        let relay_origin = untrack(|| state.relay()).map(|relay| relay.origin());
        if origin != browser::own_origin() && Some(&origin) != relay_origin.as_ref() {
            return;
        }
        if let Some(url) = callback_url(&event.data()) {
            handle_callback(state, &url, Source::Message);
        }
    });
    on_cleanup(move || listener.remove());
}

/// The `url` of an `{"type": "oauth-callback", "url": …}` message.
fn callback_url(data: &wasm_bindgen::JsValue) -> Option<String> {
    let field = |name: &str| {
        js_sys::Reflect::get(data, &name.into())
            .ok()
            .and_then(|v| v.as_string())
    };
    (field("type")? == "oauth-callback")
        .then(|| field("url"))
        .flatten()
}

/// Tells the callback page the code arrived, so it does not show it for copying.
fn acknowledge() {
    HANDLES.with_borrow(|handles| {
        if let Some(channel) = &handles.channel {
            let ack = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&ack, &"type".into(), &"oauth-callback-ack".into());
            let _ = channel.post_message(&ack);
        }
    });
}

/// Handles a callback URL, query string or code. Returns whether it was ours (and so handled).
pub fn handle_callback(state: WizardState, input: &str, source: Source) -> bool {
    let expected = state.secrets.state.get_untracked();
    let waiting = state.waiting.with_untracked(Option::is_some);
    if source != Source::Paste
        && (expected.is_empty()
            || !(waiting || state.secrets.code.with_untracked(String::is_empty)))
    {
        return false;
    }
    let expected = (!expected.is_empty()).then_some(expected.as_str());
    match parse_callback(input, expected).and_then(|callback| {
        check_issuer(state, &callback, source)?;
        Ok(callback)
    }) {
        Ok(callback) => {
            let kept = untrack(|| state.authorization(|a| a.callback_params.clone()));
            for name in kept {
                if let Some(value) = callback.params.get(&name) {
                    state.set_value(&name, value.clone());
                }
            }
            // What the user pasted stays as typed; a code that arrived by itself is shown.
            if source != Source::Paste {
                state.code_field.set(callback.code.clone());
            }
            state.secrets.code.set(callback.code);
            state.code_status.set(Some(Status::ok(format!(
                "Authorization code received {}. Go on to step 3 to get the tokens.",
                source.describe()
            ))));
            finish();
            state.stop_flow();
            true
        }
        // Another tab of the wizard may be waiting for that one.
        Err(CallbackError::StateMismatch) if source == Source::Channel => false,
        Err(error) => {
            if source == Source::Paste {
                state.secrets.code.set(String::new());
            } else {
                finish();
                state.stop_flow();
            }
            state
                .code_status
                .set(Some(Status::error(error.to_string())));
            true
        }
    }
}

/// RFC 9207: when the settings name the service's issuer, an `iss` in the answer must be it (an
/// answer from another service the user also signs in to is refused: mix-up attacks). A service
/// that always sends `iss` must have sent it, except in a pasted code, which may be bare.
fn check_issuer(
    state: WizardState,
    callback: &engine::callback::Callback,
    source: Source,
) -> Result<(), CallbackError> {
    let (issuer, required) =
        untrack(|| state.authorization(|a| (a.issuer.trim().to_owned(), a.issuer_required)));
    if issuer.is_empty() {
        return Ok(());
    }
    callback.check_issuer(&issuer, required && source != Source::Paste)
}

/// Ends the flow's browser side: tells a callback page still showing that the code arrived
/// (whichever channel brought it), and closes the popup if it is still open.
fn finish() {
    acknowledge();
    HANDLES.with_borrow_mut(|handles| {
        if let Some(popup) = handles.popup.take() {
            let _ = popup.close();
        }
    });
}

/// Cancels the authorization in progress.
pub fn cancel(state: WizardState) {
    finish();
    state.stop_flow();
    state.code_status.set(Some(Status::info(
        "Cancelled. Start again whenever you are ready.",
    )));
}

/// Whether the redirect URI needs the local relay to listen for it: a loopback URI other than
/// the relay's own callback, with a relay that offers listening.
pub fn needs_listener(state: WizardState) -> bool {
    let redirect = state.redirect_uri.get();
    browser::is_loopback_uri(&redirect)
        && redirect.trim() != state.relay_callback_url()
        && state.relay().is_some()
        && state
            .relay_config
            .with(|c| c.as_ref().is_some_and(|c| c.local_listener))
}

/// Starts the authorization: fresh state and PKCE, registration at the relay, the provider page in
/// a popup (or a new tab), then waiting for the code.
pub fn start(state: WizardState) {
    let randoms = (
        browser::random_bytes(),
        browser::random_bytes(),
        browser::random_hex(),
    );
    let (Ok(state_bytes), Ok(verifier_bytes), Ok(pickup_secret)) = randoms else {
        state.code_status.set(Some(Status::error("This browser cannot produce secure random values, so it cannot start a safe authorization.")));
        return;
    };
    finish();
    state.stop_flow();
    let secrets = state.secrets;
    if !state.state_typed.get_untracked() || secrets.state.with_untracked(|s| s.trim().is_empty()) {
        secrets.state.set(new_state(&state_bytes));
        state.state_typed.set(false);
    }
    secrets
        .code_verifier
        .set(Pkce::from_random(&verifier_bytes).verifier().to_owned());
    secrets.code.set(String::new());
    state.code_field.set(String::new());
    state.listen_uri.set(None);

    // Check everything before opening a window, so a settings mistake is shown here, not there.
    let url = match untrack(|| authorization_url(&state.settings.get(), &state.vars())) {
        Ok(url) => url,
        Err(error) => {
            state.code_status.set(Some(Status::error(format!(
                "Cannot build the authorization URL. {error}"
            ))));
            return;
        }
    };
    let use_listener = untrack(|| needs_listener(state));
    let relay = untrack(|| state.relay());
    // Opened inside the click so that popup blockers let it through; it is pointed at the
    // provider once the relay knows about this state.
    let popup = browser::open_blank_popup();
    state
        .code_status
        .set(Some(Status::info("Opening the sign-in page…")));
    leptos::task::spawn_local(async move {
        let state_value = state.secrets.state.get_untracked();
        let mut url = url;
        let mut expires_in = 300;
        let mut pickup_relay: Option<Relay> = None;
        let mut registration_problem: Option<String> = None;
        if let Some(relay) = relay {
            let registered = if use_listener {
                let redirect = state.redirect_uri.get_untracked();
                relay.listen(&redirect, &state_value, &pickup_secret).await
            } else {
                relay.pending(&state_value, &pickup_secret).await
            };
            match registered {
                Ok(registration) => {
                    expires_in = registration.expires_in.clamp(10, 3600);
                    if let Some(exact) = registration.redirect_uri.filter(|_| use_listener) {
                        state.listen_uri.set(Some(exact.clone()));
                        state.redirect_uri.set(exact);
                        match untrack(|| authorization_url(&state.settings.get(), &state.vars())) {
                            Ok(rebuilt) => url = rebuilt,
                            Err(error) => {
                                close(popup);
                                state
                                    .code_status
                                    .set(Some(Status::error(error.to_string())));
                                return;
                            }
                        }
                    }
                    pickup_relay = Some(relay);
                }
                Err(error) if use_listener => {
                    close(popup);
                    state.code_status.set(Some(Status::error(format!(
                        "The relay could not listen on the redirect URI: {error}"
                    ))));
                    return;
                }
                // Same origin: without the registration the code still arrives on the channel.
                // Another origin: nothing would bring it back, so say why and keep pasting open.
                Err(error) => {
                    registration_problem = Some(if relay.origin() != browser::own_origin() {
                        format!(
                            "The relay refused to take the code for this page ({error}). \
                             Paste the code or the whole redirect URL below once you have approved access."
                        )
                    } else {
                        format!(
                            "The relay refused to register this authorization ({error}). The code can still \
                             come back from the sign-in window; if it does not, paste it below."
                        )
                    });
                }
            }
        }
        state
            .authorized_redirect_uri
            .set(state.redirect_uri.get_untracked());
        let opened = match popup {
            Some(popup) => popup.location().set_href(&url).is_ok().then_some(popup),
            None => browser::open_tab(&url),
        };
        let blocked = opened.is_none();
        HANDLES.with_borrow_mut(|handles| handles.popup = opened);
        state.waiting.set(Some(Waiting {
            expires_at_ms: browser::now_ms() + expires_in as f64 * 1000.0,
            provider_url: url,
            blocked,
        }));
        state.code_status.set(Some(match registration_problem {
            Some(problem) => Status::error(problem),
            None => Status::info(if blocked {
                "The browser blocked the sign-in window: open it with the link below."
            } else {
                "Sign in and approve access in the window that opened; the code comes back here by itself."
            }),
        }));
        if let Some(relay) = pickup_relay {
            poll_pickup(state, relay, state_value, pickup_secret).await;
        }
    });
}

fn close(popup: Option<web_sys::Window>) {
    if let Some(popup) = popup {
        let _ = popup.close();
    }
}

/// Long-polls the relay until the callback arrives, the wait ends, or the registration is gone.
async fn poll_pickup(state: WizardState, relay: Relay, state_value: String, pickup_secret: String) {
    let Ok(controller) = web_sys::AbortController::new() else {
        return;
    };
    let signal = controller.signal();
    HANDLES.with_borrow_mut(|handles| handles.pickup = Some(controller));
    let still_waiting = || {
        state.waiting.with_untracked(Option::is_some)
            && state.secrets.state.get_untracked() == state_value
    };
    while still_waiting() {
        match relay.pickup(&state_value, &pickup_secret, &signal).await {
            Ok(Some(query)) => {
                handle_callback(state, &query, Source::Pickup);
                return;
            }
            Ok(None) => {}
            Err(ApiError::Aborted) => return,
            // Unknown, expired or already taken: another channel delivered it, or time ran out.
            Err(ApiError::Relay { status: 404, .. }) => return,
            Err(_) => browser::sleep(2000).await,
        }
    }
}
