//! `otw login --device` end to end: the user code on stderr, the "user" approving (or denying)
//! at the mock's verification page, otw polling at the interval and slowing down when told, and
//! an expired code explained.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use e2e::provider::ProviderConfig;
use engine::Vars;
use presets::ConfigFile;

use crate::support::*;

/// Starts `otw login work --device` for the mock's public client; returns the child, the user
/// code it printed, and the rest of its stderr (read on a thread).
fn start_device_login(
    world: &World,
    store: &str,
) -> (Child, String, std::sync::mpsc::Receiver<String>) {
    let mut settings = world.settings("/token");
    settings.authorization.as_mut().unwrap().device_url =
        world.provider.url("/device_authorization");
    settings.token.client_auth = engine::ClientAuth::None;
    let vars = Vars::new().with("client_id", "e2e-public-client");
    let file = world.dir.path().join("device.json");
    std::fs::write(
        &file,
        ConfigFile::new(None, settings, &vars, false).to_json(),
    )
    .unwrap();
    let home = world.folder("home");
    let mut child = otw(store, &home)
        .args(["login", NAME, "--device", "--config"])
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines_tx, lines) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                return;
            }
        }
    });
    let mut seen = Vec::new();
    let code = loop {
        let line = lines
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("otw prints the user code: {seen:?}"));
        let trimmed = line.trim().to_owned();
        seen.push(line);
        if trimmed.len() == 9 && trimmed.as_bytes()[4] == b'-' {
            break trimmed;
        }
    };
    assert!(
        seen.iter()
            .any(|line| line.trim() == world.provider.url("/device")),
        "the verification address is printed: {seen:?}"
    );
    (child, code, lines)
}

fn decide(world: &World, code: &str, decision: &str) {
    let url = world.provider.url(&format!(
        "/device/decide?user_code={code}&decision={decision}"
    ));
    let answer = world.runtime.block_on(e2e::http::get(&url)).unwrap();
    assert_eq!(answer.status, 200, "{}", answer.body);
}

fn rest(lines: &std::sync::mpsc::Receiver<String>) -> String {
    lines.try_iter().collect::<Vec<_>>().join("\n")
}

fn fast(config: &mut ProviderConfig) {
    config.device_interval = 1;
}

#[test]
fn device_login_polls_slows_down_and_stores_the_tokens() {
    let world = World::start(|config| {
        fast(config);
        config.device_slow_downs = 1;
    });
    let store = world.dir.path().join("store");
    let started = Instant::now();
    let (mut child, code, lines) = start_device_login(&world, store.to_str().unwrap());
    decide(&world, &code, "allow");
    let status = child.wait().unwrap();
    assert!(status.success(), "otw login --device: {}", rest(&lines));
    // One slow_down: the interval grew from 1 to 6 seconds before the poll that succeeded.
    assert!(
        started.elapsed() >= Duration::from_secs(7),
        "{:?}",
        started.elapsed()
    );
    let polls: Vec<u16> = world
        .provider
        .requests_to("/token")
        .iter()
        .map(|request| {
            assert_eq!(
                request.param("grant_type"),
                Some("urn:ietf:params:oauth:grant-type:device_code")
            );
            request.status
        })
        .collect();
    assert_eq!(
        polls,
        [400, 200],
        "slow_down, then the tokens (never polled too fast)"
    );
    let profile = stored(&store);
    assert_eq!(
        profile.tokens.refresh_token,
        world.provider.newest_refresh_token()
    );
    let token = otw(store.to_str().unwrap(), &world.folder("home"))
        .args(["token", NAME])
        .output()
        .unwrap();
    assert_success(&token, "otw token after the device login");
    assert_eq!(
        stdout(&token).trim_end(),
        world.provider.newest_access_token().unwrap()
    );
}

#[test]
fn a_denied_or_expired_device_code_is_explained() {
    let world = World::start(fast);
    let store = world.dir.path().join("store");
    let (mut child, code, lines) = start_device_login(&world, store.to_str().unwrap());
    decide(&world, &code, "deny");
    let status = child.wait().unwrap();
    assert!(!status.success());
    let message = rest(&lines);
    assert!(
        message.contains("denied at the verification page"),
        "{message}"
    );
    assert!(
        !store.join(format!("{NAME}.json")).exists(),
        "nothing stored"
    );

    let world = World::start(|config| {
        fast(config);
        config.device_expires_in = 3;
    });
    let store = world.dir.path().join("store");
    let (mut child, _code, lines) = start_device_login(&world, store.to_str().unwrap());
    let status = child.wait().unwrap();
    assert!(!status.success());
    let message = rest(&lines);
    assert!(message.contains("The code expired"), "{message}");
}
