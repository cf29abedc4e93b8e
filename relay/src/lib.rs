//! # OAuth Token Wizard relay
//!
//! A small axum server beside the wizard (normally on the same origin) with two jobs the browser
//! cannot do alone, and the app itself:
//!
//! - **Redirect capture** — `/callback` serves a static page that hands the authorization
//!   response to the wizard tab (BroadcastChannel / opener), and keeps it for `/api/pickup`
//!   when its `state` was registered through `/api/pending`; `/api/listen` (local mode) listens
//!   once on a loopback redirect URI such as `http://localhost:8765/cb`.
//! - **Token proxy** — `/api/proxy` calls token endpoints that do not allow CORS, under SSRF
//!   rules: https only, public addresses only (checked on the parsed URL and again at connect
//!   time), no redirects, header allowlists, size and time caps.
//! - **The app** — `--dist` serves the built wizard with a CSP that allows its wasm.
//!
//! ## Layout
//! - [`config`]: the command line ([`Config`]); [`state`]: what handlers share ([`AppState`]).
//! - [`routes`]: one module per area; [`app`] assembles them with the layers below; [`mod@serve`]
//!   serves it with hyper (timeouts, connection caps, graceful shutdown).
//! - [`access`]: Host check (local mode), Origin check and JSON requirement on `/api/*`, rate limits.
//! - [`target`], [`resolver`], [`headers`]: the proxy's SSRF rules; [`upstream`]: its client.
//! - [`store`], [`callback_query`]: pending callbacks and how callback parameters are read.
//! - [`error`]: the one error type of the HTTP boundary; [`tls`]: rustls set-up; [`logging`].
//!
//! Architecture invariant: the relay knows nothing of OAuth templates (it depends on neither
//! `engine` nor `presets`), and it never logs or echoes codes, tokens, secrets, states or target
//! URLs' paths. Its request and answer bodies are the `wire` crate's types.

pub mod access;
pub mod callback_query;
pub mod config;
pub mod error;
pub mod headers;
pub mod logging;
pub mod resolver;
pub mod routes;
pub mod seal;
pub mod serve;
pub mod state;
pub mod store;
pub mod target;
pub mod tls;
pub mod upstream;

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{any, get, post};
use tower::ServiceBuilder;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

pub use config::Config;
pub use error::AppError;
pub use state::{AppState, StartError};

use routes::callback::CALLBACK_PATH;
use routes::proxy::MAX_ENVELOPE;

async fn no_such_route() -> AppError {
    AppError::no_such_route()
}

async fn method_not_allowed() -> AppError {
    AppError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "This route does not accept that HTTP method.",
    )
}

/// The relay: every route, with the layers every request passes.
pub fn app(state: AppState) -> Router {
    let mut api = Router::new()
        .route("/api/config", get(routes::config::get_config))
        .route("/api/pending", post(routes::pending::register))
        .route("/api/pickup", post(routes::pending::pickup))
        .route("/api/listen", post(routes::listen::listen))
        .route(
            "/api/proxy",
            post(routes::proxy::proxy)
                .layer(from_fn_with_state(state.clone(), access::proxy_rate_limit)),
        )
        .route("/api", any(no_such_route))
        .route("/api/{*rest}", any(no_such_route))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(state.clone(), access::guard_api));
    let cors_origins: Vec<HeaderValue> = state
        .allowed_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    if !cors_origins.is_empty() {
        api = api.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(cors_origins))
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::CONTENT_TYPE])
                .max_age(Duration::from_secs(600)),
        );
    }

    let router = Router::new()
        .route("/healthz", get(routes::config::healthz))
        .route(
            CALLBACK_PATH,
            get(routes::callback::get_callback)
                .post(routes::callback::post_callback)
                // Overrides the API's limit set below.
                .layer(DefaultBodyLimit::max(callback_query::MAX_QUERY_LEN * 2)),
        )
        .merge(api);
    let router = routes::static_files::with_app_fallback(router, &state);

    // Everything finishes well inside this: long-polls (≤ 25 s) and upstream calls (timeout).
    let deadline = state.upstream_timeout.max(Duration::from_secs(25)) + Duration::from_secs(10);
    // The first layer listed runs first.
    router
        .layer(
            ServiceBuilder::new()
                .layer(SetSensitiveRequestHeadersLayer::new([
                    header::AUTHORIZATION,
                    header::COOKIE,
                    HeaderName::from_static("dpop"),
                ]))
                .layer(from_fn(logging::access_log))
                .layer(from_fn_with_state(state.clone(), access::guard_host))
                .layer(from_fn_with_state(state.clone(), access::rate_limit))
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::SERVICE_UNAVAILABLE,
                    deadline,
                ))
                .layer(DefaultBodyLimit::max(MAX_ENVELOPE))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                )),
        )
        .with_state(state)
}

/// Serves `state`'s relay on `listener` until `shutdown` completes, then drains.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_app(listener, app(state.clone()), state, shutdown).await
}

/// [`serve`] with the router given: the e2e suite wraps [`app`] in a layer that records what
/// was answered. Housekeeping runs once a minute while serving.
pub async fn serve_app(
    listener: tokio::net::TcpListener,
    app: Router,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let housekeeping = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(60));
            loop {
                every.tick().await;
                state.housekeeping();
            }
        })
    };
    let served = serve::serve_router(listener, app, state, shutdown).await;
    housekeeping.abort();
    served
}

/// Runs the relay with `config` on an already bound `listener` until `shutdown` completes.
/// Prints nothing; logs through `tracing`. A configuration error comes back as
/// `ErrorKind::InvalidInput` with a message for the user.
pub async fn run(
    listener: tokio::net::TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let local_addr = listener.local_addr()?;
    let state = AppState::new(&config, local_addr)
        .map_err(|err| std::io::Error::new(std::io::ErrorKind::InvalidInput, err.to_string()))?;
    warn_about_risky_settings(&config, &state);
    serve(listener, state, shutdown).await
}

fn warn_about_risky_settings(config: &Config, state: &AppState) {
    if config.allow_private_targets {
        tracing::warn!(
            "!!! --allow-private-targets is on: the token proxy will call http:// URLs and \
             loopback/private addresses. Use this only for development against a provider on \
             this machine or network, never on a shared or public relay. !!!"
        );
    }
    if config.public && state.target_policy.host_allowlist.is_none() {
        tracing::warn!(
            "--allow-any-host in public mode: the relay forwards requests to ANY public HTTPS \
             endpoint for anyone who can reach it"
        );
    }
    if !config.public && !config.bind.is_loopback() {
        tracing::warn!(
            bind = %config.bind,
            "local mode on a non-loopback address: only requests addressed to 127.0.0.1, \
             localhost or [::1] are answered; use --public for a shared deployment"
        );
    }
    if state.static_site.dist.is_none() {
        tracing::info!("no built app to serve (--dist); / answers with build instructions");
    }
}
