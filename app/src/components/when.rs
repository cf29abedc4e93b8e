//! `<When>`: Leptos's `<Show>` with its condition and children erased.

use leptos::prelude::*;

/// Shows `children` while `when` is true, else `fallback` (nothing by default), rebuilding them
/// only when the answer changes.
///
/// Leptos's `<Show>` is generic over its condition and its children's view type, so each use
/// compiles its own memo, effect and view code into the wasm; this one is compiled once.
#[component]
pub fn When(
    /// Whether to show the children.
    #[prop(into)]
    when: Callback<(), bool>,
    children: ChildrenFn,
    /// What to show while `when` is false.
    #[prop(optional, into)]
    fallback: ViewFn,
) -> impl IntoView {
    let shown = Memo::new(move |_| when.run(()));
    move || {
        if shown.get() {
            children()
        } else {
            fallback.run()
        }
    }
}
