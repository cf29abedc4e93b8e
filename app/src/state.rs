//! The wizard's shared state: the plain data of [`crate::model`] held in a few signals, provided
//! as context, and the rules for loading and saving it.
//!
//! Non-secret settings persist per service in `localStorage`. Secrets and tokens never reach
//! `localStorage` unless the user ticks "remember on this device": by default the client secret,
//! the code and the tokens stay in memory (gone with a reload), and only the `state` and PKCE
//! verifier of the authorization in progress go to `sessionStorage`, so that a code pasted after
//! a reload can still be checked and redeemed ([`crate::model::Secrets::unremembered`] decides,
//! from the engine's list of secret variables). The current step lives in the URL hash, not here.

use std::collections::BTreeMap;

use engine::attempt::Attempt;
use engine::{AuthorizationSettings, ParkedFlow, ServiceSettings, Vars};
use leptos::prelude::*;

use crate::api::{Relay, RelayConfig};
pub use crate::model::{CUSTOM_SERVICE, CallKind, TokenOutcome};
use crate::model::{Model, Place, Prefs, Secrets, ServiceModel};
use crate::storage::{self, Area};
use crate::wizard::{Progress, Step};

/// The path of the relay's callback page when `/api/config` has not answered (contract 3).
pub const DEFAULT_CALLBACK_PATH: &str = "/callback";

/// The user's preferences, shared by every service (each one a signal: the settings panel binds them).
#[derive(Clone, Copy)]
pub struct PrefSignals {
    /// Another relay's base URL; empty means this site's own relay.
    pub relay_url: RwSignal<String>,
    /// Call token endpoints straight from the browser (CORS permitting).
    pub no_relay: RwSignal<bool>,
    /// Keep secrets and tokens in `localStorage`.
    pub remember: RwSignal<bool>,
    /// Refresh the token shortly before it expires.
    pub auto_refresh: RwSignal<bool>,
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
    /// The service's own fix for this error, from its preset: (service name, fix).
    pub known_fix: Option<(String, String)>,
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
    /// The secrets, the attempt's values and the results (one coarse signal: they change
    /// together, at a call or an authorization, or one field at a time as the user types).
    pub secrets: RwSignal<Secrets>,
    /// The last successful token response (read from `secrets`, where it is kept).
    pub outcome: Memo<Option<TokenOutcome>>,
    /// What the navigation rules need, computed once per change (every step and button reads it).
    pub progress: Memo<Progress>,
    /// Preferences.
    pub prefs: PrefSignals,
    /// The authorization attempt (see [`engine::attempt`]).
    pub attempt: RwSignal<Attempt>,
    /// What the code field shows: the code, or what the user is typing or pasting.
    pub code_field: RwSignal<String>,
    /// The state field was typed by the user: keep it instead of generating one.
    pub state_typed: RwSignal<bool>,
    /// The exact loopback URI the local relay listens on, when it chose one.
    pub listen_uri: RwSignal<Option<String>>,
    /// What happened to the code (received, refused, provider error).
    pub code_status: RwSignal<Option<Status>>,
    /// The last failed call.
    pub failure: RwSignal<Option<CallFailure>>,
    /// The last automatic refresh, when it failed (shown with the automatic refresh switch).
    pub auto_refresh_failure: RwSignal<Option<CallFailure>>,
    /// The token endpoint calls: one at a time; its input says which call is in flight.
    pub calls: Action<crate::wizard::calls::Call, ()>,
    /// Show secrets in clear.
    pub reveal: RwSignal<bool>,
    /// The relay's `/api/config`, once it answered.
    pub relay_config: RwSignal<Option<RelayConfig>>,
    /// The clock, ticking every second (ms since the epoch).
    pub now: RwSignal<f64>,
    /// Step 1's self-test: the metadata discovery found for this service and the CORS probe's
    /// answer (`None` while it runs), kept while the user visits steps 2 and 3 to follow it.
    pub self_test: RwSignal<
        Option<(
            engine::discovery::ServerMetadata,
            Option<engine::self_test::CorsProbe>,
        )>,
    >,
    /// Storage keys whose last write the browser refused (storage full): what the user sees
    /// there is not saved. Empty when everything is saved. A list: there are a few keys, and a
    /// set of strings would bring its own tree code into the wasm.
    pub unsaved: RwSignal<Vec<String>>,
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
    /// The state of a wizard opened for the first time (or after "forget everything"), with
    /// the given preferences; no storage is read.
    pub fn new(prefs: &Prefs) -> Self {
        let blank = Model::default();
        let secrets = RwSignal::new(blank.secrets);
        let mut state = Self {
            step: RwSignal::new(Step::Service),
            service_id: RwSignal::new(None),
            settings: RwSignal::new(blank.service.settings),
            parked: RwSignal::new(blank.service.parked),
            revision: RwSignal::new(0),
            values: RwSignal::new(blank.service.values),
            client_id: RwSignal::new(blank.service.client_id),
            redirect_uri: RwSignal::new(blank.service.redirect_uri),
            secrets,
            outcome: Memo::new(move |_| secrets.with(|s| s.outcome.clone())),
            prefs: PrefSignals {
                relay_url: RwSignal::new(prefs.relay_url.clone()),
                no_relay: RwSignal::new(prefs.no_relay),
                remember: RwSignal::new(prefs.remember),
                auto_refresh: RwSignal::new(prefs.auto_refresh),
            },
            attempt: RwSignal::new(Attempt::Idle),
            code_field: RwSignal::new(String::new()),
            state_typed: RwSignal::new(false),
            listen_uri: RwSignal::new(None),
            code_status: RwSignal::new(None),
            failure: RwSignal::new(None),
            auto_refresh_failure: RwSignal::new(None),
            calls: Action::new_local(|call: &crate::wizard::calls::Call| call.run()),
            reveal: RwSignal::new(false),
            relay_config: RwSignal::new(None),
            now: RwSignal::new(0.0),
            self_test: RwSignal::new(None),
            unsaved: RwSignal::new(Default::default()),
            progress: Memo::new(|_| Progress::default()),
        };
        // `compute_progress` reads the other signals only, never this field.
        let signals = state;
        state.progress = Memo::new(move |_| signals.compute_progress());
        state
    }

