//! The in-memory backend: one relay instance's own maps, under one lock. A pickup takes and
//! deletes in one step under the lock, so exactly one caller ever receives a callback.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use subtle::ConstantTimeEq;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

use super::{Kept, Pickup, RegisterError, Registration, StoreLimits, hash_secret};
use crate::seal::SealKey;

struct Entry {
    secret_hash: [u8; 32],
    owner: IpAddr,
    expires_at: Instant,
    key: Option<SealKey>,
    callback: Option<Kept>,
    arrived: Arc<Notify>,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<Box<str>, Entry>,
    per_ip: HashMap<IpAddr, usize>,
    last_sweep: Option<Instant>,
}

impl Inner {
    fn remove(&mut self, state: &str) -> Option<Entry> {
        let entry = self.entries.remove(state)?;
        if let Some(count) = self.per_ip.get_mut(&entry.owner) {
            *count -= 1;
            if *count == 0 {
                self.per_ip.remove(&entry.owner);
            }
        }
        Some(entry)
    }

    fn sweep(&mut self, now: Instant) {
        let expired: Vec<Box<str>> = self
            .entries
            .iter()
            .filter(|(_, entry)| entry.expires_at <= now)
            .map(|(state, _)| state.clone())
            .collect();
        for state in expired {
            self.remove(&state);
        }
        self.last_sweep = Some(now);
    }
}

/// The in-memory store shared by `/api/pending`, `/callback`, `/api/listen` and `/api/pickup`.
pub struct PendingStore {
    inner: Mutex<Inner>,
    limits: StoreLimits,
}

/// How often registration sweeps out expired entries at the latest.
const SWEEP_EVERY: Duration = Duration::from_secs(30);

