//! The global settings: which relay to use, whether to remember secrets on this device, forgetting
//! everything, exporting/importing a service's configuration, and exporting it for `otw` scripts.

use leptos::prelude::*;
use presets::ConfigFile;
use wasm_bindgen::JsCast;

use crate::components::{CheckboxField, StatusLine, TextField, When};
use crate::state::{CUSTOM_SERVICE, Status, WizardState};
use crate::storage::{self, Area};

/// The settings panel under the header.
#[component]
pub fn SettingsPanel() -> impl IntoView {
    let state = WizardState::expect();
    let prefs = state.prefs;
    let include_secrets = RwSignal::new(false);
    let scripts_refresh = RwSignal::new(false);
    let scripts_commands = RwSignal::new(Vec::<String>::new());
    let status = RwSignal::new(None::<Status>);

    let set_relay_url = move |(url,): (String,)| {
        // A redirect URI that was the old relay's callback follows the relay.
        let old_default = untrack(|| state.relay_callback_url());
        prefs.relay_url.set(url);
        if state.redirect_uri.get_untracked() == old_default {
            state
                .redirect_uri
                .set(untrack(|| state.default_redirect_uri()));
        }
    };
    let set_remember = move |(remember,): (bool,)| {
        // Turning it off removes what was remembered for every service, not only this one.
        if !remember {
            storage::remove_prefixed("otw.secrets.", Area::Local);
        }
        prefs.remember.set(remember);
    };
    let forget = move |_| {
        state.forget_everything();
        status.set(Some(Status::ok(
            "Everything was forgotten: settings, secrets and tokens are gone from this browser.",
        )));
    };
    // The configuration of the chosen service, or the reason there is none yet.
    let current_config = move |with_secrets: bool| {
        let Some(id) = state.service_id.get_untracked() else {
            status.set(Some(Status::error(
                "Choose a service first; there is nothing to export yet.",
            )));
            return None;
        };
        let preset_id = (id != CUSTOM_SERVICE).then_some(id.as_str());
        let vars = untrack(|| state.vars());
        let file = ConfigFile::new(
            preset_id,
            state.settings.get_untracked(),
            &vars,
            with_secrets,
        );
        Some((id, file))
    };
    let export = move |_| {
        let Some((id, file)) = current_config(include_secrets.get_untracked()) else {
            return;
        };
        match crate::browser::download(
            &format!("oauth-{id}.json"),
            "application/json",
            &file.to_json(),
        ) {
            Ok(()) if file.has_secrets() => status.set(Some(Status::ok(
                "Exported, secrets included: keep the file somewhere safe.",
            ))),
            Ok(()) => status.set(Some(Status::ok("Exported without secrets."))),
            Err(error) => status.set(Some(Status::error(error))),
        }
    };
    // "Use in scripts": the refresh token (with the client secret) goes into the file only when
    // the user ticks it; the commands shown next say how otw takes it from there.
    let export_for_scripts = move |_| {
        let with_refresh = scripts_refresh.get_untracked();
        let Some((_, file)) = current_config(with_refresh) else {
            return;
        };
        let has_refresh = file.values.contains_key("refresh_token");
        match crate::browser::download(
            &file.script_file_name(),
            "application/json",
            &file.to_json(),
        ) {
            Ok(()) => {
                let message = match (with_refresh, has_refresh) {
                    (true, true) => {
                        "Exported with the refresh token and the client secret: store the file like a password and delete it once imported."
                    }
                    (true, false) => {
                        "Exported, but there is no refresh token yet (get the tokens in step 3 first): otw login will authorize from the terminal."
                    }
                    (false, _) => {
                        "Exported without secrets: otw login will authorize from the terminal and ask for the client secret."
                    }
                };
                status.set(Some(Status::ok(message)));
                scripts_commands.set(file.otw_commands());
            }
            Err(error) => status.set(Some(Status::error(error))),
        }
    };
    let import = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        leptos::task::spawn_local(async move {
            let result = match crate::browser::read_chosen_file(&input).await {
                Ok(text) => {
                    ConfigFile::from_json(&text).map_err(|error| format!("Not imported: {error}."))
                }
                Err(error) => Err(error),
            };
            input.set_value("");
            match result {
                Ok(file) => status.set(Some(imported(state, file))),
                Err(error) => status.set(Some(Status::error(error))),
            }
        });
    };

    view! {
        <section id="settings-panel" class="card settings" aria-labelledby="settings-title">
            <h2 id="settings-title">"Settings"</h2>
            <div class="grid two">
                <div>
                    <h3>"Relay"</h3>
                    <TextField
                        label="Relay URL"
                        testid="relay-url"
                        kind="url"
                        value=prefs.relay_url
                        on_input=set_relay_url
                        placeholder="This site (default)"
                        help="Leave empty to use this site's own relay. Another relay must allow calls from this page."
                        error=Signal::derive(move || {
                            prefs
                                .relay_url
                                .with(|url| engine::input::relay_url_problem(url))
                                .map(|problem| format!("The relay URL {problem}."))
                        })
                    />
                    <CheckboxField
                        label="No relay: call token endpoints directly from the browser"
                        testid="no-relay"
                        checked=prefs.no_relay
                        on_change=move |(on,): (bool,)| prefs.no_relay.set(on)
                        help="Works only with services that allow cross-origin calls (CORS). Codes must then be pasted by hand."
                    />
                </div>
                <div>
                    <h3>"This device"</h3>
                    <CheckboxField
                        label="Remember secrets and tokens on this device"
                        testid="remember-device"
                        checked=prefs.remember
                        on_change=set_remember
                    />
                    <p class="warning" role="note">
                        "When ticked, the client secret and tokens are kept in this browser's storage, even after "
                        "the browser closes. Anyone using this browser profile, and any script running on this site, "
                        "can read them. Leave it off on shared computers: then they are forgotten when you reload "
                        "or close the page."
                    </p>
                    <button type="button" class="button danger" data-testid="forget-everything" on:click=forget>
                        "Forget everything"
                    </button>
                </div>
            </div>
            <h3>"Configuration file"</h3>
            <div class="row wrap">
                <button type="button" class="button secondary" data-testid="export-config" on:click=export>
                    "Export configuration…"
                </button>
                <CheckboxField
                    label="Include secrets and tokens"
                    testid="export-include-secrets"
                    checked=include_secrets
                    on_change=move |(on,): (bool,)| include_secrets.set(on)
                />
                <div class="field file-field">
                    <label for="import-config">"Import a configuration file"</label>
                    <input
                        type="file"
                        id="import-config"
                        data-testid="import-config"
                        accept=".json,application/json"
                        on:change=import
                    />
                </div>
            </div>
            <h3>"Use in scripts"</h3>
            <p class="help">
                "otw, the command-line token keeper, hands cron jobs, CI steps and pipelines a valid access token "
                "from this configuration and keeps it refreshed (see cli/README.md)."
            </p>
            <div class="row wrap">
                <button type="button" class="button secondary" data-testid="export-scripts" on:click=export_for_scripts>
                    "Export for scripts…"
                </button>
                <CheckboxField
                    label="Include the refresh token (and the client secret)"
                    testid="export-scripts-refresh"
                    checked=scripts_refresh
                    on_change=move |(on,): (bool,)| scripts_refresh.set(on)
                    help="Without it, otw login authorizes again from the terminal. With it, the file opens your account: keep it like a password."
                />
            </div>
            <When when=move || !scripts_commands.get().is_empty()>
                <p class="help">"Then, in the folder you saved the file to:"</p>
                <pre class="code" data-testid="scripts-commands">{move || scripts_commands.get().join("\n")}</pre>
            </When>
            <StatusLine status=status testid="settings-status" />
        </section>
    }
}

/// Imports `file` and says what the user must still check: a preset this version does not have
/// (imported as custom settings), and the fields the settings still need.
fn imported(state: WizardState, file: ConfigFile) -> Status {
    let unknown_preset = file
        .preset_id
        .clone()
        .filter(|id| presets::by_id(id).is_none());
    let problems: Vec<String> = file
        .settings_problems()
        .iter()
        .map(ToString::to_string)
        .collect();
    state.import(file);
    let mut text = String::from("Imported.");
    if let Some(id) = unknown_preset {
        text.push_str(&format!(
            " The file names the preset `{id}`, which this version of the wizard does not have: \
             its settings were imported as custom settings."
        ));
    }
    if problems.is_empty() {
        text.push_str(" Check the settings in each step.");
        return Status::ok(text);
    }
    text.push_str(&format!(
        " These fields still need attention: {}.",
        problems.join("; ")
    ));
    Status::info(text)
}
