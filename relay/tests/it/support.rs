//! Shared helpers: relay instances (router for oneshot tests, or a real socket), a test upstream
//! on loopback that counts accepted connections, and request builders.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{any, get, post};
use axum::serve::ListenerExt;
use clap::Parser;
use http_body_util::BodyExt;
use relay::resolver::{NameLookup, StaticLookup};
use relay::{AppState, Config};
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// The address oneshot relays pretend to be bound to.
pub const RELAY_ADDR: &str = "127.0.0.1:8787";
/// Their origin.
pub const ORIGIN: &str = "http://127.0.0.1:8787";
/// A pickup secret long enough to be accepted.
pub const SECRET: &str = "pickup-secret-0123456789abcdef";

/// A relay router plus its state (to inspect the store).
pub struct TestRelay {
    pub router: Router,
    pub state: AppState,
}

/// Parses `args` as the relay's command line (after the program name).
pub fn config(args: &[&str]) -> Config {
    Config::parse_from(std::iter::once("relay").chain(args.iter().copied()))
}

/// A relay for oneshot tests, resolving names through `lookup`.
pub fn relay_with(args: &[&str], lookup: impl NameLookup) -> TestRelay {
    let state = AppState::with_lookup(&config(args), RELAY_ADDR.parse().unwrap(), Arc::new(lookup))
        .expect("test configuration is valid");
    TestRelay {
        router: relay::app(state.clone()),
        state,
    }
}

/// A relay for oneshot tests without any name lookups.
pub fn relay(args: &[&str]) -> TestRelay {
    relay_with(args, StaticLookup::new())
}

/// An answer, collected.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The `error` code of an error answer.
    pub fn error_code(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_owned()
    }

    /// The `message` of an error answer.
    pub fn message(&self) -> String {
        self.json()["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Checks this is the error answer `code` with `status`.
    #[track_caller]
    pub fn assert_error(&self, status: StatusCode, code: &str) {
        assert_eq!(
            (self.status, self.error_code().as_str()),
            (status, code),
            "{}",
            self.text()
        );
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    }
}

impl TestRelay {
    /// Sends one request through the router (from 127.0.0.1 unless the request says otherwise).
    pub async fn send(&self, mut request: Request<Body>) -> Answer {
        if request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .is_none()
        {
            request
                .extensions_mut()
                .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 50000))));
        }
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            headers,
            body,
        }
    }

    /// POSTs `json` to `path` the way the wizard does (same origin).
    pub async fn post_json(&self, path: &str, json: Value) -> Answer {
        self.send(api_post(path, &json.to_string())).await
    }

    /// GETs `path_and_query` as a browser navigation.
    pub async fn get(&self, path_and_query: &str) -> Answer {
        self.send(get_request(path_and_query)).await
    }

    /// Registers `state` with [`SECRET`], expecting 201.
    pub async fn register(&self, state: &str) {
        let answer = self
            .post_json(
                "/api/pending",
                serde_json::json!({"state": state, "pickup_secret": SECRET}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    }

    /// Picks up `state` with `secret`.
    pub async fn pickup(&self, state: &str, secret: &str) -> Answer {
        self.post_json(
            "/api/pickup",
            serde_json::json!({"state": state, "pickup_secret": secret}),
        )
        .await
    }

    /// Proxies `envelope`.
    pub async fn proxy(&self, envelope: Value) -> Answer {
        self.post_json("/api/proxy", envelope).await
    }
}

/// A same-origin JSON POST.
pub fn api_post(path: &str, body: &str) -> Request<Body> {
    Request::post(path)
        .header(header::HOST, "127.0.0.1:8787")
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

/// A GET with the relay's own Host.
pub fn get_request(path_and_query: &str) -> Request<Body> {
    Request::get(path_and_query)
        .header(header::HOST, "127.0.0.1:8787")
        .body(Body::empty())
        .unwrap()
}

/// Sets the peer address of a request (for per-address limits).
pub fn from_ip(mut request: Request<Body>, ip: IpAddr) -> Request<Body> {
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::new(ip, 40000)));
    request
}

/// What the test upstream saw of one request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path_and_query: String,
    pub headers: HeaderMap,
    pub body: String,
}

