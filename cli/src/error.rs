//! The one error type of the command, and the exit code each error maps to.
//!
//! Every message says what went wrong and what to do next; none contains a token, secret or code.

use std::path::PathBuf;

use thiserror::Error;

/// Exit code: the command did what was asked.
pub const EXIT_OK: i32 = 0;
/// Exit code: bad usage or input (a wrong flag, a broken file, settings that cannot work).
pub const EXIT_USAGE: i32 = 2;
/// Exit code: the service refused the grant; a new authorization (`otw login NAME`) is needed.
pub const EXIT_REAUTHORIZE: i32 = 3;
/// Exit code: the service, the network or the store failed; retrying later may work.
pub const EXIT_RETRY: i32 = 4;

/// Everything that can go wrong in `otw`.
#[derive(Debug, Error)]
pub enum Error {
    /// A flag or argument that cannot work.
    #[error("{0}")]
    Usage(String),
    /// No profile of that name.
    #[error(
        "there is no profile `{name}` in {store}; `otw list` shows the profiles there, and `otw import FILE --name {name}` or `otw login {name} --preset ID …` creates it"
    )]
    NotFound {
        /// The profile name asked for.
        name: String,
        /// The store, as the user would write it.
        store: String,
    },
    /// `import` or `login` onto a profile that already exists.
    #[error(
        "a profile `{name}` already exists in {store}; pass --replace to overwrite it (its refresh token will be lost) or choose another --name"
    )]
    Exists {
        /// The profile name.
        name: String,
        /// The store.
        store: String,
    },
    /// A stored profile that does not parse: it is left exactly as it is.
    #[error(
        "the stored profile {path} is damaged ({detail}); otw leaves it untouched: repair it by hand, or move it away and run `otw import` or `otw login` again"
    )]
    Corrupt {
        /// Where it is (a file path, or the Redis key).
        path: String,
        /// What the parser said (position included), never the content.
        detail: String,
    },
    /// A configuration file that cannot be imported.
    #[error("cannot import {file}: {detail}")]
    Import {
        /// The file named on the command line.
        file: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// The service's settings cannot produce the request.
    #[error(
        "profile `{name}`: the {what} cannot be built: {detail}; fix the settings in the wizard, export them again and run `otw import … --replace`"
    )]
    Settings {
        /// The profile.
        name: String,
        /// Which request ("refresh request", "token request", "authorization URL").
        what: &'static str,
        /// The engine's message (it names the field; secrets are never in it).
        detail: String,
    },
    /// A token endpoint that is not https and not on this machine.
    #[error(
        "the token endpoint {url} is not https; otw sends secrets only over https (plain http is allowed for loopback addresses only)"
    )]
    InsecureEndpoint {
        /// The endpoint, without its query.
        url: String,
    },
    /// Nothing to refresh with.
    #[error(
        "profile `{name}` has no refresh token and its access token has expired; run `otw login {name}` to authorize again"
    )]
    NoRefreshToken {
        /// The profile.
        name: String,
    },
    /// The service refused the refresh token (`invalid_grant`): a new authorization is needed.
    #[error(
        "the service refused the refresh token of profile `{name}` ({detail}); run `otw login {name}` to authorize again (the stored profile is kept as it was)"
    )]
    GrantRefused {
        /// The profile.
        name: String,
        /// The service's error and description.
        detail: String,
    },
    /// The service refused the request for a reason the settings or credentials must fix.
    #[error("the service refused the request of profile `{name}`: {detail}{}", hint.map(|h| format!(" — {h}")).unwrap_or_default())]
    Rejected {
        /// The profile.
        name: String,
        /// The service's answer.
        detail: String,
        /// Advice from the engine, if any.
        hint: Option<&'static str>,
    },
    /// The service refused the client's own credentials (`invalid_client`): the secret or the
    /// signed assertion must be fixed.
    #[error(
        "the service refused the client credentials of profile `{name}` ({detail}): {fix}; nothing was stored, and a stored profile is kept as it was"
    )]
    ClientRefused {
        /// The profile.
        name: String,
        /// The service's error and description.
        detail: String,
        /// Which credential to fix, and how to store the right one.
        fix: String,
    },
    /// The service failed (5xx, 429, an unreadable answer): retry later.
    #[error("the token endpoint failed: {detail}; nothing was changed, try again later")]
    Service {
        /// What it answered.
        detail: String,
    },
    /// The network failed (connection refused, time-out, TLS): retry later.
    #[error(
        "could not reach the token endpoint {url}: {detail}; nothing was changed, try again later"
    )]
    Network {
        /// The endpoint, without its query.
        url: String,
        /// What failed.
        detail: String,
    },
    /// Another process held the profile's lock for longer than the wait allows.
    #[error(
        "profile `{name}` is busy: another otw process has held its lock for {waited_secs} s; try again later (or raise --lock-timeout)"
    )]
    LockTimeout {
        /// The profile.
        name: String,
        /// How long this process waited.
        waited_secs: u64,
    },
    /// The lock's lease ran out before the write (Redis): the new tokens were not stored.
    #[error(
        "the lock on profile `{name}` expired before the new tokens could be stored; the refresh took longer than the lock's lease, try again"
    )]
    LeaseLost {
        /// The profile.
        name: String,
    },
    /// The store cannot be reached or read (Redis down, a folder that cannot be written).
    #[error("the store {store} is unavailable: {detail}; nothing was changed, try again later")]
    StoreUnavailable {
        /// The store.
        store: String,
        /// What failed.
        detail: String,
    },
    /// The service issued new tokens, but the store failed every attempt to keep them.
    #[error(
        "the service issued new tokens for profile `{name}`, but {store} could not store them ({detail}); if this service rotates refresh tokens the stored one is now used up: run `otw login {name}` once the store is back"
    )]
    Unsaved {
        /// The profile.
        name: String,
        /// The store.
        store: String,
        /// The last failure.
        detail: String,
    },
    /// The authorization in the browser did not bring a usable code.
    #[error("the authorization did not complete: {0}")]
    Login(String),
    /// A command run by `otw exec` could not be started.
    #[error("could not run `{program}`: {detail}")]
    Exec {
        /// The program.
        program: String,
        /// Why.
        detail: String,
    },
}

