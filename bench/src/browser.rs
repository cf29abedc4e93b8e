//! Headless Chromium through Debian's chromedriver and fantoccini, plus chromedriver's
//! Chrome DevTools Protocol endpoint (`/session/{id}/goog/cdp/execute`), which the measurements
//! need to install a script before any page script runs and to switch the cache off.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};

use crate::process::{ChildGuard, free_port, wait_for_port};
use crate::{BenchError, IoContext, Result};

/// Debian's chromedriver.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Debian's Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// The flags Chromium needs headless as root in this workplace, plus three that keep timers and
/// rendering running in windows without focus (a redirect measurement has two windows, and a
/// throttled one would measure Chromium's throttling instead of the app).
const CHROMIUM_ARGS: [&str; 12] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,900",
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
];

/// One browser session; [`Browser::close`] ends it, and dropping it ends chromedriver and
/// Chromium in any case.
pub struct Browser {
    client: Client,
    // Dropped after the client: chromedriver's process group, then the profile folder.
    _driver: ChildGuard,
    profile: PathBuf,
}

impl Browser {
    /// Starts chromedriver and a session with a fresh profile in `work`.
    pub async fn launch(work: &Path, name: &str) -> Result<Browser> {
        for program in [CHROMEDRIVER, CHROMIUM] {
            if !Path::new(program).exists() {
                return Err(BenchError::Setup(format!(
                    "{program} is missing: `cargo xtask setup --browser` installs Chromium and chromedriver"
                )));
            }
        }
        let port = free_port()?;
        let mut command = Command::new(CHROMEDRIVER);
        command
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut driver = ChildGuard::spawn_group(&mut command, "chromedriver")?;
        wait_for_port(
            ([127, 0, 0, 1], port).into(),
            &mut driver,
            Duration::from_secs(30),
        )
        .await?;
        let profile = work.join(format!("chromium-profile-{name}"));
        std::fs::create_dir_all(&profile).doing(|| format!("creating {}", profile.display()))?;
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| (*a).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".to_owned(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({ "binary": CHROMIUM, "args": args }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .map_err(|err| BenchError::Browser(format!("cannot open a Chromium session: {err}")))?;
        Ok(Browser {
            client,
            _driver: driver,
            profile,
        })
    }

    /// The WebDriver client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Runs a Chrome DevTools Protocol command in the current window's page.
    pub async fn cdp(&self, cmd: &'static str, params: Value) -> Result<Value> {
        self.client
            .issue_cmd(Cdp { cmd, params })
            .await
            .map_err(|err| BenchError::Browser(format!("CDP {cmd} failed: {err}")))
    }

    /// Runs `script` in the page and returns its value.
    pub async fn eval(&self, script: &str) -> Result<Value> {
        self.client
            .execute(script, Vec::new())
            .await
            .map_err(|err| BenchError::Browser(format!("a script in the page failed: {err}")))
    }

    /// Navigates the current window to `url` (waits for its load event).
    pub async fn goto(&self, url: &str) -> Result<()> {
        self.client
            .goto(url)
            .await
            .map_err(|err| BenchError::Browser(format!("cannot open {url}: {err}")))
    }

    /// Ends the session (Chromium quits); chromedriver ends when `self` drops.
    pub async fn close(self) -> Result<()> {
        let closed = self.client.clone().close().await;
        let _ = std::fs::remove_dir_all(&self.profile);
        closed.map_err(|err| BenchError::Browser(format!("cannot close the session: {err}")))
    }
}

/// chromedriver's `POST /session/{id}/goog/cdp/execute {cmd, params}`.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> std::result::Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "cmd": self.cmd, "params": self.params }).to_string()),
        )
    }
}
