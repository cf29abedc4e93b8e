//! The pre-configured services: one TOML file per service under `data/`, converted to JSON by
//! `build.rs` and embedded at compile time.
//!
//! # Layout
//! - [`all`] / [`by_id`]: the bundled presets, read once (a [`LazyLock`]) from the embedded JSON,
//!   strictly (unknown keys are errors), and sorted by name.
//! - [`bundled_file_names`]: which files of `data/` ship (`src/bundled_list.rs`, the one list that
//!   `build.rs` reads too).
//! - `parse` (cargo feature `toml`): turns one preset file written in TOML into a [`Preset`],
//!   strictly and with a semantic check on top; for tests and native tools.
//! - [`token_host_patterns`]: the hosts the token and refresh calls of the presets go to, for the
//!   relay's allow-list.
//! - [`config`]: the JSON file the app exports and imports ("export configuration").
//!
//! Architecture invariant: this crate does no IO (no `std::fs`, no network, no clock). It is
//! compiled into the wasm app, so it stays small: `engine`, `serde` and `serde_json`; the TOML
//! parser runs at build time (and in tests), never in the browser.

use std::fmt;

use engine::ServiceSettings;
use serde::{Deserialize, Serialize};
use thiserror::Error;

mod bundled_list;
pub mod config;

use bundled_list::BUNDLED_FILES;
pub use config::{CONFIG_FORMAT_VERSION, ConfigError, ConfigFile};

/// The bundled presets as JSON, one object per line in the order of [`BUNDLED_FILES`]: `build.rs`
/// converts the TOML files, so the wasm app needs no TOML parser.
#[cfg(feature = "bundled")]
const BUNDLED_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/presets.jsonl"));

/// The catalog installed at run time (without the `bundled` feature: the wasm app).
#[cfg(not(feature = "bundled"))]
static INSTALLED: std::sync::OnceLock<Vec<Preset>> = std::sync::OnceLock::new();

/// One pre-configured service: its settings plus what a user needs to know around them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Preset {
    /// Stable identifier (kebab-case, equal to the file name without `.toml`): used in URLs,
    /// exported configurations and `data-testid`s.
    pub id: String,
    /// The service's name as users know it.
    pub name: String,
    /// One line saying what the preset gets you.
    pub description: String,
    /// The service's main OAuth documentation page.
    pub docs_url: String,
    /// Every documentation page the settings rest on.
    pub sources: Vec<String>,
    /// When the settings were last checked against `sources` (`YYYY-MM-DD`).
    pub checked: String,
    /// Short advice shown beside the settings.
    pub notes: Notes,
    /// The settings the wizard starts from.
    pub settings: ServiceSettings,
    /// Where the service's redirect URIs are registered and what it accepts (`[redirect]`), for
    /// the redirect doctor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect: Option<engine::redirect_doctor::RedirectRules>,
    /// The service's known error answers with their fixes (`[[errors]]`), most specific first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<engine::explain::KnownError>,
}

/// Short advice about a service, in the user's terms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Notes {
    /// Where and how to register the app (and which type of app to choose).
    pub register: String,
    /// The service's rules for redirect URIs.
    pub redirect_uri: String,
    /// What to do with the token once you have it (API hosts to discover, follow-up calls).
    pub after_token: String,
    /// How long the access token, the refresh token and the code live.
    pub lifetimes: String,
}

/// The presets, sorted by name (case-insensitively): the bundled ones with the `bundled` feature,
/// else the catalog given to [`install`] (none before).
pub fn all() -> &'static [Preset] {
    #[cfg(feature = "bundled")]
    return bundled();
    #[cfg(not(feature = "bundled"))]
    INSTALLED.get().map_or(&[], Vec::as_slice)
}

/// Installs the catalog the app fetched; `false` when one was installed already (it stays), or
/// with the `bundled` feature, whose compiled-in presets are always the ones used.
pub fn install(presets: Vec<Preset>) -> bool {
    #[cfg(feature = "bundled")]
    {
        drop(presets);
        false
    }
    #[cfg(not(feature = "bundled"))]
    INSTALLED.set(presets).is_ok()
}

/// The catalog file the app fetches (`catalog.json`): every preset, sorted as [`all`] sorts them.
pub fn catalog_json(presets: &[Preset]) -> String {
    let mut json = serde_json::to_string(presets).expect("presets always serialize to JSON");
    json.push('\n');
    json
}

/// Reads a catalog file with the schema as strict as the bundled presets' (unknown keys, missing
/// keys and wrong types are errors); the presets come back in the file's order, which
/// [`catalog_json`] writes sorted by name (sorting again here would add a stable sort over
/// `Preset` to the wasm).
///
/// The values are not checked here but when a preset is chosen ([`Preset::verified`]): the
/// catalog is generated from checked preset files, and checking every preset before the wizard
/// can show its first step was a measurable part of its start-up.
pub fn parse_catalog(json: &str) -> Result<Vec<Preset>, PresetError> {
    let presets: Vec<Preset> = serde_json::from_str(json).map_err(|error| PresetError::Syntax {
        file: "catalog.json".to_owned(),
        message: error.to_string(),
    })?;
    Ok(presets)
}

