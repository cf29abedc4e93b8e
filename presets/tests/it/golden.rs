//! Golden tests: for each preset, the exact authorization URL, token request and refresh request
//! it produces from the sample inputs, compared with `tests/golden/<id>.txt`.
//!
//! `UPDATE_GOLDEN=1 cargo test -p presets --test it golden` rewrites the files; review the diff
//! against the service's documentation before committing it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use engine::follow_up::follow_up_request;
use engine::request::{HttpRequest, authorization_url, refresh_request, token_request};
use presets::{Preset, all};

use crate::sample;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("golden")
}

fn updating() -> bool {
    std::env::var_os("UPDATE_GOLDEN").is_some_and(|value| value == "1")
}

/// The decoded `name = value` pairs of a query or form body, one per line, for review.
fn decoded_pairs(encoded: &str, out: &mut String) {
    for (name, value) in form_urlencoded::parse(encoded.as_bytes()) {
        let _ = writeln!(out, "    {name} = {value}");
    }
}

fn describe_request(request: &HttpRequest, out: &mut String) {
    let _ = writeln!(out, "{} {}", request.method.as_str(), request.url);
    for (name, value) in &request.headers {
        let _ = writeln!(out, "{name}: {value}");
    }
    if let Some(body) = &request.body {
        let _ = writeln!(out, "\n{body}");
    }
    let url = url::Url::parse(&request.url).expect("built URLs parse");
    if let Some(query) = url.query() {
        let _ = writeln!(out, "  query, decoded:");
        decoded_pairs(query, out);
    }
    if let Some(body) = &request.body
        && request.header("Content-Type") == Some("application/x-www-form-urlencoded")
    {
        let _ = writeln!(out, "  body, decoded:");
        decoded_pairs(body, out);
    }
}

/// The golden text for one preset.
fn render(preset: &Preset) -> String {
    let vars = sample::vars_for(preset);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Requests the `{}` preset builds from the sample inputs (tests/it/sample.rs).",
        preset.id
    );
    let _ = writeln!(
        out,
        "# Regenerate with UPDATE_GOLDEN=1 and review against the documentation in the preset's sources."
    );
    let _ = writeln!(
        out,
        "# PKCE: code_verifier {} has the S256 challenge {}.",
        sample::CODE_VERIFIER,
        sample::CODE_CHALLENGE
    );

    let _ = writeln!(out, "\n## Authorization URL");
    match authorization_url(&preset.settings, &vars) {
        Ok(url) => {
            let _ = writeln!(out, "{url}");
            let query = url::Url::parse(&url)
                .expect("built URLs parse")
                .query()
                .unwrap_or_default()
                .to_owned();
            let _ = writeln!(out, "  query, decoded:");
            decoded_pairs(&query, &mut out);
        }
        Err(error) => {
            let _ = writeln!(out, "(none: {error})");
        }
    }

    let _ = writeln!(out, "\n## Token request");
    match token_request(&preset.settings, &vars) {
        Ok(request) => describe_request(&request, &mut out),
        Err(error) => panic!("{}: token request: {error}", preset.id),
    }
    if !preset.settings.token.token_path.is_empty() {
        let _ = writeln!(out, "  token read at: {}", preset.settings.token.token_path);
    }

    // Only presets with a follow-up exchange get the section, so the others' files stay as they were.
    let first = engine::token::parse_token_response(
        200,
        Some("application/json"),
        r#"{"access_token": "sample-first-access-token", "expires_in": 3600}"#,
    )
    .expect("sample answer parses");
    if let Some(follow_up) = follow_up_request(&preset.settings, &vars, &first) {
        let _ = writeln!(
            out,
            "\n## Follow-up exchange (after a code exchange that gave sample-first-access-token)"
        );
        match follow_up {
            Ok(request) => describe_request(&request, &mut out),
            Err(error) => panic!("{}: follow-up request: {error}", preset.id),
        }
    }

    if let Ok(Some(unsigned)) = engine::assertion::client_assertion(
        &preset.settings,
        engine::Endpoint::Token,
        &vars,
        1_700_000_000,
        &[0; 16],
    ) {
        let _ = writeln!(
            out,
            "\n## Client assertion of the token request (signed {}, at iat 1700000000)",
            unsigned.alg.name()
        );
        for part in unsigned.signing_input.split('.') {
            let decoded =
                base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, part)
                    .expect("base64url");
            let _ = writeln!(out, "{}", String::from_utf8_lossy(&decoded));
        }
    }

    let _ = writeln!(out, "\n## Refresh request");
    match refresh_request(&preset.settings, &vars) {
        Ok(request) => describe_request(&request, &mut out),
        Err(error) => {
            let _ = writeln!(out, "(none: {error})");
        }
    }
    out
}

/// The first line where `expected` and `actual` differ, for a readable failure.
fn first_difference(expected: &str, actual: &str) -> String {
    let mut expected_lines = expected.lines();
    let mut actual_lines = actual.lines();
    for number in 1.. {
        match (expected_lines.next(), actual_lines.next()) {
            (Some(e), Some(a)) if e == a => continue,
            (None, None) => break,
            (e, a) => {
                return format!(
                    "line {number}:\n  expected: {}\n  actual:   {}",
                    e.unwrap_or("<end>"),
                    a.unwrap_or("<end>")
                );
            }
        }
    }
    "only line endings differ".to_owned()
}

#[test]
fn every_preset_builds_its_golden_requests() {
    let mut failures = Vec::new();
    for preset in all() {
        let path = golden_dir().join(format!("{}.txt", preset.id));
        let actual = render(preset);
        if updating() {
            std::fs::write(&path, &actual)
                .unwrap_or_else(|error| panic!("cannot write {}: {error}", path.display()));
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => failures.push(format!(
                "{}: differs from {} at {}\n--- actual ---\n{actual}",
                preset.id,
                path.display(),
                first_difference(&expected, &actual)
            )),
            Err(error) => failures.push(format!(
                "{}: cannot read {}: {error}",
                preset.id,
                path.display()
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n\nIf the change is intended, run `UPDATE_GOLDEN=1 cargo test -p presets --test it golden` and review the diff.",
        failures.join("\n\n")
    );
}

/// The engine's S256 challenge equals one computed independently, wherever a preset uses PKCE.
#[test]
fn pkce_presets_send_the_independently_computed_challenge() {
    for preset in all() {
        let Some(auth) = &preset.settings.authorization else {
            continue;
        };
        let url = authorization_url(&preset.settings, &sample::vars_for(preset))
            .expect("authorization URL builds");
        let expected = format!(
            "code_challenge={}&code_challenge_method=S256",
            sample::CODE_CHALLENGE
        );
        assert_eq!(
            url.contains(&expected),
            auth.pkce == engine::PkceMethod::S256,
            "{}: {url}",
            preset.id
        );
    }
}

#[test]
fn no_golden_file_without_a_preset() {
    for entry in std::fs::read_dir(golden_dir()).expect("tests/golden is readable") {
        let name = entry
            .expect("directory entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        let id = name
            .strip_suffix(".txt")
            .unwrap_or_else(|| panic!("unexpected file {name} in tests/golden"));
        assert!(
            presets::by_id(id).is_some(),
            "tests/golden/{name} belongs to no preset"
        );
    }
}

#[test]
fn first_difference_names_the_line() {
    assert_eq!(
        first_difference("a\nb\n", "a\nc\n"),
        "line 2:\n  expected: b\n  actual:   c"
    );
    assert_eq!(
        first_difference("a\n", "a\nb\n"),
        "line 2:\n  expected: <end>\n  actual:   b"
    );
}
