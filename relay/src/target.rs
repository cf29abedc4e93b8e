//! Which upstream URLs the token proxy may call.
//!
//! The check runs on the *parsed* `url::Url`, never on the string: WHATWG parsing turns
//! `0x7f000001`, `2130706433`, `0177.0.0.1`, `127.1` and full-width digits into
//! `Host::Ipv4(127.0.0.1)`, and the same `Url` value (serialized) is what the proxy then connects to.
//! IP literals are checked here because hyper's connector never asks the DNS resolver about
//! them; names are checked again at connect time by [`crate::resolver`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

use ipnet::{Ipv4Net, Ipv6Net};
use url::{Host, Url};

/// Longest target URL accepted, in bytes.
pub const MAX_URL_LEN: usize = 2048;

/// IPv4 ranges that are not globally reachable (IANA special-purpose registry).
static DENIED_V4: LazyLock<Vec<Ipv4Net>> = LazyLock::new(|| {
    [
        "0.0.0.0/8",       // "this network", includes 0.0.0.0
        "10.0.0.0/8",      // private
        "100.64.0.0/10",   // CGNAT, includes Alibaba's metadata 100.100.100.200
        "127.0.0.0/8",     // loopback
        "169.254.0.0/16",  // link-local, includes cloud metadata 169.254.169.254
        "172.16.0.0/12",   // private
        "192.0.0.0/24",    // IETF protocol assignments
        "192.0.2.0/24",    // TEST-NET-1
        "192.88.99.0/24",  // 6to4 relay anycast
        "192.168.0.0/16",  // private
        "198.18.0.0/15",   // benchmarking
        "198.51.100.0/24", // TEST-NET-2
        "203.0.113.0/24",  // TEST-NET-3
        "224.0.0.0/4",     // multicast
        "240.0.0.0/4",     // reserved, includes broadcast
    ]
    .iter()
    .map(|net| net.parse().expect("the built-in IPv4 deny list is valid"))
    .collect()
});

/// IPv6 ranges that are not globally reachable, or that embed an IPv4 address a gateway would
/// reach (mapped, NAT64, 6to4), which are refused whole.
static DENIED_V6: LazyLock<Vec<Ipv6Net>> = LazyLock::new(|| {
    [
        "::/96",           // unspecified, loopback and deprecated IPv4-compatible addresses
        "::ffff:0:0/96",   // IPv4-mapped
        "::ffff:0:0:0/96", // IPv4-translated (RFC 2765)
        "64:ff9b::/96",    // NAT64 well-known prefix
        "64:ff9b:1::/48",  // NAT64 local-use prefix
        "100::/64",        // discard-only
        "2001::/23",       // IETF protocol assignments, includes Teredo 2001::/32
        "2001:db8::/32",   // documentation
        "2002::/16",       // 6to4
        "fc00::/7",        // unique local, includes AWS IMDS fd00:ec2::254
        "fe80::/10",       // link-local
        "fec0::/10",       // site-local (deprecated)
        "ff00::/8",        // multicast
    ]
    .iter()
    .map(|net| net.parse().expect("the built-in IPv6 deny list is valid"))
    .collect()
});

/// The only IPv6 block that holds global unicast addresses; anything outside it is refused.
static GLOBAL_UNICAST_V6: LazyLock<Ipv6Net> =
    LazyLock::new(|| "2000::/3".parse().expect("2000::/3 is a valid network"));

/// True if `ip` must never be a proxy target (loopback, private, link-local, CGNAT, metadata,
/// multicast, documentation, or an IPv6 form that embeds IPv4).
pub fn is_denied_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_denied_v4(v4),
        IpAddr::V6(v6) => is_denied_v6(v6),
    }
}

fn is_denied_v4(ip: Ipv4Addr) -> bool {
    DENIED_V4.iter().any(|net| net.contains(&ip))
}

fn is_denied_v6(ip: Ipv6Addr) -> bool {
    if embedded_ipv4(ip).is_some_and(is_denied_v4) {
        return true;
    }
    !GLOBAL_UNICAST_V6.contains(&ip) || DENIED_V6.iter().any(|net| net.contains(&ip))
}

