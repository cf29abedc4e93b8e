//! The wizard's shared state: one `Copy` struct of signals provided as context, plus the rules for
//! loading and saving it.
//!
//! Non-secret settings persist per service in `localStorage`. Secrets and tokens never reach
//! `localStorage` unless the user ticks "remember on this device": by default the client secret,
//! the code and the tokens stay in memory (gone with a reload), and only the `state` and PKCE
//! verifier of the authorization in progress go to `sessionStorage`, so that a code pasted after
//! a reload can still be checked and redeemed. The current step lives in the URL hash, not here.

use std::collections::BTreeMap;

use engine::{
    AuthorizationSettings, EndpointSettings, ParkedFlow, PkceMethod, ServiceSettings, Vars,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::{Relay, RelayConfig};
use crate::storage::{self, Area};
use crate::wizard::{Progress, Step};

/// The service id used for "Customize OAuth settings".
pub const CUSTOM_SERVICE: &str = "custom";

/// The path of the relay's callback page when `/api/config` has not answered (contract 3).
pub const DEFAULT_CALLBACK_PATH: &str = "/callback";

/// The secret values. They never reach `localStorage` unless the user opts in.
#[derive(Clone, Copy)]
pub struct Secrets {
    /// `{client_secret}`.
    pub client_secret: RwSignal<String>,
    /// `{user_name}`: a user id whose secret is the client secret (masked like one).
    pub user_name: RwSignal<String>,
    /// `{private_key}`: the key of `private_key_jwt` (PKCS #8 PEM or a private JWK).
    pub private_key: RwSignal<String>,
    /// `{code}`: the authorization code.
    pub code: RwSignal<String>,
    /// `{state}` of the current or last authorization request.
    pub state: RwSignal<String>,
    /// `{code_verifier}` of the current or last authorization request.
    pub code_verifier: RwSignal<String>,
    /// `{token}`: the current access token.
    pub access_token: RwSignal<String>,
    /// `{refresh_token}`: the current refresh token.
    pub refresh_token: RwSignal<String>,
}

/// The user's preferences, shared by every service.
#[derive(Clone, Copy)]
pub struct Prefs {
    /// Another relay's base URL; empty means this site's own relay.
    pub relay_url: RwSignal<String>,
    /// Call token endpoints straight from the browser (CORS permitting).
    pub no_relay: RwSignal<bool>,
    /// Keep secrets and tokens in `localStorage`.
    pub remember: RwSignal<bool>,
    /// Refresh the token shortly before it expires.
    pub auto_refresh: RwSignal<bool>,
}

/// Which token endpoint a call went to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CallKind {
    /// The bearer token request.
    Bearer,
    /// The refresh request.
    Refresh,
}

/// The last successful token response, as shown in the results (the tokens themselves are in [`Secrets`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenOutcome {
    /// Which call produced it.
    pub kind: CallKind,
    /// When it arrived (ms since the epoch).
    pub received_at_ms: f64,
    /// `token_type`.
    pub token_type: Option<String>,
    /// `expires_in` in seconds.
    pub expires_in: Option<u64>,
    /// `refresh_token_expires_in` in seconds.
    pub refresh_token_expires_in: Option<u64>,
    /// `scope` as granted by the server.
    pub scope_granted: Option<String>,
    /// The scope that was requested.
    pub scope_requested: String,
    /// `id_token`, when OpenID Connect issued one.
    pub id_token: Option<String>,
    /// The HTTP status.
    pub status: u16,
    /// The raw response body (pretty-printed when it is JSON).
    pub raw: String,
}

impl TokenOutcome {
    /// When the access token expires (ms since the epoch), if the server said.
    pub fn expires_at_ms(&self) -> Option<f64> {
        self.expires_in
            .map(|seconds| self.received_at_ms + seconds as f64 * 1000.0)
    }

    /// When an automatic refresh is due: at 80 % of the lifetime, and at least one second before expiry.
    pub fn refresh_due_ms(&self) -> Option<f64> {
        let lifetime = self.expires_in? as f64;
        let delay = (lifetime * 0.8).min(lifetime - 1.0).max(0.0);
        Some(self.received_at_ms + delay * 1000.0)
    }
}

