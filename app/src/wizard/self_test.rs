//! The self-test after discovery: the engine's recommendations for the service, and a button
//! that applies them. The panel only wires signals; the judgement is `engine::self_test`.

use engine::discovery::ServerMetadata;
use engine::self_test::{CorsProbe, Tone, apply, recommend};
use leptos::prelude::*;

use crate::components::When;
use crate::state::WizardState;

/// The recommendations for the discovered `metadata`; `cors` is `None` while the probe runs.
#[component]
pub fn SelfTest(
    /// What discovery found; nothing is shown before it succeeds.
    #[prop(into)]
    metadata: Signal<Option<ServerMetadata>>,
    /// The CORS probe's answer, `None` while it runs.
    #[prop(into)]
    cors: Signal<Option<CorsProbe>>,
) -> impl IntoView {
    let state = WizardState::expect();
    // Recomputed as the user edits, so advice already followed turns good.
    let found = Memo::new(move |_| {
        let metadata = metadata.get()?;
        let cors = cors.get().unwrap_or(CorsProbe::NotTried);
        Some(state.settings.with(|s| recommend(&metadata, cors, s)))
    });
    let has_changes = move || {
        found.with(|f| {
            f.as_ref()
                .is_some_and(|f| f.iter().any(|r| r.tone == Tone::Change))
        })
    };
    let apply_recommended = move |_| {
        let Some(metadata) = metadata.get_untracked() else {
            return;
        };
        let settings = state.settings.with_untracked(|s| apply(&metadata, s));
        state.replace_settings(settings, state.parked.get_untracked());
    };
    view! {
        <When when=move || found.with(Option::is_some)>
            <div class="subsection" data-testid="selftest">
                <h3>"Self-test"</h3>
                <p class="help" class:hidden=move || cors.with(Option::is_some) data-testid="selftest-probing">
                    "Asking the token endpoint whether it accepts calls from this page…"
                </p>
                <ul class="selftest">
                    {move || {
                        found
                            .get()
                            .unwrap_or_default()
                            .into_iter()
                            .map(|advice| {
                                let tone = match advice.tone {
                                    Tone::Ok => "ok",
                                    Tone::Change => "change",
                                    Tone::Warning => "warning",
                                };
                                view! {
                                    <li class=tone data-testid=format!("selftest-{}", advice.key)>
                                        {advice.text}
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
                <button
                    type="button"
                    class="button secondary small"
                    data-testid="selftest-apply"
                    disabled=move || !has_changes()
                    title="Sets only PKCE and the client authentication; everything else you typed stays"
                    on:click=apply_recommended
                >
                    "Apply the recommended settings"
                </button>
            </div>
        </When>
    }
}
