//! Debian's nginx as the proxy users would pick instead of the relay: installed with apt-get when
//! missing, configured in a temp folder, run in the foreground on a loopback port with
//! `proxy_pass` to the same token endpoint. It is configured the way a careful operator would
//! (kept-alive upstream connections, as many workers as the relay has threads), so the
//! comparison flatters nginx rather than the relay.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::process::{ChildGuard, free_port, wait_for_port};
use crate::{BenchError, IoContext, Result};

/// Where Debian's package puts the binary.
pub const NGINX: &str = "/usr/sbin/nginx";

/// Installs Debian's nginx when it is missing (apt-get; through sudo when not root).
///
/// On machines that run systemd, Debian's package also starts a system nginx on port 80; the
/// benchmark never uses that one.
pub fn ensure_installed() -> Result<PathBuf> {
    let binary = PathBuf::from(NGINX);
    if binary.exists() {
        return Ok(binary);
    }
    eprintln!("bench: installing Debian's nginx (the proxy baseline)");
    let root_user = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    let apt = |args: &[&str]| -> Result<()> {
        let mut command = if root_user {
            Command::new("apt-get")
        } else {
            Command::new("sudo")
        };
        if !root_user {
            command.arg("apt-get");
        }
        let status = command
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .doing(|| "running apt-get".to_owned())?;
        if status.success() {
            Ok(())
        } else {
            Err(BenchError::Setup(format!(
                "apt-get {} failed ({status})",
                args.join(" ")
            )))
        }
    };
    apt(&["update", "-q"])?;
    apt(&["install", "-y", "-q", "--no-install-recommends", "nginx"])?;
    if binary.exists() {
        Ok(binary)
    } else {
        Err(BenchError::Setup(format!(
            "apt-get installed nginx but {NGINX} is missing"
        )))
    }
}

/// The nginx configuration: `listen` on loopback `port`, proxy everything to `upstream`.
pub fn config(dir: &Path, port: u16, upstream: SocketAddr, workers: usize) -> String {
    let dir = dir.display();
    format!(
        "\
# Written by the benchmark (bench/src/nginx.rs); nginx runs in the foreground with -p {dir}.
worker_processes {workers};
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    # Like the relay, which logs every request by default.
    access_log {dir}/access.log;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream token_endpoint {{
        server {upstream};
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        keepalive_requests 1000000;
        location / {{
            proxy_pass http://token_endpoint;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
        }}
    }}
}}
"
    )
}

/// A running nginx, stopped when dropped.
#[derive(Debug)]
pub struct Nginx {
    _guard: ChildGuard,
    addr: SocketAddr,
}

impl Nginx {
    /// Writes the configuration into `dir` and starts `binary` in the foreground.
    pub async fn start(
        binary: &Path,
        dir: &Path,
        upstream: SocketAddr,
        workers: usize,
    ) -> Result<Nginx> {
        std::fs::create_dir_all(dir).doing(|| format!("creating {}", dir.display()))?;
        let port = free_port()?;
        let conf = dir.join("nginx.conf");
        std::fs::write(&conf, config(dir, port, upstream, workers))
            .doing(|| format!("writing {}", conf.display()))?;
        let mut command = Command::new(binary);
        command
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(&conf)
            // -e: the error log before the configuration is read (the default path needs root).
            .arg("-e")
            .arg(dir.join("error.log"))
            .args(["-g", "daemon off;"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Its own group: the master and its workers end together.
        let mut guard = ChildGuard::spawn_group(&mut command, "nginx")?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        wait_for_port(addr, &mut guard, Duration::from_secs(15))
            .await
            .map_err(|err| {
                let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
                BenchError::Setup(format!("{err}; nginx's error log: {}", log.trim()))
            })?;
        Ok(Nginx {
            _guard: guard,
            addr,
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_proxies_loopback_to_the_upstream_with_keepalive() {
        let upstream: SocketAddr = "127.0.0.1:4100".parse().expect("address");
        let text = config(Path::new("/tmp/x"), 4200, upstream, 2);
        assert!(text.contains("listen 127.0.0.1:4200;"), "{text}");
        assert!(text.contains("server 127.0.0.1:4100;"), "{text}");
        assert!(text.contains("proxy_pass http://token_endpoint;"), "{text}");
        assert!(text.contains("keepalive 64;"), "{text}");
        assert!(text.contains("worker_processes 2;"), "{text}");
        assert!(text.contains("pid /tmp/x/nginx.pid;"), "{text}");
        // Balanced braces: nginx refuses the file otherwise.
        assert_eq!(text.matches('{').count(), text.matches('}').count());
    }
}
