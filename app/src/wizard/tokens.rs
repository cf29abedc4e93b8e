//! Step 3: the token endpoints — editors for the bearer and refresh requests with a live preview,
//! the calls, the results with their countdown, automatic refresh, and exports.

use engine::request::HttpRequest;
use engine::{
    BodyFormat, ClientAuth, Credentials, EndpointSettings, HttpMethod, Param, ServiceSettings,
};
use leptos::prelude::*;

use crate::browser;
use crate::components::{
    AssertionFields, CheckboxField, ChoiceField, CopyButton, Countdown, ErrorBox, PrivateKeyField,
    SecretField, TextArea, TextField, TokenPanel, When,
};
use crate::lines::{format_params, parse_params};
use crate::state::{CallKind, TokenOutcome, WizardState};
use crate::wizard::calls;

/// Step 3.
#[component]
pub fn TokensStep() -> impl IntoView {
    let state = WizardState::expect();
    let tab = RwSignal::new(CallKind::Bearer);
    view! {
        <Credentials />
        <section class="card" aria-labelledby="requests-title">
            <h2 id="requests-title">"Token requests"</h2>
            <div class="tabs" role="tablist" aria-label="Token requests">
                <TabButton tab=tab kind=CallKind::Bearer testid="tab-bearer" label="Bearer token" />
                <TabButton tab=tab kind=CallKind::Refresh testid="tab-refresh" label="Refresh token settings" />
            </div>
            <div class="tab-panel" role="tabpanel" id="token-tab-panel">
                {move || match tab.get() {
                    CallKind::Bearer => {
                        view! {
                            <EndpointEditor kind=CallKind::Bearer />
                            <CallButton kind=CallKind::Bearer />
                        }
                            .into_any()
                    }
                    CallKind::Refresh => view! { <RefreshPanel /> }.into_any(),
                }}
            </div>
            <CallStatus />
        </section>
        <ErrorBox failure=state.failure />
        <Results />
        <AutoRefresh />
        <Export />
    }
}

#[component]
fn TabButton(
    tab: RwSignal<CallKind>,
    kind: CallKind,
    testid: &'static str,
    label: &'static str,
) -> impl IntoView {
    let selected = move || tab.get() == kind;
    view! {
        <button
            type="button"
            role="tab"
            class="tab"
            id=testid
            data-testid=testid
            aria-selected=move || selected().to_string()
            aria-controls="token-tab-panel"
            tabindex=move || if selected() { "0" } else { "-1" }
            on:click=move |_| tab.set(kind)
            on:keydown=move |ev| {
                // Arrow keys move between tabs, as in every tab list.
                if matches!(ev.key().as_str(), "ArrowLeft" | "ArrowRight") {
                    let other = if kind == CallKind::Bearer { CallKind::Refresh } else { CallKind::Bearer };
                    tab.set(other);
                    let id = if other == CallKind::Bearer { "tab-bearer" } else { "tab-refresh" };
                    focus_by_id(id);
                }
            }
        >
            {label}
        </button>
    }
}

fn focus_by_id(id: &str) {
    use wasm_bindgen::JsCast;
    if let Some(element) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        && let Ok(element) = element.dyn_into::<web_sys::HtmlElement>()
    {
        let _ = element.focus();
    }
}

