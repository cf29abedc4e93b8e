//! `otw`, the command-line token keeper, as scripts call it: whole processes, start to exit.
//!
//! - Cached: `otw token NAME` with a fresh stored token, against what people write by hand — a
//!   Python script with `requests` that reads the token from a JSON file (and would refresh it
//!   with `requests.post` when due).
//! - Refresh: `otw refresh --force NAME` (request, parse, atomic write with fsync), against `curl`
//!   sending the same refresh request (built by the engine, secrets read from files) to the same
//!   loopback mock provider (refresh tokens not rotating, so every run sends the same request).
//!
//! Runs alternate between the two sides so machine noise hits both alike; medians are reported.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use e2e::provider::{Provider, ProviderConfig};
use engine::Vars;
use presets::ConfigFile;

use crate::report::{Goal, Row, Unit};
use crate::stats::{median, percentile};
use crate::{BenchError, IoContext, Plan, Result};

/// What the measurement runs.
#[derive(Debug, Clone)]
pub struct OtwInputs {
    /// The `otw` binary.
    pub otw: PathBuf,
    /// A Python interpreter that has `requests` (xtask installs one into target/tools).
    pub python: PathBuf,
}

const NAME: &str = "bench";

/// The hand-written cached read: what a script without otw does.
const PYTHON_SCRIPT: &str = r#"import json
import sys
import time

import requests


def token(path):
    with open(path) as f:
        data = json.load(f)
    if data["expires_at"] - time.time() > 300:
        return data["access_token"]
    answer = requests.post(
        data["token_url"],
        data={"grant_type": "refresh_token", "refresh_token": data["refresh_token"]},
        auth=(data["client_id"], data["client_secret"]),
        timeout=30,
    )
    answer.raise_for_status()
    data.update(answer.json())
    data["expires_at"] = time.time() + data["expires_in"]
    with open(path, "w") as f:
        json.dump(data, f)
    return data["access_token"]


print(token(sys.argv[1]))
"#;

/// Runs both comparisons; returns the rows and detail lines.
pub async fn measure(
    inputs: &OtwInputs,
    work: &Path,
    plan: &Plan,
) -> Result<(Vec<Row>, Vec<String>)> {
    for (program, what) in [
        (&inputs.otw, "the otw binary"),
        (&inputs.python, "Python with requests"),
    ] {
        if !program.exists() {
            return Err(BenchError::Setup(format!(
                "{what} is missing at {}: run the benchmarks through `cargo xtask bench`",
                program.display()
            )));
        }
    }
    let provider = Provider::start(ProviderConfig {
        rotate_refresh_tokens: false,
        ..ProviderConfig::default()
    })
    .await
    .doing(|| "starting the mock provider".to_owned())?;
    let seed = authorize(&provider).await?;
    let inputs = inputs.clone();
    let work = work.join("otw");
    let runs = if plan.smoke { 1 } else { 31 };
    let measured = tokio::task::spawn_blocking(move || run(&inputs, &work, &seed, runs))
        .await
        .map_err(|err| BenchError::Measurement(format!("the otw measurement stopped: {err}")))??;
    drop(provider);
    Ok(measured)
}

/// A real authorization at the mock: settings, values and the refresh token.
struct Seed {
    config: ConfigFile,
    access_token: String,
    refresh_request: engine::request::HttpRequest,
}

