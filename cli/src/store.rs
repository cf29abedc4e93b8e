//! Where profiles live: a folder of files ([`file`]) or a Redis server shared by many machines
//! ([`redis`]). Both give the same guarantees: reads never see a half-written profile, a lock
//! covers read → refresh → write, and only the lock's holder can write.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::profile::Profile;

pub mod file;
pub mod redis;

/// A place that keeps profiles.
pub trait Store: Send + Sync {
    /// The store as the user would name it in `--store`, for messages.
    fn describe(&self) -> String;
    /// Reads a profile without locking (a consistent snapshot: writes are atomic).
    fn load(&self, name: &str) -> Result<Option<Profile>>;
    /// The names of the stored profiles, sorted.
    fn list(&self) -> Result<Vec<String>>;
    /// Takes the profile's lock, waiting at most `wait`; it is released when the guard drops.
    fn lock(&self, name: &str, wait: Duration) -> Result<Box<dyn Guard + '_>>;
}

/// A held lock on one profile: the only way to change it.
pub trait Guard {
    /// Reads the profile again, under the lock.
    fn load(&self) -> Result<Option<Profile>>;
    /// Replaces the profile, atomically, only while the lock is still held.
    fn save(&mut self, profile: &Profile) -> Result<()>;
    /// Removes the profile.
    fn delete(&mut self) -> Result<bool>;
}

/// Opens the store named by `--store` / `OTW_STORE`: `redis://…` is a Redis server, anything
/// else a folder; without one, the folder `otw` under the user's data directory (XDG rules).
pub fn open(spec: Option<&str>) -> Result<Box<dyn Store>> {
    match spec.filter(|spec| !spec.is_empty()) {
        Some(url) if url.starts_with("redis://") || url.starts_with("rediss://") => {
            Ok(Box::new(redis::RedisStore::open(url)?))
        }
        Some(dir) => Ok(Box::new(file::FileStore::new(PathBuf::from(dir)))),
        None => Ok(Box::new(file::FileStore::new(default_dir()?))),
    }
}

/// `$XDG_DATA_HOME/otw` (usually `~/.local/share/otw`) on Linux, the platform's equivalent elsewhere.
pub fn default_dir() -> Result<PathBuf> {
    directories::ProjectDirs::from("", "", "otw")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .ok_or_else(|| {
            Error::Usage(
                "cannot find your home directory to keep the profiles in; pass --store DIR or set OTW_STORE"
                    .to_owned(),
            )
        })
}
