//! The exported configuration: what goes in, what stays out, and what an import refuses.

use engine::Vars;
use presets::{CONFIG_FORMAT_VERSION, ConfigError, ConfigFile, by_id};

fn quickbooks_vars() -> Vars {
    Vars::new()
        .with("client_id", "id-123")
        .with("redirect_uri", "http://127.0.0.1:8787/callback")
        .with("realmId", "9341453000000000")
        .with("client_secret", "secret-456")
        .with("refresh_token", "refresh-789")
        .with("token", "access-000")
        .with("code", "code-abc")
        .with("code_verifier", "verifier-def")
        .with("state", "state-ghi")
        .with("scope", "com.intuit.quickbooks.accounting")
        .with("user_name", "")
        .with("not_a_variable", "stray")
}

fn quickbooks_config(include_secrets: bool) -> ConfigFile {
    let preset = by_id("quickbooks").expect("quickbooks preset");
    ConfigFile::new(
        Some("quickbooks"),
        preset.settings.clone(),
        &quickbooks_vars(),
        include_secrets,
    )
}

#[test]
fn export_keeps_the_users_values_but_no_secret_unless_asked() {
    let config = quickbooks_config(false);
    let names: Vec<&str> = config.values.keys().map(String::as_str).collect();
    assert_eq!(names, ["client_id", "realmId", "redirect_uri"]);
    assert!(!config.has_secrets());
    assert!(!config.to_json().contains("secret-456"));
}

#[test]
fn export_with_secrets_adds_only_the_lasting_secrets() {
    let config = quickbooks_config(true);
    let names: Vec<&str> = config.values.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "client_id",
            "client_secret",
            "realmId",
            "redirect_uri",
            "refresh_token",
            "token"
        ]
    );
    assert!(config.has_secrets());
    let json = config.to_json();
    for per_run in ["code-abc", "verifier-def", "state-ghi"] {
        assert!(!json.contains(per_run), "{per_run} must never be exported");
    }
}

#[test]
fn json_round_trip_is_lossless() {
    let config = quickbooks_config(true);
    let json = config.to_json();
    assert!(json.contains("\"format-version\": 1"), "{json}");
    assert!(json.contains("\"preset-id\": \"quickbooks\""), "{json}");
    assert!(
        json.contains("\"client-auth\": \"basic-header\""),
        "settings keep their kebab-case keys: {json}"
    );
    let back = ConfigFile::from_json(&json).expect("own export imports");
    assert_eq!(back, config);
    assert_eq!(back.vars().get("realmId"), Some("9341453000000000"));
}

#[test]
fn custom_settings_export_without_preset_id() {
    let preset = by_id("mailchimp").expect("mailchimp preset");
    let config = ConfigFile::new(
        None,
        preset.settings.clone(),
        &Vars::new().with("client_id", "x"),
        false,
    );
    let json = config.to_json();
    assert!(!json.contains("preset-id"), "{json}");
    assert_eq!(
        ConfigFile::from_json(&json).expect("imports").preset_id,
        None
    );
}

fn edited_json(edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut value: serde_json::Value =
        serde_json::from_str(&quickbooks_config(false).to_json()).expect("json");
    edit(&mut value);
    value.to_string()
}