async fn authorize(provider: &Provider) -> Result<Seed> {
    let broken =
        |what: &str| BenchError::Measurement(format!("authorizing at the mock provider: {what}"));
    let settings: engine::ServiceSettings = serde_json::from_value(serde_json::json!({
        "authorization": { "url": provider.authorize_url(), "scopes": ["read"] },
        "token": engine::EndpointSettings::authorization_code(provider.token_url()),
        "refresh": engine::EndpointSettings::refresh_token(provider.token_url()),
    }))
    .map_err(|err| broken(&err.to_string()))?;
    let pkce = engine::pkce::Pkce::from_random(&[7; 32]);
    let vars = Vars::new()
        .with("client_id", "e2e-client")
        .with("client_secret", "e2e-client-secret")
        .with("redirect_uri", provider.echo_url())
        .with("state", engine::pkce::new_state(&[9; 32]))
        .with("code_verifier", pkce.verifier());
    let url =
        engine::request::authorization_url(&settings, &vars).map_err(|e| broken(&e.to_string()))?;
    let answer = e2e::http::get(&url)
        .await
        .map_err(|e| broken(&e.to_string()))?;
    let location = answer
        .header("location")
        .ok_or_else(|| broken("no redirect"))?;
    let callback = engine::callback::parse_callback(location, vars.get("state"))
        .map_err(|e| broken(&e.to_string()))?;
    let request =
        engine::request::token_request(&settings, &vars.clone().with("code", callback.code))
            .map_err(|e| broken(&e.to_string()))?;
    let headers: Vec<(&str, &str)> = request
        .headers
        .iter()
        .filter(|(name, _)| !name.eq_ignore_ascii_case("content-type"))
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let answer = e2e::http::post_form(
        &request.url,
        &headers,
        request.body.clone().unwrap_or_default(),
    )
    .await
    .map_err(|e| broken(&e.to_string()))?;
    let tokens = engine::token::parse_token_response(
        answer.status,
        answer.header("content-type"),
        &answer.body,
    )
    .map_err(|e| broken(&e.to_string()))?;
    let refresh_token = tokens
        .refresh_token
        .clone()
        .ok_or_else(|| broken("no refresh token"))?;
    let exported = Vars::new()
        .with("client_id", "e2e-client")
        .with("client_secret", "e2e-client-secret")
        .with("redirect_uri", provider.echo_url())
        .with("refresh_token", refresh_token.clone());
    let refresh_request = engine::request::refresh_request(&settings, &exported)
        .map_err(|e| broken(&e.to_string()))?;
    Ok(Seed {
        config: ConfigFile::new(None, settings, &exported, true),
        access_token: tokens.access_token,
        refresh_request,
    })
}

fn otw(inputs: &OtwInputs, store: &Path, home: &Path) -> Command {
    let mut command = Command::new(&inputs.otw);
    command
        .env("OTW_STORE", store)
        .env("HOME", home)
        .stdin(Stdio::null())
        .stderr(Stdio::piped());
    command
}

