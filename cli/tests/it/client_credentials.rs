//! Services without a sign-in (client credentials, RFC 6749 §4.4): `otw login` gets the first
//! token with no browser, `otw token` asks again once it has run out (one call for many waiting
//! processes), and a refused secret or assertion is explained with nothing stored or changed.
//! The client authenticates each way the settings allow: secret in a Basic header or in the
//! body, or a `private_key_jwt` assertion.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use base64::Engine as _;
use e2e::provider::assertion::{CLIENT_RSA_PEM, OTHER_RSA_PEM};
use engine::Vars;
use presets::ConfigFile;

use crate::support::*;

/// The mock's token endpoint as a client-credentials request (no client flow, no refresh),
/// Basic client authentication.
fn settings(world: &World) -> engine::ServiceSettings {
    serde_json::from_value(serde_json::json!({
        "token": {
            "url": world.provider.url("/token"),
            "grant-type": "client_credentials",
            "body": [
                { "name": "grant_type", "value": "{grant_type}" },
                { "name": "scope", "value": "{scope}", "optional": true }
            ]
        }
    }))
    .expect("valid client-credentials settings")
}

/// A scratch folder with the exported settings (client id `client_id`) and the store path.
struct Setup {
    config: PathBuf,
    store: PathBuf,
    home: PathBuf,
}

impl Setup {
    fn new(world: &World, settings: engine::ServiceSettings, client_id: &str) -> Setup {
        let vars = Vars::new().with("client_id", client_id);
        let config = world.dir.path().join("settings.json");
        std::fs::write(
            &config,
            ConfigFile::new(None, settings, &vars, false).to_json(),
        )
        .unwrap();
        Setup {
            config,
            store: world.dir.path().join("store"),
            home: world.folder("home"),
        }
    }

    fn otw(&self) -> std::process::Command {
        otw(self.store.to_str().unwrap(), &self.home)
    }

    /// `otw login NAME --config … --client-secret-file FILE` with `secret` in FILE, plus `extra`.
    fn login_with_secret(&self, world: &World, secret: &str, extra: &[&str]) -> Output {
        let file = world.dir.path().join("secret.txt");
        std::fs::write(&file, format!("{secret}\n")).unwrap();
        self.otw()
            .args(["login", NAME, "--config"])
            .arg(&self.config)
            .arg("--client-secret-file")
            .arg(&file)
            .args(extra)
            .output()
            .unwrap()
    }

    fn token(&self) -> Output {
        self.otw().args(["token", NAME]).output().unwrap()
    }
}

fn client_credentials_calls(world: &World) -> Vec<e2e::provider::Recorded> {
    world
        .provider
        .requests_to("/token")
        .into_iter()
        .filter(|r| r.param("grant_type") == Some("client_credentials"))
        .collect()
}

fn issued_access_tokens(world: &World) -> Vec<String> {
    world
        .provider
        .issued()
        .into_iter()
        .filter(|i| i.grant_type == "client_credentials")
        .map(|i| i.access_token)
        .collect()
}

#[test]
fn login_with_a_secret_then_token_reissues_after_expiry_and_not_before() {
    let world = World::start(|c| c.expires_in = 3);
    let setup = Setup::new(&world, settings(&world), "e2e-client");
    let login = setup.login_with_secret(&world, "e2e-client-secret", &["--scope", "read"]);
    assert_success(&login, "otw login (client credentials)");
    assert!(
        !stderr(&login).contains("e2e-client-secret"),
        "{}",
        stderr(&login)
    );
    let calls = client_credentials_calls(&world);
    assert_eq!(calls.len(), 1, "one token request, no browser");
    assert_eq!(calls[0].status, 200);
    assert_eq!(calls[0].basic_client_id.as_deref(), Some("e2e-client"));
    assert_eq!(calls[0].param("scope"), Some("read"));
    let profile = stored(&setup.store);
    assert_eq!(
        profile.tokens.access_token.as_deref(),
        Some(issued_access_tokens(&world)[0].as_str())
    );
    assert_eq!(profile.tokens.refresh_token, None);
    assert_eq!(
        profile.values.get("scope").map(String::as_str),
        Some("read")
    );

    // Still fresh: handed out as stored, no call.
    let first = setup.token();
    assert_success(&first, "otw token (fresh)");
    assert_eq!(stdout(&first).trim_end(), issued_access_tokens(&world)[0]);
    assert_eq!(
        client_credentials_calls(&world).len(),
        1,
        "no call before expiry"
    );

    // Run out: the same request again, with the same scope, no refresh token needed.
    std::thread::sleep(Duration::from_secs(3));
    let second = setup.token();
    assert_success(&second, "otw token (expired)");
    let calls = client_credentials_calls(&world);
    assert_eq!(calls.len(), 2, "one new token request after expiry");
    assert_eq!(calls[1].status, 200);
    assert_eq!(calls[1].param("scope"), Some("read"));
    let issued = issued_access_tokens(&world);
    assert_eq!(stdout(&second).trim_end(), issued[1]);
    let after = stored(&setup.store);
    assert_eq!(
        after.tokens.access_token.as_deref(),
        Some(issued[1].as_str())
    );
    assert_eq!(after.tokens.generation, profile.tokens.generation + 1);
}