    /// Creates the state from what the browser stored, and provides it as context.
    pub fn provide() -> Self {
        let prefs: Prefs =
            storage::get_json(Area::Local, crate::model::PREFS_KEY).unwrap_or_default();
        let state = Self::new(&prefs);
        state.now.set(crate::browser::now_ms());
        if let Some(id) = &prefs.service {
            // A preset the catalog got wrong is not loaded; step 1 says why when it is chosen.
            let _ = state.load_service(id);
        }
        provide_context(state);
        state.persist();
        state
    }

    /// The state provided by [`WizardState::provide`].
    pub fn expect() -> Self {
        expect_context::<Self>()
    }

    /// Everything kept, as plain data (tracked).
    pub fn model(&self) -> Model {
        Model {
            prefs: Prefs {
                service: self.service_id.get(),
                relay_url: self.prefs.relay_url.get(),
                no_relay: self.prefs.no_relay.get(),
                remember: self.prefs.remember.get(),
                auto_refresh: self.prefs.auto_refresh.get(),
            },
            service: self.service_model(),
            secrets: self.secrets.get(),
        }
    }

    /// The chosen service's settings and values, as plain data (tracked).
    pub fn service_model(&self) -> ServiceModel {
        ServiceModel {
            settings: self.settings.get(),
            parked: self.parked.get(),
            values: self.values.get(),
            client_id: self.client_id.get(),
            redirect_uri: self.redirect_uri.get(),
        }
    }

    /// Shows `service`: the settings, values, client id and redirect URI (editors reload).
    pub fn apply_service(&self, service: ServiceModel) {
        self.settings.set(service.settings);
        self.parked.set(service.parked);
        self.values.set(service.values);
        self.client_id.set(service.client_id);
        self.redirect_uri.set(service.redirect_uri);
        self.revision.update(|r| *r += 1);
    }

    /// Shows `model`, and clears what belongs to no service (status lines, failures, the attempt).
    pub fn apply(&self, model: Model) {
        self.attempt.set(Attempt::Idle);
        self.service_id.set(model.prefs.service);
        self.prefs.relay_url.set(model.prefs.relay_url);
        self.prefs.no_relay.set(model.prefs.no_relay);
        self.prefs.remember.set(model.prefs.remember);
        self.prefs.auto_refresh.set(model.prefs.auto_refresh);
        self.apply_service(model.service);
        self.apply_secrets(model.secrets);
    }

    /// The call in flight, tracked.
    pub fn calling(&self) -> Option<CallKind> {
        self.calls
            .input()
            .with(|input| input.as_ref().map(|call| call.kind))
    }

    /// Starts the call of `kind` unless one is in flight; `automatic` for the refresh timer.
    pub fn call(self, kind: CallKind, automatic: bool) {
        if !self.calls.pending().get_untracked() {
            self.calls.dispatch(crate::wizard::calls::Call {
                state: self,
                kind,
                automatic,
            });
        }
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
        self.default_redirect_for(dictated)
    }

