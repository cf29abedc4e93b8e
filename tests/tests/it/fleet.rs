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
    // Round robin spreads the requests, so codes crossed instances: a pickup answered by an
    // instance that did not take that callback. (With three requests an authorization and three
    // instances, the round robin can settle into registration on A, callback on B, pickup on C.)
    let count = |relay: &RelayServer, method: &str, path: &str| {
        relay
            .requests_to(method, path)
            .iter()
            .filter(|r| r.status < 300)
            .count()
    };
    let picked_up: Vec<usize> = relays
        .iter()
        .map(|relay| count(relay, "POST", "/api/pickup"))
        .collect();
    let callbacks: Vec<usize> = relays
        .iter()
        .map(|relay| count(relay, "GET", "/callback"))
        .collect();
    let registered: Vec<usize> = relays
        .iter()
        .map(|relay| count(relay, "POST", "/api/pending"))
        .collect();
    // At most this many pickups can have been answered by the instance that took the callback.
    let same_instance: usize = picked_up
        .iter()
        .zip(&callbacks)
        .map(|(p, c)| *p.min(c))
        .sum();
    let took_part = (0..relays.len())
        .filter(|&i| picked_up[i] + callbacks[i] + registered[i] > 0)
        .count();
    check::expect(
        picked_up.iter().sum::<usize>() == AUTHORIZATIONS
            && same_instance < AUTHORIZATIONS
            && took_part == relays.len(),
        || {
            format!(
                "codes should cross instances and every instance take part: per instance, \
                 registrations {registered:?}, callbacks {callbacks:?}, pickups answered {picked_up:?}"
            )
        },
    )?;
    // The load balancer's own log, as the example config writes it, holds no code either.
    let access_log = nginx.access_log();
    check::expect(
        access_log.matches("\"GET /callback\"").count() == AUTHORIZATIONS,
        || format!("nginx should have logged {AUTHORIZATIONS} callbacks:\n{access_log}"),
    )?;
    for code in &codes {
        check::expect(!access_log.contains(code.as_str()), || {
            format!("nginx's access log holds a code:\n{access_log}")
        })?;
    }
    drop(nginx);
    Ok(())
}
