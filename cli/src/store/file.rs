//! The folder store: `<dir>/<name>.json` per profile (0600, in a 0700 folder), with an advisory
//! lock on `<dir>/<name>.lock`.
//!
//! Writes go to a temporary file in the same folder, which is fsynced, renamed over the profile,
//! and then the folder is fsynced: a reader (or a crash) sees the old profile or the new one,
//! never a mix. The lock file is never removed: a process waiting on it must lock the same file
//! the next holder will.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fs4::{FileExt, TryLockError};

use super::{Guard, Store};
use crate::error::{Error, Result};
use crate::profile::Profile;

/// A folder of profile files.
pub struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    /// The store in `dir` (created on the first write).
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    fn profile_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    fn unavailable(&self, doing: &str, path: &Path, error: &std::io::Error) -> Error {
        Error::StoreUnavailable {
            store: self.describe(),
            detail: format!("{doing} {}: {error}", path.display()),
        }
    }

    fn create_dir(&self) -> Result<()> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(|error| self.unavailable("cannot create the folder", &self.dir, &error))
    }

    fn read(&self, name: &str) -> Result<Option<Profile>> {
        let path = self.profile_path(name);
        match fs::read_to_string(&path) {
            Ok(text) => Profile::from_json(&text, &path.display().to_string()).map(Some),
            Err(error) if error.kind() == ErrorKind::NotFound => Ok(None),
            Err(error) if error.kind() == ErrorKind::InvalidData => Err(Error::Corrupt {
                path: path.display().to_string(),
                detail: "it is not UTF-8 text".to_owned(),
            }),
            Err(error) => Err(self.unavailable("cannot read", &path, &error)),
        }
    }
}

impl Store for FileStore {
    fn describe(&self) -> String {
        format!("the folder {}", self.dir.display())
    }

    fn load(&self, name: &str) -> Result<Option<Profile>> {
        self.read(name)
    }

    fn list(&self) -> Result<Vec<String>> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(self.unavailable("cannot list", &self.dir, &error)),
        };
        let mut names: Vec<String> = entries
            .filter_map(|entry| entry.ok())
            .filter_map(|entry| {
                let file_name = entry.file_name().into_string().ok()?;
                let name = file_name.strip_suffix(".json")?;
                crate::profile::check_name(name).ok()?;
                Some(name.to_owned())
            })
            .collect();
        names.sort();
        Ok(names)
    }

    fn lock(&self, name: &str, wait: Duration) -> Result<Box<dyn Guard + '_>> {
        self.create_dir()?;
        let path = self.dir.join(format!("{name}.lock"));
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .mode(0o600)
            .open(&path)
            .map_err(|error| self.unavailable("cannot open the lock file", &path, &error))?;
        let started = Instant::now();
        let mut pause = Duration::from_millis(1);
        loop {
            match FileExt::try_lock(&file) {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(error)) => {
                    return Err(self.unavailable("cannot lock", &path, &error));
                }
            }
            if started.elapsed() >= wait {
                return Err(Error::LockTimeout {
                    name: name.to_owned(),
                    waited_secs: started.elapsed().as_secs(),
                });
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(20));
        }
        let guard = FileGuard {
            store: self,
            name: name.to_owned(),
            _lock: file,
        };
        guard.remove_stale_temporaries();
        Ok(Box::new(guard))
    }
}

/// The lock on one profile file; the kernel releases it when the file closes (also on a crash).
struct FileGuard<'a> {
    store: &'a FileStore,
    name: String,
    _lock: File,
}

impl FileGuard<'_> {
    fn temporary_prefix(&self) -> String {
        format!(".{}.", self.name)
    }

    /// Temporary files a killed writer left behind: only the lock's holder writes, so under the
    /// lock every one of them is stale (and holds tokens nobody should keep).
    fn remove_stale_temporaries(&self) {
        let Ok(entries) = fs::read_dir(&self.store.dir) else {
            return;
        };
        let prefix = self.temporary_prefix();
        for entry in entries.filter_map(|entry| entry.ok()) {
            let file_name = entry.file_name();
            let Some(file_name) = file_name.to_str() else {
                continue;
            };
            if file_name.starts_with(&prefix) && file_name.ends_with(".tmp") {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

impl Guard for FileGuard<'_> {
    fn load(&self) -> Result<Option<Profile>> {
        self.store.read(&self.name)
    }

    fn save(&mut self, profile: &Profile) -> Result<()> {
        let store = self.store;
        let path = store.profile_path(&self.name);
        let failed = |doing: &str, error: std::io::Error| store.unavailable(doing, &path, &error);
        // tempfile creates the file 0600 (O_EXCL, mode given at creation).
        let mut temporary = tempfile::Builder::new()
            .prefix(&self.temporary_prefix())
            .suffix(".tmp")
            .tempfile_in(&store.dir)
            .map_err(|error| failed("cannot create a temporary file next to", error))?;
        temporary
            .write_all(profile.to_json().as_bytes())
            .and_then(|()| temporary.as_file().sync_all())
            .map_err(|error| failed("cannot write a temporary file next to", error))?;
        temporary
            .persist(&path)
            .map_err(|error| failed("cannot replace", error.error))?;
        File::open(&store.dir)
            .and_then(|dir| dir.sync_all())
            .map_err(|error| failed("cannot flush the folder of", error))
    }

    fn delete(&mut self) -> Result<bool> {
        let path = self.store.profile_path(&self.name);
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(error) if error.kind() == ErrorKind::NotFound => Ok(false),
            Err(error) => Err(self.store.unavailable("cannot remove", &path, &error)),
        }
    }
}
