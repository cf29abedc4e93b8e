//! The redirect doctor in step 2 (the URI to register, the console link, the service's rules,
//! and what differs from what the user registered), and a redirect URI refused at the token
//! endpoint in Google's and Microsoft's words: the preset's fix and the difference named.

use e2e::provider::ClientAuthMode;
use e2e::world::World;
use e2e::{CmdContext, Result, action, check, find};

use crate::flows::{self, Tab};

/// The wizard's default redirect URI: the relay's callback on this computer's loopback.
fn loopback_uri(sent: &str) -> Result<url::Url> {
    url::Url::parse(sent)
        .ok()
        .filter(|url| {
            matches!(url.host_str(), Some("127.0.0.1" | "localhost")) && url.path() != "/"
        })
        .ok_or_else(|| {
            e2e::E2eError::Expectation(format!(
                "the default redirect URI {sent} is not a loopback callback"
            ))
        })
}

/// The link the doctor offers, read from the page.
async fn console_link(w: &World) -> Result<String> {
    let link = find::by_testid(w.client(), "redirect-doctor-console").await?;
    let href = link
        .attr("href")
        .await
        .doing(|| "reading the console link".to_owned())?;
    Ok(href.unwrap_or_default())
}

/// Step 2's doctor: the URI sent, the console, the rules, then a registered URI with a trailing
/// slash, another port and `localhost`, each difference named; the exact URI matches.
async fn doctor_names_the_differences(w: &World, console: &str, port_rule: &str) -> Result<()> {
    let c = w.client();
    action::click(c, "redirect-doctor-toggle").await?;
    let sent = find::shown(&find::by_testid(c, "redirect-uri").await?).await?;
    check::shows(c, "redirect-doctor-uri", &sent).await?;
    let href = console_link(w).await?;
    check::expect(href.starts_with(console), || {
        format!("the console link is {href}, not under {console}")
    })?;
    check::shows_containing(c, "redirect-doctor-rules", "https is required").await?;
    check::shows_containing(c, "redirect-doctor-rules", port_rule).await?;

    action::fill(c, "redirect-doctor-registered", &format!("{sent}/")).await?;
    check::shows_containing(
        c,
        "redirect-doctor-differences",
        "registered URI ends with “/”",
    )
    .await?;
    let mut other_spelling = loopback_uri(&sent)?;
    let host = if other_spelling.host_str() == Some("localhost") {
        "127.0.0.1"
    } else {
        "localhost"
    };
    let _ = other_spelling.set_host(Some(host));
    action::fill(c, "redirect-doctor-registered", other_spelling.as_str()).await?;
    check::shows_containing(c, "redirect-doctor-differences", "Both name this computer").await?;
    action::fill(
        c,
        "redirect-doctor-registered",
        &sent.replacen("http://", "https://", 1),
    )
    .await?;
    check::shows_containing(
        c,
        "redirect-doctor-differences",
        "http:// is sent, https:// is registered",
    )
    .await?;
    action::fill(c, "redirect-doctor-registered", &sent).await?;
    check::visible(c, "redirect-doctor-match").await?;
    w.screenshot_at("2-redirect-doctor", "redirect-doctor")
        .await?;
    Ok(())
}

/// Authorizes, then sends the token request with another redirect URI (a trailing slash added,
/// as a dashboard that appends one would): the service refuses it in its own words.
async fn token_request_with_another_redirect_uri(w: &World, token_url: &str) -> Result<()> {
    let c = w.client();
    flows::authorize_automatically(w).await?;
    let sent = find::shown(&find::by_testid(c, "redirect-uri").await?).await?;
    action::fill(c, "redirect-uri", &format!("{sent}/")).await?;
    action::next_to(c, 3).await?;
    flows::set_token_url(w, Tab::Bearer, token_url).await?;
    action::fill(c, "client-secret", &w.provider.config().client_secret).await?;
    action::click(c, "call-bearer").await
}

/// Google: the doctor, then `redirect_uri_mismatch` from the token endpoint.
pub async fn google_redirect_doctor_and_mismatch(w: &World) -> Result<()> {
    let c = w.client();
    flows::preset_pointed_at_mock(w, "google-cloud").await?;
    flows::to_step_2_with_client_id(w).await?;
    doctor_names_the_differences(
        w,
        "https://console.cloud.google.com/",
        "must match the registered one exactly",
    )
    .await?;
    token_request_with_another_redirect_uri(w, &w.provider.google_token_url()).await?;
    check::shows(c, "error-code", "redirect_uri_mismatch").await?;
    check::shows_containing(c, "error-known-fix", "Authorized redirect URIs").await?;
    check::shows_containing(c, "error-redirect-differences", "URI sent ends with “/”").await?;
    w.screenshot_at("error-google-redirect", "error-box")
        .await?;
    Ok(())
}

/// Microsoft: the doctor (any loopback port), then `AADSTS50011` from the token endpoint.
pub async fn microsoft_redirect_doctor_and_mismatch(w: &World) -> Result<()> {
    let c = w.client();
    flows::preset_pointed_at_mock(w, "microsoft").await?;
    w.provider
        .configure(|config| config.client_auth = ClientAuthMode::Body);
    flows::to_step_2_with_client_id(w).await?;
    doctor_names_the_differences(w, "https://entra.microsoft.com/", "may differ").await?;
    // The port of a loopback URI is not a difference for Microsoft.
    let sent = find::shown(&find::by_testid(c, "redirect-uri").await?).await?;
    let mut other_port = loopback_uri(&sent)?;
    let _ = other_port.set_port(Some(1));
    action::fill(c, "redirect-doctor-registered", other_port.as_str()).await?;
    check::visible(c, "redirect-doctor-match").await?;
    token_request_with_another_redirect_uri(w, &w.provider.microsoft_token_url()).await?;
    check::shows_containing(c, "error-description", "AADSTS50011").await?;
    check::shows_containing(c, "error-known-fix", "Redirect URIs").await?;
    check::shows_containing(c, "error-redirect-differences", "URI sent ends with “/”").await?;
    w.screenshot_at("error-microsoft-redirect", "error-box")
        .await?;
    Ok(())
}