/// The secrets both requests share, and the tokens a refresh starts from.
#[component]
fn Credentials() -> impl IntoView {
    let state = WizardState::expect();
    let secrets = state.secrets;
    let needs_user = move || {
        state.settings.with(|s| {
            s.token.credentials == Credentials::UserIdAndSecret
                || s.refresh
                    .as_ref()
                    .is_some_and(|r| r.credentials == Credentials::UserIdAndSecret)
        })
    };
    let has_refresh = move || state.settings.with(ServiceSettings::expects_refresh_token);
    let key_alg = move || {
        state.settings.with(|s| {
            [Some(&s.token), s.refresh.as_ref()]
                .into_iter()
                .flatten()
                .find(|e| e.client_auth == ClientAuth::PrivateKeyJwt)
                .map(|e| e.assertion.alg)
        })
    };
    let needs_private_key = move || key_alg().is_some();
    let key_problem = Signal::derive(move || state.private_key_problem(key_alg()?));
    view! {
        <section class="card" aria-labelledby="credentials-title">
            <h2 id="credentials-title">"Credentials"</h2>
            <p class="help">
                "Kept in memory only, so a reload forgets them (unless you chose to remember them in Settings); sent only inside the token request."
            </p>
            <When when=needs_user>
                <SecretField
                    label="User ID"
                    testid="user-name"
                    value=state.secret_signal(|s| &s.user_name)
                    reveal=state.reveal
                    on_input=move |(text,): (String,)| secrets.update(|s| s.user_name = text)
                />
            </When>
            <SecretField
                label="Client secret"
                testid="client-secret"
                value=state.secret_signal(|s| &s.client_secret)
                reveal=state.reveal
                on_input=move |(text,): (String,)| secrets.update(|s| s.client_secret = text)
                help="Leave empty for a public client, and choose client authentication “None” below."
            />
            <When when=needs_private_key>
                <PrivateKeyField
                    value=state.secret_signal(|s| &s.private_key)
                    reveal=state.reveal
                    problem=key_problem
                    on_input=move |(text,): (String,)| secrets.update(|s| s.private_key = text)
                />
            </When>
            <When when=has_refresh>
                <SecretField
                    label="Refresh token"
                    testid="refresh-token-input"
                    value=state.secret_signal(|s| &s.refresh_token)
                    reveal=state.reveal
                    on_input=move |(text,): (String,)| secrets.update(|s| s.refresh_token = text)
                    help="Filled in by the bearer call; paste one you already have to refresh without step 2."
                />
            </When>
            <CheckboxField
                label="Show secrets"
                testid="reveal-secrets"
                checked=state.reveal
                on_change=move |(on,): (bool,)| state.reveal.set(on)
                help="Shows them in the fields and the request preview."
            />
        </section>
    }
}

/// Reads the endpoint being edited.
fn endpoint(settings: &ServiceSettings, kind: CallKind) -> Option<&EndpointSettings> {
    match kind {
        CallKind::Bearer => Some(&settings.token),
        CallKind::Refresh => settings.refresh.as_ref(),
    }
}

/// One value of the endpoint being edited, tracked (the default when it has no refresh settings).
fn endpoint_value<T: Default>(
    state: WizardState,
    kind: CallKind,
    get: fn(&EndpointSettings) -> T,
) -> T {
    state
        .settings
        .with(|s| endpoint(s, kind).map(get).unwrap_or_default())
}

/// Changes the endpoint being edited.
fn endpoint_mut(settings: &mut ServiceSettings, kind: CallKind) -> Option<&mut EndpointSettings> {
    match kind {
        CallKind::Bearer => Some(&mut settings.token),
        CallKind::Refresh => settings.refresh.as_mut(),
    }
}

/// The refresh tab: its editor, or a way to add refresh settings.
#[component]
fn RefreshPanel() -> impl IntoView {
    let state = WizardState::expect();
    let has_refresh = move || state.settings.with(|s| s.refresh.is_some());
    let add = move |_| {
        state.settings.update(|s| {
            s.refresh = Some(EndpointSettings::refresh_token(s.token.url.clone()));
        });
        state.revision.update(|r| *r += 1);
    };
    view! {
        {move || {
            (!state.settings.with(ServiceSettings::expects_refresh_token) && has_refresh())
                .then(|| {
                    view! {
                        <p class="notice" data-testid="refresh-not-used">
                            "Client credentials bring no refresh token: for a new token, call the bearer token request again. "
                            "These refresh settings are used only if the service sends a refresh token anyway."
                        </p>
                    }
                })
        }}
        <When
            when=has_refresh
            fallback=move || {
                view! {
                    <p>"This service has no refresh settings: its token is re-issued by calling the bearer request again."</p>
                    <button type="button" class="button secondary" data-testid="refresh-enable" on:click=add>
                        "Add standard refresh settings"
                    </button>
                }
            }
        >
            <EndpointEditor kind=CallKind::Refresh />
            <CallButton kind=CallKind::Refresh />
            <button
                type="button"
                class="button link"
                data-testid="refresh-disable"
                on:click=move |_| {
                    state.settings.update(|s| s.refresh = None);
                }
            >
                "This service has no refresh: remove the refresh settings"
            </button>
        </When>
    }
}

