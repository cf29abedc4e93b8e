//! Several relay instances on one Debian redis-server (`--store redis://…`): what one instance
//! registers, another keeps and a third hands over, once; caps and TTL across instances; Redis
//! stopped and started again; and sealing (nothing readable in Redis).

use std::time::{Duration, Instant};

use e2e::redis::Redis;
use relay::resolver::StaticLookup;
use relay::seal::receiver;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{JsonBody, LiveRelay, SECRET, client};

const CODE: &str = "code-7f3a9c-only-in-the-callback";

async fn fleet(redis: &Redis, extra: &[&str]) -> Vec<LiveRelay> {
    let url = redis.url();
    let mut args = vec!["--public", "--store", &url, "--long-poll-secs", "3"];
    args.extend_from_slice(extra);
    let mut relays = Vec::new();
    for _ in 0..3 {
        relays.push(LiveRelay::start(&args, StaticLookup::new()).await);
    }
    relays
}

fn registration(state: &str, public_key: &str) -> Value {
    json!({"state": state, "pickup_secret": SECRET, "public_key": public_key})
}

async fn register(relay: &LiveRelay, state: &str, public_key: &str) -> (StatusCode, String) {
    answer(
        relay
            .post_json("/api/pending", registration(state, public_key))
            .await,
    )
    .await
}

async fn answer(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    (status, response.text().await.unwrap())
}

async fn pickup(relay: &LiveRelay, state: &str) -> (StatusCode, String) {
    answer(
        relay
            .post_json(
                "/api/pickup",
                json!({"state": state, "pickup_secret": SECRET}),
            )
            .await,
    )
    .await
}

async fn callback(relay: &LiveRelay, state: &str) -> StatusCode {
    client()
        .get(relay.url(&format!("/callback?code={CODE}&state={state}")))
        .send()
        .await
        .unwrap()
        .status()
}

fn error_code(body: &str) -> String {
    serde_json::from_str::<Value>(body).map_or_else(|_| body.to_owned(), |v| v["error"].to_string())
}

fn sealed_of(body: &str) -> String {
    let picked: wire::PickedUp = serde_json::from_str(body).expect("a pickup answer");
    assert_eq!(picked.callback, None, "no callback in the clear: {body}");
    picked.sealed.expect("a sealed callback")
}

