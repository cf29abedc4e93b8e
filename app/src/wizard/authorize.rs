//! Step 2: the client flow — client id, redirect URI, scopes and extra parameters, then the
//! authorization that brings back a code. Without a client flow: the account's identifying fields.

use engine::{Param, PkceMethod, ScopeSeparator, SpaceEncoding};
use leptos::prelude::*;

use crate::components::{
    CheckboxField, ChoiceField, CopyButton, Countdown, RedirectDoctor, StatusLine, TextArea,
    TextField, When,
};
use crate::state::WizardState;
use crate::wizard::Step;
use crate::wizard::flow::{self, Source};
use crate::wizard::service::VariableFields;

/// Step 2.
#[component]
pub fn AuthorizeStep() -> impl IntoView {
    let state = WizardState::expect();
    let client_flow = move || state.settings.with(|s| s.authorization.is_some());
    view! {
        <When
            when=client_flow
            fallback=move || {
                view! {
                    <section class="card" aria-labelledby="account-title">
                        <h2 id="account-title">"Your account"</h2>
                        <p>
                            "This service needs no sign-in step: the token comes straight from its token endpoint. "
                            "Fill in what identifies your account, then go on to step 3."
                        </p>
                        {move || {
                            if state.settings.with(engine::ServiceSettings::needs_client_id) {
                                view! { <ClientIdField /> }.into_any()
                            } else {
                                view! { <p class="help">"Its requests need no client ID of yours."</p> }.into_any()
                            }
                        }}
                    </section>
                    <VariableFields />
                }
            }
        >
            <section class="card intro" aria-labelledby="authorize-title">
                <h2 id="authorize-title">"Authorize access"</h2>
                <p>
                    "You need this step only the first time, when the refresh token has expired, or to change scopes."
                </p>
                <button
                    type="button"
                    class="button link"
                    data-testid="skip-to-tokens"
                    on:click=move |_| state.step.set(Step::Tokens)
                >
                    "I already have a refresh token — go to the tokens →"
                </button>
            </section>
            <Registration />
            <Scopes />
            <ExtraParams />
            <Advanced />
            <SignIn />
            <When when=move || state.settings.with(|s| s.authorization.as_ref().is_some_and(|a| !a.device_url.is_empty()))>
                <crate::wizard::device::DeviceSignIn />
            </When>
        </When>
    }
}

/// The client id, labelled the way the service calls it.
#[component]
fn ClientIdField() -> impl IntoView {
    let state = WizardState::expect();
    let label = move || state.settings.with(|s| s.client_id_label.clone());
    let problem = move || {
        state
            .client_id
            .with(|id| engine::input::single_line_problem(id))
    };
    view! {
        <div class="field">
            <label for="client-id" data-testid="client-id-label">{label}</label>
            <input
                id="client-id"
                data-testid="client-id"
                class="mono"
                type="text"
                spellcheck="false"
                autocomplete="off"
                aria-invalid=move || problem().is_some().then_some("true")
                aria-describedby=move || {
                    if problem().is_some() { "client-id-help client-id-error" } else { "client-id-help" }
                }
                prop:value=move || state.client_id.get()
                on:input=move |ev| state.client_id.set(event_target_value(&ev))
            />
            <p class="help" id="client-id-help">"From the app (client) you registered with the service."</p>
            {move || {
                problem()
                    .map(|problem| {
                        view! { <p class="field-error" id="client-id-error">{format!("{} {problem}.", label())}</p> }
                    })
            }}
        </div>
    }
}

