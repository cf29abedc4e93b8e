//! The Redis backend: every relay instance shares the pending store, so a callback that lands on
//! one instance is picked up through another.
//!
//! Keys (prefix `otw-relay:`): `p:<sha256(state)>`, a hash with the secret's hash `s`, the
//! wizard's public key `k`, the owner's set `o` and, once arrived, the kept callback `c` (sealed
//! when `k` is set), expiring with the TTL; `all` and `ip:<address>`, sorted sets of entry keys
//! by expiry time, for the global and per-address caps. Each step is one Lua script, so
//! concurrent instances cannot both take a callback or both pass a cap. An arrival is published
//! on `otw-relay:arrived`; every instance holds one subscription that wakes its waiting pickups.
//! Every call is bounded by [`OP_TIMEOUT`]; past it the caller answers 503.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::StreamExt;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{FromRedisValue, Script};
use sha2::Digest;
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

use super::{Kept, Pickup, RegisterError, Registration, StoreLimits, hash_secret};
use crate::seal::SealKey;

const PREFIX: &str = "otw-relay:";
const ALL: &str = "otw-relay:all";
const CHANNEL: &str = "otw-relay:arrived";
/// Longest one Redis call may take before the request gives up with 503 `store_unavailable`.
pub const OP_TIMEOUT: Duration = Duration::from_secs(2);
/// A waiting pickup also looks again this often, so a message lost while the subscription was
/// down delays it by at most this.
const RECHECK: Duration = Duration::from_secs(2);

static REGISTER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"-- KEYS: entry, all, owner's set. ARGV: secret hash, key, ttl ms, capacity, per-address cap
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
local held = redis.call('HMGET', KEYS[1], 's', 'c')
if held[1] then
  if held[1] ~= ARGV[1] or held[2] then return 'state_in_use' end
elseif redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then return 'full'
elseif redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[5]) then return 'per_address'
end
redis.call('HSET', KEYS[1], 's', ARGV[1], 'k', ARGV[2], 'o', KEYS[3])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('ZADD', KEYS[2], now + ttl, KEYS[1])
redis.call('ZADD', KEYS[3], now + ttl, KEYS[1])
redis.call('PEXPIRE', KEYS[3], ttl)
return 'ok'",
    )
});

static DELIVER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"-- KEYS: entry. ARGV: the key the value was sealed to, the value, the channel
local held = redis.call('HMGET', KEYS[1], 's', 'c', 'k')
if not held[1] or held[2] or held[3] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'c', ARGV[2])
redis.call('PUBLISH', ARGV[3], KEYS[1])
return 1",
    )
});

/// Takes (ARGV[2] = `take`) or cancels (`cancel`) an entry whose secret matches.
static TAKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"-- KEYS: entry, all. ARGV: secret hash, 'take' or 'cancel'
local held = redis.call('HMGET', KEYS[1], 's', 'c', 'o')
if not held[1] or held[1] ~= ARGV[1] then return false end
if ARGV[2] == 'take' and not held[2] then return '' end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], KEYS[1])
redis.call('ZREM', held[3], KEYS[1])
return held[2] or ''",
    )
});

/// The store on Redis. Dropping it ends its subscription.
pub struct RedisStore {
    conn: ConnectionManager,
    limits: StoreLimits,
    arrivals: broadcast::Sender<Arc<str>>,
    subscriber: tokio::task::JoinHandle<()>,
}

impl Drop for RedisStore {
    fn drop(&mut self) {
        self.subscriber.abort();
    }
}

fn entry_key(state: &str) -> String {
    format!(
        "{PREFIX}p:{}",
        URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(state.as_bytes()))
    )
}

fn secret_field(secret: &str) -> String {
    URL_SAFE_NO_PAD.encode(hash_secret(secret))
}

