//! How long the engine takes to turn a preset and the wizard's variables into a token request.
//!
//! The wizard re-renders the request preview on every keystroke in step 3, so this is the engine
//! cost a user feels. The baseline is what a developer would write instead of the template engine:
//! the same Google token request built by hand with `form_urlencoded`, checked once to be
//! byte-for-byte the engine's output so both sides do the same job.
//!
//! `cargo bench -p engine --bench render` runs it; `cargo xtask bench` reads the medians from
//! criterion's `estimates.json` files (group `render`, functions below) into its table.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use engine::Vars;
use engine::request::{HttpRequest, token_request};
use engine::settings::HttpMethod;

/// The preset measured against the hand-written baseline.
const PRESET: &str = "google-cloud";

/// The variables the wizard holds when the user reaches step 3 (fake values of realistic length).
fn wizard_vars() -> Vars {
    Vars::new()
        .with(
            "client_id",
            "123456789012-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com",
        )
        .with("client_secret", "GOCSPX-abcdefghijklmnopqrstuvwxyz01")
        .with("redirect_uri", "http://127.0.0.1:8787/callback")
        .with("state", "5f0c8a3e9b7d41c2a6e8f0b1d3c5e7a9")
        .with(
            "code",
            "4/0AeanS0ZabcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        )
        .with(
            "code_verifier",
            "dBjftJeZ4CVP-mJ92K27uhbUJU1p1r_wW1gFWFOEjXk",
        )
        .with("user_name", "")
}

/// The Google token request written by hand: what the engine replaces.
fn handwritten_google(vars: &Vars) -> HttpRequest {
    let get = |name: &str| vars.get(name).unwrap_or_default();
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", get("code"))
        .append_pair("redirect_uri", get("redirect_uri"))
        .append_pair("code_verifier", get("code_verifier"))
        .append_pair("client_id", get("client_id"))
        .append_pair("client_secret", get("client_secret"))
        .finish();
    HttpRequest {
        method: HttpMethod::Post,
        url: "https://oauth2.googleapis.com/token".to_owned(),
        headers: vec![
            ("Accept".to_owned(), "application/json".to_owned()),
            (
                "Content-Type".to_owned(),
                "application/x-www-form-urlencoded".to_owned(),
            ),
        ],
        body: Some(body),
    }
}

fn render(c: &mut Criterion) {
    let vars = wizard_vars();
    let preset = presets::by_id(PRESET).expect("the google-cloud preset is bundled");
    let from_engine =
        token_request(&preset.settings, &vars).expect("the sample variables are complete");
    // A baseline that did less work would flatter the engine: insist on identical output.
    assert_eq!(
        handwritten_google(&vars),
        from_engine,
        "the hand-written baseline must build exactly the engine's request; update it to match"
    );

    let mut group = c.benchmark_group("render");
    group.bench_function("token_request_google", |b| {
        b.iter(|| token_request(black_box(&preset.settings), black_box(&vars)))
    });
    group.bench_function("handwritten_google", |b| {
        b.iter(|| handwritten_google(black_box(&vars)))
    });
    // Every bundled preset once per iteration: the spread across templates, query and JSON bodies.
    let all: Vec<(&presets::Preset, Vars)> = presets::all()
        .iter()
        .map(|preset| {
            let mut vars = wizard_vars();
            for spec in &preset.settings.variables {
                let value = if spec.default.is_empty() {
                    "sample"
                } else {
                    spec.default.as_str()
                };
                vars.set(spec.name.clone(), value);
            }
            (preset, vars)
        })
        .collect();
    group.bench_function("token_request_all_presets", |b| {
        b.iter(|| {
            for (preset, vars) in &all {
                // Some presets need values the sample lacks; an error is rendered work too.
                let _ = black_box(token_request(black_box(&preset.settings), black_box(vars)));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
