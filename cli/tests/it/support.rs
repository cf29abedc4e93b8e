//! What every scenario needs: the mock provider in a Tokio runtime, a real authorization to seed
//! a profile, the `otw` binary as a child process, and Debian's redis-server on a free port.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use e2e::provider::{Provider, ProviderConfig};
use engine::{ServiceSettings, Vars};
use otw::profile::Profile;
use presets::ConfigFile;

/// The profile name the scenarios use.
pub const NAME: &str = "work";

/// The mock provider, the runtime it runs on, and a scratch folder.
pub struct World {
    pub runtime: tokio::runtime::Runtime,
    pub provider: Provider,
    pub dir: tempfile::TempDir,
}

impl World {
    /// Starts the mock provider with `change` applied to its default configuration.
    pub fn start(change: impl FnOnce(&mut ProviderConfig)) -> World {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a Tokio runtime");
        let mut config = ProviderConfig::default();
        change(&mut config);
        let provider = runtime
            .block_on(Provider::start(config))
            .expect("the mock provider starts on loopback");
        World {
            runtime,
            provider,
            dir: tempfile::tempdir().expect("a scratch folder"),
        }
    }

    /// A fresh folder under the scratch folder (a "machine's" home, a store).
    pub fn folder(&self, name: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(&path).expect("a scratch sub-folder");
        path
    }

    /// Settings for the mock: authorization code with PKCE, token and refresh at `token_path`,
    /// Basic client authentication.
    pub fn settings(&self, token_path: &str) -> ServiceSettings {
        serde_json::from_value(serde_json::json!({
            "authorization": { "url": self.provider.authorize_url(), "scopes": ["read"] },
            "token": {
                "url": self.provider.url(token_path),
                "grant-type": "authorization_code",
                "body": [
                    { "name": "grant_type", "value": "{grant_type}" },
                    { "name": "code", "value": "{code}" },
                    { "name": "redirect_uri", "value": "{redirect_uri}" },
                    { "name": "code_verifier", "value": "{code_verifier}", "optional": true }
                ]
            },
            "refresh": {
                "url": self.provider.url(token_path),
                "grant-type": "refresh_token",
                "body": [
                    { "name": "grant_type", "value": "{grant_type}" },
                    { "name": "refresh_token", "value": "{refresh_token}" }
                ]
            }
        }))
        .expect("valid mock settings")
    }

    /// Runs a real authorization at the mock (authorize → code → exchange, built by the engine)
    /// and returns the exported configuration with its refresh token, as the wizard writes it.
    pub fn authorized_config(&self, token_path: &str) -> ConfigFile {
        let settings = self.settings(token_path);
        let verifier = engine::pkce::Pkce::from_random(&otw::random_bytes());
        let state = engine::pkce::new_state(&otw::random_bytes());
        let vars = Vars::new()
            .with("client_id", "e2e-client")
            .with("client_secret", "e2e-client-secret")
            .with("redirect_uri", self.provider.echo_url())
            .with("state", state.clone())
            .with("code_verifier", verifier.verifier());
        let url = engine::request::authorization_url(&settings, &vars).expect("authorization URL");
        let answer = self
            .runtime
            .block_on(e2e::http::get(&url))
            .expect("the mock answers /authorize");
        let location = answer.header("location").expect("a redirect with the code");
        let callback = engine::callback::parse_callback(location, Some(&state)).expect("a code");
        let request =
            engine::request::token_request(&settings, &vars.clone().with("code", callback.code))
                .expect("token request");
        // post_form sets the form Content-Type itself.
        let headers: Vec<(&str, &str)> = request
            .headers
            .iter()
            .filter(|(name, _)| !name.eq_ignore_ascii_case("content-type"))
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let answer = self
            .runtime
            .block_on(e2e::http::post_form(
                &request.url,
                &headers,
                request.body.clone().unwrap_or_default(),
            ))
            .expect("the mock answers /token");
        let tokens = engine::token::parse_token_response(
            answer.status,
            answer.header("content-type"),
            &answer.body,
        )
        .expect("the code exchange succeeds");
        let refresh = tokens.refresh_token.expect("a refresh token");
        let exported = Vars::new()
            .with("client_id", "e2e-client")
            .with("client_secret", "e2e-client-secret")
            .with("redirect_uri", self.provider.echo_url())
            .with("token", tokens.access_token)
            .with("refresh_token", refresh);
        ConfigFile::new(None, settings, &exported, true)
    }

    /// Authorizes for real and imports the result as profile [`NAME`] into `store`
    /// (`--replace` when `replace`).
    pub fn seed(&self, store: &str, token_path: &str, replace: bool) {
        let file = self.dir.path().join("exported.json");
        std::fs::write(&file, self.authorized_config(token_path).to_json()).expect("write export");
        let home = self.folder("seed-home");
        let mut command = otw(store, &home);
        command.args(["import"]).arg(&file).args(["--name", NAME]);
        if replace {
            command.arg("--replace");
        }
        let output = command.output().expect("otw runs");
        assert_success(&output, "otw import");
        std::fs::remove_file(&file).expect("remove the export");
    }

    /// The refresh requests the provider received: (refresh token sent, status), oldest first.
    pub fn refreshes(&self) -> Vec<(String, u16)> {
        self.provider
            .requests()
            .into_iter()
            .filter(|r| r.param("grant_type") == Some("refresh_token"))
            .map(|r| {
                (
                    r.param("refresh_token").unwrap_or_default().to_owned(),
                    r.status,
                )
            })
            .collect()
    }
}

/// `otw` with `store` as its store and `home` as its home and XDG folders, no proxy variables.
pub fn otw(store: &str, home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_otw"));
    otw_environment(&mut command, store, home);
    command
}

/// The environment [`otw`] runs in, for a command that starts otw itself (`script`).
pub fn otw_environment(command: &mut Command, store: &str, home: &Path) {
    command
        .env("OTW_STORE", store)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env_remove("OTW_CLIENT_SECRET")
        .env_remove("OTW_LOCK_TIMEOUT")
        .stdin(Stdio::null());
    for proxy in [
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "all_proxy",
    ] {
        command.env_remove(proxy);
    }
}

/// Fails the test with otw's stderr unless it exited 0.
pub fn assert_success(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// stdout as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The profile file of [`NAME`] in a folder store.
pub fn profile_file(store: &Path) -> PathBuf {
    store.join(format!("{NAME}.json"))
}

/// Reads the stored profile [`NAME`] of a folder store.
pub fn stored(store: &Path) -> Profile {
    let path = profile_file(store);
    let text = std::fs::read_to_string(&path).expect("the profile file exists");
    Profile::from_json(&text, &path.display().to_string()).expect("the profile parses")
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free loopback port")
}

pub use e2e::redis::Redis;
