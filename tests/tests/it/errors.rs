//! Scenario 7: what the service says when it refuses — the OAuth error, its description, the
//! HTTP status and the wizard's hint — for a wrong secret (`invalid_client`), a used code
//! (`invalid_grant`) and a refused authorization (`access_denied`).

use e2e::world::World;
use e2e::{Result, action, check};

use crate::flows::{self, Tab};

/// `invalid_client` then `invalid_grant`, each explained in the error box.
pub async fn service_errors_show_description_and_hint(w: &World) -> Result<()> {
    let c = w.client();
    let provider = &w.provider;

    // invalid_client: the right client id with a wrong secret.
    flows::preset_pointed_at_mock(w, "google-cloud").await?;
    flows::to_step_2_with_client_id(w).await?;
    flows::authorize_automatically(w).await?;
    action::next_to(c, 3).await?;
    flows::set_token_url(w, Tab::Bearer, &provider.token_url()).await?;
    action::fill(c, "client-secret", "not-the-secret").await?;
    action::click(c, "call-bearer").await?;
    check::shows(c, "error-code", "invalid_client").await?;
    check::shows_containing(c, "error-description", "Client authentication failed").await?;
    check::shows(c, "error-status", "401").await?;
    check::shows_containing(c, "error-hint", "secret").await?;
    check::hidden(c, "result-access-token").await?;
    w.screenshot_at("error-invalid-client", "error-box").await?;

    // invalid_grant: with the right secret the code works once; the second call reuses it.
    action::fill(c, "client-secret", &provider.config().client_secret).await?;
    check::expect(provider.issued().is_empty(), || {
        "the mock issued tokens although the secret was wrong".to_owned()
    })?;
    // The refused call did not consume the code (the mock checks the client first).
    flows::call_bearer(w).await?;
    action::click(c, "call-bearer").await?;
    check::shows(c, "error-code", "invalid_grant").await?;
    check::shows_containing(c, "error-description", "already used").await?;
    check::shows(c, "error-status", "400").await?;
    check::shows_containing(c, "error-hint", "step 2").await?;
    w.screenshot_at("error-invalid-grant", "error-box").await?;
    Ok(())
}

/// The user (here: the mock) refuses at the authorization page: the wizard shows the service's
/// error and description instead of a code.
pub async fn authorization_denied_is_explained(w: &World) -> Result<()> {
    let c = w.client();
    w.provider
        .configure(|config| config.deny_with = Some("The user declined access.".to_owned()));
    flows::preset_pointed_at_mock(w, "google-cloud").await?;
    flows::to_step_2_with_client_id(w).await?;
    action::click(c, "start-authorization").await?;
    check::shows_containing(c, "code-status", "access_denied").await?;
    check::shows_containing(c, "code-status", "The user declined access.").await?;
    check::hidden(c, "auth-waiting").await?;
    check::shows(c, "code", "").await?;
    w.screenshot_at("2-authorize-denied", "code-status").await?;
    Ok(())
}
