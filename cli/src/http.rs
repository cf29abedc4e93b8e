//! Sending the engine's requests: ureq (blocking, rustls), no redirects, no proxy from the
//! environment, a time-out; https only, except to this machine's loopback addresses.
//!
//! The client is built only when a request is sent, so printing a cached token sets up no TLS.

use std::net::IpAddr;
use std::time::Duration;

use engine::request::HttpRequest;
use engine::settings::HttpMethod;

use crate::error::{Error, Result};

/// How long one token-endpoint call may take, start to end.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest token response read (a token response is a few kilobytes).
const MAX_BODY: u64 = 1024 * 1024;

/// What a token endpoint answered.
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`, if sent.
    pub content_type: Option<String>,
    /// The body as text.
    pub body: String,
}

/// The request's URL without its query (which may carry secrets), for messages.
pub fn shown_url(url: &str) -> String {
    url.split(['?', '#']).next().unwrap_or_default().to_owned()
}

/// Whether `url` may carry secrets: `https`, or plain `http` to a loopback address.
pub fn check_endpoint(url: &str) -> Result<()> {
    let insecure = || Error::InsecureEndpoint {
        url: shown_url(url),
    };
    let parsed = url::Url::parse(url).map_err(|_| insecure())?;
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if is_loopback_host(&parsed) => Ok(()),
        _ => Err(insecure()),
    }
}

/// `localhost`, `127.x.x.x` or `[::1]`.
pub fn is_loopback_host(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Sends `request` and reads the answer, whatever its status.
pub fn send(request: &HttpRequest) -> Result<Answer> {
    check_endpoint(&request.url)?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .max_redirects(0)
        .proxy(None)
        .http_status_as_error(false)
        .timeout_global(Some(REQUEST_TIMEOUT))
        .user_agent(concat!("otw/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let network = |error: ureq::Error| Error::Network {
        url: shown_url(&request.url),
        detail: network_detail(&error),
    };
    let mut response = match request.method {
        HttpMethod::Get => {
            let mut builder = agent.get(&request.url);
            for (name, value) in &request.headers {
                builder = builder.header(name, value);
            }
            builder.call().map_err(network)?
        }
        HttpMethod::Post => {
            let mut builder = agent.post(&request.url);
            for (name, value) in &request.headers {
                builder = builder.header(name, value);
            }
            builder
                .send(request.body.as_deref().unwrap_or_default())
                .map_err(network)?
        }
    };
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_BODY)
        .read_to_string()
        .map_err(network)?;
    Ok(Answer {
        status,
        content_type,
        body,
    })
}

/// ureq's error in a user's words; its messages name hosts and causes, never request contents.
fn network_detail(error: &ureq::Error) -> String {
    match error {
        ureq::Error::Timeout(_) => {
            format!("no complete answer within {} s", REQUEST_TIMEOUT.as_secs())
        }
        ureq::Error::Io(io) => io.to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_or_loopback_only() {
        assert!(check_endpoint("https://oauth2.example.com/token").is_ok());
        assert!(check_endpoint("http://127.0.0.1:8080/token").is_ok());
        assert!(check_endpoint("http://127.9.9.9/token").is_ok());
        assert!(check_endpoint("http://[::1]:9/token").is_ok());
        assert!(check_endpoint("http://localhost:9/token").is_ok());
        let refused = check_endpoint("http://oauth2.example.com/token?secret=x").unwrap_err();
        let message = refused.to_string();
        assert!(
            message.contains("http://oauth2.example.com/token"),
            "{message}"
        );
        assert!(
            !message.contains("secret=x"),
            "the query is not shown: {message}"
        );
        assert_eq!(refused.exit_code(), crate::error::EXIT_USAGE);
        assert!(check_endpoint("http://10.0.0.1/token").is_err());
        assert!(check_endpoint("ftp://localhost/token").is_err());
        assert!(check_endpoint("http://localhost.example.com/token").is_err());
    }
}
