//! Step 2's other way in: the device authorization grant (RFC 8628), for when the browser cannot
//! be redirected back (a TV, a locked-down machine, a phone at hand). The user code is shown large
//! with a copy button, the verification address as a link and a QR code; the wizard polls the
//! token endpoint at the service's interval, and the engine's [`DevicePoll`] says when to stop.
//! A client that authenticates by JWT signs a fresh assertion for every request, as step 3 does.

use engine::device::{
    DeviceAuthorization, DeviceError, DeviceFailure, DevicePoll, DeviceStep,
    device_authorization_request, device_token_request, parse_device_authorization,
};
use engine::request::HttpRequest;
use engine::token::parse_token_response;
use engine::{ClientAuth, Endpoint};
use leptos::prelude::*;

use crate::api;
use crate::browser;
use crate::components::{CopyButton, Countdown, PrivateKeyField, SecretField, When};
use crate::state::{CallFailure, CallKind, WizardState};
use crate::wizard::{Step, calls};

/// What the user needs to see while the code is waiting to be entered.
#[derive(Clone, PartialEq)]
struct Shown {
    user_code: String,
    verification_uri: String,
    /// The address with the code in it (the QR code's), or the plain one.
    scan_uri: String,
    qr_svg: String,
    expires_at_ms: f64,
}

/// The device sign-in card; shown when the settings know a device authorization endpoint.
#[component]
pub fn DeviceSignIn() -> impl IntoView {
    let state = WizardState::expect();
    let shown = RwSignal::new(None::<Shown>);
    let status = RwSignal::new(None::<String>);
    let problem = RwSignal::new(None::<String>);
    let running = RwSignal::new(false);
    // Bumped to stop a polling loop (a new start, or Cancel).
    let generation = StoredValue::new(0u32);
    let start = move || {
        generation.update_value(|g| *g = g.wrapping_add(1));
        let mine = generation.get_value();
        problem.set(None);
        status.set(None);
        shown.set(None);
        running.set(true);
        leptos::task::spawn_local(async move {
            let result = run(state, mine, generation, shown, status).await;
            if generation.get_value() == mine {
                running.set(false);
                match result {
                    Ok(()) => {
                        shown.set(None);
                        status.set(Some("Approved: the tokens are in step 3.".to_owned()));
                        state.step.set(Step::Tokens);
                    }
                    Err(message) => problem.set(Some(message)),
                }
            }
        });
    };
    let cancel = move |_| {
        generation.update_value(|g| *g = g.wrapping_add(1));
        running.set(false);
        shown.set(None);
        status.set(Some("Cancelled.".to_owned()));
    };
    // The device requests authenticate the client as the token request does: a confidential
    // client needs its secret here, before step 3 (the same secret as step 3's field).
    let needs_secret = move || {
        state.settings.with(|s| {
            matches!(
                s.token.client_auth,
                ClientAuth::BasicHeader | ClientAuth::Body | ClientAuth::ClientSecretJwt
            )
        })
    };
    // private_key_jwt: the key of step 3's Credentials (one value), with the algorithm and key id
    // set for the bearer token in step 3.
    let key_alg = move || {
        state.settings.with(|s| {
            (s.token.client_auth == ClientAuth::PrivateKeyJwt).then_some(s.token.assertion.alg)
        })
    };
    let key_problem = Signal::derive(move || state.private_key_problem(key_alg()?));
    let signed_with = move || {
        state.settings.with(|s| {
            let assertion = &s.token.assertion;
            let kid = if assertion.key_id.trim().is_empty() {
                "no key id".to_owned()
            } else {
                format!("key id {}", assertion.key_id)
            };
            format!(
                "The device requests are signed {} ({kid}), as set for the bearer token in step 3.",
                assertion.alg.name()
            )
        })
    };
    let secrets = state.secrets;
    view! {
        <section class="card" aria-labelledby="device-title" data-testid="device-signin">
            <h2 id="device-title">"Or sign in on another device"</h2>
            <p class="help">
                "For when the service cannot send this browser back: you get a code to enter at the service's address, on any device (RFC 8628 device flow)."
            </p>
            <When when=needs_secret>
                <SecretField
                    label="Client secret"
                    testid="device-client-secret"
                    value=state.secret_signal(|s| &s.client_secret)
                    reveal=state.reveal
                    on_input=move |(text,): (String,)| secrets.update(|s| s.client_secret = text)
                    help="The device requests authenticate this client like the token request (the same secret as in step 3). Leave empty for a public client, and choose client authentication “None” in step 3."
                />
            </When>
            <When when=move || key_alg().is_some()>
                <PrivateKeyField
                    testid="device-private-key"
                    value=state.secret_signal(|s| &s.private_key)
                    reveal=state.reveal
                    problem=key_problem
                    on_input=move |(text,): (String,)| secrets.update(|s| s.private_key = text)
                />
                <p class="help" data-testid="device-signed-with">{signed_with}</p>
            </When>
            <button
                type="button"
                class="button secondary"
                data-testid="device-start"
                disabled=move || running.get()
                on:click=move |_| start()
            >
                "Get a device code"
            </button>
            {move || {
                shown
                    .get()
                    .map(|shown| {
                        let code = shown.user_code.clone();
                        view! {
                            <div class="device" role="status" aria-live="polite">
                                <p>"Open "
                                    <a
                                        href=shown.verification_uri.clone()
                                        target="_blank"
                                        rel="noopener noreferrer"
                                        data-testid="device-verification-uri"
                                    >
                                        {shown.verification_uri.clone()}
                                    </a>
                                    " and enter this code:"
                                </p>
                                <p class="user-code mono" data-testid="device-user-code">{shown.user_code.clone()}</p>
                                <CopyButton text=Signal::derive(move || code.clone()) testid="copy-device-code" what="the code" />
                                <div
                                    class="qr"
                                    data-testid="device-qr"
                                    role="img"
                                    aria-label=format!("QR code of {}", shown.scan_uri)
                                    inner_html=shown.qr_svg.clone()
                                ></div>
                                <p class="help">
                                    "The code expires in "
                                    <Countdown
                                        until_ms=Signal::derive(move || Some(shown.expires_at_ms))
                                        now_ms=state.now
                                        testid="device-time-left"
                                        ended="no time"
                                        suffix=""
                                    />
                                    "."
                                </p>
                                <button type="button" class="button link" data-testid="device-cancel" on:click=cancel>
                                    "Cancel"
                                </button>
                            </div>
                        }
                    })
            }}
            <p class="help" data-testid="device-status">{move || status.get()}</p>
            {move || {
                problem
                    .get()
                    .map(|text| view! { <p class="error-box" role="alert" data-testid="device-error">{text}</p> })
            }}
        </section>
    }
}

