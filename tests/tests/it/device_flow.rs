//! The device authorization grant in the wizard (RFC 8628): discovery finds the device endpoint,
//! step 2 shows the user code large with its verification link and QR code, the "user" approves
//! at the mock's verification page, and the wizard's polling brings the tokens to step 3. A denied
//! and an expired code are explained. A confidential client types its secret beside the device
//! button (the device requests authenticate it), a public client is not asked for one.

use e2e::world::World;
use e2e::{Result, action, check};

use crate::flows;

/// Discovery for the mock's public client (device clients have no secret), codes every second.
async fn to_device_sign_in(
    w: &World,
    change: impl FnOnce(&mut e2e::provider::ProviderConfig),
) -> Result<()> {
    let c = w.client();
    w.provider.configure(|config| {
        config.device_interval = 1;
        config.token_endpoint_auth_methods = vec!["none".to_owned()];
        change(config);
    });
    flows::custom_service_discovered(w).await?;
    action::next_to(c, 2).await?;
    action::fill(c, "client-id", &w.provider.config().public_client_id).await?;
    action::click(c, "device-start").await
}

/// The user code the wizard shows, once it shows one.
async fn user_code(w: &World) -> Result<String> {
    check::shows_matching(
        w.client(),
        "device-user-code",
        "a user code like 1000-4321",
        |code| code.len() == 9 && code.as_bytes()[4] == b'-',
    )
    .await
}

/// What the user chooses at the service's verification page.
async fn decide(w: &World, code: &str, decision: &str) -> Result<()> {
    let url = w.provider.url(&format!(
        "/device/decide?user_code={code}&decision={decision}"
    ));
    let answer = e2e::http::get(&url).await?;
    check::expect(answer.status == 200, || {
        format!("the mock refused the decision: {}", answer.body)
    })
}

pub async fn device_code_brings_the_tokens_without_a_redirect(w: &World) -> Result<()> {
    let c = w.client();
    to_device_sign_in(w, |_| {}).await?;
    let code = user_code(w).await?;
    check::shows(c, "device-verification-uri", &w.provider.url("/device")).await?;
    let has_qr = c
        .execute(
            "return document.querySelector('[data-testid=device-qr] svg rect, [data-testid=device-qr] svg path') !== null",
            vec![],
        )
        .await
        .map_err(|error| e2e::E2eError::Expectation(format!("cannot look for the QR code: {error}")))?;
    check::expect(has_qr == serde_json::Value::Bool(true), || {
        "the verification address should be shown as a QR code (an SVG)".to_owned()
    })?;
    check::shows_containing(c, "device-status", "Waiting for the code to be entered").await?;
    check::hidden(c, "device-client-secret").await?;
    decide(w, &code, "allow").await?;
    check::at_step(c, 3).await?;
    let issued = w.provider.newest_access_token().unwrap_or_default();
    check::shows(c, "result-access-token", &issued).await?;
    let polls = w.provider.requests_to("/token");
    check::expect(
        polls.iter().all(|poll| {
            poll.param("grant_type") == Some("urn:ietf:params:oauth:grant-type:device_code")
        }) && polls.last().is_some_and(|poll| poll.status == 200),
        || format!("every poll is a device grant and the last one succeeded: {polls:?}"),
    )
}

pub async fn denied_and_expired_device_codes_are_explained(w: &World) -> Result<()> {
    let c = w.client();
    to_device_sign_in(w, |_| {}).await?;
    let code = user_code(w).await?;
    decide(w, &code, "deny").await?;
    check::shows_containing(c, "device-error", "denied at the verification page").await?;
    check::hidden(c, "device-user-code").await?;

    w.provider.configure(|config| config.device_expires_in = 2);
    action::click(c, "device-start").await?;
    user_code(w).await?;
    check::shows_containing(c, "device-error", "The code expired").await?;
    check::expect(w.provider.newest_access_token().is_none(), || {
        "no token may be issued for a denied or expired code".to_owned()
    })
}

pub async fn confidential_client_types_its_secret_for_the_device_flow(w: &World) -> Result<()> {
    let c = w.client();
    w.provider.configure(|config| config.device_interval = 1);
    let config = w.provider.config();
    flows::custom_service_discovered(w).await?;
    action::next_to(c, 2).await?;
    action::fill(c, "client-id", &config.client_id).await?;
    action::fill(c, "device-client-secret", &config.client_secret).await?;
    action::click(c, "device-start").await?;
    let code = user_code(w).await?;
    let start = w.provider.requests_to("/device_authorization").pop();
    check::expect(
        start.as_ref().is_some_and(|r| {
            r.status == 200 && r.basic_client_id.as_deref() == Some(config.client_id.as_str())
        }),
        || {
            format!(
                "the device authorization should authenticate the client with its secret: {start:?}"
            )
        },
    )?;
    decide(w, &code, "allow").await?;
    check::at_step(c, 3).await?;
    let issued = w.provider.newest_access_token().unwrap_or_default();
    check::shows(c, "result-access-token", &issued).await
}