#[cfg(feature = "bundled")]
fn sort_by_name(presets: &mut [Preset]) {
    presets.sort_by(|a, b| {
        sort_key(&a.name)
            .cmp(&sort_key(&b.name))
            .then_with(|| a.id.cmp(&b.id))
    });
}

/// The bundled presets, read once.
///
/// # Panics
/// Never for a build that passed its tests: the bundled files are checked by the crate's tests,
/// so a failure here is a defect in `data/`, reported with the file and the key.
#[cfg(feature = "bundled")]
fn bundled() -> &'static [Preset] {
    static ALL: std::sync::LazyLock<Vec<Preset>> = std::sync::LazyLock::new(|| {
        let lines: Vec<&str> = BUNDLED_JSON.lines().collect();
        assert_eq!(
            lines.len(),
            BUNDLED_FILES.len(),
            "build.rs wrote one JSON line per bundled file"
        );
        let mut presets: Vec<Preset> = BUNDLED_FILES
            .iter()
            .zip(lines)
            .map(|(file, json)| {
                from_bundled_json(file, json)
                    .unwrap_or_else(|error| panic!("bundled preset is broken: {error}"))
            })
            .collect();
        sort_by_name(&mut presets);
        presets
    });
    &ALL
}

/// ASCII case folding: the names are ASCII (a test says so), and Unicode's `to_lowercase` would
/// bring its case tables into the wasm (8.6 KB gzipped) for this one use.
#[cfg(feature = "bundled")]
fn sort_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// The bundled preset with this id.
pub fn by_id(id: &str) -> Option<&'static Preset> {
    all().iter().find(|preset| preset.id == id)
}

/// The file names (under `data/`) of the bundled presets, in the order `build.rs` embeds them
/// (for the tests and tools that check the files).
pub fn bundled_file_names() -> &'static [&'static str] {
    BUNDLED_FILES
}

/// The hosts the bundled presets' token, refresh and follow-up calls go to, sorted and without duplicates.
///
/// A host label that holds a variable becomes `*`, so `https://{account_id}.suitetalk.api.netsuite.com/…`
/// gives `*.suitetalk.api.netsuite.com`. A `*` stands for whatever the variable holds, which may be
/// more than one label (Dayforce's test host `dfidtst.np`).
pub fn token_host_patterns() -> Vec<String> {
    let mut hosts: Vec<String> = all()
        .iter()
        .flat_map(|preset| {
            std::iter::once(&preset.settings.token)
                .chain(preset.settings.refresh.as_ref())
                .chain(preset.settings.follow_up.as_ref())
        })
        .filter_map(|endpoint| host_pattern(&endpoint.url))
        .collect();
    hosts.sort();
    hosts.dedup();
    hosts
}

/// The host of a URL template, with each label that holds a `{variable}` turned into `*` and
/// without port or credentials; `None` when the template has no `scheme://host`.
pub fn host_pattern(url_template: &str) -> Option<String> {
    let (_, rest) = url_template.trim().split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_and_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = if host_and_port.starts_with('[') {
        // An IPv6 literal: its `:`s are not a port separator.
        host_and_port
            .find(']')
            .map_or(host_and_port, |end| &host_and_port[..=end])
    } else {
        // Variable names cannot hold a `:`, so the first one starts the port.
        host_and_port.split(':').next().unwrap_or_default()
    };
    if host.is_empty() {
        return None;
    }
    let labels: Vec<&str> = host
        .split('.')
        .map(|label| if label.contains('{') { "*" } else { label })
        .collect();
    Some(labels.join(".").to_ascii_lowercase())
}

/// Why a preset file was refused. Every message names the file; the TOML parser's messages also
/// give the line, the column and the key, the JSON reader's (bundled presets) the key.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum PresetError {
    /// The text is not TOML (or, for a bundled preset, its JSON form is not JSON), or it has a
    /// key the schema does not know, lacks a required key or holds a value of the wrong type.
    #[error("{file}: {message}")]
    Syntax {
        /// The file name.
        file: String,
        /// The parser's message (TOML: with line, column and key).
        message: String,
    },
    /// The file is well-formed but some values are not acceptable.
    #[error("{file}: {}", ProblemList(.problems))]
    Invalid {
        /// The file name.
        file: String,
        /// Every problem found, not just the first.
        problems: Vec<Problem>,
    },
}

/// A value that is well-formed but not acceptable, with the key it is under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The key, as written in the file (`docs-url`, `notes.register`) or, for the settings, the
    /// field as the wizard names it ("settings: Token URL").
    pub key: String,
    /// What is wrong, in words a user understands.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.key, self.message)
    }
}

struct ProblemList<'a>(&'a [Problem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, problem) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

