//! The client flow's moving parts: starting an authorization, and receiving its code from
//! whichever channel delivers first — the BroadcastChannel, a `message` from the popup, the relay's
//! pickup long-poll, or the user pasting it.

use std::cell::RefCell;

pub use engine::attempt::Source;
use engine::attempt::{Attempt, Event, Verdict, Waiting};
use engine::callback::{CallbackError, parse_callback};
use engine::pkce::{Pkce, new_state};
use engine::request::authorization_url;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

use crate::api::{ApiError, Relay};
use crate::browser;
use crate::state::{Status, WizardState};

/// The channel the relay's callback page broadcasts on (contract 3).
pub const CHANNEL_NAME: &str = "oauth-token-wizard";

/// The browser side of one attempt: its popup and its relay long-poll. Dropping it (when the
/// attempt ends or another starts) closes the popup and aborts the long-poll.
#[derive(Default)]
struct AttemptHandles {
    popup: Option<web_sys::Window>,
    pickup: Option<web_sys::AbortController>,
}

impl Drop for AttemptHandles {
    fn drop(&mut self) {
        if let Some(popup) = self.popup.take() {
            let _ = popup.close();
        }
        if let Some(controller) = self.pickup.take() {
            controller.abort();
        }
    }
}

/// Browser objects of the page and of the attempt in progress; not reactive state.
#[derive(Default)]
struct Handles {
    attempt: AttemptHandles,
    channel: Option<web_sys::BroadcastChannel>,
}

thread_local! {
    static HANDLES: RefCell<Handles> = RefCell::new(Handles::default());
}

/// Feeds `event` to the attempt; returns what the wizard must do. When the attempt ends, its
/// browser side is dropped (popup closed, long-poll aborted) and a callback page still showing
/// is told the wait is over.
fn feed(state: WizardState, event: Event) -> Verdict {
    let (attempt, effect) = state.attempt.get_untracked().next(event);
    if matches!(effect, Verdict::Accept(_) | Verdict::End) {
        end_browser_side();
    }
    if effect != Verdict::Ignore {
        state.attempt.set(attempt);
    }
    effect
}

fn end_browser_side() {
    acknowledge();
    let ended = HANDLES.with_borrow_mut(|handles| std::mem::take(&mut handles.attempt));
    drop(ended);
}

