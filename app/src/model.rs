//! The wizard's state as plain data: what one service's settings are, the secrets and results,
//! the preferences, and what of it is stored where. No signals and no browser here, so every rule
//! is tested natively; `state.rs` holds these values in a few coarse signals.
//!
//! Which values are secret is decided in one place, the engine's [`engine::SECRET_VARIABLES`]:
//! [`Secrets::unremembered`] drops every one of them (except the verifier of an attempt in
//! progress, kept in `sessionStorage` so a reload mid-flow can finish it).

use std::collections::BTreeMap;

use engine::{ParkedFlow, ServiceSettings, Vars};
use serde::{Deserialize, Serialize};

/// The service id used for "Customize OAuth settings".
pub const CUSTOM_SERVICE: &str = "custom";

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

/// One service's settings and non-secret values: what persists per service in `localStorage`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceModel {
    /// The settings being edited.
    pub settings: ServiceSettings,
    /// The other flow's settings while client-flow authorization is switched, kept for switching back.
    pub parked: ParkedFlow,
    /// Values of the service's variables and kept callback parameters.
    pub values: BTreeMap<String, String>,
    /// `{client_id}`.
    pub client_id: String,
    /// `{redirect_uri}`.
    pub redirect_uri: String,
}

impl Default for ServiceModel {
    fn default() -> Self {
        Self {
            settings: ServiceSettings::blank(true),
            parked: ParkedFlow::default(),
            values: BTreeMap::new(),
            client_id: String::new(),
            redirect_uri: String::new(),
        }
    }
}

impl ServiceModel {
    /// A service as its settings start: every variable at its default.
    pub fn fresh(settings: ServiceSettings, redirect_uri: String) -> Self {
        let mut model = Self {
            settings,
            redirect_uri,
            ..Self::default()
        };
        model.reset_values();
        model
    }

    /// Puts every service variable back to its default (kept callback parameters go).
    pub fn reset_values(&mut self) {
        // A loop rather than `collect()`, whose stable sort would cost the wasm several KB.
        let mut defaults = BTreeMap::new();
        for spec in &self.settings.variables {
            defaults.insert(spec.name.clone(), spec.default.clone());
        }
        self.values = defaults;
    }
}

/// The values that stay in this page's memory unless the user ticks "remember on this device":
/// the secret variables, the attempt's `state`, and the results. Field names are the stored format.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Secrets {
    /// `{client_secret}`.
    pub client_secret: String,
    /// `{user_name}`: a user id whose secret is the client secret.
    pub user_name: String,
    /// `{private_key}`: the key of `private_key_jwt` (PKCS #8 PEM or a private JWK).
    pub private_key: String,
    /// `{code}`: the authorization code.
    pub code: String,
    /// `{state}` of the current or last authorization request.
    pub state: String,
    /// `{code_verifier}` of the current or last authorization request.
    pub code_verifier: String,
    /// `{token}`: the current access token.
    pub access_token: String,
    /// `{refresh_token}`: the current refresh token.
    pub refresh_token: String,
    /// The last successful token response.
    pub outcome: Option<TokenOutcome>,
    /// Successful refreshes since the last bearer token.
    pub refresh_count: u32,
    /// The redirect URI sent in the last authorization request (to explain a mismatch).
    pub authorized_redirect_uri: String,
}

impl Secrets {
    /// Each value that fills a template variable, with that variable's name.
    pub fn variables(&self) -> [(&'static str, &String); 8] {
        [
            ("client_secret", &self.client_secret),
            ("user_name", &self.user_name),
            ("private_key", &self.private_key),
            ("code", &self.code),
            ("state", &self.state),
            ("code_verifier", &self.code_verifier),
            ("token", &self.access_token),
            ("refresh_token", &self.refresh_token),
        ]
    }

    fn variables_mut(&mut self) -> [(&'static str, &mut String); 8] {
        [
            ("client_secret", &mut self.client_secret),
            ("user_name", &mut self.user_name),
            ("private_key", &mut self.private_key),
            ("code", &mut self.code),
            ("state", &mut self.state),
            ("code_verifier", &mut self.code_verifier),
            ("token", &mut self.access_token),
            ("refresh_token", &mut self.refresh_token),
        ]
    }

    /// Sets the value of the variable `name`; `false` when it is not one of these.
    pub fn set_variable(&mut self, name: &str, value: String) -> bool {
        match self.variables_mut().into_iter().find(|(n, _)| *n == name) {
            Some((_, slot)) => {
                *slot = value;
                true
            }
            None => false,
        }
    }

    /// What may be kept without "remember on this device" (in `sessionStorage`): no value of a
    /// secret variable and no result, only what the authorization in progress needs across a
    /// reload — its `state`, its redirect URI and, the one secret kept, its PKCE verifier.
    pub fn unremembered(&self) -> Self {
        let mut kept = Self {
            outcome: None,
            refresh_count: 0,
            ..self.clone()
        };
        for (name, value) in kept.variables_mut() {
            if engine::vars::is_secret(name) && name != "code_verifier" {
                value.clear();
            }
        }
        kept
    }
}

/// The user's preferences, shared by every service, and the service last chosen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    /// The chosen service, or nothing yet.
    pub service: Option<String>,
    /// Another relay's base URL; empty means this site's own relay.
    pub relay_url: String,
    /// Call token endpoints straight from the browser (CORS permitting).
    pub no_relay: bool,
    /// Keep secrets and tokens in `localStorage`.
    pub remember: bool,
    /// Refresh the token shortly before it expires.
    pub auto_refresh: bool,
}

impl Default for Prefs {
    fn default() -> Self {
        Self {
            service: None,
            relay_url: String::new(),
            no_relay: false,
            remember: false,
            auto_refresh: true,
        }
    }
}

/// Everything the wizard keeps: the default is the wizard as first opened (and after "forget
/// everything").
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Model {
    /// Preferences and the chosen service.
    pub prefs: Prefs,
    /// The chosen service's settings and values.
    pub service: ServiceModel,
    /// Secrets, the attempt's values and the results.
    pub secrets: Secrets,
}

/// Where a stored value goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// `localStorage`: kept across visits.
    Local,
    /// `sessionStorage`: kept across reloads of this tab.
    Session,
}