/// Every field of one token request, with its live preview.
#[component]
fn EndpointEditor(kind: CallKind) -> impl IntoView {
    let state = WizardState::expect();
    let prefix = match kind {
        CallKind::Bearer => "bearer",
        CallKind::Refresh => "refresh",
    };
    let read = move |get: fn(&EndpointSettings) -> String| {
        state
            .settings
            .with(|s| endpoint(s, kind).map(get).unwrap_or_default())
    };
    let write = move |change: Box<dyn FnOnce(&mut EndpointSettings)>| {
        state.settings.update(|s| {
            if let Some(endpoint) = endpoint_mut(s, kind) {
                change(endpoint);
            }
        });
    };
    let testid = move |name: &str| format!("{prefix}-{name}");

    let preview = Memo::new(move |_| {
        calls::shown_request(state, kind, state.reveal.get())
            .map(|request| format_request(&request))
    });
    // Every problem of this request's settings, each shown at its own field.
    let which = match kind {
        CallKind::Bearer => engine::Endpoint::Token,
        CallKind::Refresh => engine::Endpoint::Refresh,
    };
    let problems = Memo::new(move |_| {
        state.settings.with(|s| {
            s.validate()
                .err()
                .unwrap_or_default()
                .into_iter()
                .filter(|e| e.field.endpoint() == Some(which))
                .collect::<Vec<engine::SettingsError>>()
        })
    });
    let url_problem = Signal::derive(move || {
        problems.with(|all| {
            all.iter()
                .find(|e| matches!(e.field, engine::Field::Url(_)))
                .filter(|_| !read(|e| e.url.clone()).trim().is_empty())
                .map(|e| format!("{e}."))
        })
    });

    view! {
        <div class="endpoint-editor">
            <TextField
                label="Token URL"
                testid=testid("url")
                kind="url"
                value=Signal::derive(move || read(|e| e.url.clone()))
                on_input=move |(url,): (String,)| write(Box::new(move |e| e.url = url))
                help="May use {variables}."
                mono=true
                error=url_problem
            />
            <div class="grid three">
                <ChoiceField
                    label="HTTP method"
                    testid=testid("method")
                    value=Signal::derive(move || endpoint_value(state, kind, |e| e.method))
                    on_change=move |(method,): (HttpMethod,)| write(Box::new(move |e| e.method = method))
                />
                <TextField
                    label="Grant type"
                    testid=testid("grant-type")
                    value=Signal::derive(move || read(|e| e.grant_type.clone()))
                    on_input=move |(grant,): (String,)| write(Box::new(move |e| e.grant_type = grant))
                    help="The {grant_type} variable."
                    mono=true
                />
                <ChoiceField
                    label="Body format"
                    testid=testid("body-format")
                    value=Signal::derive(move || endpoint_value(state, kind, |e| e.body_format))
                    on_change=move |(format,): (BodyFormat,)| write(Box::new(move |e| e.body_format = format))
                />
            </div>
            <div class="grid two">
                <ChoiceField
                    label=match kind {
                        CallKind::Bearer => "Client authentication",
                        CallKind::Refresh => "Client authentication (follows the bearer request's unless you change it here)",
                    }
                    testid=testid("client-auth")
                    value=Signal::derive(move || endpoint_value(state, kind, |e| e.client_auth))
                    on_change=move |(auth,): (ClientAuth,)| {
                        let which = match kind {
                            CallKind::Bearer => engine::Endpoint::Token,
                            CallKind::Refresh => engine::Endpoint::Refresh,
                        };
                        state.settings.update(|s| s.set_client_auth(which, auth));
                    }
                />
                <ChoiceField
                    label="Credentials"
                    testid=testid("credentials")
                    value=Signal::derive(move || endpoint_value(state, kind, |e| e.credentials))
                    on_change=move |(credentials,): (Credentials,)| {
                        write(Box::new(move |e| e.credentials = credentials))
                    }
                />
            </div>
            <When when=move || state.settings.with(|s| endpoint(s, kind).is_some_and(|e| e.client_auth.is_jwt()))>
                <AssertionFields
                    prefix=prefix
                    private_key=Signal::derive(move || state.settings.with(|s| endpoint(s, kind).is_some_and(|e| e.client_auth == ClientAuth::PrivateKeyJwt)))
                    alg=Signal::derive(move || state.settings.with(|s| endpoint(s, kind).map_or(engine::JwtAlg::Rs256, |e| e.assertion.alg)))
                    on_alg=move |(alg,): (engine::JwtAlg,)| write(Box::new(move |e| e.assertion.alg = alg))
                    key_id=Signal::derive(move || read(|e| e.assertion.key_id.clone()))
                    on_key_id=move |(kid,): (String,)| write(Box::new(move |e| e.assertion.key_id = kid))
                />
            </When>
            <ParamEditor kind=kind prefix=prefix name="query" label="Query parameters" pick=|e| &mut e.query read=|e| &e.query problems=problems />
            <ParamEditor kind=kind prefix=prefix name="body" label="Body parameters" pick=|e| &mut e.body read=|e| &e.body problems=problems />
            <ParamEditor kind=kind prefix=prefix name="headers" label="Headers" pick=|e| &mut e.headers read=|e| &e.headers problems=problems />
            {move || {
                let warnings = state
                    .settings
                    .with(|s| endpoint(s, kind).map(|e| engine::header_warnings(&e.headers)).unwrap_or_default());
                (!warnings.is_empty())
                    .then(|| {
                        view! {
                            <p class="warning" role="note" data-testid=testid("headers-warning")>
                                {warnings.join(" ")}
                            </p>
                        }
                    })
            }}
            <div class="preview">
                <h3 id=testid("preview-title")>"Request preview"</h3>
                {move || {
                    preview
                        .get()
                        .err()
                        .map(|error| {
                            let hint = error.hint();
                            view! {
                                <p class="field-error" data-testid=testid("template-error") role="alert">
                                    {error.to_string()}
                                </p>
                                {hint.map(|hint| view! { <p class="hint" data-testid=testid("template-hint")>{hint}</p> })}
                            }
                        })
                }}
                <pre class="code" data-testid=testid("preview") aria-labelledby=testid("preview-title")>
                    {move || preview.get().unwrap_or_else(|_| "The request cannot be built yet: see above.".to_owned())}
                </pre>
            </div>
        </div>
    }
}

