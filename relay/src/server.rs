//! Serving connections: one thread per core, each running its own single-threaded Tokio runtime,
//! the way nginx runs one worker process per core.
//!
//! The caller's runtime only accepts. Each accepted connection is handed once to the worker with
//! the fewest open connections, and from then on everything a request needs runs on that one
//! thread: the connection, the handler, its upstream connection (each worker has its own pool,
//! see [`worker_index`]) and its timers. On a shared multi-threaded runtime a proxied call
//! crossed threads several times (connection task, pooled client connection, back), and each
//! crossing is a futex wake-up and a context switch; on a loaded two-core machine those cost
//! more than the request's own work.
//!
//! Shared state ([`crate::AppState`]: pending store, rate limiters, concurrency caps) stays
//! shared between workers, so every limit still applies to the relay as a whole.

use std::cell::Cell;
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Waker;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use pin_project_lite::pin_project;
use tokio::sync::{mpsc, oneshot, watch};
use tower::Service;

thread_local! {
    static WORKER: Cell<Option<usize>> = const { Cell::new(None) };
}

/// The index of the serving worker running on this thread, if this is one.
///
/// Per-worker resources (the upstream connection pools) are picked by it, so that a worker only
/// ever uses connections registered with its own runtime.
pub fn worker_index() -> Option<usize> {
    WORKER.with(Cell::get)
}

/// How many serving workers to run: one per core the process may use.
pub fn worker_count() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// How far ahead each worker's timer driver always has a wake-up planned (see
/// [`keep_timer_wake_up_near`]); well below every request timeout.
const PACEMAKER: Duration = Duration::from_secs(1);

/// A connection accepted by the caller's runtime, on its way to a worker.
type Accepted = (std::net::TcpStream, SocketAddr);

/// The acceptor's handle on one worker thread.
struct Worker {
    /// Accepted connections go here; dropping it tells the worker to finish gracefully.
    connections: mpsc::UnboundedSender<Accepted>,
    /// Open connections on the worker (to hand new ones to the least busy).
    open: Arc<AtomicUsize>,
    /// Completes when the worker has drained and stopped.
    stopped: oneshot::Receiver<()>,
}

/// Stops the workers at once (without draining) if the serving future is dropped before it
/// finished, e.g. when a test's runtime ends while the relay still runs.
struct AbortOnDrop(Option<watch::Sender<bool>>);

impl AbortOnDrop {
    fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(abort) = &self.0 {
            abort.send_replace(true);
        }
    }
}

/// What the workers serve: the relay's whole service ([`crate::service`]).
pub trait RelayService:
    Service<Request<Body>, Response = Response, Error = Infallible, Future: Send + 'static>
    + Clone
    + Send
    + Sync
    + 'static
{
}

impl<S> RelayService for S where
    S: Service<Request<Body>, Response = Response, Error = Infallible, Future: Send + 'static>
        + Clone
        + Send
        + Sync
        + 'static
{
}

/// Serves `service` on `listener` with [`worker_count`] workers until `shutdown` completes; then
/// runs `on_shutdown`, stops accepting, lets open connections finish their requests, and returns
/// once every worker has stopped.
pub async fn serve_on_workers(
    listener: tokio::net::TcpListener,
    service: impl RelayService,
    shutdown: impl Future<Output = ()> + Send + 'static,
    on_shutdown: impl FnOnce(),
) -> io::Result<()> {
    let (abort_sender, abort) = watch::channel(false);
    let mut abort_guard = AbortOnDrop(Some(abort_sender));
    let mut workers = Vec::new();
    for index in 0..worker_count() {
        workers.push(start_worker(index, service.clone(), abort.clone())?);
    }

    tokio::pin!(shutdown);
    let mut next = 0usize;
    loop {
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    handle_accept_error(err).await;
                    continue;
                }
            },
        };
        // Small answers are written whole; without this one may wait for the previous ACK.
        let _ = stream.set_nodelay(true);
        let stream = match stream.into_std() {
            Ok(stream) => stream,
            Err(err) => {
                tracing::warn!(error = %err, "could not hand over an accepted connection");
                continue;
            }
        };
        // The least busy worker; ties go round-robin so that idle workers share new work.
        next = next.wrapping_add(1);
        let count = workers.len();
        let chosen = (0..count)
            .map(|k| (next + k) % count)
            .min_by_key(|&i| workers[i].open.load(Ordering::Relaxed))
            .unwrap_or(0);
        workers[chosen].open.fetch_add(1, Ordering::Relaxed);
        if workers[chosen].connections.send((stream, peer)).is_err() {
            tracing::warn!("a serving worker has stopped; dropping a connection");
        }
    }
    on_shutdown();
    drop(listener);
    let mut stopped = Vec::with_capacity(workers.len());
    for worker in workers {
        // Dropping the sender is the worker's signal to drain.
        drop(worker.connections);
        stopped.push(worker.stopped);
    }
    for worker in stopped {
        let _ = worker.await;
    }
    abort_guard.disarm();
    Ok(())
}

