//! The redirect doctor: why a service refuses the redirect URI, in words.
//!
//! Services compare the redirect URI character by character with the ones registered in their
//! console, so a trailing slash, `http` for `https`, another port or `localhost` for `127.0.0.1`
//! is enough to be refused. [`compare`] names each such difference between the URI the wizard
//! sends and the one the user says is registered; [`RedirectRules`] (preset data) say what the
//! service accepts at all, and [`RedirectRules::problems`] checks a URI against them.

use serde::{Deserialize, Serialize};

/// What a service accepts as a redirect URI, and where it is registered.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RedirectRules {
    /// The page of the service's console where redirect URIs are registered (https).
    pub console_url: String,
    /// Where on that page, in the console's words ("Clients → the client → Authorized redirect URIs").
    #[serde(default)]
    pub console_path: String,
    /// Whether `https` is required.
    #[serde(default)]
    pub https: HttpsRule,
    /// Which loopback host names the service accepts.
    #[serde(default)]
    pub loopback: LoopbackRule,
    /// The service ignores the port of a loopback redirect URI when matching (RFC 8252 §7.3).
    #[serde(default)]
    pub any_loopback_port: bool,
}

/// When the service requires `https`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HttpsRule {
    /// Always, loopback included.
    Always,
    /// Except for a loopback address (`http://localhost`, `http://127.0.0.1`).
    #[default]
    ExceptLoopback,
}

/// Which loopback host names the service accepts in a redirect URI.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoopbackRule {
    /// `localhost` and `127.0.0.1` (as registered).
    #[default]
    Both,
    /// Only `localhost`.
    LocalhostOnly,
    /// Only the IP literal `127.0.0.1` (or `[::1]`).
    IpOnly,
    /// No loopback redirect URI at all.
    None,
}

/// One way the sent redirect URI differs from the registered one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Difference {
    /// One has a trailing `/` and the other does not.
    TrailingSlash {
        /// The sent URI is the one with the slash.
        sent_has_it: bool,
    },
    /// `http` against `https`.
    Scheme {
        /// The sent scheme.
        sent: String,
        /// The registered scheme.
        registered: String,
    },
    /// Different host names; `loopback_spelling` when both are loopback (`localhost` against `127.0.0.1`).
    Host {
        /// The sent host.
        sent: String,
        /// The registered host.
        registered: String,
        /// Both name this machine, spelt differently.
        loopback_spelling: bool,
    },
    /// Different ports (an absent port is the scheme's default).
    Port {
        /// The sent port.
        sent: u16,
        /// The registered port.
        registered: u16,
    },
    /// The paths differ only in upper and lower case.
    PathCase {
        /// The sent path.
        sent: String,
        /// The registered path.
        registered: String,
    },
    /// Different paths.
    Path {
        /// The sent path.
        sent: String,
        /// The registered path.
        registered: String,
    },
    /// Different query strings.
    Query,
    /// The registered text is not an absolute URI.
    NotAUri,
}

impl Difference {
    /// The difference in words, saying what to change.
    pub fn message(&self) -> String {
        match self {
            Self::TrailingSlash { sent_has_it: true } => {
                "The URI sent ends with “/”, the registered one does not: add the slash at the service, or remove it here.".to_owned()
            }
            Self::TrailingSlash { sent_has_it: false } => {
                "The registered URI ends with “/”, the one sent does not: register it without the slash, or add it here.".to_owned()
            }
            Self::Scheme { sent, registered } => format!(
                "The scheme differs: {sent}:// is sent, {registered}:// is registered."
            ),
            Self::Host {
                sent,
                registered,
                loopback_spelling: true,
            } => format!(
                "Both name this computer, but services compare the text: “{sent}” is sent, “{registered}” is registered. Register “{sent}” too, or use the same spelling here."
            ),
            Self::Host {
                sent, registered, ..
            } => format!("The host differs: “{sent}” is sent, “{registered}” is registered."),
            Self::Port { sent, registered } => format!(
                "The port differs: {sent} is sent, {registered} is registered."
            ),
            Self::PathCase { sent, registered } => format!(
                "The path differs only in capital letters: “{sent}” is sent, “{registered}” is registered; services compare it exactly."
            ),
            Self::Path { sent, registered } => {
                format!("The path differs: “{sent}” is sent, “{registered}” is registered.")
            }
            Self::Query => "The query strings (after “?”) differ.".to_owned(),
            Self::NotAUri => {
                "The registered value is not a full URI: copy it from the service's console, starting with https:// or http://.".to_owned()
            }
        }
    }
}

