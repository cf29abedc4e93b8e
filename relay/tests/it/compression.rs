//! Compression: the app's files come back gzip- or brotli-encoded when the browser accepts it
//! (from the copies `cargo xtask build-app` writes beside them); API answers never do, since
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

/// Writes `path.gz` and `path.br` as `cargo xtask build-app` does.
fn precompress(path: &std::path::Path) {
    use std::io::Write;
    let bytes = std::fs::read(path).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&bytes).unwrap();
    std::fs::write(
        path.with_extension(extension_plus(path, "gz")),
        gz.finish().unwrap(),
    )
    .unwrap();
    let mut br = Vec::new();
    brotli::BrotliCompress(&mut &bytes[..], &mut br, &Default::default()).unwrap();
    std::fs::write(path.with_extension(extension_plus(path, "br")), br).unwrap();
}

fn extension_plus(path: &std::path::Path, more: &str) -> String {
    format!("{}.{more}", path.extension().unwrap().to_str().unwrap())
}

#[tokio::test]
async fn static_files_come_back_precompressed_when_asked() {
    let dist = Dist::new("compressed");
    let bundle = BUNDLE_LINE.repeat(200);
    std::fs::write(dist.0.join("bundle.js"), &bundle).unwrap();
    precompress(&dist.0.join("bundle.js"));
    precompress(&dist.0.join("index.html"));
    let dist_arg = dist.0.to_str().unwrap().to_owned();
    let relay = LiveRelay::start(&["--dist", &dist_arg], StaticLookup::new()).await;

    let answer = get_encoded(&relay, "/bundle.js", "gzip").await;
    assert_eq!(answer.headers()["content-encoding"], "gzip");
    let vary = answer.headers()["vary"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(vary.contains("accept-encoding"), "{vary}");
    assert!(
        answer.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("wasm-unsafe-eval"),
        "the app's headers stay"
    );
    assert!(
        answer.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript"),
        "the type is the original file's"
    );
    let body = answer.bytes().await.unwrap();
    assert!(body.len() < bundle.len() / 4, "{} bytes", body.len());
    assert_eq!(gunzip(&body), bundle.as_bytes());

    let brotli = get_encoded(&relay, "/bundle.js", "br").await;
    assert_eq!(brotli.headers()["content-encoding"], "br");
    let body = brotli.bytes().await.unwrap();
    let mut text = Vec::new();
    brotli::Decompressor::new(&body[..], 4096)
        .read_to_end(&mut text)
        .unwrap();
    assert_eq!(text, bundle.as_bytes());

    let plain = client().get(relay.url("/bundle.js")).send().await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.bytes().await.unwrap(), bundle.as_bytes());

    // A file without copies goes out as it is: nothing is compressed while serving.
    let raw = get_encoded(&relay, "/app.js", "gzip, br").await;
    assert!(raw.headers().get("content-encoding").is_none());

    // The single-page-app fallback (index.html for unknown paths) uses its copies too.
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