/// Client id and redirect URI: what must match the app registration.
#[component]
fn Registration() -> impl IntoView {
    let state = WizardState::expect();
    let redirect_note = move || {
        state
            .preset()
            .map(|p| p.notes.redirect_uri.clone())
            .filter(|n| !n.is_empty())
    };
    let listener = move || flow::needs_listener(state);
    let redirect_problem = move || {
        state
            .redirect_uri
            .with(|uri| engine::input::redirect_uri_problem(uri))
    };
    view! {
        <section class="card" aria-labelledby="registration-title">
            <h2 id="registration-title">"Your app registration"</h2>
            <ClientIdField />
            <div class="field">
                <label for="redirect-uri">"Redirect URI"</label>
                <div class="row">
                    <input
                        id="redirect-uri"
                        data-testid="redirect-uri"
                        class="mono grow"
                        type="url"
                        spellcheck="false"
                        autocomplete="off"
                        aria-invalid=move || redirect_problem().is_some().then_some("true")
                        aria-describedby=move || {
                            if redirect_problem().is_some() { "redirect-uri-help redirect-uri-error" } else { "redirect-uri-help" }
                        }
                        prop:value=move || state.redirect_uri.get()
                        on:input=move |ev| {
                            // A listener answered for the old URI; the note must not offer it for the new one.
                            state.listen_uri.set(None);
                            state.redirect_uri.set(event_target_value(&ev));
                        }
                    />
                    <CopyButton text=state.redirect_uri testid="copy-redirect-uri" what="Copy the redirect URI" />
                </div>
                {move || {
                    redirect_problem()
                        .map(|problem| {
                            view! { <p class="field-error" id="redirect-uri-error" data-testid="redirect-uri-error">{format!("The redirect URI {problem}.")}</p> }
                        })
                }}
                <p class="help" id="redirect-uri-help">
                    "Register this exact URI with the service: scheme, host, port, path and trailing slash must match character for character. "
                    <button
                        type="button"
                        class="button link inline"
                        on:click=move |_| state.redirect_uri.set(state.default_redirect_uri())
                    >
                        "Use the default"
                    </button>
                </p>
                {move || {
                    listener()
                        .then(|| {
                            view! {
                                <p class="notice" data-testid="listen-note">
                                    {move || match state.listen_uri.get() {
                                        Some(uri) => format!("The relay listens on this URI for one callback. Register exactly: {uri}"),
                                        None => "This is a loopback address: the local relay will listen on it once you start the authorization.".to_owned(),
                                    }}
                                    {move || {
                                        let https = state.redirect_uri.with(|uri| {
                                            uri.trim().get(..8).is_some_and(|s| s.eq_ignore_ascii_case("https://"))
                                        });
                                        https.then_some(
                                            " It answers https with a certificate it made itself, so the browser warns once when the service sends you back: choose to go on to localhost (Advanced, then Proceed).",
                                        )
                                    }}
                                </p>
                            }
                        })
                }}
                {move || redirect_note().map(|note| view! { <p class="help">{note}</p> })}
                {move || state.preset().and_then(|p| p.redirect.clone().map(|rules| view! {
                    <RedirectDoctor service=p.name.clone() rules sent=state.redirect_uri />
                }))}
            </div>
        </section>
    }
}

/// The scope list, with the joined and encoded value shown live.
#[component]
fn Scopes() -> impl IntoView {
    let state = WizardState::expect();
    let text = Signal::derive(move || state.authorization(|a| a.scopes.join("\n")));
    let error = RwSignal::new(None::<String>);
    let set_scopes = move |(text,): (String,)| {
        let scopes = crate::lines::parse_list(&text);
        match scopes
            .iter()
            .enumerate()
            .find_map(|(index, scope)| engine::scopes::scope_problem(scope).map(|p| (index, p)))
        {
            Some((index, problem)) => error.set(Some(format!(
                "Not applied yet: scope {}: {problem}.",
                index + 1
            ))),
            None => {
                error.set(None);
                state.update_authorization(|a| a.scopes = scopes);
            }
        }
    };
    let encoded = move || state.authorization(engine::scopes::scope_in_url);
    view! {
        <section class="card" aria-labelledby="scopes-title">
            <h2 id="scopes-title">"Scopes"</h2>
            <TextArea
                label="Scopes to request, one per line"
                testid="scopes"
                text=text
                reload=state.revision
                on_input=set_scopes
                error=error
                rows=4
                help="Ask only for what you need; the service may show each one on its consent screen."
            />
            <p class="preview-line" data-testid="scope-preview">
                {move || {
                    let (joined, encoded) = encoded();
                    if joined.is_empty() {
                        "No scope is sent.".to_owned()
                    } else {
                        format!("scope = “{joined}” → scope={encoded}")
                    }
                }}
            </p>
        </section>
    }
}

