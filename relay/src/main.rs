//! The relay binary: parse the configuration, start logging, bind, print the URL, run.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use clap::Parser;
use relay::Config;

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    relay::logging::init(config.log_json);
    raise_open_file_limit(&config);

    let addr = SocketAddr::new(config.bind, config.port);
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("relay: cannot listen on {addr}: {err}");
            return ExitCode::FAILURE;
        }
    };
    let bound = match listener.local_addr() {
        Ok(bound) => bound,
        Err(err) => {
            eprintln!("relay: cannot read the bound address: {err}");
            return ExitCode::FAILURE;
        }
    };
    // The xtask reads this exact line to find the relay.
    println!("OAuth Token Wizard: http://{}/", display_authority(bound));

    match relay::run(listener, config, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("relay: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Every connection is a file descriptor, and the usual soft limit (1024) is below the default
/// --max-connections; the hard limit is usually far above it.
fn raise_open_file_limit(config: &Config) {
    // Room for upstream connections, local listeners, the app's files and the log.
    let wanted = config.max_connections as u64 + 256;
    match rlimit::increase_nofile_limit(wanted) {
        Ok(limit) if limit < wanted => tracing::warn!(
            limit,
            wanted,
            "the open-file limit is below what --max-connections needs; connections past it \
             fail to be accepted until others close (raise `ulimit -n` or lower \
             --max-connections)"
        ),
        Ok(_) => {}
        Err(err) => tracing::warn!(error = %err, "could not read or raise the open-file limit"),
    }
}

/// `127.0.0.1:PORT` for a wildcard bind (what a browser on this machine should open).
fn display_authority(bound: SocketAddr) -> String {
    let ip = if bound.ip().is_unspecified() {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        bound.ip()
    };
    SocketAddr::new(ip, bound.port()).to_string()
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
