//! Scenario: the statically hosted wizard uses a relay fleet — three public relays sharing one
//! Debian redis-server (`--store redis://…`), behind Debian's nginx as a round-robin load balancer
//! configured by relay/deploy/nginx.conf, the deployment example of relay/README.md. Twenty
//! authorizations in a row: the code arrives through the relay every time, whichever instance
//! took the registration, the callback and the pickup; and Redis never saw a code, because the
//! relays keep callbacks only sealed to the wizard's key (the wizard opens them with WebCrypto).

use e2e::nginx::Nginx;
use e2e::redis::Redis;
use e2e::relay::{RelayOptions, RelayServer};
use e2e::static_site::StaticSite;
use e2e::world::World;
use e2e::{E2eError, Result, action, check};

use crate::flows;

const AUTHORIZATIONS: usize = 20;

pub async fn fleet_behind_nginx_delivers_every_code_sealed(w: &World) -> Result<()> {
    let c = w.client();
    let provider = &w.provider;
    let redis = Redis::start();
    let site = StaticSite::start(w.dist()).await?;
    let options = RelayOptions {
        target_ports: vec![provider.port()],
        allowed_origins: vec![site.origin().to_owned()],
    };
    let store = redis.url();
    let args = [
        "--public",
        "--store",
        &store,
        "--client-ip-header",
        "x-real-ip",
    ];
    let mut relays = Vec::new();
    for _ in 0..3 {
        relays.push(RelayServer::start_with(w.dist(), &options, &args).await?);
    }
    let addresses = relays
        .iter()
        .map(|relay| {
            relay
                .base_url()
                .trim_start_matches("http://")
                .parse()
                .map_err(|e| E2eError::Expectation(format!("a relay address: {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    let nginx = Nginx::start(&addresses)?;
    let callback = format!("{}/callback", nginx.base_url);
    provider.configure(|config| config.redirect_uris.push(callback.clone()));
    let monitor = redis.monitor();

    w.open_wizard_fresh(&site.app_url()).await?;
    action::click(c, "settings-toggle").await?;
    action::paste(c, "relay-url", &nginx.base_url).await?;
    check::shows(c, "relay-url", &nginx.base_url).await?;
    action::click(c, "settings-toggle").await?;
    flows::preset_pointed_at_mock(w, "google-cloud").await?;
    flows::to_step_2_with_client_id(w).await?;
    check::shows(c, "redirect-uri", &callback).await?;

    let mut codes: Vec<String> = Vec::new();
    for round in 1..=AUTHORIZATIONS {
        let code = flows::authorize_automatically(w).await?;
        check::shows_containing(c, "code-status", "through the relay").await?;
        check::expect(!codes.contains(&code), || {
            format!("authorization {round} showed an earlier code again")
        })?;
        codes.push(code);
    }

    let commands = monitor.finish();
    let kept_sealed = commands
        .lines()
        .filter(|line| line.contains("\"HSET\"") && line.contains("\"c\" \"s"))
        .count();
    check::expect(kept_sealed == AUTHORIZATIONS, || {
        format!("Redis should have kept {AUTHORIZATIONS} sealed callbacks, it kept {kept_sealed}")
    })?;
    let dump = redis.dump();
    for code in &codes {
        check::expect(!commands.contains(code.as_str()), || {
            format!("a code reached Redis in the clear:\n{commands}")
        })?;
        check::expect(
            !dump
                .iter()
                .any(|(_, values)| values.iter().any(|v| v.contains(code.as_str()))),
            || format!("Redis holds a code in the clear: {dump:?}"),
        )?;
    }
    // Round robin: the registrations, callbacks and pickups were spread over the instances.
    let picked_up: Vec<usize> = relays
        .iter()
        .map(|relay| {
            relay
                .requests_to("POST", "/api/pickup")
                .iter()
                .filter(|r| r.status == 200)
                .count()
        })
        .collect();
    let served_callbacks = relays
        .iter()
        .filter(|relay| !relay.requests_to("GET", "/callback").is_empty())
        .count();
    check::expect(
        picked_up.iter().sum::<usize>() == AUTHORIZATIONS
            && picked_up.iter().filter(|n| **n > 0).count() >= 2
            && served_callbacks >= 2,
        || {
            format!(
                "every instance should take part: pickups answered 200 per instance {picked_up:?}, \
                 instances that served callbacks: {served_callbacks}"
            )
        },
    )?;
    drop(nginx);
    Ok(())
}
