//! Entry point of the wasm bundle: install the panic hook, load the preset catalog, then mount
//! the wizard (which reads the presets synchronously from then on).

fn main() {
    console_error_panic_hook::set_once();
    wasm_bindgen_futures::spawn_local(async {
        app::catalog::load().await;
        leptos::mount::mount_to_body(app::App);
    });
}
