//! Unit tests of parsing, checking and the small helpers. The bundled files themselves are checked
//! in `tests/it`.

use super::*;

/// A minimal valid preset file; tests change one thing in it.
const MINIMAL: &str = r#"
id = "example"
name = "Example"
description = "An example service."
docs-url = "https://example.com/docs"
sources = ["https://example.com/docs"]
checked = "2026-11-29"

[notes]
register = "Register at example.com."
redirect-uri = "Exact match."
after-token = "Call the API."
lifetimes = "One hour."

[settings.token]
url = "https://example.com/token"
grant-type = "authorization_code"
"#;

fn with(replace: &str, by: &str) -> String {
    assert!(MINIMAL.contains(replace), "test fixture lacks {replace:?}");
    MINIMAL.replacen(replace, by, 1)
}

#[test]
fn minimal_file_parses_with_settings_defaults() {
    let preset = parse("example.toml", MINIMAL).expect("minimal preset parses");
    assert_eq!(preset.id, "example");
    assert_eq!(preset.settings.client_id_label, "Client ID");
    assert_eq!(
        preset.settings.token.client_auth,
        engine::ClientAuth::BasicHeader
    );
    assert!(preset.settings.authorization.is_none());
    assert!(preset.settings.refresh.is_none());
}

#[test]
fn unknown_key_is_refused_naming_file_and_key() {
    let text = with(
        "checked = \"2026-11-29\"",
        "checked = \"2026-11-29\"\nhomepage = \"https://example.com\"",
    );
    let error = parse("example.toml", &text).unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, PresetError::Syntax { .. }), "{error:?}");
    assert!(message.starts_with("example.toml: "), "{message}");
    assert!(message.contains("homepage"), "{message}");
}

#[test]
fn unknown_key_inside_settings_is_refused() {
    let text = with(
        "grant-type = \"authorization_code\"",
        "grant-type = \"authorization_code\"\ngrant = \"x\"",
    );
    let message = parse("example.toml", &text).unwrap_err().to_string();
    assert!(message.contains("grant"), "{message}");
    assert!(
        message.contains("line"),
        "the toml message gives the line: {message}"
    );
}

#[test]
fn snake_case_key_is_refused() {
    let text = with("docs-url", "docs_url");
    let message = parse("example.toml", &text).unwrap_err().to_string();
    assert!(message.contains("docs_url"), "{message}");
}

#[test]
fn missing_key_is_refused() {
    let text = with("lifetimes = \"One hour.\"\n", "");
    let message = parse("example.toml", &text).unwrap_err().to_string();
    assert!(message.contains("lifetimes"), "{message}");
}

#[test]
fn wrong_enum_value_is_refused() {
    let text = with(
        "grant-type = \"authorization_code\"",
        "grant-type = \"authorization_code\"\nclient-auth = \"basic\"",
    );
    let message = parse("example.toml", &text).unwrap_err().to_string();
    assert!(message.contains("basic"), "{message}");
}

fn problems(text: &str) -> Vec<Problem> {
    match parse("example.toml", text) {
        Err(PresetError::Invalid { problems, .. }) => problems,
        other => panic!("expected value problems, got {other:?}"),
    }
}

fn keys(problems: &[Problem]) -> Vec<&str> {
    problems
        .iter()
        .map(|problem| problem.key.as_str())
        .collect()
}

#[test]
fn bad_values_are_all_reported_with_their_keys() {
    let text = with("id = \"example\"", "id = \"Example_1\"")
        .replacen(
            "description = \"An example service.\"",
            "description = \"two\\nlines\"",
            1,
        )
        .replacen(
            "docs-url = \"https://example.com/docs\"",
            "docs-url = \"http://example.com/docs\"",
            1,
        )
        .replacen("checked = \"2026-11-29\"", "checked = \"2026-02-30\"", 1)
        .replacen(
            "register = \"Register at example.com.\"",
            "register = \"  \"",
            1,
        );
    let found = problems(&text);
    assert_eq!(
        keys(&found),
        ["id", "description", "docs-url", "checked", "notes.register"],
        "{found:?}"
    );
    let error = parse("example.toml", &text).unwrap_err().to_string();
    assert!(error.starts_with("example.toml: `id`: "), "{error}");
    assert!(
        error.contains("`docs-url`: `http://example.com/docs` is not an https:// link"),
        "{error}"
    );
}

#[test]
fn empty_sources_and_bad_source_are_reported() {
    let none = with("sources = [\"https://example.com/docs\"]", "sources = []");
    assert_eq!(keys(&problems(&none)), ["sources"]);
    let bad = with(
        "sources = [\"https://example.com/docs\"]",
        "sources = [\"https://example.com/docs\", \"not a link\"]",
    );
    assert_eq!(keys(&problems(&bad)), ["sources[1]"]);
}

#[test]
fn settings_problems_come_from_engine_validation() {
    let text = with(
        "url = \"https://example.com/token\"",
        "url = \"https://{tenant}.example.com/token\"",
    );
    let found = problems(&text);
    assert_eq!(keys(&found), ["settings"]);
    assert!(found[0].message.contains("Token URL"), "{found:?}");
    assert!(found[0].message.contains("{tenant}"), "{found:?}");
}

