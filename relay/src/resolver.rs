//! The DNS resolver the token proxy connects through: it refuses a name if ANY of its addresses
//! is not public, and the client ([`crate::upstream`]) then connects to exactly the addresses it
//! returned, so a name cannot be rebound to an internal address between a check and the connect.
//!
//! The lookup underneath is injectable ([`NameLookup`]) so tests can map names to addresses
//! without DNS.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;

use crate::target::is_denied_ip;

/// A boxed lookup future.
pub type LookupFuture = Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send>>;

/// Turns a host name into addresses.
pub trait NameLookup: Send + Sync + 'static {
    /// All addresses `host` resolves to.
    fn lookup(&self, host: &str) -> LookupFuture;
}

/// The operating system's resolver, through tokio's non-blocking `lookup_host`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemLookup;

impl NameLookup for SystemLookup {
    fn lookup(&self, host: &str) -> LookupFuture {
        let host = host.to_owned();
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((host.as_str(), 0)).await?;
            Ok(addrs.map(|addr| addr.ip()).collect())
        })
    }
}

/// A fixed name → addresses table, for tests and air-gapped set-ups. Unknown names fail.
#[derive(Debug, Clone, Default)]
pub struct StaticLookup {
    table: HashMap<String, Vec<IpAddr>>,
}

impl StaticLookup {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `host` → `addrs`.
    pub fn with(mut self, host: &str, addrs: &[IpAddr]) -> Self {
        self.table.insert(host.to_ascii_lowercase(), addrs.to_vec());
        self
    }
}

impl NameLookup for StaticLookup {
    fn lookup(&self, host: &str) -> LookupFuture {
        let found = self.table.get(&host.to_ascii_lowercase()).cloned();
        let host = host.to_owned();
        Box::pin(async move {
            found.ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("no address known for `{host}`"),
                )
            })
        })
    }
}

/// A name was refused because one of its addresses is not public.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{host}` resolves to {addr}, which is not a public address, so the relay will not call it"
)]
pub struct NonPublicAddress {
    /// The name looked up.
    pub host: String,
    /// The first non-public address among its answers.
    pub addr: IpAddr,
}

/// A name resolved to no addresses at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` has no addresses")]
pub struct NoAddresses(pub String);

/// The proxy client's resolver: looks names up and refuses any answer set with a non-public address.
#[derive(Clone)]
pub struct FilteringResolver {
    lookup: Arc<dyn NameLookup>,
    allow_private: bool,
}

impl FilteringResolver {
    /// Filters `lookup`'s answers; `allow_private` turns the filter off (local development).
    pub fn new(lookup: Arc<dyn NameLookup>, allow_private: bool) -> Self {
        Self {
            lookup,
            allow_private,
        }
    }

    /// Resolves `host` and applies the filter (what the client calls at connect time).
    pub async fn resolve_checked(&self, host: &str) -> Result<Vec<IpAddr>, ResolveError> {
        let addrs = self
            .lookup
            .lookup(host)
            .await
            .map_err(ResolveError::Lookup)?;
        if addrs.is_empty() {
            return Err(ResolveError::NoAddresses(NoAddresses(host.to_owned())));
        }
        if !self.allow_private
            && let Some(addr) = addrs.iter().copied().find(|addr| is_denied_ip(*addr))
        {
            return Err(ResolveError::NonPublic(NonPublicAddress {
                host: host.to_owned(),
                addr,
            }));
        }
        Ok(addrs)
    }
}

/// Why a name was not resolved.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// The lookup itself failed.
    #[error("could not look the name up: {0}")]
    Lookup(io::Error),
    /// No addresses.
    #[error(transparent)]
    NoAddresses(NoAddresses),
    /// An address is not public.
    #[error(transparent)]
    NonPublic(NonPublicAddress),
}

/// Finds a [`NonPublicAddress`] refusal anywhere in an error's source chain.
pub fn find_refusal<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a NonPublicAddress> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(refusal) = e.downcast_ref::<NonPublicAddress>() {
            return Some(refusal);
        }
        if let Some(ResolveError::NonPublic(refusal)) = e.downcast_ref::<ResolveError>() {
            return Some(refusal);
        }
        current = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver(lookup: StaticLookup) -> FilteringResolver {
        FilteringResolver::new(Arc::new(lookup), false)
    }

    #[tokio::test]
    async fn one_private_answer_refuses_the_whole_name() {
        let lookup = StaticLookup::new().with(
            "mixed.example",
            &["8.8.8.8".parse().unwrap(), "10.0.0.5".parse().unwrap()],
        );
        let err = resolver(lookup)
            .resolve_checked("mixed.example")
            .await
            .unwrap_err();
        assert!(
            matches!(err, ResolveError::NonPublic(NonPublicAddress { ref addr, .. }) if *addr == "10.0.0.5".parse::<IpAddr>().unwrap())
        );
    }

    #[tokio::test]
    async fn mapped_ipv6_answers_are_refused() {
        let lookup = StaticLookup::new().with(
            "mapped.example",
            &["::ffff:169.254.169.254".parse().unwrap()],
        );
        assert!(matches!(
            resolver(lookup).resolve_checked("mapped.example").await,
            Err(ResolveError::NonPublic(_))
        ));
    }

    #[tokio::test]
    async fn public_answers_pass_and_private_ones_pass_only_when_allowed() {
        let lookup = StaticLookup::new()
            .with("ok.example", &["8.8.4.4".parse().unwrap()])
            .with("local.example", &["127.0.0.1".parse().unwrap()]);
        assert_eq!(
            resolver(lookup.clone())
                .resolve_checked("ok.example")
                .await
                .unwrap(),
            vec!["8.8.4.4".parse::<IpAddr>().unwrap()]
        );
        let open = FilteringResolver::new(Arc::new(lookup), true);
        assert!(open.resolve_checked("local.example").await.is_ok());
    }

    #[tokio::test]
    async fn refusals_are_found_through_a_boxed_chain() {
        let lookup = StaticLookup::new().with("bad.example", &["127.0.0.1".parse().unwrap()]);
        let err = resolver(lookup)
            .resolve_checked("bad.example")
            .await
            .unwrap_err();
        let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(err);
        assert_eq!(
            find_refusal(boxed.as_ref()).map(|r| r.host.as_str()),
            Some("bad.example")
        );
    }
}
