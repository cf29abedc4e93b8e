//! The redirect doctor: the URI to register, where, the service's rules, and how the URI sent
//! differs from the one the user says is registered (the rules and the comparison are
//! `engine::redirect_doctor`'s).

use engine::redirect_doctor::{RedirectRules, compare};
use leptos::prelude::*;

/// Step 2's help for a refused redirect URI, from the service's preset.
#[component]
pub fn RedirectDoctor(
    /// The service's name.
    service: String,
    /// What the service accepts and where URIs are registered.
    rules: RedirectRules,
    /// The redirect URI the wizard sends.
    #[prop(into)]
    sent: Signal<String>,
) -> impl IntoView {
    let registered = RwSignal::new(String::new());
    let any_port = rules.any_loopback_port;
    let problems = {
        let rules = rules.clone();
        move || sent.with(|uri| rules.problems(uri))
    };
    let differences = move || {
        registered.with(|registered| {
            (!registered.trim().is_empty())
                .then(|| sent.with(|sent| compare(sent, registered, any_port)))
        })
    };
    let console_label = format!("Open {service}'s console");
    view! {
        <details class="redirect-doctor" data-testid="redirect-doctor">
            <summary data-testid="redirect-doctor-toggle">
                {format!("Redirect URI refused? Check it against {service}'s rules")}
            </summary>
            <p>
                "Register exactly: "
                <code class="wrap" data-testid="redirect-doctor-uri">{move || sent.get()}</code>
            </p>
            <p>
                <a href=rules.console_url.clone() target="_blank" rel="noopener noreferrer" data-testid="redirect-doctor-console">
                    {console_label}
                </a>
                {(!rules.console_path.is_empty()).then(|| format!(": {}", rules.console_path))}
            </p>
            <ul data-testid="redirect-doctor-rules">
                {rules.describe().into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
            </ul>
            {move || {
                let problems = problems();
                (!problems.is_empty())
                    .then(|| {
                        view! {
                            <ul class="field-error" data-testid="redirect-doctor-problems">
                                {problems.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}
                            </ul>
                        }
                    })
            }}
            <div class="field">
                <label for="redirect-doctor-registered">{format!("The redirect URI registered at {service}")}</label>
                <input
                    id="redirect-doctor-registered"
                    data-testid="redirect-doctor-registered"
                    class="mono"
                    type="url"
                    spellcheck="false"
                    autocomplete="off"
                    prop:value=move || registered.get()
                    on:input=move |ev| registered.set(event_target_value(&ev))
                />
            </div>
            {move || {
                differences()
                    .map(|differences| {
                        if differences.is_empty() {
                            view! { <p class="ok" data-testid="redirect-doctor-match">"They match exactly."</p> }.into_any()
                        } else {
                            view! {
                                <ul data-testid="redirect-doctor-differences">
                                    {differences.iter().map(|d| view! { <li>{d.message()}</li> }).collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                    })
            }}
        </details>
    }
}