    fn default_redirect_for(&self, dictated: String) -> String {
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

    /// One secret value, tracked. A plain `fn` keeps one copy of this code.
    pub fn secret(&self, field: fn(&Secrets) -> &String) -> String {
        self.secrets.with(|s| field(s).clone())
    }

    /// One secret value as a signal, for a field or a copy button.
    pub fn secret_signal(self, field: fn(&Secrets) -> &String) -> Signal<String> {
        Signal::derive(move || self.secret(field))
    }

    /// What is wrong with the pasted private key for `alg`, if anything (nothing while empty).
    pub fn private_key_problem(&self, alg: engine::JwtAlg) -> Option<String> {
        self.secrets.with(|s| {
            let key = &s.private_key;
            (!key.trim().is_empty())
                .then(|| engine::assertion::parse_private_key(key, alg).err())
                .flatten()
        })
    }

    /// Sets one secret value.
    pub fn set_secret(&self, field: fn(&mut Secrets) -> &mut String, value: String) {
        self.secrets.update(|s| *field(s) = value);
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
        self.secrets
            .with(|secrets| crate::model::vars(&self.service_model(), secrets))
    }

    /// The scope value the service receives (the list joined with its separator).
    pub fn joined_scope(&self) -> String {
        self.authorization(|a| engine::scopes::join_scopes(&a.scopes, a.scope_separator))
    }

    /// What the navigation rules need to know, tracked.
    pub fn progress(&self) -> Progress {
        self.progress.get()
    }

    fn compute_progress(&self) -> Progress {
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
        let needs_client_id = settings.needs_client_id();
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
            has_code: self.secrets.with(|s| !s.code.trim().is_empty()),
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
                        .with(|s| engine::input::single_line_problem(&s.state))
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
    /// A preset whose values fail the preset checks is refused, with every problem in words.
    pub fn choose_service(&self, id: &str) -> Result<(), String> {
        if self
            .service_id
            .with_untracked(|current| current.as_deref() == Some(id))
        {
            return Ok(());
        }
        self.load_service(id)
    }

    fn load_service(&self, id: &str) -> Result<(), String> {
        let preset = presets::by_id(id);
        if preset.is_none() && id != CUSTOM_SERVICE {
            return Ok(());
        }
        if let Some(preset) = preset {
            preset.verified().map_err(|error| error.to_string())?;
        }
        self.stop_flow();
        self.self_test.set(None);
        self.service_id.set(Some(id.to_owned()));
        let service =
            storage::get_json::<ServiceModel>(Area::Local, &crate::model::service_key(id))
                .unwrap_or_else(|| {
                    self.fresh_service(
                        preset.map_or_else(|| ServiceSettings::blank(true), |p| p.settings.clone()),
                    )
                });
        self.apply_service(service);
        self.load_secrets(id);
        Ok(())
    }

    /// Puts the chosen preset's settings back, keeping the client id and secrets.
    pub fn reset_to_preset(&self) {
        let Some(preset) = self.preset() else { return };
        let service = ServiceModel {
            client_id: self.client_id.get_untracked(),
            ..self.fresh_service(preset.settings.clone())
        };
        self.apply_service(service);
    }

    /// A service as `settings` start it, with the redirect URI they dictate or the relay's.
    fn fresh_service(&self, settings: ServiceSettings) -> ServiceModel {
        let redirect_uri = self.default_redirect_of(&settings);
        ServiceModel::fresh(settings, redirect_uri)
    }

    fn default_redirect_of(&self, settings: &ServiceSettings) -> String {
        let dictated = settings
            .authorization
            .as_ref()
            .map(|a| a.redirect_uri.trim().to_owned())
            .unwrap_or_default();
        untrack(|| self.default_redirect_for(dictated))
    }

    /// Applies an imported configuration file: its service, settings and values (and secrets, if it has any).
    pub fn import(&self, file: presets::ConfigFile) {
        self.stop_flow();
        let id = crate::model::imported_service_id(&file);
        self.service_id.set(Some(id.clone()));
        self.load_secrets(&id);
        let (service, secrets) =
            crate::model::import(file, self.secrets.get_untracked(), |settings| {
                self.default_redirect_of(settings)
            });
        self.apply_service(service);
        self.secrets.set(secrets);
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

    fn load_secrets(&self, id: &str) {
        let key = crate::model::secrets_key(id);
        let saved: Secrets = storage::get_json(Area::Local, &key)
            .or_else(|| storage::get_json(Area::Session, &key))
            .unwrap_or_default();
        self.apply_secrets(saved);
    }

    /// Shows `secrets`, and clears the messages about the ones before.
    fn apply_secrets(&self, secrets: Secrets) {
        self.code_field.set(secrets.code.clone());
        self.secrets.set(secrets);
        self.failure.set(None);
        self.auto_refresh_failure.set(None);
        self.code_status.set(None);
        self.listen_uri.set(None);
        self.state_typed.set(false);
    }

    /// Ends any authorization wait (the flow module closes the popup and aborts its long-poll
    /// when it sees this).
    pub fn stop_flow(&self) {
        if self.attempt.with_untracked(Attempt::is_open) {
            self.attempt.set(Attempt::Idle);
        }
    }

    /// Resets the wizard to its first step with nothing kept: the default model.
    pub fn reset(&self) {
        self.apply(Model::default());
        self.reveal.set(false);
        self.step.set(Step::Service);
    }

    /// Clears every stored value and resets the wizard to its first step.
    pub fn forget_everything(&self) {
        storage::forget_everything();
        self.reset();
    }

    /// Notes whether the write of `key` went through.
    fn saved(self, key: &str, result: Result<(), storage::Refused>) {
        let refused = result.is_err();
        // Untracked: the effect that saves must not re-run when this set changes.
        let listed = self
            .unsaved
            .with_untracked(|keys| keys.iter().any(|k| k == key));
        if refused != listed {
            self.unsaved.update(|keys| {
                if refused {
                    keys.push(key.to_owned());
                } else {
                    keys.retain(|k| k != key);
                }
            });
        }
    }

    /// Saves to storage whenever something worth keeping changes: what [`Model::persisted`] says.
    fn persist(self) {
        Effect::new(move |_| {
            let persisted = self.model().persisted();
            let prefs_key = crate::model::PREFS_KEY;
            match persisted.prefs {
                Some(prefs) => {
                    self.saved(prefs_key, storage::set_json(Area::Local, prefs_key, &prefs))
                }
                // After "forget everything" nothing is written back until the user chooses again.
                None => storage::remove(Area::Local, prefs_key),
            }
            if let Some((key, service)) = persisted.service {
                self.saved(&key, storage::set_json(Area::Local, &key, &service));
            }
            if let Some((key, place, secrets)) = persisted.secrets {
                let (keep, drop) = match place {
                    Place::Local => (Area::Local, Area::Session),
                    Place::Session => (Area::Session, Area::Local),
                };
                storage::remove(drop, &key);
                match secrets {
                    Some(secrets) => self.saved(&key, storage::set_json(keep, &key, &secrets)),
                    None => storage::remove(keep, &key),
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_shows_the_default_model() {
        let state = WizardState::new(&Prefs::default());
        state.apply(Model {
            prefs: Prefs {
                service: Some("github".to_owned()),
                relay_url: "https://relay.example".to_owned(),
                no_relay: true,
                remember: true,
                auto_refresh: false,
            },
            service: ServiceModel {
                client_id: "client-1".to_owned(),
                redirect_uri: "https://app.example/cb".to_owned(),
                ..ServiceModel::default()
            },
            secrets: Secrets {
                client_secret: "secret".to_owned(),
                refresh_token: "refresh".to_owned(),
                ..Secrets::default()
            },
        });
        state.attempt.set(Attempt::Opening);
        state.reveal.set(true);
        state.step.set(Step::Tokens);
        state.reset();
        assert_eq!(state.model(), Model::default());
        assert_eq!(state.attempt.get_untracked(), Attempt::Idle);
        assert!(!state.reveal.get_untracked());
        assert_eq!(state.step.get_untracked(), Step::Service);
        assert_eq!(state.code_field.get_untracked(), "");
    }

    #[test]
    fn the_model_reads_back_what_was_applied() {
        let state = WizardState::new(&Prefs::default());
        let mut model = Model::default();
        model.prefs.service = Some(CUSTOM_SERVICE.to_owned());
        model.service.client_id = "client-1".to_owned();
        model.secrets.user_name = "alice".to_owned();
        state.apply(model.clone());
        assert_eq!(state.model(), model);
        assert_eq!(state.vars().get("user_name"), Some("alice"));
    }

    #[test]
    fn progress_follows_the_state() {
        let state = WizardState::new(&Prefs::default());
        assert!(!state.progress().service_chosen);
        state.service_id.set(Some(CUSTOM_SERVICE.to_owned()));
        assert!(state.progress().service_chosen);
        assert_eq!(
            state.progress().missing_client_id.as_deref(),
            Some("Client ID")
        );
        state.client_id.set("client-1".to_owned());
        assert_eq!(state.progress().missing_client_id, None);
        assert!(!state.progress().has_code);
        state.secrets.update(|s| s.code = "code-1".to_owned());
        assert!(state.progress().has_code);
    }
}