/// One `name=value` per line editor bound to a parameter list of the endpoint.
#[component]
fn ParamEditor(
    kind: CallKind,
    prefix: &'static str,
    name: &'static str,
    label: &'static str,
    pick: fn(&mut EndpointSettings) -> &mut Vec<Param>,
    read: fn(&EndpointSettings) -> &Vec<Param>,
    /// The problems of the request's settings; those of this editor's list are shown here.
    problems: Memo<Vec<engine::SettingsError>>,
) -> impl IntoView {
    let state = WizardState::expect();
    let error = RwSignal::new(None::<String>);
    let problem = Signal::derive(move || {
        let mine: Vec<String> = problems.with(|all| {
            all.iter()
                .filter(|e| {
                    matches!(
                        (&e.field, name),
                        (engine::Field::Query(..), "query")
                            | (engine::Field::Body(..), "body")
                            | (engine::Field::Header(..), "headers")
                    )
                })
                .map(|e| format!("{e}."))
                .collect()
        });
        (!mine.is_empty()).then(|| mine.join(" "))
    });
    let text = Signal::derive(move || {
        state.settings.with(|s| {
            endpoint(s, kind)
                .map(|e| format_params(read(e)))
                .unwrap_or_default()
        })
    });
    let on_input = move |(text,): (String,)| match parse_params(&text) {
        Ok(params) => {
            error.set(None);
            state.settings.update(|s| {
                if let Some(endpoint) = endpoint_mut(s, kind) {
                    *pick(endpoint) = params;
                }
            });
        }
        Err(problem) => error.set(Some(format!("Not applied yet: {problem}."))),
    };
    view! {
        <TextArea
            label=label
            testid=format!("{prefix}-{name}")
            text=text
            reload=state.revision
            on_input=on_input
            error=error
            problem=problem
            rows=3
            help="One name=value per line; values may use {variables}; name?=value leaves it out when empty."
        />
    }
}

/// The request as the user reads it: request line, headers, blank line, body.
fn format_request(request: &HttpRequest) -> String {
    let mut text = format!("{} {}\n", request.method.as_str(), request.url);
    for (name, value) in &request.headers {
        text.push_str(&format!("{name}: {value}\n"));
    }
    if let Some(body) = &request.body {
        text.push('\n');
        text.push_str(body);
    }
    text
}

/// The call of one request, next to its settings.
#[component]
fn CallButton(kind: CallKind) -> impl IntoView {
    let state = WizardState::expect();
    let busy = move || state.calling().is_some();
    let (testid, label) = match kind {
        CallKind::Bearer => ("call-bearer", "Call Bearer Token Endpoint"),
        CallKind::Refresh => ("call-refresh", "Call the Refresh Token Endpoint"),
    };
    view! {
        <div class="call-bar">
            <button
                type="button"
                class="button primary"
                data-testid=testid
                disabled=busy
                on:click=move |_| state.call(kind, false)
            >
                {label}
            </button>
        </div>
    }
}

