//! The step indicator at the top and the Back/Next bar at the bottom.

use leptos::prelude::*;

use crate::state::WizardState;
use crate::wizard::Step;

/// The three steps as a list of links; the current one is marked, unreachable ones are disabled.
#[component]
pub fn StepIndicator() -> impl IntoView {
    let state = WizardState::expect();
    view! {
        <nav aria-label="Wizard steps">
            <ol class="steps" data-testid="step-indicator">
                {Step::ALL
                    .into_iter()
                    .map(|step| {
                        let current = move || state.step.get() == step;
                        let reachable = move || state.progress().can_visit(step);
                        view! {
                            <li class:current=current class:done=move || { state.step.get().number() > step.number() }>
                                <a
                                    href=step.path()
                                    data-testid=format!("step-{}", step.number())
                                    aria-current=move || current().then_some("step")
                                    aria-disabled=move || (!reachable()).then_some("true")
                                    on:click=move |ev| {
                                        ev.prevent_default();
                                        if reachable() {
                                            state.step.set(step);
                                        }
                                    }
                                >
                                    <span class="step-number">{step.number()}</span>
                                    <span class="step-title">{step.title()}</span>
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </nav>
    }
}

/// Back and Next, with the reason Next is disabled.
#[component]
pub fn StepNav() -> impl IntoView {
    let state = WizardState::expect();
    let blocker = Memo::new(move |_| state.progress().next_blocker(state.step.get()));
    let is_last = move || state.step.get().next().is_none();
    view! {
        <div class="step-nav">
            <button
                type="button"
                class="button secondary"
                data-testid="nav-back"
                disabled=move || state.step.get().prev().is_none()
                on:click=move |_| {
                    if let Some(prev) = state.step.get_untracked().prev() {
                        state.step.set(prev);
                    }
                }
            >
                "← Back"
            </button>
            <p class="nav-reason" data-testid="nav-next-reason" aria-live="polite">
                {move || if is_last() { None } else { blocker.get() }}
            </p>
            <button
                type="button"
                class="button primary"
                data-testid="nav-next"
                disabled=move || blocker.get().is_some()
                class:invisible=is_last
                on:click=move |_| {
                    if let Some(next) = state.step.get_untracked().next() {
                        state.step.set(next);
                    }
                }
            >
                "Next →"
            </button>
        </div>
    }
}