/// Asks for the codes, shows them, and polls until the end; `Err` is the words to show.
async fn run(
    state: WizardState,
    mine: u32,
    generation: StoredValue<u32>,
    shown: RwSignal<Option<Shown>>,
    status: RwSignal<Option<String>>,
) -> Result<(), String> {
    let assertion = signed_assertion(state).await?;
    let request = untrack(|| {
        let settings = state.settings.read();
        device_authorization_request(&settings, &vars_with(state, assertion.as_deref()))
    })
    .map_err(|error| with_hint(error.to_string(), error.hint()))?;
    let reply = send(state, &request).await?;
    // A refusal is explained for the client authentication used (a key the service does not
    // know, a secret it wants).
    let client_auth = untrack(|| state.settings.with(|s| s.token.client_auth));
    let device = parse_device_authorization(reply.status, reply.content_type(), &reply.body)
        .map_err(|error| match &error {
            DeviceError::Service(refusal) => {
                with_hint(error.to_string(), refusal.hint_for(client_auth))
            }
            DeviceError::Missing(_) => error.to_string(),
        })?;
    shown.set(Some(shown_for(&device)));
    let mut poll = DevicePoll::start(&device, now_secs());
    loop {
        status.set(Some(format!(
            "Waiting for the code to be entered… (asking every {} s)",
            poll.interval
        )));
        browser::sleep(i32::try_from(poll.interval * 1000).unwrap_or(i32::MAX)).await;
        if generation.get_value() != mine {
            return Ok(());
        }
        let assertion = signed_assertion(state).await?;
        if generation.get_value() != mine {
            return Ok(());
        }
        let request = untrack(|| {
            let settings = state.settings.read();
            let vars = vars_with(state, assertion.as_deref());
            device_token_request(&settings, &vars, &device.device_code)
        })
        .map_err(|error| with_hint(error.to_string(), error.hint()))?;
        let reply = send(state, &request).await?;
        if generation.get_value() != mine {
            return Ok(());
        }
        let answer = parse_token_response(reply.status, reply.content_type(), &reply.body);
        match poll.on_answer(now_secs(), answer) {
            DeviceStep::Done(response) => {
                calls::accept_tokens(
                    state,
                    CallKind::Bearer,
                    *response,
                    reply.status,
                    &reply.body,
                );
                return Ok(());
            }
            DeviceStep::Wait => {}
            DeviceStep::Failed(failure) => {
                shown.set(None);
                status.set(None);
                return Err(match &failure {
                    DeviceFailure::Service(refusal) => {
                        with_hint(failure.to_string(), refusal.hint_for(client_auth))
                    }
                    _ => failure.to_string(),
                });
            }
        }
    }
}

/// The client assertion for one device request (the token request's: a new `jti` each time),
/// signed as step 3 signs; `Err` says in words why it cannot be, and nothing is sent.
async fn signed_assertion(state: WizardState) -> Result<Option<String>, String> {
    calls::signed_assertion(state, Endpoint::Token)
        .await
        .map_err(|failure: CallFailure| with_hint(failure.message, failure.hint.as_deref()))
}

fn vars_with(state: WizardState, assertion: Option<&str>) -> engine::Vars {
    let mut vars = state.vars();
    if let Some(assertion) = assertion {
        vars.set("client_assertion", assertion);
    }
    vars
}

async fn send(state: WizardState, request: &HttpRequest) -> Result<api::Upstream, String> {
    let relay = untrack(|| state.relay());
    match &relay {
        Some(relay) => relay.proxy(request).await,
        None => api::direct(request).await,
    }
    .map_err(|error| error.to_string())
}

fn shown_for(device: &DeviceAuthorization) -> Shown {
    let scan_uri = device
        .verification_uri_complete
        .clone()
        .unwrap_or_else(|| device.verification_uri.clone());
    let qr_svg = qrcode::QrCode::new(scan_uri.as_bytes())
        .map(|code| {
            code.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(180, 180)
                .build()
        })
        .unwrap_or_default();
    Shown {
        user_code: device.user_code.clone(),
        verification_uri: device.verification_uri.clone(),
        scan_uri,
        qr_svg,
        expires_at_ms: browser::now_ms() + device.expires_in as f64 * 1000.0,
    }
}

fn with_hint(message: String, hint: Option<&str>) -> String {
    match hint {
        Some(hint) => format!("{}. {hint}", message.trim_end_matches('.')),
        None => message,
    }
}

fn now_secs() -> u64 {
    (browser::now_ms() / 1000.0) as u64
}
