//! `otw login`: the authorization URL on stderr, the code back on the loopback listener, PKCE and
//! state checked, the tokens stored — in headless Chromium, and by plain HTTP for the rules.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use engine::Vars;
use presets::ConfigFile;

use crate::support::*;

/// Starts `otw login work --config … --no-browser` with the secret in the environment, and
/// returns the child and the authorization URL it printed on stderr.
fn start_login(
    world: &World,
    store: &str,
    redirect_uri: &str,
) -> (Child, String, mpsc::Receiver<String>) {
    start_login_with(world, store, redirect_uri, world.settings("/token"))
}

/// [`start_login`] with other settings.
pub fn start_login_with(
    world: &World,
    store: &str,
    redirect_uri: &str,
    settings: engine::ServiceSettings,
) -> (Child, String, mpsc::Receiver<String>) {
    let vars = Vars::new().with("client_id", "e2e-client");
    let config = ConfigFile::new(None, settings, &vars, false);
    let file = world.dir.path().join("settings.json");
    std::fs::write(&file, config.to_json()).unwrap();
    let home = world.folder("home");
    let mut child = otw(store, &home)
        .args(["login", NAME, "--config"])
        .arg(&file)
        .args([
            "--redirect-uri",
            redirect_uri,
            "--no-browser",
            "--timeout",
            "60",
        ])
        .env("OTW_CLIENT_SECRET", "e2e-client-secret")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines_tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                return;
            }
        }
    });
    let url = loop {
        let line = lines
            .recv_timeout(Duration::from_secs(20))
            .expect("otw prints the authorization URL on stderr");
        if line.trim().starts_with("http://") {
            break line.trim().to_owned();
        }
    };
    (child, url, lines)
}

pub fn rest(lines: &mpsc::Receiver<String>) -> String {
    let mut text = String::new();
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(5)) {
        text.push_str(&line);
        text.push('\n');
    }
    text
}

#[test]
fn login_in_a_real_browser_stores_the_tokens() {
    let world = World::start(|_| {});
    let redirect_uri = format!("http://127.0.0.1:{}/callback", free_port());
    world.provider.register_redirect_uri(&redirect_uri);
    let store = world.dir.path().join("store");
    let (mut child, url, lines) = start_login(&world, store.to_str().unwrap(), &redirect_uri);
    assert!(url.starts_with(&world.provider.authorize_url()), "{url}");
    assert!(
        url.contains("code_challenge_method=S256") && url.contains("state="),
        "{url}"
    );

    let page = world.runtime.block_on(async {
        let browser = e2e::browser::Browser::launch()
            .await
            .expect("Chromium starts");
        browser
            .client()
            .goto(&url)
            .await
            .expect("the browser opens the URL");
        let page = browser.client().source().await.expect("the page");
        let landed = browser.client().current_url().await.expect("the URL");
        browser.close().await.expect("Chromium closes");
        (page, landed.to_string())
    });
    assert!(page.0.contains("Authorized"), "the tab says so: {}", page.0);
    assert!(
        page.1.starts_with(&redirect_uri),
        "the browser landed on otw's listener: {}",
        page.1
    );
    let status = child.wait().unwrap();
    let messages = rest(&lines);
    assert!(status.success(), "otw login: {messages}");
    assert!(messages.contains("otw token work"), "{messages}");

    let token_requests = world.provider.requests_to("/token");
    assert_eq!(token_requests.len(), 1);
    assert_eq!(token_requests[0].status, 200);
    assert_eq!(
        token_requests[0].param("redirect_uri"),
        Some(redirect_uri.as_str())
    );
    assert!(
        token_requests[0].param("code_verifier").is_some(),
        "PKCE verifier sent"
    );
    let profile = stored(&store);
    assert_eq!(
        profile.tokens.refresh_token,
        world.provider.newest_refresh_token()
    );
    assert_eq!(profile.values.get("redirect_uri"), Some(&redirect_uri));
    for per_run in ["code", "code_verifier", "state"] {
        assert!(
            !profile.values.contains_key(per_run),
            "{per_run} is not kept"
        );
    }
    let home = world.folder("home");
    let token = otw(store.to_str().unwrap(), &home)
        .args(["token", NAME])
        .output()
        .unwrap();
    assert_success(&token, "otw token after login");
    assert_eq!(
        stdout(&token).trim_end(),
        world.provider.newest_access_token().unwrap()
    );
}

