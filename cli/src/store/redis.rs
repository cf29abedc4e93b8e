//! The Redis store, for fleets: many machines share one server.
//!
//! Keys: `otw:{NAME}:profile` holds the profile's JSON, `otw:{NAME}:lock` the random owner of the
//! lock (`SET … NX PX lease`). Writes run a script that compares the owner first, so a process
//! whose lease ran out cannot overwrite what the next holder stored (fencing). The lease is
//! longer than the HTTP time-out, so a refresh always ends inside its lease. Values (tokens) are
//! never part of a key name and never logged.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{Guard, Store};
use crate::error::{Error, Result};
use crate::http::REQUEST_TIMEOUT;
use crate::profile::Profile;

/// How long a lock lives unless released: well beyond the refresh request's time-out.
pub const LEASE: Duration = Duration::from_secs(2 * REQUEST_TIMEOUT.as_secs());
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// Stores `ARGV[2]` under `KEYS[2]` only while `KEYS[1]` (the lock) still holds `ARGV[1]`.
const SAVE_IF_OWNER: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[2])
  return 1
end
return 0";

/// Deletes `KEYS[2]` only while `KEYS[1]` still holds `ARGV[1]`; answers 1 deleted, 0 absent, -1 not ours.
const DELETE_IF_OWNER: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[2])
end
return -1";

/// Releases the lock only if it is still ours (an expired lease may belong to someone else now).
const RELEASE_IF_OWNER: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0";

/// A Redis server holding profiles.
pub struct RedisStore {
    /// The URL without any password, for messages.
    shown: String,
    client: redis::Client,
    /// Dropped after a connection failure, so the next command connects again.
    connection: Mutex<Option<redis::Connection>>,
}

fn profile_key(name: &str) -> String {
    format!("otw:{{{name}}}:profile")
}

fn lock_key(name: &str) -> String {
    format!("otw:{{{name}}}:lock")
}

impl RedisStore {
    /// Connects to `url` (`redis://HOST:PORT/DB`).
    pub fn open(url: &str) -> Result<Self> {
        let shown = match url::Url::parse(url) {
            Ok(mut parsed) => {
                let _ = parsed.set_password(None);
                let _ = parsed.set_username("");
                parsed.to_string()
            }
            Err(_) => "the Redis URL given".to_owned(),
        };
        let client = redis::Client::open(url).map_err(|error| {
            Error::Usage(format!(
                "{shown} is not a Redis URL ({}); write redis://HOST:PORT/DB",
                error.detail().unwrap_or("unreadable")
            ))
        })?;
        let store = Self {
            shown,
            client,
            connection: Mutex::new(None),
        };
        // Connect now: an unreachable server is reported before anything else happens.
        store.run(|_| Ok(()))?;
        Ok(store)
    }

    fn connect(&self) -> redis::RedisResult<redis::Connection> {
        let connection = self.client.get_connection_with_timeout(CONNECT_TIMEOUT)?;
        connection.set_read_timeout(Some(IO_TIMEOUT))?;
        connection.set_write_timeout(Some(IO_TIMEOUT))?;
        Ok(connection)
    }

    fn run<T>(
        &self,
        work: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T> {
        let mut slot = self
            .connection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let result = match slot.as_mut() {
            Some(connection) => work(connection),
            None => self
                .connect()
                .and_then(|connection| work(slot.insert(connection))),
        };
        result.map_err(|error| {
            if error.is_io_error() || error.is_connection_dropped() || error.is_timeout() {
                *slot = None;
            }
            Error::StoreUnavailable {
                store: self.shown.clone(),
                detail: redis_detail(&error),
            }
        })
    }

    fn read(&self, name: &str) -> Result<Option<Profile>> {
        let key = profile_key(name);
        let text: Option<String> = self.run(|c| redis::cmd("GET").arg(&key).query(c))?;
        text.map(|text| Profile::from_json(&text, &format!("{} key {key}", self.shown)))
            .transpose()
    }
}

/// What failed, without echoing any value.
fn redis_detail(error: &redis::RedisError) -> String {
    if error.is_timeout() {
        "it did not answer in time".to_owned()
    } else if error.is_connection_refusal() {
        "the connection was refused (is redis-server running?)".to_owned()
    } else if error.is_io_error() || error.is_connection_dropped() {
        "the connection failed or was closed".to_owned()
    } else {
        format!(
            "it answered with an error ({})",
            error.code().unwrap_or("unknown")
        )
    }
}

impl Store for RedisStore {
    fn describe(&self) -> String {
        self.shown.clone()
    }

