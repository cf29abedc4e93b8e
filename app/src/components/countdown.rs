//! A live "time left" display driven by the wizard's one-second clock.

use leptos::prelude::*;

use crate::browser::clock_text;

/// Shows the time left until `until_ms` as `m:ss` plus `suffix`, or `ended` once it passed.
#[component]
pub fn Countdown(
    /// The deadline (ms since the epoch); nothing is shown when `None`.
    #[prop(into)]
    until_ms: Signal<Option<f64>>,
    /// The current time (ms since the epoch), ticking.
    #[prop(into)]
    now_ms: Signal<f64>,
    /// The `data-testid`.
    #[prop(into)]
    testid: String,
    /// Text once the deadline passed.
    #[prop(into)]
    ended: String,
    /// Written after the time.
    #[prop(default = " left")]
    suffix: &'static str,
) -> impl IntoView {
    view! {
        <span class="countdown" data-testid=testid>
            {move || {
                until_ms
                    .get()
                    .map(|until| {
                        let left = ((until - now_ms.get()) / 1000.0).ceil() as i64;
                        if left > 0 { format!("{}{suffix}", clock_text(left)) } else { ended.clone() }
                    })
            }}
        </span>
    }
}
