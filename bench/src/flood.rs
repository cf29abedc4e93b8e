//! A connection flood: one client address (127.0.0.2, bound before connecting) opens many
//! connections that send half a request and never finish it, while more of its connections
//! flood `POST /api/pending`. Meanwhile another client (127.0.0.1) opens a fresh connection for
//! each `GET /healthz` and each proxied token call and times the whole exchange. The same probes
//! without the flood, in the same run, are the baseline. The relay's resident memory and open
//! files are read from /proc during the flood and after the flooder lets go.
//!
//! The flooder needs one file descriptor per connection: the soft limit is raised to the hard
//! limit (the `rlimit` crate), and to more if the process may; when it cannot hold them all,
//! the flood is smaller and the details say so.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinSet;

use crate::relay::{RelayProcess, UNLIMITED_RATES, log_path};
use crate::report::{Goal, Row, Unit};
use crate::upstream::Upstream;
use crate::{BenchError, IoContext, Plan, Result, stats};

/// The flooding client's own loopback address.
const FLOODER: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);
/// How long one probe may take before it counts as failed (and as this long).
const PROBE_CAP: Duration = Duration::from_secs(5);
/// File descriptors kept free for everything else the runner holds.
const SPARE_FDS: u64 = 512;
/// p99 target for the other client's requests while the flood runs.
pub const P99_TARGET_MS: f64 = 100.0;
/// Growth of the relay's resident memory that still counts as bounded.
pub const RSS_TARGET: f64 = 20_000_000.0;

/// One probe's request and what its answer must contain.
struct Probe {
    request: String,
    expect: &'static [u8],
}

/// A fresh connection from 127.0.0.1, one request, the answer read to its end: milliseconds,
/// or `None` if it failed or took longer than [`PROBE_CAP`].
async fn probe_once(relay: SocketAddr, probe: &Probe) -> Option<f64> {
    let started = Instant::now();
    let exchange = async {
        let mut stream = TcpStream::connect(relay).await.ok()?;
        stream.write_all(probe.request.as_bytes()).await.ok()?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.ok()?;
        let ok = answer.starts_with(b"HTTP/1.1 200")
            && answer
                .windows(probe.expect.len())
                .any(|w| w == probe.expect);
        ok.then_some(())
    };
    match tokio::time::timeout(PROBE_CAP, exchange).await {
        Ok(Some(())) => Some(started.elapsed().as_secs_f64() * 1000.0),
        _ => None,
    }
}