/// A token endpoint stand-in on loopback that counts accepted TCP connections.
pub struct Upstream {
    pub addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Upstream {
    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Requests seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Starts an upstream with the standard routes:
    /// `/token` (POST, JSON token answer with extra headers), `/meta` (GET), `/redirect` (302 to
    /// `redirect_to`), `/huge` (2 MiB with length), `/huge-stream` (2 MiB chunked), `/slow`
    /// (answers after 5 s).
    pub async fn start(redirect_to: Option<String>) -> Self {
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let record = {
            let seen = seen.clone();
            move |request: Request<Body>| {
                let seen = seen.clone();
                async move {
                    let (parts, body) = request.into_parts();
                    let body = body.collect().await.unwrap().to_bytes();
                    seen.lock().unwrap().push(Seen {
                        method: parts.method.to_string(),
                        path_and_query: parts
                            .uri
                            .path_and_query()
                            .map(|p| p.to_string())
                            .unwrap_or_default(),
                        headers: parts.headers,
                        body: String::from_utf8_lossy(&body).into_owned(),
                    });
                }
            }
        };
        let token = {
            let record = record.clone();
            move |request: Request<Body>| async move {
                record(request).await;
                (
                    [
                        (header::CONTENT_TYPE, "application/json"),
                        (header::CACHE_CONTROL, "no-store"),
                        (header::SET_COOKIE, "session=stolen"),
                        (header::SERVER, "test-upstream"),
                    ],
                    r#"{"access_token":"at-1","token_type":"Bearer","expires_in":3600}"#,
                )
            }
        };
        let meta = {
            let record = record.clone();
            move |request: Request<Body>| async move {
                record(request).await;
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    r#"{"issuer":"https://id.example"}"#,
                )
            }
        };
        let redirect_target = redirect_to.unwrap_or_else(|| "http://127.0.0.1:1/".to_owned());
        let router = Router::new()
            .route("/token", post(token))
            .route("/meta", get(meta))
            .route(
                "/redirect",
                any(move || async move {
                    (
                        StatusCode::FOUND,
                        [(header::LOCATION, redirect_target.clone())],
                    )
                        .into_response()
                }),
            )
            .route("/huge", any(|| async { vec![b'a'; 2 * 1024 * 1024] }))
            .route(
                "/huge-stream",
                any(|| async {
                    let chunks = (0..64)
                        .map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b'b'; 32 * 1024])));
                    Body::from_stream(futures_util::stream::iter(chunks.collect::<Vec<_>>()))
                }),
            )
            .route(
                "/slow",
                any(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "late"
                }),
            );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        let listener = listener.tap_io(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self {
            addr,
            accepted,
            seen,
        }
    }
}

/// A raw server that promises 100 bytes, sends 10 and hangs up; counts connections.
pub async fn cut_off_upstream() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = tokio::io::AsyncReadExt::read(&mut stream, &mut buf).await;
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"access_")
                    .await;
                let _ = stream.shutdown().await;
            });
        }
    });
    (addr, accepted)
}

/// A relay on a real socket.
pub struct LiveRelay {
    pub addr: SocketAddr,
    pub state: AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl LiveRelay {
    /// Starts a relay with `args` on 127.0.0.1:0.
    pub async fn start(args: &[&str], lookup: impl NameLookup) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = AppState::with_lookup(&config(args), addr, Arc::new(lookup)).unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(relay::serve(listener, state.clone(), async move {
            let _ = stopped.await;
        }));
        Self {
            addr,
            state,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The relay's origin.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// POSTs JSON the way the wizard does.
    pub async fn post_json(&self, path: &str, json: Value) -> reqwest::Response {
        client()
            .post(self.url(path))
            .header("origin", self.origin())
            .json_body(&json)
            .send()
            .await
            .unwrap()
    }

    /// Stops the relay and waits until it has drained.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.take().unwrap().await.unwrap()
    }
}

/// JSON bodies without reqwest's `json` feature.
pub trait JsonBody {
    /// Sets a JSON body and content type.
    fn json_body(self, value: &Value) -> Self;
}

impl JsonBody for reqwest::RequestBuilder {
    fn json_body(self, value: &Value) -> Self {
        self.header(header::CONTENT_TYPE, "application/json")
            .body(value.to_string())
    }
}

/// A plain HTTP client for talking to the relay and listeners in tests.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .tls_backend_preconfigured(relay::tls::client_config().unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// A throw-away `dist/` with trunk-like contents.
pub struct Dist(pub PathBuf);

impl Dist {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("relay-it-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("index.html"),
            "<!doctype html><html><head><script type=\"module\">import init from './app.js';init();</script>\
             <link rel=\"stylesheet\" href=\"./style.css\"></head><body></body></html>",
        )
        .unwrap();
        std::fs::write(dir.join("app.js"), "export default function init() {}").unwrap();
        std::fs::write(dir.join("style.css"), "body{}").unwrap();
        Self(dir)
    }
}

impl Drop for Dist {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
