//! The service's own explanation of a failed call, from its preset (the error explainer).

use leptos::prelude::*;

/// Shows the fix a preset lists for this error, naming the service it comes from; shown above
/// the generic OAuth hint.
#[component]
pub fn KnownFix(
    /// The service's name, as the preset writes it.
    service: String,
    /// The fix, one line.
    fix: String,
) -> impl IntoView {
    view! {
        <div class="known-fix" data-testid="error-known-fix">
            <p class="known-fix-title">{format!("Known {service} error")}</p>
            <p>{fix}</p>
        </div>
    }
}
