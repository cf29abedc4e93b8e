//! Headless Chromium for the page measurements: the end-to-end tests' launcher (`e2e::browser`,
//! the same flags, chromedriver and clean-up), plus three flags that keep timers and rendering
//! running in windows without focus (a redirect measurement has two windows, and a throttled one
//! would measure Chromium's throttling instead of the app), and the DevTools commands the
//! measurements need to install a script before any page script runs and to switch the cache off.

use fantoccini::Client;
use serde_json::Value;

use crate::{BenchError, Result};

/// Flags on top of the end-to-end tests' own.
const UNTHROTTLED: [&str; 3] = [
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
];

/// One browser session; [`Browser::close`] ends it, and dropping it ends chromedriver and
/// Chromium in any case.
pub struct Browser(e2e::browser::Browser);

fn failed(err: impl std::fmt::Display) -> BenchError {
    BenchError::Browser(err.to_string())
}

impl Browser {
    /// Starts chromedriver and a session with a fresh profile.
    pub async fn launch() -> Result<Browser> {
        for program in [e2e::browser::CHROMEDRIVER, e2e::browser::CHROMIUM] {
            if !std::path::Path::new(program).exists() {
                return Err(BenchError::Setup(format!(
                    "{program} is missing: `cargo xtask setup --browser` installs Chromium and chromedriver"
                )));
            }
        }
        e2e::browser::Browser::launch_with(&UNTHROTTLED)
            .await
            .map(Browser)
            .map_err(failed)
    }

    /// The WebDriver client.
    pub fn client(&self) -> &Client {
        self.0.client()
    }

    /// Runs a Chrome DevTools Protocol command in the current window's page.
    pub async fn cdp(&self, cmd: &'static str, params: Value) -> Result<Value> {
        self.0.cdp(cmd, params).await.map_err(failed)
    }

    /// Runs `script` in the page and returns its value.
    pub async fn eval(&self, script: &str) -> Result<Value> {
        self.client()
            .execute(script, Vec::new())
            .await
            .map_err(|err| BenchError::Browser(format!("a script in the page failed: {err}")))
    }

    /// Navigates the current window to `url` (waits for its load event).
    pub async fn goto(&self, url: &str) -> Result<()> {
        self.client()
            .goto(url)
            .await
            .map_err(|err| BenchError::Browser(format!("cannot open {url}: {err}")))
    }

    /// Ends the session (Chromium quits) and chromedriver.
    pub async fn close(self) -> Result<()> {
        self.0.close().await.map_err(failed)
    }
}
