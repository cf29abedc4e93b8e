//! The relay's command line (every option also reads a `RELAY_...` environment variable, except
//! `--allow-private-targets`, see below).

use std::net::IpAddr;
use std::path::PathBuf;

use clap::Parser;

/// OAuth Token Wizard relay: serves the wizard, captures OAuth redirect callbacks and forwards
/// token-endpoint requests the browser cannot make itself (CORS).
#[derive(Debug, Clone, Parser)]
#[command(name = "relay", version)]
pub struct Config {
    /// Address to listen on. Keep the loopback default unless the relay runs behind a reverse
    /// proxy in --public mode.
    #[arg(long, env = "RELAY_BIND", default_value = "127.0.0.1")]
    pub bind: IpAddr,

    /// Port to listen on; 0 picks a free port.
    #[arg(long, env = "RELAY_PORT", default_value_t = 8787)]
    pub port: u16,

    /// Folder of the built wizard (trunk's `dist/`), served with index.html as the fallback.
    #[arg(long, env = "RELAY_DIST", value_name = "DIR")]
    pub dist: Option<PathBuf>,

    /// Public deployment: no local listener, no loopback Host check, and token hosts limited to
    /// the presets' hosts plus --allow-host (unless --allow-any-host).
    #[arg(long, env = "RELAY_PUBLIC")]
    pub public: bool,

    /// Extra origin allowed to call /api/* (repeatable, e.g. `http://127.0.0.1:8080` for
    /// `trunk serve`). The relay's own origin is always allowed.
    #[arg(
        long = "allowed-origin",
        env = "RELAY_ALLOWED_ORIGINS",
        value_delimiter = ',',
        value_name = "ORIGIN"
    )]
    pub allowed_origins: Vec<String>,

    /// Token host the proxy may call (repeatable): a host name whose labels may be `*` (one or
    /// more labels), e.g. `*.example.com`. In --public mode
    /// these add to the presets' hosts; in local mode, giving any limits the proxy to these plus
    /// the presets' hosts.
    #[arg(
        long = "allow-host",
        env = "RELAY_ALLOW_HOSTS",
        value_delimiter = ',',
        value_name = "PATTERN"
    )]
    pub allow_hosts: Vec<String>,

    /// In --public mode, let the proxy call any public HTTPS host (the relay then forwards
    /// requests to any public HTTPS endpoint for anyone who can reach it).
    #[arg(long, env = "RELAY_ALLOW_ANY_HOST")]
    pub allow_any_host: bool,

    /// Port the proxy may call on a target (repeatable).
    #[arg(
        long = "allowed-port",
        env = "RELAY_ALLOWED_PORTS",
        value_delimiter = ',',
        default_value = "443",
        value_name = "PORT"
    )]
    pub allowed_ports: Vec<u16>,

    /// Let the proxy call http:// and loopback/private addresses (on any port when written as
    /// an IP address or localhost), for development against a provider on this machine or
    /// network. Deliberately a command-line flag only (no environment variable), so it cannot
    /// leak into a deployment unnoticed.
    #[arg(long)]
    pub allow_private_targets: bool,

    /// Extra request header the proxy forwards (repeatable), beyond accept, accept-language,
    /// authorization, content-type, dpop and user-agent. Host, cookie, hop-by-hop and forwarding
    /// headers can never be added.
    #[arg(
        long = "forward-header",
        env = "RELAY_FORWARD_HEADERS",
        value_delimiter = ',',
        value_name = "NAME"
    )]
    pub forward_headers: Vec<String>,

    /// Extra origin the served app may connect to (repeatable; added to its CSP connect-src),
    /// e.g. another relay's origin.
    #[arg(
        long = "connect-origin",
        env = "RELAY_CONNECT_ORIGINS",
        value_delimiter = ',',
        value_name = "ORIGIN"
    )]
    pub connect_origins: Vec<String>,

    /// Requests per second each client address may make (sustained), on every route.
    #[arg(long, env = "RELAY_RATE_LIMIT_PER_SECOND", default_value_t = 20)]
    pub rate_limit_per_second: u32,

    /// Requests each client address may make in a burst, on every route.
    #[arg(long, env = "RELAY_RATE_LIMIT_BURST", default_value_t = 120)]
    pub rate_limit_burst: u32,

    /// Proxy calls per minute each client address may make (sustained).
    #[arg(long, env = "RELAY_PROXY_RATE_PER_MINUTE", default_value_t = 60)]
    pub proxy_rate_per_minute: u32,

    /// Proxy calls each client address may make in a burst.
    #[arg(long, env = "RELAY_PROXY_RATE_BURST", default_value_t = 30)]
    pub proxy_rate_burst: u32,

    /// Most proxy calls in flight at once (further calls get 503).
    #[arg(long, env = "RELAY_PROXY_CONCURRENCY", default_value_t = 32)]
    pub proxy_concurrency: usize,

    /// Where pending authorizations live: `memory` (this process only) or
    /// `redis://HOST:PORT/DB` (shared by every instance behind a load balancer).
    #[arg(
        long,
        env = "RELAY_STORE",
        default_value = "memory",
        value_name = "memory|redis://HOST:PORT/DB"
    )]
    pub store: String,

    /// Most pending authorizations held at once.
    #[arg(long, env = "RELAY_PENDING_CAPACITY", default_value_t = 10_000)]
    pub pending_capacity: usize,

    /// Most pending authorizations one client address may hold.
    #[arg(long, env = "RELAY_PENDING_PER_IP", default_value_t = 50)]
    pub pending_per_ip: usize,

    /// Seconds a pending authorization (and its callback) is kept, at most 600.
    #[arg(long, env = "RELAY_PENDING_TTL_SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub pending_ttl_secs: u64,

    /// Seconds a pickup waits for the callback before answering 204, at most 25.
    #[arg(long, env = "RELAY_LONG_POLL_SECS", default_value_t = 25, value_parser = clap::value_parser!(u64).range(0..=25))]
    pub long_poll_secs: u64,

    /// Most pickups waiting at once (further ones get 503).
    #[arg(long, env = "RELAY_MAX_WAITERS", default_value_t = 2_000)]
    pub max_waiters: usize,

    /// Seconds a proxied call may take in total, at most 60.
    #[arg(long, env = "RELAY_UPSTREAM_TIMEOUT_SECS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub upstream_timeout_secs: u64,

    /// Seconds a proxied call may take to connect.
    #[arg(long, env = "RELAY_CONNECT_TIMEOUT_SECS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub connect_timeout_secs: u64,

    /// Header holding the client's address, set by YOUR reverse proxy (e.g. `x-real-ip`,
    /// `fly-client-ip`). Only use it if the proxy overwrites the header: otherwise clients can
    /// pick their own rate-limit bucket. Without it, the peer address is used.
    #[arg(long, env = "RELAY_CLIENT_IP_HEADER", value_name = "NAME")]
    pub client_ip_header: Option<String>,

    /// Seconds a client has to send a request's headers; also how long an idle keep-alive
    /// connection stays open. At most 60.
    #[arg(long, env = "RELAY_HEADER_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub header_timeout_secs: u64,

    /// Most connections open at once; further ones are closed as soon as they are accepted.
    #[arg(long, env = "RELAY_MAX_CONNECTIONS", default_value_t = 4096)]
    pub max_connections: usize,

    /// Most connections open at once from one client address (IPv6: from one
    /// --ipv6-prefix-len network). Not applied with --client-ip-header: then every connection
    /// comes from the reverse proxy, which should cap them per client itself.
    #[arg(long, env = "RELAY_MAX_CONNECTIONS_PER_CLIENT", default_value_t = 64)]
    pub max_connections_per_client: usize,

    /// IPv6 clients are counted per network of this prefix length (rate limits, connection and
    /// pending caps): a host usually owns a whole /64.
    #[arg(long = "ipv6-prefix-len", env = "RELAY_IPV6_PREFIX_LEN", default_value_t = 64, value_parser = clap::value_parser!(u8).range(1..=128))]
    pub ipv6_prefix_len: u8,

    /// Most local listeners (/api/listen) open at once.
    #[arg(long, env = "RELAY_MAX_LISTENERS", default_value_t = 4)]
    pub max_listeners: usize,

    /// Log as JSON lines instead of human-readable text.
    #[arg(long, env = "RELAY_LOG_JSON")]
    pub log_json: bool,
}

