//! The error explainer: a refusal worded as Microsoft's or Google's token endpoint words it gets
//! the fix the service's preset lists, above the wizard's generic hint.

use e2e::provider::ClientAuthMode;
use e2e::world::World;
use e2e::{Result, action, check};

use crate::flows::{self, Tab};

/// Microsoft: a secret's id typed instead of its value (`AADSTS7000215`).
pub async fn microsoft_wrong_secret_gets_the_known_fix(w: &World) -> Result<()> {
    let c = w.client();
    let provider = &w.provider;
    flows::preset_pointed_at_mock(w, "microsoft").await?;
    // The preset sends the client's credentials in the body, as Entra ID apps do by default.
    provider.configure(|config| config.client_auth = ClientAuthMode::Body);
    flows::to_step_2_with_client_id(w).await?;
    flows::authorize_automatically(w).await?;
    action::next_to(c, 3).await?;
    flows::set_token_url(w, Tab::Bearer, &provider.microsoft_token_url()).await?;
    action::fill(c, "client-secret", "00000000-secret-id-not-its-value").await?;
    action::click(c, "call-bearer").await?;
    check::shows_containing(c, "error-description", "AADSTS7000215").await?;
    check::shows_containing(c, "error-known-fix", "Known Microsoft OAuth").await?;
    check::shows_containing(c, "error-known-fix", "not its Secret ID").await?;
    check::shows_containing(c, "error-hint", "secret").await?;
    w.screenshot_at("error-known-microsoft", "error-box")
        .await?;

    // With the secret's value the same code works: the refusal did not consume it.
    action::fill(c, "client-secret", &provider.config().client_secret).await?;
    flows::call_bearer(w).await?;
    check::hidden(c, "error-known-fix").await
}

/// Google: a wrong secret (`invalid_client`), then a code used twice (`invalid_grant`,
/// "Bad Request"), each with Google's own fix.
pub async fn google_refusals_get_the_known_fix(w: &World) -> Result<()> {
    let c = w.client();
    let provider = &w.provider;
    flows::preset_pointed_at_mock(w, "google-cloud").await?;
    flows::to_step_2_with_client_id(w).await?;
    flows::authorize_automatically(w).await?;
    action::next_to(c, 3).await?;
    flows::set_token_url(w, Tab::Bearer, &provider.google_token_url()).await?;
    action::fill(c, "client-secret", "not-the-secret").await?;
    action::click(c, "call-bearer").await?;
    check::shows(c, "error-code", "invalid_client").await?;
    check::shows_containing(
        c,
        "error-known-fix",
        "Google does not know this client ID or secret",
    )
    .await?;

    action::fill(c, "client-secret", &provider.config().client_secret).await?;
    flows::call_bearer(w).await?;
    action::click(c, "call-bearer").await?;
    check::shows(c, "error-code", "invalid_grant").await?;
    check::shows(c, "error-description", "Bad Request").await?;
    check::shows_containing(c, "error-known-fix", "already used").await?;
    check::shows_containing(c, "error-hint", "step 2").await?;
    w.screenshot_at("error-known-google", "error-box").await?;
    Ok(())
}