/// Latencies of `count` rounds of every probe, a little apart; failures count as the cap.
async fn run_probes(relay: SocketAddr, probes: &[Probe], count: usize) -> (Vec<Vec<f64>>, usize) {
    let mut latencies = vec![Vec::with_capacity(count); probes.len()];
    let mut failed = 0;
    for _ in 0..count {
        for (probe, samples) in probes.iter().zip(&mut latencies) {
            let latency = probe_once(relay, probe).await;
            failed += usize::from(latency.is_none());
            samples.push(latency.unwrap_or(PROBE_CAP.as_secs_f64() * 1000.0));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    (latencies, failed)
}

async fn connect_from_flooder(relay: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((FLOODER, 0)))?;
    socket.connect(relay).await
}

/// How many flood connections this process can hold, after raising its open-file limit.
fn flood_capacity(wanted: usize) -> (usize, String) {
    let need = wanted as u64 + SPARE_FDS;
    let mut limit = rlimit::increase_nofile_limit(need).unwrap_or(0);
    if limit < need && rlimit::setrlimit(rlimit::Resource::NOFILE, need, need).is_ok() {
        limit = need;
    }
    let capacity = usize::try_from(limit.saturating_sub(SPARE_FDS))
        .unwrap_or(usize::MAX)
        .min(wanted);
    let note = if capacity < wanted {
        format!(
            "flood: the open-file limit is {limit}, so the flooder held {capacity} connections \
             instead of {wanted}"
        )
    } else {
        format!("flood: open-file limit raised to {limit} (rlimit) for {wanted} connections")
    };
    (capacity, note)
}

/// Open file descriptors of process `pid`.
fn open_files(pid: u32) -> Result<f64> {
    let dir = format!("/proc/{pid}/fd");
    let entries = std::fs::read_dir(&dir).doing(|| format!("listing {dir}"))?;
    Ok(entries.count() as f64)
}

/// Runs the flood benchmark. Returns the table rows and detail lines.
pub async fn measure(
    relay_bin: &Path,
    work: &Path,
    plan: &Plan,
) -> Result<(Vec<Row>, Vec<String>)> {
    let upstream = Upstream::start().await?;
    // The rate limits are lifted so that the probes measure the serving layer, not throttling;
    // the connection caps and the header timeout are the defaults a deployment runs with.
    let args: Vec<String> = [
        "--allow-private-targets",
        "--allowed-port",
        &upstream.addr().port().to_string(),
    ]
    .into_iter()
    .chain(UNLIMITED_RATES)
    .map(str::to_owned)
    .collect();
    let mut relay = RelayProcess::start(relay_bin, &args, &log_path(work, "flood"))?;
    let addr = relay.addr();
    let (capacity, limit_note) = flood_capacity(plan.flood_connections);
    let mut details = vec![limit_note];

    let envelope = serde_json::json!({
        "method": "POST",
        "url": format!("http://{}/token", upstream.addr()),
        "headers": [["content-type", "application/x-www-form-urlencoded"]],
        "body": "grant_type=refresh_token&refresh_token=bench-refresh-token",
    })
    .to_string();
    let probes = [
        Probe {
            request: format!("GET /healthz HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n"),
            expect: b"ok",
        },
        Probe {
            request: format!(
                "POST /api/proxy HTTP/1.1\r\nhost: {addr}\r\norigin: http://{addr}\r\n\
                 content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{envelope}",
                envelope.len()
            ),
            expect: b"\"status\":200",
        },
    ];

    let (baseline, baseline_failed) = run_probes(addr, &probes, plan.flood_probes).await;
    if baseline_failed > 0 {
        return Err(BenchError::Measurement(format!(
            "flood: {baseline_failed} probes failed before any flood"
        )));
    }
    let rss_before = relay.rss()? as f64;
    let files_before = open_files(relay.pid())?;

    // The flood: half-sent requests held open, plus a stream of registrations.
    let stop = Arc::new(AtomicBool::new(false));
    let registrations = Arc::new(AtomicUsize::new(0));
    let mut pending_flood = JoinSet::new();
    for worker in 0..8 {
        let (stop, registrations) = (stop.clone(), registrations.clone());
        pending_flood.spawn(async move {
            let mut i = 0usize;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let body = format!(
                    r#"{{"state":"flood-{worker}-{i}","pickup_secret":"{:064x}"}}"#,
                    i
                );
                let request = format!(
                    "POST /api/pending HTTP/1.1\r\nhost: {addr}\r\norigin: http://{addr}\r\n\
                     content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let Ok(mut stream) = connect_from_flooder(addr).await else {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    continue;
                };
                let mut answer = Vec::new();
                if stream.write_all(request.as_bytes()).await.is_ok()
                    && stream.read_to_end(&mut answer).await.is_ok()
                    && !answer.is_empty()
                {
                    registrations.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    let half_sent = format!("POST /api/pending HTTP/1.1\r\nhost: {addr}\r\ncontent-type: app");
    let mut held = Vec::with_capacity(capacity);
    let mut connect_errors = 0usize;
    let opening = Instant::now();
    let mut rss_peak = rss_before;
    let mut files_peak = files_before;
    let mut opened = JoinSet::new();
    for k in 0..capacity {
        let half_sent = half_sent.clone();
        opened.spawn(async move {
            let mut stream = connect_from_flooder(addr).await?;
            // The relay may already have closed it (over the cap): held all the same.
            let _ = stream.write_all(half_sent.as_bytes()).await;
            Ok::<_, std::io::Error>(stream)
        });
        if opened.len() >= 256 || k + 1 == capacity {
            while let Some(joined) = opened.join_next().await {
                match joined {
                    Ok(Ok(stream)) => held.push(stream),
                    _ => connect_errors += 1,
                }
            }
            rss_peak = rss_peak.max(relay.rss()? as f64);
            files_peak = files_peak.max(open_files(relay.pid())?);
        }
    }
    let opening = opening.elapsed();

    let (flooded, flooded_failed) = run_probes(addr, &probes, plan.flood_probes).await;
    rss_peak = rss_peak.max(relay.rss()? as f64);
    files_peak = files_peak.max(open_files(relay.pid())?);

    stop.store(true, Ordering::Relaxed);
    while pending_flood.join_next().await.is_some() {}
    let flooder_held = held.len();
    drop(held);
    // The relay notices the closed connections at once (EOF); give it a moment.
    tokio::time::sleep(Duration::from_secs(1)).await;
    relay.ensure_running()?;
    let files_after = open_files(relay.pid())?;
    let rss_after = relay.rss()? as f64;

    details.push(format!(
        "flood: {flooder_held} connections held by {FLOODER} (opened in {:.1} s, {connect_errors} \
         failed to connect), {} answered registrations; relay open files {files_before:.0} \
         before, {files_peak:.0} at the peak, {files_after:.0} after; RSS {:.1} MB before, \
         {:.1} MB peak, {:.1} MB after",
        opening.as_secs_f64(),
        registrations.load(Ordering::Relaxed),
        rss_before / 1e6,
        rss_peak / 1e6,
        rss_after / 1e6,
    ));
    details.push(format!(
        "flood: {flooded_failed} of {} probes from 127.0.0.1 failed during the flood",
        flooded.iter().map(Vec::len).sum::<usize>()
    ));
    let p99 = |samples: &[f64]| stats::percentile(samples, 99.0).unwrap_or(f64::NAN);
    let mut rows = Vec::new();
    for (index, name) in ["/healthz", "proxied token call"].into_iter().enumerate() {
        details.push(format!(
            "flood: {name} from 127.0.0.1: p50 {:.2} ms / p99 {:.2} ms without the flood, \
             p50 {:.2} ms / p99 {:.2} ms during it",
            stats::median(&baseline[index]).unwrap_or(f64::NAN),
            p99(&baseline[index]),
            stats::median(&flooded[index]).unwrap_or(f64::NAN),
            p99(&flooded[index]),
        ));
        rows.push(
            Row::new(
                format!("flood: {name} p99, other client"),
                Unit::Millis,
                p99(&flooded[index]),
            )
            .baseline("no flood", p99(&baseline[index]))
            .goal("≤ 100 ms", Goal::ValueAtMost(P99_TARGET_MS)),
        );
    }
    rows.push(
        Row::new(
            "flood: relay RSS growth, peak",
            Unit::MemoryBytes,
            rss_peak - rss_before,
        )
        .goal("bounded: ≤ +20 MB", Goal::ValueAtMost(RSS_TARGET)),
    );
    rows.push(
        Row::new(
            format!("flood: relay open files, peak ({flooder_held} flood connections)"),
            Unit::Count,
            files_peak,
        )
        .baseline("before", files_before),
    );
    rows.push(
        Row::new("flood: relay open files after it", Unit::Count, files_after)
            .baseline("before", files_before)
            .goal("nothing held: ≤ 1× before", Goal::RatioAtMost(1.0)),
    );
    drop(relay);
    drop(upstream);
    Ok((rows, details))
}