/// The IPv4 address an IPv6 address carries, for mapped, compatible, NAT64 and 6to4 forms.
pub fn embedded_ipv4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let seg = ip.segments();
    let octets = ip.octets();
    let tail = Ipv4Addr::new(octets[12], octets[13], octets[14], octets[15]);
    match seg {
        // 6to4: 2002:AABB:CCDD::/48 carries AA.BB.CC.DD.
        [0x2002, ..] => Some(Ipv4Addr::new(octets[2], octets[3], octets[4], octets[5])),
        // NAT64 well-known and local-use prefixes put the IPv4 address in the last 32 bits.
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] | [0x64, 0xff9b, 1, ..] => Some(tail),
        // Deprecated IPv4-compatible ::a.b.c.d (but not :: and ::1 themselves).
        [0, 0, 0, 0, 0, 0, hi, _] if hi != 0 => Some(tail),
        _ => None,
    }
}

/// One label of a [`HostPattern`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Label {
    /// Matches this label exactly (lower case).
    Literal(String),
    /// `*`: matches one or more whole labels.
    Wildcard,
}

/// An allowlist entry: a host name whose labels may be `*`, each standing for one or more
/// labels. `oauth2.example.com` matches only itself; `*.example.com` matches
/// `a.example.com` and `a.b.example.com` but not `example.com`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    labels: Vec<Label>,
}

/// Why an allowlist entry could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a host pattern: use a host name such as `oauth2.example.com` or `*.example.com`"
)]
pub struct HostPatternError(pub String);

impl HostPattern {
    /// Reads a pattern (case-insensitive, a trailing dot is ignored). At least one label must
    /// be literal, so `*` alone (which would allow every host) is refused.
    pub fn parse(text: &str) -> Result<Self, HostPatternError> {
        let lower = text.trim().trim_end_matches('.').to_ascii_lowercase();
        let valid_label = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        let mut labels = Vec::new();
        for label in lower.split('.') {
            if label == "*" {
                labels.push(Label::Wildcard);
            } else if valid_label(label) {
                labels.push(Label::Literal(label.to_owned()));
            } else {
                return Err(HostPatternError(text.to_owned()));
            }
        }
        if lower.len() > 253 || !labels.iter().any(|l| matches!(l, Label::Literal(_))) {
            return Err(HostPatternError(text.to_owned()));
        }
        Ok(Self { labels })
    }

    /// True if `host` (as `Url::host_str` gives it) matches.
    pub fn matches(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let labels: Vec<&str> = host.split('.').collect();
        if labels.len() > 127 {
            return false;
        }
        match_labels(&self.labels, &labels)
    }
}

fn match_labels(pattern: &[Label], host: &[&str]) -> bool {
    match pattern.split_first() {
        None => host.is_empty(),
        Some((Label::Literal(want), rest)) => {
            host.first().is_some_and(|got| got == want) && match_labels(rest, &host[1..])
        }
        Some((Label::Wildcard, rest)) => (1..=host.len()).any(|n| match_labels(rest, &host[n..])),
    }
}

impl std::fmt::Display for HostPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text: Vec<&str> = self
            .labels
            .iter()
            .map(|label| match label {
                Label::Literal(name) => name.as_str(),
                Label::Wildcard => "*",
            })
            .collect();
        f.write_str(&text.join("."))
    }
}

/// The rules a target URL must follow.
#[derive(Debug, Clone)]
pub struct TargetPolicy {
    /// Lifts the https-only and public-address rules (local development against a local provider).
    pub allow_private: bool,
    /// Ports that may be called (443 by default).
    pub allowed_ports: Vec<u16>,
    /// When set, only hosts matching one of these patterns may be called.
    pub host_allowlist: Option<Vec<HostPattern>>,
}

impl TargetPolicy {
    /// The strictest policy: https on port 443 to any public host.
    pub fn public_https() -> Self {
        Self {
            allow_private: false,
            allowed_ports: vec![443],
            host_allowlist: None,
        }
    }
}

