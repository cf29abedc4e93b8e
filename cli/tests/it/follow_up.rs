//! `otw login` runs the service's follow-up exchange after the code exchange: with the Instagram
//! preset at the mock's Instagram-shaped routes, the stored token is the 60-day one, and
//! `otw refresh` renews it by exchanging it (Instagram has no refresh token).

use crate::login::{rest, start_login_with};
use crate::support::*;

/// The Instagram preset's own settings, pointed at the mock.
fn instagram_at(world: &World) -> engine::ServiceSettings {
    let provider = &world.provider;
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
    settings
}

#[test]
fn login_keeps_the_long_lived_token_of_the_follow_up_exchange() {
    let world = World::start(|config| config.require_pkce = false);
    let redirect_uri = format!("http://127.0.0.1:{}/callback", free_port());
    world.provider.register_redirect_uri(&redirect_uri);
    let store = world.dir.path().join("store");
    let (mut child, url, lines) = start_login_with(
        &world,
        store.to_str().unwrap(),
        &redirect_uri,
        instagram_at(&world),
    );
    let back = world.runtime.block_on(e2e::http::get(&url)).unwrap();
    let location = back
        .header("location")
        .expect("the mock redirects with a code")
        .to_owned();
    let page = world.runtime.block_on(e2e::http::get(&location)).unwrap();
    assert_eq!(page.status, 200, "{}", page.body);
    let status = child.wait().unwrap();
    let messages = rest(&lines);
    assert!(status.success(), "otw login: {messages}");

    let issued = world.provider.issued();
    let grants: Vec<&str> = issued.iter().map(|i| i.grant_type.as_str()).collect();
    assert_eq!(grants, ["authorization_code", "ig_exchange_token"]);
    let exchange = world.provider.requests_to("/ig/access_token");
    assert_eq!(exchange.len(), 1);
    assert_eq!(
        exchange[0].param("access_token"),
        Some(issued[0].access_token.as_str())
    );
    assert_eq!(
        exchange[0].param("client_secret"),
        Some("e2e-client-secret")
    );
    let profile = stored(&store);
    assert_eq!(
        profile.tokens.access_token.as_deref(),
        Some(issued[1].access_token.as_str()),
        "the 60-day token is kept"
    );

    // A refresh now renews that token by exchanging it (`{token}`); the mock refuses the one-hour
    // token, as Instagram does.
    let home = world.folder("home");
    let renewed = otw(store.to_str().unwrap(), &home)
        .args(["refresh", NAME, "--force"])
        .env("OTW_CLIENT_SECRET", "e2e-client-secret")
        .output()
        .unwrap();
    assert_success(&renewed, "otw refresh --force");
    let refresh = world.provider.requests_to("/ig/refresh_access_token");
    assert_eq!(refresh.len(), 1);
    assert_eq!(refresh[0].status, 200);
    assert_eq!(
        refresh[0].param("access_token"),
        Some(issued[1].access_token.as_str())
    );
    assert_eq!(
        stored(&store).tokens.access_token,
        world.provider.newest_access_token(),
        "the renewed token is stored"
    );
}
