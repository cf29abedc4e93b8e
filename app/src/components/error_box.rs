//! The box that explains a failed token endpoint call.

use leptos::prelude::*;

use super::KnownFix;
use crate::state::CallFailure;

/// Shows the OAuth error, its description, the HTTP status and the advice, each under its own test id.
#[component]
pub fn ErrorBox(
    /// The failure to show; nothing is shown when `None`.
    #[prop(into)]
    failure: Signal<Option<CallFailure>>,
) -> impl IntoView {
    move || {
        failure.get().map(|failure| {
            view! {
                <div class="error-box" data-testid="error-box" role="alert">
                    <p class="error-title">{failure.message}</p>
                    <dl class="facts">
                        {failure
                            .code
                            .map(|code| {
                                view! {
                                    <dt>"Error"</dt>
                                    <dd><code data-testid="error-code">{code}</code></dd>
                                }
                            })}
                        {failure
                            .description
                            .map(|text| {
                                view! {
                                    <dt>"Description"</dt>
                                    <dd data-testid="error-description">{text}</dd>
                                }
                            })}
                        {failure
                            .status
                            .map(|status| {
                                view! {
                                    <dt>"HTTP status"</dt>
                                    <dd data-testid="error-status">{status}</dd>
                                }
                            })}
                        {failure
                            .redirect_uris
                            .map(|(authorized, sent)| {
                                let difference = differences(&sent, &authorized);
                                view! {
                                    <dt>"Redirect URI when authorizing"</dt>
                                    <dd><code class="wrap">{authorized}</code></dd>
                                    <dt>"Redirect URI in this request"</dt>
                                    <dd><code class="wrap">{sent}</code></dd>
                                    <dt>"Difference"</dt>
                                    <dd data-testid="error-redirect-differences">
                                        {difference}
                                    </dd>
                                }
                            })}
                    </dl>
                    {failure.known_fix.map(|(service, fix)| view! { <KnownFix service fix /> })}
                    {failure.hint.map(|hint| view! { <p class="hint" data-testid="error-hint">{hint}</p> })}
                    {failure
                        .raw
                        .filter(|raw| !raw.is_empty())
                        .map(|raw| {
                            view! {
                                <details>
                                    <summary>"Response body"</summary>
                                    <pre class="code">{raw}</pre>
                                </details>
                            }
                        })}
                </div>
            }
        })
    }
}

/// The redirect doctor's words for how the two URIs differ (the service compares them exactly).
fn differences(sent: &str, authorized: &str) -> String {
    let found = engine::redirect_doctor::compare(sent, authorized, false);
    if found.is_empty() {
        "None: the same URI was sent both times, so it is the registration at the service that differs.".to_owned()
    } else {
        found
            .iter()
            .map(|d| d.message())
            .collect::<Vec<_>>()
            .join(" ")
    }
}