/// Extra authorization parameters as editable name/value rows.
#[component]
fn ExtraParams() -> impl IntoView {
    let state = WizardState::expect();
    // Rows are rebuilt only when one is added or removed, so typing never replaces the input.
    let count = Memo::new(move |_| {
        state
            .settings
            .with(|s| s.authorization.as_ref().map_or(0, |a| a.params.len()))
    });
    let read = move |index: usize, value: fn(&Param) -> String| {
        state.settings.with(|s| {
            s.authorization
                .as_ref()
                .and_then(|a| a.params.get(index))
                .map(value)
                .unwrap_or_default()
        })
    };
    let edit = move |index: usize, change: &dyn Fn(&mut Vec<Param>, usize)| {
        state.settings.update(|s| {
            if let Some(auth) = &mut s.authorization
                && index <= auth.params.len()
            {
                change(&mut auth.params, index);
            }
        });
    };
    // The row's problem (an empty name, a space in it, an unknown variable in the value).
    let problem = move |index: usize| {
        let name = read(index, |p| p.name.clone());
        state.settings.with(|s| {
            crate::state::authorization_problem(s, |field| {
                *field == engine::Field::AuthorizationParam(name.clone())
            })
        })
    };
    let add = move |_| {
        edit(count.get_untracked(), &|params, _| {
            params.push(Param {
                name: String::new(),
                value: String::new(),
                optional: false,
            });
        });
    };
    view! {
        <section class="card" aria-labelledby="params-title">
            <h2 id="params-title">"Extra authorization parameters"</h2>
            <p class="help">
                "Sent with the authorization request, e.g. access_type=offline. Values may use {variables}; a name like a standard parameter replaces it."
            </p>
            <div class="param-rows">
                <For each=move || 0..count.get() key=|index| *index let:index>
                    <div class="param-row">
                        <div class="field">
                            <label for=format!("auth-param-name-{index}")>{format!("Name {}", index + 1)}</label>
                            <input
                                id=format!("auth-param-name-{index}")
                                data-testid=format!("auth-param-name-{index}")
                                class="mono"
                                type="text"
                                spellcheck="false"
                                autocomplete="off"
                                aria-invalid=move || problem(index).is_some().then_some("true")
                                aria-describedby=move || {
                                    problem(index).map(|_| format!("auth-param-error-{index}"))
                                }
                                prop:value=move || read(index, |p| p.name.clone())
                                on:input=move |ev| {
                                    let name = event_target_value(&ev);
                                    edit(index, &|params, i| {
                                        if let Some(p) = params.get_mut(i) {
                                            p.name = name.clone();
                                        }
                                    });
                                }
                            />
                        </div>
                        <div class="field grow">
                            <label for=format!("auth-param-value-{index}")>{format!("Value {}", index + 1)}</label>
                            <input
                                id=format!("auth-param-value-{index}")
                                data-testid=format!("auth-param-value-{index}")
                                class="mono"
                                type="text"
                                spellcheck="false"
                                autocomplete="off"
                                prop:value=move || read(index, |p| p.value.clone())
                                on:input=move |ev| {
                                    let value = event_target_value(&ev);
                                    edit(index, &|params, i| {
                                        if let Some(p) = params.get_mut(i) {
                                            p.value = value.clone();
                                        }
                                    });
                                }
                            />
                        </div>
                        <button
                            type="button"
                            class="button secondary small align-end"
                            data-testid=format!("auth-param-remove-{index}")
                            aria-label=format!("Remove parameter {}", index + 1)
                            on:click=move |_| {
                                edit(index, &|params, i| {
                                    if i < params.len() {
                                        params.remove(i);
                                    }
                                })
                            }
                        >
                            "Remove"
                        </button>
                        {move || {
                            problem(index)
                                .map(|text| {
                                    view! {
                                        <p
                                            class="field-error row-error"
                                            id=format!("auth-param-error-{index}")
                                            data-testid=format!("auth-param-error-{index}")
                                        >
                                            {text}
                                        </p>
                                    }
                                })
                        }}
                    </div>
                </For>
            </div>
            <button type="button" class="button secondary" data-testid="auth-param-add" on:click=add>
                "+ Add a parameter"
            </button>
        </section>
    }
}

