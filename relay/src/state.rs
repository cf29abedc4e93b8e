//! Everything the handlers share, built once from the [`Config`] at start.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderName;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{Semaphore, watch};

use crate::config::Config;
use crate::headers::{HeaderPolicy, HeaderPolicyError};
use crate::resolver::{FilteringResolver, NameLookup, SystemLookup};
use crate::routes::static_files::StaticSite;
use crate::serve::ConnectionLimits;
use crate::store::{PendingStore, RedisStore, Store, StoreLimits};
use crate::target::{HostPattern, HostPatternError, TargetPolicy};
use crate::tls::TlsSetupError;
use crate::upstream::{ClientSettings, UpstreamClient};

/// Why the relay cannot start with the given configuration.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// An `--allowed-origin` / `--connect-origin` is not an origin.
    #[error("`{0}` is not an origin: write it as scheme://host[:port], e.g. http://127.0.0.1:8080")]
    Origin(String),
    /// An `--allow-host` pattern is malformed.
    #[error(transparent)]
    HostPattern(#[from] HostPatternError),
    /// A `--forward-header` is malformed or forbidden.
    #[error(transparent)]
    Header(#[from] HeaderPolicyError),
    /// `--client-ip-header` is not a header name.
    #[error("`{0}` is not a valid header name for --client-ip-header")]
    ClientIpHeader(String),
    /// A limit that must be positive is zero.
    #[error("--{0} must be at least 1")]
    ZeroLimit(&'static str),
    /// No port for the proxy.
    #[error("--allowed-port needs at least one port")]
    NoPorts,
    /// `--store` is neither `memory` nor a usable Redis URL.
    #[error("--store must be `memory` or `redis://HOST:PORT/DB`: {0}")]
    Store(String),
    /// TLS could not be set up.
    #[error(transparent)]
    Tls(#[from] TlsSetupError),
}

/// Local (desktop, loopback) or public deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Runs on the user's machine; may open local listeners; checks the Host header.
    Local,
    /// Runs for many users behind a reverse proxy.
    Public,
}

/// The handlers' shared state (cheap to clone).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] holds.
pub struct Shared {
    /// Local or public.
    pub mode: Mode,
    /// `Host` header values accepted in local mode (lower case).
    pub own_hosts: Vec<String>,
    /// Extra origins allowed to call `/api/*` (ASCII serialization, e.g. `http://127.0.0.1:8080`).
    pub allowed_origins: Vec<String>,
    /// Rules for proxy targets.
    pub target_policy: TargetPolicy,
    /// Headers the proxy forwards.
    pub header_policy: HeaderPolicy,
    /// The proxy's HTTP client (no redirects, no system proxy, filtering resolver, timeouts).
    pub client: UpstreamClient,
    /// Total time a proxied call may take.
    pub upstream_timeout: Duration,
    /// Pending callbacks.
    pub store: Store,
    /// How long a pickup waits.
    pub long_poll: Duration,
    /// Per-address limit on every route.
    pub limiter: DefaultKeyedRateLimiter<IpAddr>,
    /// Per-address limit on the proxy.
    pub proxy_limiter: DefaultKeyedRateLimiter<IpAddr>,
    /// Free proxy slots.
    pub proxy_slots: Arc<Semaphore>,
    /// Free long-poll slots.
    pub waiter_slots: Arc<Semaphore>,
    /// Free local-listener slots.
    pub listener_slots: Arc<Semaphore>,
    /// Certificate for `https://localhost/` listeners (local mode only).
    pub listener_tls: Option<Arc<rustls::ServerConfig>>,
    /// The built app, if any.
    pub static_site: StaticSite,
    /// Header carrying the client address, set by a trusted reverse proxy.
    pub client_ip_header: Option<HeaderName>,
    /// Time for a request's headers, and for an idle keep-alive connection.
    pub header_timeout: Duration,
    /// Open connections, in total and per client.
    pub connections: Arc<ConnectionLimits>,
    /// IPv6 clients are counted per network of this many bits.
    pub ipv6_prefix: u8,
    /// Turns true when the relay shuts down.
    pub shutdown: watch::Sender<bool>,
}

/// Reads an origin (`scheme://host[:port]`, nothing else) into its ASCII serialization.
pub fn normalize_origin(text: &str) -> Option<String> {
    let url = url::Url::parse(text.trim()).ok()?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.username().is_empty()
        && url.password().is_none()
        && matches!(url.path(), "" | "/")
        && url.query().is_none()
        && url.fragment().is_none()
        && url.host().is_some();
    plain.then(|| url.origin().ascii_serialization())
}

/// `host[:port]` of a normalized origin, as a browser sends it in `Host`.
pub fn origin_authority(origin: &str) -> Option<String> {
    let url = url::Url::parse(origin).ok()?;
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

fn non_zero(value: u32, name: &'static str) -> Result<NonZeroU32, StartError> {
    NonZeroU32::new(value).ok_or(StartError::ZeroLimit(name))
}

impl AppState {
    /// State for a relay bound at `local_addr`, resolving names with the system resolver.
    pub fn new(config: &Config, local_addr: SocketAddr) -> Result<Self, StartError> {
        Self::with_lookup(config, local_addr, Arc::new(SystemLookup))
    }

    /// Same as [`AppState::new`] with another name lookup (tests map names without DNS).
    pub fn with_lookup(
        config: &Config,
        local_addr: SocketAddr,
        lookup: Arc<dyn NameLookup>,
    ) -> Result<Self, StartError> {
        // Build the callback page now so its hashes are computed at start, not on first use.
        std::sync::LazyLock::force(&crate::routes::callback::CALLBACK_PAGE);

        let mode = if config.public {
            Mode::Public
        } else {
            Mode::Local
        };
        let allowed_origins = config
            .allowed_origins
            .iter()
            .map(|o| normalize_origin(o).ok_or_else(|| StartError::Origin(o.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        let connect_origins = config
            .connect_origins
            .iter()
            .map(|o| normalize_origin(o).ok_or_else(|| StartError::Origin(o.clone())))
            .collect::<Result<Vec<_>, _>>()?;

        let port = local_addr.port();
        let mut own_hosts = vec![
            format!("127.0.0.1:{port}"),
            format!("localhost:{port}"),
            format!("[::1]:{port}"),
        ];
        // A loopback name without a port is no DNS-rebinding risk (a rebound page sends its own
        // name), and it is what browsers send on port 80 and what dev proxies send: trunk 0.21
        // forwards `Host: 127.0.0.1` with the port only in `X-Forwarded-Host`. Forwarded headers
        // are never read: anyone can send them.
        own_hosts.extend([
            "127.0.0.1".to_owned(),
            "localhost".to_owned(),
            "[::1]".to_owned(),
        ]);
        if let IpAddr::V4(v4) = local_addr.ip()
            && v4.is_loopback()
            && v4 != std::net::Ipv4Addr::LOCALHOST
        {
            own_hosts.push(format!("{v4}:{port}"));
        }
        // A dev server that proxies to the relay (trunk serve) keeps its own Host header.
        own_hosts.extend(allowed_origins.iter().filter_map(|o| origin_authority(o)));

        if config.allowed_ports.is_empty() {
            return Err(StartError::NoPorts);
        }
        let host_allowlist = host_allowlist(config)?;
        let target_policy = TargetPolicy {
            allow_private: config.allow_private_targets,
            allowed_ports: config.allowed_ports.clone(),
            host_allowlist,
        };
        let header_policy = HeaderPolicy::with_extra(&config.forward_headers)?;

        let upstream_timeout = Duration::from_secs(config.upstream_timeout_secs);
        let resolver = FilteringResolver::new(lookup, config.allow_private_targets);
        let client = UpstreamClient::new(
            resolver,
            ClientSettings {
                allow_http: config.allow_private_targets,
                connect_timeout: Duration::from_secs(config.connect_timeout_secs),
                read_timeout: upstream_timeout.min(Duration::from_secs(10)),
                total_timeout: upstream_timeout,
                // As many idle connections as calls may be in flight: with fewer, every burst
                // above the pool size opens (and TLS-handshakes) new connections.
                max_idle_per_host: config.proxy_concurrency,
            },
        )?;

        let limiter = RateLimiter::keyed(
            Quota::per_second(non_zero(
                config.rate_limit_per_second,
                "rate-limit-per-second",
            )?)
            .allow_burst(non_zero(config.rate_limit_burst, "rate-limit-burst")?),
        );
        let proxy_limiter = RateLimiter::keyed(
            Quota::per_minute(non_zero(
                config.proxy_rate_per_minute,
                "proxy-rate-per-minute",
            )?)
            .allow_burst(non_zero(config.proxy_rate_burst, "proxy-rate-burst")?),
        );
        for (value, name) in [
            (config.proxy_concurrency, "proxy-concurrency"),
            (config.pending_capacity, "pending-capacity"),
            (config.pending_per_ip, "pending-per-ip"),
            (config.max_waiters, "max-waiters"),
            (config.max_connections, "max-connections"),
            (
                config.max_connections_per_client,
                "max-connections-per-client",
            ),
        ] {
            if value == 0 {
                return Err(StartError::ZeroLimit(name));
            }
        }

        let client_ip_header = config
            .client_ip_header
            .as_deref()
            .map(|name| {
                HeaderName::from_bytes(name.trim().as_bytes())
                    .map_err(|_| StartError::ClientIpHeader(name.to_owned()))
            })
            .transpose()?;

        // Behind a reverse proxy every connection comes from the proxy.
        let per_client_connections = client_ip_header
            .is_none()
            .then_some(config.max_connections_per_client);

        let listener_tls = match mode {
            Mode::Local => Some(crate::tls::self_signed_server_config()?),
            Mode::Public => None,
        };

        let limits = StoreLimits {
            capacity: config.pending_capacity,
            per_ip: config.pending_per_ip,
            ttl: Duration::from_secs(config.pending_ttl_secs),
        };
        let store = open_store(config.store.trim(), limits)?;

        let static_site = StaticSite::load(config.dist.as_deref(), &connect_origins);

        Ok(Self(Arc::new(Shared {
            mode,
            own_hosts,
            allowed_origins,
            target_policy,
            header_policy,
            client,
            upstream_timeout,
            store,
            long_poll: Duration::from_secs(config.long_poll_secs),
            limiter,
            proxy_limiter,
            proxy_slots: Arc::new(Semaphore::new(config.proxy_concurrency)),
            waiter_slots: Arc::new(Semaphore::new(config.max_waiters)),
            listener_slots: Arc::new(Semaphore::new(config.max_listeners)),
            listener_tls,
            static_site,
            client_ip_header,
            header_timeout: Duration::from_secs(config.header_timeout_secs),
            connections: ConnectionLimits::new(
                config.max_connections,
                per_client_connections,
                config.ipv6_prefix_len,
            ),
            ipv6_prefix: config.ipv6_prefix_len,
            shutdown: watch::channel(false).0,
        })))
    }

    /// True in local mode.
    pub fn is_local(&self) -> bool {
        self.mode == Mode::Local
    }

    /// Drops rate-limiter state for quiet addresses and expired store entries.
    pub fn housekeeping(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
        self.proxy_limiter.retain_recent();
        self.proxy_limiter.shrink_to_fit();
        self.store.sweep();
    }

    /// Tells long-polls and local listeners to finish (the server is shutting down).
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }
}

fn open_store(text: &str, limits: StoreLimits) -> Result<Store, StartError> {
    if text == "memory" {
        return Ok(Store::Memory(PendingStore::new(limits)));
    }
    if !text.starts_with("redis://") {
        return Err(StartError::Store("unknown kind of store".to_owned()));
    }
    if tokio::runtime::Handle::try_current().is_err() {
        return Err(StartError::Store(
            "a Redis store needs the relay's Tokio runtime".to_owned(),
        ));
    }
    // The URL may hold a password: the message names the kind of fault only.
    RedisStore::open(text, limits)
        .map(Store::Redis)
        .map_err(|err| StartError::Store(format!("the Redis URL is not usable ({:?})", err.kind())))
}

/// The proxy's host allowlist: `None` means any public host.
fn host_allowlist(config: &Config) -> Result<Option<Vec<HostPattern>>, StartError> {
    let wanted = if config.public {
        !config.allow_any_host
    } else {
        !config.allow_hosts.is_empty()
    };
    if !wanted {
        return Ok(None);
    }
    let mut patterns: Vec<HostPattern> = Vec::new();
    for text in crate::target::preset_token_hosts() {
        // A preset whose whole host is a variable cannot be expressed as an allowlist entry;
        // operators add such hosts with --allow-host.
        match HostPattern::parse(text) {
            Ok(pattern) if !patterns.contains(&pattern) => patterns.push(pattern),
            Ok(_) => {}
            Err(_) => {
                tracing::warn!(pattern = %text, "preset token host is not usable as an allowlist entry")
            }
        }
    }
    for text in &config.allow_hosts {
        let pattern = HostPattern::parse(text)?;
        if !patterns.contains(&pattern) {
            patterns.push(pattern);
        }
    }
    Ok(Some(patterns))
}
