//! Which loopback address and port `otw login` listens on for a redirect URI — the relay's rule
//! (RFC 8252 §7.3): an explicit port → that port; no port and no path → a free port (the redirect
//! URI then names it); no port and a path → 80.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Where to listen for one redirect URI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listen {
    /// The address to bind (`localhost` binds 127.0.0.1).
    pub bind: IpAddr,
    /// The port; 0 for "any free port".
    pub port: u16,
    /// The path the browser will request.
    pub path: String,
    /// The redirect URI up to the authority (`http://localhost`), then `rest`.
    origin_without_port: String,
    rest: String,
    /// Whether the port goes into the URI (explicit or chosen; not for the default port 80).
    port_in_uri: bool,
}

impl Listen {
    /// The exact redirect URI to send, with the port actually bound.
    pub fn redirect_uri(&self, bound_port: u16) -> String {
        if self.port_in_uri {
            format!("{}:{bound_port}{}", self.origin_without_port, self.rest)
        } else {
            format!("{}{}", self.origin_without_port, self.rest)
        }
    }
}

/// The listener for `uri`: `Ok(None)` when it is not `http://` on a loopback host (then the
/// user pastes the address the browser shows), `Err` when it is not a usable URI.
pub fn plan(uri: &str) -> Result<Option<Listen>, String> {
    let parsed = url::Url::parse(uri).map_err(|error| {
        format!("the redirect URI `{uri}` is not a valid URL ({error}); write e.g. http://127.0.0.1:8765/callback")
    })?;
    if parsed.fragment().is_some() {
        return Err("a redirect URI cannot contain a `#` fragment".to_owned());
    }
    if parsed.scheme() != "http" || !crate::http::is_loopback_host(&parsed) {
        return Ok(None);
    }
    let bind = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
        _ => IpAddr::V4(Ipv4Addr::LOCALHOST),
    };
    // The URL parser adds a `/` path to `http://host`, so the rule reads the text as written.
    let after_scheme = &uri[uri.find("://").map_or(0, |index| index + 3)..];
    let authority_end = after_scheme.find(['/', '?']).unwrap_or(after_scheme.len());
    let rest = &after_scheme[authority_end..];
    let host = match parsed.host() {
        Some(url::Host::Ipv6(ip)) if ip == Ipv6Addr::LOCALHOST => "[::1]".to_owned(),
        Some(host) => host.to_string(),
        None => "localhost".to_owned(),
    };
    let (port, port_in_uri) = match parsed.port() {
        Some(port) => (port, true),
        None if rest.is_empty() => (0, true),
        None => (80, false),
    };
    Ok(Some(Listen {
        bind,
        port,
        path: parsed.path().to_owned(),
        origin_without_port: format!("http://{host}"),
        rest: rest.to_owned(),
        port_in_uri,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_port_is_that_port() {
        let listen = plan("http://localhost:8765/cb").unwrap().unwrap();
        assert_eq!(listen.bind, IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(listen.port, 8765);
        assert_eq!(listen.path, "/cb");
        assert_eq!(listen.redirect_uri(8765), "http://localhost:8765/cb");
    }

    #[test]
    fn no_port_no_path_is_a_free_port_named_in_the_uri() {
        let listen = plan("http://127.0.0.1").unwrap().unwrap();
        assert_eq!(listen.port, 0);
        assert_eq!(listen.path, "/");
        assert_eq!(listen.redirect_uri(49152), "http://127.0.0.1:49152");
    }

    #[test]
    fn no_port_with_a_path_is_port_80() {
        let listen = plan("http://localhost/").unwrap().unwrap();
        assert_eq!(listen.port, 80);
        assert_eq!(listen.redirect_uri(80), "http://localhost/");
        let listen = plan("http://127.0.0.1/oauth/cb?x=1").unwrap().unwrap();
        assert_eq!((listen.port, listen.path.as_str()), (80, "/oauth/cb"));
        assert_eq!(listen.redirect_uri(80), "http://127.0.0.1/oauth/cb?x=1");
    }

    #[test]
    fn ipv6_loopback() {
        let listen = plan("http://[::1]:9000/cb").unwrap().unwrap();
        assert_eq!(listen.bind, IpAddr::V6(Ipv6Addr::LOCALHOST));
        assert_eq!(listen.redirect_uri(9000), "http://[::1]:9000/cb");
    }

    #[test]
    fn elsewhere_means_paste() {
        assert_eq!(plan("https://localhost:8765/cb").unwrap(), None);
        assert_eq!(plan("https://app.example.com/callback").unwrap(), None);
        assert_eq!(plan("http://10.0.0.1:8080/cb").unwrap(), None);
    }

    #[test]
    fn broken_uris_are_refused_with_words() {
        assert!(plan("/callback").unwrap_err().contains("not a valid URL"));
        assert!(
            plan("http://localhost:8765/cb#x")
                .unwrap_err()
                .contains("fragment")
        );
    }
}
