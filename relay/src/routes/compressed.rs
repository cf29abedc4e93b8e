//! Compressed copies of the app's files, made once per file version and then served from
//! memory.
//!
//! `tower-http`'s `CompressionLayer` compresses on every request: about 30 ms of CPU (brotli) to
//! 60 ms (gzip) for the 1.2 MB wasm on each uncached page load, more than sending it raw over
//! loopback takes. This layer sits outside it and keeps the finished bytes per
//! (file, encoding), checked against the file's size and modification time on every hit, so a
//! rebuilt file is compressed afresh.
//!
//! Bounded on purpose: only files found in `--dist` at start (with plain URL-safe names) are
//! kept, files over [`MAX_FILE`] are streamed as before, and at most [`MAX_TOTAL`] bytes are
//! held. Unknown paths (the single-page-app fallback to index.html) are compressed per request
//! and never stored, so no request can grow the cache.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::SystemTime;

use axum::body::{Body, Bytes, HttpBody};
use axum::http::{HeaderValue, Method, Request, Response, StatusCode, header};
use axum::response::IntoResponse;
use http_body_util::BodyExt;
use tower::{Layer, Service};

use crate::error::AppError;

/// Largest file whose compressed form is kept (bigger ones are compressed as they stream).
pub const MAX_FILE: u64 = 8 * 1024 * 1024;
/// Most compressed bytes kept in all.
pub const MAX_TOTAL: usize = 32 * 1024 * 1024;
/// Most files listed at start (a `--dist` pointing at a huge folder lists only this many).
const MAX_LISTED: usize = 4096;
/// How deep the listing goes below `--dist`.
const MAX_DEPTH: usize = 4;

/// One kept answer body.
struct Entry {
    modified: SystemTime,
    len: u64,
    body: Bytes,
}

/// What the layer knows: the listed files and the kept bodies.
struct Cache {
    dist: PathBuf,
    /// URL paths (`/app_bg.wasm`) of the files found at start.
    files: HashSet<String>,
    /// (URL path, content-encoding) → body.
    entries: Mutex<HashMap<(String, HeaderValue), Entry>>,
}

/// Keeps compressed static files; see the module documentation.
#[derive(Clone)]
pub struct CompressedCacheLayer {
    cache: Arc<Cache>,
}

impl CompressedCacheLayer {
    /// Lists the files in `dist` (index.html is also `/`).
    pub fn new(dist: &Path) -> Self {
        let mut files = HashSet::new();
        list_files(dist, "", 0, &mut files);
        if files.contains("/index.html") {
            files.insert("/".to_owned());
        }
        Self {
            cache: Arc::new(Cache {
                dist: dist.to_path_buf(),
                files,
                entries: Mutex::new(HashMap::new()),
            }),
        }
    }
}

/// True for names that read the same in a URL path (nothing to percent-encode).
fn url_safe(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn list_files(dir: &Path, prefix: &str, depth: usize, files: &mut HashSet<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if files.len() >= MAX_LISTED {
            return;
        }
        let name = entry.file_name();
        let Some(name) = name.to_str().filter(|n| url_safe(n)) else {
            continue;
        };
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = format!("{prefix}/{name}");
        if kind.is_file() {
            files.insert(path);
        } else if kind.is_dir() && depth < MAX_DEPTH {
            list_files(&entry.path(), &path, depth + 1, files);
        }
    }
}

impl<S> Layer<S> for CompressedCacheLayer {
    type Service = CompressedCache<S>;

    fn layer(&self, inner: S) -> CompressedCache<S> {
        CompressedCache {
            inner,
            cache: self.cache.clone(),
        }
    }
}

/// The service of [`CompressedCacheLayer`].
#[derive(Clone)]
pub struct CompressedCache<S> {
    inner: S,
    cache: Arc<Cache>,
}

type BoxFuture = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for CompressedCache<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send,
    ReqBody: Send + 'static,
    ResBody: HttpBody<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<axum::BoxError>,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> BoxFuture {
        let path = request.uri().path();
        let keepable = request.method() == Method::GET
            && !request.headers().contains_key(header::RANGE)
            && self.cache.files.contains(path);
        let path = keepable.then(|| path.to_owned());
        // The clone is the fresh service; `self.inner` was the one polled ready.
        let fresh = self.inner.clone();
        let mut ready = std::mem::replace(&mut self.inner, fresh);
        let cache = self.cache.clone();
        Box::pin(async move {
            let response = ready.call(request).await?;
            match path {
                Some(path) => Ok(kept_or_keep(&cache, path, response).await),
                None => Ok(response.map(Body::new)),
            }
        })
    }
}

/// Answers from the kept body when it is still the file's, or reads (compresses) the body once
/// and keeps it. Anything unusual passes through unchanged.
async fn kept_or_keep<B>(cache: &Cache, path: String, response: Response<B>) -> Response<Body>
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    let encoding = response.headers().get(header::CONTENT_ENCODING).cloned();
    let Some(encoding) = encoding.filter(|_| response.status() == StatusCode::OK) else {
        return response.map(Body::new);
    };
    let file = match path.as_str() {
        "/" => cache.dist.join("index.html"),
        other => cache.dist.join(other.trim_start_matches('/')),
    };
    let Ok(meta) = tokio::fs::metadata(&file).await else {
        return response.map(Body::new);
    };
    let (Ok(modified), len) = (meta.modified(), meta.len()) else {
        return response.map(Body::new);
    };
    if len > MAX_FILE {
        return response.map(Body::new);
    }
    let key = (path, encoding);
    let kept = {
        let entries = cache
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        entries
            .get(&key)
            .filter(|entry| entry.modified == modified && entry.len == len)
            .map(|entry| entry.body.clone())
    };
    let (mut parts, body) = response.into_parts();
    let body = match kept {
        // The fresh body is dropped unread: nothing is compressed.
        Some(body) => body,
        None => match body.collect().await {
            Ok(collected) => {
                let body = collected.to_bytes();
                let mut entries = cache
                    .entries
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                let held: usize = entries
                    .iter()
                    .filter(|(k, _)| **k != key)
                    .map(|(_, entry)| entry.body.len())
                    .sum();
                if held + body.len() <= MAX_TOTAL {
                    entries.insert(
                        key,
                        Entry {
                            modified,
                            len,
                            body: body.clone(),
                        },
                    );
                }
                body
            }
            Err(_) => return AppError::internal().into_response(),
        },
    };
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_are_listed() {
        assert!(url_safe("app-4bb79a421638a01f_bg.wasm"));
        assert!(url_safe("style.css"));
        assert!(!url_safe(".hidden"));
        assert!(!url_safe("with space.js"));
        assert!(!url_safe("caf\u{e9}.js"));
        assert!(!url_safe("%2e%2e"));
    }

    #[test]
    fn listing_finds_nested_files_and_maps_the_root_to_index() {
        let dir = std::env::temp_dir().join(format!("relay-compressed-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("snippets/x")).unwrap();
        std::fs::write(dir.join("index.html"), "<html></html>").unwrap();
        std::fs::write(dir.join("snippets/x/a.js"), "a").unwrap();
        std::fs::write(dir.join("odd name.js"), "b").unwrap();
        let layer = CompressedCacheLayer::new(&dir);
        let mut files: Vec<&str> = layer.cache.files.iter().map(String::as_str).collect();
        files.sort_unstable();
        assert_eq!(files, vec!["/", "/index.html", "/snippets/x/a.js"]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
