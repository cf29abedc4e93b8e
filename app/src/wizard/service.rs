//! Step 1: choose a service (or customise the OAuth settings), fill in its variables, read its notes.

use engine::VariableSpec;
use engine::discovery::{Decision, discovery_urls, parse_metadata};
use engine::self_test::CorsProbe;
use leptos::prelude::*;

use crate::components::{CheckboxField, StatusLine, TextArea, TextField, When};
use crate::lines::{format_params, parse_params};
use crate::state::{CUSTOM_SERVICE, Status, WizardState};
use crate::wizard::self_test::SelfTest;

/// Step 1.
#[component]
pub fn ServiceStep() -> impl IntoView {
    let state = WizardState::expect();
    let chosen = move || state.service_id.with(Option::is_some);
    view! {
        <ServicePicker />
        <When when=chosen>
            <SelectedService />
            <VariableFields />
            <OAuthBasics />
        </When>
    }
}

/// The searchable list of presets plus "Customize OAuth settings".
#[component]
fn ServicePicker() -> impl IntoView {
    let state = WizardState::expect();
    let query = RwSignal::new(String::new());
    // Why the preset last clicked could not be used (its values failed the preset checks).
    let refused = RwSignal::new(None::<String>);
    let choose = move |id: &str| refused.set(state.choose_service(id).err());
    let matches = move |preset: &presets::Preset| {
        let query = query.get().trim().to_ascii_lowercase();
        query.is_empty()
            || preset.name.to_ascii_lowercase().contains(&query)
            || preset.id.contains(&query)
    };
    let shown = move || {
        presets::all()
            .iter()
            .filter(|preset| matches(preset))
            .count()
    };
    view! {
        <section class="card" aria-labelledby="picker-title">
            <h2 id="picker-title">"Which service do you need a token for?"</h2>
            <div class="field">
                <label for="service-search">"Search services"</label>
                <input
                    id="service-search"
                    data-testid="service-search"
                    type="search"
                    placeholder="Type a name, e.g. Google"
                    autocomplete="off"
                    prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev))
                />
            </div>
            <p class="visually-hidden" aria-live="polite">{move || format!("{} services shown", shown())}</p>
            {crate::catalog::load_error().map(|why| view! {
                <p class="field-error" data-testid="catalog-error">
                    {format!("The list of services could not be loaded ({why}). Reload the page, or use “Customize OAuth settings”.")}
                </p>
            })}
            {move || refused.get().map(|why| view! {
                <p class="field-error" role="alert" data-testid="preset-refused">
                    {format!("This service's preset cannot be used ({why}). Reload the page, or use “Customize OAuth settings”.")}
                </p>
            })}
            <ul class="service-list">
                {presets::all()
                    .iter()
                    .map(|preset| {
                        let id = preset.id.as_str();
                        let selected = move || state.service_id.with(|current| current.as_deref() == Some(id));
                        view! {
                            <li class="service-item" class:hidden=move || !matches(preset)>
                                <button
                                    type="button"
                                    class="service-option"
                                    class:selected=selected
                                    data-testid=format!("service-option-{id}")
                                    aria-pressed=move || selected().to_string()
                                    on:click=move |_| choose(id)
                                >
                                    <span class="service-name">{preset.name.clone()}</span>
                                    <span class="service-description">{preset.description.clone()}</span>
                                </button>
                                <a class="docs-link" href=preset.docs_url.clone() target="_blank" rel="noopener noreferrer">
                                    "Docs ↗"
                                    <span class="visually-hidden">{format!(" for {}", preset.name)}</span>
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <p class="empty-note" class:hidden=move || shown() != 0>"No service matches. Customize the OAuth settings instead."</p>
            <div class="custom-choice">
                <button
                    type="button"
                    class="button secondary"
                    class:selected=move || state.service_id.with(|id| id.as_deref() == Some(CUSTOM_SERVICE))
                    data-testid="service-custom"
                    on:click=move |_| choose(CUSTOM_SERVICE)
                >
                    "Customize OAuth settings"
                </button>
                <span class="help">"For a service not listed: start from blank settings and fill in its URLs."</span>
            </div>
        </section>
    }
}

/// The chosen service: its name, description, docs and notes.
#[component]
fn SelectedService() -> impl IntoView {
    let state = WizardState::expect();
    let preset = move || state.preset();
    view! {
        <section class="card" aria-labelledby="selected-title">
            <div class="card-head">
                <div>
                    <p class="eyebrow">"Selected service"</p>
                    <h2 id="selected-title" data-testid="service-selected">
                        {move || preset().map_or_else(|| "Custom OAuth settings".to_owned(), |p| p.name.clone())}
                    </h2>
                </div>
                {move || {
                    preset()
                        .map(|_| {
                            view! {
                                <button
                                    type="button"
                                    class="button secondary small"
                                    data-testid="reset-to-preset"
                                    title="Put back every setting of the preset (your client ID and secrets stay)"
                                    on:click=move |_| state.reset_to_preset()
                                >
                                    "Reset to preset"
                                </button>
                            }
                        })
                }}
            </div>
            {move || match preset() {
                Some(preset) => {
                    let notes = &preset.notes;
                    view! {
                        <p>{preset.description.clone()}</p>
                        <p>
                            <a
                                data-testid="service-docs-link"
                                href=preset.docs_url.clone()
                                target="_blank"
                                rel="noopener noreferrer"
                            >
                                {format!("{} OAuth documentation ↗", preset.name)}
                            </a>
                        </p>
                        <div class="notes">
                            <Note title="Register your app" text=notes.register.clone() open=true />
                            <Note title="Redirect URI rules" text=notes.redirect_uri.clone() open=false />
                            <Note title="After you have the token" text=notes.after_token.clone() open=false />
                            <Note title="Lifetimes" text=notes.lifetimes.clone() open=false />
                        </div>
                    }
                        .into_any()
                }
                None => {
                    view! {
                        <p>
                            "Blank settings following the OAuth 2.0 standard (RFC 6749). Fill in the service's "
                            "URLs below, or discover them from its issuer; every request can be edited in steps 2 and 3."
                        </p>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

/// One collapsible note of a preset.
#[component]
fn Note(title: &'static str, text: String, open: bool) -> impl IntoView {
    (!text.trim().is_empty()).then(|| {
        view! {
            <details class="note" open=open>
                <summary>{title}</summary>
                <p>{text}</p>
            </details>
        }
    })
}

/// The service's own variables (tenant, account id …), with its labels and help.
#[component]
pub fn VariableFields() -> impl IntoView {
    let state = WizardState::expect();
    // A memo: typing elsewhere in the settings must not rebuild (and unfocus) these inputs.
    // One field per name: an imported file may name a variable twice, and two inputs with one
    // id would confuse labels and screen readers.
    let specs = Memo::new(move |_| {
        state.settings.with(|s| {
            let mut specs: Vec<VariableSpec> = Vec::new();
            for spec in &s.variables {
                if !specs.iter().any(|seen| seen.name == spec.name) {
                    specs.push(spec.clone());
                }
            }
            specs
        })
    });
    move || {
        let specs = specs.get();
        (!specs.is_empty()).then(|| {
            view! {
                <section class="card" aria-labelledby="variables-title">
                    <h2 id="variables-title">"About your account"</h2>
                    {specs
                        .into_iter()
                        .map(|spec| {
                            let name = spec.name.clone();
                            let value = Signal::derive({
                                let name = name.clone();
                                move || state.value(&name)
                            });
                            let help = (!spec.help.is_empty()).then(|| spec.help.clone());
                            let placeholder = (!spec.default.is_empty()).then(|| spec.default.clone());
                            view! {
                                <TextField
                                    label=spec.label.clone()
                                    testid=format!("variable-{name}")
                                    value=value
                                    on_input=move |(text,): (String,)| state.set_value(&name, text)
                                    help=help
                                    placeholder=placeholder
                                    mono=true
                                />
                            }
                        })
                        .collect_view()}
                </section>
            }
        })
    }
}

/// Client flow on or off, the authorization URL, and discovery from an issuer.
#[component]
fn OAuthBasics() -> impl IntoView {
    let state = WizardState::expect();
    let client_flow = Signal::derive(move || state.settings.with(|s| s.authorization.is_some()));
    let set_client_flow = move |(on,): (bool,)| state.set_client_flow(on);
    let authorization_url = Signal::derive(move || state.authorization(|a| a.url.clone()));
    let set_authorization_url = move |(url,): (String,)| {
        state.update_authorization(|a| a.url = url);
    };
    view! {
        <section class="card" aria-labelledby="basics-title">
            <h2 id="basics-title">"OAuth settings"</h2>
            <CheckboxField
                label="This service requires client-flow authorization"
                testid="client-flow-required"
                checked=client_flow
                on_change=set_client_flow
                help="Ticked: you sign in at the service and approve access (client-flow authorization, the authorization code grant). Unticked: the token comes straight from the token endpoint (client credentials, password, or a token from the service's console). Switching keeps what you set up for the other choice."
            />
            <When when=move || client_flow.get()>
                <TextField
                    label="Authorization URL"
                    testid="authorization-url"
                    kind="url"
                    value=authorization_url
                    on_input=set_authorization_url
                    placeholder="https://login.example.com/oauth2/authorize"
                    help="Where the user signs in. It may use {variables}."
                    mono=true
                    error=Signal::derive(move || {
                        state.settings.with(|s| {
                            s.authorization
                                .as_ref()
                                .is_some_and(|a| !a.url.trim().is_empty())
                                .then(|| {
                                    crate::state::authorization_problem(s, |f| {
                                        *f == engine::Field::AuthorizationUrl
                                    })
                                })
                                .flatten()
                        })
                    })
                />
            </When>
            <Discovery />
            <VariableDefinitions />
        </section>
    }
}

/// Fills the endpoints, PKCE and client authentication from an issuer's metadata.
#[component]
fn Discovery() -> impl IntoView {
    let state = WizardState::expect();
    let issuer = RwSignal::new(String::new());
    let status = RwSignal::new(None::<Status>);
    let decisions = RwSignal::new(Vec::<Decision>::new());
    // The lookup in flight; the button waits for it.
    let lookup = Action::new_local(move |(issuer_url, urls): &(String, Vec<String>)| {
        let (issuer_url, urls) = (issuer_url.clone(), urls.clone());
        let relay = untrack(|| state.relay());
        async move {
            let mut last_problem = String::new();
            for url in urls {
                let reply = match crate::api::get(relay.as_ref(), &url).await {
                    Ok(reply) => reply,
                    Err(error) => {
                        last_problem = error.to_string();
                        continue;
                    }
                };
                if !(200..300).contains(&reply.status) {
                    last_problem = format!("{url} answered HTTP {}.", reply.status);
                    continue;
                }
                let metadata = match parse_metadata(&reply.body)
                    .and_then(|m| m.check_issuer(&issuer_url).map(|()| m))
                {
                    Ok(metadata) => metadata,
                    Err(error) => {
                        last_problem = error.to_string();
                        continue;
                    }
                };
                let mut settings = state.settings.get_untracked();
                let mut parked = state.parked.get_untracked();
                metadata.apply_to(&mut settings, &mut parked);
                let flow_off = !settings.client_flow();
                state.replace_settings(settings, parked);
                let mut text = format!("Filled in from {url}. Check what it decided:");
                if flow_off {
                    text = format!(
                        "Filled in from {url}. Client-flow authorization stays off, as you chose; \
                         the authorization endpoint is kept for when you tick it. Check what it decided:"
                    );
                }
                decisions.set(metadata.decisions());
                status.set(Some(Status::ok(text)));
                let token_url = metadata.token_endpoint.clone();
                state.self_test.set(Some((metadata, None)));
                let probe = match token_url {
                    Some(url) => crate::api::cors_probe(&url).await,
                    None => CorsProbe::NotTried,
                };
                state.self_test.update(|found| {
                    if let Some((_, cors)) = found {
                        *cors = Some(probe);
                    }
                });
                return;
            }
            status.set(Some(Status::error(format!(
                "Discovery failed. {last_problem}"
            ))));
        }
    });
    let busy = lookup.pending();
    let run = move |_| {
        let issuer_url = issuer.get_untracked().trim().to_owned();
        let urls = match discovery_urls(&issuer_url) {
            Ok(urls) => urls,
            Err(error) => {
                status.set(Some(Status::error(error.to_string())));
                return;
            }
        };
        decisions.set(Vec::new());
        state.self_test.set(None);
        status.set(Some(Status::info("Looking up the server's metadata…")));
        lookup.dispatch((issuer_url, urls));
    };
    view! {
        <div class="subsection">
            <h3>"Discover from the issuer"</h3>
            <p class="help">
                "Paste the service's issuer URL; its published metadata fills the authorization and token URLs, PKCE and client authentication."
            </p>
            <div class="row">
                <div class="grow">
                    <TextField
                        label="Issuer URL"
                        testid="discovery-issuer"
                        kind="url"
                        value=issuer
                        on_input=move |(text,): (String,)| issuer.set(text)
                        placeholder="https://accounts.example.com"
                        mono=true
                    />
                </div>
                <button
                    type="button"
                    class="button secondary align-end"
                    data-testid="discovery-run"
                    disabled=move || busy.get() || issuer.with(|i| i.trim().is_empty())
                    on:click=run
                >
                    {move || if busy.get() { "Looking up…" } else { "Discover" }}
                </button>
            </div>
            <StatusLine status=status testid="discovery-status" />
            <When when=move || decisions.with(|d| !d.is_empty())>
                <dl class="facts" data-testid="discovery-summary">
                    {move || {
                        decisions
                            .get()
                            .into_iter()
                            .map(|decision| {
                                view! {
                                    <dt>{decision.label}</dt>
                                    <dd class="wrap" data-testid=format!("decided-{}", decision.key)>{decision.value}</dd>
                                }
                            })
                            .collect_view()
                    }}
                </dl>
            </When>
            <SelfTest
                metadata=Signal::derive(move || state.self_test.with(|t| t.as_ref().map(|(m, _)| m.clone())))
                cors=Signal::derive(move || state.self_test.with(|t| t.as_ref().and_then(|(_, c)| *c)))
            />
        </div>
    }
}

/// Defining the service's own variables (`{tenant}` …): one `name=default` per line.
#[component]
fn VariableDefinitions() -> impl IntoView {
    let state = WizardState::expect();
    let error = RwSignal::new(None::<String>);
    let text = Signal::derive(move || {
        state.settings.with(|s| {
            let params: Vec<engine::Param> = s
                .variables
                .iter()
                .map(|spec| engine::Param {
                    name: spec.name.clone(),
                    value: spec.default.clone(),
                    optional: false,
                })
                .collect();
            format_params(&params)
        })
    });
    let on_input = move |(text,): (String,)| match parse_params(&text) {
        Ok(params) => {
            let mut candidate = state.settings.get_untracked();
            let old = std::mem::take(&mut candidate.variables);
            candidate.variables = params
                .into_iter()
                .map(|param| {
                    // Keep the label and help a preset gave the variable.
                    let known = old.iter().find(|spec| spec.name == param.name);
                    VariableSpec {
                        label: known.map_or_else(|| param.name.clone(), |spec| spec.label.clone()),
                        help: known.map(|spec| spec.help.clone()).unwrap_or_default(),
                        name: param.name,
                        default: param.value,
                    }
                })
                .collect();
            // A name the settings could not use (`a b`, `{x}`, `client_id`) is refused here,
            // where it is typed, so that nothing the wizard exports is refused on import.
            let problems: Vec<String> = candidate
                .validate()
                .err()
                .unwrap_or_default()
                .into_iter()
                .filter(|e| matches!(e.field, engine::Field::Variable(_)))
                .map(|e| e.to_string())
                .collect();
            if problems.is_empty() {
                error.set(None);
                state.settings.set(candidate);
            } else {
                error.set(Some(format!("Not applied yet: {}.", problems.join("; "))));
            }
        }
        Err(problem) => error.set(Some(format!("Not applied yet: {problem}."))),
    };
    view! {
        <details class="subsection plain">
            <summary data-testid="variable-definitions-toggle">"Define your own variables"</summary>
            <TextArea
                label="Variables, one name=default value per line"
                testid="variable-definitions"
                text=text
                reload=state.revision
                on_input=on_input
                error=error
                rows=3
                help="Each one becomes a field above and can be used as {name} in any URL, parameter or header."
            />
        </details>
    }
}