#[test]
fn login_with_the_secret_in_the_body_for_a_service_that_wants_it_there() {
    let world = World::start(|c| c.client_auth = e2e::provider::ClientAuthMode::Body);
    let mut body = settings(&world);
    body.token.client_auth = engine::ClientAuth::Body;
    let setup = Setup::new(&world, body, "e2e-client");
    assert_success(
        &setup.login_with_secret(&world, "e2e-client-secret", &[]),
        "otw login (secret in the body)",
    );
    let forced = setup
        .otw()
        .args(["refresh", NAME, "--force"])
        .output()
        .unwrap();
    assert_success(&forced, "otw refresh --force (secret in the body)");
    let calls = client_credentials_calls(&world);
    assert_eq!(calls.len(), 2);
    for call in &calls {
        assert_eq!(call.status, 200);
        assert_eq!(call.basic_client_id, None, "no Basic header");
        assert_eq!(call.param("client_id"), Some("e2e-client"));
        assert_eq!(call.param("client_secret"), Some("e2e-client-secret"));
    }
    assert_eq!(
        stored(&setup.store).tokens.access_token.as_deref(),
        issued_access_tokens(&world).last().map(String::as_str)
    );
}

/// The claims of a compact JWT, unverified (the mock verified the signature).
fn claims(jwt: &str) -> serde_json::Value {
    let payload = jwt.split('.').nth(1).expect("a compact JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn login_and_reissue_with_private_key_jwt_sign_a_fresh_assertion_each_time() {
    let world = World::start(|_| {});
    let mut jwt = settings(&world);
    jwt.token.client_auth = engine::ClientAuth::PrivateKeyJwt;
    jwt.token.assertion.alg = engine::JwtAlg::Ps256;
    jwt.token.assertion.key_id = "e2e-rsa-key".to_owned();
    let setup = Setup::new(&world, jwt, "e2e-jwt-rsa-client");
    let key_file = world.dir.path().join("client.pem");
    std::fs::write(&key_file, CLIENT_RSA_PEM).unwrap();
    let login = setup
        .otw()
        .args(["login", NAME, "--config"])
        .arg(&setup.config)
        .arg("--private-key-file")
        .arg(&key_file)
        .output()
        .unwrap();
    assert_success(&login, "otw login (private_key_jwt)");

    // A forced re-issue goes through the keeper: a second assertion, its own jti.
    let again = setup
        .otw()
        .args(["refresh", NAME, "--force"])
        .output()
        .unwrap();
    assert_success(&again, "otw refresh --force (client credentials)");
    let calls = client_credentials_calls(&world);
    assert_eq!(calls.len(), 2);
    let mut jtis = Vec::new();
    for call in &calls {
        // The mock checks signature, audience, expiry and that no jti comes twice.
        assert_eq!(call.status, 200);
        assert_eq!(call.basic_client_id, None, "no Basic header");
        assert_eq!(call.param("client_secret"), None);
        assert_eq!(
            call.param("client_assertion_type"),
            Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        );
        let claims = claims(call.param("client_assertion").expect("an assertion"));
        assert_eq!(claims["aud"], world.provider.url("/token"));
        assert_eq!(claims["iss"], "e2e-jwt-rsa-client");
        jtis.push(claims["jti"].as_str().unwrap().to_owned());
    }
    assert_ne!(jtis[0], jtis[1], "each request signs its own assertion");
    let profile = stored(&setup.store);
    assert_eq!(
        profile.tokens.access_token.as_deref(),
        issued_access_tokens(&world).last().map(String::as_str)
    );
    assert!(
        profile.values.contains_key("private_key"),
        "kept like a secret"
    );
    assert!(
        !profile.values.contains_key("client_assertion"),
        "per request only"
    );

    // A key the service does not know: the assertion is refused, explained, and nothing changes.
    let mut changed = profile.clone();
    changed
        .values
        .insert("private_key".to_owned(), OTHER_RSA_PEM.trim().to_owned());
    std::fs::write(profile_file(&setup.store), changed.to_json()).unwrap();
    let before = file_bytes(&profile_file(&setup.store));
    let refused = setup
        .otw()
        .args(["refresh", NAME, "--force"])
        .output()
        .unwrap();
    assert_refused(&refused, "--private-key-file");
    let message = stderr(&refused);
    assert!(message.contains("signature does not verify"), "{message}");
    assert!(!message.contains("PRIVATE KEY"), "{message}");
    assert_eq!(file_bytes(&profile_file(&setup.store)), before);
}

#[test]
fn a_service_without_a_sign_in_and_another_grant_keeps_the_clear_message() {
    let world = World::start(|_| {});
    let mut password = settings(&world);
    password.token.grant_type = "password".to_owned();
    let setup = Setup::new(&world, password, "e2e-client");
    let login = setup.login_with_secret(&world, "e2e-client-secret", &[]);
    assert_eq!(login.status.code(), Some(2), "{}", stderr(&login));
    assert!(
        stderr(&login).contains("no authorization step"),
        "{}",
        stderr(&login)
    );
    assert!(world.provider.requests_to("/token").is_empty(), "no call");
    assert!(!profile_file(&setup.store).exists());
}

#[test]
fn eight_processes_on_a_stale_profile_make_one_token_request() {
    let world = World::start(|c| c.expires_in = 2);
    let setup = Setup::new(&world, settings(&world), "e2e-client");
    assert_success(
        &setup.login_with_secret(&world, "e2e-client-secret", &[]),
        "otw login",
    );
    std::thread::sleep(Duration::from_secs(2));
    // The next token lives long, so every waiter finds the peer's result fresh.
    world.provider.configure(|c| c.expires_in = 3600);
    let children: Vec<_> = (0..8)
        .map(|_| {
            setup
                .otw()
                .args(["token", NAME])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let printed: Vec<String> = children
        .into_iter()
        .map(|child| {
            let output = child.wait_with_output().unwrap();
            assert_success(&output, "otw token (concurrent)");
            stdout(&output).trim_end().to_owned()
        })
        .collect();
    let calls = client_credentials_calls(&world);
    assert_eq!(
        calls.len(),
        2,
        "the login and one re-issue for eight callers"
    );
    let issued = issued_access_tokens(&world);
    assert!(
        printed.iter().all(|token| *token == issued[1]),
        "{printed:?}"
    );
}

fn assert_refused(output: &Output, fix: &str) {
    assert_eq!(output.status.code(), Some(2), "{}", stderr(output));
    let message = stderr(output);
    assert!(message.contains("invalid_client"), "{message}");
    assert!(message.contains(fix), "{message}");
    assert!(message.contains("nothing was stored"), "{message}");
}

fn file_bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("the profile file exists")
}

#[test]
fn a_refused_secret_is_explained_and_stores_and_damages_nothing() {
    let world = World::start(|_| {});
    let setup = Setup::new(&world, settings(&world), "e2e-client");

    // A wrong secret at login: nothing is stored.
    let wrong = setup.login_with_secret(&world, "not-the-secret", &[]);
    assert_refused(&wrong, "--client-secret-file");
    assert!(
        !stderr(&wrong).contains("not-the-secret"),
        "{}",
        stderr(&wrong)
    );
    assert!(!profile_file(&setup.store).exists(), "nothing stored");

    assert_success(
        &setup.login_with_secret(&world, "e2e-client-secret", &[]),
        "otw login",
    );
    let before = file_bytes(&profile_file(&setup.store));

    // The service's secret changes: a re-issue is refused, the stored profile stays as it was.
    world
        .provider
        .configure(|c| c.client_secret = "rotated-secret".to_owned());
    let refused = setup
        .otw()
        .args(["token", NAME, "--min-ttl", "2h"])
        .output()
        .unwrap();
    assert_refused(&refused, "--client-secret-file");
    assert!(stdout(&refused).is_empty(), "no token printed");
    assert_eq!(file_bytes(&profile_file(&setup.store)), before);
    assert_eq!(client_credentials_calls(&world).last().unwrap().status, 401);

    // Logging in again with the old secret is refused too and leaves the profile alone; the
    // new secret fixes it.
    let again = setup.login_with_secret(&world, "e2e-client-secret", &["--replace"]);
    assert_refused(&again, "--client-secret-file");
    assert_eq!(file_bytes(&profile_file(&setup.store)), before);
    assert_success(
        &setup.login_with_secret(&world, "rotated-secret", &["--replace"]),
        "otw login with the new secret",
    );
    let token = setup.token();
    assert_success(&token, "otw token");
    assert_eq!(
        stdout(&token).trim_end(),
        *issued_access_tokens(&world).last().unwrap()
    );
}
