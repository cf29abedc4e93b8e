//! Real-socket tests: `relay::run` with a parsed `Config`, the served app, graceful shutdown.

use std::time::{Duration, Instant};

use relay::resolver::StaticLookup;
use serde_json::json;

use crate::support::{Dist, JsonBody, LiveRelay, SECRET, client, config};

#[tokio::test]
async fn run_serves_the_app_with_its_csp_and_spa_fallback() {
    let dist = Dist::new("app");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let dist_arg = dist.0.to_str().unwrap().to_owned();
    let config = config(&["--dist", &dist_arg, "--allow-private-targets"]);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(relay::run(listener, config, async move {
        let _ = stopped.await;
    }));

    let http = client();
    let index = http.get(format!("http://{addr}/")).send().await.unwrap();
    assert_eq!(index.status(), 200);
    let headers = index.headers().clone();
    let csp = headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let hash = relay::routes::callback::csp_hash("import init from './app.js';init();");
    assert!(
        csp.contains(&format!("script-src 'self' 'wasm-unsafe-eval' {hash}")),
        "{csp}"
    );
    for part in [
        "connect-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(part), "{csp} lacks {part}");
    }
    assert_eq!(
        headers["cross-origin-opener-policy"],
        "same-origin-allow-popups"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["cache-control"], "no-cache");
    assert!(index.text().await.unwrap().contains("import init"));

    let asset = http
        .get(format!("http://{addr}/app.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(asset.status(), 200);
    assert_eq!(
        asset.text().await.unwrap(),
        "export default function init() {}"
    );
    let deep = http
        .get(format!("http://{addr}/some/deep/link"))
        .send()
        .await
        .unwrap();
    assert_eq!(deep.status(), 200);
    assert!(
        deep.text().await.unwrap().contains("import init"),
        "unknown paths fall back to index.html"
    );
    let traversal = http
        .get(format!("http://{addr}/..%2f..%2fetc%2fpasswd"))
        .send()
        .await
        .unwrap();
    assert!(
        !traversal.text().await.unwrap().contains("root:"),
        "no escape from dist"
    );

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn without_dist_the_root_explains_how_to_build() {
    let relay = LiveRelay::start(&[], StaticLookup::new()).await;
    let page = client().get(relay.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("trunk build"));
    relay.stop().await.unwrap();
}

#[tokio::test]
async fn a_missing_dist_folder_is_not_fatal() {
    let relay = LiveRelay::start(&["--dist", "/nonexistent/relay-dist"], StaticLookup::new()).await;
    let page = client().get(relay.url("/")).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("not built"));
    relay.stop().await.unwrap();
}

#[tokio::test]
async fn invalid_configuration_is_a_clear_error() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = relay::run(
        listener,
        config(&["--allowed-origin", "not an origin"]),
        async {},
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("not an origin"), "{err}");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = relay::run(listener, config(&["--forward-header", "cookie"]), async {})
        .await
        .unwrap_err();
    assert!(err.to_string().contains("can never be forwarded"), "{err}");
}

#[tokio::test]
async fn capture_flow_over_a_real_socket() {
    let relay = LiveRelay::start(&[], StaticLookup::new()).await;
    let http = client();
    let created = relay
        .post_json(
            "/api/pending",
            json!({"state": "live-1", "pickup_secret": SECRET}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let poll = {
        let url = relay.url("/api/pickup");
        let origin = relay.origin();
        let http = http.clone();
        tokio::spawn(async move {
            http.post(url)
                .header("origin", origin)
                .json_body(&json!({"state": "live-1", "pickup_secret": SECRET}))
                .send()
                .await
                .unwrap()
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let page = http
        .get(relay.url("/callback?code=live-code&state=live-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let picked = poll.await.unwrap();
    assert_eq!(picked.status(), 200);
    assert_eq!(
        picked.text().await.unwrap(),
        r#"{"callback":"code=live-code&state=live-1"}"#
    );
    assert!(
        relay.state.store.is_empty(),
        "a picked-up callback is deleted"
    );
    relay.stop().await.unwrap();
}

#[tokio::test]
async fn shutdown_ends_waiting_pickups_quickly() {
    let relay = LiveRelay::start(&[], StaticLookup::new()).await;
    relay
        .post_json(
            "/api/pending",
            json!({"state": "live-2", "pickup_secret": SECRET}),
        )
        .await;
    let poll = {
        let url = relay.url("/api/pickup");
        let origin = relay.origin();
        tokio::spawn(async move {
            client()
                .post(url)
                .header("origin", origin)
                .json_body(&json!({"state": "live-2", "pickup_secret": SECRET}))
                .send()
                .await
                .unwrap()
                .status()
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    relay.stop().await.unwrap();
    assert_eq!(poll.await.unwrap(), 204);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a 25 s long-poll must not hold up shutdown"
    );
}
