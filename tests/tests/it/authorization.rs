//! Scenarios 2, 3 and 10: the code does not come back by itself (the redirect URI is a page
//! elsewhere), so the user pastes it — the bare code, or the whole redirect address with its extra
//! parameters — and a forged state is refused.

use e2e::world::World;
use e2e::{Result, action, check};

use crate::flows;

/// Scenario 2: the user copies the code from the page the service showed and pastes it.
pub async fn pasted_code(w: &World) -> Result<()> {
    let c = w.client();
    flows::preset_pointed_at_mock(w, "google-cloud").await?;
    flows::to_step_2_with_client_id(w).await?;
    let landed = flows::authorize_to_echo_page(w).await?;
    let code = flows::query_param(&landed, "code").unwrap_or_default();

    action::paste(c, "code", &code).await?;
    check::shows_containing(c, "code-status", "received").await?;
    check::hidden(c, "auth-waiting").await?;
    check::shows(c, "code", &code).await?;

    action::next_to(c, 3).await?;
    flows::step_3_pointed_at(w, &w.provider.token_url()).await?;
    flows::call_bearer(w).await?;
    let token_call = flows::last_request(w, "/token")?;
    flows::expect_param(&token_call, "code", &code)?;
    // The token request repeats the redirect URI used when authorizing (RFC 6749 §4.1.3).
    flows::expect_param(&token_call, "redirect_uri", &w.provider.foreign_echo_url())
}

/// Scenario 3: QuickBooks adds `realmId` to the redirect; the user pastes the whole address and
/// the wizard keeps `realmId` as a callback parameter.
pub async fn pasted_redirect_url_keeps_callback_params(w: &World) -> Result<()> {
    const REALM: &str = "9130355377388383";
    let c = w.client();
    w.provider.configure(|config| {
        // The QuickBooks preset sends no PKCE, as Intuit does not take it.
        config.require_pkce = false;
        config.extra_callback_params = vec![("realmId".to_owned(), REALM.to_owned())];
    });
    flows::preset_pointed_at_mock(w, "quickbooks").await?;
    check::shows(c, "service-selected", "QuickBooks Online").await?;
    flows::to_step_2_with_client_id(w).await?;
    let landed = flows::authorize_to_echo_page(w).await?;
    let code = flows::query_param(&landed, "code").unwrap_or_default();
    check::expect(
        flows::query_param(&landed, "realmId").as_deref() == Some(REALM),
        || format!("the mock's redirect lacks realmId: {landed}"),
    )?;

    action::paste(c, "code", landed.as_str()).await?;
    check::shows_containing(c, "code-status", "received").await?;
    // realmId lands in its own field, kept for step 3 as {realmId}.
    check::shows(c, "callback-param-realmId", REALM).await?;

    action::next_to(c, 3).await?;
    flows::step_3_pointed_at(w, &w.provider.token_url()).await?;
    check::shows(c, "bearer-client-auth", "basic-header").await?;
    flows::call_bearer(w).await?;
    let token_call = flows::last_request(w, "/token")?;
    flows::expect_param(&token_call, "code", &code)?;
    check::expect(
        token_call.basic_client_id.as_deref() == Some(w.provider.config().client_id.as_str()),
        || "QuickBooks authenticates with a Basic header, but none came".to_owned(),
    )
}

/// Scenario 10: a pasted redirect address whose state is not the one sent is refused, nothing is
/// stored, and the genuine address still works afterwards.
pub async fn state_mismatch_is_refused(w: &World) -> Result<()> {
    let c = w.client();
    flows::preset_pointed_at_mock(w, "google-cloud").await?;
    flows::to_step_2_with_client_id(w).await?;
    let landed = flows::authorize_to_echo_page(w).await?;
    let mut forged = landed.clone();
    let pairs: Vec<(String, String)> = landed
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "state" {
                "forged-state".into()
            } else {
                v
            };
            (k.into_owned(), v.into_owned())
        })
        .collect();
    forged.query_pairs_mut().clear().extend_pairs(pairs);

    action::paste(c, "code", forged.as_str()).await?;
    check::shows_containing(c, "code-status", "does not match").await?;
    check::shows_containing(c, "nav-next-reason", "authorization code").await?;
    let next_enabled = e2e::find::by_testid(c, "nav-next")
        .await?
        .is_enabled()
        .await
        .unwrap_or(true);
    check::that(c, !next_enabled, || {
        "Next is enabled although the only code came with a forged state".to_owned()
    })
    .await?;
    // Nothing was stored: step 3 cannot build the token request for want of a code.
    action::go_to_step(c, 3).await?;
    check::shows_containing(c, "bearer-template-error", "{code}").await?;
    action::go_to_step(c, 2).await?;

    // The genuine redirect address is still accepted.
    action::paste(c, "code", landed.as_str()).await?;
    check::shows_containing(c, "code-status", "received").await?;
    check::expect(w.provider.requests_to("/token").is_empty(), || {
        "a token request was sent with a code from a forged redirect".to_owned()
    })
}