/// A failed token endpoint call, as shown in the error box.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallFailure {
    /// The headline.
    pub message: String,
    /// OAuth `error`.
    pub code: Option<String>,
    /// OAuth `error_description`.
    pub description: Option<String>,
    /// The endpoint's HTTP status.
    pub status: Option<u16>,
    /// What to do about it.
    pub hint: Option<String>,
    /// For a redirect URI mismatch: the URI sent when authorizing, and the one in the token request.
    pub redirect_uris: Option<(String, String)>,
    /// The raw response body.
    pub raw: Option<String>,
}

/// A status line with its tone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// Success, information or error.
    pub tone: Tone,
    /// The words.
    pub text: String,
}

/// How a status line looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Something worked.
    Ok,
    /// Neutral progress.
    Info,
    /// Something failed.
    Error,
}

impl Status {
    /// A success line.
    pub fn ok(text: impl Into<String>) -> Self {
        Self {
            tone: Tone::Ok,
            text: text.into(),
        }
    }
    /// A neutral line.
    pub fn info(text: impl Into<String>) -> Self {
        Self {
            tone: Tone::Info,
            text: text.into(),
        }
    }
    /// An error line.
    pub fn error(text: impl Into<String>) -> Self {
        Self {
            tone: Tone::Error,
            text: text.into(),
        }
    }
}

/// An authorization request in progress: the provider page is open and the wizard waits for the code.
#[derive(Clone, Debug, PartialEq)]
pub struct Waiting {
    /// When the relay forgets the registration (ms since the epoch).
    pub expires_at_ms: f64,
    /// The provider URL (shown as a link when the popup was blocked).
    pub provider_url: String,
    /// The browser blocked both the popup and the new tab.
    pub blocked: bool,
}

/// The shared state of the wizard. `Copy`: every field is a signal handle.
#[derive(Clone, Copy)]
pub struct WizardState {
    /// The step shown.
    pub step: RwSignal<Step>,
    /// The chosen preset's id, [`CUSTOM_SERVICE`], or nothing yet.
    pub service_id: RwSignal<Option<String>>,
    /// The settings being edited.
    pub settings: RwSignal<ServiceSettings>,
    /// The client flow's settings while client-flow authorization is off (and the other flow's
    /// token request), so that switching back brings them back.
    pub parked: RwSignal<ParkedFlow>,
    /// Bumped whenever `settings` is replaced from outside the editors (preset, reset, import), so
    /// multi-line editors reload their text instead of keeping what the user typed before.
    pub revision: RwSignal<u64>,
    /// Values of the service's variables and kept callback parameters.
    pub values: RwSignal<BTreeMap<String, String>>,
    /// `{client_id}`.
    pub client_id: RwSignal<String>,
    /// `{redirect_uri}`.
    pub redirect_uri: RwSignal<String>,
    /// The secret values.
    pub secrets: Secrets,
    /// Preferences.
    pub prefs: Prefs,
    /// What the code field shows: the code, or what the user is typing or pasting.
    pub code_field: RwSignal<String>,
    /// The state field was typed by the user: keep it instead of generating one.
    pub state_typed: RwSignal<bool>,
    /// The redirect URI sent in the last authorization request (to explain a mismatch).
    pub authorized_redirect_uri: RwSignal<String>,
    /// The exact loopback URI the local relay listens on, when it chose one.
    pub listen_uri: RwSignal<Option<String>>,
    /// The authorization request in progress.
    pub waiting: RwSignal<Option<Waiting>>,
    /// What happened to the code (received, refused, provider error).
    pub code_status: RwSignal<Option<Status>>,
    /// The last successful token response.
    pub outcome: RwSignal<Option<TokenOutcome>>,
    /// The last failed call.
    pub failure: RwSignal<Option<CallFailure>>,
    /// The last automatic refresh, when it failed (shown with the automatic refresh switch).
    pub auto_refresh_failure: RwSignal<Option<CallFailure>>,
    /// The call in flight.
    pub calling: RwSignal<Option<CallKind>>,
    /// Successful refreshes since the last bearer token.
    pub refresh_count: RwSignal<u32>,
    /// Show secrets in clear.
    pub reveal: RwSignal<bool>,
    /// The relay's `/api/config`, once it answered.
    pub relay_config: RwSignal<Option<RelayConfig>>,
    /// The clock, ticking every second (ms since the epoch).
    pub now: RwSignal<f64>,
    /// Storage keys whose last write the browser refused (storage full): what the user sees
    /// there is not saved. Empty when everything is saved.
    pub unsaved: RwSignal<std::collections::BTreeSet<String>>,
}