/// Starts worker `index` on its own thread with its own runtime.
fn start_worker(
    index: usize,
    service: impl RelayService,
    abort: watch::Receiver<bool>,
) -> io::Result<Worker> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .on_thread_park(crate::logging::flush_buffered_lines)
        .build()?;
    let (connections, incoming) = mpsc::unbounded_channel();
    let (stopped_sender, stopped) = oneshot::channel();
    let open = Arc::new(AtomicUsize::new(0));
    let worker_open = open.clone();
    std::thread::Builder::new()
        .name(format!("relay-worker-{index}"))
        .spawn(move || {
            WORKER.with(|worker| worker.set(Some(index)));
            crate::logging::buffer_lines_on_this_thread();
            runtime.block_on(async move {
                let mut abort = abort;
                tokio::select! {
                    () = run_worker(incoming, service, worker_open) => {}
                    _ = abort.wait_for(|aborted| *aborted) => {}
                }
            });
            // Tasks still running (a local listener, say) end with the runtime.
            drop(runtime);
            crate::logging::flush_buffered_lines();
            let _ = stopped_sender.send(());
        })?;
    Ok(Worker {
        connections,
        open,
        stopped,
    })
}

/// A worker: serves the connections it is handed until the acceptor hangs up, then tells its
/// connections to finish (idle keep-alive connections close at once, requests in flight
/// complete) and waits for them.
async fn run_worker(
    mut incoming: mpsc::UnboundedReceiver<Accepted>,
    service: impl RelayService,
    open: Arc<AtomicUsize>,
) {
    let pacemaker = tokio::spawn(keep_timer_wake_up_near());
    let finish = Arc::new(Finish::default());
    // Every connection holds a clone; `closed()` completes when the last one is gone.
    let (all_closed, closing) = watch::channel(());
    let mut next_id = 0u64;
    while let Some((stream, peer)) = incoming.recv().await {
        let stream = match tokio::net::TcpStream::from_std(stream) {
            Ok(stream) => stream,
            Err(err) => {
                open.fetch_sub(1, Ordering::Relaxed);
                tracing::warn!(error = %err, "could not register an accepted connection");
                continue;
            }
        };
        let service = ConnectionService {
            service: service.clone(),
            peer: ConnectInfo(peer),
        };
        let (finish, closing, open) = (finish.clone(), closing.clone(), open.clone());
        next_id += 1;
        let id = next_id;
        tokio::spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            let mut registered = false;
            let mut finishing = false;
            let result = std::future::poll_fn(|cx| {
                if !registered {
                    finish.register(id, cx.waker());
                    registered = true;
                }
                if !finishing && finish.raised() {
                    finishing = true;
                    connection.as_mut().graceful_shutdown();
                }
                connection.as_mut().poll(cx)
            })
            .await;
            if let Err(err) = result {
                tracing::trace!(error = %err, "connection ended with an error");
            }
            finish.forget(id);
            open.fetch_sub(1, Ordering::Relaxed);
            drop(closing);
        });
    }
    finish.raise();
    drop(closing);
    all_closed.closed().await;
    pacemaker.abort();
}

/// Tells a worker's connections to finish their requests and close.
///
/// A connection checks the flag each time it is polled (one atomic load) instead of polling a
/// channel beside the connection on every wake-up; raising it wakes every open connection once,
/// so that idle keep-alive connections notice too.
#[derive(Default)]
struct Finish {
    raised: AtomicBool,
    /// The open connections' tasks, by connection.
    wakers: Mutex<HashMap<u64, Waker>>,
}

