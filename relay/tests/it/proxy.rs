//! The token proxy: forwarding to a loopback test upstream, and every class of bad input from
//! security.md §2.1 with its exact safe outcome (status, and no connection at the upstream).

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::StatusCode;
use relay::resolver::{LookupFuture, NameLookup, StaticLookup};
use serde_json::{Value, json};

use crate::support::{TestRelay, Upstream, api_post, cut_off_upstream, relay, relay_with};

fn envelope(method: &str, url: &str) -> Value {
    json!({"method": method, "url": url, "headers": [], "body": null})
}

fn dev_relay(upstream_port: u16, extra: &[&str], lookup: StaticLookup) -> TestRelay {
    let port = upstream_port.to_string();
    let mut args = vec!["--allow-private-targets", "--allowed-port", &port];
    if !extra.contains(&"--upstream-timeout-secs") {
        args.extend(["--upstream-timeout-secs", "2"]);
    }
    args.extend_from_slice(extra);
    relay_with(&args, lookup)
}

#[tokio::test]
async fn post_is_forwarded_with_allowed_headers_and_answered_in_an_envelope() {
    let upstream = Upstream::start(None).await;
    let relay = dev_relay(upstream.port(), &[], StaticLookup::new());
    let answer = relay
        .proxy(json!({
            "method": "POST",
            "url": upstream.url("/token"),
            "headers": [
                ["Content-Type", "application/x-www-form-urlencoded"],
                ["Accept", "application/json"],
                ["Authorization", "Basic Y2xpZW50OnNlY3JldA=="],
                ["DPoP", "eyJhbGciOi"]
            ],
            "body": "grant_type=authorization_code&code=abc&redirect_uri=http%3A%2F%2F127.0.0.1%3A8787%2Fcallback"
        }))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(
        answer.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(answer.header("cache-control").as_deref(), Some("no-store"));
    let body = answer.json();
    assert_eq!(body["status"], 200);
    assert_eq!(
        body["body"],
        r#"{"access_token":"at-1","token_type":"Bearer","expires_in":3600}"#
    );
    let headers: Vec<(String, String)> = serde_json::from_value(body["headers"].clone()).unwrap();
    assert!(headers.contains(&("content-type".into(), "application/json".into())));
    assert!(headers.contains(&("cache-control".into(), "no-store".into())));
    assert!(
        !headers
            .iter()
            .any(|(n, _)| n == "set-cookie" || n == "server"),
        "{headers:?}"
    );

    let seen = upstream.seen();
    assert_eq!(seen.len(), 1);
    let request = &seen[0];
    assert_eq!(
        (request.method.as_str(), request.path_and_query.as_str()),
        ("POST", "/token")
    );
    assert_eq!(
        request.body,
        "grant_type=authorization_code&code=abc&redirect_uri=http%3A%2F%2F127.0.0.1%3A8787%2Fcallback"
    );
    assert_eq!(
        request.headers["authorization"],
        "Basic Y2xpZW50OnNlY3JldA=="
    );
    assert_eq!(request.headers["dpop"], "eyJhbGciOi");
    assert_eq!(
        request.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(
        request.headers["host"],
        format!("127.0.0.1:{}", upstream.port())
    );
    for never in [
        "cookie",
        "origin",
        "referer",
        "x-forwarded-for",
        "forwarded",
    ] {
        assert!(
            !request.headers.contains_key(never),
            "{never} must not be forwarded"
        );
    }
    assert!(
        request.headers["user-agent"]
            .to_str()
            .unwrap()
            .starts_with("oauth-token-wizard-relay/")
    );
}

#[tokio::test]
async fn get_is_forwarded_for_discovery() {
    let upstream = Upstream::start(None).await;
    let relay = dev_relay(upstream.port(), &[], StaticLookup::new());
    let answer = relay
        .proxy(envelope("GET", &upstream.url("/meta?x=1")))
        .await;
    assert_eq!(answer.json()["body"], r#"{"issuer":"https://id.example"}"#);
    assert_eq!(upstream.seen()[0].path_and_query, "/meta?x=1");
    let with_body = relay
        .proxy(json!({"method": "GET", "url": upstream.url("/meta"), "headers": [], "body": "x"}))
        .await;
    with_body.assert_error(StatusCode::BAD_REQUEST, "body_not_allowed");
    assert_eq!(upstream.accepted(), 1);
}

#[tokio::test]
async fn names_are_resolved_through_the_injected_lookup() {
    let upstream = Upstream::start(None).await;
    let lookup = StaticLookup::new().with("token.localtest.me", &["127.0.0.1".parse().unwrap()]);
    let relay = dev_relay(upstream.port(), &[], lookup);
    let url = format!("http://token.localtest.me:{}/meta", upstream.port());
    let answer = relay.proxy(envelope("GET", &url)).await;
    assert_eq!(answer.json()["status"], 200, "{}", answer.text());
    assert_eq!(
        upstream.seen()[0].headers["host"],
        format!("token.localtest.me:{}", upstream.port())
    );
}

/// Runs `envelope` against a relay WITHOUT --allow-private-targets whose allowed port is the
/// upstream's, and checks the refusal and that nothing connected.
async fn refused(
    upstream: &Upstream,
    lookup: StaticLookup,
    envelope: Value,
    status: StatusCode,
    code: &str,
) {
    let port = upstream.port().to_string();
    let relay = relay_with(&["--allowed-port", &port, "--allowed-port", "443"], lookup);
    let answer = relay.proxy(envelope.clone()).await;
    assert_eq!(
        (answer.status, answer.error_code().as_str()),
        (status, code),
        "{envelope}: {}",
        answer.text()
    );
    assert_eq!(upstream.accepted(), 0, "{envelope} reached the upstream");
}

#[tokio::test]
async fn non_https_userinfo_ports_fragments_and_malformed_urls_are_refused() {
    let upstream = Upstream::start(None).await;
    let p = upstream.port();
    let forbidden = StatusCode::FORBIDDEN;
    let bad = StatusCode::BAD_REQUEST;
    let cases: Vec<(String, StatusCode, &str)> = vec![
        (
            format!("http://token.example:{p}/token"),
            forbidden,
            "target_refused",
        ),
        (
            format!("gopher://127.0.0.1:{p}/_x"),
            forbidden,
            "target_refused",
        ),
        ("file:///etc/passwd".to_owned(), forbidden, "target_refused"),
        (
            format!("https://user:pass@token.example:{p}/token"),
            forbidden,
            "target_refused",
        ),
        (
            format!("https://token.example@127.0.0.1:{p}/token"),
            forbidden,
            "target_refused",
        ),
        (
            "https://token.example:8443/token".to_owned(),
            forbidden,
            "target_refused",
        ),
        (
            "https://token.example:0/token".to_owned(),
            forbidden,
            "target_refused",
        ),
        // Full-width digits for 127.0.0.1: no Unicode tables, so never mapped to loopback.
        (
            format!("https://\u{ff11}\u{ff12}\u{ff17}.\u{ff10}.\u{ff10}.\u{ff11}:{p}/token"),
            bad,
            "target_invalid",
        ),
        (
            format!("https://token.example:{p}/token#frag"),
            forbidden,
            "target_refused",
        ),
        (
            format!("https://token.example:{p}/{}", "a".repeat(2100)),
            bad,
            "target_invalid",
        ),
        (
            format!("https://token.example:{p}/a\r\nHost: evil"),
            bad,
            "target_invalid",
        ),
        (
            format!("https://token.example:{p}/a b"),
            bad,
            "target_invalid",
        ),
        (
            format!("https://token.exa\tmple:{p}/"),
            bad,
            "target_invalid",
        ),
        (
            format!("https://[fe80::1%25eth0]:{p}/"),
            bad,
            "target_invalid",
        ),
        ("not a url".to_owned(), bad, "target_invalid"),
        ("".to_owned(), bad, "target_invalid"),
    ];
    for (url, status, code) in cases {
        refused(
            &upstream,
            StaticLookup::new(),
            envelope("POST", &url),
            status,
            code,
        )
        .await;
    }
}

#[tokio::test]
async fn every_spelling_of_internal_addresses_is_refused() {
    let upstream = Upstream::start(None).await;
    let p = upstream.port();
    // Only spellings of this machine's own addresses here: should a check ever regress, the
    // relay would connect to loopback (and the count would show it), never to another network.
    // The private, link-local, CGNAT and metadata ranges are covered without any connection
    // by the unit tests in `target.rs` and the property tests.
    let hosts = [
        "127.0.0.1",
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        "127.1",
        "0x7f.1",
        "0x7f.0.0.1",
        "017700000001",
        "127.000.000.001",
        "0",
        "0.0.0.0",
        "[::1]",
        "[::]",
        "[0:0:0:0:0:0:0:1]",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
        "[64:ff9b::127.0.0.1]",
        "[64:ff9b:1::7f00:1]",
        "[2002:7f00:1::]",
        "[::127.0.0.1]",
        "localhost",
        "LOCALHOST.",
        "app.localhost",
    ];
    for host in hosts {
        refused(
            &upstream,
            StaticLookup::new(),
            envelope("POST", &format!("https://{host}:{p}/token")),
            StatusCode::FORBIDDEN,
            "target_refused",
        )
        .await;
    }
}

#[tokio::test]
async fn names_resolving_to_internal_addresses_are_refused_at_connect() {
    let upstream = Upstream::start(None).await;
    let p = upstream.port();
    let addr = |s: &str| s.parse::<IpAddr>().unwrap();
    // Lookups answer with loopback only (or loopback first), so a regression would connect to
    // the counting upstream, never to another network.
    let lookup = StaticLookup::new()
        .with("loopback.test", &[addr("127.0.0.1")])
        .with("loopback6.test", &[addr("::1")])
        .with("mapped.test", &[addr("::ffff:127.0.0.1")])
        .with("mixed.test", &[addr("127.0.0.1"), addr("93.184.216.34")])
        .with("127.0.0.1.nip.io", &[addr("127.0.0.1")]);
    for host in [
        "loopback.test",
        "loopback6.test",
        "mapped.test",
        "mixed.test",
        "127.0.0.1.nip.io",
    ] {
        let body = envelope("POST", &format!("https://{host}:{p}/token"));
        refused(
            &upstream,
            lookup.clone(),
            body,
            StatusCode::FORBIDDEN,
            "target_refused",
        )
        .await;
    }
}

/// Answers with `answers[n % len]` on the n-th lookup and counts lookups.
#[derive(Clone)]
struct Rebinding {
    answers: Vec<Vec<IpAddr>>,
    calls: Arc<AtomicUsize>,
}

impl NameLookup for Rebinding {
    fn lookup(&self, _host: &str) -> LookupFuture {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let answer = self.answers[n % self.answers.len()].clone();
        Box::pin(async move { Ok(answer) })
    }
}

#[tokio::test]
async fn rebinding_names_are_looked_up_once_per_call_at_connect_time() {
    let upstream = Upstream::start(None).await;
    let port = upstream.port().to_string();
    let calls = Arc::new(AtomicUsize::new(0));
    let lookup = Rebinding {
        answers: vec![
            vec!["127.0.0.1".parse().unwrap()],
            vec![
                "::ffff:127.0.0.1".parse().unwrap(),
                "127.0.0.2".parse().unwrap(),
            ],
        ],
        calls: calls.clone(),
    };
    let relay = relay_with(&["--allowed-port", &port], lookup);
    for _ in 0..4 {
        let answer = relay
            .proxy(envelope(
                "POST",
                &format!("https://rebind.test:{port}/token"),
            ))
            .await;
        answer.assert_error(StatusCode::FORBIDDEN, "target_refused");
        assert!(answer.message().contains("not a public address"));
    }
    // The answer checked is the answer connected to: no separate pre-check lookup that a
    // rebinding server could answer differently.
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    assert_eq!(upstream.accepted(), 0);
}

#[tokio::test]
async fn unknown_names_fail_cleanly() {
    let relay = relay(&[]);
    let answer = relay
        .proxy(envelope("POST", "https://no-such-host.test/token"))
        .await;
    answer.assert_error(StatusCode::BAD_GATEWAY, "upstream_unreachable");
}

#[tokio::test]
async fn redirects_are_returned_not_followed() {
    let internal = Upstream::start(None).await;
    let upstream = Upstream::start(Some(internal.url("/secret"))).await;
    let relay = dev_relay(upstream.port(), &[], StaticLookup::new());
    let answer = relay
        .proxy(envelope("POST", &upstream.url("/redirect")))
        .await;
    let body = answer.json();
    assert_eq!(body["status"], 302);
    let headers: Vec<(String, String)> = serde_json::from_value(body["headers"].clone()).unwrap();
    assert!(headers.contains(&("location".into(), internal.url("/secret"))));
    assert_eq!(
        internal.accepted(),
        0,
        "the redirect target must never be contacted"
    );
}

#[tokio::test]
async fn huge_upstream_bodies_are_cut_off() {
    let upstream = Upstream::start(None).await;
    let relay = dev_relay(upstream.port(), &[], StaticLookup::new());
    for path in ["/huge", "/huge-stream"] {
        let answer = relay.proxy(envelope("GET", &upstream.url(path))).await;
        assert_eq!(
            (answer.status, answer.error_code().as_str()),
            (StatusCode::BAD_GATEWAY, "upstream_too_large"),
            "{path}"
        );
        assert!(
            answer.body.len() < 1024,
            "the error must not carry the body"
        );
    }
}

#[tokio::test]
async fn slow_upstreams_time_out() {
    let upstream = Upstream::start(None).await;
    let relay = dev_relay(
        upstream.port(),
        &["--upstream-timeout-secs", "1"],
        StaticLookup::new(),
    );
    let started = std::time::Instant::now();
    let answer = relay.proxy(envelope("GET", &upstream.url("/slow"))).await;
    answer.assert_error(StatusCode::GATEWAY_TIMEOUT, "upstream_timeout");
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
}

#[tokio::test]
async fn cut_off_bodies_fail_cleanly() {
    let (addr, accepted) = cut_off_upstream().await;
    let relay = dev_relay(addr.port(), &[], StaticLookup::new());
    let answer = relay
        .proxy(envelope("POST", &format!("http://{addr}/token")))
        .await;
    assert_eq!(
        (answer.status, answer.error_code().as_str()),
        (StatusCode::BAD_GATEWAY, "upstream_failed"),
        "{}",
        answer.text()
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn unreachable_ports_fail_cleanly() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let relay = dev_relay(closed, &[], StaticLookup::new());
    let answer = relay
        .proxy(envelope(
            "POST",
            &format!("http://127.0.0.1:{closed}/token"),
        ))
        .await;
    answer.assert_error(StatusCode::BAD_GATEWAY, "upstream_unreachable");
    assert!(
        !answer.message().contains("/token"),
        "messages never carry the URL path"
    );
}

#[tokio::test]
async fn forbidden_and_malformed_headers_are_refused_before_connecting() {
    let upstream = Upstream::start(None).await;
    let relay = dev_relay(upstream.port(), &[], StaticLookup::new());
    let url = upstream.url("/token");
    let cases: &[(&str, &str)] = &[
        ("Host", "evil.example"),
        ("Cookie", "sid=1"),
        ("Connection", "close"),
        ("Transfer-Encoding", "chunked"),
        ("Content-Length", "5"),
        ("Upgrade", "websocket"),
        ("TE", "trailers"),
        ("Proxy-Authorization", "Basic x"),
        ("X-Forwarded-For", "127.0.0.1"),
        ("X-Forwarded-Host", "evil.example"),
        ("Forwarded", "for=127.0.0.1"),
        ("X-Custom", "1"),
        ("Accept", "a\r\nHost: evil.example"),
        ("Accept\r\nHost", "evil.example"),
        ("Accept", "a\nb"),
        ("Accept", "a\0b"),
        ("Bad Name", "x"),
        ("Accept", "caf\u{e9}"),
    ];
    for (name, value) in cases {
        let answer = relay
            .proxy(json!({"method": "POST", "url": url, "headers": [[name, value]], "body": "x"}))
            .await;
        assert_eq!(
            (answer.status, answer.error_code().as_str()),
            (StatusCode::BAD_REQUEST, "header_refused"),
            "{name:?}: {}",
            answer.text()
        );
        assert!(
            !answer.text().contains("evil.example"),
            "values are not echoed"
        );
    }
    let duplicate = relay.proxy(json!({"method": "POST", "url": url, "headers": [["accept", "a"], ["Accept", "b"]], "body": "x"})).await;
    assert_eq!(duplicate.error_code(), "header_refused");
    assert_eq!(upstream.accepted(), 0);
}

#[tokio::test]
async fn operators_can_forward_extra_headers() {
    let upstream = Upstream::start(None).await;
    let relay = dev_relay(
        upstream.port(),
        &["--forward-header", "Notion-Version"],
        StaticLookup::new(),
    );
    let answer = relay.proxy(json!({"method": "POST", "url": upstream.url("/token"), "headers": [["Notion-Version", "2022-06-28"]], "body": "{}"})).await;
    assert_eq!(answer.json()["status"], 200);
    assert_eq!(upstream.seen()[0].headers["notion-version"], "2022-06-28");
}

#[tokio::test]
async fn other_methods_and_bad_envelopes_are_refused() {
    let upstream = Upstream::start(None).await;
    let relay = dev_relay(upstream.port(), &[], StaticLookup::new());
    let url = upstream.url("/token");
    for method in [
        "PUT", "DELETE", "PATCH", "CONNECT", "TRACE", "OPTIONS", "get", "post", "GET\r\n",
    ] {
        let answer = relay.proxy(envelope(method, &url)).await;
        assert_eq!(
            (answer.status, answer.error_code().as_str()),
            (StatusCode::BAD_REQUEST, "method_not_allowed"),
            "{method:?}"
        );
    }
    let not_list = relay
        .proxy(json!({"method": "POST", "url": url, "headers": {"accept": "x"}}))
        .await;
    assert_eq!(not_list.error_code(), "invalid_json");
    let no_url = relay.proxy(json!({"method": "POST"})).await;
    assert_eq!(no_url.error_code(), "invalid_json");
    let oversized =
        json!({"method": "POST", "url": url, "headers": [], "body": "x".repeat(65 * 1024)});
    let answer = relay
        .send(api_post("/api/proxy", &oversized.to_string()))
        .await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(upstream.accepted(), 0);
}

#[tokio::test]
async fn public_mode_limits_targets_to_the_allowlist() {
    let relay = crate::support::relay_with(
        &["--public", "--allow-host", "*.idp.example"],
        StaticLookup::new().with("a.idp.example", &["127.0.0.1".parse().unwrap()]),
    );
    let send = |url: &str| {
        let mut request = api_post("/api/proxy", &envelope("POST", url).to_string());
        request
            .headers_mut()
            .insert("host", "wizard.example.com".parse().unwrap());
        request
            .headers_mut()
            .insert("origin", "https://wizard.example.com".parse().unwrap());
        request
    };
    let answer = relay.send(send("https://evil.example/token")).await;
    answer.assert_error(StatusCode::FORBIDDEN, "target_refused");
    assert!(answer.message().contains("not on this relay's list"));
    // Preset hosts are on the list by default.
    let preset = relay::target::preset_token_hosts()
        .find(|p| !p.contains('*'))
        .expect("some preset has a fixed token host");
    let patterns = relay.state.target_policy.host_allowlist.as_ref().unwrap();
    assert!(
        patterns.iter().any(|p| p.matches(preset)),
        "{preset} should be allowed"
    );
    // Allowed names still go through the address checks.
    let answer = relay.send(send("https://a.idp.example/token")).await;
    answer.assert_error(StatusCode::FORBIDDEN, "target_refused");
    assert!(answer.message().contains("127.0.0.1"));
}

#[tokio::test]
async fn the_proxy_concurrency_cap_answers_503() {
    let upstream = Upstream::start(None).await;
    let relay = dev_relay(
        upstream.port(),
        &["--proxy-concurrency", "1", "--upstream-timeout-secs", "10"],
        StaticLookup::new(),
    );
    let slow = {
        let relay = TestRelay {
            router: relay.router.clone(),
            state: relay.state.clone(),
        };
        let url = upstream.url("/slow");
        tokio::spawn(async move { relay.proxy(envelope("GET", &url)).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let answer = relay.proxy(envelope("GET", &upstream.url("/meta"))).await;
    answer.assert_error(StatusCode::SERVICE_UNAVAILABLE, "proxy_busy");
    assert_eq!(slow.await.unwrap().json()["body"], "late");
}

#[tokio::test]
async fn allow_private_targets_alone_reaches_a_local_provider_on_its_port() {
    let upstream = Upstream::start(None).await;
    let relay = relay(&["--allow-private-targets"]);
    let answer = relay.proxy(envelope("POST", &upstream.url("/token"))).await;
    assert_eq!(answer.json()["status"], 200, "{}", answer.text());

    // Names keep the port rule: they could resolve anywhere.
    let lookup = StaticLookup::new().with("idp.test", &["127.0.0.1".parse().unwrap()]);
    let relay = relay_with(&["--allow-private-targets"], lookup);
    let answer = relay
        .proxy(envelope(
            "POST",
            &format!("http://idp.test:{}/token", upstream.port()),
        ))
        .await;
    answer.assert_error(StatusCode::FORBIDDEN, "target_refused");
    assert_eq!(upstream.accepted(), 1);
}
