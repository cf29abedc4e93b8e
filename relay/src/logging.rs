//! Logging: human-readable or JSON lines on stderr (stdout carries only the URL line), and the
//! one access-log line per request.
//!
//! On the serving workers ([`crate::server`]) lines are collected in a per-thread buffer and
//! written when the worker runs out of work (just before its runtime parks), or sooner once
//! [`BUFFER_LIMIT`] bytes wait. Every line is still written, in order, but a busy worker writes
//! many lines per system call instead of one blocking write per request, and never before the
//! answer it logs has gone out. Other threads write each line at once.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io::{IsTerminal, Write};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, ready};
use std::time::Instant;

use axum::extract::MatchedPath;
use axum::http::{Method, Request, Response, StatusCode};
use pin_project_lite::pin_project;
use tower::{Layer, Service};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::FmtContext;
use tracing_subscriber::fmt::format::{FormatEvent, FormatFields, Writer};
use tracing_subscriber::registry::LookupSpan;

/// Installs the global subscriber; `RUST_LOG` overrides the default filter.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!("{}=info,tower_http=info", env!("CARGO_CRATE_NAME")))
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Colour codes only help a person watching a terminal; in a log file they are noise.
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(LineWriter);
    // A second call (tests, embedding) keeps the first subscriber.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.event_format(PlainFormat::default()).try_init()
    };
}

/// The access log's target (see `log_request`).
pub const ACCESS_TARGET: &str = "relay::access";

/// tracing's default plain-text format, with the access line written directly.
///
/// tracing's formatter spent more on each access line (field visitor, styles, date formatting
/// through `fmt`) than the relay spent checking the proxied request. The access line has fixed
/// fields (a method, a route pattern, two integers), so it is written here in exactly the
/// default layout: `2026-01-31T12:00:00.123456Z  INFO relay::access: method=POST
/// route=/api/proxy status=200 micros=180`. Every other line, and every line when colours are
/// on, goes through tracing's own formatter.
#[derive(Debug, Default)]
pub struct PlainFormat {
    full: tracing_subscriber::fmt::format::Format,
}

impl<S, N> FormatEvent<S, N> for PlainFormat
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let meta = event.metadata();
        if meta.target() != ACCESS_TARGET
            || writer.has_ansi_escapes()
            || ctx.event_scope().is_some()
        {
            return self.full.format_event(ctx, writer, event);
        }
        let mut line = [0u8; 28];
        let timestamp = write_timestamp(std::time::SystemTime::now(), &mut line);
        writer.write_str(timestamp)?;
        writer.write_str(match *meta.level() {
            tracing::Level::TRACE => " TRACE ",
            tracing::Level::DEBUG => " DEBUG ",
            tracing::Level::INFO => "  INFO ",
            tracing::Level::WARN => "  WARN ",
            tracing::Level::ERROR => " ERROR ",
        })?;
        writer.write_str(meta.target())?;
        writer.write_char(':')?;
        let mut fields = FieldWriter {
            writer: &mut writer,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        writer.write_char('\n')
    }
}

/// Writes `name=value` fields, each after a space, as tracing's default visitor does.
struct FieldWriter<'a, 'w> {
    writer: &'a mut Writer<'w>,
    result: std::fmt::Result,
}

impl FieldWriter<'_, '_> {
    fn name(&mut self, field: &tracing::field::Field) -> std::fmt::Result {
        self.writer.write_char(' ')?;
        self.writer.write_str(field.name())?;
        self.writer.write_char('=')
    }
}

impl tracing::field::Visit for FieldWriter<'_, '_> {
    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        if self.result.is_ok() {
            let mut digits = [0u8; 20];
            self.result = self
                .name(field)
                .and_then(|()| self.writer.write_str(decimal(value, &mut digits)));
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if self.result.is_ok() {
            self.result = self
                .name(field)
                .and_then(|()| write!(self.writer, "{value:?}"));
        }
    }
}

/// `value` in decimal, in `digits`.
fn decimal(mut value: u64, digits: &mut [u8; 20]) -> &str {
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    std::str::from_utf8(&digits[start..]).unwrap_or("?")
}

