//! Debian's nginx as the relay fleet's round-robin load balancer, with the deployment example
//! `relay/deploy/nginx.conf` itself (its ports swapped for free ones), on loopback; stopped when
//! dropped.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{E2eError, Result};

/// Where Debian installs it.
pub const NGINX: &str = "/usr/sbin/nginx";

/// The example config, as relay/README.md shows it.
pub fn example_config() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../relay/deploy/nginx.conf")
}

/// Where the example config writes its access log (the test moves it into nginx's folder).
const ACCESS_LOG: &str = "/var/log/nginx/otw-relay.access.log";

/// A running nginx; killed when dropped.
pub struct Nginx {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    dir: tempfile::TempDir,
}

fn failed(doing: &str, source: std::io::Error) -> E2eError {
    E2eError::Io {
        doing: doing.to_owned(),
        source,
    }
}

impl Nginx {
    /// Starts nginx on a free port balancing over `relays`, with the example config.
    pub fn start(relays: &[SocketAddr]) -> Result<Nginx> {
        if !Path::new(NGINX).exists() {
            return Err(E2eError::Expectation(format!(
                "{NGINX} is missing: install Debian's nginx (apt-get install nginx)"
            )));
        }
        let example = std::fs::read_to_string(example_config())
            .map_err(|e| failed("reading relay/deploy/nginx.conf", e))?;
        let port = std::net::TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.local_addr())
            .map_err(|e| failed("finding a free port for nginx", e))?
            .port();
        let dir = tempfile::tempdir().map_err(|e| failed("making nginx's folder", e))?;
        let root = dir.path().to_path_buf();
        let root = root.as_path();
        let access_log = root.join("access.log").display().to_string();
        let servers: String = relays
            .iter()
            .map(|addr| format!("    server {addr};\n"))
            .collect();
        let mut config = example.clone();
        for (from, to) in [
            (
                "    server 127.0.0.1:8801;\n    server 127.0.0.1:8802;\n    server 127.0.0.1:8803;\n",
                servers.as_str(),
            ),
            ("    listen 8080;", &format!("    listen 127.0.0.1:{port};")),
            (ACCESS_LOG, access_log.as_str()),
        ] {
            if !config.contains(from) {
                return Err(E2eError::Expectation(format!(
                    "relay/deploy/nginx.conf no longer has {from:?}: update tests/src/nginx.rs with it"
                )));
            }
            config = config.replacen(from, to, 1);
        }
        let snippet = root.join("otw-relay.conf");
        std::fs::write(&snippet, config).map_err(|e| failed("writing nginx's config", e))?;
        let main = format!(
            "worker_processes 1;\nerror_log {root}/error.log warn;\npid {root}/nginx.pid;\n\
             events {{ worker_connections 256; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {root}/body;\n  \
             proxy_temp_path {root}/proxy;\n  fastcgi_temp_path {root}/fastcgi;\n  \
             uwsgi_temp_path {root}/uwsgi;\n  scgi_temp_path {root}/scgi;\n  \
             include {snippet};\n}}\n",
            root = root.display(),
            snippet = snippet.display()
        );
        let main_path = root.join("nginx.conf");
        std::fs::write(&main_path, main).map_err(|e| failed("writing nginx's config", e))?;
        let child = Command::new(NGINX)
            .arg("-p")
            .arg(root)
            .arg("-c")
            .arg(&main_path)
            .args(["-g", "daemon off; master_process off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| failed("starting nginx", e))?;
        let mut nginx = Nginx {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = nginx.child.try_wait() {
                let log = std::fs::read_to_string(root.join("error.log")).unwrap_or_default();
                return Err(E2eError::Expectation(format!(
                    "nginx exited ({status}): {log}"
                )));
            }
            if Instant::now() > deadline {
                return Err(E2eError::Expectation(
                    "nginx did not listen within 10 s".into(),
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(nginx)
    }
}

impl Nginx {
    /// What the example config's access log holds so far.
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("access.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    /// relay/README.md shows the example config as it is, from its `upstream` block on.
    #[test]
    fn the_readme_shows_the_example_config() {
        let config = std::fs::read_to_string(super::example_config()).unwrap();
        let body = &config[config.find("upstream otw_relays").unwrap()..];
        let readme = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../relay/README.md"),
        )
        .unwrap();
        assert!(
            readme.contains(&format!("```nginx\n{body}```")),
            "relay/README.md's nginx example differs from relay/deploy/nginx.conf"
        );
    }
}
