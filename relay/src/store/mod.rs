//! The pending-callback store: states the wizard registered, and the callbacks that arrived for
//! them, waiting to be picked up once. Two backends behind one interface ([`Store`]): this
//! process's memory (`--store memory`, one instance) or Redis shared by every instance
//! (`--store redis://…`). Both keep only a hash of the pickup secret, the same caps and TTL, and
//! a callback sealed to the wizard's key when it registered one ([`crate::seal`]).

pub mod memory;
pub mod redis;

use std::net::IpAddr;
use std::time::Duration;

use tokio::sync::watch;

use crate::seal::SealKey;
pub use memory::PendingStore;
pub use redis::RedisStore;

/// Longest `state` accepted at registration, in bytes.
pub const MAX_STATE_LEN: usize = 512;
/// Shortest pickup secret accepted (it must be unguessable).
pub const MIN_SECRET_LEN: usize = 16;
/// Longest pickup secret accepted.
pub const MAX_SECRET_LEN: usize = 512;

/// The store's bounds.
#[derive(Debug, Clone, Copy)]
pub struct StoreLimits {
    /// Most entries at once, across all clients.
    pub capacity: usize,
    /// Most entries one client address may hold.
    pub per_ip: usize,
    /// How long a registration (and its callback) lives.
    pub ttl: Duration,
}

/// Why a registration was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    /// The global cap is reached.
    #[error("the relay holds too many pending authorizations; try again in a few minutes")]
    Full,
    /// This address holds too many entries.
    #[error("your address has too many pending authorizations; finish or wait for them to expire")]
    TooManyForAddress,
    /// The state is registered with another pickup secret.
    #[error("this state is already registered; start the authorization again with a new state")]
    StateInUse,
    /// The shared store did not answer in time.
    #[error("{STORE_UNAVAILABLE}")]
    Unavailable,
}

/// The words for a store that does not answer.
pub const STORE_UNAVAILABLE: &str =
    "the relay's shared store (Redis) is not answering; try again in a moment";

/// A callback as kept: sealed to the wizard's key, or (a registration without a key, local
/// mode only) the parameters themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kept {
    /// base64url(enc ‖ ciphertext), see [`crate::seal`].
    Sealed(String),
    /// The callback's parameters (`code=…&state=…`).
    Plain(String),
}

impl Kept {
    /// Seals `callback` to `key`, or keeps it as it is without one.
    pub fn new(key: Option<&SealKey>, callback: &str) -> Self {
        match key {
            Some(key) => Self::Sealed(key.seal(callback)),
            None => Self::Plain(callback.to_owned()),
        }
    }
}

/// What a pickup ends with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pickup {
    /// The callback (now deleted from the store).
    Ready(Kept),
    /// Nothing arrived within the wait; poll again.
    Timeout,
    /// Unknown, expired, already taken or wrong secret (deliberately alike).
    NotFound,
    /// The shared store did not answer in time.
    Unavailable,
}

/// One registration's request.
#[derive(Debug, Clone, Copy)]
pub struct Registration<'a> {
    /// The `state` the wizard sends to the provider.
    pub state: &'a str,
    /// The pickup secret (only its hash is kept).
    pub secret: &'a str,
    /// The client address, for the per-address cap.
    pub owner: IpAddr,
    /// The wizard's public key to seal the callback to.
    pub key: Option<&'a SealKey>,
}

/// The store the relay was started with (`--store`).
pub enum Store {
    /// This process's memory.
    Memory(PendingStore),
    /// Redis, shared by every instance.
    Redis(RedisStore),
}

impl Store {
    /// The bounds this store enforces.
    pub fn limits(&self) -> StoreLimits {
        match self {
            Self::Memory(store) => store.limits(),
            Self::Redis(store) => store.limits(),
        }
    }

    /// Registers a state. The same state with the same secret again renews it (and takes the
    /// new key); with another secret it is refused.
    pub async fn register(&self, registration: Registration<'_>) -> Result<(), RegisterError> {
        match self {
            Self::Memory(store) => store.register(registration),
            Self::Redis(store) => store.register(registration).await,
        }
    }

    /// Drops a registration whose secret matches (used when a listener could not start).
    pub async fn cancel(&self, state: &str, secret: &str) {
        match self {
            Self::Memory(store) => store.cancel(state, secret),
            Self::Redis(store) => store.cancel(state, secret).await,
        }
    }

    /// Keeps `callback` (sealed when a key was registered) for a registered, unexpired state
    /// that has none yet. Returns whether it was kept: unsolicited, late and second callbacks
    /// are dropped, and so is one that arrives while Redis does not answer.
    pub async fn deliver(&self, state: &str, callback: &str) -> bool {
        match self {
            Self::Memory(store) => store.deliver(state, callback),
            Self::Redis(store) => store.deliver(state, callback).await,
        }
    }

    /// Takes the callback for `state` if it has arrived, waiting up to `wait` for it.
    /// `shutdown` turning true ends the wait early with [`Pickup::Timeout`].
    pub async fn pickup(
        &self,
        state: &str,
        secret: &str,
        wait: Duration,
        shutdown: watch::Receiver<bool>,
    ) -> Pickup {
        match self {
            Self::Memory(store) => store.pickup(state, secret, wait, shutdown).await,
            Self::Redis(store) => store.pickup(state, secret, wait, shutdown).await,
        }
    }

    /// Whether the store answers (always, in memory).
    pub async fn is_reachable(&self) -> bool {
        match self {
            Self::Memory(_) => true,
            Self::Redis(store) => store.ping().await,
        }
    }

    /// Removes expired entries now (Redis expires its own).
    pub fn sweep(&self) {
        if let Self::Memory(store) = self {
            store.sweep();
        }
    }

    /// Entries held in this process's memory (including expired ones not yet swept); 0 with Redis.
    pub fn len(&self) -> usize {
        match self {
            Self::Memory(store) => store.len(),
            Self::Redis(_) => 0,
        }
    }

    /// True if [`Store::len`] is 0.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// SHA-256 of a pickup secret: the only form the stores keep.
pub fn hash_secret(secret: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(secret.as_bytes()).into()
}
