//! cors-anywhere, the proxy people deploy to get past CORS (npm, installed by `cargo xtask bench`
//! into target/tools/cors-anywhere), run with Node.js on a loopback port with its default
//! options. The target URL follows the proxy's `/`: `POST /http://127.0.0.1:PORT/token`.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::process::{ChildGuard, free_port, wait_for_port};
use crate::{IoContext, Result};

/// A running cors-anywhere, stopped when dropped.
#[derive(Debug)]
pub struct CorsAnywhere {
    _guard: ChildGuard,
    addr: SocketAddr,
}

impl CorsAnywhere {
    /// Starts the cors-anywhere installed under `prefix` (its `node_modules`), logging to `log`.
    pub async fn start(prefix: &Path, log: &Path) -> Result<CorsAnywhere> {
        let port = free_port()?;
        let log_file =
            std::fs::File::create(log).doing(|| format!("creating {}", log.display()))?;
        let script = format!(
            "require('cors-anywhere').createServer({{}}).listen({port}, '127.0.0.1', \
             () => console.log('listening'))"
        );
        let mut command = Command::new("node");
        command
            .arg("-e")
            .arg(script)
            .env("NODE_PATH", prefix.join("node_modules"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file);
        let mut guard = ChildGuard::spawn(&mut command, "cors-anywhere")?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        wait_for_port(addr, &mut guard, Duration::from_secs(20)).await?;
        Ok(CorsAnywhere {
            _guard: guard,
            addr,
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}
