//! Compression: the app's files come back gzip- or brotli-encoded when the browser accepts it
//! (compressed once per file version, then served from memory); API answers never do, since
//! they carry tokens next to attacker-influenced text (BREACH).

use std::io::Read;

use relay::resolver::StaticLookup;
use serde_json::{Value, json};

use crate::support::{Dist, JsonBody, LiveRelay, Upstream, client};

/// A line of a JavaScript bundle; repeated, it compresses well, as real bundles do.
const BUNDLE_LINE: &str = "export function next_step(step) { return step + 1; } // wizard\n";

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("the body is valid gzip");
    out
}

async fn get_encoded(relay: &LiveRelay, path: &str, accept: &str) -> reqwest::Response {
    let answer = client()
        .get(relay.url(path))
        .header("accept-encoding", accept)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "{path}");
    answer
}

#[tokio::test]
async fn static_files_come_back_gzip_encoded_when_asked() {
    let dist = Dist::new("compressed");
    let bundle = BUNDLE_LINE.repeat(200);
    std::fs::write(dist.0.join("bundle.js"), &bundle).unwrap();
    let dist_arg = dist.0.to_str().unwrap().to_owned();
    let relay = LiveRelay::start(&["--dist", &dist_arg], StaticLookup::new()).await;

    // The second answer is the kept copy: it must be the same complete gzip stream.
    for round in ["first", "kept"] {
        let answer = get_encoded(&relay, "/bundle.js", "gzip").await;
        assert_eq!(answer.headers()["content-encoding"], "gzip", "{round}");
        let vary = answer.headers()["vary"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        assert!(vary.contains("accept-encoding"), "{round}: {vary}");
        assert!(
            answer.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("wasm-unsafe-eval"),
            "{round}: the app's headers stay"
        );
        let body = answer.bytes().await.unwrap();
        assert!(
            body.len() < bundle.len() / 4,
            "{round}: {} bytes",
            body.len()
        );
        assert_eq!(gunzip(&body), bundle.as_bytes(), "{round}");
    }

    let brotli = get_encoded(&relay, "/bundle.js", "br").await;
    assert_eq!(brotli.headers()["content-encoding"], "br");
    assert!(brotli.bytes().await.unwrap().len() < bundle.len() / 4);

    let plain = client().get(relay.url("/bundle.js")).send().await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.bytes().await.unwrap(), bundle.as_bytes());

    // A rebuilt file is compressed afresh, not served from the old copy.
    let rebuilt = "export const rebuilt = true;\n".repeat(300);
    std::fs::write(dist.0.join("bundle.js"), &rebuilt).unwrap();
    let answer = get_encoded(&relay, "/bundle.js", "gzip").await;
    assert_eq!(gunzip(&answer.bytes().await.unwrap()), rebuilt.as_bytes());

    // The single-page-app fallback (index.html for unknown paths) is compressed too.
    let deep = get_encoded(&relay, "/some/deep/link", "gzip").await;
    assert_eq!(deep.headers()["content-encoding"], "gzip");
    let page = String::from_utf8(gunzip(&deep.bytes().await.unwrap())).unwrap();
    assert!(page.contains("import init"), "{page}");

    relay.stop().await.unwrap();
}

#[tokio::test]
async fn api_answers_are_never_compressed() {
    let upstream = Upstream::start(None).await;
    let dist = Dist::new("uncompressed-api");
    let dist_arg = dist.0.to_str().unwrap().to_owned();
    let port = upstream.port().to_string();
    let relay = LiveRelay::start(
        &[
            "--dist",
            &dist_arg,
            "--allow-private-targets",
            "--allowed-port",
            &port,
        ],
        StaticLookup::new(),
    )
    .await;
    let every_encoding = "gzip, deflate, br, zstd";
    let proxy = |envelope: Value| {
        client()
            .post(relay.url("/api/proxy"))
            .header("origin", relay.origin())
            .header("accept-encoding", every_encoding)
            .json_body(&envelope)
            .send()
    };

    let answer = proxy(json!({
        "method": "POST",
        "url": upstream.url("/token"),
        "headers": [["content-type", "application/x-www-form-urlencoded"]],
        "body": "grant_type=client_credentials"
    }))
    .await
    .unwrap();
    assert_eq!(answer.status(), 200);
    assert!(answer.headers().get("content-encoding").is_none());
    let envelope: Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
    assert_eq!(envelope["status"], 200);
    assert!(envelope["body"].as_str().unwrap().contains("access_token"));

    let refused = proxy(json!({
        "method": "POST",
        "url": upstream.url("/token"),
        "headers": [["cookie", "session=1"]],
        "body": "x"
    }))
    .await
    .unwrap();
    assert_eq!(refused.status(), 400);
    assert!(refused.headers().get("content-encoding").is_none());
    let error: Value = serde_json::from_slice(&refused.bytes().await.unwrap()).unwrap();
    assert_eq!(error["error"], "header_refused");

    let config = client()
        .get(relay.url("/api/config"))
        .header("accept-encoding", every_encoding)
        .send()
        .await
        .unwrap();
    assert!(config.headers().get("content-encoding").is_none());
    assert_eq!(upstream.accepted(), 1);

    relay.stop().await.unwrap();
}
