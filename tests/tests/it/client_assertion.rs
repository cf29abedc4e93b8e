//! JWT client authentication in the wizard (RFC 7523): the browser signs the assertion with
//! WebCrypto (ES256, PS256, HS256), the mock provider verifies it, and what it refuses (a key it
//! does not know, a kid it does not know) is explained. A key that does not fit the algorithm is
//! named before anything is sent.

use e2e::provider::assertion::{CLIENT_EC_PEM, CLIENT_RSA_PEM, OTHER_RSA_PEM};
use e2e::world::World;
use e2e::{Result, action, check};

use crate::flows::{self, Tab};

/// Steps 1–3 of a custom service without client flow (client credentials at the mock),
/// `client_id` as the client, `auth` as its client authentication.
async fn client_credentials_as(w: &World, client_id: &str, auth: &str) -> Result<()> {
    let c = w.client();
    action::choose_custom_service(c).await?;
    action::set_checked(c, "client-flow-required", false).await?;
    action::next_to(c, 2).await?;
    action::fill(c, "client-id", client_id).await?;
    action::next_to(c, 3).await?;
    flows::set_token_url(w, Tab::Bearer, &w.provider.token_url()).await?;
    action::select(c, "bearer-client-auth", auth).await
}

/// Clicks the bearer call and waits for the service's refusal.
async fn refused(w: &World, why: &str) -> Result<()> {
    let c = w.client();
    let before = w.provider.requests_to("/token").len();
    action::click(c, "call-bearer").await?;
    check::shows_containing(c, "error-box", "invalid_client").await?;
    check::shows_containing(c, "error-description", why).await?;
    check::shows_containing(c, "error-hint", "The service refused the").await?;
    check::expect(w.provider.requests_to("/token").len() == before + 1, || {
        "the refused call should have reached the mock once".to_owned()
    })
}

/// private_key_jwt with ES256 and then PS256: keys checked as pasted, the assertion masked in
/// the preview, signed in the browser, accepted; a wrong key and a wrong kid are refused.
pub async fn private_key_jwt_signs_in_the_browser(w: &World) -> Result<()> {
    let c = w.client();
    client_credentials_as(w, "e2e-jwt-ec-client", "private-key-jwt").await?;
    action::select(c, "bearer-assertion-alg", "ES256").await?;
    action::fill(c, "bearer-assertion-kid", "e2e-ec-key").await?;
    action::paste(c, "private-key", CLIENT_RSA_PEM).await?;
    check::shows_containing(c, "private-key-error", "is an RSA key, but ES256 needs").await?;
    action::paste(c, "private-key", CLIENT_EC_PEM).await?;
    check::hidden(c, "private-key-error").await?;
    let preview = check::shows_containing(c, "bearer-preview", "client_assertion=••••••").await?;
    check::expect(
        !preview.contains("PRIVATE") && !preview.contains("Authorization: Basic"),
        || format!("the preview shows no key and no Basic header: {preview}"),
    )?;
    flows::call_bearer(w).await?;
    let call = flows::last_request(w, "/token")?;
    flows::expect_param(
        &call,
        "client_assertion_type",
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    )?;
    check::expect(
        call.basic_client_id.is_none() && call.param("client_secret").is_none(),
        || "only the assertion authenticates".to_owned(),
    )?;

    // The same client, a kid the service does not know.
    action::fill(c, "bearer-assertion-kid", "retired-key").await?;
    refused(w, "kid names no key").await?;

    // PS256 with the RSA client: first a key the service does not know (bad signature).
    action::go_to_step(c, 2).await?;
    action::fill(c, "client-id", "e2e-jwt-rsa-client").await?;
    action::next_to(c, 3).await?;
    action::select(c, "bearer-assertion-alg", "PS256").await?;
    action::fill(c, "bearer-assertion-kid", "e2e-rsa-key").await?;
    action::paste(c, "private-key", OTHER_RSA_PEM).await?;
    refused(w, "signature does not verify").await?;
    action::paste(c, "private-key", CLIENT_RSA_PEM).await?;
    flows::call_bearer(w).await?;
    flows::expect_param(
        &flows::last_request(w, "/token")?,
        "grant_type",
        "client_credentials",
    )
}

/// client_secret_jwt: the assertion is signed with the client secret (HS256).
pub async fn client_secret_jwt_signs_with_the_secret(w: &World) -> Result<()> {
    let c = w.client();
    client_credentials_as(w, "e2e-jwt-secret-client", "client-secret-jwt").await?;
    check::hidden(c, "private-key").await?;
    action::fill(c, "client-secret", "not-the-secret").await?;
    refused(w, "signature does not verify").await?;
    action::fill(c, "client-secret", "e2e-jwt-shared-secret-0123456789abcdef").await?;
    flows::call_bearer(w).await?;
    let call = flows::last_request(w, "/token")?;
    check::expect(call.param("client_secret").is_none(), || {
        "the secret itself is never sent".to_owned()
    })
}
