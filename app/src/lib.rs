//! OAuth Token Wizard: a three-step wizard that gets OAuth 2.0 bearer and refresh tokens.
//!
//! The app only wires signals to the `engine` crate (which knows OAuth) and to the relay (which
//! captures callbacks and proxies token calls). `App` installs the shared state, keeps the step
//! in the URL hash, and renders the current step (its errors are shown in words where they happen).

pub mod api;
pub mod browser;
pub mod catalog;
pub mod components;
pub mod lines;
pub mod model;
pub mod seal;
pub mod settings_panel;
pub mod state;
pub mod storage;
pub mod webcrypto;
pub mod wizard;

use std::time::Duration;

use leptos::prelude::*;

use crate::components::{Drafts, StepIndicator, StepNav, When};
use crate::settings_panel::SettingsPanel;
use crate::state::WizardState;
use crate::wizard::Step;

/// The whole wizard.
#[component]
pub fn App() -> impl IntoView {
    let state = WizardState::provide();
    Drafts::provide();
    browser::watch_policy_violations();
    keep_step_in_hash(state);
    tick_clock(state);
    load_relay_config(state);
    wizard::flow::install(state);
    wizard::calls::install(state);
    let settings_open = RwSignal::new(false);

    view! {
        <a class="skip-link" href="#main">"Skip to the wizard"</a>
        <header class="app-header">
            <div class="brand">
                <h1>"OAuth Token Wizard"</h1>
                <p class="tagline">"Get a bearer token and a refresh token from any OAuth 2.0 service."</p>
            </div>
            <button
                type="button"
                class="button secondary"
                data-testid="settings-toggle"
                aria-expanded=move || settings_open.get().to_string()
                aria-controls="settings-panel"
                on:click=move |_| settings_open.update(|open| *open = !*open)
            >
                "⚙ Settings"
            </button>
        </header>
        <When when=move || settings_open.get()>
            <SettingsPanel />
        </When>
        <When when=move || state.unsaved.with(|keys| !keys.is_empty())>
            <p class="status error" role="alert" data-testid="save-problem">
                "This browser's storage for this site is full, so your latest changes are not saved: "
                "they are lost when the page reloads (what was saved before is kept). "
                "Free some space — Settings → Forget everything, or clear this site's data in the browser — "
                "or export the configuration (Settings → Export) to keep it."
            </p>
        </When>
        <StepIndicator />
        <main id="main" tabindex="-1">
            // No `<ErrorBoundary>`: no view renders a `Result`, so one would never show (it cost
            // 4.9 KB gzipped); errors are shown where they happen, in words.
            {move || match state.step.get() {
                Step::Service => view! { <wizard::service::ServiceStep /> }.into_any(),
                Step::Authorization => view! { <wizard::authorize::AuthorizeStep /> }.into_any(),
                Step::Tokens => view! { <wizard::tokens::TokensStep /> }.into_any(),
            }}
            <StepNav />
        </main>
        <footer class="app-footer">
            <p>
                "Secrets and tokens are forgotten when you reload or close the page, unless you choose to remember them. "
                "Token requests go through the relay only to reach the service."
            </p>
        </footer>
    }
}

fn current_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// The step lives in the URL hash (`#/step/2`) so reloads stay put and Back/Forward move between
/// steps. Only moves the user asks for add a history entry; the wizard's own Back button goes
/// back in the browser's history when that is where the user came from, so the browser's Back
/// never turns into a Forward. Hash routing is written here because leptos_router has no hash
/// mode.
fn keep_step_in_hash(state: WizardState) {
    if let Some(step) = Step::from_hash(&current_hash())
        && untrack(|| state.progress().can_visit(step))
    {
        state.step.set(step);
    }
    // The steps below the current history entry that the wizard pushed, oldest first.
    let pushed = StoredValue::new(Vec::<Step>::new());
    let listener = window_event_listener(leptos::ev::hashchange, move |_| {
        match Step::from_hash(&current_hash()) {
            Some(step) if untrack(|| state.progress().can_visit(step)) => {
                if pushed.with_value(|p| p.last() == Some(&step)) {
                    pushed.update_value(|p| {
                        p.pop();
                    });
                }
                state.step.set(step);
            }
            // An unreachable or unknown step: put the hash back to where the wizard is.
            _ => replace_hash(state.step.get_untracked().path()),
        }
    });
    on_cleanup(move || listener.remove());
    Effect::new(move |ran: Option<()>| {
        let path = state.step.get().path();
        let hash = current_hash();
        if hash == path {
            return;
        }
        // Not asked for by the user (a start on a step that cannot be shown yet, an unknown
        // hash): no history entry.
        let from = Step::from_hash(&hash);
        if ran.is_none() || from.is_none() {
            replace_hash(path);
            return;
        }
        let Some(window) = web_sys::window() else {
            return;
        };
        let step = state.step.get_untracked();
        if pushed.with_value(|p| p.last() == Some(&step)) {
            // Back to where the user came from: the browser's Back, which the hashchange above
            // follows.
            pushed.update_value(|p| {
                p.pop();
            });
            if let Ok(history) = window.history() {
                let _ = history.back();
            }
        } else {
            if let Some(from) = from {
                pushed.update_value(|p| p.push(from));
            }
            let _ = window.location().set_hash(path);
        }
        // Moving to another step starts at its top, as a new page would, and screen readers
        // continue from the new step rather than from the button that was pressed.
        window.scroll_to_with_x_and_y(0.0, 0.0);
        focus_main();
    });
}

/// Moves keyboard focus to the start of the wizard's content when it was on the control that
/// changed the step (or nowhere), without scrolling; focus the user put elsewhere stays there.
fn focus_main() {
    use wasm_bindgen::JsCast;
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let on_navigation = match document.active_element() {
        None => true,
        Some(active) => {
            active.tag_name().eq_ignore_ascii_case("body")
                || active
                    .closest(".step-nav, .steps, [data-testid=skip-to-tokens]")
                    .ok()
                    .flatten()
                    .is_some()
        }
    };
    let main = document
        .get_element_by_id("main")
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let (true, Some(main)) = (on_navigation, main) {
        let options = web_sys::FocusOptions::new();
        options.set_prevent_scroll(true);
        let _ = main.focus_with_options(&options);
    }
}

/// Changes the hash without adding a history entry.
fn replace_hash(path: &str) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(path));
    }
}

/// One clock for every countdown on the page.
fn tick_clock(state: WizardState) {
    if let Ok(handle) = set_interval_with_handle(
        move || state.now.set(browser::now_ms()),
        Duration::from_millis(1000),
    ) {
        on_cleanup(move || handle.clear());
    }
}

/// Asks the relay for its configuration whenever the relay setting changes.
fn load_relay_config(state: WizardState) {
    Effect::new(move |_| {
        let relay = state.relay();
        state.relay_config.set(None);
        let Some(relay) = relay else { return };
        leptos::task::spawn_local(async move {
            let config = relay.config().await.ok();
            // Drop a late answer for a relay that is no longer the chosen one.
            if untrack(|| state.relay()) == Some(relay) {
                state.relay_config.set(config);
            }
        });
    });
}
