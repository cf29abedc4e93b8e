//! Redirect capture: registration, the callback page, pickup.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use relay::routes::callback::CALLBACK_PAGE;
use serde_json::json;

use crate::support::{SECRET, relay};

#[tokio::test]
async fn register_callback_pickup_delivers_the_query_once() {
    let relay = relay(&[]);
    relay.register("st-1").await;
    let page = relay
        .get("/callback?code=abc%2F1&state=st-1&iss=https%3A%2F%2Fid.example")
        .await;
    assert_eq!(page.status, StatusCode::OK);

    let picked = relay.pickup("st-1", SECRET).await;
    assert_eq!(picked.status, StatusCode::OK);
    assert_eq!(
        picked.json(),
        json!({"callback": "code=abc%2F1&state=st-1&iss=https%3A%2F%2Fid.example"})
    );
    assert_eq!(picked.header("cache-control").as_deref(), Some("no-store"));

    let again = relay.pickup("st-1", SECRET).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert!(relay.state.store.is_empty());
}

#[tokio::test]
async fn unsolicited_callbacks_store_nothing() {
    let relay = relay(&["--long-poll-secs", "0", "--rate-limit-burst", "1000"]);
    for i in 0..200 {
        let answer = relay
            .get(&format!("/callback?code=c{i}&state=never-registered-{i}"))
            .await;
        assert_eq!(answer.status, StatusCode::OK);
    }
    assert!(relay.state.store.is_empty());
    assert_eq!(
        relay.pickup("never-registered-1", SECRET).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn wrong_secret_repeated_unknown_and_late_pickups_look_the_same() {
    let relay = relay(&["--long-poll-secs", "0", "--pending-ttl-secs", "1"]);
    relay.register("st-late").await;
    relay.register("st-ok").await;
    relay.get("/callback?code=abc&state=st-ok").await;

    let wrong = relay.pickup("st-ok", "another-secret-0123456789").await;
    let unknown = relay.pickup("no-such-state", SECRET).await;
    let good = relay.pickup("st-ok", SECRET).await;
    assert_eq!(
        good.status,
        StatusCode::OK,
        "the wrong secret must not consume the entry"
    );
    let repeated = relay.pickup("st-ok", SECRET).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let late = relay.pickup("st-late", SECRET).await;

    for answer in [&wrong, &unknown, &repeated, &late] {
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        assert_eq!(answer.body, wrong.body, "all 404s must be identical");
    }
    assert_eq!(wrong.error_code(), "not_found");
}

#[tokio::test]
async fn late_callback_is_not_stored() {
    let relay = relay(&["--long-poll-secs", "0", "--pending-ttl-secs", "1"]);
    relay.register("st-exp").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    relay.get("/callback?code=abc&state=st-exp").await;
    assert_eq!(
        relay.pickup("st-exp", SECRET).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn pickup_answers_204_when_nothing_arrived() {
    let relay = relay(&["--long-poll-secs", "1"]);
    relay.register("st-wait").await;
    let started = std::time::Instant::now();
    let answer = relay.pickup("st-wait", SECRET).await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "the pickup must wait before 204"
    );
    assert!(answer.body.is_empty());
}

#[tokio::test]
async fn long_poll_wakes_when_the_callback_arrives() {
    let relay = relay(&["--long-poll-secs", "20"]);
    relay.register("st-poll").await;
    let poll = {
        let router = relay.router.clone();
        let state = relay.state.clone();
        tokio::spawn(async move {
            let relay = crate::support::TestRelay { router, state };
            relay.pickup("st-poll", SECRET).await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    relay.get("/callback?code=woke&state=st-poll").await;
    let answer = poll.await.unwrap();
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json()["callback"], "code=woke&state=st-poll");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the poll must wake at once, not at its timeout"
    );
}

#[tokio::test]
async fn form_post_answers_303_with_the_parameters_in_the_fragment() {
    let relay = relay(&["--long-poll-secs", "0"]);
    relay.register("st-form").await;
    let request = Request::post("/callback")
        .header(header::HOST, "127.0.0.1:8787")
        .header(header::ORIGIN, "https://login.provider.example")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("code=c%2B1&state=st-form&id_token=a.b.c"))
        .unwrap();
    let answer = relay.send(request).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(
        answer.header("location").as_deref(),
        Some("/callback#code=c%2B1&state=st-form&id_token=a.b.c")
    );
    assert_eq!(answer.header("cache-control").as_deref(), Some("no-store"));
    assert_eq!(
        relay.pickup("st-form", SECRET).await.json()["callback"],
        "code=c%2B1&state=st-form&id_token=a.b.c"
    );
}

#[tokio::test]
async fn form_post_with_markup_redirects_only_to_the_callback_page() {
    let relay = relay(&[]);
    let request = Request::post("/callback")
        .header(header::HOST, "127.0.0.1:8787")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("error=x&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E%0D%0ALocation:%20https://evil&redirect_uri=https://evil.example"))
        .unwrap();
    let answer = relay.send(request).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let location = answer.header("location").unwrap();
    assert!(location.starts_with("/callback#"), "{location}");
    assert!(
        !location.contains('<') && !location.contains('\r') && !location.contains(' '),
        "{location}"
    );
    assert!(relay.state.store.is_empty());
}

#[tokio::test]
async fn form_post_needs_a_form_and_sane_parameters() {
    let relay = relay(&[]);
    let post = |content_type: &str, body: &str| {
        Request::post("/callback")
            .header(header::HOST, "127.0.0.1:8787")
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body.to_owned()))
            .unwrap()
    };
    let json = relay
        .send(post("application/json", r#"{"code":"x"}"#))
        .await;
    assert_eq!(json.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let dup = relay
        .send(post("application/x-www-form-urlencoded", "code=a&code=b"))
        .await;
    dup.assert_error(StatusCode::BAD_REQUEST, "invalid_callback");
    let huge = relay
        .send(post(
            "application/x-www-form-urlencoded",
            &format!("code={}", "a".repeat(20_000)),
        ))
        .await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn callback_page_has_strict_headers_and_hash_based_csp() {
    let relay = relay(&[]);
    let page = relay.get("/callback?code=x&state=y").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.header("content-type").as_deref(),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(page.header("cache-control").as_deref(), Some("no-store"));
    assert_eq!(
        page.header("referrer-policy").as_deref(),
        Some("no-referrer")
    );
    assert_eq!(page.header("x-frame-options").as_deref(), Some("DENY"));
    assert_eq!(
        page.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
    assert_eq!(
        page.header("cross-origin-opener-policy"),
        None,
        "COOP would sever the opener"
    );
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.starts_with("default-src 'none'; script-src 'sha256-"),
        "{csp}"
    );
    for part in [
        "style-src 'sha256-",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(part), "{csp} lacks {part}");
    }
    assert!(!csp.contains("unsafe"), "{csp}");

    // The hashes are those of the inline blocks actually served.
    let html = page.text();
    for block in relay::routes::static_files::inline_blocks(&html, "script")
        .into_iter()
        .chain(relay::routes::static_files::inline_blocks(&html, "style"))
    {
        assert!(csp.contains(&relay::routes::callback::csp_hash(block)));
    }
}

/// Attacker-controlled values of every class in security.md §2.1.
const HOSTILE_QUERIES: &[&str] = &[
    "code=%3Cscript%3Ealert(1)%3C%2Fscript%3E&state=s",
    "error=%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&error_description=%27%3B%3C%2Fscript%3E",
    "code=javascript%3Aalert(document.domain)&state=s",
    "code=%7B%7Bconstructor.constructor(%27alert(1)%27)()%7D%7D&state=%24%7Bx%7D",
    "code=a%00b&state=%E2%80%AEevil",
    "redirect_uri=https%3A%2F%2Fevil.example&next=%2F%2Fevil.example&return_to=https://evil.example",
    "code=a&code=b&state=s",
];

#[tokio::test]
async fn hostile_callback_parameters_never_reach_the_page() {
    let relay = relay(&[]);
    for query in HOSTILE_QUERIES {
        let page = relay.get(&format!("/callback?{query}")).await;
        assert_eq!(page.status, StatusCode::OK, "{query}");
        assert_eq!(
            &page.body,
            CALLBACK_PAGE.html(),
            "the page must be the same bytes for {query}"
        );
        assert_eq!(page.header("location"), None);
        for marker in ["alert(", "evil", "onerror", "constructor"] {
            assert!(!page.text().contains(marker), "{marker} leaked for {query}");
        }
    }
    let huge = relay
        .get(&format!("/callback?code={}&state=s", "A".repeat(7000)))
        .await;
    assert_eq!(
        (huge.status, &huge.body),
        (StatusCode::OK, CALLBACK_PAGE.html())
    );
}

#[tokio::test]
async fn hostile_values_are_stored_only_percent_encoded() {
    let relay = relay(&["--long-poll-secs", "0"]);
    relay.register("s").await;
    relay
        .get("/callback?code=%3Cb%3E%22x%22%00%E2%80%AE&state=s")
        .await;
    let callback = relay.pickup("s", SECRET).await.json()["callback"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(callback, "code=%3Cb%3E%22x%22%00%E2%80%AE&state=s");
}

#[tokio::test]
async fn duplicated_or_oversized_callbacks_are_not_stored() {
    let relay = relay(&["--long-poll-secs", "0"]);
    relay.register("s").await;
    relay.get("/callback?code=a&code=b&state=s").await;
    relay.get("/callback?state=s&state=s").await;
    relay
        .get(&format!("/callback?code={}&state=s", "A".repeat(3000)))
        .await;
    assert_eq!(
        relay.pickup("s", SECRET).await.status,
        StatusCode::NO_CONTENT,
        "nothing may be stored"
    );
    // A well-formed callback still gets through afterwards.
    relay.get("/callback?code=good&state=s").await;
    assert_eq!(
        relay.pickup("s", SECRET).await.json()["callback"],
        "code=good&state=s"
    );
}

#[tokio::test]
async fn first_callback_wins() {
    let relay = relay(&["--long-poll-secs", "0"]);
    relay.register("s").await;
    relay.get("/callback?code=first&state=s").await;
    relay.get("/callback?code=second&state=s").await;
    assert_eq!(
        relay.pickup("s", SECRET).await.json()["callback"],
        "code=first&state=s"
    );
}

#[tokio::test]
async fn registration_input_is_checked() {
    let relay = relay(&[]);
    let short = relay
        .post_json(
            "/api/pending",
            json!({"state": "s", "pickup_secret": "short"}),
        )
        .await;
    short.assert_error(StatusCode::BAD_REQUEST, "invalid_pickup_secret");
    let empty = relay
        .post_json(
            "/api/pending",
            json!({"state": "", "pickup_secret": SECRET}),
        )
        .await;
    assert_eq!(empty.error_code(), "invalid_state");
    let long = relay
        .post_json(
            "/api/pending",
            json!({"state": "s".repeat(513), "pickup_secret": SECRET}),
        )
        .await;
    assert_eq!(long.error_code(), "invalid_state");
    let missing = relay.post_json("/api/pending", json!({"state": "s"})).await;
    missing.assert_error(StatusCode::BAD_REQUEST, "invalid_json");

    relay.register("taken").await;
    let clash = relay
        .post_json(
            "/api/pending",
            json!({"state": "taken", "pickup_secret": "another-secret-0123456789"}),
        )
        .await;
    clash.assert_error(StatusCode::CONFLICT, "state_in_use");
    let created = relay
        .post_json(
            "/api/pending",
            json!({"state": "fresh", "pickup_secret": SECRET}),
        )
        .await;
    assert_eq!(created.json(), json!({"expires_in": 300}));
}

#[test]
fn callback_script_posts_only_to_its_own_origin_and_renders_text() {
    let html = String::from_utf8(CALLBACK_PAGE.html().to_vec()).unwrap();
    assert!(html.contains("postMessage(message, location.origin)"));
    assert!(html.contains("event.origin === location.origin"));
    assert!(
        html.contains("new BroadcastChannel(CHANNEL_NAME)")
            && html.contains("\"oauth-token-wizard\"")
    );
    assert!(html.contains("\"oauth-callback-ack\"") && html.contains("type: \"oauth-callback\""));
    assert!(html.contains("history.replaceState"));
    for forbidden in [
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "\"*\"",
        "location.assign",
        "location.href =",
    ] {
        assert!(
            !html.contains(forbidden),
            "the callback page must not use {forbidden}"
        );
    }
}
