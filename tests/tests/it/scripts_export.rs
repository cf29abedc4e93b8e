//! Settings → "Use in scripts": the export for `otw` carries the refresh token only when the user
//! ticks it, and the commands to run next are shown.

use std::path::{Path, PathBuf};
use std::time::Duration;

use e2e::world::World;
use e2e::{E2eError, Result, action, check};

use crate::flows;

/// Waits for Chromium to finish writing `path` and returns its JSON.
async fn downloaded(w: &World, path: &Path) -> Result<serde_json::Value> {
    let c = w.client();
    check::until(
        c,
        "the export to be downloaded",
        Duration::from_secs(10),
        async || {
            Ok(std::fs::read_to_string(path)
                .ok()
                .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok()))
        },
    )
    .await
}

fn downloads_dir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("e2e-downloads-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|source| E2eError::Io {
        doing: format!("creating {}", dir.display()),
        source,
    })?;
    Ok(dir)
}

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

    let dir = downloads_dir()?;
    w.cdp(
        "Page.setDownloadBehavior",
        serde_json::json!({ "behavior": "allow", "downloadPath": dir.display().to_string() }),
    )
    .await?;
    let file = dir.join("otw-google-cloud.json");
    action::click(c, "settings-toggle").await?;

    action::click(c, "export-scripts").await?;
    check::shows(
        c,
        "scripts-commands",
        "otw import otw-google-cloud.json --name google-cloud\notw login google-cloud\notw token google-cloud",
    )
    .await?;
    let without = downloaded(w, &file).await?;
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
    let with = downloaded(w, &file).await?;
    check::expect(
        with["values"]["refresh_token"] == refresh_token.as_str(),
        || format!("the export lacks the refresh token: {with}"),
    )?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