#[derive(Serialize, Deserialize)]
struct SavedPrefs {
    service: Option<String>,
    relay_url: String,
    no_relay: bool,
    remember: bool,
    auto_refresh: bool,
}

/// What persists per service in `localStorage` (no secrets).
#[derive(Serialize, Deserialize)]
struct SavedService {
    settings: ServiceSettings,
    #[serde(default)]
    parked: ParkedFlow,
    values: BTreeMap<String, String>,
    client_id: String,
    redirect_uri: String,
}

/// What persists per service: everything in `localStorage` when remembered; otherwise only the
/// authorization in progress (`state`, verifier, redirect URI) in `sessionStorage`.
#[derive(Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
struct SavedSecrets {
    client_secret: String,
    user_name: String,
    private_key: String,
    code: String,
    state: String,
    code_verifier: String,
    access_token: String,
    refresh_token: String,
    outcome: Option<TokenOutcome>,
    refresh_count: u32,
    authorized_redirect_uri: String,
}

impl SavedSecrets {
    /// Only what an authorization in progress needs across a reload: no secret a reload should drop.
    fn in_progress_only(self) -> Self {
        Self {
            state: self.state,
            code_verifier: self.code_verifier,
            authorized_redirect_uri: self.authorized_redirect_uri,
            ..Self::default()
        }
    }
}

const PREFS_KEY: &str = "otw.prefs";

fn service_key(id: &str) -> String {
    format!("otw.service.{id}")
}

fn secrets_key(id: &str) -> String {
    format!("otw.secrets.{id}")
}

/// The settings "Customize OAuth settings" starts from: the standard RFC 6749 requests with every
/// URL left for the user to fill in.
pub fn blank_settings(client_flow: bool) -> ServiceSettings {
    ServiceSettings {
        client_id_label: "Client ID".to_owned(),
        variables: Vec::new(),
        authorization: client_flow.then(AuthorizationSettings::blank),
        token: blank_token(client_flow),
        refresh: Some(EndpointSettings::refresh_token("")),
    }
}

/// The blank token request: the code exchange with a client flow, client credentials without.
pub fn blank_token(client_flow: bool) -> EndpointSettings {
    if client_flow {
        EndpointSettings::authorization_code("")
    } else {
        EndpointSettings::client_credentials("")
    }
}

/// Whether the settings use the client id: a client flow, client authentication (a public
/// client's included), or a template with `{client_id}`.
pub fn needs_client_id(settings: &ServiceSettings) -> bool {
    let uses = |source: &str| {
        engine::template::Template::parse(source)
            .is_ok_and(|t| t.variables().contains(&"client_id"))
    };
    let endpoint_uses = |e: &EndpointSettings| {
        e.client_auth_sends_client_id()
            || uses(&e.url)
            || e.query
                .iter()
                .chain(&e.body)
                .chain(&e.headers)
                .any(|p| uses(&p.value))
    };
    settings.authorization.is_some()
        || endpoint_uses(&settings.token)
        || settings.refresh.as_ref().is_some_and(endpoint_uses)
}

/// The first problem of the client flow's settings that `at` picks (the authorization URL, a
/// parameter, a callback parameter), as shown at that field and in the Next and Start rules.
pub fn authorization_problem(
    settings: &ServiceSettings,
    at: impl Fn(&engine::Field) -> bool,
) -> Option<String> {
    settings.authorization.as_ref()?;
    settings
        .validate()
        .err()?
        .into_iter()
        .find(|e| at(&e.field))
        .map(|e| e.to_string())
}

