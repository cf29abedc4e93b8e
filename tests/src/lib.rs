//! End-to-end test kit: the wizard in headless Chromium, driven over WebDriver, against the relay
//! and a mock OAuth provider, all on loopback.
//!
//! # Layout
//!
//! - [`provider`]: the mock OAuth 2.0 authorization server (axum on `127.0.0.1:0`).
//! - [`relay`](mod@crate::relay): the relay started in-process, serving the built wizard (`dist/`),
//!   with a log of the requests it answered.
//! - [`nginx`]: Debian's nginx balancing over relays with relay/deploy/nginx.conf.
//! - [`mod@redis`]: Debian's redis-server on a free port (the relay fleet's shared store).
//! - [`static_site`]: the built wizard on a plain static server of its own origin (no relay).
//! - [`trunk`]: the README's development way, `trunk serve` with the workspace's `Trunk.toml`,
//!   moved to free ports.
//! - [`browser`]: chromedriver + fantoccini session, closed and killed by a drop guard.
//! - [`http`]: a plain-HTTP loopback client (no TLS, no redirects followed).
//! - [`find`], [`action`], [`check`]: page helpers by `data-testid`, layered as *find an element*,
//!   *do what a user does*, *wait for what a user sees*.
//! - [`axe`]: axe-core's WCAG 2.2 AA check of the page shown.
//! - [`world`]: the three above started once and shared by every scenario.
//!
//! The scenarios themselves are in `tests/it/`.

pub mod action;
pub mod axe;
pub mod browser;
pub mod check;
pub mod find;
pub mod http;
pub mod nginx;
pub mod provider;
pub mod redis;
pub mod relay;
pub mod static_site;
pub mod trunk;
pub mod world;

use std::path::PathBuf;

/// Everything that can go wrong while running a scenario. The message is what the test prints.
#[derive(Debug, thiserror::Error)]
pub enum E2eError {
    /// The built wizard is not where the tests look for it.
    #[error(
        "the built wizard is missing: {0} not found. Run `cargo xtask test` (it builds the app with \
         trunk and runs these tests), or build it with `trunk build --dist <dir>` and set E2E_DIST=<dir>"
    )]
    MissingDist(PathBuf),
    /// chromedriver did not start or did not answer.
    #[error("chromedriver: {0}")]
    Driver(String),
    /// WebDriver refused to open a browser session.
    #[error("could not open a Chromium session: {0}")]
    NewSession(#[from] fantoccini::error::NewSessionError),
    /// A WebDriver command failed.
    #[error("WebDriver command failed while {doing}: {source}")]
    Command {
        /// What the test was doing.
        doing: String,
        /// The WebDriver error.
        source: fantoccini::error::CmdError,
    },
    /// A file or socket operation failed.
    #[error("{doing}: {source}")]
    Io {
        /// What the test was doing.
        doing: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// What the user should see did not appear in time, or was different.
    #[error("{message}\n--- page text ({url}) ---\n{page_text}\n--- end of page text ---")]
    Check {
        /// What was expected, and what was seen instead.
        message: String,
        /// The URL of the page at the time.
        url: String,
        /// The visible text of the page at the time (shortened when very long).
        page_text: String,
    },
    /// A plain HTTP request (to chromedriver, the relay or the provider) failed.
    #[error("HTTP request to {url} failed: {message}")]
    Http {
        /// The URL requested.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// A check on something other than the page (the provider's records, the relay) failed.
    #[error("{0}")]
    Expectation(String),
}

/// The result type of every helper and scenario.
pub type Result<T, E = E2eError> = std::result::Result<T, E>;

/// Adds "while …" context to WebDriver errors.
pub trait CmdContext<T> {
    /// Wraps the error with what the test was doing.
    fn doing(self, doing: impl FnOnce() -> String) -> Result<T>;
}

impl<T> CmdContext<T> for std::result::Result<T, fantoccini::error::CmdError> {
    fn doing(self, doing: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| E2eError::Command {
            doing: doing(),
            source,
        })
    }
}

/// The workspace root (the folder above this crate).
pub fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}

/// Where screenshots go: `<workspace>/tests/screenshots/` (gitignored).
pub fn screenshot_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("screenshots")
}

/// The built wizard: `$E2E_DIST`, else `<workspace>/dist`. Fails when it or its `index.html` is
/// missing, so a forgotten build is an error and never a silent skip.
pub fn dist_dir() -> Result<PathBuf> {
    let dist = std::env::var_os("E2E_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("dist"));
    let index = dist.join("index.html");
    if index.is_file() {
        Ok(dist)
    } else {
        Err(E2eError::MissingDist(index))
    }
}