/// Runs `command`, timing it; an error unless it succeeded.
fn timed(command: &mut Command, what: &str) -> Result<(f64, Output)> {
    let started = Instant::now();
    let output = command.output().doing(|| format!("running {what}"))?;
    let millis = started.elapsed().as_secs_f64() * 1000.0;
    if !output.status.success() {
        return Err(BenchError::Measurement(format!(
            "{what} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok((millis, output))
}

fn run(
    inputs: &OtwInputs,
    work: &Path,
    seed: &Seed,
    runs: usize,
) -> Result<(Vec<Row>, Vec<String>)> {
    std::fs::create_dir_all(work).doing(|| format!("creating {}", work.display()))?;
    let store = work.join("store");
    let home = work.join("home");
    std::fs::create_dir_all(&home).doing(|| "creating the bench home".to_owned())?;
    let export = work.join("export.json");
    std::fs::write(&export, seed.config.to_json()).doing(|| "writing the export".to_owned())?;
    timed(
        otw(inputs, &store, &home)
            .args(["import", "--replace", "--name", NAME])
            .arg(&export),
        "otw import",
    )?;
    // The first call refreshes (an import keeps no access token of unknown age); later ones are cached.
    timed(
        otw(inputs, &store, &home).args(["token", NAME]),
        "otw token",
    )?;

    let json_file = work.join("token.json");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let values = &seed.config.values;
    let data = serde_json::json!({
        "access_token": seed.access_token,
        "expires_at": now + 3600.0,
        "refresh_token": values.get("refresh_token"),
        "token_url": seed.refresh_request.url,
        "client_id": values.get("client_id"),
        "client_secret": values.get("client_secret"),
    });
    std::fs::write(&json_file, data.to_string()).doing(|| "writing the token JSON".to_owned())?;
    let script = work.join("cached_token.py");
    std::fs::write(&script, PYTHON_SCRIPT).doing(|| "writing the Python script".to_owned())?;

    // curl's headers and body from files, so no secret is in its argument list.
    let headers = work.join("curl-headers.txt");
    let body = work.join("curl-body.txt");
    let header_lines: String = seed
        .refresh_request
        .headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\n"))
        .collect();
    std::fs::write(&headers, header_lines).doing(|| "writing curl's headers".to_owned())?;
    std::fs::write(&body, seed.refresh_request.body.clone().unwrap_or_default())
        .doing(|| "writing curl's body".to_owned())?;

    let (mut cached, mut python, mut refresh, mut curl) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let (millis, output) = timed(
            otw(inputs, &store, &home).args(["token", NAME]),
            "otw token",
        )?;
        if output.stdout.is_empty() {
            return Err(BenchError::Measurement(
                "otw token printed nothing".to_owned(),
            ));
        }
        cached.push(millis);
        let (millis, output) = timed(
            Command::new(&inputs.python)
                .arg(&script)
                .arg(&json_file)
                .stdin(Stdio::null()),
            "the Python script",
        )?;
        if String::from_utf8_lossy(&output.stdout).trim() != seed.access_token {
            return Err(BenchError::Measurement(
                "the Python script printed another token".to_owned(),
            ));
        }
        python.push(millis);
        refresh.push(
            timed(
                otw(inputs, &store, &home).args(["refresh", "--force", NAME]),
                "otw refresh --force",
            )?
            .0,
        );
        let (millis, output) = timed(
            Command::new("curl")
                .args([
                    "--silent",
                    "--show-error",
                    "--output",
                    "/dev/null",
                    "--write-out",
                    "%{http_code}",
                ])
                .args(["--noproxy", "*", "--request", "POST"])
                .arg("--header")
                .arg(format!("@{}", headers.display()))
                .arg("--data-binary")
                .arg(format!("@{}", body.display()))
                .arg(&seed.refresh_request.url)
                .stdin(Stdio::null()),
            "curl",
        )?;
        if output.stdout != b"200" {
            return Err(BenchError::Measurement(format!(
                "curl's refresh answered {}",
                String::from_utf8_lossy(&output.stdout)
            )));
        }
        curl.push(millis);
    }
    let med = |values: &[f64]| median(values).unwrap_or(f64::NAN);
    let p90 = |values: &[f64]| percentile(values, 90.0).unwrap_or(f64::NAN);
    let rows = vec![
        Row::new(
            "otw token, cached (whole process)",
            Unit::Millis,
            med(&cached),
        )
        .goal("≤ 5 ms", Goal::ValueAtMost(5.0)),
        Row::new("otw token, cached, vs Python", Unit::Millis, med(&cached))
            .baseline("Python + requests, JSON file", med(&python))
            .goal("≤ 0.10× (≥ 10× faster)", Goal::RatioAtMost(0.1)),
        Row::new(
            "otw refresh --force (whole process)",
            Unit::Millis,
            med(&refresh),
        )
        .baseline("curl, same request", med(&curl))
        .goal("≤ 1.3× curl", Goal::RatioAtMost(1.3)),
    ];
    let details = vec![format!(
        "otw: {runs} runs each, alternating; p90 cached {:.2} ms, Python {:.1} ms, refresh {:.2} ms, curl {:.2} ms",
        p90(&cached),
        p90(&python),
        p90(&refresh),
        p90(&curl)
    )];
    Ok((rows, details))
}