/// Parses one preset file: strict TOML (unknown keys are errors), then a check of the values
/// ([`Preset::check`]). `file_name` only labels the errors.
#[cfg(feature = "toml")]
pub fn parse(file_name: &str, text: &str) -> Result<Preset, PresetError> {
    let preset: Preset = toml::from_str(text).map_err(|error| PresetError::Syntax {
        file: file_name.to_owned(),
        message: error.to_string().trim_end().to_owned(),
    })?;
    checked(file_name, preset)
}

/// One line of [`BUNDLED_JSON`], read as strictly as `parse` reads the TOML.
#[cfg(feature = "bundled")]
fn from_bundled_json(file_name: &str, json: &str) -> Result<Preset, PresetError> {
    let preset: Preset = serde_json::from_str(json).map_err(|error| PresetError::Syntax {
        file: file_name.to_owned(),
        // The position is in the generated JSON, not in the file: leave it out.
        message: config::strip_position(&error.to_string()),
    })?;
    checked(file_name, preset)
}

/// `preset` if [`Preset::check`] finds nothing, else every problem it found.
#[cfg(any(feature = "toml", feature = "bundled"))]
fn checked(file_name: &str, preset: Preset) -> Result<Preset, PresetError> {
    let problems = preset.check();
    if problems.is_empty() {
        Ok(preset)
    } else {
        Err(PresetError::Invalid {
            file: file_name.to_owned(),
            problems,
        })
    }
}

impl Preset {
    /// `Ok` when [`Preset::check`] finds nothing, else every problem, labelled with the catalog and
    /// the preset: what the wizard asks before it uses a preset from the catalog it fetched.
    pub fn verified(&self) -> Result<(), PresetError> {
        let problems = self.check();
        if problems.is_empty() {
            return Ok(());
        }
        Err(PresetError::Invalid {
            file: format!("catalog.json ({})", self.id),
            problems,
        })
    }

    /// Every problem with the values: an id that is not kebab-case, an empty or multi-line name or
    /// description, links that are not https, a date that is not `YYYY-MM-DD`, empty notes, and
    /// whatever [`ServiceSettings::validate`] finds.
    pub fn check(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut report = |key: &str, message: String| {
            problems.push(Problem {
                key: key.to_owned(),
                message,
            })
        };
        if !is_kebab_id(&self.id) {
            report(
                "id",
                format!(
                    "`{}` is not a preset id: use lowercase letters, digits and single `-`",
                    self.id
                ),
            );
        }
        for (key, value) in [("name", &self.name), ("description", &self.description)] {
            if value.trim().is_empty() {
                report(key, "is empty".to_owned());
            } else if value.contains(['\n', '\r']) {
                report(key, "must be one line".to_owned());
            }
        }
        if let Err(message) = check_https(&self.docs_url) {
            report("docs-url", message);
        }
        if self.sources.is_empty() {
            report("sources", "lists no documentation page".to_owned());
        }
        for (index, source) in self.sources.iter().enumerate() {
            if let Err(message) = check_https(source) {
                report(&format!("sources[{index}]"), message);
            }
        }
        if !is_iso_date(&self.checked) {
            report(
                "checked",
                format!("`{}` is not a date written as YYYY-MM-DD", self.checked),
            );
        }
        let notes = [
            ("notes.register", &self.notes.register),
            ("notes.redirect-uri", &self.notes.redirect_uri),
            ("notes.after-token", &self.notes.after_token),
            ("notes.lifetimes", &self.notes.lifetimes),
        ];
        for (key, value) in notes {
            if value.trim().is_empty() {
                report(key, "is empty".to_owned());
            }
        }
        for message in self.redirect.iter().flat_map(|rules| rules.check()) {
            report("redirect", message);
        }
        for (index, entry) in self.errors.iter().enumerate() {
            for message in entry.check() {
                report(&format!("errors[{index}]"), message);
            }
        }
        if let Err(errors) = self.settings.validate() {
            for error in errors {
                report("settings", error.to_string());
            }
        }
        problems
    }
}

/// `lowercase-words-and-digits`: no leading, trailing or doubled `-`.
pub(crate) fn is_kebab_id(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

fn check_https(link: &str) -> Result<(), String> {
    match url::Url::parse(link) {
        Ok(url) if url.scheme() == "https" && url.host().is_some() => Ok(()),
        Ok(_) => Err(format!("`{link}` is not an https:// link")),
        Err(error) => Err(format!("`{link}` is not a link ({error})")),
    }
}

/// `YYYY-MM-DD` with a month 01–12 and a day that exists in that month.
fn is_iso_date(date: &str) -> bool {
    let bytes = date.as_bytes();
    let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
    if bytes.len() != 10
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || !digits(0..4)
        || !digits(5..7)
        || !digits(8..10)
    {
        return false;
    }
    let number = |range: std::ops::Range<usize>| date[range].parse::<u32>().unwrap_or(0);
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days_in_month).contains(&day)
}

#[cfg(test)]
mod tests;
