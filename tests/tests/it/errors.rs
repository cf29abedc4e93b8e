//! Scenario 7: what the service says when it refuses — the OAuth error, its description, the
//! HTTP status and the wizard's hint — for a wrong secret (`invalid_client`), a used code
//! (`invalid_grant`) and a refused authorization (`access_denied`); and an answer that names
//! another service as its issuer (an RFC 9207 mix-up).

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

/// Discovery says the service names itself in every answer (`iss`, RFC 9207). An answer naming
/// another issuer — what a mix-up attack delivers — is refused, and its code is not kept.
pub async fn answer_from_another_issuer_is_refused(w: &World) -> Result<()> {
    let c = w.client();
    let provider = &w.provider;
    action::choose_custom_service(c).await?;
    action::fill(c, "discovery-issuer", provider.base_url()).await?;
    action::click(c, "discovery-run").await?;
    check::shows_containing(c, "discovery-status", "Filled in").await?;
    flows::to_step_2_with_client_id(w).await?;
    action::click(c, "advanced-toggle").await?;
    check::shows(c, "issuer", provider.base_url()).await?;
    check::shows(c, "issuer-required", "true").await?;
    // Screen readers read each field's help with it.
    check::described_as(c, "issuer-required", "without iss is refused").await?;
    check::described_as(c, "callback-params", "kept as {variables}").await?;

    let other = "https://other-service.example";
    provider.configure(|config| config.answer_as_issuer = Some(other.to_owned()));
    action::click(c, "start-authorization").await?;
    check::shows_containing(c, "code-status", &format!("issuer `{other}`")).await?;
    check::shows_containing(c, "code-status", provider.base_url()).await?;
    check::hidden(c, "auth-waiting").await?;
    check::shows(c, "code", "").await?;

    // The service's own answer goes through.
    provider.configure(|config| config.answer_as_issuer = None);
    flows::authorize_automatically(w).await?;
    Ok(())
}
