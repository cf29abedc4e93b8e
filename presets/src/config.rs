//! The configuration file the app exports and imports: a service's settings plus the values the
//! user typed (client id, redirect URI, service variables; secrets only when asked for).
//!
//! The format is JSON with kebab-case keys, like the settings inside it:
//!
//! ```json
//! { "format-version": 1, "preset-id": "google-cloud", "settings": { … }, "values": { "client_id": "…" } }
//! ```
//!
//! Reading is strict about the format: an unknown key, a wrong type, a newer format version or a
//! value for a variable the settings do not use is refused with a message in words rather than
//! the parser's, and the line and column where it is. Settings that are valid JSON but incomplete or wrong
//! (an empty token URL, a template naming an unknown variable) are read, because the wizard
//! exports whatever the user has typed so far; [`ConfigFile::settings_problems`] lists them so
//! the importer can show them at their fields.

use std::collections::BTreeMap;

use engine::{SECRET_VARIABLES, ServiceSettings, Vars};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The format version this build writes and reads.
pub const CONFIG_FORMAT_VERSION: u32 = 1;

/// The largest file [`ConfigFile::from_json`] reads; a configuration is a few kilobytes.
const MAX_FILE_BYTES: usize = 256 * 1024;
/// The largest single value (a refresh token can be a long JWT, but not this long).
const MAX_VALUE_BYTES: usize = 16 * 1024;

/// Variables that belong to one authorization attempt or are derived from the settings: never
/// exported, refused on import.
pub const PER_RUN_VARIABLES: &[&str] = &["code", "code_verifier", "state", "grant_type", "scope"];

/// An exported configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ConfigFile {
    /// Always [`CONFIG_FORMAT_VERSION`] when written by this build.
    pub format_version: u32,
    /// The preset the settings started from, if any (the settings may have been edited since).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset_id: Option<String>,
    /// The service's settings.
    pub settings: ServiceSettings,
    /// Variable values by name: `client_id`, `redirect_uri`, the service's variables, kept callback
    /// parameters and, only when the user asked for them, `client_secret`, `token` and
    /// `refresh_token`.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
}

/// Why a configuration file was refused.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// Larger than any configuration this app writes.
    #[error(
        "the file is {size} bytes, more than a configuration can be ({MAX_FILE_BYTES} bytes); is it the right file?"
    )]
    TooLarge {
        /// The file's size in bytes.
        size: usize,
    },
    /// Not JSON, or JSON with a key this format does not have, a missing key or a wrong type.
    #[error(
        "this is not an OAuth Token Wizard configuration: {message} (line {line}, column {column})"
    )]
    Json {
        /// What is wrong, in words (e.g. "a value must be text in quotes, not the number 2").
        message: String,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
    },
    /// Written by a newer (or unknown) version of the app.
    #[error(
        "the configuration has format version {found}, but this version of the app reads version {CONFIG_FORMAT_VERSION} only"
    )]
    UnsupportedVersion {
        /// The `format-version` in the file.
        found: u32,
    },
    /// A `preset-id` that cannot be an id.
    #[error("`preset-id` \"{0}\" is not a preset id (lowercase letters, digits and `-`)")]
    PresetId(String),
    /// A value that cannot be imported.
    #[error("`values.{name}`: {reason}")]
    Value {
        /// The variable name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl ConfigFile {
    /// A configuration for `settings` and the user's `vars`.
    ///
    /// Keeps the non-empty values of the variables the settings use, except the per-authorization
    /// ones (`code`, `code_verifier`, `state`, `grant_type`, `scope`). Secrets (`client_secret`, `user_name`,
    /// `token`, `refresh_token`) are kept only when `include_secrets` is true.
    pub fn new(
        preset_id: Option<&str>,
        settings: ServiceSettings,
        vars: &Vars,
        include_secrets: bool,
    ) -> Self {
        let known = settings.known_variables();
        // `extend` inserts one by one; `collect()` would add a stable sort to the wasm.
        let mut values = BTreeMap::new();
        values.extend(
            vars.iter()
                .filter(|(name, value)| {
                    !value.is_empty()
                        && !PER_RUN_VARIABLES.contains(name)
                        && known.iter().any(|known| known == name)
                        && (include_secrets || !SECRET_VARIABLES.contains(name))
                })
                .map(|(name, value)| (name.to_owned(), value.to_owned())),
        );
        Self {
            format_version: CONFIG_FORMAT_VERSION,
            preset_id: preset_id.map(str::to_owned),
            settings,
            values,
        }
    }

    /// The values as template variables, to hand to the request builders.
    pub fn vars(&self) -> Vars {
        self.values
            .iter()
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect()
    }

    /// Whether the file carries any secret.
    pub fn has_secrets(&self) -> bool {
        self.values
            .keys()
            .any(|name| SECRET_VARIABLES.contains(&name.as_str()))
    }

    /// The name `otw` (the command-line token keeper) gives this configuration's profile: the
    /// preset id, or `custom` for custom settings.
    pub fn profile_name(&self) -> &str {
        self.preset_id.as_deref().unwrap_or("custom")
    }

    /// The file name a "use in scripts" export is saved under.
    pub fn script_file_name(&self) -> String {
        format!("otw-{}.json", self.profile_name())
    }

    /// The shell commands that put this file to use with `otw` once it is saved: import it, then
    /// — when it carries no refresh token — authorize from the terminal, then print a token.
    pub fn otw_commands(&self) -> Vec<String> {
        let profile = self.profile_name();
        let mut commands = vec![format!(
            "otw import {} --name {profile}",
            self.script_file_name()
        )];
        if self
            .values
            .get("refresh_token")
            .is_none_or(|token| token.is_empty())
        {
            commands.push(format!("otw login {profile}"));
        }
        commands.push(format!("otw token {profile}"));
        commands
    }

    /// The configuration as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        // Only strings, numbers, booleans and string-keyed maps: serialization cannot fail.
        let mut json =
            serde_json::to_string_pretty(self).expect("a ConfigFile always serializes to JSON");
        json.push('\n');
        json
    }

    /// Reads a configuration written by [`ConfigFile::to_json`] (or by hand), strictly: see the
    /// module documentation for what is refused.
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        if text.len() > MAX_FILE_BYTES {
            return Err(ConfigError::TooLarge { size: text.len() });
        }
        // serde_json's error says where (line, column) but not which key; naming the key would
        // need a second deserializer for every settings type in the wasm (serde_path_to_error:
        // about 12 KB gzipped), so the words name the kind of mistake and the position says where.
        let file: Self = serde_json::from_str(text).map_err(|error| json_error(&error))?;
        if file.format_version != CONFIG_FORMAT_VERSION {
            return Err(ConfigError::UnsupportedVersion {
                found: file.format_version,
            });
        }
        if let Some(id) = &file.preset_id
            && !crate::is_kebab_id(id)
        {
            return Err(ConfigError::PresetId(id.clone()));
        }
        file.check_values()?;
        Ok(file)
    }

    /// What the settings still need (empty or invalid fields), each naming its field; empty
    /// when the settings are complete.
    pub fn settings_problems(&self) -> Vec<engine::SettingsError> {
        self.settings.validate().err().unwrap_or_default()
    }

    fn check_values(&self) -> Result<(), ConfigError> {
        let known = self.settings.known_variables();
        for (name, value) in &self.values {
            let refuse = |reason: &str| {
                Err(ConfigError::Value {
                    name: name.clone(),
                    reason: reason.to_owned(),
                })
            };
            if PER_RUN_VARIABLES.contains(&name.as_str()) {
                return refuse(
                    "belongs to a single authorization and is never part of a configuration; remove it",
                );
            }
            if !known.iter().any(|known| known == name) {
                return refuse("is not a variable these settings use");
            }
            if value.len() > MAX_VALUE_BYTES {
                return refuse("is longer than any value the app stores (16 KiB)");
            }
        }
        Ok(())
    }
}