/// What persistence writes: each value with its key and place, or the key to remove.
#[derive(Clone, Debug, PartialEq)]
pub struct Persisted {
    /// The preferences, or `None` to remove them (nothing chosen yet: nothing to keep).
    pub prefs: Option<Prefs>,
    /// The chosen service's settings, under its key.
    pub service: Option<(String, ServiceModel)>,
    /// The secrets under their key: where they go (the other place is cleared), `None` when
    /// there is nothing to keep.
    pub secrets: Option<(String, Place, Option<Secrets>)>,
}

/// The `localStorage` key of the preferences.
pub const PREFS_KEY: &str = "otw.prefs";

/// The `localStorage` key of one service's settings.
pub fn service_key(id: &str) -> String {
    format!("otw.service.{id}")
}

/// The key of one service's secrets (in `localStorage` when remembered, else `sessionStorage`).
pub fn secrets_key(id: &str) -> String {
    format!("otw.secrets.{id}")
}

impl Model {
    /// What to store for this model.
    pub fn persisted(&self) -> Persisted {
        let prefs = (self.prefs != Prefs::default()).then(|| self.prefs.clone());
        let Some(id) = &self.prefs.service else {
            return Persisted {
                prefs,
                service: None,
                secrets: None,
            };
        };
        let (place, secrets) = if self.prefs.remember {
            (Place::Local, self.secrets.clone())
        } else {
            (Place::Session, self.secrets.unremembered())
        };
        let secrets = (secrets != Secrets::default()).then_some(secrets);
        Persisted {
            prefs,
            service: Some((service_key(id), self.service.clone())),
            secrets: Some((secrets_key(id), place, secrets)),
        }
    }

    /// Every variable the request builders need, from every step.
    pub fn vars(&self) -> Vars {
        vars(&self.service, &self.secrets)
    }
}

/// Every variable the request builders need: the service's values, then the client id, redirect
/// URI and secrets (the verifier only with PKCE).
pub fn vars(service: &ServiceModel, secrets: &Secrets) -> Vars {
    let mut vars = Vars::new();
    for (name, value) in &service.values {
        vars.set(name.clone(), value.clone());
    }
    vars.set("client_id", service.client_id.clone());
    vars.set("redirect_uri", service.redirect_uri.clone());
    let pkce = service
        .settings
        .authorization
        .as_ref()
        .map_or(engine::PkceMethod::None, |a| a.pkce);
    for (name, value) in secrets.variables() {
        let value = if name == "code_verifier" {
            engine::pkce::verifier_to_send(pkce, value)
        } else {
            value
        };
        vars.set(name, value);
    }
    vars
}

/// The configuration file for the chosen service (the secrets only when asked).
pub fn export(model: &Model, include_secrets: bool) -> Option<presets::ConfigFile> {
    let id = model.prefs.service.as_deref()?;
    let preset = (id != CUSTOM_SERVICE).then_some(id);
    Some(presets::ConfigFile::new(
        preset,
        model.service.settings.clone(),
        &model.vars(),
        include_secrets,
    ))
}

/// The service an imported file is for: a known preset, else custom settings.
pub fn imported_service_id(file: &presets::ConfigFile) -> String {
    file.preset_id
        .as_deref()
        .filter(|id| presets::by_id(id).is_some())
        .unwrap_or(CUSTOM_SERVICE)
        .to_owned()
}

/// What an imported file changes: the service's settings and values, and the secrets it carries
/// over those in `secrets`. `default_redirect` gives the redirect URI when the file has none.
pub fn import(
    file: presets::ConfigFile,
    mut secrets: Secrets,
    default_redirect: impl FnOnce(&ServiceSettings) -> String,
) -> (ServiceModel, Secrets) {
    let mut values = file.values;
    let client_id = values.remove("client_id").unwrap_or_default();
    let redirect_uri = values.remove("redirect_uri");
    // A file never carries the values of one authorization (a hand-edited one might).
    for name in presets::config::PER_RUN_VARIABLES {
        values.remove(*name);
    }
    // The file's secrets replace those in memory, and stay out of the stored values.
    for name in engine::SECRET_VARIABLES {
        if let Some(value) = values.remove(*name) {
            secrets.set_variable(name, value);
        }
    }
    for spec in &file.settings.variables {
        values
            .entry(spec.name.clone())
            .or_insert_with(|| spec.default.clone());
    }
    let redirect_uri = redirect_uri.unwrap_or_else(|| default_redirect(&file.settings));
    let service = ServiceModel {
        settings: file.settings,
        parked: ParkedFlow::default(),
        values,
        client_id,
        redirect_uri,
    };
    (service, secrets)
}

#[cfg(test)]
mod tests;
