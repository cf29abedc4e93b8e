//! Scenario 1, the main path: a preset pointed at the mock, the code arriving by itself from the
//! popup, the bearer call, then a refresh whose rotated refresh token replaces the old one.
//! Saves `1-service.png`, `2-authorize.png`, `3-tokens.png` and `3-tokens-refreshed.png`.

use e2e::world::World;
use e2e::{Result, action, check};

use crate::flows::{self, Tab};

/// Scenario 1 (see the module doc).
pub async fn preset_popup_code_bearer_and_rotating_refresh(w: &World) -> Result<()> {
    let c = w.client();
    let provider = &w.provider;
    let config = provider.config();

    // Step 1: the Google Cloud preset, its authorization URL replaced by the mock's.
    flows::preset_pointed_at_mock(w, "google-cloud").await?;
    check::shows(c, "service-selected", "Google Cloud").await?;
    check::visible(c, "service-docs-link").await?;
    w.screenshot_at("1-service", "service-selected").await?;

    // Step 2: client id; the redirect URI defaults to the relay's callback page.
    flows::to_step_2_with_client_id(w).await?;
    check::shows(c, "client-id-label", "Client ID").await?;
    check::shows(c, "redirect-uri", &w.relay.callback_url()).await?;
    check::shows_containing(c, "scope-preview", "openid").await?;
    let code = flows::authorize_automatically(w).await?;
    w.screenshot_at("2-authorize", "code-status").await?;

    let authorize = flows::last_request(w, "/authorize")?;
    flows::expect_param(&authorize, "client_id", &config.client_id)?;
    flows::expect_param(&authorize, "redirect_uri", &w.relay.callback_url())?;
    flows::expect_param(&authorize, "code_challenge_method", "S256")?;
    flows::expect_param(&authorize, "access_type", "offline")?;
    check::expect(authorize.status == 302, || {
        format!(
            "the mock refused the authorization request ({})",
            authorize.status
        )
    })?;

    // Step 3: both requests pointed at the mock; the secret is masked in the preview.
    action::next_to(c, 3).await?;
    flows::step_3_pointed_at(w, &provider.token_url()).await?;
    let preview = check::shows_containing(c, "bearer-preview", &provider.token_url()).await?;
    check::that(c, !preview.contains(&config.client_secret), || {
        "the request preview shows the client secret in clear".to_owned()
    })
    .await?;
    let first = flows::call_bearer(w).await?;
    check::shows(c, "result-token-type", "Bearer").await?;
    check::shows_containing(c, "result-scope-granted", "openid").await?;
    check::shows_containing(c, "result-countdown", "left").await?;
    check::shows_containing(c, "call-status", "Bearer token").await?;
    let token_call = flows::last_request(w, "/token")?;
    flows::expect_param(&token_call, "grant_type", "authorization_code")?;
    flows::expect_param(&token_call, "code", &code)?;
    flows::expect_param(&token_call, "client_id", &config.client_id)?;
    check::expect(token_call.param("code_verifier").is_some(), || {
        "the token request carried no code_verifier".to_owned()
    })?;
    w.screenshot_at("3-tokens", "result-access-token").await?;

    // Refresh: the mock rotates the refresh token; the wizard must show (and keep) the new one.
    let first_refresh = first.refresh_token.clone().unwrap_or_default();
    action::click(c, "tab-refresh").await?;
    check::shows(c, "refresh-grant-type", "refresh_token").await?;
    let refreshed = flows::call_refresh(w).await?;
    let rotated = refreshed.refresh_token.clone().unwrap_or_default();
    check::expect(!rotated.is_empty() && rotated != first_refresh, || {
        "the mock did not rotate the refresh token".to_owned()
    })?;
    check::shows(c, "result-refresh-token", &rotated).await?;
    check::shows(c, "refresh-count", "1").await?;
    let refresh_call = flows::last_request(w, "/token")?;
    flows::expect_param(&refresh_call, "grant_type", "refresh_token")?;
    flows::expect_param(&refresh_call, "refresh_token", &first_refresh)?;
    action::click(c, &format!("tab-{}", Tab::Bearer.prefix())).await?;
    w.screenshot_at("3-tokens-refreshed", "result-refresh-token")
        .await?;
    Ok(())
}
