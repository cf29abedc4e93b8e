//! The command line: every command and option, with the help text users read.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::profile::parse_duration;

const AFTER_HELP: &str = "\
Exit codes:
  0  success
  2  bad usage or input (a wrong flag, a broken file, settings that cannot work)
  3  the service refused the grant: authorize again with `otw login NAME`
  4  the service, the network or the store failed: nothing was changed, retry later

stdout carries only the token (or its JSON); messages go to stderr.
Secrets are never taken from the command line: use a prompt, an environment variable or a file.";

/// otw — keeps OAuth tokens fresh for scripts, cron jobs and CI steps, without losing the
/// refresh token.
#[derive(Debug, Parser)]
#[command(name = "otw", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// Where profiles live: a folder, or redis://HOST:PORT/DB shared by many machines
    /// [default: the folder `otw` in your data directory, e.g. ~/.local/share/otw]
    #[arg(long, env = "OTW_STORE", global = true, value_name = "DIR|URL")]
    pub store: Option<String>,
    /// How long to wait for another otw process that is refreshing the same profile.
    #[arg(long, env = "OTW_LOCK_TIMEOUT", global = true, default_value = "60s",
          value_parser = parse_duration, value_name = "DURATION")]
    pub lock_timeout: Duration,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import a configuration exported by the wizard (with its refresh token).
    Import {
        /// The exported JSON file.
        file: PathBuf,
        /// The profile name [default: the file's preset id, else its file name].
        #[arg(long)]
        name: Option<String>,
        /// Overwrite an existing profile of that name.
        #[arg(long)]
        replace: bool,
    },
    /// Authorize in the browser and store the tokens (again, for an existing profile); a service
    /// without a sign-in gets its token by client credentials, no browser.
    Login(LoginArgs),
    /// Print a valid access token (refreshed first when it has less than the margin left).
    Token {
        /// The profile.
        name: String,
        /// Refresh when less than this is left [default: 5m, or 10 % of a shorter lifetime].
        #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
        min_ttl: Option<Duration>,
        /// Print access token, token type, expiry and scope as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print `Authorization: Bearer <token>` (for `curl -H "$(otw header NAME)"`).
    Header {
        /// The profile.
        name: String,
        /// As for `otw token`.
        #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
        min_ttl: Option<Duration>,
    },
    /// Run a command with a valid access token in its environment.
    Exec {
        /// The profile.
        name: String,
        /// The environment variable that gets the token.
        #[arg(long = "env", default_value = "OTW_ACCESS_TOKEN", value_name = "VAR")]
        variable: String,
        /// As for `otw token`.
        #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
        min_ttl: Option<Duration>,
        /// The command and its arguments, after `--`.
        #[arg(last = true, required = true, value_name = "CMD")]
        command: Vec<String>,
    },
    /// List the stored profiles.
    List,
    /// Show a profile, secrets masked.
    Show {
        /// The profile.
        name: String,
    },
    /// Refresh the access token now if it is due (always with --force).
    Refresh {
        /// The profile.
        name: String,
        /// Refresh even if the stored token is still fresh.
        #[arg(long)]
        force: bool,
    },
    /// Delete a profile and its tokens.
    Forget {
        /// The profile.
        name: String,
    },
}

/// `otw login`.
#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    /// The profile to create (or authorize again).
    pub name: String,
    /// A bundled service preset (its id, e.g. google-cloud).
    #[arg(long, conflicts_with = "config", value_name = "ID")]
    pub preset: Option<String>,
    /// A configuration exported by the wizard, for custom settings.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The client id.
    #[arg(long)]
    pub client_id: Option<String>,
    /// The registered redirect URI [default: the preset's, else http://127.0.0.1 on a free port].
    #[arg(long, value_name = "URI")]
    pub redirect_uri: Option<String>,
    /// A scope to ask for (repeat it; replaces the preset's list).
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,
    /// A service variable, e.g. --var tenant=contoso (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    /// Read the client secret from this environment variable [default: OTW_CLIENT_SECRET, else a prompt].
    #[arg(long, value_name = "VAR")]
    pub client_secret_env: Option<String>,
    /// Read the client secret from this file (its first line).
    #[arg(long, value_name = "FILE", conflicts_with = "client_secret_env")]
    pub client_secret_file: Option<PathBuf>,
    /// For private_key_jwt: read the private key (PKCS #8 PEM or a private JWK) from this file;
    /// it is stored in the profile like the client secret.
    #[arg(long, value_name = "FILE")]
    pub private_key_file: Option<PathBuf>,
    /// Authorize by a code entered on any device (RFC 8628 device flow) instead of a redirect.
    #[arg(long)]
    pub device: bool,
    /// Only print the authorization URL; do not open a browser.
    #[arg(long)]
    pub no_browser: bool,
    /// How long to wait for the authorization.
    #[arg(long, default_value = "5m", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,
    /// Replace the settings of an existing profile with --preset or --config.
    #[arg(long)]
    pub replace: bool,
}

fn parse_var(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if engine::template::is_variable_name(name) => {
            Ok((name.to_owned(), value.to_owned()))
        }
        _ => Err(format!(
            "`{text}` is not NAME=VALUE (a variable name, `=`, its value)"
        )),
    }
}
