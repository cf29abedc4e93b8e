//! Time to interactive: from navigation start to the first step being usable, measured inside the
//! page. Before each load a script installed with CDP `Page.addScriptToEvaluateOnNewDocument` runs
//! ahead of every page script and watches the DOM with a MutationObserver; it records
//! `performance.now()` (milliseconds since navigation start) the moment the wizard's
//! `[data-testid=service-search]` — or the baseline counter's button — exists. Leptos attaches
//! event handlers while it builds the DOM, so the element existing means the step is usable.
//!
//! The browser cache is off (CDP `Network.setCacheDisabled`), so every load is a first visit:
//! html, js and wasm are fetched and the wasm compiled each time. The wizard and the baseline
//! counter are both served by the release relay on loopback, loaded alternately, and the figure
//! is the median over the loads.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::browser::Browser;
use crate::relay::{RelayProcess, log_path};
use crate::report::{Goal, Row, Unit};
use crate::{BenchError, Plan, Result, stats};

/// What the wizard shows when its first step is usable.
pub const WIZARD_READY: &str = "[data-testid=service-search]";
/// What the baseline counter shows (bench/baseline-counter/src/main.rs).
pub const BASELINE_READY: &str = "[data-testid=counter-increment]";

/// Installed in every new document before its own scripts: records when a ready element appears.
fn ready_watcher() -> String {
    format!(
        r#"(() => {{
  const selector = {selector};
  const record = () => {{
    if (window.__benchInteractiveAt === undefined && document.querySelector(selector)) {{
      window.__benchInteractiveAt = performance.now();
      observer.disconnect();
    }}
  }};
  const observer = new MutationObserver(record);
  observer.observe(document, {{ childList: true, subtree: true }});
}})();"#,
        selector = json!(format!("{WIZARD_READY}, {BASELINE_READY}")),
    )
}

/// Reads the recorded time and the navigation timings (null until the page is ready).
const READ_TIMINGS: &str = r#"
if (window.__benchInteractiveAt === undefined) return null;
const nav = performance.getEntriesByType('navigation')[0];
return {
  interactive: window.__benchInteractiveAt,
  response_end: nav ? nav.responseEnd : null,
  dom_content_loaded: nav ? nav.domContentLoadedEventEnd : null,
  load: nav ? nav.loadEventEnd : null,
  transferred: nav ? nav.transferSize : null,
  // Body bytes as they came over the wire (compressed when the server compressed them), for the
  // document and everything it fetched: what a visitor downloads.
  downloaded: [nav, ...performance.getEntriesByType('resource')]
    .reduce((sum, entry) => sum + (entry ? entry.encodedBodySize : 0), 0),
};"#;

/// One page load's timings, in ms since navigation start.
#[derive(Debug, Clone, Copy, Default)]
struct Load {
    interactive: f64,
    response_end: f64,
    dom_content_loaded: f64,
    load: f64,
    /// Compressed body bytes of the page and all it fetched.
    downloaded: f64,
}

async fn load_once(browser: &Browser, url: &str) -> Result<Load> {
    browser.goto("about:blank").await?;
    browser.goto(url).await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let value = browser.eval(READ_TIMINGS).await?;
        if !value.is_null() {
            let ms = |key: &str| value.get(key).and_then(Value::as_f64).unwrap_or(f64::NAN);
            return Ok(Load {
                interactive: ms("interactive"),
                response_end: ms("response_end"),
                dom_content_loaded: ms("dom_content_loaded"),
                load: ms("load"),
                downloaded: ms("downloaded"),
            });
        }
        if Instant::now() >= deadline {
            return Err(BenchError::Measurement(format!(
                "{url} showed neither {WIZARD_READY} nor {BASELINE_READY} within 30 s"
            )));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Runs the time-to-interactive benchmark. Returns the table rows and detail lines.
pub async fn measure(
    relay_bin: &Path,
    app_dist: &Path,
    baseline_dist: &Path,
    work: &Path,
    plan: &Plan,
) -> Result<(Vec<Row>, Vec<String>)> {
    let dist_args = |dist: &Path| vec!["--dist".to_owned(), dist.display().to_string()];
    let app = RelayProcess::start(relay_bin, &dist_args(app_dist), &log_path(work, "tti-app"))?;
    let baseline = RelayProcess::start(
        relay_bin,
        &dist_args(baseline_dist),
        &log_path(work, "tti-baseline"),
    )?;
    let browser = Browser::launch().await?;
    let outcome = measure_with(
        &browser,
        &format!("{}/", app.origin()),
        &format!("{}/", baseline.origin()),
        plan,
    )
    .await;
    let closed = browser.close().await;
    let result = outcome?;
    closed?;
    Ok(result)
}

async fn measure_with(
    browser: &Browser,
    app_url: &str,
    baseline_url: &str,
    plan: &Plan,
) -> Result<(Vec<Row>, Vec<String>)> {
    browser.cdp("Network.enable", json!({})).await?;
    browser
        .cdp("Network.setCacheDisabled", json!({ "cacheDisabled": true }))
        .await?;
    browser.cdp("Page.enable", json!({})).await?;
    browser
        .cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": ready_watcher() }),
        )
        .await?;
    // One unmeasured load each: Chromium's own first-run work is not the page's.
    load_once(browser, app_url).await?;
    load_once(browser, baseline_url).await?;
    let (mut app, mut baseline) = (Vec::new(), Vec::new());
    for i in 0..plan.page_loads {
        // Alternate which page goes first, so neither always follows the other.
        if i % 2 == 0 {
            app.push(load_once(browser, app_url).await?);
            baseline.push(load_once(browser, baseline_url).await?);
        } else {
            baseline.push(load_once(browser, baseline_url).await?);
            app.push(load_once(browser, app_url).await?);
        }
    }
    let median = |loads: &[Load], pick: fn(&Load) -> f64| {
        stats::median(&loads.iter().map(pick).collect::<Vec<_>>()).unwrap_or(f64::NAN)
    };
    let mut details = Vec::new();
    for (name, loads) in [("wizard", &app), ("bare counter", &baseline)] {
        details.push(format!(
            "time to interactive, {name}: median of {} loads {:.1} ms (response end {:.1} ms, DOMContentLoaded {:.1} ms, load {:.1} ms); all: {}",
            loads.len(),
            median(loads, |l| l.interactive),
            median(loads, |l| l.response_end),
            median(loads, |l| l.dom_content_loaded),
            median(loads, |l| l.load),
            loads.iter().map(|l| format!("{:.0}", l.interactive)).collect::<Vec<_>>().join(" ")
        ));
    }
    let rows = vec![
        Row::new(
            "time to interactive (cold load)",
            Unit::Millis,
            median(&app, |l| l.interactive),
        )
        .baseline("bare counter", median(&baseline, |l| l.interactive))
        .goal("≤ 1.3× baseline", Goal::RatioAtMost(1.3)),
        // What Chromium received from the relay, which compresses (brotli when asked for it).
        Row::new(
            "app download from the relay, as Chromium received it",
            Unit::Bytes,
            median(&app, |l| l.downloaded),
        )
        .baseline("bare counter", median(&baseline, |l| l.downloaded)),
    ];
    Ok((rows, details))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watcher_waits_for_both_pages_ready_elements() {
        let script = ready_watcher();
        assert!(
            script.contains(r#""[data-testid=service-search], [data-testid=counter-increment]""#),
            "{script}"
        );
        assert!(script.contains("performance.now()"));
        assert!(script.contains("MutationObserver"));
    }
}
