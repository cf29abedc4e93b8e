//! Child processes the benchmark starts (relay, nginx, chromedriver): each is owned by a
//! [`ChildGuard`] that ends it — and only it — when dropped, even when a measurement fails.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use crate::{BenchError, IoContext, Result};

/// A running child process, stopped when dropped.
#[derive(Debug)]
pub struct ChildGuard {
    child: Child,
    name: String,
    /// The child leads its own process group (chromedriver: Chromium runs in it too).
    own_group: bool,
}

impl ChildGuard {
    /// Starts `command` as `name` (for messages).
    pub fn spawn(command: &mut Command, name: &str) -> Result<ChildGuard> {
        let child = command.spawn().doing(|| format!("starting {name}"))?;
        Ok(ChildGuard {
            child,
            name: name.to_owned(),
            own_group: false,
        })
    }

    /// Starts `command` in a new process group, so that dropping the guard also ends the
    /// processes it starts (chromedriver's Chromium).
    pub fn spawn_group(command: &mut Command, name: &str) -> Result<ChildGuard> {
        command.process_group(0);
        let mut guard = ChildGuard::spawn(command, name)?;
        guard.own_group = true;
        Ok(guard)
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// An error if the child has already exited (it failed to start or crashed).
    pub fn ensure_running(&mut self) -> Result<()> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(BenchError::Setup(format!(
                "{} exited early ({status})",
                self.name
            ))),
            Err(err) => Err(BenchError::Setup(format!(
                "cannot check on {}: {err}",
                self.name
            ))),
        }
    }

    /// The child's `Child` handle (to take its output pipes).
    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if self.own_group {
            // The group id is the child's pid: this reaches only processes this guard started.
            let _ = Command::new("kill")
                .args(["-TERM", "--", &format!("-{}", self.child.id())])
                .status();
            let deadline = Instant::now() + Duration::from_secs(3);
            while Instant::now() < deadline {
                if matches!(self.child.try_wait(), Ok(Some(_))) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.child.id())])
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port that was free a moment ago (for programs that cannot report the port they
/// bound, like nginx and chromedriver).
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .doing(|| "finding a free loopback port".to_owned())?;
    Ok(listener
        .local_addr()
        .doing(|| "reading a bound port".to_owned())?
        .port())
}

/// Waits until something accepts TCP connections on `addr`, while `child` keeps running.
pub async fn wait_for_port(
    addr: SocketAddr,
    child: &mut ChildGuard,
    timeout: Duration,
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        child.ensure_running()?;
        if Instant::now() >= deadline {
            return Err(BenchError::Setup(format!(
                "{} did not listen on {addr} within {timeout:?}",
                child.name
            )));
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Resident memory of process `pid` in bytes (VmRSS in `/proc/<pid>/status`).
pub fn rss_bytes(pid: u32) -> Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).doing(|| format!("reading {path}"))?;
    vm_field(&status, "VmRSS:")
        .ok_or_else(|| BenchError::Measurement(format!("{path} has no VmRSS line")))
}

/// A `Key:   1234 kB` line of a `/proc/<pid>/status` or `/proc/meminfo` text, in bytes.
pub fn vm_field(text: &str, key: &str) -> Option<u64> {
    let line = text.lines().find_map(|line| line.strip_prefix(key))?;
    let kilobytes: u64 = line.trim().strip_suffix("kB")?.trim().parse().ok()?;
    Some(kilobytes * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_vm_rss_in_bytes() {
        let status = "Name:\trelay\nVmPeak:\t  20000 kB\nVmRSS:\t   12345 kB\nThreads:\t3\n";
        assert_eq!(vm_field(status, "VmRSS:"), Some(12_345 * 1024));
        assert_eq!(
            vm_field("MemTotal:       24576000 kB\n", "MemTotal:"),
            Some(24_576_000 * 1024)
        );
        assert_eq!(vm_field("Name:\tx\n", "VmRSS:"), None);
        assert_eq!(vm_field("VmRSS:\t12 MB\n", "VmRSS:"), None);
    }

    #[test]
    fn own_memory_is_measurable() {
        let rss = rss_bytes(std::process::id()).expect("this process has a status file");
        assert!(
            rss > 100 * 1024,
            "a running test binary uses more than 100 KiB: {rss}"
        );
    }

    #[test]
    fn a_dropped_guard_ends_its_child() {
        let guard =
            ChildGuard::spawn(Command::new("sleep").arg("30"), "sleep").expect("sleep runs");
        let pid = guard.pid();
        drop(guard);
        assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists() || rss_bytes(pid).is_err());
    }
}