/// What the last or current call is doing.
#[component]
fn CallStatus() -> impl IntoView {
    let state = WizardState::expect();
    let busy = move || state.calling().is_some();
    let status = move || match state.calling() {
        Some(CallKind::Bearer) => Some("Calling the bearer token endpoint…".to_owned()),
        Some(CallKind::Refresh) => Some("Calling the refresh token endpoint…".to_owned()),
        None => state.outcome.with(|o| {
            o.as_ref().map(|o| {
                let what = if o.kind == CallKind::Bearer {
                    "Bearer token"
                } else {
                    "Token refreshed"
                };
                format!(
                    "{what}: received at {}.",
                    browser::local_time(o.received_at_ms)
                )
            })
        }),
    };
    view! {
        <p class="call-status" data-testid="call-status" role="status" aria-live="polite">
            {move || busy().then(|| view! { <span class="spinner small" aria-hidden="true"></span> })}
            {status}
        </p>
    }
}

/// The tokens and what the service said about them.
#[component]
fn Results() -> impl IntoView {
    let state = WizardState::expect();
    let outcome = move || state.outcome.get();
    let expires_at = Signal::derive(move || {
        state
            .outcome
            .with(|o| o.as_ref().and_then(|o| o.expires_at_ms()))
    });
    let none = || "—".to_owned();
    view! {
        <When when=move || state.outcome.with(Option::is_some)>
            <section class="card results" aria-labelledby="results-title">
                <h2 id="results-title">"Your tokens"</h2>
                <dl class="result-list">
                    <dt>"Access token"</dt>
                    <dd class="token-row">
                        <code class="token" data-testid="result-access-token" tabindex="0" aria-label="Access token">{move || state.secret(|s| &s.access_token)}</code>
                        <CopyButton text=state.secret_signal(|s| &s.access_token) testid="copy-access-token" what="Copy the access token" />
                    </dd>
                    <dt>"Refresh token"</dt>
                    <dd class="token-row">
                        <code class="token" data-testid="result-refresh-token" tabindex="0" aria-label="Refresh token">
                            {move || {
                                let token = state.secret(|s| &s.refresh_token);
                                if token.is_empty() { "None issued".to_owned() } else { token }
                            }}
                        </code>
                        <CopyButton text=state.secret_signal(|s| &s.refresh_token) testid="copy-refresh-token" what="Copy the refresh token" />
                    </dd>
                    <dt>"Token type"</dt>
                    <dd data-testid="result-token-type">
                        {move || outcome().and_then(|o| o.token_type).unwrap_or_else(none)}
                    </dd>
                    <dt>"Expires"</dt>
                    <dd>
                        <span data-testid="result-expires-at">
                            {move || expires_at.get().map_or_else(|| "Not stated by the service".to_owned(), browser::local_date_time)}
                        </span>
                        " "
                        <Countdown until_ms=expires_at now_ms=state.now testid="result-countdown" ended="expired" />
                    </dd>
                    <dt>"Scope granted"</dt>
                    <dd data-testid="result-scope-granted">
                        {move || outcome().and_then(|o| o.scope_granted).unwrap_or_else(|| "Not stated (usually: as requested)".to_owned())}
                    </dd>
                    <dt>"Scope requested"</dt>
                    <dd data-testid="result-scope-requested">
                        {move || outcome().map(|o| o.scope_requested).filter(|s| !s.is_empty()).unwrap_or_else(none)}
                    </dd>
                </dl>
                {move || {
                    let outcome = outcome()?;
                    let missing = engine::scopes::missing_from_grant(
                        &outcome.scope_requested,
                        outcome.scope_granted.as_deref(),
                    );
                    (!missing.is_empty()).then(|| {
                        let advice = state.settings.with(|s| {
                            engine::scopes::missing_scope_advice(&missing, s.authorization.as_ref())
                        });
                        view! {
                            <p class="notice" data-testid="result-scope-missing" role="status">
                                {format!("Not granted: {}. {advice}", missing.join(", "))}
                            </p>
                        }
                    })
                }}
                {move || state.preset().map(|p| p.notes.after_token.clone()).filter(|n| !n.is_empty()).map(|note| {
                    view! { <p class="help">{note}</p> }
                })}
                <TokenPanels />
                <h3>"Raw response"</h3>
                <pre class="code raw" data-testid="result-raw" tabindex="0" aria-label="Raw response">{move || outcome().map(|o| o.raw).unwrap_or_default()}</pre>
                <crate::wizard::token_calls::TokenCalls />
            </section>
        </When>
    }
}

