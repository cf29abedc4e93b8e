//! User journeys several scenarios share, built from `action` and `check`: pick a service and
//! point it at the mock, authorize, set up step 3, call the token endpoints.

use std::time::Duration;

use e2e::provider::{ClientAuthMode, Issued};
use e2e::world::World;
use e2e::{Result, action, check};
use url::Url;

/// The two request tabs of step 3.
#[derive(Clone, Copy, Debug)]
pub enum Tab {
    /// "Bearer token".
    Bearer,
    /// "Refresh token settings".
    Refresh,
}

impl Tab {
    /// The testid prefix of the tab's fields.
    pub fn prefix(self) -> &'static str {
        match self {
            Tab::Bearer => "bearer",
            Tab::Refresh => "refresh",
        }
    }
}

/// Step 1: picks a preset and points its authorization URL at the mock provider, whose client
/// is registered for the client authentication the preset uses (as at the real service).
pub async fn preset_pointed_at_mock(w: &World, preset_id: &str) -> Result<()> {
    let c = w.client();
    let method = match preset_id {
        "google-cloud" => ClientAuthMode::Body,
        _ => ClientAuthMode::Basic,
    };
    w.provider.configure(|config| config.client_auth = method);
    action::choose_service(c, preset_id).await?;
    action::fill(c, "authorization-url", &w.provider.authorize_url()).await
}

/// Step 1 → 2, then types the mock's client id.
pub async fn to_step_2_with_client_id(w: &World) -> Result<()> {
    let c = w.client();
    action::next_to(c, 2).await?;
    action::fill(c, "client-id", &w.provider.config().client_id).await
}

/// Starts the authorization and waits for the code to come back by itself (popup → mock →
/// relay callback → wizard). Returns the code shown.
pub async fn authorize_automatically(w: &World) -> Result<String> {
    let c = w.client();
    let before = c.windows().await.map(|w| w.len()).unwrap_or(1);
    action::click(c, "start-authorization").await?;
    let code = check::shows_matching(c, "code", "the authorization code from the mock", |v| {
        v.starts_with("mock-code-")
    })
    .await?;
    check::shows_containing(c, "code-status", "received").await?;
    check::hidden(c, "auth-waiting").await?;
    // The wizard closes the sign-in window once the code is in.
    check::until(
        c,
        "the sign-in window to close",
        check::TIMEOUT,
        async || {
            let open = c.windows().await.map(|w| w.len()).unwrap_or(before + 1);
            Ok((open <= before).then_some(()))
        },
    )
    .await?;
    Ok(code)
}

/// Starts the authorization with a redirect URI the wizard cannot watch (the mock's echo page
/// under `echo.localhost`), and returns the address the sign-in window ended at, after closing
/// it and switching back to the wizard: what a user would copy from the address bar.
pub async fn authorize_to_echo_page(w: &World) -> Result<Url> {
    let c = w.client();
    action::fill(c, "redirect-uri", &w.provider.foreign_echo_url()).await?;
    let known = c.windows().await.unwrap_or_default();
    action::click(c, "start-authorization").await?;
    let popup = action::new_window(c, &known).await?;
    action::switch_to(c, &popup).await?;
    let landed = check::until(
        c,
        "the sign-in window to land on the mock's echo page with a code",
        check::TIMEOUT,
        async || {
            Ok(c.current_url().await.ok().filter(|url| {
                url.path() == "/echo" && url.query_pairs().any(|(name, _)| name == "code")
            }))
        },
    )
    .await?;
    // The user copied what they needed; they close the window.
    action::close_other_windows(c, w.main_window()).await?;
    check::visible(c, "auth-waiting").await?;
    Ok(landed)
}

/// A query parameter of `url`.
pub fn query_param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Step 3: shows `tab` and sets its token URL.
pub async fn set_token_url(w: &World, tab: Tab, url: &str) -> Result<()> {
    let c = w.client();
    action::click(c, &format!("tab-{}", tab.prefix())).await?;
    action::fill(c, &format!("{}-url", tab.prefix()), url).await
}

/// Step 3: points both the bearer and the refresh request at `url`, and types the client secret.
pub async fn step_3_pointed_at(w: &World, url: &str) -> Result<()> {
    set_token_url(w, Tab::Refresh, url).await?;
    set_token_url(w, Tab::Bearer, url).await?;
    action::fill(
        w.client(),
        "client-secret",
        &w.provider.config().client_secret,
    )
    .await
}

/// Clicks `button` and waits until the access token the mock issued last is shown; returns it.
async fn call_until_new_token(w: &World, button: &str, timeout: Duration) -> Result<Issued> {
    let c = w.client();
    let before = w.provider.issued().len();
    action::click(c, button).await?;
    check::shows_matching_within(
        c,
        "result-access-token",
        "the access token the mock just issued",
        timeout,
        |seen| {
            w.provider.issued().len() > before
                && w.provider.newest_access_token().as_deref() == Some(seen)
        },
    )
    .await?;
    check::hidden(c, "error-box").await?;
    w.provider
        .issued()
        .pop()
        .ok_or_else(|| e2e::E2eError::Expectation(format!("{button}: the mock issued nothing")))
}

/// Custom settings filled in by discovery from the mock, checked to have worked.
pub async fn custom_service_discovered(w: &World) -> Result<()> {
    let c = w.client();
    action::choose_custom_service(c).await?;
    discover(w).await
}

/// Runs discovery against the mock and waits until it says it filled the settings in.
pub async fn discover(w: &World) -> Result<()> {
    let c = w.client();
    action::fill(c, "discovery-issuer", w.provider.base_url()).await?;
    action::click(c, "discovery-run").await?;
    check::shows_containing(c, "discovery-status", "Filled in").await?;
    Ok(())
}

/// Calls the bearer endpoint (from its tab) and waits until the new tokens are shown.
pub async fn call_bearer(w: &World) -> Result<Issued> {
    action::click(w.client(), "tab-bearer").await?;
    let issued = call_until_new_token(w, "call-bearer", check::TIMEOUT).await?;
    let c = w.client();
    match &issued.refresh_token {
        Some(refresh_token) => check::shows(c, "result-refresh-token", refresh_token).await?,
        None => check::shows(c, "result-refresh-token", "None issued").await?,
    }
    Ok(issued)
}

/// Calls the refresh endpoint (from its tab) and waits until the new access token is shown.
pub async fn call_refresh(w: &World) -> Result<Issued> {
    action::click(w.client(), "tab-refresh").await?;
    call_until_new_token(w, "call-refresh", check::TIMEOUT).await
}

/// The last request the mock received on `path`, or a failure naming what was expected.
pub fn last_request(w: &World, path: &str) -> Result<e2e::provider::Recorded> {
    w.provider.requests_to(path).pop().ok_or_else(|| {
        e2e::E2eError::Expectation(format!("the mock received no request on {path}"))
    })
}

/// Fails unless the recorded request carried `name=value`.
pub fn expect_param(request: &e2e::provider::Recorded, name: &str, value: &str) -> Result<()> {
    check::expect(request.param(name) == Some(value), || {
        format!(
            "the {} request to {} should carry {name}={value:?}, but carried {:?}",
            request.method,
            request.path,
            request.param(name)
        )
    })
}

/// Fails unless the recorded request lacks `name` in its body and query.
pub fn expect_no_param(request: &e2e::provider::Recorded, name: &str) -> Result<()> {
    check::expect(request.param(name).is_none(), || {
        format!(
            "the {} request to {} should not carry {name}, but carried {:?}",
            request.method,
            request.path,
            request.param(name)
        )
    })
}