impl Config {
    /// True in local (loopback, desktop) mode.
    pub fn is_local(&self) -> bool {
        !self.public
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_contract_example() {
        let config = Config::parse_from(["relay", "--dist", "dist", "--allow-private-targets"]);
        assert_eq!(config.dist.as_deref(), Some(std::path::Path::new("dist")));
        assert!(config.allow_private_targets);
        assert!(config.is_local());
        assert_eq!(config.allowed_ports, vec![443]);
        assert_eq!(config.bind, IpAddr::from([127, 0, 0, 1]));
    }

    #[test]
    fn repeatable_options_collect() {
        let config = Config::parse_from([
            "relay",
            "--public",
            "--allow-host",
            "a.example",
            "--allow-host",
            "*.b.example",
            "--allowed-port",
            "443",
            "--allowed-port",
            "8443",
        ]);
        assert_eq!(config.allow_hosts, vec!["a.example", "*.b.example"]);
        assert_eq!(config.allowed_ports, vec![443, 8443]);
        assert!(!config.is_local());
    }

    #[test]
    fn limits_out_of_range_are_refused() {
        assert!(Config::try_parse_from(["relay", "--long-poll-secs", "26"]).is_err());
        assert!(Config::try_parse_from(["relay", "--pending-ttl-secs", "601"]).is_err());
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Config::command().debug_assert();
    }
}
