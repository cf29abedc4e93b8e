//! The device authorization grant in the wizard (RFC 8628): discovery finds the device endpoint,
//! step 2 shows the user code large with its verification link and QR code, the "user" approves
//! at the mock's verification page, and the wizard's polling brings the tokens to step 3. A denied
//! and an expired code are explained. A confidential client types its secret beside the device
//! button (the device requests authenticate it), a public client is not asked for one. A
//! `private_key_jwt` client pastes its key there: every device request carries a fresh
//! assertion for the token endpoint, and a key the browser cannot sign with, or one the service
//! refuses, is said in words.

use base64::Engine as _;
use e2e::provider::assertion::{CLIENT_EC_PEM, CLIENT_RSA_PEM, OTHER_RSA_PEM};
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

/// Discovery with the device endpoint, then step 3's client authentication set to
/// `private_key_jwt` (`alg`, `kid`) for `client_id`, and back to step 2's device card.
async fn to_device_sign_in_with_jwt(
    w: &World,
    client_id: &str,
    alg: &str,
    kid: &str,
) -> Result<()> {
    let c = w.client();
    w.provider.configure(|config| config.device_interval = 1);
    flows::custom_service_discovered(w).await?;
    action::next_to(c, 2).await?;
    action::fill(c, "client-id", client_id).await?;
    action::go_to_step(c, 3).await?;
    action::select(c, "bearer-client-auth", "private-key-jwt").await?;
    action::select(c, "bearer-assertion-alg", alg).await?;
    action::fill(c, "bearer-assertion-kid", kid).await?;
    action::go_to_step(c, 2).await?;
    check::hidden(c, "device-client-secret").await?;
    check::shows_containing(
        c,
        "device-signed-with",
        &format!("signed {alg} (key id {kid})"),
    )
    .await
    .map(|_| ())
}

/// The claims of the client assertion a recorded request carried.
fn assertion_claims(request: &e2e::provider::Recorded) -> Result<serde_json::Value> {
    let claims = request
        .param("client_assertion")
        .and_then(|jwt| jwt.split('.').nth(1))
        .and_then(|part| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(part)
                .ok()
        })
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    claims.ok_or_else(|| {
        e2e::E2eError::Expectation(format!(
            "the {} request to {} should carry a client assertion: {request:?}",
            request.method, request.path
        ))
    })
}

/// private_key_jwt (ES256) in the device card: a key of the wrong type stops the start before
/// anything is sent; the right key, pasted once in step 2, signs the device authorization and
/// every poll (a new jti each, audience the token endpoint) and is the key step 3 shows.
pub async fn private_key_jwt_signs_every_device_request(w: &World) -> Result<()> {
    let c = w.client();
    to_device_sign_in_with_jwt(w, "e2e-jwt-ec-client", "ES256", "e2e-ec-key").await?;
    action::paste(c, "device-private-key", CLIENT_RSA_PEM).await?;
    check::shows_containing(
        c,
        "device-private-key-error",
        "is an RSA key, but ES256 needs",
    )
    .await?;
    e2e::axe::check_wcag_aa(c, "step 2's device card with a private key and its problem").await?;
    action::click(c, "device-start").await?;
    check::shows_containing(c, "device-error", "The client assertion cannot be made").await?;
    check::shows_containing(c, "device-error", "is an RSA key, but ES256 needs").await?;
    check::expect(
        w.provider.requests_to("/device_authorization").is_empty(),
        || "nothing may be sent when the assertion cannot be signed".to_owned(),
    )?;

    action::paste(c, "device-private-key", CLIENT_EC_PEM).await?;
    check::hidden(c, "device-private-key-error").await?;
    action::click(c, "device-start").await?;
    check::hidden(c, "device-error").await?;
    let code = user_code(w).await?;
    // Let it poll at least once before the user approves.
    check::until(c, "a first device poll", check::TIMEOUT, async || {
        Ok((!w.provider.requests_to("/token").is_empty()).then_some(()))
    })
    .await?;
    decide(w, &code, "allow").await?;
    check::at_step(c, 3).await?;
    let issued = w.provider.newest_access_token().unwrap_or_default();
    check::shows(c, "result-access-token", &issued).await?;

    let start = flows::last_request(w, "/device_authorization")?;
    let polls = w.provider.requests_to("/token");
    check::expect(start.status == 200 && polls.len() >= 2, || {
        format!("the device authorization was accepted and polled: {start:?} {polls:?}")
    })?;
    let token_url = w.provider.token_url();
    let mut jtis = Vec::new();
    for request in std::iter::once(&start).chain(&polls) {
        flows::expect_param(
            request,
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        )?;
        let claims = assertion_claims(request)?;
        check::expect(
            claims["aud"] == token_url.as_str()
                && claims["iss"] == "e2e-jwt-ec-client"
                && claims["sub"] == "e2e-jwt-ec-client",
            || format!("the assertion names the client and the token endpoint: {claims}"),
        )?;
        jtis.push(claims["jti"].as_str().unwrap_or_default().to_owned());
    }
    let mut distinct = jtis.clone();
    distinct.sort();
    distinct.dedup();
    check::expect(distinct.len() == jtis.len(), || {
        format!("every device request signs a fresh assertion (jtis {jtis:?})")
    })?;
    check::expect(polls.last().is_some_and(|poll| poll.status == 200), || {
        format!("the last poll brought the tokens: {polls:?}")
    })?;
    // One key: the one pasted in step 2 is step 3's.
    check::shows(c, "private-key", CLIENT_EC_PEM.trim()).await
}

/// private_key_jwt (RS256) with a key the service does not hold: the device authorization is
/// refused, and the card says why and what to check; no code is shown.
pub async fn refused_device_client_assertion_is_explained(w: &World) -> Result<()> {
    let c = w.client();
    to_device_sign_in_with_jwt(w, "e2e-jwt-rsa-client", "RS256", "e2e-rsa-key").await?;
    action::paste(c, "device-private-key", OTHER_RSA_PEM).await?;
    action::click(c, "device-start").await?;
    check::shows_containing(c, "device-error", "invalid_client").await?;
    check::shows_containing(c, "device-error", "signature does not verify").await?;
    check::shows_containing(
        c,
        "device-error",
        "The service refused the signed assertion",
    )
    .await?;
    check::hidden(c, "device-user-code").await?;
    let start = flows::last_request(w, "/device_authorization")?;
    check::expect(
        start.status == 401 && assertion_claims(&start).is_ok(),
        || format!("the signed request reached the mock and was refused: {start:?}"),
    )?;
    check::expect(w.provider.requests_to("/token").is_empty(), || {
        "no poll without a device code".to_owned()
    })
}
