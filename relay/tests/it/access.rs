//! Who may use the relay: Host (DNS rebinding), Origin, content type, rate limits, caps.

use std::net::IpAddr;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;

use crate::support::{SECRET, api_post, from_ip, get_request, relay};

fn pending_body(state: &str) -> String {
    json!({"state": state, "pickup_secret": SECRET}).to_string()
}

#[tokio::test]
async fn health_and_config_answer_without_origin() {
    let relay = relay(&[]);
    let health = relay.get("/healthz").await;
    assert_eq!(
        (health.status, health.text().as_str()),
        (StatusCode::OK, "ok")
    );
    let config = relay.get("/api/config").await;
    assert_eq!(
        config.json(),
        json!({"mode": "local", "local_listener": true, "callback_path": "/callback"})
    );

    let public = crate::support::relay(&["--public"]);
    let config = public
        .send(
            Request::get("/api/config")
                .header(header::HOST, "relay.example.com")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        config.json(),
        json!({"mode": "public", "local_listener": false, "callback_path": "/callback"})
    );
}

#[tokio::test]
async fn local_mode_answers_only_its_own_host_names() {
    let relay = relay(&[]);
    for host in [
        "127.0.0.1:8787",
        "localhost:8787",
        "[::1]:8787",
        "LOCALHOST:8787",
        // Port-less loopback names: what dev proxies (trunk serve) send.
        "localhost",
        "127.0.0.1",
        "[::1]",
    ] {
        let answer = relay
            .send(
                Request::get("/healthz")
                    .header(header::HOST, host)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{host}");
    }
    for host in [
        "evil.example:8787",
        "127.0.0.1:9999",
        "localhost.evil.example",
        "127.0.0.1.nip.io:8787",
        "attacker.test",
    ] {
        for path in ["/healthz", "/callback?code=x", "/api/config", "/"] {
            let answer = relay
                .send(
                    Request::get(path)
                        .header(header::HOST, host)
                        .body(Body::empty())
                        .unwrap(),
                )
                .await;
            assert_eq!(
                (answer.status, answer.error_code().as_str()),
                (StatusCode::FORBIDDEN, "host_refused"),
                "{host} {path}"
            );
        }
    }
    let no_host = relay
        .send(Request::get("/healthz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(no_host.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn forwarded_headers_never_turn_a_foreign_host_into_an_accepted_one() {
    let relay = relay(&["--allowed-origin", "http://127.0.0.1:8080"]);
    for forwarded in [
        header::HeaderName::from_static("x-forwarded-host"),
        header::HeaderName::from_static("forwarded"),
    ] {
        let value = if forwarded == "forwarded" {
            "host=127.0.0.1:8787"
        } else {
            "127.0.0.1:8787"
        };
        let answer = relay
            .send(
                Request::get("/api/config")
                    .header(header::HOST, "rebound.attacker.example:8787")
                    .header(forwarded.clone(), value)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        answer.assert_error(StatusCode::FORBIDDEN, "host_refused");
    }
}

#[tokio::test]
async fn trunk_serve_requests_are_accepted() {
    // What trunk 0.21's proxy sends for a page on http://127.0.0.1:8080.
    let relay = relay(&["--allowed-origin", "http://127.0.0.1:8080"]);
    let trunk = |request: Request<Body>| {
        let (mut parts, body) = request.into_parts();
        parts
            .headers
            .insert(header::HOST, "127.0.0.1".parse().unwrap());
        parts
            .headers
            .insert("x-forwarded-host", "127.0.0.1:8080".parse().unwrap());
        Request::from_parts(parts, body)
    };
    let config = relay
        .send(trunk(
            Request::get("/api/config").body(Body::empty()).unwrap(),
        ))
        .await;
    assert_eq!(config.status, StatusCode::OK);
    let callback = relay
        .send(trunk(
            Request::get("/callback?code=x&state=s")
                .body(Body::empty())
                .unwrap(),
        ))
        .await;
    assert_eq!(callback.status, StatusCode::OK);
    let mut register = api_post("/api/pending", &pending_body("s"));
    register
        .headers_mut()
        .insert(header::ORIGIN, "http://127.0.0.1:8080".parse().unwrap());
    let answer = relay.send(trunk(register)).await;
    assert!(answer.status.is_success(), "{:?}", answer.status);
    let mut foreign = api_post("/api/pending", &pending_body("t"));
    foreign
        .headers_mut()
        .insert(header::ORIGIN, "http://127.0.0.1:9090".parse().unwrap());
    relay
        .send(trunk(foreign))
        .await
        .assert_error(StatusCode::FORBIDDEN, "origin_refused");
}

#[tokio::test]
async fn rebinding_page_cannot_register_or_proxy() {
    let relay = relay(&[]);
    let mut request = api_post("/api/pending", &pending_body("s"));
    request.headers_mut().insert(
        header::HOST,
        "rebound.attacker.example:8787".parse().unwrap(),
    );
    request.headers_mut().insert(
        header::ORIGIN,
        "http://rebound.attacker.example:8787".parse().unwrap(),
    );
    let answer = relay.send(request).await;
    answer.assert_error(StatusCode::FORBIDDEN, "host_refused");
    assert!(relay.state.store.is_empty());
}

#[tokio::test]
async fn public_mode_does_not_check_host() {
    let relay = relay(&["--public"]);
    let answer = relay
        .send(
            Request::get("/healthz")
                .header(header::HOST, "wizard.example.com")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn foreign_null_and_missing_origins_are_refused_on_post() {
    let relay = relay(&[]);
    for origin in [
        "https://evil.example",
        "null",
        "http://127.0.0.1:9999",
        "http://localhost:8787.evil.example",
        "not an origin",
    ] {
        let mut request = api_post("/api/pending", &pending_body("s"));
        request
            .headers_mut()
            .insert(header::ORIGIN, origin.parse().unwrap());
        let answer = relay.send(request).await;
        assert_eq!(
            (answer.status, answer.error_code().as_str()),
            (StatusCode::FORBIDDEN, "origin_refused"),
            "{origin}"
        );
    }
    let mut request = api_post("/api/pending", &pending_body("s"));
    request.headers_mut().remove(header::ORIGIN);
    let answer = relay.send(request).await;
    answer.assert_error(StatusCode::FORBIDDEN, "origin_required");

    let mut request = api_post("/api/pending", &pending_body("s"));
    request.headers_mut().remove(header::ORIGIN);
    request
        .headers_mut()
        .insert("sec-fetch-site", "cross-site".parse().unwrap());
    assert_eq!(relay.send(request).await.error_code(), "origin_required");
    assert!(relay.state.store.is_empty());

    // Same-origin fetches without Origin carry Sec-Fetch-Site.
    let mut request = api_post("/api/pending", &pending_body("s"));
    request.headers_mut().remove(header::ORIGIN);
    request
        .headers_mut()
        .insert("sec-fetch-site", "same-origin".parse().unwrap());
    assert_eq!(relay.send(request).await.status, StatusCode::CREATED);

    // A foreign origin cannot even read the config.
    let request = Request::get("/api/config")
        .header(header::HOST, "127.0.0.1:8787")
        .header(header::ORIGIN, "https://evil.example")
        .body(Body::empty())
        .unwrap();
    assert_eq!(relay.send(request).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn alias_host_names_are_same_origin() {
    let relay = relay(&[]);
    let request = Request::post("/api/pending")
        .header(header::HOST, "localhost:8787")
        .header(header::ORIGIN, "http://localhost:8787")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(pending_body("alias")))
        .unwrap();
    assert_eq!(relay.send(request).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn configured_origins_get_cors_and_others_do_not() {
    let relay = relay(&["--allowed-origin", "http://127.0.0.1:8080"]);
    let preflight = Request::builder()
        .method("OPTIONS")
        .uri("/api/proxy")
        .header(header::HOST, "127.0.0.1:8787")
        .header(header::ORIGIN, "http://127.0.0.1:8080")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .body(Body::empty())
        .unwrap();
    let answer = relay.send(preflight).await;
    assert_eq!(
        answer.header("access-control-allow-origin").as_deref(),
        Some("http://127.0.0.1:8080")
    );

    assert_eq!(
        relay
            .send(foreign_preflight())
            .await
            .header("access-control-allow-origin"),
        None
    );

    // The dev server proxies with its own Host, which is accepted for its origin.
    let request = Request::post("/api/pending")
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::ORIGIN, "http://127.0.0.1:8080")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(pending_body("dev")))
        .unwrap();
    let answer = relay.send(request).await;
    assert_eq!(answer.status, StatusCode::CREATED);
    assert_eq!(
        answer.header("access-control-allow-origin").as_deref(),
        Some("http://127.0.0.1:8080")
    );

    let plain = crate::support::relay(&[]);
    assert_eq!(
        plain
            .send(foreign_preflight())
            .await
            .header("access-control-allow-origin"),
        None
    );
}

#[tokio::test]
async fn api_posts_must_be_json() {
    let relay = relay(&[]);
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        for path in ["/api/pending", "/api/pickup", "/api/proxy", "/api/listen"] {
            let mut request = api_post(path, &pending_body("s"));
            request
                .headers_mut()
                .insert(header::CONTENT_TYPE, content_type.parse().unwrap());
            let answer = relay.send(request).await;
            assert_eq!(
                (answer.status, answer.error_code().as_str()),
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
                "{path} {content_type}"
            );
        }
    }
    let mut request = api_post("/api/pending", &pending_body("charset"));
    request.headers_mut().insert(
        header::CONTENT_TYPE,
        "application/json; charset=utf-8".parse().unwrap(),
    );
    assert_eq!(relay.send(request).await.status, StatusCode::CREATED);
    let broken = relay.send(api_post("/api/pending", "{not json")).await;
    broken.assert_error(StatusCode::BAD_REQUEST, "invalid_json");
}

#[tokio::test]
async fn unknown_api_routes_and_methods_answer_json() {
    let relay = relay(&[]);
    let unknown = relay.get("/api/nope").await;
    unknown.assert_error(StatusCode::NOT_FOUND, "no_such_route");
    let wrong_method = relay.get("/api/proxy").await;
    wrong_method.assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
}

#[tokio::test]
async fn one_address_flooding_gets_429_with_retry_after() {
    let relay = relay(&["--rate-limit-burst", "5", "--rate-limit-per-second", "1"]);
    let flooder: IpAddr = "198.51.100.7".parse().unwrap();
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(
            relay
                .send(from_ip(get_request("/healthz"), flooder))
                .await
                .status,
        );
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        5,
        "{statuses:?}"
    );
    let limited = relay
        .send(from_ip(get_request("/callback?code=x"), flooder))
        .await;
    limited.assert_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert!(limited.header("retry-after").is_some());
    // Another address still gets through.
    let other = relay
        .send(from_ip(
            get_request("/healthz"),
            "198.51.100.8".parse().unwrap(),
        ))
        .await;
    assert_eq!(other.status, StatusCode::OK);
}

#[tokio::test]
async fn ipv6_clients_share_a_bucket_per_64_whatever_address_they_rotate_to() {
    let relay = relay(&["--rate-limit-burst", "5", "--rate-limit-per-second", "1"]);
    let mut statuses = Vec::new();
    for i in 0..60u16 {
        let rotated: IpAddr = format!("2001:db8:7:1:{i:x}::{:x}", i * 7 + 1)
            .parse()
            .unwrap();
        statuses.push(
            relay
                .send(from_ip(get_request("/healthz"), rotated))
                .await
                .status,
        );
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        5,
        "one /64, one bucket: {statuses:?}"
    );
    let next_network = relay
        .send(from_ip(
            get_request("/healthz"),
            "2001:db8:7:2::1".parse().unwrap(),
        ))
        .await;
    assert_eq!(
        next_network.status,
        StatusCode::OK,
        "another /64 has its own"
    );

    // The prefix is configurable: with /128 every address counts alone.
    let per_address = crate::support::relay(&[
        "--rate-limit-burst",
        "5",
        "--rate-limit-per-second",
        "1",
        "--ipv6-prefix-len",
        "128",
    ]);
    for i in 0..10u16 {
        let rotated: IpAddr = format!("2001:db8:7:1::{:x}", i + 1).parse().unwrap();
        let answer = per_address
            .send(from_ip(get_request("/healthz"), rotated))
            .await;
        assert_eq!(answer.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn proxy_has_its_own_stricter_limit() {
    let relay = relay(&["--proxy-rate-burst", "2", "--proxy-rate-per-minute", "1"]);
    let envelope =
        json!({"method": "POST", "url": "http://127.0.0.1/", "headers": [], "body": null})
            .to_string();
    let mut codes = Vec::new();
    for _ in 0..4 {
        codes.push(
            relay
                .send(api_post("/api/proxy", &envelope))
                .await
                .error_code(),
        );
    }
    assert_eq!(
        codes,
        [
            "target_refused",
            "target_refused",
            "rate_limited",
            "rate_limited"
        ]
    );
    assert_eq!(
        relay.get("/healthz").await.status,
        StatusCode::OK,
        "other routes keep their own budget"
    );
}

#[tokio::test]
async fn client_ip_header_is_used_only_when_configured() {
    let relay = relay(&[
        "--rate-limit-burst",
        "2",
        "--rate-limit-per-second",
        "1",
        "--client-ip-header",
        "x-real-ip",
    ]);
    for i in 0..6 {
        let mut request = get_request("/healthz");
        request
            .headers_mut()
            .insert("x-real-ip", format!("203.0.113.{i}").parse().unwrap());
        assert_eq!(
            relay.send(request).await.status,
            StatusCode::OK,
            "each forwarded address has its own bucket"
        );
    }
    let plain = crate::support::relay(&["--rate-limit-burst", "2", "--rate-limit-per-second", "1"]);
    let mut statuses = Vec::new();
    for i in 0..4 {
        let mut request = get_request("/healthz");
        request
            .headers_mut()
            .insert("x-real-ip", format!("203.0.113.{i}").parse().unwrap());
        statuses.push(plain.send(request).await.status);
    }
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count(),
        2,
        "a forged header must not buy buckets"
    );
}

#[tokio::test]
async fn registrations_beyond_the_caps_are_refused_and_memory_stays_at_the_cap() {
    let relay = relay(&[
        "--pending-capacity",
        "30",
        "--pending-per-ip",
        "10",
        "--rate-limit-burst",
        "1000",
    ]);
    let one: IpAddr = "192.0.2.1".parse().unwrap();
    let mut created = 0;
    for i in 0..15 {
        let answer = relay
            .send(from_ip(
                api_post("/api/pending", &pending_body(&format!("one-{i}"))),
                one,
            ))
            .await;
        match answer.status {
            StatusCode::CREATED => created += 1,
            StatusCode::TOO_MANY_REQUESTS => assert_eq!(answer.error_code(), "too_many_pending"),
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(created, 10);
    for i in 0..100u8 {
        let ip: IpAddr = [10, 0, 0, i].into();
        let answer = relay
            .send(from_ip(
                api_post("/api/pending", &pending_body(&format!("many-{i}"))),
                ip,
            ))
            .await;
        if i >= 20 {
            answer.assert_error(StatusCode::SERVICE_UNAVAILABLE, "pending_store_full");
        }
    }
    assert_eq!(relay.state.store.len(), 30);
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let relay = relay(&[]);
    let huge = json!({"state": "s", "pickup_secret": "x".repeat(70 * 1024)}).to_string();
    let answer = relay.send(api_post("/api/pending", &huge)).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    let giant = "x".repeat(300 * 1024);
    let answer = relay.send(api_post("/api/pending", &giant)).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn every_answer_is_nosniff() {
    let relay = relay(&[]);
    for path in ["/healthz", "/api/config", "/", "/api/nope"] {
        assert_eq!(
            relay
                .get(path)
                .await
                .header("x-content-type-options")
                .as_deref(),
            Some("nosniff"),
            "{path}"
        );
    }
}

/// A CORS preflight for the proxy from an origin no relay allows.
fn foreign_preflight() -> Request<Body> {
    Request::builder()
        .method("OPTIONS")
        .uri("/api/proxy")
        .header(header::HOST, "127.0.0.1:8787")
        .header(header::ORIGIN, "https://evil.example")
        .header("access-control-request-method", "POST")
        .body(Body::empty())
        .unwrap()
}