impl PendingStore {
    /// An empty store with these bounds.
    pub fn new(limits: StoreLimits) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            limits,
        }
    }

    /// The bounds this store enforces.
    pub fn limits(&self) -> StoreLimits {
        self.limits
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that
        // matters more than refusing all service would, so keep going with the data.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// See [`super::Store::register`].
    pub fn register(&self, registration: Registration<'_>) -> Result<(), RegisterError> {
        let Registration {
            state,
            secret,
            owner,
            key,
        } = registration;
        let now = Instant::now();
        let mut inner = self.lock();
        if inner
            .last_sweep
            .is_none_or(|at| now.duration_since(at) >= SWEEP_EVERY)
        {
            inner.sweep(now);
        }
        let secret_hash = hash_secret(secret);
        let expires_at = now + self.limits.ttl;
        if let Some(existing) = inner.entries.get_mut(state)
            && existing.expires_at > now
        {
            if bool::from(existing.secret_hash.ct_eq(&secret_hash)) && existing.callback.is_none() {
                existing.expires_at = expires_at;
                existing.key = key.cloned();
                return Ok(());
            }
            return Err(RegisterError::StateInUse);
        }
        inner.remove(state);
        if inner.entries.len() >= self.limits.capacity {
            inner.sweep(now);
            if inner.entries.len() >= self.limits.capacity {
                return Err(RegisterError::Full);
            }
        }
        if inner.per_ip.get(&owner).copied().unwrap_or(0) >= self.limits.per_ip {
            return Err(RegisterError::TooManyForAddress);
        }
        inner.entries.insert(
            state.into(),
            Entry {
                secret_hash,
                owner,
                expires_at,
                key: key.cloned(),
                callback: None,
                arrived: Arc::new(Notify::new()),
            },
        );
        *inner.per_ip.entry(owner).or_insert(0) += 1;
        Ok(())
    }

    /// Drops a registration whose secret matches (used when a listener could not start).
    pub fn cancel(&self, state: &str, secret: &str) {
        let mut inner = self.lock();
        let matches = inner
            .entries
            .get(state)
            .is_some_and(|entry| bool::from(entry.secret_hash.ct_eq(&hash_secret(secret))));
        if matches {
            inner.remove(state);
        }
    }

    /// True if `state` is registered, unexpired and still waiting for its callback.
    pub fn is_waiting(&self, state: &str) -> bool {
        let now = Instant::now();
        self.lock()
            .entries
            .get(state)
            .is_some_and(|entry| entry.expires_at > now && entry.callback.is_none())
    }

    /// See [`super::Store::deliver`]; sealing happens under the lock, so the parameters are never
    /// held in the clear when the entry has a key.
    pub fn deliver(&self, state: &str, callback: &str) -> bool {
        let now = Instant::now();
        let mut inner = self.lock();
        match inner.entries.get_mut(state) {
            Some(entry) if entry.expires_at > now && entry.callback.is_none() => {
                entry.callback = Some(Kept::new(entry.key.as_ref(), callback));
                // notify_one keeps a permit if the poller is between checks, so no wake-up is lost.
                entry.arrived.notify_one();
                true
            }
            _ => false,
        }
    }

    /// Takes the callback for `state` if it has arrived, waiting up to `wait` for it.
    /// `shutdown` turning true ends the wait early with [`Pickup::Timeout`].
    pub async fn pickup(
        &self,
        state: &str,
        secret: &str,
        wait: Duration,
        mut shutdown: watch::Receiver<bool>,
    ) -> Pickup {
        let secret_hash = hash_secret(secret);
        let deadline = Instant::now() + wait;
        loop {
            let (arrived, expires_at) = {
                let now = Instant::now();
                let mut inner = self.lock();
                let Some(entry) = inner.entries.get(state) else {
                    return Pickup::NotFound;
                };
                if entry.expires_at <= now {
                    inner.remove(state);
                    return Pickup::NotFound;
                }
                if !bool::from(entry.secret_hash.ct_eq(&secret_hash)) {
                    return Pickup::NotFound;
                }
                if entry.callback.is_some() {
                    let taken = inner.remove(state).and_then(|entry| entry.callback);
                    return taken.map_or(Pickup::NotFound, Pickup::Ready);
                }
                (entry.arrived.clone(), entry.expires_at)
            };
            let now = Instant::now();
            if now >= deadline || *shutdown.borrow() {
                return Pickup::Timeout;
            }
            let until = deadline.min(expires_at);
            tokio::select! {
                () = arrived.notified() => {}
                () = tokio::time::sleep_until(until) => {
                    if until >= deadline {
                        return Pickup::Timeout;
                    }
                }
                // A dropped sender (no shutdown coming) disables this branch.
                Ok(()) = shutdown.changed() => return Pickup::Timeout,
            }
        }
    }

    /// Removes expired entries now.
    pub fn sweep(&self) {
        self.lock().sweep(Instant::now());
    }

    /// Number of entries held (including expired ones not yet swept).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// True if the store holds no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123";

    fn store(capacity: usize, per_ip: usize) -> PendingStore {
        PendingStore::new(StoreLimits {
            capacity,
            per_ip,
            ttl: Duration::from_secs(300),
        })
    }

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, last])
    }

    fn reg<'a>(state: &'a str, secret: &'a str, owner: IpAddr) -> Registration<'a> {
        Registration {
            state,
            secret,
            owner,
            key: None,
        }
    }

    fn no_shutdown() -> watch::Receiver<bool> {
        watch::channel(false).1
    }

    #[tokio::test]
    async fn registered_callback_is_picked_up_once() {
        let store = store(10, 10);
        store.register(reg("s1", SECRET, ip(1))).unwrap();
        assert!(store.deliver("s1", "code=abc&state=s1"));
        assert!(
            !store.deliver("s1", "code=evil&state=s1"),
            "a second callback must not replace the first"
        );
        let wait = Duration::from_millis(10);
        assert_eq!(
            store
                .pickup("s1", "wrong-secret-0000000", wait, no_shutdown())
                .await,
            Pickup::NotFound
        );
        assert_eq!(
            store.pickup("s1", SECRET, wait, no_shutdown()).await,
            Pickup::Ready(Kept::Plain("code=abc&state=s1".into()))
        );
        assert_eq!(
            store.pickup("s1", SECRET, wait, no_shutdown()).await,
            Pickup::NotFound
        );
        assert!(store.is_empty());
    }

    #[tokio::test]
    async fn unsolicited_callbacks_store_nothing() {
        let store = store(10, 10);
        assert!(!store.deliver("never-registered", "code=abc"));
        assert!(store.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn entries_expire_after_the_ttl() {
        let store = store(10, 10);
        store.register(reg("s1", SECRET, ip(1))).unwrap();
        tokio::time::advance(Duration::from_secs(301)).await;
        assert!(!store.deliver("s1", "code=late"));
        assert_eq!(
            store
                .pickup("s1", SECRET, Duration::from_secs(1), no_shutdown())
                .await,
            Pickup::NotFound
        );
    }

    #[tokio::test(start_paused = true)]
    async fn pickup_waits_and_wakes_when_the_callback_arrives() {
        let store = Arc::new(store(10, 10));
        store.register(reg("s1", SECRET, ip(1))).unwrap();
        let poller = {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .pickup("s1", SECRET, Duration::from_secs(25), no_shutdown())
                    .await
            })
        };
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert!(store.deliver("s1", "code=abc"));
        assert_eq!(
            poller.await.unwrap(),
            Pickup::Ready(Kept::Plain("code=abc".into()))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn pickup_times_out_without_a_callback_and_keeps_the_entry() {
        let store = store(10, 10);
        store.register(reg("s1", SECRET, ip(1))).unwrap();
        assert_eq!(
            store
                .pickup("s1", SECRET, Duration::from_secs(25), no_shutdown())
                .await,
            Pickup::Timeout
        );
        assert!(store.is_waiting("s1"));
    }

    #[tokio::test]
    async fn caps_hold() {
        let store = store(3, 2);
        store.register(reg("a", SECRET, ip(1))).unwrap();
        store.register(reg("b", SECRET, ip(1))).unwrap();
        assert_eq!(
            store.register(reg("c", SECRET, ip(1))),
            Err(RegisterError::TooManyForAddress)
        );
        store.register(reg("c", SECRET, ip(2))).unwrap();
        assert_eq!(
            store.register(reg("d", SECRET, ip(3))),
            Err(RegisterError::Full)
        );
        assert_eq!(store.len(), 3);
        assert_eq!(
            store.register(reg("a", "another-secret-00000", ip(3))),
            Err(RegisterError::StateInUse)
        );
        assert_eq!(
            store.register(reg("a", SECRET, ip(1))),
            Ok(()),
            "re-registering with the same secret renews"
        );
        store.cancel("a", SECRET);
        store.register(reg("d", SECRET, ip(3))).unwrap();
        assert_eq!(store.len(), 3);
    }

    #[tokio::test]
    async fn a_registered_key_means_only_sealed_bytes_are_kept() {
        let store = store(10, 10);
        let (sk, pk) = crate::seal::receiver::key_pair();
        let key = SealKey::parse(&pk).unwrap();
        store
            .register(Registration {
                key: Some(&key),
                ..reg("s1", SECRET, ip(1))
            })
            .unwrap();
        assert!(store.deliver("s1", "code=abc&state=s1"));
        let kept = store.lock().entries["s1"].callback.clone();
        let Some(Kept::Sealed(sealed)) = kept else {
            panic!("kept in the clear: {kept:?}");
        };
        assert!(!sealed.contains("abc"));
        let picked = store
            .pickup("s1", SECRET, Duration::ZERO, no_shutdown())
            .await;
        assert_eq!(picked, Pickup::Ready(Kept::Sealed(sealed.clone())));
        assert_eq!(
            crate::seal::receiver::open(&sk, &sealed).unwrap(),
            "code=abc&state=s1"
        );
    }
}
