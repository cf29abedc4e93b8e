//! Scenarios 9 and 12: automatic refresh that always sends the newest (rotated) refresh token,
//! and Facebook's re-issue by GET, where the refresh request exchanges the access token itself
//! through the `{token}` variable.

use std::time::Duration;

use e2e::world::World;
use e2e::{Result, action, check};

use crate::flows::{self, Tab};

/// Scenario 9: tokens that live 3 s; the wizard refreshes on its own, and every refresh carries
/// the refresh token the previous answer issued.
pub async fn automatic_refresh_keeps_rotated_token(w: &World) -> Result<()> {
    let c = w.client();
    let provider = &w.provider;
    provider.configure(|config| config.expires_in = 3);
    flows::preset_pointed_at_mock(w, "google-cloud").await?;
    flows::to_step_2_with_client_id(w).await?;
    flows::authorize_automatically(w).await?;
    action::next_to(c, 3).await?;
    flows::step_3_pointed_at(w, &provider.token_url()).await?;
    action::set_checked(c, "auto-refresh", true).await?;
    flows::call_bearer(w).await?;
    check::shows_matching(c, "next-refresh", "a scheduled time", |seen| {
        !seen.is_empty() && seen != "Off"
    })
    .await?;

    // Two refreshes: the second can only succeed with the token the first one issued.
    check::shows_matching_within(
        c,
        "refresh-count",
        "at least 2",
        Duration::from_secs(30),
        |seen| seen.parse::<u32>().is_ok_and(|count| count >= 2),
    )
    .await?;
    check::shows_matching(
        c,
        "result-refresh-token",
        "the newest refresh token the mock issued",
        |seen| provider.newest_refresh_token().as_deref() == Some(seen),
    )
    .await?;
    action::set_checked(c, "auto-refresh", false).await?;
    check::shows(c, "next-refresh", "Off").await?;

    let issued = provider.issued();
    let refreshes: Vec<_> = provider
        .requests_to("/token")
        .into_iter()
        .filter(|r| r.param("grant_type") == Some("refresh_token"))
        .collect();
    for (index, request) in refreshes.iter().enumerate() {
        check::expect(request.status == 200, || {
            format!(
                "automatic refresh {} was refused ({})",
                index + 1,
                request.status
            )
        })?;
        let expected = issued.get(index).and_then(|i| i.refresh_token.as_deref());
        check::expect(request.param("refresh_token") == expected, || {
            format!(
                "automatic refresh {} sent refresh token {:?}, but the newest was {expected:?}",
                index + 1,
                request.param("refresh_token")
            )
        })?;
    }
    Ok(())
}

/// Scenario 12: Facebook's long-lived token: GET with the current access token as `{token}`.
pub async fn get_exchange_reissues_with_token_variable(w: &World) -> Result<()> {
    let c = w.client();
    let provider = &w.provider;
    // Facebook's manual flow sends no PKCE.
    provider.configure(|config| config.require_pkce = false);
    flows::preset_pointed_at_mock(w, "facebook").await?;
    flows::to_step_2_with_client_id(w).await?;
    check::shows(c, "client-id-label", "App ID").await?;
    flows::authorize_automatically(w).await?;

    action::next_to(c, 3).await?;
    flows::step_3_pointed_at(w, &provider.exchange_url()).await?;
    action::click(c, "tab-bearer").await?;
    check::shows(c, "bearer-method", "GET").await?;
    let short_lived = flows::call_bearer(w).await?;

    action::click(c, "tab-refresh").await?;
    check::shows(c, "refresh-method", "GET").await?;
    check::shows(c, "refresh-grant-type", "fb_exchange_token").await?;
    check::shows_containing(c, "refresh-query", "fb_exchange_token={token}").await?;
    let long_lived = flows::call_refresh(w).await?;
    check::expect(long_lived.access_token != short_lived.access_token, || {
        "the exchange returned the same token".to_owned()
    })?;
    check::shows(c, "refresh-count", "1").await?;
    let exchange = flows::last_request(w, "/exchange")?;
    check::expect(exchange.method == "GET", || {
        format!("the exchange went out as {}", exchange.method)
    })?;
    flows::expect_param(&exchange, "grant_type", "fb_exchange_token")?;
    flows::expect_param(&exchange, "fb_exchange_token", &short_lived.access_token)?;
    action::click(c, &format!("tab-{}", Tab::Bearer.prefix())).await?;
    Ok(())
}