impl Error {
    /// The process exit code for this error (documented in `otw --help`).
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Usage(_)
            | Self::NotFound { .. }
            | Self::Exists { .. }
            | Self::Corrupt { .. }
            | Self::Import { .. }
            | Self::Settings { .. }
            | Self::InsecureEndpoint { .. }
            | Self::Rejected { .. }
            | Self::ClientRefused { .. }
            | Self::Login(_)
            | Self::Exec { .. } => EXIT_USAGE,
            Self::NoRefreshToken { .. } | Self::GrantRefused { .. } => EXIT_REAUTHORIZE,
            Self::Service { .. }
            | Self::Network { .. }
            | Self::LockTimeout { .. }
            | Self::LeaseLost { .. }
            | Self::StoreUnavailable { .. }
            | Self::Unsaved { .. } => EXIT_RETRY,
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        let name = || "work".to_owned();
        let store = || "the folder /s".to_owned();
        let usage = [
            Error::Usage("x".to_owned()),
            Error::NotFound {
                name: name(),
                store: store(),
            },
            Error::Corrupt {
                path: "/s/work.json".to_owned(),
                detail: "x".to_owned(),
            },
            Error::InsecureEndpoint {
                url: "http://x".to_owned(),
            },
            Error::Rejected {
                name: name(),
                detail: "invalid_client".to_owned(),
                hint: None,
            },
        ];
        for error in &usage {
            assert_eq!(error.exit_code(), EXIT_USAGE, "{error}");
        }
        let reauthorize = [
            Error::GrantRefused {
                name: name(),
                detail: "invalid_grant".to_owned(),
            },
            Error::NoRefreshToken { name: name() },
        ];
        for error in &reauthorize {
            assert_eq!(error.exit_code(), EXIT_REAUTHORIZE, "{error}");
            assert!(error.to_string().contains("otw login work"), "{error}");
        }
        let retry = [
            Error::Service {
                detail: "503".to_owned(),
            },
            Error::Network {
                url: "https://x".to_owned(),
                detail: "refused".to_owned(),
            },
            Error::LockTimeout {
                name: name(),
                waited_secs: 60,
            },
            Error::StoreUnavailable {
                store: store(),
                detail: "down".to_owned(),
            },
            Error::Unsaved {
                name: name(),
                store: store(),
                detail: "down".to_owned(),
            },
        ];
        for error in &retry {
            assert_eq!(error.exit_code(), EXIT_RETRY, "{error}");
        }
    }
}