/// What is inside the access token and the ID token.
#[component]
fn TokenPanels() -> impl IntoView {
    let state = WizardState::expect();
    let issuer = Signal::derive(move || state.authorization(|a| a.issuer.clone()));
    let client_id = Signal::derive(move || state.client_id.get());
    let nonce = Signal::derive(move || {
        state.secrets.with(|s| {
            if s.state.is_empty() {
                String::new()
            } else {
                engine::pkce::nonce_for(&s.state)
            }
        })
    });
    let id_token = Signal::derive(move || {
        state.outcome.with(|o| {
            o.as_ref()
                .and_then(|o| o.id_token.clone())
                .unwrap_or_default()
        })
    });
    let access_token = state.secret_signal(|s| &s.access_token);
    let id_signature = signature_of(state, id_token);
    let access_signature = signature_of(state, access_token);
    view! {
        <TokenPanel prefix="access-token" title="Access token" token=access_token id_token=false issuer=issuer client_id=client_id nonce=nonce now_ms=state.now signature=Signal::derive(move || access_signature.get()) />
        <TokenPanel prefix="id-token" title="ID token" token=id_token id_token=true issuer=issuer client_id=client_id nonce=nonce now_ms=state.now signature=Signal::derive(move || id_signature.get()) />
    }
}

/// The signature check of `token` against the service's keys (fetched through the relay), redone
/// whenever the token changes; `None` while it runs. Opaque tokens get a verdict the panel never shows.
fn signature_of(state: WizardState, token: Signal<String>) -> RwSignal<Option<(bool, String)>> {
    let signature = RwSignal::new(None::<(bool, String)>);
    Effect::new(move |_| {
        let value = token.get();
        let jwks_uri = state.authorization(|a| a.jwks_uri.clone());
        signature.set(None);
        if value.is_empty() {
            return;
        }
        leptos::task::spawn_local(async move {
            let verdict = calls::verify_signature(state, &value, &jwks_uri).await;
            if untrack(|| token.get()) == value {
                signature.set(Some(verdict));
            }
        });
    });
    signature
}

/// Automatic refresh: the switch, the next time and the count.
#[component]
fn AutoRefresh() -> impl IntoView {
    let state = WizardState::expect();
    let next = move || match calls::next_refresh_ms(state) {
        Some(at) => browser::local_time(at),
        None if !state.prefs.auto_refresh.get() => "Off".to_owned(),
        None if state.settings.with(|s| s.refresh.is_none()) => {
            "Not possible: no refresh settings".to_owned()
        }
        None if !state.settings.with(ServiceSettings::expects_refresh_token) => {
            "Not used: client credentials bring no refresh token; call the bearer request again"
                .to_owned()
        }
        None if !calls::can_refresh(state) => "Waiting for a refresh token".to_owned(),
        None => "Not needed: the token has no stated expiry".to_owned(),
    };
    view! {
        <section class="card" aria-labelledby="auto-title">
            <h2 id="auto-title">"Keep the token fresh"</h2>
            <CheckboxField
                label="Refresh automatically while this page is open"
                testid="auto-refresh"
                checked=state.prefs.auto_refresh
                on_change=move |(on,): (bool,)| state.prefs.auto_refresh.set(on)
                help="At 80 % of the token's lifetime. A new refresh token, if the service sends one, replaces the old one at once."
            />
            {move || {
                state
                    .auto_refresh_failure
                    .get()
                    .map(|failure| {
                        view! {
                            <div class="error-box" data-testid="auto-refresh-failure" role="alert">
                                <p class="error-title">{format!("The automatic refresh failed: {}", failure.message)}</p>
                                {failure.hint.map(|hint| view! { <p class="hint">{hint}</p> })}
                                <p class="help">"It is not retried by itself: fix the settings, then call the refresh again."</p>
                            </div>
                        }
                    })
            }}
            <dl class="facts inline">
                <dt>"Next refresh"</dt>
                <dd data-testid="next-refresh">{next}</dd>
                <dt>"Refreshes so far"</dt>
                <dd data-testid="refresh-count">{move || state.secrets.with(|s| s.refresh_count)}</dd>
            </dl>
        </section>
    }
}

