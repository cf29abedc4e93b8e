//! The relay, started in-process on `127.0.0.1:0`, serving the built wizard.
//!
//! It runs as `relay --dist <dist> --allow-private-targets --allowed-port=443 …` would: the flag
//! lets its proxy reach the mock provider on loopback, which a deployed relay refuses. The router
//! is the relay's own ([`relay::app`]); the tests wrap it in one layer that records each
//! request's method, path and status (never a query or a body, so no code or token), so a
//! scenario can tell *how* a code reached the wizard. The relay's state is kept too, so a scenario
//! can see what its pending store still holds. It is served as `relay::serve` serves it, minus
//! the once-a-minute sweep of expired registrations, which no scenario lives long enough to need.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use clap::Parser as _;
use tokio::sync::oneshot;

use crate::{E2eError, Result};

/// How long the relay may take to answer `/healthz` after it was started.
const READY: Duration = Duration::from_secs(10);

/// What a relay is started with besides `--dist` and `--allow-private-targets`.
#[derive(Clone, Debug, Default)]
pub struct RelayOptions {
    /// Ports its proxy may call besides 443 (`--allowed-port`): the mock provider's.
    /// `--allow-private-targets` lifts the https and address rules, not the port rule.
    pub target_ports: Vec<u16>,
    /// Other origins whose pages may call its `/api/*` (`--allowed-origin`): a wizard hosted
    /// elsewhere that uses this relay.
    pub allowed_origins: Vec<String>,
}

impl RelayOptions {
    /// The command line these options stand for.
    fn args(&self, dist: &Path) -> Vec<String> {
        let mut args = vec![
            "relay".to_owned(),
            "--dist".to_owned(),
            dist.to_string_lossy().into_owned(),
            "--allow-private-targets".to_owned(),
            "--allowed-port=443".to_owned(),
        ];
        args.extend(
            self.target_ports
                .iter()
                .map(|port| format!("--allowed-port={port}")),
        );
        args.extend(
            self.allowed_origins
                .iter()
                .map(|origin| format!("--allowed-origin={origin}")),
        );
        args
    }
}

/// One request the relay answered: method, path (no query) and status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, e.g. `/api/pickup`.
    pub path: String,
    /// The status the relay answered.
    pub status: u16,
}

impl std::fmt::Display for RelayRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} → {}", self.method, self.path, self.status)
    }
}

type RequestLog = Arc<Mutex<Vec<RelayRequest>>>;

fn lock(log: &RequestLog) -> MutexGuard<'_, Vec<RelayRequest>> {
    // Recording cannot leave the list half-written, so a poisoned lock is still usable.
    log.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The outermost layer: records every answer, refusals by the relay's own guards included.
async fn record(State(log): State<RequestLog>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    lock(&log).push(RelayRequest {
        method,
        path,
        status: response.status().as_u16(),
    });
    response
}

/// A running relay. Dropping it stops the server.
pub struct RelayServer {
    base_url: String,
    state: relay::AppState,
    log: RequestLog,
    shutdown: Option<oneshot::Sender<()>>,
}

impl RelayServer {
    /// Starts the relay serving `dist` on a free port of `127.0.0.1` with `options`, and waits
    /// until `/healthz` answers. Must be called inside a Tokio runtime.
    pub async fn start(dist: &Path, options: &RelayOptions) -> Result<RelayServer> {
        Self::start_with(dist, options, &[]).await
    }

    /// [`RelayServer::start`] with `extra` arguments (`--public`, `--store redis://…`).
    pub async fn start_with(
        dist: &Path,
        options: &RelayOptions,
        extra: &[&str],
    ) -> Result<RelayServer> {
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
        let mut args = options.args(dist);
        args.extend(extra.iter().map(|arg| (*arg).to_owned()));
        let config = relay::Config::try_parse_from(&args).map_err(|e| {
            E2eError::Expectation(format!("the relay refused its test arguments: {e}"))
        })?;
        let state = relay::AppState::new(&config, address).map_err(|e| {
            E2eError::Expectation(format!("the relay refused its test configuration: {e}"))
        })?;
        let log = RequestLog::default();
        let app = relay::app(state.clone())
            .layer(axum::middleware::from_fn_with_state(log.clone(), record));
        let (shutdown, stopped) = oneshot::channel::<()>();
        let base_url = format!("http://{address}");
        let serving = state.clone();
        tokio::spawn(async move {
            // The binary's own serving code (timeouts, connection caps, graceful shutdown).
            let served = relay::serve_app(listener, app, serving, async move {
                let _ = stopped.await;
            })
            .await;
            if let Err(e) = served {
                // Tests then fail on their first request with the page text; this says why.
                eprintln!("the relay stopped with an error: {e}");
            }
        });
        let server = RelayServer {
            base_url,
            state,
            log,
            shutdown: Some(shutdown),
        };
        server.wait_until_healthy().await?;
        Ok(server)
    }

    /// `http://127.0.0.1:<port>`: the relay's origin, where the wizard is served.
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

    /// Every request answered since the start or the last [`RelayServer::forget_requests`],
    /// oldest first.
    pub fn requests(&self) -> Vec<RelayRequest> {
        lock(&self.log).clone()
    }

    /// The requests answered on `path` (`POST /api/pickup`, say), oldest first.
    pub fn requests_to(&self, method: &str, path: &str) -> Vec<RelayRequest> {
        lock(&self.log)
            .iter()
            .filter(|r| r.method == method && r.path == path)
            .cloned()
            .collect()
    }

    /// Starts a new request log (a scenario sees only its own requests).
    pub fn forget_requests(&self) {
        lock(&self.log).clear();
    }

    /// How many registrations the relay's pending store holds (waiting, or with a callback not
    /// yet picked up).
    pub fn pending_entries(&self) -> usize {
        self.state.store.len()
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