fn values_containing(redis: &Redis, needle: &str) -> Vec<String> {
    redis
        .dump()
        .into_iter()
        .filter(|(_, values)| values.iter().any(|v| v.contains(needle)))
        .map(|(key, _)| key)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registered_on_a_kept_by_b_picked_up_on_c_once_and_sealed_at_rest() {
    let redis = Redis::start();
    let relays = fleet(&redis, &[]).await;
    let (a, b, c) = (&relays[0], &relays[1], &relays[2]);
    let (sk, pk) = receiver::key_pair();

    assert_eq!(register(a, "s1", &pk).await.0, StatusCode::CREATED);
    assert_eq!(callback(b, "s1").await, StatusCode::OK);
    assert!(!redis.dump().is_empty(), "the callback is kept in Redis");
    assert_eq!(
        values_containing(&redis, CODE),
        Vec::<String>::new(),
        "{:?}",
        redis.dump()
    );

    let (status, body) = pickup(c, "s1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let opened = receiver::open(&sk, &sealed_of(&body)).unwrap();
    assert_eq!(opened, format!("code={CODE}&state=s1"));
    let (again, body) = pickup(a, "s1").await;
    assert_eq!(
        (again, error_code(&body)),
        (StatusCode::NOT_FOUND, "\"not_found\"".into())
    );
    let (other, _) = receiver::key_pair();
    assert!(
        receiver::open(
            &other,
            &sealed_of(&pickup_after_callback(a, b, c, &pk).await)
        )
        .is_err()
    );

    // A pickup waiting on C wakes when the callback lands on B (a message, not the 2 s re-check).
    assert_eq!(register(a, "s2", &pk).await.0, StatusCode::CREATED);
    let started = Instant::now();
    let waiting = tokio::spawn({
        let url = c.url("/api/pickup");
        let origin = c.origin();
        async move {
            let response = client()
                .post(url)
                .header("origin", origin)
                .json_body(&json!({"state": "s2", "pickup_secret": SECRET}))
                .send()
                .await
                .unwrap();
            (
                response.status(),
                response.text().await.unwrap(),
                started.elapsed(),
            )
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(callback(b, "s2").await, StatusCode::OK);
    let (status, body, took) = waiting.await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(took < Duration::from_millis(1900), "woke after {took:?}");
    assert!(
        receiver::open(&sk, &sealed_of(&body))
            .unwrap()
            .contains(CODE)
    );
    for relay in relays {
        relay.stop().await.unwrap();
    }
}

/// Registers, delivers and picks up `s-other` through the fleet; returns the pickup's body.
async fn pickup_after_callback(a: &LiveRelay, b: &LiveRelay, c: &LiveRelay, pk: &str) -> String {
    assert_eq!(register(a, "s-other", pk).await.0, StatusCode::CREATED);
    assert_eq!(callback(b, "s-other").await, StatusCode::OK);
    let (status, body) = pickup(c, "s-other").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_pickups_on_different_instances_exactly_one_wins() {
    let redis = Redis::start();
    let relays = fleet(&redis, &[]).await;
    let (_, pk) = receiver::key_pair();
    for round in 0..10 {
        let state = format!("race-{round}");
        assert_eq!(
            register(&relays[0], &state, &pk).await.0,
            StatusCode::CREATED
        );
        let (first, second) = tokio::join!(
            async {
                tokio::time::sleep(Duration::from_millis(100)).await;
                assert_eq!(callback(&relays[1], &state).await, StatusCode::OK);
                pickup(&relays[0], &state).await
            },
            pickup(&relays[2], &state),
        );
        let mut statuses = [first.0, second.0];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::NOT_FOUND],
            "round {round}: {first:?} {second:?}"
        );
    }
    for relay in relays {
        relay.stop().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caps_and_ttl_hold_across_instances() {
    let redis = Redis::start();
    let relays = fleet(
        &redis,
        &[
            "--pending-capacity",
            "3",
            "--pending-per-ip",
            "2",
            "--pending-ttl-secs",
            "1",
            "--client-ip-header",
            "x-real-ip",
        ],
    )
    .await;
    let (_, pk) = receiver::key_pair();
    let register_from = |relay: &LiveRelay, state: &str, ip: &str| {
        client()
            .post(relay.url("/api/pending"))
            .header("origin", relay.origin())
            .header("x-real-ip", ip.to_owned())
            .json_body(&registration(state, &pk))
            .send()
    };
    let status = |response: reqwest::Response| response.status();
    assert_eq!(
        status(register_from(&relays[0], "a1", "192.0.2.1").await.unwrap()),
        201
    );
    assert_eq!(
        status(register_from(&relays[1], "a2", "192.0.2.1").await.unwrap()),
        201
    );
    let (code, body) = answer(register_from(&relays[2], "a3", "192.0.2.1").await.unwrap()).await;
    assert_eq!(
        (code, error_code(&body)),
        (StatusCode::TOO_MANY_REQUESTS, "\"too_many_pending\"".into())
    );
    assert_eq!(
        status(register_from(&relays[2], "b1", "192.0.2.2").await.unwrap()),
        201
    );
    let (code, body) = answer(register_from(&relays[0], "c1", "192.0.2.3").await.unwrap()).await;
    assert_eq!(
        (code, error_code(&body)),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "\"pending_store_full\"".into()
        )
    );

    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(callback(&relays[1], "a1").await, StatusCode::OK);
    assert_eq!(
        pickup(&relays[2], "a1").await.0,
        StatusCode::NOT_FOUND,
        "expired everywhere"
    );
    assert_eq!(
        status(register_from(&relays[2], "c1", "192.0.2.3").await.unwrap()),
        201
    );
    assert_eq!(
        status(register_from(&relays[0], "a3", "192.0.2.1").await.unwrap()),
        201
    );
    for relay in relays {
        relay.stop().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stopped_gives_503_in_bounded_time_and_started_again_recovers() {
    let mut redis = Redis::start();
    let relays = fleet(&redis, &[]).await;
    let (a, b, c) = (&relays[0], &relays[1], &relays[2]);
    let (sk, pk) = receiver::key_pair();
    assert_eq!(register(a, "before", &pk).await.0, StatusCode::CREATED);
    let health = |relay: &LiveRelay| client().get(relay.url("/healthz")).send();
    assert_eq!(health(b).await.unwrap().status(), 200);

    redis.stop();
    let started = Instant::now();
    let (status, body) = register(b, "during", &pk).await;
    assert_eq!(
        (status, error_code(&body)),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "\"store_unavailable\"".into()
        )
    );
    assert!(body.contains("Redis"), "{body}");
    let (status, body) = pickup(c, "before").await;
    assert_eq!(
        (status, error_code(&body)),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "\"store_unavailable\"".into()
        )
    );
    let unhealthy = health(a).await.unwrap();
    assert_eq!(unhealthy.status(), 503);
    assert_eq!(unhealthy.text().await.unwrap(), "store unavailable");
    // The callback page (same-origin delivery) does not need the store.
    assert_eq!(callback(b, "before").await, StatusCode::OK);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );

    redis.resume();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = register(c, "after", &pk).await;
        if status == StatusCode::CREATED {
            break;
        }
        assert!(Instant::now() < deadline, "no recovery: {status} {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(health(a).await.unwrap().status(), 200);
    // The subscriptions are back too: a waiting pickup on A wakes when B keeps the callback.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let (waited, kept) = tokio::join!(pickup(a, "after"), async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        callback(b, "after").await
    });
    assert_eq!(kept, StatusCode::OK);
    assert_eq!(waited.0, StatusCode::OK, "{}", waited.1);
    assert!(
        receiver::open(&sk, &sealed_of(&waited.1))
            .unwrap()
            .contains(CODE)
    );
    for relay in relays {
        relay.stop().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_that_hangs_gives_503_within_the_call_deadline() {
    let redis = Redis::start();
    let relays = fleet(&redis, &[]).await;
    let (_, pk) = receiver::key_pair();
    assert_eq!(
        register(&relays[0], "warm", &pk).await.0,
        StatusCode::CREATED
    );
    redis.freeze();
    let started = Instant::now();
    let (status, body) = register(&relays[1], "frozen", &pk).await;
    let took = started.elapsed();
    redis.thaw();
    assert_eq!(
        (status, error_code(&body)),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "\"store_unavailable\"".into()
        )
    );
    // The call deadline is 2 s; far below the request deadline (35 s).
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while register(&relays[1], "thawed", &pk).await.0 != StatusCode::CREATED {
        assert!(Instant::now() < deadline, "no recovery after the freeze");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for relay in relays {
        relay.stop().await.unwrap();
    }
}

#[tokio::test]
async fn a_public_relay_refuses_unsealed_and_malformed_keys() {
    let relay = LiveRelay::start(&["--public"], StaticLookup::new()).await;
    let (status, body) = answer(
        relay
            .post_json(
                "/api/pending",
                json!({"state": "s", "pickup_secret": SECRET}),
            )
            .await,
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::BAD_REQUEST, "\"seal_required\"".into())
    );
    assert!(body.contains("reload the page"), "{body}");
    let (status, body) = register(&relay, "s", "AAAA").await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::BAD_REQUEST, "\"invalid_public_key\"".into())
    );
    assert!(body.contains("P-256"), "{body}");
    assert_eq!(relay.state.store.len(), 0, "nothing kept");
    // In memory as in Redis, only the sealed bytes are held.
    let (sk, pk) = receiver::key_pair();
    assert_eq!(register(&relay, "s", &pk).await.0, StatusCode::CREATED);
    assert_eq!(callback(&relay, "s").await, StatusCode::OK);
    let (status, body) = pickup(&relay, "s").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!body.contains(CODE), "{body}");
    assert_eq!(
        receiver::open(&sk, &sealed_of(&body)).unwrap(),
        format!("code={CODE}&state=s")
    );
    relay.stop().await.unwrap();
}
