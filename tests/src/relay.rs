//! The relay, started in-process on `127.0.0.1:0`, serving the built wizard.
//!
//! It runs exactly as `relay --dist <dist> --allow-private-targets` would: the flag lets its proxy
//! reach the mock provider on loopback, which a deployed relay refuses.

use std::path::Path;
use std::time::{Duration, Instant};

use clap::Parser as _;
use tokio::sync::oneshot;

use crate::{E2eError, Result};

/// How long the relay may take to answer `/healthz` after it was started.
const READY: Duration = Duration::from_secs(10);

/// A running relay. Dropping it stops the server.
pub struct RelayServer {
    base_url: String,
    shutdown: Option<oneshot::Sender<()>>,
}

impl RelayServer {
    /// Starts the relay serving `dist` and waits until `/healthz` answers. Must be called inside a
    /// Tokio runtime. `target_ports` are the ports its proxy may call besides 443 (the mock
    /// provider's): `--allow-private-targets` lifts the https and address rules, not the port rule.
    pub async fn start(dist: &Path, target_ports: &[u16]) -> Result<RelayServer> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|source| E2eError::Io {
                doing: "binding the relay's port".to_owned(),
                source,
            })?;
        let address = listener.local_addr().map_err(|source| E2eError::Io {
            doing: "reading the relay's port".to_owned(),
            source,
        })?;
        let dist = dist.to_string_lossy().into_owned();
        let mut args = vec![
            "relay".to_owned(),
            "--dist".to_owned(),
            dist,
            "--allow-private-targets".to_owned(),
            "--allowed-port=443".to_owned(),
        ];
        args.extend(
            target_ports
                .iter()
                .map(|port| format!("--allowed-port={port}")),
        );
        let config = relay::Config::try_parse_from(&args).map_err(|e| {
            E2eError::Expectation(format!("the relay refused its test arguments: {e}"))
        })?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let stopped = async {
                let _ = stopped.await;
            };
            if let Err(e) = relay::run(listener, config, stopped).await {
                // Tests then fail on their first request with the page text; this says why.
                eprintln!("the relay stopped with an error: {e}");
            }
        });
        let server = RelayServer {
            base_url: format!("http://{address}"),
            shutdown: Some(shutdown),
        };
        server.wait_until_healthy().await?;
        Ok(server)
    }

    /// `http://127.0.0.1:<port>`: where the wizard is served.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The wizard's address (its index page).
    pub fn app_url(&self) -> String {
        format!("{}/", self.base_url)
    }

    /// The redirect URI the wizard suggests: the relay's callback page.
    pub fn callback_url(&self) -> String {
        format!("{}/callback", self.base_url)
    }

    async fn wait_until_healthy(&self) -> Result<()> {
        let url = format!("{}/healthz", self.base_url);
        let deadline = Instant::now() + READY;
        loop {
            if let Ok(answer) = crate::http::get(&url).await
                && answer.status == 200
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(E2eError::Expectation(format!(
                    "the relay did not answer {url} within {} s",
                    READY.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for RelayServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}
