//! Relays on many machines: how long a code takes to reach a waiting pickup when the registration,
//! the callback and the pickup go to three different instances sharing Debian's redis-server,
//! against one instance with its store in memory; and what one pending registration costs in
//! Redis mode (in Redis, and in the relay).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use e2e::redis::Redis;
use http_body_util::Full;
use hyper::Request;
use hyper::http::Method;

use crate::loadgen::{self, Accept, Load, MakeRequest};
use crate::relay::{RelayProcess, UNLIMITED_RATES, log_path};
use crate::report::{Goal, Row, Unit};
use crate::{BenchError, Plan, Result, stats};

/// Most the p50 across instances on Redis may exceed one instance in memory, in ms.
pub const EXTRA_LATENCY_TARGET: f64 = 5.0;

fn args(extra: &[&str]) -> Vec<String> {
    [
        "--public",
        "--pending-per-ip",
        "1000000",
        "--pending-capacity",
        "1000000",
    ]
    .into_iter()
    .chain(UNLIMITED_RATES)
    .chain(extra.iter().copied())
    .map(str::to_owned)
    .collect()
}

fn failed(what: impl Into<String>) -> BenchError {
    BenchError::Measurement(what.into())
}

async fn post(relay: &RelayProcess, path: &str, body: String) -> Result<e2e::http::Answer> {
    let origin = relay.origin();
    e2e::http::send(
        Method::POST,
        &format!("{origin}{path}"),
        &[("origin", &origin), ("content-type", "application/json")],
        Some(body),
    )
    .await
    .map_err(|e| failed(e.to_string()))
}

/// One authorization's delivery: registered on `a`, a pickup waiting on `c`, the callback on `b`.
/// Returns the ms from sending the callback to the pickup's answer.
async fn delivery(
    a: &RelayProcess,
    b: &RelayProcess,
    c: &RelayProcess,
    i: usize,
    public_key: &str,
) -> Result<f64> {
    let state = format!("bench-fleet-{i:08}");
    let secret = format!("{i:064x}");
    let registration =
        serde_json::json!({"state": state, "pickup_secret": secret, "public_key": public_key});
    let created = post(a, "/api/pending", registration.to_string()).await?;
    if created.status != 201 {
        return Err(failed(format!(
            "registration answered {}: {}",
            created.status, created.body
        )));
    }
    let pickup_body = serde_json::json!({"state": state, "pickup_secret": secret}).to_string();
    let waiting = post(c, "/api/pickup", pickup_body);
    let callback = async {
        // Long enough for the pickup to be waiting on its instance.
        tokio::time::sleep(Duration::from_millis(30)).await;
        let sent = Instant::now();
        let page = e2e::http::get(&format!(
            "{}/callback?code=bench-code-{i}&state={state}",
            b.origin()
        ))
        .await
        .map_err(|e| failed(e.to_string()))?;
        Ok::<_, BenchError>((sent, page.status))
    };
    let (picked, sent) = tokio::join!(waiting, callback);
    let arrived = Instant::now();
    let (picked, (sent, page)) = (picked?, sent?);
    if picked.status != 200 || page != 200 || !picked.body.contains("\"sealed\"") {
        return Err(failed(format!(
            "pickup answered {} (callback {page}): {}",
            picked.status, picked.body
        )));
    }
    Ok(arrived.duration_since(sent).as_secs_f64() * 1000.0)
}

async fn p50_of(
    a: &RelayProcess,
    b: &RelayProcess,
    c: &RelayProcess,
    rounds: usize,
    key: &str,
) -> Result<f64> {
    let mut samples = Vec::new();
    for i in 0..rounds {
        samples.push(delivery(a, b, c, i, key).await?);
    }
    stats::median(&samples).ok_or_else(|| failed("no deliveries measured"))
}

/// Runs the fleet benchmark. Returns the table rows and detail lines.
pub async fn measure(
    relay_bin: &Path,
    work: &Path,
    plan: &Plan,
) -> Result<(Vec<Row>, Vec<String>)> {
    let rounds = if plan.smoke { 3 } else { 200 };
    let (_, public_key) = relay::seal::receiver::key_pair();

    let memory = RelayProcess::start(relay_bin, &args(&[]), &log_path(work, "fleet-memory"))?;
    let alone = p50_of(&memory, &memory, &memory, rounds, &public_key).await?;
    drop(memory);

    let redis = Redis::start();
    let url = redis.url();
    let shared = args(&["--store", &url]);
    let mut fleet = Vec::new();
    for name in ["fleet-a", "fleet-b", "fleet-c"] {
        fleet.push(RelayProcess::start(
            relay_bin,
            &shared,
            &log_path(work, name),
        )?);
    }
    let across = p50_of(&fleet[0], &fleet[1], &fleet[2], rounds, &public_key).await?;

    // Memory per pending registration in Redis mode: Redis's used_memory and the relay's RSS
    // before and after `plan.pending` registrations held at once.
    let relay = &mut fleet[0];
    let (redis_before, rss_before) = (redis.used_memory(), relay.rss()? as f64);
    let make: MakeRequest = {
        let (host, origin) = (relay.addr().to_string(), relay.origin());
        let key = public_key.clone();
        Arc::new(move |i| {
            let body = serde_json::json!({
                "state": format!("bench-fleet-held-{i:010}"),
                "pickup_secret": format!("{i:064x}"),
                "public_key": key,
            });
            Request::post("/api/pending")
                .header("host", host.as_str())
                .header("origin", origin.as_str())
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(body.to_string())))
                .unwrap_or_else(|_| Request::new(Full::new(Bytes::new())))
        })
    };
    let created: Accept = Arc::new(|status, _| status.as_u16() == 201);
    let load = Load {
        concurrency: 8,
        requests: plan.pending,
        max_duration: Duration::from_secs(120),
    };
    loadgen::run(relay.addr(), load, make, created)
        .await?
        .require_all_accepted(&format!(
            "registering {} pending authorizations on Redis",
            plan.pending
        ))?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let n = plan.pending as f64;
    let in_redis = (redis.used_memory() - redis_before) / n;
    let in_relay = (relay.rss()? as f64 - rss_before) / n;
    for relay in &mut fleet {
        relay.ensure_running()?;
    }

    let details = vec![format!(
        "fleet: code to a waiting pickup, p50 of {rounds}: one instance (memory) {alone:.2} ms, \
         registration on A / callback on B / pickup on C (Redis) {across:.2} ms; {} pending in Redis: \
         {:.0} bytes each in Redis, {:.0} bytes each in the relay's RSS",
        plan.pending, in_redis, in_relay
    )];
    let rows = vec![
        Row::new(
            "code to pickup across 3 instances (Redis), p50",
            Unit::Millis,
            across,
        )
        .baseline("1 instance, memory", alone)
        .goal(
            "≤ +5 ms p50",
            Goal::ValueAtMost(alone + EXTRA_LATENCY_TARGET),
        ),
        Row::new(
            "Redis memory per pending registration",
            Unit::Bytes,
            in_redis,
        ),
        Row::new(
            "relay RSS per pending registration (Redis mode)",
            Unit::Bytes,
            in_relay,
        ),
    ];
    Ok((rows, details))
}
