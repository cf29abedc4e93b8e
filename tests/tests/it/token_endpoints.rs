//! Scenarios 4, 5, 6 and 11: a custom service set up by discovery, client credentials, the
//! password grant, and a token endpoint that answers form-encoded.

use std::time::Duration;

use e2e::world::World;
use e2e::{Result, action, check};

use crate::flows::{self, Tab};

/// Scenario 4: "Customize OAuth settings", filled from the issuer's discovery document, through
/// the whole client flow; the token call goes to a slow endpoint so "Calling…" can be seen.
pub async fn custom_service_with_discovery(w: &World) -> Result<()> {
    let c = w.client();
    let provider = &w.provider;
    action::choose_custom_service(c).await?;
    check::shows(c, "service-selected", "Custom OAuth settings").await?;
    check::shows(c, "client-flow-required", "true").await?;
    action::fill(c, "discovery-issuer", provider.base_url()).await?;
    action::click(c, "discovery-run").await?;
    check::shows_containing(c, "discovery-status", "Filled in").await?;
    check::shows(c, "authorization-url", &provider.authorize_url()).await?;
    check::shows_containing(
        c,
        "decided-client-auth",
        "Basic header (client_secret_basic",
    )
    .await?;

    flows::to_step_2_with_client_id(w).await?;
    action::fill_lines(c, "scopes", &["read", "write"]).await?;
    check::shows_containing(c, "scope-preview", "read%20write").await?;
    flows::authorize_automatically(w).await?;
    flows::expect_param(
        &flows::last_request(w, "/authorize")?,
        "scope",
        "read write",
    )?;

    action::next_to(c, 3).await?;
    // Discovery filled the token endpoint of both requests.
    check::shows(c, "bearer-url", &provider.token_url()).await?;
    action::click(c, "tab-refresh").await?;
    check::shows(c, "refresh-url", &provider.token_url()).await?;
    flows::set_token_url(w, Tab::Bearer, &provider.slow_token_url()).await?;
    action::fill(c, "client-secret", &provider.config().client_secret).await?;
    provider.configure(|config| config.slow_delay = Duration::from_secs(3));
    action::click(c, "call-bearer").await?;
    check::shows_containing(c, "call-status", "Calling").await?;
    check::shows_matching_within(
        c,
        "result-access-token",
        "the access token from the slow endpoint",
        Duration::from_secs(20),
        |seen| provider.newest_access_token().as_deref() == Some(seen),
    )
    .await?;
    check::shows(c, "result-scope-granted", "read write").await?;
    let token_call = flows::last_request(w, "/slow/token")?;
    check::expect(
        token_call.basic_client_id.as_deref() == Some(provider.config().client_id.as_str()),
        || "discovery chose client_secret_basic, but no Basic header came".to_owned(),
    )
}

/// Custom settings without the client flow: the token comes straight from the token endpoint.
async fn custom_without_client_flow(w: &World, token_url: &str) -> Result<()> {
    let c = w.client();
    action::choose_custom_service(c).await?;
    action::set_checked(c, "client-flow-required", false).await?;
    check::hidden(c, "authorization-url").await?;
    flows::to_step_2_with_client_id(w).await?;
    action::next_to(c, 3).await?;
    check::shows(c, "bearer-grant-type", "client_credentials").await?;
    flows::set_token_url(w, Tab::Bearer, token_url).await?;
    action::fill(c, "client-secret", &w.provider.config().client_secret).await
}

/// Scenario 5: client credentials; no refresh token is issued, and the wizard says so.
pub async fn client_credentials(w: &World) -> Result<()> {
    let c = w.client();
    custom_without_client_flow(w, &w.provider.token_url()).await?;
    // Client credentials bring no refresh token: no field for one, and the refresh tab says why.
    check::hidden(c, "refresh-token-input").await?;
    action::click(c, "tab-refresh").await?;
    check::visible(c, "refresh-not-used").await?;
    let issued = flows::call_bearer(w).await?;
    check::expect(issued.refresh_token.is_none(), || {
        "the mock issued a refresh token for client credentials".to_owned()
    })?;
    let call = flows::last_request(w, "/token")?;
    flows::expect_param(&call, "grant_type", "client_credentials")?;
    check::expect(
        call.basic_client_id.as_deref() == Some(w.provider.config().client_id.as_str()),
        || "the client should authenticate with a Basic header by default".to_owned(),
    )
}

/// Scenario 11: a token endpoint that answers `application/x-www-form-urlencoded`.
pub async fn form_encoded_token_response(w: &World) -> Result<()> {
    let c = w.client();
    custom_without_client_flow(w, &w.provider.token_form_url()).await?;
    flows::call_bearer(w).await?;
    check::shows(c, "result-token-type", "Bearer").await?;
    check::shows_containing(c, "result-countdown", "left").await?;
    check::shows_containing(c, "result-raw", "access_token=").await?;
    Ok(())
}

/// Scenario 6: the password grant (Dayforce: a fixed public client id, user name and password).
pub async fn password_grant(w: &World) -> Result<()> {
    let c = w.client();
    let config = w.provider.config();
    w.provider.configure(|config| {
        config.password_client_id = "Dayforce.HCMAnywhere.Client".to_owned();
    });
    action::choose_service(c, "dayforce").await?;
    action::fill(c, "variable-company_id", "acme").await?;
    action::next_to(c, 2).await?;
    action::next_to(c, 3).await?;
    check::shows(c, "bearer-grant-type", "password").await?;
    flows::set_token_url(w, Tab::Bearer, &w.provider.token_url()).await?;
    action::fill(c, "user-name", &config.user_name).await?;
    action::fill(c, "client-secret", &config.password).await?;
    let issued = flows::call_bearer(w).await?;
    check::expect(issued.grant_type == "password", || {
        format!("the mock issued tokens for {}", issued.grant_type)
    })?;
    let call = flows::last_request(w, "/token")?;
    flows::expect_param(&call, "username", &config.user_name)?;
    flows::expect_param(&call, "companyId", "acme")?;
    flows::expect_param(&call, "client_id", "Dayforce.HCMAnywhere.Client")
}