/// Whether `host` names this machine's loopback interface.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Every difference between the redirect URI `sent` and the `registered` one; empty when the
/// service would see them as equal. With `any_loopback_port`, the port of a loopback URI is not
/// compared (the service ignores it).
pub fn compare(sent: &str, registered: &str, any_loopback_port: bool) -> Vec<Difference> {
    let (sent_text, registered_text) = (sent.trim(), registered.trim());
    if sent_text == registered_text {
        return Vec::new();
    }
    let Ok(registered) = url::Url::parse(registered_text) else {
        return vec![Difference::NotAUri];
    };
    let Ok(sent) = url::Url::parse(sent_text) else {
        return vec![Difference::NotAUri];
    };
    let mut differences = Vec::new();
    if sent.scheme() != registered.scheme() {
        differences.push(Difference::Scheme {
            sent: sent.scheme().to_owned(),
            registered: registered.scheme().to_owned(),
        });
    }
    let (sent_host, registered_host) = (
        sent.host_str().unwrap_or_default(),
        registered.host_str().unwrap_or_default(),
    );
    let both_loopback = is_loopback_host(sent_host) && is_loopback_host(registered_host);
    if !sent_host.eq_ignore_ascii_case(registered_host) {
        differences.push(Difference::Host {
            sent: sent_host.to_owned(),
            registered: registered_host.to_owned(),
            loopback_spelling: both_loopback,
        });
    }
    let ports = (
        sent.port_or_known_default(),
        registered.port_or_known_default(),
    );
    let port_ignored = any_loopback_port && both_loopback;
    if ports.0 != ports.1 && !port_ignored {
        differences.push(Difference::Port {
            sent: ports.0.unwrap_or_default(),
            registered: ports.1.unwrap_or_default(),
        });
    }
    // The text as typed: `url` adds a "/" to an empty path, which would hide a slash difference.
    let (sent_path, registered_path) = (raw_path(sent_text), raw_path(registered_text));
    if sent_path != registered_path {
        let (trimmed_sent, trimmed_registered) = (
            sent_path.trim_end_matches('/'),
            registered_path.trim_end_matches('/'),
        );
        if trimmed_sent == trimmed_registered {
            differences.push(Difference::TrailingSlash {
                sent_has_it: sent_path.ends_with('/'),
            });
        } else if sent_path.eq_ignore_ascii_case(registered_path) {
            differences.push(Difference::PathCase {
                sent: sent_path.to_owned(),
                registered: registered_path.to_owned(),
            });
        } else {
            differences.push(Difference::Path {
                sent: sent_path.to_owned(),
                registered: registered_path.to_owned(),
            });
        }
    }
    if sent.query() != registered.query() {
        differences.push(Difference::Query);
    }
    differences
}

/// The path of an absolute URI as written (without query or fragment), "" when it has none.
fn raw_path(uri: &str) -> &str {
    let after_scheme = uri.split_once("://").map_or(uri, |(_, rest)| rest);
    let without_query = after_scheme.split(['?', '#']).next().unwrap_or_default();
    without_query
        .find('/')
        .map_or("", |start| &without_query[start..])
}

impl RedirectRules {
    /// What in `uri` the service refuses whatever is registered: `http` where it wants `https`,
    /// a loopback host name it does not accept.
    pub fn problems(&self, uri: &str) -> Vec<String> {
        let Ok(url) = url::Url::parse(uri.trim()) else {
            return vec!["The redirect URI is not a full URI.".to_owned()];
        };
        let host = url.host_str().unwrap_or_default();
        let loopback = is_loopback_host(host);
        let mut problems = Vec::new();
        let https_needed = match self.https {
            HttpsRule::Always => true,
            HttpsRule::ExceptLoopback => !loopback,
        };
        if https_needed && url.scheme() != "https" {
            problems.push(if loopback {
                "This service requires https even for this computer's address: use an https redirect URI (the relay's public one)."
                    .to_owned()
            } else {
                "This service requires https redirect URIs.".to_owned()
            });
        }
        if loopback {
            let is_name = host.eq_ignore_ascii_case("localhost");
            let refused = match self.loopback {
                LoopbackRule::Both => None,
                LoopbackRule::LocalhostOnly if !is_name => Some(
                    "This service accepts “localhost” but not an IP address: use http://localhost:… instead.",
                ),
                LoopbackRule::IpOnly if is_name => {
                    Some("This service refuses “localhost”: use http://127.0.0.1:… instead.")
                }
                LoopbackRule::None => Some(
                    "This service accepts no redirect to this computer: use the relay's public https redirect URI.",
                ),
                _ => None,
            };
            problems.extend(refused.map(str::to_owned));
        }
        problems
    }

    /// The rules in words, one sentence each, for the doctor's list.
    pub fn describe(&self) -> Vec<String> {
        let mut lines = vec![match self.https {
            HttpsRule::Always => "https is required, also for this computer's address.".to_owned(),
            HttpsRule::ExceptLoopback => {
                "https is required, except for this computer's address (http://localhost or http://127.0.0.1).".to_owned()
            }
        }];
        lines.push(
            match self.loopback {
                LoopbackRule::Both => {
                    "localhost and 127.0.0.1 are both accepted, each as registered."
                }
                LoopbackRule::LocalhostOnly => {
                    "Only “localhost” is accepted for this computer, not 127.0.0.1."
                }
                LoopbackRule::IpOnly => {
                    "Only 127.0.0.1 is accepted for this computer, not “localhost”."
                }
                LoopbackRule::None => "No redirect to this computer is accepted.",
            }
            .to_owned(),
        );
        if self.loopback != LoopbackRule::None {
            lines.push(if self.any_loopback_port {
                "The port of a loopback redirect URI may differ from the registered one.".to_owned()
            } else {
                "The port must match the registered one exactly.".to_owned()
            });
        }
        lines
    }

    /// Problems with the rules themselves (for the presets' checks): the console link must be https.
    pub fn check(&self) -> Vec<String> {
        match url::Url::parse(&self.console_url) {
            Ok(url) if url.scheme() == "https" => Vec::new(),
            _ => vec![format!(
                "`console-url` `{}` is not an https:// link",
                self.console_url
            )],
        }
    }
}

#[cfg(test)]
mod tests;
