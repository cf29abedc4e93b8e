//! A plain static web server for the built wizard under a sub-path, `http://127.0.0.1:<port>/wizard/`:
//! the wizard hosted the way static sites are (GitHub Pages and the like), on an origin of its own,
//! with no relay behind it — no `/api/*`, no `/callback`, no CSP. Every other path is a 404.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::oneshot;

use crate::{E2eError, Result};

/// Where the wizard lives on the site.
const PREFIX: &str = "/wizard/";

/// A running static site. Dropping it stops the server.
pub struct StaticSite {
    origin: String,
    shutdown: Option<oneshot::Sender<()>>,
}

impl StaticSite {
    /// Serves `dist` under [`PREFIX`] on a free port of `127.0.0.1`. Must be called inside a
    /// Tokio runtime; the port accepts connections when this returns.
    pub async fn start(dist: &Path) -> Result<StaticSite> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|source| E2eError::Io {
                doing: "binding the static site's port".to_owned(),
                source,
            })?;
        let address = listener.local_addr().map_err(|source| E2eError::Io {
            doing: "reading the static site's port".to_owned(),
            source,
        })?;
        let app = Router::new()
            .fallback(serve_file)
            .with_state(Arc::new(dist.to_path_buf()));
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            if let Err(e) = served {
                eprintln!("the static site stopped with an error: {e}");
            }
        });
        Ok(StaticSite {
            origin: format!("http://{address}"),
            shutdown: Some(shutdown),
        })
    }

    /// `http://127.0.0.1:<port>`: the origin the wizard runs on.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The wizard's address: `http://127.0.0.1:<port>/wizard/`.
    pub fn app_url(&self) -> String {
        format!("{}{PREFIX}", self.origin)
    }
}

impl Drop for StaticSite {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// The file of `dist` the path names; only plain names below [`PREFIX`], never `..`.
fn file_for(dist: &Path, path: &str) -> Option<PathBuf> {
    let relative = path.strip_prefix(PREFIX)?;
    let relative = if relative.is_empty() {
        "index.html"
    } else {
        relative
    };
    let plain = relative.split('/').all(|part| {
        !part.is_empty()
            && part != "."
            && part != ".."
            && !part.contains(['\\', '%'])
            && !part.starts_with('.')
    });
    plain.then(|| dist.join(relative))
}

/// What a static host says the file is; `application/wasm` matters for streaming compilation.
fn content_type(path: &Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
    {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" | "webmanifest" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

async fn serve_file(State(dist): State<Arc<PathBuf>>, uri: Uri) -> Response {
    let Some(file) = file_for(&dist, uri.path()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let kind = content_type(&file);
    let read = tokio::task::spawn_blocking(move || std::fs::read(file)).await;
    match read {
        Ok(Ok(bytes)) => ([(header::CONTENT_TYPE, kind)], bytes).into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_below_the_prefix_are_files() {
        let dist = Path::new("/dist");
        assert_eq!(
            file_for(dist, "/wizard/"),
            Some(PathBuf::from("/dist/index.html"))
        );
        assert_eq!(
            file_for(dist, "/wizard/app_bg.wasm"),
            Some(PathBuf::from("/dist/app_bg.wasm"))
        );
        for refused in [
            "/",
            "/api/config",
            "/callback",
            "/wizard/../secret",
            "/wizard/a//b",
            "/wizard/%2e%2e/secret",
            "/wizard/.hidden",
        ] {
            assert_eq!(file_for(dist, refused), None, "{refused}");
        }
    }

    #[test]
    fn wasm_is_served_as_wasm() {
        assert_eq!(content_type(Path::new("a_bg.wasm")), "application/wasm");
        assert_eq!(
            content_type(Path::new("index.html")),
            "text/html; charset=utf-8"
        );
    }
}