#[test]
fn unknown_key_is_refused_with_its_name() {
    let json = edited_json(|value| {
        value["extra"] = serde_json::json!(1);
    });
    let error = ConfigFile::from_json(&json).unwrap_err();
    assert!(matches!(error, ConfigError::Json { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("the key `extra` is not part of this format"),
        "{error}"
    );
}

#[test]
fn json_errors_are_in_words_with_their_position() {
    let wrong_type = edited_json(|value| {
        value["settings"]["token"]["url"] = serde_json::json!(2);
    });
    let message = ConfigFile::from_json(&wrong_type).unwrap_err().to_string();
    assert!(
        message.contains("a value must be text in quotes, not the number 2 (line 1,"),
        "{message}"
    );
    let cut = &quickbooks_config(false).to_json()[..40];
    let message = ConfigFile::from_json(cut).unwrap_err().to_string();
    assert!(message.contains("the file ends too early"), "{message}");
    assert!(!message.contains("EOF"), "{message}");
    let nested_unknown = edited_json(|value| {
        value["settings"]["token"]["verb"] = serde_json::json!("POST");
    });
    let message = ConfigFile::from_json(&nested_unknown)
        .unwrap_err()
        .to_string();
    assert!(
        message
            .contains("the key `verb` is not part of this format (there it knows `url`, `method`"),
        "{message}"
    );
    let trailing = format!("{} x", quickbooks_config(false).to_json());
    let message = ConfigFile::from_json(&trailing).unwrap_err().to_string();
    assert!(message.contains("not valid JSON"), "{message}");
}

#[test]
fn unknown_settings_key_is_refused() {
    let json = edited_json(|value| {
        value["settings"]["token"]["verb"] = serde_json::json!("POST");
    });
    let message = ConfigFile::from_json(&json).unwrap_err().to_string();
    assert!(message.contains("verb"), "{message}");
}

#[test]
fn newer_format_version_is_refused() {
    let json = edited_json(|value| {
        value["format-version"] = serde_json::json!(CONFIG_FORMAT_VERSION + 1);
    });
    assert_eq!(
        ConfigFile::from_json(&json).unwrap_err(),
        ConfigError::UnsupportedVersion { found: 2 }
    );
}

#[test]
fn not_json_reports_line_and_column() {
    let error = ConfigFile::from_json("{\n  \"format-version\": 1,\n  oops\n}").unwrap_err();
    match &error {
        ConfigError::Json { line, column, .. } => assert_eq!((*line, *column), (3, 3)),
        other => panic!("expected a JSON error, got {other:?}"),
    }
    assert!(error.to_string().contains("(line 3, column 3)"), "{error}");
}

#[test]
fn missing_format_version_is_refused() {
    let json = edited_json(|value| {
        value
            .as_object_mut()
            .expect("object")
            .remove("format-version");
    });
    let message = ConfigFile::from_json(&json).unwrap_err().to_string();
    assert!(message.contains("format-version"), "{message}");
}

#[test]
fn incomplete_settings_are_read_and_their_problems_named() {
    let json = edited_json(|value| {
        value["settings"]["token"]["url"] = serde_json::json!("ftp://example.com/{nope}");
    });
    let file = ConfigFile::from_json(&json).expect("read, for the user to fix");
    let problems: Vec<String> = file
        .settings_problems()
        .iter()
        .map(ToString::to_string)
        .collect();
    let message = problems.join("; ");
    assert!(message.contains("Token URL"), "{message}");
    assert!(message.contains("{nope}"), "{message}");
}

#[test]
fn whatever_the_wizard_exports_before_step_3_is_filled_it_imports() {
    // Custom settings as "Customize OAuth settings" starts them: every URL still empty.
    let mut settings = presets::by_id("google-cloud").unwrap().settings.clone();
    settings.token.url = String::new();
    if let Some(auth) = settings.authorization.as_mut() {
        auth.url = String::new();
    }
    let vars: Vars = [
        ("client_id", "id"),
        ("redirect_uri", "http://127.0.0.1:8787/callback"),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_owned(), v.to_owned()))
    .collect();
    let exported = ConfigFile::new(None, settings, &vars, false);
    let imported = ConfigFile::from_json(&exported.to_json()).expect("imports");
    assert_eq!(imported, exported);
    assert!(!imported.settings_problems().is_empty());
}

#[test]
fn values_for_unknown_or_per_run_variables_are_refused() {
    let unknown = edited_json(|value| {
        value["values"]["tenant"] = serde_json::json!("x");
    });
    assert_eq!(
        ConfigFile::from_json(&unknown).unwrap_err().to_string(),
        "`values.tenant`: is not a variable these settings use"
    );
    let per_run = edited_json(|value| {
        value["values"]["code"] = serde_json::json!("x");
    });
    assert!(
        ConfigFile::from_json(&per_run)
            .unwrap_err()
            .to_string()
            .starts_with("`values.code`: belongs to a single authorization")
    );
}

#[test]
fn bad_preset_id_is_refused() {
    let json = edited_json(|value| {
        value["preset-id"] = serde_json::json!("Google Cloud");
    });
    assert_eq!(
        ConfigFile::from_json(&json).unwrap_err(),
        ConfigError::PresetId("Google Cloud".to_owned())
    );
}

#[test]
fn oversized_file_and_value_are_refused() {
    let huge = " ".repeat(300 * 1024);
    assert!(matches!(
        ConfigFile::from_json(&huge),
        Err(ConfigError::TooLarge { .. })
    ));
    let json = edited_json(|value| {
        value["values"]["client_id"] = serde_json::json!("x".repeat(17 * 1024));
    });
    assert!(
        ConfigFile::from_json(&json)
            .unwrap_err()
            .to_string()
            .contains("16 KiB")
    );
}

#[test]
fn otw_commands_import_then_token_or_login_without_a_refresh_token() {
    let with_refresh = quickbooks_config(true);
    assert_eq!(with_refresh.script_file_name(), "otw-quickbooks.json");
    assert_eq!(
        with_refresh.otw_commands(),
        [
            "otw import otw-quickbooks.json --name quickbooks",
            "otw token quickbooks"
        ]
    );
    let without = quickbooks_config(false);
    assert_eq!(
        without.otw_commands(),
        [
            "otw import otw-quickbooks.json --name quickbooks",
            "otw login quickbooks",
            "otw token quickbooks"
        ]
    );
    let mut custom = quickbooks_config(true);
    custom.preset_id = None;
    custom.values.remove("refresh_token");
    assert_eq!(custom.profile_name(), "custom");
    assert_eq!(custom.otw_commands()[1], "otw login custom");
}
