//! The follow-up exchange run by the wizard itself: Instagram's code exchange answers in its
//! documented wrapped shape with a one-hour token, the wizard exchanges it for the 60-day token
//! at once (`ig_exchange_token`), and the refresh then works, because it sends the 60-day token.

use e2e::provider::instagram::LONG_LIVED_EXPIRES_IN;
use e2e::world::World;
use e2e::{CmdContext, Result, action, check, find};

use crate::flows;

/// The Instagram preset, pointed at the mock's Instagram-shaped routes through an imported
/// configuration (the follow-up URL has no field of its own: a user never needs to change it).
pub async fn instagram_code_exchange_is_followed_by_the_long_lived_exchange(
    w: &World,
) -> Result<()> {
    let c = w.client();
    let provider = &w.provider;
    // Instagram's Business Login sends no PKCE.
    provider.configure(|config| config.require_pkce = false);
    let mut settings = presets::by_id("instagram")
        .expect("the Instagram preset")
        .settings
        .clone();
    if let Some(auth) = &mut settings.authorization {
        auth.url = provider.authorize_url();
    }
    settings.token.url = provider.instagram_token_url();
    if let Some(follow_up) = &mut settings.follow_up {
        follow_up.url = provider.instagram_exchange_url();
    }
    if let Some(refresh) = &mut settings.refresh {
        refresh.url = provider.instagram_refresh_url();
    }
    let vars = engine::Vars::new().with("client_id", provider.config().client_id);
    let file = presets::ConfigFile::new(Some("instagram"), settings, &vars, false);
    let path = w
        .catch_downloads()
        .await?
        .join("instagram-at-the-mock.json");
    std::fs::write(&path, file.to_json()).expect("the configuration file is written");

    action::click(c, "settings-toggle").await?;
    find::by_testid(c, "import-config")
        .await?
        .send_keys(&path.to_string_lossy())
        .await
        .doing(|| "choosing the configuration file".to_owned())?;
    check::shows_containing(c, "settings-status", "Imported.").await?;
    action::next_to(c, 2).await?;
    check::shows(c, "client-id-label", "Instagram app ID").await?;
    flows::authorize_automatically(w).await?;
    action::next_to(c, 3).await?;
    action::fill(c, "client-secret", &provider.config().client_secret).await?;

    let long_lived = flows::call_bearer(w).await?;
    check::expect(long_lived.grant_type == "ig_exchange_token", || {
        format!(
            "the token shown should come from the follow-up exchange, but came from {}",
            long_lived.grant_type
        )
    })?;
    check::expect(long_lived.expires_in == LONG_LIVED_EXPIRES_IN, || {
        format!("the long-lived token lives {} s", long_lived.expires_in)
    })?;
    let issued = provider.issued();
    let short_lived = issued
        .iter()
        .rev()
        .find(|i| i.grant_type == "authorization_code")
        .expect("the code exchange issued a token");
    let code_exchange = flows::last_request(w, "/ig/oauth/access_token")?;
    check::expect(code_exchange.status == 200, || {
        format!("the code exchange was refused ({})", code_exchange.status)
    })?;
    let exchange = flows::last_request(w, "/ig/access_token")?;
    check::expect(exchange.method == "GET" && exchange.status == 200, || {
        format!(
            "the follow-up went out as {} and got {}",
            exchange.method, exchange.status
        )
    })?;
    flows::expect_param(&exchange, "grant_type", "ig_exchange_token")?;
    flows::expect_param(&exchange, "access_token", &short_lived.access_token)?;
    flows::expect_param(&exchange, "client_secret", &provider.config().client_secret)?;

    // The refresh renews the 60-day token; the mock refuses the one-hour one, as Instagram does.
    let renewed = flows::call_refresh(w).await?;
    check::expect(renewed.grant_type == "ig_refresh_token", || {
        format!("the refresh was answered by {}", renewed.grant_type)
    })?;
    let refresh = flows::last_request(w, "/ig/refresh_access_token")?;
    flows::expect_param(&refresh, "access_token", &long_lived.access_token)?;
    check::shows(c, "refresh-count", "1").await
}