impl WizardState {
    /// Creates the state from what the browser stored, and provides it as context.
    pub fn provide() -> Self {
        let prefs: Option<SavedPrefs> = storage::get_json(Area::Local, PREFS_KEY);
        let state = Self {
            step: RwSignal::new(Step::Service),
            service_id: RwSignal::new(None),
            settings: RwSignal::new(blank_settings(true)),
            parked: RwSignal::new(ParkedFlow::default()),
            revision: RwSignal::new(0),
            values: RwSignal::new(BTreeMap::new()),
            client_id: RwSignal::new(String::new()),
            redirect_uri: RwSignal::new(String::new()),
            secrets: Secrets {
                client_secret: RwSignal::new(String::new()),
                user_name: RwSignal::new(String::new()),
                private_key: RwSignal::new(String::new()),
                code: RwSignal::new(String::new()),
                state: RwSignal::new(String::new()),
                code_verifier: RwSignal::new(String::new()),
                access_token: RwSignal::new(String::new()),
                refresh_token: RwSignal::new(String::new()),
            },
            prefs: Prefs {
                relay_url: RwSignal::new(
                    prefs
                        .as_ref()
                        .map(|p| p.relay_url.clone())
                        .unwrap_or_default(),
                ),
                no_relay: RwSignal::new(prefs.as_ref().is_some_and(|p| p.no_relay)),
                remember: RwSignal::new(prefs.as_ref().is_some_and(|p| p.remember)),
                auto_refresh: RwSignal::new(prefs.as_ref().is_none_or(|p| p.auto_refresh)),
            },
            code_field: RwSignal::new(String::new()),
            state_typed: RwSignal::new(false),
            authorized_redirect_uri: RwSignal::new(String::new()),
            listen_uri: RwSignal::new(None),
            waiting: RwSignal::new(None),
            code_status: RwSignal::new(None),
            outcome: RwSignal::new(None),
            failure: RwSignal::new(None),
            auto_refresh_failure: RwSignal::new(None),
            calling: RwSignal::new(None),
            refresh_count: RwSignal::new(0),
            reveal: RwSignal::new(false),
            relay_config: RwSignal::new(None),
            now: RwSignal::new(crate::browser::now_ms()),
            unsaved: RwSignal::new(Default::default()),
        };
        if let Some(id) = prefs.and_then(|p| p.service) {
            state.load_service(&id);
        }
        provide_context(state);
        state.persist();
        state
    }

    /// The state provided by [`WizardState::provide`].
    pub fn expect() -> Self {
        expect_context::<Self>()
    }

    /// The relay to use, or `None` for direct calls.
    pub fn relay(&self) -> Option<Relay> {
        (!self.prefs.no_relay.get()).then(|| Relay::new(&self.prefs.relay_url.get()))
    }

    /// The relay's callback page: the default redirect URI.
    pub fn relay_callback_url(&self) -> String {
        let path = self
            .relay_config
            .with(|config| config.as_ref().map(|c| c.callback_path.clone()))
            .filter(|path| path.starts_with('/'))
            .unwrap_or_else(|| DEFAULT_CALLBACK_PATH.to_owned());
        Relay::new(&self.prefs.relay_url.get()).callback_url(&path)
    }

    /// The redirect URI a service starts with: the one its documentation dictates, else the relay's callback.
    pub fn default_redirect_uri(&self) -> String {
        let dictated = self.authorization(|a| a.redirect_uri.trim().to_owned());
        if dictated.is_empty() {
            self.relay_callback_url()
        } else {
            dictated
        }
    }