/// PKCE, state, scope joining and kept callback parameters.
#[component]
fn Advanced() -> impl IntoView {
    let state = WizardState::expect();
    let open = RwSignal::new(false);
    let pkce = Signal::derive(move || state.authorization(|a| a.pkce == PkceMethod::S256));
    let set_pkce = move |(on,): (bool,)| {
        let pkce = if on {
            PkceMethod::S256
        } else {
            PkceMethod::None
        };
        state.update_authorization(|a| a.pkce = pkce);
    };
    let callback_params =
        Signal::derive(move || state.authorization(|a| a.callback_params.join("\n")));
    // A kept name the settings cannot use (`a b`, `client_id` …), at the editor.
    let callback_problem = Signal::derive(move || {
        state.settings.with(|s| {
            let mine: Vec<String> = s
                .validate()
                .err()
                .unwrap_or_default()
                .into_iter()
                .filter(|e| matches!(e.field, engine::Field::CallbackParam(_)))
                .map(|e| format!("{e}."))
                .collect();
            (!mine.is_empty()).then(|| mine.join(" "))
        })
    });
    let set_callback_params = move |(text,): (String,)| {
        state.update_authorization(|a| a.callback_params = crate::lines::parse_list(&text));
    };
    let issuer = Signal::derive(move || state.authorization(|a| a.issuer.clone()));
    let set_issuer = move |(text,): (String,)| state.update_authorization(|a| a.issuer = text);
    let issuer_required = Signal::derive(move || state.authorization(|a| a.issuer_required));
    let set_issuer_required =
        move |(on,): (bool,)| state.update_authorization(|a| a.issuer_required = on);
    view! {
        <section class="card" aria-labelledby="advanced-title">
            <h2 id="advanced-title" class="toggle-title">
                <button
                    type="button"
                    class="disclosure"
                    data-testid="advanced-toggle"
                    aria-expanded=move || open.get().to_string()
                    aria-controls="advanced-body"
                    on:click=move |_| open.update(|o| *o = !*o)
                >
                    <span class="chevron" aria-hidden="true">"▸"</span>
                    "Advanced: PKCE, state, scope format, issuer"
                </button>
            </h2>
            <When when=move || open.get()>
                <div id="advanced-body">
                    <CheckboxField
                        label="Use PKCE (S256)"
                        testid="pkce-enabled"
                        checked=pkce
                        on_change=set_pkce
                        help="Proof Key for Code Exchange protects the code; leave it on unless the service rejects it."
                    />
                    <TextField
                        label="State"
                        testid="state-value"
                        value=state.secret_signal(|s| &s.state)
                        on_input=move |(text,): (String,)| {
                            state.secrets.update(|s| s.state = text);
                            state.state_typed.set(true);
                        }
                        help="A fresh random value is made for each authorization unless you type one here. The answer must carry it back."
                        mono=true
                    />
                    <div class="grid two">
                        <ChoiceField
                            label="Scope separator"
                            testid="scope-separator"
                            value=Signal::derive(move || state.authorization(|a| a.scope_separator))
                            on_change=move |(separator,): (ScopeSeparator,)| {
                                state.update_authorization(|a| a.scope_separator = separator)
                            }
                        />
                        <ChoiceField
                            label="Spaces in the URL"
                            testid="space-encoding"
                            value=Signal::derive(move || state.authorization(|a| a.space_encoding))
                            on_change=move |(spaces,): (SpaceEncoding,)| {
                                state.update_authorization(|a| a.space_encoding = spaces)
                            }
                        />
                    </div>
                    <TextArea
                        label="Callback parameters to keep, one per line"
                        testid="callback-params"
                        text=callback_params
                        reload=state.revision
                        on_input=set_callback_params
                        problem=callback_problem
                        rows=2
                        help="Extra values the service adds to the redirect (e.g. realmId), kept as {variables} for step 3."
                    />
                    <TextField
                        label="Issuer"
                        testid="issuer"
                        value=issuer
                        on_input=set_issuer
                        help="Discovery fills it in. When set, an answer naming another issuer (its iss parameter, RFC 9207) is refused."
                        placeholder="https://login.example.com"
                        mono=true
                    />
                    <CheckboxField
                        label="The service always names its issuer in the answer"
                        testid="issuer-required"
                        checked=issuer_required
                        on_change=set_issuer_required
                        help="Then an answer without iss is refused too."
                    />
                </div>
            </When>
        </section>
    }
}