/// Why a target URL is not called. The display never repeats the URL's path or query, which may
/// carry secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Longer than [`MAX_URL_LEN`].
    #[error("the target URL is longer than {MAX_URL_LEN} characters")]
    TooLong,
    /// Contains whitespace or control characters (which parsers silently drop).
    #[error("the target URL contains spaces, tabs, line breaks or other control characters")]
    ControlCharacters,
    /// Not a URL at all.
    #[error("the target URL is not a valid absolute URL ({0})")]
    Invalid(String),
    /// Not `https` (or, with private targets allowed, not `http`/`https`).
    #[error("the target URL must start with https:// (it uses `{0}`)")]
    Scheme(String),
    /// Contains `user:password@`.
    #[error("the target URL must not contain a user name or password before the host")]
    Userinfo,
    /// Contains `#fragment`.
    #[error("the target URL must not contain a `#` fragment")]
    Fragment,
    /// Has no host.
    #[error("the target URL has no host")]
    NoHost,
    /// A host with characters other than ASCII (the relay carries no Unicode tables to convert
    /// them, see `idna_adapter` in the workspace manifest).
    #[error(
        "the target URL's host may hold only ASCII letters, digits, `-` and `.`: write an \
         internationalised name in its `xn--` form"
    )]
    NonAsciiHost,
    /// Uses a port that is not on the list.
    #[error("port {port} is not allowed for targets (allowed: {allowed})")]
    Port {
        /// The port asked for.
        port: u16,
        /// The allowed ports, comma-separated.
        allowed: String,
    },
    /// An IP literal (in any spelling) that is not a public address.
    #[error("{0} is not a public address, so the relay will not call it")]
    PrivateAddress(IpAddr),
    /// A name reserved for the local machine (`localhost`, `*.localhost`).
    #[error("`{0}` names this machine, so the relay will not call it")]
    LocalName(String),
    /// Not on the operator's allowlist.
    #[error("`{0}` is not on this relay's list of allowed token hosts")]
    HostNotAllowed(String),
}

impl TargetError {
    /// True for policy refusals (403); false for URLs that are malformed (400).
    pub fn is_refusal(&self) -> bool {
        !matches!(
            self,
            Self::TooLong
                | Self::ControlCharacters
                | Self::Invalid(_)
                | Self::NoHost
                | Self::NonAsciiHost
        )
    }
}

/// The hosts the bundled presets' token and refresh calls go to (`presets::token_host_patterns`),
/// one pattern a line. Generated data, so that the relay does not link the presets or the engine:
/// the presets' test `the_relays_token_host_list_is_current` checks it and rewrites it with
/// `UPDATE_TOKEN_HOSTS=1 cargo test -p presets`.
const PRESET_TOKEN_HOSTS: &str = include_str!("preset_token_hosts.txt");

/// The presets' token-host patterns (see [`PRESET_TOKEN_HOSTS`]).
pub fn preset_token_hosts() -> impl Iterator<Item = &'static str> {
    PRESET_TOKEN_HOSTS
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
}

/// Parses `raw` and checks it against `policy`; the returned `Url` is the one to call.
pub fn validate_target(raw: &str, policy: &TargetPolicy) -> Result<Url, TargetError> {
    if raw.len() > MAX_URL_LEN {
        return Err(TargetError::TooLong);
    }
    if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(TargetError::ControlCharacters);
    }
    let url = Url::parse(raw).map_err(|e| match e {
        url::ParseError::IdnaError if !raw.is_ascii() => TargetError::NonAsciiHost,
        other => TargetError::Invalid(other.to_string()),
    })?;
    match url.scheme() {
        "https" => {}
        "http" if policy.allow_private => {}
        other => return Err(TargetError::Scheme(other.to_owned())),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(TargetError::Userinfo);
    }
    if url.fragment().is_some() {
        return Err(TargetError::Fragment);
    }
    let port = url.port_or_known_default().ok_or(TargetError::NoHost)?;
    let host = url.host().ok_or(TargetError::NoHost)?;
    // A development provider on this machine or network runs on whatever port it likes; the
    // port rule keeps guarding public hosts.
    let local_target = policy.allow_private
        && match &host {
            Host::Ipv4(ip) => is_denied_v4(*ip),
            Host::Ipv6(ip) => is_denied_v6(*ip),
            Host::Domain(name) => is_local_name(name),
        };
    if !local_target && !policy.allowed_ports.contains(&port) {
        let allowed = policy
            .allowed_ports
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        return Err(TargetError::Port { port, allowed });
    }
    if !policy.allow_private {
        match &host {
            Host::Ipv4(ip) if is_denied_v4(*ip) => {
                return Err(TargetError::PrivateAddress(IpAddr::V4(*ip)));
            }
            Host::Ipv6(ip) if is_denied_v6(*ip) => {
                return Err(TargetError::PrivateAddress(IpAddr::V6(*ip)));
            }
            Host::Domain(name) if is_local_name(name) => {
                return Err(TargetError::LocalName((*name).to_owned()));
            }
            _ => {}
        }
    }
    let host_text = url.host_str().ok_or(TargetError::NoHost)?;
    if let Some(patterns) = &policy.host_allowlist
        && !patterns.iter().any(|p| p.matches(host_text))
    {
        return Err(TargetError::HostNotAllowed(host_text.to_owned()));
    }
    Ok(url)
}

