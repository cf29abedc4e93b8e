//! A minimal plain-HTTP client for loopback: chromedriver's `/status`, the relay's `/healthz` and
//! the mock provider's own tests. No TLS, no proxy, and redirects are returned, not followed (a
//! test wants to see the provider's 302).

use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::{E2eError, Result};

/// How long one request may take before it counts as failed.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A complete HTTP answer.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body as text (lossy UTF-8).
    pub body: String,
}

impl Answer {
    /// A header's value, when present and readable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends one request and reads the whole answer.
pub async fn send(
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<String>,
) -> Result<Answer> {
    let failed = |message: String| E2eError::Http {
        url: url.to_owned(),
        message,
    };
    let mut request = Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .map_err(|e| failed(format!("invalid request: {e}")))?;
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let exchange = async {
        let response = client
            .request(request)
            .await
            .map_err(|e| failed(e.to_string()))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| failed(format!("reading the body: {e}")))?
            .to_bytes();
        Ok(Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        })
    };
    tokio::time::timeout(TIMEOUT, exchange)
        .await
        .map_err(|_| failed(format!("no answer within {} s", TIMEOUT.as_secs())))?
}

/// `GET url`.
pub async fn get(url: &str) -> Result<Answer> {
    send(Method::GET, url, &[], None).await
}

/// `POST url` with a form-encoded body and optional extra headers.
pub async fn post_form(url: &str, headers: &[(&str, &str)], body: String) -> Result<Answer> {
    let mut all = vec![("content-type", "application/x-www-form-urlencoded")];
    all.extend_from_slice(headers);
    send(Method::POST, url, &all, Some(body)).await
}