/// Export of the tokens as JSON, curl or .env lines.
#[component]
fn Export() -> impl IntoView {
    let state = WizardState::expect();
    let output = RwSignal::new(String::new());
    let token_export = move || {
        state.secrets.with_untracked(|s| {
            let outcome = s.outcome.as_ref();
            engine::export::TokenExport {
                access_token: s.access_token.clone(),
                refresh_token: s.refresh_token.clone(),
                token_type: outcome.and_then(|o| o.token_type.clone()),
                expires_in: outcome.and_then(|o| o.expires_in),
                expires_at: outcome.and_then(TokenOutcome::expires_at_ms).map(iso_time),
                scope: outcome.and_then(|o| o.scope_granted.clone()),
                id_token: outcome.and_then(|o| o.id_token.clone()),
            }
        })
    };
    // Off by default: a pasted command must not leak the secret unless the user asked for it.
    let with_secrets = RwSignal::new(false);
    let export_json = move |_| output.set(token_export().to_json());
    let curl_text = move |reveal: bool| {
        let kind = if untrack(|| calls::can_refresh(state)) {
            CallKind::Refresh
        } else {
            CallKind::Bearer
        };
        match untrack(|| calls::shown_request(state, kind, reveal)) {
            Ok(request) => {
                let what = if kind == CallKind::Refresh {
                    "refresh request"
                } else {
                    "bearer token request"
                };
                let secrets = if reveal {
                    "It contains your secrets: keep it private."
                } else {
                    "Secrets are masked; tick “Include secrets” to get a command that runs."
                };
                format!("# The {what}. {secrets}\n{}", request.to_curl())
            }
            Err(error) => format!("# The request cannot be built yet: {error}"),
        }
    };
    let export_curl = move |_| output.set(curl_text(with_secrets.get_untracked()));
    let export_env = move |_| output.set(token_export().to_env());
    let has_output = move || output.with(|o| !o.is_empty());
    view! {
        <section class="card" aria-labelledby="export-title">
            <h2 id="export-title">"Export"</h2>
            <div class="row wrap">
                <button type="button" class="button secondary" data-testid="export-json" on:click=export_json>"JSON"</button>
                <button type="button" class="button secondary" data-testid="export-curl" on:click=export_curl>"curl"</button>
                <button type="button" class="button secondary" data-testid="export-env" on:click=export_env>".env"</button>
                <When when=has_output>
                    <CopyButton text=output testid="copy-export" what="Copy the export" />
                </When>
            </div>
            <CheckboxField
                label="Include secrets in the curl command"
                testid="export-curl-secrets"
                checked=with_secrets
                on_change=move |(on,): (bool,)| {
                    with_secrets.set(on);
                    // A curl command on show follows the choice at once, so unticking hides the secrets.
                    if output.with_untracked(|o| o.starts_with("# The ")) {
                        output.set(curl_text(on));
                    }
                }
                help="Off: the client secret and tokens are masked."
            />
            <When when=move || with_secrets.get()>
                <p class="warning" data-testid="export-secrets-warning" role="alert">
                    "The curl command will contain your client secret and tokens in clear: anyone who sees it can use them. Do not paste it into tickets, chats or shared shells."
                </p>
            </When>
            <pre class="code" class:hidden=move || !has_output() data-testid="export-output" aria-live="polite">
                {move || output.get()}
            </pre>
        </section>
    }
}

/// A timestamp in ISO 8601 (UTC).
fn iso_time(ms: f64) -> String {
    String::from(js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms)).to_iso_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_reads_like_http() {
        let request = HttpRequest {
            method: HttpMethod::Post,
            url: "https://auth.example/token".to_owned(),
            headers: vec![("Accept".to_owned(), "application/json".to_owned())],
            body: Some("grant_type=client_credentials".to_owned()),
        };
        assert_eq!(
            format_request(&request),
            "POST https://auth.example/token\nAccept: application/json\n\ngrant_type=client_credentials"
        );
        let get = HttpRequest {
            method: HttpMethod::Get,
            body: None,
            headers: Vec::new(),
            ..request
        };
        assert_eq!(format_request(&get), "GET https://auth.example/token\n");
    }
}
