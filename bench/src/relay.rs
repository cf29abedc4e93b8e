//! The relay as users run it: the release binary as a child process on a free loopback port,
//! found through the URL line it prints. Its log goes to a file in the run's temp folder.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::process::{ChildGuard, rss_bytes};
use crate::{BenchError, IoContext, Result};

/// The line prefix the relay prints once it listens (see relay/src/main.rs).
const URL_LINE: &str = "OAuth Token Wizard: ";

/// Rate limits lifted far beyond anything a benchmark sends, so they measure the relay's work
/// and not its throttling (the limits themselves are tested in the relay's own tests).
pub const UNLIMITED_RATES: [&str; 10] = [
    "--rate-limit-per-second",
    "1000000000",
    "--rate-limit-burst",
    "1000000000",
    "--proxy-rate-per-minute",
    "1000000000",
    "--proxy-rate-burst",
    "1000000000",
    "--proxy-concurrency",
    "4096",
];

/// A running relay, stopped when dropped.
#[derive(Debug)]
pub struct RelayProcess {
    guard: ChildGuard,
    addr: SocketAddr,
}

impl RelayProcess {
    /// Starts `binary` on a free loopback port with `args`, logging into `log`.
    pub fn start(binary: &Path, args: &[String], log: &Path) -> Result<RelayProcess> {
        let log_file =
            std::fs::File::create(log).doing(|| format!("creating {}", log.display()))?;
        let mut command = Command::new(binary);
        command
            .args(["--bind", "127.0.0.1", "--port", "0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file);
        let mut guard = ChildGuard::spawn(&mut command, "the relay")?;
        let stdout =
            guard.child_mut().stdout.take().ok_or_else(|| {
                BenchError::Setup("the relay's output was not captured".to_owned())
            })?;
        let (sender, receiver) = mpsc::channel();
        // The relay prints one line; the thread keeps draining so the pipe never fills.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout)
                .lines()
                .map_while(std::result::Result::ok)
            {
                let _ = sender.send(line);
            }
        });
        let addr = loop {
            match receiver.recv_timeout(Duration::from_secs(30)) {
                Ok(line) => {
                    if let Some(addr) = parse_url_line(&line) {
                        break addr;
                    }
                }
                Err(_) => {
                    guard.ensure_running()?;
                    return Err(BenchError::Setup(format!(
                        "the relay printed no URL within 30 s (its log: {})",
                        log.display()
                    )));
                }
            }
        };
        Ok(RelayProcess { guard, addr })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its origin, e.g. `http://127.0.0.1:40123` (what the API's Origin check wants).
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.guard.pid()
    }

    /// Its resident memory now, in bytes.
    pub fn rss(&mut self) -> Result<u64> {
        self.guard.ensure_running()?;
        rss_bytes(self.guard.pid())
    }

    /// An error if it has stopped.
    pub fn ensure_running(&mut self) -> Result<()> {
        self.guard.ensure_running()
    }
}

/// The address in `OAuth Token Wizard: http://127.0.0.1:PORT/`.
fn parse_url_line(line: &str) -> Option<SocketAddr> {
    let url = line.strip_prefix(URL_LINE)?.trim();
    url.strip_prefix("http://")?
        .trim_end_matches('/')
        .parse()
        .ok()
}

/// The relay's log file for one benchmark, in `dir`.
pub fn log_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("relay-{name}.log"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_address_in_the_url_line() {
        assert_eq!(
            parse_url_line("OAuth Token Wizard: http://127.0.0.1:40123/"),
            Some("127.0.0.1:40123".parse().expect("address"))
        );
        assert_eq!(parse_url_line("something else"), None);
        assert_eq!(
            parse_url_line("OAuth Token Wizard: https://example.com/"),
            None
        );
    }
}