#[test]
fn no_port_no_path_listens_on_a_free_port() {
    let world = World::start(|c| c.loopback_any_port = true);
    world.provider.register_redirect_uri("http://127.0.0.1/");
    let store = world.dir.path().join("store");
    let (mut child, url, lines) = start_login(&world, store.to_str().unwrap(), "http://127.0.0.1");
    let sent: Vec<(String, String)> = url::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    let redirect_uri = sent
        .iter()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.clone())
        .unwrap();
    let port: u16 = redirect_uri
        .strip_prefix("http://127.0.0.1:")
        .unwrap()
        .parse()
        .unwrap();
    assert!(port > 0);
    let back = world.runtime.block_on(e2e::http::get(&url)).unwrap();
    let location = back.header("location").unwrap().to_owned();
    assert!(
        location.starts_with(&format!("http://127.0.0.1:{port}/?code=")),
        "{location}"
    );
    let page = world.runtime.block_on(e2e::http::get(&location)).unwrap();
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(child.wait().unwrap().success(), "{}", rest(&lines));
    assert_eq!(
        stored(&store).values.get("redirect_uri"),
        Some(&redirect_uri)
    );
}

#[test]
fn a_forged_state_is_refused_and_nothing_is_stored() {
    let world = World::start(|_| {});
    let redirect_uri = format!("http://127.0.0.1:{}/callback", free_port());
    world.provider.register_redirect_uri(&redirect_uri);
    let store = world.dir.path().join("store");
    let (mut child, _url, lines) = start_login(&world, store.to_str().unwrap(), &redirect_uri);
    let forged = format!("{redirect_uri}?code=stolen&state=forged");
    let page = world.runtime.block_on(e2e::http::get(&forged)).unwrap();
    assert_eq!(page.status, 400);
    assert!(page.body.contains("does not match"), "{}", page.body);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(2));
    let messages = rest(&lines);
    assert!(messages.contains("does not match"), "{messages}");
    assert!(!profile_file(&store).exists(), "nothing stored");
    assert!(
        world.provider.requests_to("/token").is_empty(),
        "the forged code was not sent"
    );
}

/// Paste, the fallback: a redirect URI that is not on this machine's loopback, otw in a terminal
/// (util-linux `script` gives it one), the user pastes the address the browser was sent to.
#[test]
fn the_redirect_address_can_be_pasted_in_a_terminal() {
    use std::io::Write;
    let world = World::start(|_| {});
    let redirect_uri = world.provider.foreign_echo_url();
    let vars = Vars::new().with("client_id", "e2e-client");
    let file = world.dir.path().join("settings.json");
    std::fs::write(
        &file,
        ConfigFile::new(None, world.settings("/token"), &vars, false).to_json(),
    )
    .unwrap();
    let store = world.dir.path().join("store");
    let home = world.folder("home");
    let login = format!(
        "{} login {NAME} --config {} --redirect-uri {redirect_uri} --no-browser --timeout 60",
        env!("CARGO_BIN_EXE_otw"),
        file.display()
    );
    let mut script = std::process::Command::new("script");
    otw_environment(&mut script, store.to_str().unwrap(), &home);
    let mut child = script
        .args(["--quiet", "--return", "--command", &login, "/dev/null"])
        .env("OTW_CLIENT_SECRET", "e2e-client-secret")
        .env("TERM", "dumb")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("util-linux script runs");
    let output = child.stdout.take().unwrap();
    let (lines_tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(output).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                return;
            }
        }
    });
    let url = loop {
        let line = lines
            .recv_timeout(Duration::from_secs(20))
            .expect("otw prints the authorization URL");
        if line.trim().starts_with("http://") {
            break line.trim().to_owned();
        }
    };
    let answer = world.runtime.block_on(e2e::http::get(&url)).unwrap();
    let location = answer.header("location").unwrap().to_owned();
    assert!(location.starts_with(&redirect_uri), "{location}");
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{location}").unwrap();
    let status = child.wait().unwrap();
    let rest = rest(&lines);
    assert!(status.success(), "otw login with a pasted address: {rest}");
    assert!(rest.contains("paste the address"), "{rest}");
    let profile = stored(&store);
    assert_eq!(
        profile.tokens.refresh_token,
        world.provider.newest_refresh_token()
    );
}
