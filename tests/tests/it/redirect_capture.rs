//! Scenarios 15 and 16: the code arrives by itself where the sign-in window's callback page cannot
//! talk to the wizard (another origin: no shared BroadcastChannel, and the page's `postMessage`
//! names its own origin), so it must come through the relay's pickup long-poll.
//!
//! - 15: the wizard hosted on a static site of its own, set to use a relay elsewhere
//!   (`--allowed-origin` the site); the redirect URI is that relay's `/callback`.
//! - 16: a loopback redirect URI the relay listens on (`/api/listen`): an explicit port and path,
//!   then `http://127.0.0.1` (no port, no path), for which the relay picks the port and the wizard
//!   shows the URI to register.
//!
//! - 17: the README's development way: `trunk serve` forwards `/api/` and `/callback` to a relay
//!   beside it, so the wizard on trunk's origin gets its code through trunk's `/callback` and
//!   calls the token endpoint through trunk's `/api/proxy`.
//!
//! Each starts a relay of its own, so its request log and pending store hold only this scenario's
//! traffic; besides what the user sees, they show how the code travelled.

use e2e::relay::{RelayOptions, RelayRequest, RelayServer};
use e2e::static_site::StaticSite;
use e2e::trunk::TrunkServe;
use e2e::world::World;
use e2e::{E2eError, Result, action, check};
use url::Url;

use crate::flows;

/// What the wizard says when the code came through the relay's pickup (not the sign-in window).
const THROUGH_THE_RELAY: &str = "through the relay";

/// What the listen note says just before the URI the relay listens on.
const REGISTER_EXACTLY: &str = "Register exactly: ";

/// Scenario 15: a statically hosted wizard gets its code through `/api/pending` + `/api/pickup`.
pub async fn static_hosted_page_gets_code_through_relay_pickup(w: &World) -> Result<()> {
    let c = w.client();
    let provider = &w.provider;
    let site = StaticSite::start(w.dist()).await?;
    let relay = RelayServer::start(
        w.dist(),
        &RelayOptions {
            target_ports: vec![provider.port()],
            allowed_origins: vec![site.origin().to_owned()],
        },
    )
    .await?;
    provider.configure(|config| config.redirect_uris.push(relay.callback_url()));

    // The user opens the hosted wizard and points it at the relay (pasting its address).
    w.open_wizard_fresh(&site.app_url()).await?;
    action::click(c, "settings-toggle").await?;
    action::paste(c, "relay-url", relay.base_url()).await?;
    check::shows(c, "relay-url", relay.base_url()).await?;
    action::click(c, "settings-toggle").await?;
    check::hidden(c, "relay-url").await?;

    flows::preset_pointed_at_mock(w, "google-cloud").await?;
    flows::to_step_2_with_client_id(w).await?;
    // The default redirect URI is the chosen relay's callback page, not the site's.
    check::shows(c, "redirect-uri", &relay.callback_url()).await?;
    let code = flows::authorize_automatically(w).await?;
    check::shows_containing(c, "code-status", THROUGH_THE_RELAY).await?;

    let authorize = flows::last_request(w, "/authorize")?;
    flows::expect_param(&authorize, "redirect_uri", &relay.callback_url())?;
    let log = relay.requests();
    let registered = expect_answered(&log, "POST", "/api/pending", 201)?;
    let called_back = expect_answered(&log, "GET", "/callback", 200)?;
    expect_answered(&log, "POST", "/api/pickup", 200)?;
    check::expect(registered < called_back, || {
        format!(
            "the wizard must register its state before the provider redirects; the relay saw:\n{}",
            listing(&log)
        )
    })?;
    check::expect(relay.pending_entries() == 0, || {
        format!(
            "the relay still holds {} registration(s): the callback was not picked up",
            relay.pending_entries()
        )
    })?;

    // The token call goes through the same relay, from the site's origin.
    action::next_to(c, 3).await?;
    flows::step_3_pointed_at(w, &provider.token_url()).await?;
    flows::call_bearer(w).await?;
    let token_call = flows::last_request(w, "/token")?;
    flows::expect_param(&token_call, "code", &code)?;
    flows::expect_param(&token_call, "redirect_uri", &relay.callback_url())?;
    expect_answered(&relay.requests(), "POST", "/api/proxy", 200).map(drop)
}

