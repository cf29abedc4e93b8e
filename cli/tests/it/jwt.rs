//! JWT client authentication in `otw`: `otw login --private-key-file` signs the code exchange's
//! assertion, `otw refresh` signs a fresh one each time (the mock provider verifies signature,
//! audience, expiry and single-use jti), and a key the service does not know is refused with the
//! profile kept.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use e2e::provider::assertion::{CLIENT_RSA_PEM, OTHER_RSA_PEM};
use engine::Vars;
use presets::ConfigFile;

use crate::support::*;

/// The mock's settings with `private_key_jwt` (PS256, kid of the registered key) on both requests.
fn jwt_settings(world: &World) -> engine::ServiceSettings {
    let mut settings = world.settings("/token");
    for endpoint in [&mut settings.token, settings.refresh.as_mut().unwrap()] {
        endpoint.client_auth = engine::ClientAuth::PrivateKeyJwt;
        endpoint.assertion.alg = engine::JwtAlg::Ps256;
        endpoint.assertion.key_id = "e2e-rsa-key".to_owned();
    }
    settings
}

#[test]
fn login_and_refresh_sign_assertions_and_a_wrong_key_is_refused_without_loss() {
    let world = World::start(|_| {});
    let redirect_uri = format!("http://127.0.0.1:{}/callback", free_port());
    world.provider.register_redirect_uri(&redirect_uri);
    let store = world.dir.path().join("store");
    let store_arg = store.to_str().unwrap();
    let vars = Vars::new().with("client_id", "e2e-jwt-rsa-client");
    let config = ConfigFile::new(None, jwt_settings(&world), &vars, false);
    let file = world.dir.path().join("settings.json");
    std::fs::write(&file, config.to_json()).unwrap();
    let key_file = world.dir.path().join("client.pem");
    std::fs::write(&key_file, CLIENT_RSA_PEM).unwrap();

    let home = world.folder("home");
    let mut child = otw(store_arg, &home)
        .args(["login", NAME, "--config"])
        .arg(&file)
        .arg("--private-key-file")
        .arg(&key_file)
        .args([
            "--redirect-uri",
            &redirect_uri,
            "--no-browser",
            "--timeout",
            "60",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("otw prints the URL").unwrap();
        if line.trim().starts_with("http://") {
            break line.trim().to_owned();
        }
    };
    // The user approves: the provider redirects to otw's loopback listener with the code.
    let answer = world.runtime.block_on(e2e::http::get(&url)).unwrap();
    let location = answer.header("location").expect("a redirect").to_owned();
    let landed = world.runtime.block_on(e2e::http::get(&location)).unwrap();
    assert!(landed.body.contains("Authorized"), "{}", landed.body);
    let status = child.wait().unwrap();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(status.success(), "otw login: {rest:?}");

    let exchange = &world.provider.requests_to("/token")[0];
    assert_eq!(exchange.status, 200);
    assert_eq!(exchange.basic_client_id, None, "no Basic header");
    assert_eq!(exchange.param("client_secret"), None);
    assert_eq!(
        exchange.param("client_assertion_type"),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
    let profile = stored(&store);
    assert!(
        profile.values.contains_key("private_key"),
        "kept like a secret"
    );
    assert!(
        !profile.values.contains_key("client_assertion"),
        "per request only"
    );

    // Two refreshes: each with its own assertion (a replayed jti would be refused).
    for _ in 0..2 {
        let refreshed = otw(store_arg, &home)
            .args(["refresh", NAME, "--force"])
            .output()
            .unwrap();
        assert_success(&refreshed, "otw refresh --force");
    }
    let assertions: Vec<String> = world
        .provider
        .requests_to("/token")
        .iter()
        .filter(|r| r.param("grant_type") == Some("refresh_token"))
        .map(|r| {
            assert_eq!(r.status, 200);
            r.param("client_assertion").unwrap().to_owned()
        })
        .collect();
    assert_eq!(assertions.len(), 2);
    assert_ne!(assertions[0], assertions[1]);
    let shown = otw(store_arg, &home).args(["show", NAME]).output().unwrap();
    assert_success(&shown, "otw show");
    assert!(!stdout(&shown).contains("PRIVATE KEY") && !stderr(&shown).contains("PRIVATE KEY"));

    // A key the service does not know: invalid_client, explained; nothing lost.
    let mut profile = stored(&store);
    let kept_refresh = profile.tokens.refresh_token.clone();
    profile
        .values
        .insert("private_key".to_owned(), OTHER_RSA_PEM.trim().to_owned());
    std::fs::write(profile_file(&store), profile.to_json()).unwrap();
    let refused = otw(store_arg, &home)
        .args(["refresh", NAME, "--force"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let message = stderr(&refused);
    assert!(message.contains("invalid_client"), "{message}");
    assert!(message.contains("signature does not verify"), "{message}");
    assert!(!message.contains("PRIVATE KEY"), "{message}");
    assert_eq!(stored(&store).tokens.refresh_token, kept_refresh);
    let last = world.provider.requests_to("/token").pop().unwrap();
    assert_eq!(last.status, 401);
}