/// A JSON error in words.
fn json_error(error: &serde_json::Error) -> ConfigError {
    let raw = strip_position(&error.to_string());
    let message = match error.classify() {
        serde_json::error::Category::Eof => {
            "the file ends too early: it is cut off, or a bracket or quote is not closed".to_owned()
        }
        serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
            format!("the file is not valid JSON ({raw})")
        }
        serde_json::error::Category::Data => data_error_in_words(&raw),
    };
    ConfigError::Json {
        message,
        line: error.line(),
        column: error.column(),
    }
}

/// serde's data errors ("invalid type: integer `2`, expected a string", "missing field `x`")
/// rewritten for a person; anything else keeps serde's words.
fn data_error_in_words(raw: &str) -> String {
    if let Some(rest) = raw.strip_prefix("invalid type: ")
        && let Some((found, expected)) = rest.split_once(", expected ")
    {
        return format!(
            "a value must be {}, not {}",
            kind_in_words(expected),
            kind_in_words(found)
        );
    }
    if let Some(field) = raw.strip_prefix("missing field ") {
        return format!("the key {field} is missing");
    }
    if let Some(rest) = raw.strip_prefix("unknown field ") {
        let (field, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        let known = if expected.is_empty() {
            String::new()
        } else {
            format!(
                " (there it knows {})",
                expected.trim_start_matches("one of ")
            )
        };
        return format!("the key {field} is not part of this format{known}");
    }
    if let Some(rest) = raw.strip_prefix("unknown variant ") {
        let (value, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        return format!("{value} is not one of {expected}");
    }
    raw.to_owned()
}

/// serde's names of JSON kinds, as a person says them.
fn kind_in_words(kind: &str) -> String {
    let kind = kind.trim();
    let value = |prefix: &str| kind.strip_prefix(prefix).map(|v| v.trim_matches('`'));
    if let Some(number) = value("integer ").or_else(|| value("floating point ")) {
        return format!("the number {number}");
    }
    if let Some(text) = value("string ") {
        return format!("the text \"{text}\"");
    }
    if let Some(flag) = value("boolean ") {
        return format!("{flag} (true/false)");
    }
    match kind {
        "a string" | "string" => "text in quotes".to_owned(),
        "map" | "a map" | "struct ConfigFile" => "an object { … }".to_owned(),
        "sequence" | "a sequence" => "a list [ … ]".to_owned(),
        "null" | "unit value" => "null".to_owned(),
        "u32" | "u64" | "a u32" | "u8" | "u16" => "a whole number".to_owned(),
        "a boolean" => "true or false".to_owned(),
        other if other.starts_with("struct ") => "an object { … }".to_owned(),
        other => other.to_owned(),
    }
}

/// serde_json ends its messages with " at line L column C"; the error shows the position itself.
pub(crate) fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}