/// Scenario 16: the relay listens on loopback redirect URIs and the code arrives by itself.
pub async fn local_listener_catches_loopback_redirect(w: &World) -> Result<()> {
    let c = w.client();
    let provider = &w.provider;
    let fixed = format!("http://127.0.0.1:{}/oauth/cb", free_loopback_port()?);
    let relay = own_relay_at_step_2(w, &fixed).await?;
    check::shows_containing(c, "listen-note", "will listen on it").await?;
    let first_code = flows::authorize_automatically(w).await?;
    check::shows_containing(c, "code-status", THROUGH_THE_RELAY).await?;
    check::shows_containing(c, "listen-note", &format!("{REGISTER_EXACTLY}{fixed}")).await?;
    check::shows(c, "redirect-uri", &fixed).await?;
    flows::expect_param(
        &flows::last_request(w, "/authorize")?,
        "redirect_uri",
        &fixed,
    )?;
    expect_listener_delivery(&relay)?;

    // No port and no path: the relay picks a free port and the wizard shows the URI to register.
    // The mock lets loopback IP redirect URIs use any port (RFC 8252 §7.3), as Google does.
    provider.configure(|config| {
        config.loopback_any_port = true;
        config.redirect_uris.push("http://127.0.0.1".to_owned());
    });
    relay.forget_requests();
    action::fill(c, "redirect-uri", "http://127.0.0.1").await?;
    check::visible(c, "listen-note").await?;
    let second_code = flows::authorize_automatically(w).await?;
    check::shows_containing(c, "code-status", THROUGH_THE_RELAY).await?;
    check::expect(second_code != first_code, || {
        "the second authorization showed the first code again".to_owned()
    })?;
    let note = check::shows_matching(
        c,
        "listen-note",
        "the redirect URI with the port the relay chose",
        |note| registered_uri(note).is_some_and(|uri| uri != fixed),
    )
    .await?;
    let chosen = registered_uri(&note).unwrap_or_default();
    let chosen_url = Url::parse(&chosen)
        .map_err(|e| E2eError::Expectation(format!("the listen note's URI {chosen:?}: {e}")))?;
    let port = chosen_url.port().unwrap_or(0);
    let relay_port = Url::parse(relay.base_url())
        .ok()
        .and_then(|u| u.port())
        .unwrap_or(0);
    check::expect(
        port != 0 && port != relay_port && chosen == format!("http://127.0.0.1:{port}"),
        || {
            format!(
                "the URI to register should be http://127.0.0.1:<a port of its own>, but the note shows {chosen:?}"
            )
        },
    )?;
    check::shows(c, "redirect-uri", &chosen).await?;
    flows::expect_param(
        &flows::last_request(w, "/authorize")?,
        "redirect_uri",
        &chosen,
    )?;
    expect_listener_delivery(&relay)?;

    // The token request repeats the redirect URI with the chosen port (RFC 6749 §4.1.3).
    action::next_to(c, 3).await?;
    flows::step_3_pointed_at(w, &provider.token_url()).await?;
    flows::call_bearer(w).await?;
    let token_call = flows::last_request(w, "/token")?;
    flows::expect_param(&token_call, "code", &second_code)?;
    flows::expect_param(&token_call, "redirect_uri", &chosen)
}

/// Services that refuse plain http even on loopback get `https://localhost:<port>/…`: the local
/// relay listens with TLS (a certificate it made itself, which the wizard warns about), and the
/// code arrives through the listener and the relay's pickup.
pub async fn https_localhost_listener_catches_redirect(w: &World) -> Result<()> {
    let c = w.client();
    let uri = format!("https://localhost:{}/oauth/cb", free_loopback_port()?);
    let relay = own_relay_at_step_2(w, &uri).await?;
    check::shows_containing(c, "listen-note", "certificate").await?;
    // Not `flows::authorize_automatically`: after this cross-site redirect to a page whose
    // certificate error Chromium was told to ignore, it now and then (2 runs in 14) keeps the
    // sign-in window open although the wizard asked it to close (asking again did not help).
    action::click(c, "start-authorization").await?;
    check::shows_matching(c, "code", "the authorization code from the mock", |v| {
        v.starts_with("mock-code-")
    })
    .await?;
    check::shows_containing(c, "code-status", THROUGH_THE_RELAY).await?;
    check::shows_containing(c, "listen-note", &format!("{REGISTER_EXACTLY}{uri}")).await?;
    flows::expect_param(&flows::last_request(w, "/authorize")?, "redirect_uri", &uri)?;
    expect_listener_delivery(&relay)
}