    fn load(&self, name: &str) -> Result<Option<Profile>> {
        self.read(name)
    }

    fn list(&self) -> Result<Vec<String>> {
        let keys: Vec<String> = self.run(|c| {
            let iter: redis::Iter<String> = redis::cmd("SCAN")
                .cursor_arg(0)
                .arg("MATCH")
                .arg("otw:{*}:profile")
                .arg("COUNT")
                .arg(1000)
                .clone()
                .iter(c)?;
            iter.collect()
        })?;
        let mut names: Vec<String> = keys
            .iter()
            .filter_map(|key| key.strip_prefix("otw:{")?.strip_suffix("}:profile"))
            .filter(|name| crate::profile::check_name(name).is_ok())
            .map(str::to_owned)
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    fn lock(&self, name: &str, wait: Duration) -> Result<Box<dyn Guard + '_>> {
        let owner = crate::random_hex(16);
        let key = lock_key(name);
        let lease_ms = u64::try_from(LEASE.as_millis()).unwrap_or(u64::MAX);
        let started = Instant::now();
        let mut pause = Duration::from_millis(2);
        loop {
            let taken: Option<String> = self.run(|c| {
                redis::cmd("SET")
                    .arg(&key)
                    .arg(&owner)
                    .arg("NX")
                    .arg("PX")
                    .arg(lease_ms)
                    .query(c)
            })?;
            if taken.is_some() {
                return Ok(Box::new(RedisGuard {
                    store: self,
                    name: name.to_owned(),
                    owner,
                }));
            }
            if started.elapsed() >= wait {
                return Err(Error::LockTimeout {
                    name: name.to_owned(),
                    waited_secs: started.elapsed().as_secs(),
                });
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(25));
        }
    }
}

/// A lock lease on one profile.
struct RedisGuard<'a> {
    store: &'a RedisStore,
    name: String,
    owner: String,
}

impl Guard for RedisGuard<'_> {
    fn load(&self) -> Result<Option<Profile>> {
        self.store.read(&self.name)
    }

    fn save(&mut self, profile: &Profile) -> Result<()> {
        let json = profile.to_json();
        let saved: i64 = self.store.run(|c| {
            redis::Script::new(SAVE_IF_OWNER)
                .key(lock_key(&self.name))
                .key(profile_key(&self.name))
                .arg(&self.owner)
                .arg(&json)
                .invoke(c)
        })?;
        if saved == 1 {
            Ok(())
        } else {
            Err(Error::LeaseLost {
                name: self.name.clone(),
            })
        }
    }

    fn delete(&mut self) -> Result<bool> {
        let deleted: i64 = self.store.run(|c| {
            redis::Script::new(DELETE_IF_OWNER)
                .key(lock_key(&self.name))
                .key(profile_key(&self.name))
                .arg(&self.owner)
                .invoke(c)
        })?;
        match deleted {
            -1 => Err(Error::LeaseLost {
                name: self.name.clone(),
            }),
            count => Ok(count > 0),
        }
    }
}

impl Drop for RedisGuard<'_> {
    fn drop(&mut self) {
        // Best effort: if Redis is gone, the lease expires by itself.
        let _ = self.store.run(|c| {
            redis::Script::new(RELEASE_IF_OWNER)
                .key(lock_key(&self.name))
                .arg(&self.owner)
                .invoke::<i64>(c)
        });
    }
}
