//! # Benchmarks for the OAuth Token Wizard
//!
//! `cargo xtask bench` builds what is measured (the app, the baseline counter page, the relay in
//! release mode, this crate) and runs the `bench` binary, which prints one table: metric, value,
//! baseline, ratio, target, status. Every timing is a median over several runs and is compared
//! with a baseline measured in the same run, because the machines are shared and noisy.
//! Benchmarks report; they never fail for being slow. They fail only when a measurement cannot
//! be made, so that `--smoke` (each measurement once, tiny inputs) keeps them from rotting.
//!
//! ## Layout
//! - [`report`]: the table; [`stats`]: medians and percentiles.
//! - [`process`]: child processes (killed on drop), free ports, resident memory.
//! - [`relay`]: the release relay binary as a child; [`upstream`]: a loopback token endpoint;
//!   [`nginx`]: Debian's nginx as the proxy baseline; [`loadgen`]: the HTTP load generator.
//! - [`browser`]: chromedriver + headless Chromium through fantoccini.
//! - One module per measurement: [`weight`], [`tti`], [`proxy`] (with [`cors_anywhere`] and
//!   [`nginx`] as baselines), [`flood`], [`redirect`], [`memory`], [`engine`] (reads the
//!   criterion bench `engine/benches/render.rs`), [`otw`] (the command-line token keeper against
//!   a Python script and curl).
//!
//! Everything listens on and connects to loopback only.

pub mod browser;
pub mod cors_anywhere;
pub mod engine;
pub mod fleet;
pub mod flood;
pub mod loadgen;
pub mod memory;
pub mod nginx;
pub mod otw;
pub mod process;
pub mod proxy;
pub mod redirect;
pub mod relay;
pub mod report;
pub mod stats;
pub mod tti;
pub mod upstream;
pub mod weight;

/// Why a measurement could not be made (never "too slow": that is a reported figure).
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A file or socket operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done, e.g. "reading dist/index.html".
        what: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A tool or a process the benchmark needs is missing, would not start, or stopped.
    #[error("{0}")]
    Setup(String),
    /// The browser or chromedriver failed.
    #[error("browser: {0}")]
    Browser(String),
    /// The measured system answered wrongly (e.g. every request failed).
    #[error("{0}")]
    Measurement(String),
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, BenchError>;

/// Adds "what was being done" to IO errors.
pub trait IoContext<T> {
    /// Wraps the error with `what()`.
    fn doing(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn doing(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| BenchError::Io {
            what: what(),
            source,
        })
    }
}

/// How much work each measurement does: the full run or the smoke run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// True for `--smoke`: each measurement once, on tiny inputs.
    pub smoke: bool,
    /// Rounds of the proxy measurement (medians are over rounds).
    pub proxy_rounds: usize,
    /// Requests per proxy run (per target, concurrency and round).
    pub proxy_requests: usize,
    /// Concurrency levels for the proxy.
    pub proxy_concurrency: Vec<usize>,
    /// Page loads per page for time to interactive.
    pub page_loads: usize,
    /// Pending registrations held for the memory figure.
    pub pending: usize,
    /// Registrations and unsolicited callbacks sent beyond the cap (each).
    pub flood: usize,
    /// Redirects measured per delivery channel.
    pub redirects: usize,
    /// Half-sent connections the connection flood holds open.
    pub flood_connections: usize,
    /// Rounds of probes (one `/healthz`, one proxied call) with and without the flood.
    pub flood_probes: usize,
}

impl Plan {
    /// The full benchmark.
    pub fn full() -> Plan {
        Plan {
            smoke: false,
            proxy_rounds: 5,
            proxy_requests: 4_000,
            proxy_concurrency: vec![1, 8, 32],
            page_loads: 15,
            pending: 10_000,
            flood: 40_000,
            redirects: 15,
            flood_connections: 20_000,
            flood_probes: 200,
        }
    }

    /// `--smoke`: everything once on tiny inputs, to prove the benchmarks still run.
    pub fn smoke() -> Plan {
        Plan {
            smoke: true,
            proxy_rounds: 1,
            proxy_requests: 40,
            proxy_concurrency: vec![1, 8],
            page_loads: 1,
            pending: 10,
            flood: 40,
            redirects: 1,
            flood_connections: 200,
            flood_probes: 5,
        }
    }
}