/// `localhost` and names below it always mean this machine (RFC 6761 §6.3).
fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str) -> Result<Url, TargetError> {
        validate_target(raw, &TargetPolicy::public_https())
    }

    #[test]
    fn every_spelling_of_loopback_is_refused() {
        for raw in [
            "https://127.0.0.1/",
            "https://2130706433/",
            "https://0x7f000001/",
            "https://0177.0.0.1/",
            "https://127.1/",
            "https://0x7f.1/",
            "https://[::1]/",
            "https://[::ffff:7f00:1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://[64:ff9b::7f00:1]/",
            "https://[2002:7f00:1::]/",
            "https://[::127.0.0.1]/",
        ] {
            assert!(
                matches!(check(raw), Err(TargetError::PrivateAddress(_))),
                "{raw} should be refused as a private address, got {:?}",
                check(raw)
            );
        }
    }

    /// Without Unicode tables (`idna_adapter` 1.0.0) a non-ASCII host is invalid before any
    /// address check: full-width digits cannot become 127.0.0.1 and slip through.
    #[test]
    fn non_ascii_hosts_are_refused_as_invalid() {
        for raw in [
            "https://\u{ff11}\u{ff12}\u{ff17}.0.0.1/",
            "https://M\u{dc}nchen.example/",
            "https://b\u{fc}cher.example/token",
        ] {
            assert!(
                matches!(check(raw), Err(TargetError::NonAsciiHost)),
                "{raw} should be refused as a non-ASCII host, got {:?}",
                check(raw)
            );
        }
    }

    #[test]
    fn metadata_private_and_cgnat_addresses_are_refused() {
        for raw in [
            "https://169.254.169.254/latest/meta-data/",
            "https://100.100.100.200/",
            "https://10.0.0.1/",
            "https://172.16.0.1/",
            "https://192.168.1.1/",
            "https://0.0.0.0/",
            "https://[fd00:ec2::254]/",
            "https://[fe80::1]/",
            "https://[::]/",
            "https://[ff02::1]/",
            "https://[2001:db8::1]/",
        ] {
            assert!(
                matches!(check(raw), Err(TargetError::PrivateAddress(_))),
                "{raw}"
            );
        }
    }

    #[test]
    fn public_https_targets_pass() {
        let url = check("https://oauth2.googleapis.com/token").expect("public host passes");
        assert_eq!(url.host_str(), Some("oauth2.googleapis.com"));
        assert!(check("https://8.8.8.8/").is_ok());
        assert!(check("https://[2606:4700:4700::1111]/").is_ok());
    }

    #[test]
    fn malformed_and_policy_violations_have_their_own_errors() {
        assert_eq!(
            check("http://example.com/").unwrap_err(),
            TargetError::Scheme("http".into())
        );
        assert_eq!(
            check("gopher://127.0.0.1:6379/").unwrap_err(),
            TargetError::Scheme("gopher".into())
        );
        assert_eq!(
            check("https://evil.com@example.com/").unwrap_err(),
            TargetError::Userinfo
        );
        assert_eq!(
            check("https://example.com/#x").unwrap_err(),
            TargetError::Fragment
        );
        assert!(matches!(
            check("https://example.com:8443/"),
            Err(TargetError::Port { port: 8443, .. })
        ));
        assert_eq!(
            check("https://example.com/\r\nHost: x").unwrap_err(),
            TargetError::ControlCharacters
        );
        assert_eq!(
            check(" https://example.com/").unwrap_err(),
            TargetError::ControlCharacters
        );
        assert!(matches!(
            check("https://[fe80::1%25eth0]/"),
            Err(TargetError::Invalid(_))
        ));
        assert_eq!(
            check(&format!("https://example.com/{}", "a".repeat(MAX_URL_LEN))).unwrap_err(),
            TargetError::TooLong
        );
        assert_eq!(
            check("https://localhost/").unwrap_err(),
            TargetError::LocalName("localhost".into())
        );
        assert_eq!(
            check("https://a.localhost./").unwrap_err(),
            TargetError::LocalName("a.localhost.".into())
        );
    }

    #[test]
    fn allowlist_matches_exact_names_and_subdomains_only() {
        let pattern = HostPattern::parse("*.Suitetalk.API.netsuite.com").unwrap();
        assert!(pattern.matches("1234.suitetalk.api.netsuite.com"));
        assert!(!pattern.matches("suitetalk.api.netsuite.com"));
        assert!(!pattern.matches("evilsuitetalk.api.netsuite.com"));
        let exact = HostPattern::parse("oauth2.googleapis.com.").unwrap();
        assert!(exact.matches("oauth2.googleapis.com"));
        assert!(!exact.matches("x.oauth2.googleapis.com"));
        assert!(HostPattern::parse("*.").is_err());
        assert!(HostPattern::parse("*").is_err());
        assert!(HostPattern::parse("exa mple.com").is_err());
        assert!(HostPattern::parse("a..com").is_err());
        let middle = HostPattern::parse("login.*.example.com").unwrap();
        assert!(middle.matches("login.eu.example.com"));
        assert!(middle.matches("login.dfidtst.np.example.com"));
        assert!(!middle.matches("login.example.com"));
        assert!(!middle.matches("x.login.eu.example.com"));
        assert_eq!(middle.to_string(), "login.*.example.com");

        let policy = TargetPolicy {
            host_allowlist: Some(vec![exact]),
            ..TargetPolicy::public_https()
        };
        assert!(validate_target("https://oauth2.googleapis.com/token", &policy).is_ok());
        assert_eq!(
            validate_target("https://example.com/token", &policy).unwrap_err(),
            TargetError::HostNotAllowed("example.com".into())
        );
    }

    #[test]
    fn allow_private_lifts_only_scheme_address_and_local_port_rules() {
        let policy = TargetPolicy {
            allow_private: true,
            allowed_ports: vec![80],
            host_allowlist: None,
        };
        assert!(validate_target("http://127.0.0.1:8080/token", &policy).is_ok());
        assert!(validate_target("http://localhost:9000/token", &policy).is_ok());
        assert!(validate_target("http://[::1]:9000/token", &policy).is_ok());
        assert!(validate_target("http://127.0.0.1/", &policy).is_ok_and(|u| u.scheme() == "http"));
        assert!(validate_target("http://localhost/", &policy).is_ok());
        assert!(matches!(
            validate_target("http://example.com:8080/", &policy),
            Err(TargetError::Port { port: 8080, .. })
        ));
        assert!(matches!(
            validate_target("https://example.com/", &policy),
            Err(TargetError::Port { port: 443, .. })
        ));
        assert_eq!(
            validate_target("http://a:b@127.0.0.1/", &policy).unwrap_err(),
            TargetError::Userinfo
        );
        assert_eq!(
            validate_target("ftp://127.0.0.1/", &policy).unwrap_err(),
            TargetError::Scheme("ftp".into())
        );
    }

    #[test]
    fn embedded_ipv4_is_found_in_every_ipv6_form() {
        let expect = Some(Ipv4Addr::new(10, 1, 2, 3));
        for raw in [
            "::ffff:10.1.2.3",
            "64:ff9b::a01:203",
            "64:ff9b:1::a01:203",
            "2002:a01:203::1",
            "::10.1.2.3",
        ] {
            assert_eq!(embedded_ipv4(raw.parse().unwrap()), expect, "{raw}");
        }
        assert_eq!(embedded_ipv4("::1".parse().unwrap()), None);
        assert_eq!(embedded_ipv4("2606:4700::1".parse().unwrap()), None);
    }
}