impl RedisStore {
    /// A store on the Redis at `url` (`redis://HOST:PORT/DB`). Connects lazily: a relay starts
    /// while Redis is down and serves as soon as it is up. Must be called inside a Tokio runtime.
    pub fn open(url: &str, limits: StoreLimits) -> redis::RedisResult<Self> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(OP_TIMEOUT))
            .set_response_timeout(Some(OP_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let conn = ConnectionManager::new_lazy_with_config(client.clone(), config)?;
        let (arrivals, _) = broadcast::channel(1024);
        let subscriber = tokio::spawn(subscribe(client, arrivals.clone()));
        Ok(Self {
            conn,
            limits,
            arrivals,
            subscriber,
        })
    }

    /// The bounds this store enforces.
    pub fn limits(&self) -> StoreLimits {
        self.limits
    }

    async fn call<T: FromRedisValue>(
        &self,
        script: &Script,
        keys: &[&str],
        args: &[&str],
    ) -> Result<T, ()> {
        let mut invocation = script.prepare_invoke();
        for key in keys {
            invocation.key(*key);
        }
        for arg in args {
            invocation.arg(*arg);
        }
        let mut conn = self.conn.clone();
        match tokio::time::timeout(OP_TIMEOUT, invocation.invoke_async(&mut conn)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "the Redis store failed");
                Err(())
            }
            Err(_) => {
                tracing::warn!("the Redis store did not answer in time");
                Err(())
            }
        }
    }

    /// See [`super::Store::register`].
    pub async fn register(&self, registration: Registration<'_>) -> Result<(), RegisterError> {
        let owner_set = format!("{PREFIX}ip:{}", registration.owner);
        let key = registration.key.map_or("", |key| &key.text);
        let ttl = self.limits.ttl.as_millis().to_string();
        let (capacity, per_ip) = (
            self.limits.capacity.to_string(),
            self.limits.per_ip.to_string(),
        );
        let answer: String = self
            .call(
                &REGISTER,
                &[&entry_key(registration.state), ALL, &owner_set],
                &[
                    &secret_field(registration.secret),
                    key,
                    &ttl,
                    &capacity,
                    &per_ip,
                ],
            )
            .await
            .map_err(|()| RegisterError::Unavailable)?;
        match answer.as_str() {
            "ok" => Ok(()),
            "full" => Err(RegisterError::Full),
            "per_address" => Err(RegisterError::TooManyForAddress),
            _ => Err(RegisterError::StateInUse),
        }
    }

    /// See [`super::Store::cancel`].
    pub async fn cancel(&self, state: &str, secret: &str) {
        let _: Result<Option<String>, ()> = self
            .call(
                &TAKE,
                &[&entry_key(state), ALL],
                &[&secret_field(secret), "cancel"],
            )
            .await;
    }

    /// See [`super::Store::deliver`]: reads the registered key, seals, then keeps the sealed
    /// value only if the entry still waits with that same key.
    pub async fn deliver(&self, state: &str, callback: &str) -> bool {
        let entry = entry_key(state);
        let mut conn = self.conn.clone();
        let key: Option<String> = match tokio::time::timeout(
            OP_TIMEOUT,
            redis::cmd("HGET")
                .arg(&entry)
                .arg("k")
                .query_async(&mut conn),
        )
        .await
        {
            Ok(Ok(key)) => key,
            _ => {
                tracing::warn!("the Redis store did not answer; the callback is not kept");
                return false;
            }
        };
        let Some(key_text) = key else {
            return false;
        };
        let kept = if key_text.is_empty() {
            Kept::Plain(callback.to_owned())
        } else {
            match SealKey::parse(&key_text) {
                Ok(key) => Kept::new(Some(&key), callback),
                Err(_) => return false,
            }
        };
        let value = match kept {
            Kept::Sealed(sealed) => format!("s{sealed}"),
            Kept::Plain(plain) => format!("p{plain}"),
        };
        let kept: Result<i64, ()> = self
            .call(&DELIVER, &[&entry], &[&key_text, &value, CHANNEL])
            .await;
        kept == Ok(1)
    }

    /// See [`super::Store::pickup`].
    pub async fn pickup(
        &self,
        state: &str,
        secret: &str,
        wait: Duration,
        mut shutdown: watch::Receiver<bool>,
    ) -> Pickup {
        let entry = entry_key(state);
        let secret = secret_field(secret);
        let deadline = Instant::now() + wait;
        // Subscribed before the first look, so an arrival between the two is not missed.
        let mut arrivals = self.arrivals.subscribe();
        loop {
            let taken: Option<String> =
                match self.call(&TAKE, &[&entry, ALL], &[&secret, "take"]).await {
                    Ok(taken) => taken,
                    Err(()) => return Pickup::Unavailable,
                };
            match taken.as_deref().map(|value| value.split_at_checked(1)) {
                None => return Pickup::NotFound,
                Some(Some(("s", sealed))) => return Pickup::Ready(Kept::Sealed(sealed.into())),
                Some(Some(("p", plain))) => return Pickup::Ready(Kept::Plain(plain.into())),
                Some(_) => {}
            }
            if Instant::now() >= deadline || *shutdown.borrow() {
                return Pickup::Timeout;
            }
            let until = deadline.min(Instant::now() + RECHECK);
            tokio::select! {
                () = arrival(&mut arrivals, &entry) => {}
                () = tokio::time::sleep_until(until) => {}
                Ok(()) = shutdown.changed() => return Pickup::Timeout,
            }
        }
    }

    /// Whether Redis answers `PING` within [`OP_TIMEOUT`].
    pub async fn ping(&self) -> bool {
        let mut conn = self.conn.clone();
        let answer = tokio::time::timeout(
            OP_TIMEOUT,
            redis::cmd("PING").query_async::<String>(&mut conn),
        )
        .await;
        matches!(answer, Ok(Ok(pong)) if pong == "PONG")
    }
}

/// Returns when `entry`'s callback may have arrived: its message, a resubscription (the empty
/// message), or missed messages.
async fn arrival(arrivals: &mut broadcast::Receiver<Arc<str>>, entry: &str) {
    loop {
        match arrivals.recv().await {
            Ok(key) if key.is_empty() || *key == *entry => return,
            Ok(_) => {}
            Err(broadcast::error::RecvError::Lagged(_)) => return,
            Err(broadcast::error::RecvError::Closed) => std::future::pending().await,
        }
    }
}

/// Holds this instance's subscription to arrivals, resubscribing whenever it drops.
async fn subscribe(client: redis::Client, arrivals: broadcast::Sender<Arc<str>>) {
    let mut was_down = false;
    loop {
        let connected = tokio::time::timeout(OP_TIMEOUT, async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(CHANNEL).await?;
            redis::RedisResult::Ok(pubsub)
        })
        .await;
        if let Ok(Ok(pubsub)) = connected {
            if was_down {
                tracing::info!("the Redis store answers again");
            }
            was_down = false;
            // Anything published while unsubscribed is lost: every waiter looks again.
            let _ = arrivals.send(Arc::from(""));
            let mut messages = pubsub.into_on_message();
            while let Some(message) = messages.next().await {
                if let Ok(key) = message.get_payload::<String>() {
                    let _ = arrivals.send(key.into());
                }
            }
        }
        if !was_down {
            tracing::warn!("lost the Redis store's arrival channel; reconnecting");
            was_down = true;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
