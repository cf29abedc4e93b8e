//! The self-test after discovery: the CORS probe of the token endpoint from the page (allowed,
//! refused by the service, or stopped by this page's own policy) and the recommendations, with
//! the button that applies them and keeps everything else.

use e2e::relay::{RelayOptions, RelayServer};
use e2e::world::World;
use e2e::{Result, action, check, find};

use crate::flows;

/// On the test relay's page (its CSP allows only itself) the probe is stopped by the page's
/// policy, which the wizard says instead of blaming the service; "apply" turns the recommended
/// PKCE back on and keeps the scopes the user typed.
pub async fn self_test_recommends_and_applies_after_discovery(w: &World) -> Result<()> {
    let c = w.client();
    flows::custom_service_discovered(w).await?;
    check::shows_containing(c, "selftest-relay", "content security policy").await?;
    let relay_text = check::shows_something(c, "selftest-relay").await?;
    check::expect(!relay_text.contains("not needed"), || {
        format!(
            "a probe the page's policy stopped must not say the relay is not needed: {relay_text}"
        )
    })?;
    check::expect(w.provider.requests_to("/token").is_empty(), || {
        "the page's policy should have stopped the probe before it reached /token".to_owned()
    })?;
    check::shows_containing(c, "selftest-pkce", "PKCE S256, and it is on").await?;
    check::shows_containing(c, "selftest-refresh", "lists the refresh_token grant").await?;
    check::shows_containing(c, "selftest-issuer", "(iss)").await?;

    action::go_to_step(c, 2).await?;
    open_advanced(w).await?;
    action::set_checked(c, "pkce-enabled", false).await?;
    action::fill_lines(c, "scopes", &["read", "write"]).await?;
    action::go_to_step(c, 1).await?;
    check::shows_containing(c, "selftest-pkce", "turn PKCE on").await?;
    // The panel with a change to make (its most marked look) meets WCAG 2.2 AA too.
    e2e::axe::check_wcag_aa(c, "step 1 with the self-test's recommendations").await?;
    action::click(c, "selftest-apply").await?;
    check::shows_containing(c, "selftest-pkce", "PKCE S256, and it is on").await?;
    action::go_to_step(c, 2).await?;
    open_advanced(w).await?;
    check::shows(c, "pkce-enabled", "true").await?;
    check::shows(c, "scopes", "read\nwrite").await?;
    Ok(())
}

/// On a relay whose page may call the mock, the CORS-allowing issuer gets "the relay is not
/// needed" and the main one (no CORS) "the calls go through the relay"; the probe runs no grant.
pub async fn self_test_tells_cors_allowed_from_refused(w: &World) -> Result<()> {
    let provider = &w.provider;
    let origin = provider.base_url().trim_end_matches('/').to_owned();
    let relay = RelayServer::start_with(
        w.dist(),
        &RelayOptions {
            target_ports: vec![provider.port()],
            ..RelayOptions::default()
        },
        &[&format!("--connect-origin={origin}")],
    )
    .await?;
    w.open_wizard_fresh(&relay.app_url()).await?;
    let c = w.client();
    action::choose_custom_service(c).await?;
    action::fill(c, "discovery-issuer", &provider.cors_issuer()).await?;
    action::click(c, "discovery-run").await?;
    check::shows_containing(c, "discovery-status", "Filled in").await?;
    check::shows_containing(c, "selftest-relay", "the relay is not needed").await?;
    let probes = provider.requests_to("/cors/token");
    check::expect(
        probes.iter().any(|r| r.method == "POST" && r.status == 400),
        || format!("the probe should have reached POST /cors/token and been refused: {probes:?}"),
    )?;

    flows::discover(w).await?;
    check::shows_containing(c, "selftest-relay", "no CORS").await?;
    let token_calls = provider.requests_to("/token");
    check::expect(token_calls.is_empty(), || {
        format!("the refused preflight must keep the probe's POST from /token: {token_calls:?}")
    })?;
    Ok(())
}

/// Opens step 2's advanced options (PKCE) unless they are open already.
async fn open_advanced(w: &World) -> Result<()> {
    let c = w.client();
    if find::now(c, "pkce-enabled").await?.is_none() {
        action::click(c, "advanced-toggle").await?;
    }
    Ok(())
}
