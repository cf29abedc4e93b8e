//! The built wizard (`--dist`), served as a single-page app with index.html as the fallback.
//!
//! Its Content-Security-Policy allows same-origin scripts, WebAssembly compilation, and trunk's
//! inline bootstrap `<script>` by hash (read from index.html at start, never a static nonce).

use std::path::{Path, PathBuf};

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Response, StatusCode, header};
use axum::response::IntoResponse;
use tower::ServiceBuilder;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::routes::callback::csp_hash;
use crate::state::AppState;

/// The served app: a folder with an index.html and that page's CSP, or nothing.
#[derive(Debug, Clone)]
pub struct StaticSite {
    /// The folder, when it holds an index.html.
    pub dist: Option<PathBuf>,
    /// The app's Content-Security-Policy.
    pub csp: HeaderValue,
}

/// The contents of each inline `<tag>…</tag>` block (those without a `src` attribute).
pub fn inline_blocks<'a>(html: &'a str, tag: &str) -> Vec<&'a str> {
    let lower = html.to_ascii_lowercase();
    let open = format!("<{tag}");
    let close = format!("</{tag}");
    let mut blocks = Vec::new();
    let mut from = 0;
    while let Some(start) = lower[from..].find(&open).map(|i| i + from) {
        let after_name = start + open.len();
        // `<scripts>` or `<style-x>` are other elements.
        if !lower[after_name..].starts_with(|c: char| c == '>' || c.is_ascii_whitespace()) {
            from = after_name;
            continue;
        }
        let Some(tag_end) = lower[after_name..].find('>').map(|i| i + after_name) else {
            break;
        };
        let attributes = &lower[after_name..tag_end];
        let Some(end) = lower[tag_end..].find(&close).map(|i| i + tag_end) else {
            break;
        };
        let has_src = attributes
            .split(|c: char| c.is_ascii_whitespace())
            .any(|attr| attr == "src" || attr.starts_with("src="));
        if !has_src {
            blocks.push(&html[tag_end + 1..end]);
        }
        from = end + close.len();
    }
    blocks
}

/// The app page's Content-Security-Policy for this index.html.
pub fn app_csp(index_html: &str, connect_origins: &[String]) -> String {
    let script_hashes: Vec<String> = inline_blocks(index_html, "script")
        .into_iter()
        .map(csp_hash)
        .collect();
    let style_hashes: Vec<String> = inline_blocks(index_html, "style")
        .into_iter()
        .map(csp_hash)
        .collect();
    let join = |first: &str, rest: &[String]| {
        std::iter::once(first.to_owned())
            .chain(rest.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!(
        "default-src 'self'; script-src {}; style-src {}; img-src 'self' data:; connect-src {}; \
         object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        join("'self' 'wasm-unsafe-eval'", &script_hashes),
        join("'self'", &style_hashes),
        join("'self'", connect_origins),
    )
}

impl StaticSite {
    /// Reads `dist/index.html` (if there is one) and computes the CSP.
    pub fn load(dist: Option<&Path>, connect_origins: &[String]) -> Self {
        let index = dist.map(|dir| (dir, dir.join("index.html")));
        let loaded = index.and_then(|(dir, index)| match std::fs::read_to_string(&index) {
            Ok(html) => Some((dir.to_path_buf(), html)),
            Err(err) => {
                tracing::warn!(
                    path = %index.display(),
                    error = %err,
                    "the app is not built there; serving build instructions instead"
                );
                None
            }
        });
        let csp = app_csp(
            loaded.as_ref().map_or("", |(_, html)| html.as_str()),
            connect_origins,
        );
        Self {
            dist: loaded.map(|(dir, _)| dir),
            csp: HeaderValue::from_str(&csp)
                .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'")),
        }
    }
}

const NOT_BUILT: &str = "OAuth Token Wizard relay\n\n\
The wizard app is not built, or the relay was not told where it is.\n\n\
Build it and start the relay with it:\n\n    \
cargo xtask run\n\n\
or by hand:\n\n    \
trunk build --release\n    \
cargo run -p relay -- --dist dist\n\n\
The relay's API (/api/*) and the callback page (/callback) work without the app.\n";

async fn app_not_built() -> impl IntoResponse {
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        NOT_BUILT,
    )
}

/// Cache HTML (the entry point) for no time, so a rebuilt app is picked up.
fn html_cache_control<B>(response: &Response<B>) -> Option<HeaderValue> {
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    is_html.then(|| HeaderValue::from_static("no-cache"))
}

/// Adds the app (or the build instructions) as the router's fallback.
pub fn with_app_fallback(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    let Some(dist) = state.static_site.dist.clone() else {
        return router.fallback(app_not_built);
    };
    // `cargo xtask build-app` writes a `.br` and a `.gz` beside each file; they are sent to
    // browsers that accept them (the wasm: about 1.2 MB raw, 0.5 MB compressed).
    let index = ServeFile::new(dist.join("index.html"))
        .precompressed_br()
        .precompressed_gzip();
    let serve = ServeDir::new(&dist)
        .append_index_html_on_directories(true)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(index);
    let service = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            state.static_site.csp.clone(),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin-allow-popups"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            html_cache_control,
        ))
        // The answer depends on it (a precompressed copy or not), so caches must key on it.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::VARY,
            HeaderValue::from_static("accept-encoding"),
        ))
        // Only the app's public files come compressed, never the API: /api/proxy envelopes carry
        // tokens next to text an attacker can influence (an upstream error echoing a
        // parameter), and compressing both in one body lets the response length reveal the
        // secret (BREACH). The same goes for /api/pickup and its authorization code.
        .service(serve);
    router.fallback_service(service)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_found_and_external_ones_skipped() {
        let html = r#"<html><head><script type="module">import init from './app.js'; init();</script>
            <script src="/x.js"></script><SCRIPT>b()</SCRIPT><scripts>no</scripts>
            <style>body{}</style><link rel="stylesheet" href="a.css"></head></html>"#;
        assert_eq!(
            inline_blocks(html, "script"),
            vec!["import init from './app.js'; init();", "b()"]
        );
        assert_eq!(inline_blocks(html, "style"), vec!["body{}"]);
    }

    #[test]
    fn csp_carries_hashes_and_connect_origins() {
        let csp = app_csp("<script>a()</script>", &["https://relay.example".into()]);
        assert!(csp.contains(&format!(
            "script-src 'self' 'wasm-unsafe-eval' {}",
            csp_hash("a()")
        )));
        assert!(csp.contains("connect-src 'self' https://relay.example;"));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(csp.contains("object-src 'none'"));
    }
}