#[test]
fn kebab_ids() {
    for good in ["a", "google-cloud", "x2", "business-central-on-premises"] {
        assert!(is_kebab_id(good), "{good}");
    }
    for bad in ["", "-a", "a-", "a--b", "A", "a_b", "a b", "é"] {
        assert!(!is_kebab_id(bad), "{bad}");
    }
}

#[test]
fn iso_dates() {
    for good in ["2026-11-29", "2024-02-29", "2000-02-29", "1999-12-31"] {
        assert!(is_iso_date(good), "{good}");
    }
    for bad in [
        "2026-11-31",
        "2023-02-29",
        "1900-02-29",
        "2026-13-01",
        "2026-00-10",
        "2026-1-01",
        "26-11-29",
        "2026/11/29",
        "２０２６-11-29",
    ] {
        assert!(!is_iso_date(bad), "{bad}");
    }
}

#[test]
fn host_patterns_replace_variable_labels() {
    let cases = [
        (
            "https://oauth2.googleapis.com/token",
            Some("oauth2.googleapis.com"),
        ),
        (
            "https://{account_id}.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token",
            Some("*.suitetalk.api.netsuite.com"),
        ),
        (
            "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
            Some("login.microsoftonline.com"),
        ),
        ("https://Example.COM:8443/token?x=1", Some("example.com")),
        ("https://user:pw@example.com/token", Some("example.com")),
        ("https://{host}/token", Some("*")),
        ("https://{region}-api.example.com", Some("*.example.com")),
        ("https://[::1]:8080/token", Some("[::1]")),
        ("not a url", None),
        ("https:///path", None),
    ];
    for (template, expected) in cases {
        assert_eq!(host_pattern(template).as_deref(), expected, "{template}");
    }
}

#[test]
fn all_is_sorted_by_name_case_insensitively() {
    let names: Vec<String> = all()
        .iter()
        .map(|preset| preset.name.to_lowercase())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
}

#[test]
fn by_id_finds_bundled_presets_only() {
    assert_eq!(
        by_id("quickbooks").map(|preset| preset.name.as_str()),
        Some("QuickBooks Online")
    );
    assert!(by_id("QuickBooks").is_none());
    assert!(by_id("").is_none());
}

#[test]
fn token_hosts_cover_every_bundled_endpoint() {
    let hosts = token_host_patterns();
    for expected in [
        "oauth2.googleapis.com",
        "*.suitetalk.api.netsuite.com",
        "login.microsoftonline.com",
        "graph.facebook.com",
        "graph.instagram.com",
        "*.dayforcehcm.com",
        "oauth.platform.intuit.com",
    ] {
        assert!(
            hosts.iter().any(|host| host == expected),
            "{expected} missing from {hosts:?}"
        );
    }
    let mut sorted = hosts.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(hosts, sorted, "sorted without duplicates");
    // Authorization endpoints are opened by the browser, not proxied.
    assert!(
        !hosts.iter().any(|host| host == "accounts.google.com"),
        "{hosts:?}"
    );
}

/// The JSON form of [`MINIMAL`], as `build.rs` would write it, with `edit` applied.
fn minimal_json(edit: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>)) -> String {
    let preset = parse("example.toml", MINIMAL).expect("minimal preset parses");
    let mut value = serde_json::to_value(preset).expect("a preset serializes");
    edit(value.as_object_mut().expect("a preset is an object"));
    serde_json::to_string(&value).expect("JSON serializes")
}

#[test]
fn bundled_json_reads_like_the_toml() {
    let json = minimal_json(|_| {});
    assert!(!json.contains('\n'), "one preset is one line: {json}");
    assert_eq!(
        from_bundled_json("example.toml", &json),
        parse("example.toml", MINIMAL)
    );
}

#[test]
fn bundled_json_with_unknown_key_names_file_and_key_without_json_position() {
    let json = minimal_json(|object| {
        object.insert("homepage".to_owned(), "https://example.com".into());
    });
    let error = from_bundled_json("example.toml", &json).unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, PresetError::Syntax { .. }), "{error:?}");
    assert!(message.starts_with("example.toml: "), "{message}");
    assert!(message.contains("homepage"), "{message}");
    assert!(!message.contains(" at line "), "{message}");
}

#[test]
fn bundled_json_values_are_checked_too() {
    let json = minimal_json(|object| {
        object.insert("id".to_owned(), "Example_1".into());
    });
    match from_bundled_json("example.toml", &json) {
        Err(PresetError::Invalid { problems, .. }) => assert_eq!(keys(&problems), ["id"]),
        other => panic!("expected the id to be refused, got {other:?}"),
    }
}

#[test]
fn every_bundled_file_has_its_json_line() {
    assert_eq!(BUNDLED_JSON.lines().count(), BUNDLED_FILES.len());
    assert_eq!(all().len(), BUNDLED_FILES.len());
}