impl Finish {
    fn wakers(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Waker>> {
        // Nothing can be left half-done in the map by a panic; keep using it.
        self.wakers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Registers connection `id`'s task (before it first checks [`Finish::raised`], so that a
    /// raise in between still wakes it).
    fn register(&self, id: u64, waker: &Waker) {
        self.wakers().insert(id, waker.clone());
    }

    fn forget(&self, id: u64) {
        self.wakers().remove(&id);
    }

    fn raised(&self) -> bool {
        self.raised.load(Ordering::Acquire)
    }

    fn raise(&self) {
        self.raised.store(true, Ordering::Release);
        let wakers = std::mem::take(&mut *self.wakers());
        for waker in wakers.into_values() {
            waker.wake();
        }
    }
}

/// Keeps a timer due within [`PACEMAKER`] on the worker at all times.
///
/// Tokio's timer driver wakes its thread (an eventfd write, then an extra `epoll_wait`) whenever
/// a new timer is due before the driver's planned wake-up. Every request arms timers (the
/// request deadline, the upstream call's read timeout) that are due seconds later; with nothing
/// else pending, each of them was "earlier" than the idle pool's 90 s and cost those two system
/// calls. With a wake-up planned at most a second ahead, no request timer ever comes first.
async fn keep_timer_wake_up_near() {
    let mut beat = tokio::time::interval(PACEMAKER);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        beat.tick().await;
    }
}

/// The relay's service as one connection's hyper service: adds the peer address the rate limits
/// read.
#[derive(Clone)]
struct ConnectionService<S> {
    service: S,
    peer: ConnectInfo<SocketAddr>,
}

impl<S: RelayService> hyper::service::Service<Request<Incoming>> for ConnectionService<S> {
    type Response = Response;
    type Error = Infallible;
    type Future = ServiceFuture<S::Future>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(self.peer);
        let mut service = self.service.clone();
        // Every layer of the relay is always ready (limits answer at once instead of waiting),
        // so this never waits; were one ever not ready, the request gets a 503 rather than a
        // call the service did not agree to.
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match service.poll_ready(&mut cx) {
            std::task::Poll::Ready(Ok(())) => ServiceFuture::Called {
                inner: service.call(request),
            },
            _ => ServiceFuture::NotReady {
                answer: Some(
                    crate::AppError::new(
                        axum::http::StatusCode::SERVICE_UNAVAILABLE,
                        "busy",
                        "The relay cannot take this request now; try again in a moment.",
                    )
                    .into_response(),
                ),
            },
        }
    }
}

pin_project! {
    /// The future of [`ConnectionService`].
    #[project = ServiceFutureProjection]
    pub enum ServiceFuture<F> {
        /// The service was called.
        Called { #[pin] inner: F },
        /// The service was not ready; the answer is a 503.
        NotReady { answer: Option<Response> },
    }
}

impl<F> Future for ServiceFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        match self.project() {
            ServiceFutureProjection::Called { inner } => inner.poll(cx),
            ServiceFutureProjection::NotReady { answer } => std::task::Poll::Ready(Ok(answer
                .take()
                .unwrap_or_else(|| crate::AppError::internal().into_response()))),
        }
    }
}

/// Like `axum::serve`: a failed handshake is the client's problem; anything else (out of file
/// descriptors, say) is logged and accepting pauses for a second.
async fn handle_accept_error(err: io::Error) {
    if matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %err, "accept error");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Answers with the index of the worker that served the request.
    fn which_worker() -> axum::Router {
        axum::Router::new().route("/", get(|| async { format!("{:?}", worker_index()) }))
    }

    async fn get_on(stream: &mut tokio::net::TcpStream) -> String {
        stream
            .write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        let mut buf = [0u8; 1024];
        while !answer.ends_with(b")") {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed before answering");
            answer.extend_from_slice(&buf[..n]);
        }
        let text = String::from_utf8(answer).unwrap();
        text.rsplit("\r\n\r\n").next().unwrap().to_owned()
    }

    #[tokio::test]
    async fn connections_are_spread_over_workers_and_idle_ones_do_not_delay_shutdown() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let served = tokio::spawn(serve_on_workers(
            listener,
            which_worker(),
            async move {
                let _ = stopped.await;
            },
            || {},
        ));

        let mut first = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut second = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (a, b) = (get_on(&mut first).await, get_on(&mut second).await);
        assert!(a.starts_with("Some(") && b.starts_with("Some("), "{a} {b}");
        if worker_count() > 1 {
            assert_ne!(a, b, "two open connections go to two workers");
        }
        // Kept alive: the same connection stays on its worker.
        assert_eq!(get_on(&mut first).await, a);

        // Both connections are idle and kept alive; shutdown closes them instead of waiting.
        let started = std::time::Instant::now();
        stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(5), served)
            .await
            .expect("shutdown finishes")
            .unwrap()
            .unwrap();
        assert!(started.elapsed() < Duration::from_secs(2));
        let mut rest = Vec::new();
        assert_eq!(first.read_to_end(&mut rest).await.unwrap(), 0, "closed");
        assert!(
            tokio::net::TcpStream::connect(addr).await.is_err(),
            "no longer listening"
        );
    }

    #[test]
    fn other_threads_are_no_workers() {
        assert_eq!(worker_index(), None);
        assert!(worker_count() >= 1);
    }
}
