//! Relay memory: resident set (VmRSS) of the release binary when idle, when holding a full store
//! of pending registrations, and while flooded with registrations and unsolicited callbacks
//! beyond the store's cap (it must stay flat: the cap holds and refused work is not kept).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::Request;

use crate::loadgen::{self, Accept, Load, MakeRequest};
use crate::process::rss_bytes;
use crate::relay::{RelayProcess, UNLIMITED_RATES, log_path};
use crate::report::{Goal, Row, Unit};
use crate::{Plan, Result, stats};

/// Target for the idle relay.
pub const IDLE_TARGET: f64 = 15_000_000.0;
/// Target for the growth with a full store.
pub const PENDING_TARGET: f64 = 20_000_000.0;
/// What "flat under flood" means here: the peak during the flood at most this far above the
/// resident set with the full store.
pub const FLOOD_TARGET: f64 = 2_000_000.0;

/// Registration `i`'s body: a unique state and a pickup secret like the wizard's (64 hex digits).
fn registration(i: usize, round: &str) -> String {
    format!(
        r#"{{"state":"bench-{round}-state-{i:010}-5f0c8a3e9b7d41c2a6e8","pickup_secret":"{i:064x}"}}"#
    )
}

fn registrations(relay: &RelayProcess, round: &'static str) -> MakeRequest {
    let (host, origin) = (relay.addr().to_string(), relay.origin());
    Arc::new(move |i| {
        Request::post("/api/pending")
            .header("host", host.as_str())
            .header("origin", origin.as_str())
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(registration(i, round))))
            .unwrap_or_else(|_| Request::new(Full::new(Bytes::new())))
    })
}

/// Callbacks for states nobody registered, as an attacker (or a confused provider) would send.
fn unsolicited_callbacks(relay: &RelayProcess) -> MakeRequest {
    let host = relay.addr().to_string();
    Arc::new(move |i| {
        Request::get(format!(
            "/callback?code=bench-unsolicited-code-{i:010}&state=bench-unknown-state-{i:010}"
        ))
        .header("host", host.as_str())
        .body(Full::new(Bytes::new()))
        .unwrap_or_else(|_| Request::new(Full::new(Bytes::new())))
    })
}

/// The median of a few RSS readings a little apart (one reading can catch a transient).
async fn settled_rss(relay: &mut RelayProcess) -> Result<f64> {
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut readings = Vec::new();
    for _ in 0..5 {
        readings.push(relay.rss()? as f64);
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    Ok(stats::median(&readings).unwrap_or(f64::NAN))
}

/// Runs the memory benchmark. Returns the table rows and detail lines.
pub async fn measure(
    relay_bin: &Path,
    work: &Path,
    plan: &Plan,
) -> Result<(Vec<Row>, Vec<String>)> {
    let capacity = plan.pending.to_string();
    // Above the store's cap, so the flood meets the global cap (503), not the per-address one.
    let per_address = (plan.pending * 2).to_string();
    let args: Vec<String> = [
        "--pending-capacity",
        &capacity,
        "--pending-per-ip",
        &per_address,
    ]
    .into_iter()
    .chain(UNLIMITED_RATES)
    .map(str::to_owned)
    .collect();
    let mut relay = RelayProcess::start(relay_bin, &args, &log_path(work, "memory"))?;
    let load = |requests| Load {
        concurrency: 8,
        requests,
        max_duration: Duration::from_secs(120),
    };

    // One request first: the relay's first answer allocates what every later one reuses.
    let health: MakeRequest = {
        let host = relay.addr().to_string();
        Arc::new(move |_| {
            Request::get("/healthz")
                .header("host", host.as_str())
                .body(Full::new(Bytes::new()))
                .unwrap_or_else(|_| Request::new(Full::new(Bytes::new())))
        })
    };
    loadgen::run(
        relay.addr(),
        Load {
            concurrency: 1,
            ..load(1)
        },
        health,
        loadgen::accept_success(),
    )
    .await?
    .require_all_accepted("GET /healthz")?;
    let idle = settled_rss(&mut relay).await?;

    let created: Accept = Arc::new(|status, _| status.as_u16() == 201);
    loadgen::run(
        relay.addr(),
        load(plan.pending),
        registrations(&relay, "fill"),
        created,
    )
    .await?
    .require_all_accepted(&format!(
        "registering {} pending authorizations",
        plan.pending
    ))?;
    let full = settled_rss(&mut relay).await?;

    // The flood, with a sampler recording the peak resident set while it lasts.
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (stop, pid) = (stop.clone(), relay.pid());
        std::thread::spawn(move || {
            let mut peak = 0u64;
            while !stop.load(Ordering::Relaxed) {
                if let Ok(rss) = rss_bytes(pid) {
                    peak = peak.max(rss);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            peak
        })
    };
    let refused: Accept = Arc::new(|status, _| status.as_u16() == 503);
    let page: Accept = loadgen::accept_success();
    let (beyond_cap, callbacks) = tokio::join!(
        loadgen::run(
            relay.addr(),
            load(plan.flood),
            registrations(&relay, "flood"),
            refused
        ),
        loadgen::run(
            relay.addr(),
            load(plan.flood),
            unsolicited_callbacks(&relay),
            page
        ),
    );
    stop.store(true, Ordering::Relaxed);
    let peak = sampler.join().unwrap_or(0) as f64;
    let (beyond_cap, callbacks) = (beyond_cap?, callbacks?);
    // Every registration beyond the cap must be refused, or the cap did not hold.
    beyond_cap
        .require_all_accepted("registrations beyond the cap (expected 503 pending_store_full)")?;
    callbacks.require_all_accepted("unsolicited callbacks (expected the callback page)")?;
    let after = settled_rss(&mut relay).await?;
    relay.ensure_running()?;

    let n = plan.pending;
    let details = vec![
        format!(
            "memory: idle {:.1} MB, {n} pending {:.1} MB, flood peak {:.1} MB, after flood {:.1} MB",
            idle / 1e6,
            full / 1e6,
            peak / 1e6,
            after / 1e6
        ),
        format!(
            "memory flood: {} registrations beyond the cap (all refused 503) and {} unsolicited callbacks in {:.1} s",
            beyond_cap.attempted(),
            callbacks.attempted(),
            beyond_cap.elapsed.max(callbacks.elapsed).as_secs_f64()
        ),
    ];
    let rows = vec![
        Row::new("relay RSS, idle", Unit::MemoryBytes, idle)
            .goal("≤ 15 MB", Goal::ValueAtMost(IDLE_TARGET)),
        Row::new(
            format!("relay RSS growth, {n} pending"),
            Unit::MemoryBytes,
            full - idle,
        )
        .goal("≤ +20 MB", Goal::ValueAtMost(PENDING_TARGET)),
        Row::new(
            "relay RSS growth, flood beyond cap",
            Unit::MemoryBytes,
            peak.max(after) - full,
        )
        .goal("flat: ≤ +2 MB", Goal::ValueAtMost(FLOOD_TARGET)),
    ];
    Ok((rows, details))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrations_are_unique_and_valid_for_the_relay() {
        let a: serde_json::Value = serde_json::from_str(&registration(1, "fill")).expect("json");
        let b: serde_json::Value = serde_json::from_str(&registration(2, "fill")).expect("json");
        assert_ne!(a["state"], b["state"]);
        let secret = a["pickup_secret"].as_str().expect("secret");
        // The relay wants 16 to 512 printable ASCII characters.
        assert_eq!(secret.len(), 64);
        assert!(secret.bytes().all(|c| c.is_ascii_graphic()));
        assert_ne!(registration(1, "fill"), registration(1, "flood"));
    }
}