/// Installs the listeners that deliver a code by themselves, and the expiry watch.
pub fn install(state: WizardState) {
    listen_on_channel(state);
    listen_for_messages(state);
    // A reload while waiting keeps the attempt's state and verifier (sessionStorage) but not the
    // wait itself: say so, and how to go on.
    let interrupted = untrack(|| {
        state
            .secrets
            .with(|s| !s.state.is_empty() && s.code.is_empty())
    });
    if interrupted {
        state.attempt.set(Attempt::Interrupted);
        state.code_status.set(Some(Status::info(
            "The page was reloaded while an authorization was in progress, so the wizard stopped waiting for it. \
             If you finished signing in, paste the address the service sent you to (or the code) below; \
             otherwise start the authorization again.",
        )));
    }
    Effect::new(move |_| {
        let now = state.now.get();
        if state.attempt.with(|a| a.waiting().is_some())
            && untrack(|| feed(state, Event::Tick(now))) == Verdict::End
        {
            state.code_status.set(Some(Status::error(
                "No answer from the service in time. Start the authorization again, or paste the code if you have it.",
            )));
        }
    });
    // Whatever else ends the attempt (another service, "forget everything") ends its browser side.
    Effect::new(move |_| {
        if !state.attempt.with(Attempt::is_open) {
            HANDLES.with_borrow_mut(|handles| handles.attempt = AttemptHandles::default());
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
    let expected = state.secrets.with_untracked(|s| s.state.clone());
    let expected = (!expected.is_empty()).then_some(expected.as_str());
    let result = parse_callback(input, expected).and_then(|callback| {
        check_issuer(state, &callback, source)?;
        Ok(callback)
    });
    match feed(state, Event::Answer { source, result }) {
        Verdict::Ignore | Verdict::Moved => false,
        Verdict::Accept(callback) => {
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
            state.secrets.update(|s| s.code = callback.code);
            state.code_status.set(Some(Status::ok(format!(
                "Authorization code received {}. Go on to step 3 to get the tokens.",
                source.describe()
            ))));
            true
        }
        Verdict::RefusePaste(error) => {
            state.secrets.update(|s| s.code.clear());
            state
                .code_status
                .set(Some(Status::error(error.to_string())));
            true
        }
        Verdict::End => {
            let reason = state.attempt.with_untracked(|a| match a {
                Attempt::Refused { reason } => reason.clone(),
                _ => String::new(),
            });
            state.code_status.set(Some(Status::error(reason)));
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

/// Cancels the authorization in progress.
pub fn cancel(state: WizardState) {
    feed(state, Event::Cancel);
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
    // The old attempt's browser side goes before the new one starts.
    end_browser_side();
    let typed = state.state_typed.get_untracked()
        && state.secrets.with_untracked(|s| !s.state.trim().is_empty());
    state.secrets.update(|s| {
        if !typed {
            s.state = new_state(&state_bytes);
        }
        s.code_verifier = Pkce::from_random(&verifier_bytes).verifier().to_owned();
        s.code.clear();
    });
    if !typed {
        state.state_typed.set(false);
    }
    state.code_field.set(String::new());
    state.listen_uri.set(None);

    // Check everything before opening a window, so a settings mistake is shown here, not there.
    let url = match untrack(|| authorization_url(&state.settings.get(), &state.vars())) {
        Ok(url) => url,
        Err(error) => {
            state.stop_flow();
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
    HANDLES.with_borrow_mut(|handles| handles.attempt.popup = popup.clone());
    feed(state, Event::Start);
    state
        .code_status
        .set(Some(Status::info("Opening the sign-in page…")));
    leptos::task::spawn_local(async move {
        let state_value = state.secrets.with_untracked(|s| s.state.clone());
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
            // Cancelled, or another attempt started, while the relay answered.
            if !still_this_attempt(state, &state_value) {
                return;
            }
            match registered {
                Ok(registration) => {
                    expires_in = registration.expires_in.clamp(10, 3600);
                    feed(
                        state,
                        Event::Registered {
                            expires_at_ms: browser::now_ms() + expires_in as f64 * 1000.0,
                        },
                    );
                    if let Some(exact) = registration.redirect_uri.filter(|_| use_listener) {
                        state.listen_uri.set(Some(exact.clone()));
                        state.redirect_uri.set(exact);
                        match untrack(|| authorization_url(&state.settings.get(), &state.vars())) {
                            Ok(rebuilt) => url = rebuilt,
                            Err(error) => {
                                fail(state, error.to_string());
                                return;
                            }
                        }
                    }
                    pickup_relay = Some(relay);
                }
                Err(error) if use_listener => {
                    fail(
                        state,
                        format!("The relay could not listen on the redirect URI: {error}"),
                    );
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
        let redirect = state.redirect_uri.get_untracked();
        state
            .secrets
            .update(|s| s.authorized_redirect_uri = redirect);
        let opened = match popup {
            Some(popup) => popup.location().set_href(&url).is_ok().then_some(popup),
            None => browser::open_tab(&url),
        };
        let blocked = opened.is_none();
        HANDLES.with_borrow_mut(|handles| handles.attempt.popup = opened);
        let effect = feed(
            state,
            Event::Opened(Waiting {
                expires_at_ms: browser::now_ms() + expires_in as f64 * 1000.0,
                provider_url: url,
                blocked,
            }),
        );
        // The code came back before the page was marked open (the channel is that fast).
        if effect == Verdict::Ignore {
            return;
        }
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

/// Whether the attempt that registered `state_value` is still the one in progress.
fn still_this_attempt(state: WizardState, state_value: &str) -> bool {
    state.attempt.with_untracked(Attempt::is_open)
        && state.secrets.with_untracked(|s| s.state == state_value)
}

/// Ends the attempt, saying why.
fn fail(state: WizardState, reason: String) {
    feed(state, Event::Failed(reason.clone()));
    state.code_status.set(Some(Status::error(reason)));
}

/// Long-polls the relay until the callback arrives, the wait ends, or the registration is gone.
async fn poll_pickup(state: WizardState, relay: Relay, state_value: String, pickup_secret: String) {
    let Ok(controller) = web_sys::AbortController::new() else {
        return;
    };
    let signal = controller.signal();
    HANDLES.with_borrow_mut(|handles| handles.attempt.pickup = Some(controller));
    while still_this_attempt(state, &state_value) {
        match relay.pickup(&state_value, &pickup_secret, &signal).await {
            Ok(Some(query)) => {
                handle_callback(state, &query, Source::Pickup);
                return;
            }
            Ok(None) => {}
            Err(ApiError::Aborted) => return,
            // Unknown, expired or already taken: another channel delivered it, or time ran out.
            Err(ApiError::Relay { status: 404, .. }) => return,
            Err(error @ ApiError::Unopened(_)) => return fail(state, error.to_string()),
            Err(_) => browser::sleep(2000).await,
        }
    }
}