/// `time` as tracing's default timestamp, `2026-01-31T12:00:00.123456Z`, in `out`.
fn write_timestamp(time: std::time::SystemTime, out: &mut [u8; 28]) -> &str {
    let since_epoch = time
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let seconds = since_epoch.as_secs();
    let (year, month, day) = civil_date(seconds / 86_400);
    let of_day = seconds % 86_400;
    let fields: [(u64, usize); 7] = [
        (year, 4),
        (month, 2),
        (day, 2),
        (of_day / 3600, 2),
        (of_day / 60 % 60, 2),
        (of_day % 60, 2),
        (u64::from(since_epoch.subsec_micros()), 6),
    ];
    let mut at = 0;
    for (index, (value, width)) in fields.into_iter().enumerate() {
        let mut rest = value;
        for slot in out[at..at + width].iter_mut().rev() {
            *slot = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        at += width;
        out[at] = b"--T::.Z"[index];
        at += 1;
    }
    std::str::from_utf8(&out[..at]).unwrap_or("<unknown time>")
}

/// Year, month, day of the day `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_date(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// Lines waiting on a worker thread are written once this many bytes collect.
pub const BUFFER_LIMIT: usize = 16 * 1024;

thread_local! {
    /// True on threads that buffer their lines (the serving workers).
    static BUFFERING: Cell<bool> = const { Cell::new(false) };
    static WAITING: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Makes log lines written on this thread wait for [`flush_buffered_lines`] (called when the
/// thread's runtime parks) or for the buffer to fill.
pub fn buffer_lines_on_this_thread() {
    BUFFERING.with(|on| on.set(true));
}

/// Writes the lines this thread has buffered.
pub fn flush_buffered_lines() {
    // `try_with`: also called while the thread ends, when thread-locals may be gone.
    let _ = WAITING.try_with(|waiting| {
        if let Ok(mut waiting) = waiting.try_borrow_mut()
            && !waiting.is_empty()
        {
            // Nowhere to report a failed log write; the lines are dropped rather than kept.
            let _ = std::io::stderr().lock().write_all(&waiting);
            waiting.clear();
        }
    });
}

/// The subscriber's writer: stderr, through the thread's buffer on serving workers.
#[derive(Debug, Clone, Copy, Default)]
pub struct LineWriter;

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LineWriter {
    type Writer = LineWriter;

    fn make_writer(&'a self) -> LineWriter {
        LineWriter
    }
}

impl Write for LineWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if !BUFFERING.with(Cell::get) {
            return std::io::stderr().write(bytes);
        }
        let full = WAITING.with(|waiting| match waiting.try_borrow_mut() {
            Ok(mut waiting) => {
                waiting.extend_from_slice(bytes);
                Some(waiting.len() >= BUFFER_LIMIT)
            }
            Err(_) => None,
        });
        match full {
            Some(true) => flush_buffered_lines(),
            Some(false) => {}
            // Only if a write happened during a flush on this thread: write it directly.
            None => return std::io::stderr().write(bytes),
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Where the router reports the route it matched to the access log, which runs outside it
/// (so that it also logs requests refused before routing, such as `host_refused`).
#[derive(Clone, Default)]
struct RouteSlot(Arc<OnceLock<RouteName>>);

/// A route's pattern as the access log shows it.
#[derive(Clone)]
enum RouteName {
    /// Matched by the router.
    Matched(MatchedPath),
    /// Dispatched before the router (see [`record_route`]).
    Fixed(&'static str),
}

impl RouteName {
    fn as_str(&self) -> &str {
        match self {
            Self::Matched(path) => path.as_str(),
            Self::Fixed(path) => path,
        }
    }
}

/// Tells the access log that `request` goes to `route`, for requests dispatched to a handler
/// without the router (which otherwise reports the pattern it matched).
pub fn record_route<B>(request: &Request<B>, route: &'static str) {
    if let Some(slot) = request.extensions().get::<RouteSlot>() {
        let _ = slot.0.set(RouteName::Fixed(route));
    }
}

/// Writes the access-log line: method, matched route, status and latency.
///
/// One event per request, replacing a request span plus a "finished" event (a span allocation,
/// formatted span fields and two writes per request). The fields are `&str`s and integers,
/// written once into the subscriber's reused buffer. The route is the router's pattern (e.g.
/// `/api/proxy`, or `(app)` for the static fallback), never the URI: its query may hold an
/// authorization code. Headers and bodies are never logged.
fn log_request(method: &Method, route: Option<&str>, status: StatusCode, started: Instant) {
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    tracing::info!(
        target: ACCESS_TARGET,
        method = %method,
        route = %route.unwrap_or("(app)"),
        status = status.as_u16(),
        micros,
    );
}

/// Logs one line per request (see `log_request`); outermost, so refusals are logged too.
#[derive(Debug, Clone, Copy, Default)]
pub struct AccessLogLayer;

impl<S> Layer<S> for AccessLogLayer {
    type Service = AccessLog<S>;

    fn layer(&self, inner: S) -> AccessLog<S> {
        AccessLog { inner }
    }
}

/// The service of [`AccessLogLayer`].
#[derive(Debug, Clone)]
pub struct AccessLog<S> {
    inner: S,
}

impl<S, B, R> Service<Request<B>> for AccessLog<S>
where
    S: Service<Request<B>, Response = Response<R>>,
{
    type Response = Response<R>;
    type Error = S::Error;
    type Future = AccessLogFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let started = Instant::now();
        let method = request.method().clone();
        let slot = RouteSlot::default();
        request.extensions_mut().insert(slot.clone());
        AccessLogFuture {
            inner: self.inner.call(request),
            started,
            method,
            slot,
        }
    }
}

pin_project! {
    /// The future of [`AccessLog`]: the inner answer, logged when it is ready.
    pub struct AccessLogFuture<F> {
        #[pin]
        inner: F,
        started: Instant,
        method: Method,
        slot: RouteSlot,
    }
}

impl<F, R, E> Future for AccessLogFuture<F>
where
    F: Future<Output = Result<Response<R>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        if let Ok(response) = &result {
            log_request(
                this.method,
                this.slot.0.get().map(RouteName::as_str),
                response.status(),
                *this.started,
            );
        }
        Poll::Ready(result)
    }
}

/// Layer for the router's routes: tells the access log which route matched.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecordRouteLayer;

impl<S> Layer<S> for RecordRouteLayer {
    type Service = RecordRoute<S>;

    fn layer(&self, inner: S) -> RecordRoute<S> {
        RecordRoute { inner }
    }
}

/// The service of [`RecordRouteLayer`]: no future of its own, so it adds no allocation.
#[derive(Debug, Clone)]
pub struct RecordRoute<S> {
    inner: S,
}

impl<S, B> Service<Request<B>> for RecordRoute<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let extensions = request.extensions();
        if let (Some(slot), Some(route)) = (
            extensions.get::<RouteSlot>(),
            extensions.get::<MatchedPath>(),
        ) {
            // Set once: a nested router would otherwise overwrite the outer match.
            let _ = slot.0.set(RouteName::Matched(route.clone()));
        }
        self.inner.call(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn timestamps_read_like_tracings() {
        let at = |seconds: u64, micros: u64| {
            let mut out = [0u8; 28];
            let time = UNIX_EPOCH + Duration::from_secs(seconds) + Duration::from_micros(micros);
            write_timestamp(time, &mut out).to_owned()
        };
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000000Z");
        // A leap day, the last microsecond of it.
        assert_eq!(at(1_709_251_199, 999_999), "2024-02-29T23:59:59.999999Z");
        assert_eq!(at(951_868_800, 42), "2000-03-01T00:00:00.000042Z");
        assert_eq!(at(4_102_444_800, 7), "2100-01-01T00:00:00.000007Z");
        let mut digits = [0u8; 20];
        assert_eq!(decimal(0, &mut digits), "0");
        assert_eq!(decimal(u64::MAX, &mut digits), "18446744073709551615");
    }

    #[test]
    fn worker_threads_hold_lines_until_their_runtime_parks() {
        let waiting = || WAITING.with(|waiting| waiting.borrow().len());
        std::thread::spawn(move || {
            let line = b"(relay logging test: this line was buffered, then flushed)\n";
            LineWriter.write_all(line).unwrap();
            assert_eq!(waiting(), 0, "other threads write at once");
            buffer_lines_on_this_thread();
            LineWriter.write_all(line).unwrap();
            assert_eq!(waiting(), line.len());
            flush_buffered_lines();
            assert_eq!(waiting(), 0);
        })
        .join()
        .unwrap();
    }

    /// Captures what a subscriber writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn lines_with(plain: bool, emit: impl Fn()) -> String {
        let captured = Captured::default();
        let writer = captured.clone();
        let builder = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || writer.clone());
        if plain {
            tracing::subscriber::with_default(
                builder.event_format(PlainFormat::default()).finish(),
                emit,
            );
        } else {
            tracing::subscriber::with_default(builder.finish(), emit);
        }
        let bytes = captured.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn access_lines_match_tracings_default_format_after_the_timestamp() {
        let emit = || {
            log_request(
                &Method::POST,
                Some("/api/proxy"),
                StatusCode::OK,
                Instant::now(),
            );
            log_request(&Method::GET, None, StatusCode::NOT_FOUND, Instant::now());
            tracing::info!(target: "relay", port = 8787, "listening");
        };
        let (ours, tracings) = (lines_with(true, emit), lines_with(false, emit));
        let strip = |text: &str| -> Vec<String> {
            text.lines()
                .map(|line| {
                    let (timestamp, rest) = line.split_at(27);
                    assert!(timestamp.ends_with('Z'), "{line}");
                    // The latency differs between the runs; the rest must not.
                    rest.split(" micros=").next().unwrap().to_owned()
                })
                .collect()
        };
        assert_eq!(strip(&ours), strip(&tracings));
        assert!(
            ours.contains("  INFO relay::access: method=POST route=/api/proxy status=200 micros=")
        );
        assert!(ours.contains("method=GET route=(app) status=404 micros="));
        assert_eq!(ours.lines().count(), 3);
    }
}
