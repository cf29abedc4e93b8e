//! Settings → "Use in scripts": the export for `otw` carries the refresh token only when the user
//! ticks it, and the commands to run next are shown.

use e2e::world::World;
use e2e::{E2eError, Result, action, check};

use crate::flows;

/// Without the choice the file has no secret and the commands authorize again; with it, the
/// refresh token the wizard holds is in the file and the commands import and print a token.
pub async fn export_for_scripts_includes_refresh_token_only_when_chosen(w: &World) -> Result<()> {
    let c = w.client();
    flows::preset_pointed_at_mock(w, "google-cloud").await?;
    flows::to_step_2_with_client_id(w).await?;
    flows::authorize_automatically(w).await?;
    action::next_to(c, 3).await?;
    flows::step_3_pointed_at(w, &w.provider.token_url()).await?;
    let issued = flows::call_bearer(w).await?;
    let refresh_token = issued
        .refresh_token
        .ok_or_else(|| E2eError::Expectation("the mock issued no refresh token".to_owned()))?;

    let dir = w.catch_downloads().await?;
    let file = dir.join("otw-google-cloud.json");
    action::click(c, "settings-toggle").await?;

    action::click(c, "export-scripts").await?;
    check::shows(
        c,
        "scripts-commands",
        "otw import otw-google-cloud.json --name google-cloud\notw login google-cloud\notw token google-cloud",
    )
    .await?;
    let without = w.downloaded_json(&file).await?;
    let text = without.to_string();
    check::expect(
        !text.contains(&refresh_token) && !text.contains("client_secret"),
        || format!("the export without the choice carries a secret: {text}"),
    )?;
    check::expect(
        without["values"]["client_id"] == w.provider.config().client_id,
        || format!("the export lacks the client id: {text}"),
    )?;
    let _ = std::fs::remove_file(&file);

    action::set_checked(c, "export-scripts-refresh", true).await?;
    action::click(c, "export-scripts").await?;
    check::shows(
        c,
        "scripts-commands",
        "otw import otw-google-cloud.json --name google-cloud\notw token google-cloud",
    )
    .await?;
    check::shows_containing(c, "settings-status", "like a password").await?;
    w.screenshot_at("settings-scripts", "scripts-commands")
        .await?;
    let with = w.downloaded_json(&file).await?;
    check::expect(
        with["values"]["refresh_token"] == refresh_token.as_str(),
        || format!("the export lacks the refresh token: {with}"),
    )?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
