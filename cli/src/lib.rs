//! `otw`, the command-line token keeper: prints a valid access token for a stored profile,
//! refreshing it first when needed, without ever losing the refresh token.
//!
//! It shares the wizard's engine (requests, token parsing) and presets (services, the export
//! format): there is no second OAuth implementation.
//!
//! # Layout
//! - [`cli`]: the command line (clap); [`commands`]: what each command does.
//! - [`keeper`]: the never-lose-a-token refresh (single flight, lock, re-read, persist before use).
//! - [`store`]: folder ([`store::file`]) and Redis ([`store::redis`]) stores; [`profile`]: the
//!   stored profile, margins, name and duration parsing.
//! - [`http`]: sending the engine's requests (ureq, https or loopback only).
//! - [`login`] + [`redirect`]: the authorization-code flow from a terminal.
//! - [`error`]: the one error type and its exit codes.

pub mod cli;
pub mod client_credentials;
pub mod commands;
pub mod device;
pub mod error;
pub mod http;
pub mod keeper;
pub mod login;
pub mod profile;
pub mod redirect;
pub mod sign;
pub mod store;

pub use error::{EXIT_OK, EXIT_REAUTHORIZE, EXIT_RETRY, EXIT_USAGE, Error};

/// 32 bytes from the operating system's random source.
pub fn random_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    // Without an OS random source nothing secret can be made; there is no safe fallback.
    getrandom::fill(&mut bytes).expect("the operating system's random source is unavailable");
    bytes
}

/// `count` random bytes as hex.
pub fn random_hex(count: usize) -> String {
    random_bytes()
        .iter()
        .take(count.min(32))
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Parses the arguments, runs the command and returns the exit code; errors go to stderr.
pub fn run() -> i32 {
    use clap::Parser;
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() {
                EXIT_USAGE
            } else {
                EXIT_OK
            };
            let _ = error.print();
            return code;
        }
    };
    match commands::run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("otw: {error}");
            error.exit_code()
        }
    }
}