/// Starting the authorization, waiting for it, and the code field.
#[component]
fn SignIn() -> impl IntoView {
    let state = WizardState::expect();
    let waiting = move || state.attempt.with(|a| a.waiting().cloned());
    let kept = Memo::new(move |_| state.authorization(|a| a.callback_params.clone()));
    let start_blocker = move || state.progress().start_blocker();
    view! {
        <section class="card" aria-labelledby="signin-title">
            <h2 id="signin-title">"Client-flow authorization"</h2>
            <p class="help">"You sign in at the service and approve access; the code it sends back comes here."</p>
            <div class="row wrap">
                <button
                    type="button"
                    class="button primary"
                    data-testid="start-authorization"
                    disabled=move || start_blocker().is_some()
                    on:click=move |_| flow::start(state)
                >
                    "Start client-flow authorization…"
                </button>
                <span class="help" data-testid="start-blocker">{start_blocker}</span>
            </div>
            {move || {
                waiting()
                    .map(|waiting| {
                        view! {
                            <div class="waiting" data-testid="auth-waiting" role="status" aria-live="polite">
                                <span class="spinner" aria-hidden="true"></span>
                                <div class="grow">
                                    <p>"Waiting for the service to send you back…"</p>
                                    <p class="help">
                                        "The sign-in must be finished within "
                                        <Countdown
                                            until_ms=Signal::derive(move || Some(waiting.expires_at_ms))
                                            now_ms=state.now
                                            testid="auth-time-left"
                                            ended="no time"
                                            suffix=""
                                        />
                                        "."
                                    </p>
                                    {waiting
                                        .blocked
                                        .then(|| {
                                            view! {
                                                <p>
                                                    <a
                                                        class="button secondary"
                                                        href=waiting.provider_url.clone()
                                                        target="_blank"
                                                        rel="opener"
                                                        data-testid="open-provider"
                                                    >
                                                        "Open the sign-in page ↗"
                                                    </a>
                                                </p>
                                            }
                                        })}
                                </div>
                                <button
                                    type="button"
                                    class="button secondary"
                                    data-testid="auth-cancel"
                                    on:click=move |_| flow::cancel(state)
                                >
                                    "Cancel"
                                </button>
                            </div>
                        }
                    })
            }}
            <div class="field">
                <label for="code">"Authorization code"</label>
                <input
                    id="code"
                    data-testid="code"
                    class="mono"
                    type="text"
                    spellcheck="false"
                    autocomplete="off"
                    aria-describedby="code-help"
                    prop:value=move || state.code_field.get()
                    on:input=move |ev| {
                        let text = event_target_value(&ev);
                        state.code_field.set(text.clone());
                        if text.trim().is_empty() {
                            state.secrets.update(|s| s.code.clear());
                            state.code_status.set(None);
                        } else {
                            flow::handle_callback(state, &text, Source::Paste);
                        }
                    }
                />
                <p class="help" id="code-help">
                    "Arrives by itself. If it does not, paste the code — or the whole address the service redirected to."
                </p>
            </div>
            <StatusLine status=state.code_status testid="code-status" />
            {move || {
                kept
                    .get()
                    .into_iter()
                    .map(|name| {
                        let value = Signal::derive({
                            let name = name.clone();
                            move || state.value(&name)
                        });
                        view! {
                            <TextField
                                label=format!("Callback parameter {name}")
                                testid=format!("callback-param-{name}")
                                value=value
                                on_input=move |(text,): (String,)| state.set_value(&name, text)
                                mono=true
                            />
                        }
                    })
                    .collect_view()
            }}
        </section>
    }
}
