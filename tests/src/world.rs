//! The set-up every scenario shares: one mock provider, one relay and one browser, started once per
//! test binary (the machine has 2 cores; starting Chromium per scenario would cost minutes).
//!
//! [`World::fresh_page`] gives each scenario a clean start: the provider back to its defaults,
//! the popups closed, the wizard's storage cleared and the page reloaded.

use std::path::PathBuf;

use fantoccini::Client;
use fantoccini::wd::WindowHandle;

use crate::browser::Browser;
use crate::provider::{Provider, ProviderConfig};
use crate::relay::{RelayOptions, RelayServer};
use crate::{CmdContext, E2eError, Result, action, check, dist_dir};

/// The provider, the relay and the browser of one test run.
pub struct World {
    /// The mock OAuth provider; its redirect URIs are the relay's `/callback` and its own echo pages.
    pub provider: Provider,
    /// The relay serving the wizard.
    pub relay: RelayServer,
    dist: PathBuf,
    browser: Browser,
    main_window: WindowHandle,
}

impl World {
    /// Starts everything. Fails first, with the fix in the message, when the wizard is not built.
    pub async fn start() -> Result<World> {
        let dist = dist_dir()?;
        // Failure pictures of an earlier run would mislead: this run writes its own.
        if let Ok(entries) = std::fs::read_dir(crate::screenshot_dir()) {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().starts_with("failed-") {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        let provider = Provider::start(ProviderConfig::default())
            .await
            .map_err(|source| E2eError::Io {
                doing: "starting the mock provider".to_owned(),
                source,
            })?;
        let relay = RelayServer::start(
            &dist,
            &RelayOptions {
                target_ports: vec![provider.port()],
                ..RelayOptions::default()
            },
        )
        .await?;
        provider.register_redirect_uri(&relay.callback_url());
        // The local relay answers an `https://localhost` redirect URI with a certificate it made
        // itself: a user clicks through Chromium's warning once, the tests skip it.
        let browser = Browser::launch_with(&["--ignore-certificate-errors"]).await?;
        let main_window = browser
            .client()
            .window()
            .await
            .doing(|| "reading the main window's handle".to_owned())?;
        Ok(World {
            provider,
            relay,
            dist,
            browser,
            main_window,
        })
    }

    /// The built wizard every relay of this run serves.
    pub fn dist(&self) -> &std::path::Path {
        &self.dist
    }

    /// The WebDriver client.
    pub fn client(&self) -> &Client {
        self.browser.client()
    }

    /// Runs a Chrome DevTools Protocol command in the current window's page (where
    /// downloads go, colour scheme and screen size emulation).
    pub async fn cdp(
        &self,
        cmd: &'static str,
        params: serde_json::Value,
    ) -> Result<serde_json::Value> {
        self.browser.cdp(cmd, params).await
    }

    /// Sends the page's downloads to a fresh, empty folder and returns it.
    pub async fn catch_downloads(&self) -> Result<PathBuf> {
        let dir = crate::workspace_root().join("target/e2e-downloads");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|source| E2eError::Io {
            doing: format!("creating {}", dir.display()),
            source,
        })?;
        self.cdp(
            "Browser.setDownloadBehavior",
            serde_json::json!({ "behavior": "allow", "downloadPath": dir.to_string_lossy() }),
        )
        .await?;
        Ok(dir)
    }

    /// Waits until Chromium has written the download `path` as JSON, and returns it.
    pub async fn downloaded_json(&self, path: &std::path::Path) -> Result<serde_json::Value> {
        check::until(
            self.client(),
            &format!("the download {} to arrive", path.display()),
            check::TIMEOUT,
            async || {
                Ok(std::fs::read_to_string(path)
                    .ok()
                    .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok()))
            },
        )
        .await
    }

    /// The wizard's own window (popups are others).
    pub fn main_window(&self) -> &WindowHandle {
        &self.main_window
    }

    /// A clean start: provider reset, relay request log emptied, popups closed, storage cleared,
    /// wizard reloaded at step 1.
    pub async fn fresh_page(&self) -> Result<()> {
        self.provider.reset();
        self.relay.forget_requests();
        self.open_wizard_fresh(&self.relay.app_url()).await
    }

    /// Opens the wizard served at `app_url` (its index page, ending in `/`) with nothing stored
    /// for that origin and no popups open, at step 1.
    pub async fn open_wizard_fresh(&self, app_url: &str) -> Result<()> {
        let client = self.client();
        action::close_other_windows(client, &self.main_window).await?;
        client
            .goto(app_url)
            .await
            .doing(|| format!("opening the wizard at {app_url}"))?;
        client
            .execute(
                "localStorage.clear(); sessionStorage.clear(); return null;",
                Vec::new(),
            )
            .await
            .doing(|| "clearing the wizard's storage".to_owned())?;
        client
            .goto(&format!("{app_url}#/step/1"))
            .await
            .doing(|| "opening step 1".to_owned())?;
        client
            .refresh()
            .await
            .doing(|| "reloading the wizard".to_owned())?;
        check::visible(client, "step-indicator").await?;
        check::at_step(client, 1).await
    }

    /// Switches back to the wizard's window.
    pub async fn back_to_wizard(&self) -> Result<()> {
        action::switch_to(self.client(), &self.main_window).await
    }

    /// Saves a screenshot of the current window into `tests/screenshots/`.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        self.browser.screenshot(name).await
    }

    /// Scrolls the element with `testid` to the middle of the window, then saves a screenshot:
    /// the picture shows what the step is about, not wherever the last click left the page.
    pub async fn screenshot_at(&self, name: &str, testid: &str) -> Result<PathBuf> {
        let element = crate::find::by_testid(self.client(), testid).await?;
        let element_ref = serde_json::to_value(&element).map_err(|e| {
            E2eError::Expectation(format!("cannot pass an element to a script: {e}"))
        })?;
        self.client()
            .execute(
                "arguments[0].scrollIntoView({block: 'center'}); return null;",
                vec![element_ref],
            )
            .await
            .doing(|| format!("scrolling to [data-testid={testid}]"))?;
        self.screenshot(name).await
    }

    /// Closes the browser session and stops chromedriver, the relay and the provider.
    pub async fn close(self) -> Result<()> {
        self.browser.close().await
    }
}