    /// The preset currently chosen (not for custom settings).
    pub fn preset(&self) -> Option<&'static presets::Preset> {
        self.service_id
            .with(|id| id.as_deref().and_then(presets::by_id))
    }

    /// One value read from the authorization settings, tracked; the type's default when the
    /// service has no client flow. A plain `fn` keeps one copy of this code per value type.
    pub fn authorization<T: Default>(&self, read: fn(&AuthorizationSettings) -> T) -> T {
        self.settings
            .with(|s| s.authorization.as_ref().map(read).unwrap_or_default())
    }

    /// Changes the authorization settings; nothing when the service has no client flow.
    pub fn update_authorization(&self, change: impl FnOnce(&mut AuthorizationSettings)) {
        self.settings.update(|s| {
            if let Some(auth) = &mut s.authorization {
                change(auth);
            }
        });
    }

    /// The value of a service variable or kept callback parameter.
    pub fn value(&self, name: &str) -> String {
        self.values
            .with(|values| values.get(name).cloned())
            .unwrap_or_default()
    }

    /// Sets a service variable or kept callback parameter.
    pub fn set_value(&self, name: &str, value: String) {
        self.values.update(|values| {
            values.insert(name.to_owned(), value);
        });
    }

    /// Every variable the request builders need, from every step.
    pub fn vars(&self) -> Vars {
        let mut vars = Vars::new();
        self.values.with(|values| {
            for (name, value) in values {
                vars.set(name.clone(), value.clone());
            }
        });
        let pkce = self.authorization(|a| a.pkce == PkceMethod::S256);
        let secrets = self.secrets;
        vars.set("client_id", self.client_id.get());
        vars.set("redirect_uri", self.redirect_uri.get());
        vars.set("code", secrets.code.get());
        vars.set("state", secrets.state.get());
        vars.set(
            "code_verifier",
            if pkce {
                secrets.code_verifier.get()
            } else {
                String::new()
            },
        );
        vars.set("client_secret", secrets.client_secret.get());
        vars.set("user_name", secrets.user_name.get());
        vars.set("private_key", secrets.private_key.get());
        vars.set("token", secrets.access_token.get());
        vars.set("refresh_token", secrets.refresh_token.get());
        vars
    }

    /// The scope value the service receives (the list joined with its separator).
    pub fn joined_scope(&self) -> String {
        self.authorization(|a| engine::scopes::join_scopes(&a.scopes, a.scope_separator))
    }

    /// What the navigation rules need to know.
    pub fn progress(&self) -> Progress {
        let settings = self.settings.read();
        let values = self.values.read();
        let missing_variable = settings
            .variables
            .iter()
            .find(|spec| {
                values
                    .get(&spec.name)
                    .map_or(spec.default.trim(), |v| v.trim())
                    .is_empty()
            })
            .map(|spec| spec.label.clone());
        let client_flow = settings.authorization.is_some();
        let needs_client_id = needs_client_id(&settings);
        Progress {
            service_chosen: self.service_id.with(Option::is_some),
            missing_variable,
            client_flow,
            authorization_url_missing: settings
                .authorization
                .as_ref()
                .is_some_and(|a| a.url.trim().is_empty()),
            missing_client_id: (needs_client_id && self.client_id.with(|id| id.trim().is_empty()))
                .then(|| settings.client_id_label.clone()),
            has_code: self.secrets.code.with(|code| !code.trim().is_empty()),
            authorization_url_problem: authorization_problem(&settings, |f| {
                *f == engine::Field::AuthorizationUrl
            }),
            authorization_params_problem: authorization_problem(&settings, |f| {
                matches!(
                    f,
                    engine::Field::AuthorizationParam(_) | engine::Field::CallbackParam(_)
                )
            }),
            client_id_problem: self
                .client_id
                .with(|id| engine::input::single_line_problem(id)),
            redirect_uri_problem: self
                .redirect_uri
                .with(|uri| engine::input::redirect_uri_problem(uri)),
            state_problem: self
                .state_typed
                .get()
                .then(|| {
                    self.secrets
                        .state
                        .with(|s| engine::input::single_line_problem(s))
                })
                .flatten(),
            relay_url_problem: (!self.prefs.no_relay.get())
                .then(|| {
                    self.prefs
                        .relay_url
                        .with(|url| engine::input::relay_url_problem(url))
                })
                .flatten(),
        }
    }

    /// Chooses a service: loads what was saved for it, else the preset (or blank custom settings).
    pub fn choose_service(&self, id: &str) {
        if self
            .service_id
            .with_untracked(|current| current.as_deref() == Some(id))
        {
            return;
        }
        self.load_service(id);
    }

    fn load_service(&self, id: &str) {
        let preset = presets::by_id(id);
        if preset.is_none() && id != CUSTOM_SERVICE {
            return;
        }
        self.stop_flow();
        self.service_id.set(Some(id.to_owned()));
        match storage::get_json::<SavedService>(Area::Local, &service_key(id)) {
            Some(saved) => {
                self.settings.set(saved.settings);
                self.parked.set(saved.parked);
                self.values.set(saved.values);
                self.client_id.set(saved.client_id);
                self.redirect_uri.set(saved.redirect_uri);
            }
            None => {
                self.settings
                    .set(preset.map_or_else(|| blank_settings(true), |p| p.settings.clone()));
                self.parked.set(ParkedFlow::default());
                self.client_id.set(String::new());
                self.reset_values();
                self.redirect_uri.set(self.default_redirect_uri_untracked());
            }
        }
        self.load_secrets(id);
        self.revision.update(|r| *r += 1);
    }

    /// Puts the chosen preset's settings back, keeping the client id and secrets.
    pub fn reset_to_preset(&self) {
        let Some(preset) = self.preset() else { return };
        self.settings.set(preset.settings.clone());
        self.parked.set(ParkedFlow::default());
        self.reset_values();
        self.redirect_uri.set(self.default_redirect_uri_untracked());
        self.revision.update(|r| *r += 1);
    }

    /// Applies an imported configuration file: its service, settings and values (and secrets, if it has any).
    pub fn import(&self, file: presets::ConfigFile) {
        let id = file
            .preset_id
            .as_deref()
            .filter(|id| presets::by_id(id).is_some())
            .unwrap_or(CUSTOM_SERVICE)
            .to_owned();
        self.stop_flow();
        self.service_id.set(Some(id.clone()));
        self.load_secrets(&id);
        let mut values = file.values;
        let mut take = |name: &str| values.remove(name);
        self.client_id.set(take("client_id").unwrap_or_default());
        let redirect_uri = take("redirect_uri");
        let s = self.secrets;
        for (name, signal) in [
            ("client_secret", s.client_secret),
            ("user_name", s.user_name),
            ("private_key", s.private_key),
            ("token", s.access_token),
            ("refresh_token", s.refresh_token),
        ] {
            if let Some(value) = take(name) {
                signal.set(value);
            }
        }
        let defaults: Vec<(String, String)> = file
            .settings
            .variables
            .iter()
            .map(|spec| (spec.name.clone(), spec.default.clone()))
            .collect();
        for (name, default) in defaults {
            values.entry(name).or_insert(default);
        }
        self.settings.set(file.settings);
        self.parked.set(ParkedFlow::default());
        self.values.set(values);
        self.redirect_uri
            .set(redirect_uri.unwrap_or_else(|| self.default_redirect_uri_untracked()));
        self.revision.update(|r| *r += 1);
    }

    /// Replaces the settings from outside the editors (discovery, import).
    pub fn replace_settings(&self, settings: ServiceSettings, parked: ParkedFlow) {
        self.settings.set(settings);
        self.parked.set(parked);
        self.revision.update(|r| *r += 1);
    }

    /// Turns client-flow authorization on or off, keeping the other flow's settings for later.
    pub fn set_client_flow(&self, on: bool) {
        let mut parked = self.parked.get_untracked();
        self.settings.update(|s| s.set_client_flow(on, &mut parked));
        self.parked.set(parked);
        self.revision.update(|r| *r += 1);
    }

    fn reset_values(&self) {
        // A loop rather than `collect()`, whose stable sort would cost the wasm several KB.
        let defaults = self.settings.with_untracked(|s| {
            let mut defaults = BTreeMap::new();
            for spec in &s.variables {
                defaults.insert(spec.name.clone(), spec.default.clone());
            }
            defaults
        });
        self.values.set(defaults);
    }

    fn default_redirect_uri_untracked(&self) -> String {
        untrack(|| self.default_redirect_uri())
    }

    fn load_secrets(&self, id: &str) {
        let saved: SavedSecrets = storage::get_json(Area::Local, &secrets_key(id))
            .or_else(|| storage::get_json(Area::Session, &secrets_key(id)))
            .unwrap_or_default();
        let s = self.secrets;
        s.client_secret.set(saved.client_secret);
        s.user_name.set(saved.user_name);
        s.private_key.set(saved.private_key);
        self.code_field.set(saved.code.clone());
        s.code.set(saved.code);
        s.state.set(saved.state);
        s.code_verifier.set(saved.code_verifier);
        s.access_token.set(saved.access_token);
        s.refresh_token.set(saved.refresh_token);
        self.outcome.set(saved.outcome);
        self.refresh_count.set(saved.refresh_count);
        self.authorized_redirect_uri
            .set(saved.authorized_redirect_uri);
        self.failure.set(None);
        self.auto_refresh_failure.set(None);
        self.code_status.set(None);
        self.listen_uri.set(None);
        self.state_typed.set(false);
    }

    /// Ends any authorization wait (the flow module aborts its long-poll when it sees this).
    pub fn stop_flow(&self) {
        self.waiting.set(None);
    }

    /// Clears every stored value and resets the wizard to its first step.
    pub fn forget_everything(&self) {
        self.stop_flow();
        storage::forget_everything();
        self.service_id.set(None);
        self.settings.set(blank_settings(true));
        self.parked.set(ParkedFlow::default());
        self.values.set(BTreeMap::new());
        self.client_id.set(String::new());
        self.redirect_uri.set(String::new());
        let s = self.secrets;
        for secret in [
            s.client_secret,
            s.user_name,
            s.private_key,
            s.code,
            s.state,
            s.code_verifier,
            s.access_token,
            s.refresh_token,
        ] {
            secret.set(String::new());
        }
        self.code_field.set(String::new());
        self.prefs.relay_url.set(String::new());
        self.prefs.no_relay.set(false);
        self.prefs.remember.set(false);
        self.prefs.auto_refresh.set(true);
        self.outcome.set(None);
        self.failure.set(None);
        self.auto_refresh_failure.set(None);
        self.code_status.set(None);
        self.refresh_count.set(0);
        self.authorized_redirect_uri.set(String::new());
        self.listen_uri.set(None);
        self.reveal.set(false);
        self.revision.update(|r| *r += 1);
        self.step.set(Step::Service);
    }

    /// Notes whether the write of `key` went through.
    fn saved(self, key: &str, result: Result<(), storage::Refused>) {
        let refused = result.is_err();
        // Untracked: the effects that save must not re-run when this set changes.
        if refused != self.unsaved.with_untracked(|keys| keys.contains(key)) {
            self.unsaved.update(|keys| {
                if refused {
                    keys.insert(key.to_owned());
                } else {
                    keys.remove(key);
                }
            });
        }
    }

    /// Saves to storage whenever something worth keeping changes.
    fn persist(self) {
        Effect::new(move |_| {
            let prefs = SavedPrefs {
                service: self.service_id.get(),
                relay_url: self.prefs.relay_url.get(),
                no_relay: self.prefs.no_relay.get(),
                remember: self.prefs.remember.get(),
                auto_refresh: self.prefs.auto_refresh.get(),
            };
            let is_default = prefs.service.is_none()
                && prefs.relay_url.is_empty()
                && !prefs.no_relay
                && !prefs.remember
                && prefs.auto_refresh;
            // After "forget everything" nothing is written back until the user chooses again.
            if is_default {
                storage::remove(Area::Local, PREFS_KEY);
            } else {
                self.saved(PREFS_KEY, storage::set_json(Area::Local, PREFS_KEY, &prefs));
            }
        });
        Effect::new(move |_| {
            let Some(id) = self.service_id.get() else {
                return;
            };
            let saved = SavedService {
                settings: self.settings.get(),
                parked: self.parked.get(),
                values: self.values.get(),
                client_id: self.client_id.get(),
                redirect_uri: self.redirect_uri.get(),
            };
            let key = service_key(&id);
            self.saved(&key, storage::set_json(Area::Local, &key, &saved));
        });
        Effect::new(move |_| {
            let Some(id) = self.service_id.get() else {
                return;
            };
            let s = self.secrets;
            let saved = SavedSecrets {
                client_secret: s.client_secret.get(),
                user_name: s.user_name.get(),
                private_key: s.private_key.get(),
                code: s.code.get(),
                state: s.state.get(),
                code_verifier: s.code_verifier.get(),
                access_token: s.access_token.get(),
                refresh_token: s.refresh_token.get(),
                outcome: self.outcome.get(),
                refresh_count: self.refresh_count.get(),
                authorized_redirect_uri: self.authorized_redirect_uri.get(),
            };
            let remember = self.prefs.remember.get();
            let (keep, drop, saved) = if remember {
                (Area::Local, Area::Session, saved)
            } else {
                (Area::Session, Area::Local, saved.in_progress_only())
            };
            let key = secrets_key(&id);
            storage::remove(drop, &key);
            if saved == SavedSecrets::default() {
                storage::remove(keep, &key);
            } else {
                self.saved(&key, storage::set_json(keep, &key, &saved));
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(expires_in: Option<u64>) -> TokenOutcome {
        TokenOutcome {
            kind: CallKind::Bearer,
            received_at_ms: 1_000_000.0,
            token_type: Some("Bearer".to_owned()),
            expires_in,
            refresh_token_expires_in: None,
            scope_granted: None,
            scope_requested: String::new(),
            id_token: None,
            status: 200,
            raw: String::new(),
        }
    }

    #[test]
    fn refresh_is_due_at_four_fifths_of_the_lifetime() {
        assert_eq!(
            outcome(Some(3600)).refresh_due_ms(),
            Some(1_000_000.0 + 2_880_000.0)
        );
        assert_eq!(
            outcome(Some(3600)).expires_at_ms(),
            Some(1_000_000.0 + 3_600_000.0)
        );
    }

    #[test]
    fn refresh_is_due_at_least_one_second_before_expiry() {
        // 80 % of 3 s is 2.4 s, but that leaves less than a second: 2 s it is.
        assert_eq!(outcome(Some(3)).refresh_due_ms(), Some(1_002_000.0));
        assert_eq!(outcome(Some(1)).refresh_due_ms(), Some(1_000_000.0));
    }

    #[test]
    fn no_refresh_is_due_without_a_stated_lifetime() {
        assert_eq!(outcome(None).refresh_due_ms(), None);
        assert_eq!(outcome(None).expires_at_ms(), None);
    }

    #[test]
    fn only_the_authorization_in_progress_survives_a_reload() {
        let saved = SavedSecrets {
            client_secret: "secret".to_owned(),
            user_name: "alice".to_owned(),
            private_key: "key".to_owned(),
            code: "code".to_owned(),
            state: "state".to_owned(),
            code_verifier: "verifier".to_owned(),
            access_token: "access".to_owned(),
            refresh_token: "refresh".to_owned(),
            outcome: Some(outcome(Some(60))),
            refresh_count: 3,
            authorized_redirect_uri: "https://app.example/callback".to_owned(),
        };
        let kept = saved.in_progress_only();
        assert_eq!(kept.state, "state");
        assert_eq!(kept.code_verifier, "verifier");
        assert_eq!(kept.authorized_redirect_uri, "https://app.example/callback");
        let secrets_left = [
            &kept.client_secret,
            &kept.user_name,
            &kept.code,
            &kept.access_token,
            &kept.refresh_token,
        ];
        assert!(secrets_left.iter().all(|value| value.is_empty()));
        assert_eq!(kept.outcome, None);
        assert_eq!(kept.refresh_count, 0);
    }

    #[test]
    fn custom_settings_start_with_the_standard_requests() {
        let with_flow = blank_settings(true);
        assert!(
            with_flow
                .authorization
                .as_ref()
                .is_some_and(|a| a.url.is_empty() && a.pkce == PkceMethod::S256)
        );
        assert_eq!(with_flow.token.grant_type, "authorization_code");
        assert_eq!(
            with_flow.refresh.as_ref().map(|r| r.grant_type.as_str()),
            Some("refresh_token")
        );
        let without_flow = blank_settings(false);
        assert!(without_flow.authorization.is_none());
        assert_eq!(without_flow.token.grant_type, "client_credentials");
        let names: Vec<&str> = without_flow
            .token
            .body
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(names, ["grant_type", "scope"]);
        assert!(
            without_flow.token.body[1].optional,
            "an empty scope must be left out"
        );
    }

    #[test]
    fn the_client_id_is_needed_only_when_something_uses_it() {
        let mut settings = blank_settings(false);
        assert!(
            needs_client_id(&settings),
            "Basic client authentication sends it"
        );
        settings.token.client_auth = engine::ClientAuth::None;
        assert!(
            needs_client_id(&settings),
            "a public client's refresh sends it"
        );
        settings.refresh = None;
        assert!(!needs_client_id(&settings));
        settings.token.body.push(engine::Param {
            name: "client_id".to_owned(),
            value: "{client_id}".to_owned(),
            optional: false,
        });
        assert!(needs_client_id(&settings), "a template uses {{client_id}}");
        assert!(
            needs_client_id(&blank_settings(true)),
            "the client flow sends it"
        );
    }
}
