//! A bare Leptos 0.8 counter: the smallest CSR page built with the wizard's toolchain and profile.
//! `cargo xtask bench` compares the wizard's time to interactive and weight with this page's.

/// The counter; its button carries the `data-testid` the benchmark waits for.
#[cfg(target_arch = "wasm32")]
#[leptos::component]
fn Counter() -> impl leptos::IntoView {
    use leptos::prelude::*;
    let (count, set_count) = signal(0u32);
    view! {
        <button data-testid="counter-increment" on:click=move |_| *set_count.write() += 1>
            "Count: " {count}
        </button>
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {
    leptos::mount::mount_to_body(Counter);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "baseline-counter is a web page: `cargo xtask bench` builds it with trunk for wasm32."
    );
    std::process::exit(2);
}