/// Starts a relay of its own (so its pending store holds only this scenario's registrations; the
/// shared relay keeps those of earlier scenarios whose codes were pasted), registers
/// `redirect_uri` at the mock, and brings a fresh wizard on it to step 2 with that redirect URI.
/// Scenario 17: `trunk serve` beside a relay, as the README's development steps say.
pub async fn trunk_serve_development_flow(w: &World) -> Result<()> {
    let c = w.client();
    let provider = &w.provider;
    let trunk_port = free_loopback_port()?;
    let trunk_origin = format!("http://127.0.0.1:{trunk_port}");
    let relay = RelayServer::start(
        w.dist(),
        &RelayOptions {
            target_ports: vec![provider.port()],
            allowed_origins: vec![trunk_origin.clone()],
        },
    )
    .await?;
    let relay_port = Url::parse(relay.base_url())
        .ok()
        .and_then(|u| u.port())
        .unwrap_or(0);
    let trunk = TrunkServe::start(trunk_port, relay_port).await?;
    let callback = format!("{trunk_origin}/callback");
    provider.configure(|config| config.redirect_uris.push(callback.clone()));

    w.open_wizard_fresh(&trunk.app_url()).await?;
    flows::preset_pointed_at_mock(w, "google-cloud").await?;
    flows::to_step_2_with_client_id(w).await?;
    // The default redirect URI is trunk's own /callback, which trunk forwards to the relay.
    check::shows(c, "redirect-uri", &callback).await?;
    let code = flows::authorize_automatically(w).await?;
    let log = relay.requests();
    expect_answered(&log, "GET", "/api/config", 200)?;
    expect_answered(&log, "GET", "/callback", 200)?;

    action::next_to(c, 3).await?;
    flows::step_3_pointed_at(w, &provider.token_url()).await?;
    flows::call_bearer(w).await?;
    let token_call = flows::last_request(w, "/token")?;
    flows::expect_param(&token_call, "code", &code)?;
    flows::expect_param(&token_call, "redirect_uri", &callback)?;
    expect_answered(&relay.requests(), "POST", "/api/proxy", 200).map(drop)
}

async fn own_relay_at_step_2(w: &World, redirect_uri: &str) -> Result<RelayServer> {
    let provider = &w.provider;
    let relay = RelayServer::start(
        w.dist(),
        &RelayOptions {
            target_ports: vec![provider.port()],
            ..RelayOptions::default()
        },
    )
    .await?;
    provider.configure(|config| config.redirect_uris.push(redirect_uri.to_owned()));
    w.open_wizard_fresh(&relay.app_url()).await?;
    flows::preset_pointed_at_mock(w, "google-cloud").await?;
    flows::to_step_2_with_client_id(w).await?;
    action::fill(w.client(), "redirect-uri", redirect_uri).await?;
    Ok(relay)
}

/// A port nobody listens on right now (the relay binds it moments later).
fn free_loopback_port() -> Result<u16> {
    let io = |doing: &str| {
        let doing = doing.to_owned();
        move |source| E2eError::Io { doing, source }
    };
    let probe = std::net::TcpListener::bind(("127.0.0.1", 0))
        .map_err(io("finding a free loopback port"))?;
    let port = probe
        .local_addr()
        .map_err(io("reading the free loopback port"))?
        .port();
    Ok(port)
}

/// The URI after "Register exactly: " in the listen note.
fn registered_uri(note: &str) -> Option<String> {
    let (_, rest) = note.split_once(REGISTER_EXACTLY)?;
    rest.split_whitespace().next().map(str::to_owned)
}

/// The relay registered through `/api/listen`, handed the code over through `/api/pickup`, did not
/// serve its own callback page (the listener did), and keeps nothing.
fn expect_listener_delivery(relay: &RelayServer) -> Result<()> {
    let log = relay.requests();
    expect_answered(&log, "POST", "/api/listen", 200)?;
    expect_answered(&log, "POST", "/api/pickup", 200)?;
    check::expect(
        relay.requests_to("GET", "/callback").is_empty()
            && relay.requests_to("POST", "/api/pending").is_empty(),
        || {
            format!(
                "the callback should reach the listener, not the relay's own page; the relay saw:\n{}",
                listing(&log)
            )
        },
    )?;
    check::expect(relay.pending_entries() == 0, || {
        format!(
            "the relay still holds {} registration(s): the callback was not picked up",
            relay.pending_entries()
        )
    })
}

/// The position in `log` of the first `method path` answered with `status`, or a failure listing
/// what the relay did answer.
fn expect_answered(log: &[RelayRequest], method: &str, path: &str, status: u16) -> Result<usize> {
    log.iter()
        .position(|r| r.method == method && r.path == path && r.status == status)
        .ok_or_else(|| {
            E2eError::Expectation(format!(
                "the relay should have answered {method} {path} with {status}; it saw:\n{}",
                listing(log)
            ))
        })
}

fn listing(log: &[RelayRequest]) -> String {
    log.iter()
        .map(|r| format!("  {r}"))
        .collect::<Vec<_>>()
        .join("\n")
}
