//! Scenario 8 and "forget everything": what survives a reload (the settings) and what does not
//! (secrets and tokens), and that forgetting really forgets.

use e2e::world::World;
use e2e::{CmdContext, Result, action, check};

use crate::flows;

/// Scenario 8: a reload keeps the client id and URLs, not the client secret or the tokens.
pub async fn reload_keeps_settings_not_secrets(w: &World) -> Result<()> {
    let c = w.client();
    let provider = &w.provider;
    flows::preset_pointed_at_mock(w, "google-cloud").await?;
    flows::to_step_2_with_client_id(w).await?;
    flows::authorize_automatically(w).await?;
    action::next_to(c, 3).await?;
    flows::step_3_pointed_at(w, &provider.token_url()).await?;
    let issued = flows::call_bearer(w).await?;

    c.refresh()
        .await
        .doing(|| "reloading the wizard".to_owned())?;
    check::at_step(c, 3).await?;
    // Settings survive: the token URL in step 3, the client id in step 2, the URL in step 1.
    check::shows(c, "bearer-url", &provider.token_url()).await?;
    // Secrets and tokens do not.
    check::shows(c, "client-secret", "").await?;
    check::hidden(c, "result-access-token").await?;
    let page = e2e::find::page_text(c).await;
    check::that(c, !page.contains(&issued.access_token), || {
        "the access token is still on the page after a reload".to_owned()
    })
    .await?;
    action::go_to_step(c, 2).await?;
    check::shows(c, "client-id", &provider.config().client_id).await?;
    check::shows(c, "code", "").await?;
    action::go_to_step(c, 1).await?;
    check::shows(c, "service-selected", "Google Cloud").await?;
    check::shows(c, "authorization-url", &provider.authorize_url()).await
}

/// Settings → "Forget everything" leaves nothing behind, even across a reload.
pub async fn forget_everything_clears_settings(w: &World) -> Result<()> {
    let c = w.client();
    flows::preset_pointed_at_mock(w, "google-cloud").await?;
    flows::to_step_2_with_client_id(w).await?;
    action::click(c, "settings-toggle").await?;
    action::click(c, "forget-everything").await?;
    check::at_step(c, 1).await?;
    check::hidden(c, "service-selected").await?;
    // Nothing comes back with a reload either.
    c.refresh()
        .await
        .doing(|| "reloading the wizard".to_owned())?;
    check::visible(c, "step-indicator").await?;
    check::at_step(c, 1).await?;
    check::hidden(c, "service-selected").await?;
    // Choosing the preset again starts from the preset, not from what was typed before.
    action::choose_service(c, "google-cloud").await?;
    check::shows_containing(c, "authorization-url", "accounts.google.com").await?;
    action::next_to(c, 2).await?;
    check::shows(c, "client-id", "").await
}
