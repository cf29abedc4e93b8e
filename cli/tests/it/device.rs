//! `otw login --device` end to end: the user code on stderr, the "user" approving (or denying)
//! at the mock's verification page, otw polling at the interval and slowing down when told, and
//! an expired code explained. A `private_key_jwt` client signs every device request with its
//! key (a fresh assertion each, for the token endpoint), and a key the service does not hold is
//! refused with nothing stored.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use e2e::provider::ProviderConfig;
use e2e::provider::assertion::{CLIENT_EC_PEM, OTHER_RSA_PEM};
use engine::Vars;
use presets::ConfigFile;

use crate::support::*;

/// The mock's settings with its device endpoint.
fn device_settings(world: &World) -> engine::ServiceSettings {
    let mut settings = world.settings("/token");
    settings.authorization.as_mut().unwrap().device_url =
        world.provider.url("/device_authorization");
    settings
}

/// Starts `otw login work --device` for the mock's public client; returns the child, the user
/// code it printed, and the rest of its stderr (read on a thread).
fn start_device_login(
    world: &World,
    store: &str,
) -> (Child, String, std::sync::mpsc::Receiver<String>) {
    let mut settings = device_settings(world);
    settings.token.client_auth = engine::ClientAuth::None;
    let vars = Vars::new().with("client_id", "e2e-public-client");
    let (child, lines) = spawn_device_login(world, store, settings, &vars, &[]);
    let (code, lines) = read_user_code(world, lines);
    (child, code, lines)
}

/// Starts `otw login work --device` with these settings and values (and `extra` arguments);
/// returns the child and its stderr, line by line (read on a thread).
fn spawn_device_login(
    world: &World,
    store: &str,
    settings: engine::ServiceSettings,
    vars: &Vars,
    extra: &[&std::ffi::OsStr],
) -> (Child, std::sync::mpsc::Receiver<String>) {
    let file = world.dir.path().join("device.json");
    std::fs::write(
        &file,
        ConfigFile::new(None, settings, vars, false).to_json(),
    )
    .unwrap();
    let home = world.folder("home");
    let mut child = otw(store, &home)
        .args(["login", NAME, "--device", "--config"])
        .arg(&file)
        .args(extra)
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
    (child, lines)
}

/// Reads stderr up to the user code otw prints (checking the verification address came too).
fn read_user_code(
    world: &World,
    lines: std::sync::mpsc::Receiver<String>,
) -> (String, std::sync::mpsc::Receiver<String>) {
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
    (code, lines)
}

fn decide(world: &World, code: &str, decision: &str) {
    let url = world.provider.url(&format!(
        "/device/decide?user_code={code}&decision={decision}"
    ));
    let answer = world.runtime.block_on(e2e::http::get(&url)).unwrap();
    assert_eq!(answer.status, 200, "{}", answer.body);
}

/// The rest of stderr once otw has ended: read to the end, since the reader thread may still be
/// passing on the last lines.
fn rest(lines: &std::sync::mpsc::Receiver<String>) -> String {
    lines.iter().collect::<Vec<_>>().join("\n")
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

/// `private_key_jwt` settings (`alg`, `kid`) for the device requests.
fn jwt_device_settings(world: &World, alg: engine::JwtAlg, kid: &str) -> engine::ServiceSettings {
    let mut settings = device_settings(world);
    settings.token.client_auth = engine::ClientAuth::PrivateKeyJwt;
    settings.token.assertion.alg = alg;
    settings.token.assertion.key_id = kid.to_owned();
    settings
}

/// The claims of the client assertion a recorded request carried.
fn assertion_claims(request: &e2e::provider::Recorded) -> serde_json::Value {
    use base64::Engine as _;
    let jwt = request
        .param("client_assertion")
        .unwrap_or_else(|| panic!("a client assertion in {request:?}"));
    let claims = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(claims)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn device_login_with_private_key_jwt_signs_every_request() {
    let world = World::start(fast);
    let store = world.dir.path().join("store");
    let key_file = world.dir.path().join("client-ec.pem");
    std::fs::write(&key_file, CLIENT_EC_PEM).unwrap();
    let settings = jwt_device_settings(&world, engine::JwtAlg::Es256, "e2e-ec-key");
    let vars = Vars::new().with("client_id", "e2e-jwt-ec-client");
    let (mut child, lines) = spawn_device_login(
        &world,
        store.to_str().unwrap(),
        settings,
        &vars,
        &["--private-key-file".as_ref(), key_file.as_os_str()],
    );
    let (code, lines) = read_user_code(&world, lines);
    // The user approves after the first poll, so that more than one poll is signed.
    let deadline = Instant::now() + Duration::from_secs(20);
    while world.provider.requests_to("/token").is_empty() {
        assert!(
            Instant::now() < deadline,
            "otw should poll the token endpoint"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    decide(&world, &code, "allow");
    let status = child.wait().unwrap();
    assert!(status.success(), "otw login --device: {}", rest(&lines));

    let start = world.provider.requests_to("/device_authorization");
    let polls = world.provider.requests_to("/token");
    assert_eq!(start.len(), 1);
    assert_eq!(start[0].status, 200);
    assert!(polls.len() >= 2, "{polls:?}");
    assert_eq!(polls.last().unwrap().status, 200);
    let token_url = world.provider.token_url();
    let mut jtis = Vec::new();
    for request in start.iter().chain(&polls) {
        assert_eq!(
            request.param("client_assertion_type"),
            Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        );
        assert_eq!(request.param("client_secret"), None);
        let claims = assertion_claims(request);
        assert_eq!(claims["aud"], token_url.as_str(), "{claims}");
        assert_eq!(claims["iss"], "e2e-jwt-ec-client");
        assert_eq!(claims["sub"], "e2e-jwt-ec-client");
        jtis.push(claims["jti"].as_str().unwrap().to_owned());
    }
    let mut distinct = jtis.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        jtis.len(),
        "a fresh assertion each time: {jtis:?}"
    );
    let profile = stored(&store);
    assert_eq!(
        profile.tokens.refresh_token,
        world.provider.newest_refresh_token()
    );
    assert!(
        !profile.values.contains_key("client_assertion"),
        "an assertion is for one request, never stored"
    );
}

#[test]
fn device_login_with_a_key_the_service_does_not_hold_is_refused() {
    let world = World::start(fast);
    let store = world.dir.path().join("store");
    let key_file = world.dir.path().join("other-rsa.pem");
    std::fs::write(&key_file, OTHER_RSA_PEM).unwrap();
    let settings = jwt_device_settings(&world, engine::JwtAlg::Rs256, "e2e-rsa-key");
    let vars = Vars::new().with("client_id", "e2e-jwt-rsa-client");
    let (mut child, lines) = spawn_device_login(
        &world,
        store.to_str().unwrap(),
        settings,
        &vars,
        &["--private-key-file".as_ref(), key_file.as_os_str()],
    );
    let status = child.wait().unwrap();
    assert!(!status.success());
    let message = rest(&lines);
    assert!(message.contains("invalid_client"), "{message}");
    assert!(message.contains("signature does not verify"), "{message}");
    assert_eq!(
        world.provider.requests_to("/device_authorization")[0].status,
        401
    );
    assert!(world.provider.requests_to("/token").is_empty(), "no poll");
    assert!(
        !store.join(format!("{NAME}.json")).exists(),
        "nothing stored"
    );
}
