//! Redirect to wizard: how long from the provider redirecting the sign-in window to the callback
//! until the code is in the wizard's `code` field, per delivery channel.
//!
//! Set-up: the wizard (served by the release relay) with the google-cloud preset whose
//! authorization URL is pointed at the relay's own `/healthz`, so the sign-in popup lands on a
//! harmless loopback page; the redirect URI is the relay's `/callback` (same origin). Each run
//! clicks "Start authorization", waits until the wizard waits (the relay has the registration,
//! the long-poll is running) and reads `state` from the popup's URL. Then one of:
//!
//! - **BroadcastChannel**: a script in the popup records the time and navigates the popup to
//!   `/callback#code=…&state=…`, as a provider's redirect does. A fragment never reaches the
//!   server, so only the callback page's BroadcastChannel / opener message can deliver.
//! - **channels race pickup**: the same with `?code=…&state=…`, as providers send it. The relay
//!   keeps the code for pickup while it serves the page, so the pickup usually wins; this is
//!   what users get.
//! - **relay pickup**: the wizard page records the time and requests the callback URL with
//!   `fetch` — the request a browser elsewhere (another profile or device) would make. No page
//!   script runs, so only the relay's long-poll can deliver.
//!
//! The end time comes from a hook on the `value` setter of the wizard's inputs: the moment the
//! wizard writes the code into `[data-testid=code]`. Both times are `performance.timeOrigin +
//! performance.now()` in pages of the same browser (one clock). The wizard's status line says
//! which channel delivered, and each run is checked against the channel it was meant to test.
//! Figures are medians.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fantoccini::Locator;
use fantoccini::wd::WindowHandle;
use serde_json::{Value, json};

use crate::browser::Browser;
use crate::relay::{RelayProcess, UNLIMITED_RATES, log_path};
use crate::report::{Goal, Row, Unit};
use crate::{BenchError, Plan, Result, stats};

/// The target for both channels.
pub const TARGET_MS: f64 = 100.0;

/// The preset the flow uses (any preset with an authorization step would do).
const PRESET: &str = "google-cloud";

/// Numbers the codes sent, so each run's code is new.
static RUNS: AtomicUsize = AtomicUsize::new(0);

/// How long any single wait may take.
const WAIT: Duration = Duration::from_secs(20);

/// Hooks the wizard's code field: records when a non-empty value is written into it.
const HOOK_CODE_FIELD: &str = r#"
if (!window.__benchHooked) {
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value');
  Object.defineProperty(HTMLInputElement.prototype, 'value', {
    configurable: true,
    enumerable: setter.enumerable,
    get() { return setter.get.call(this); },
    set(value) {
      setter.set.call(this, value);
      if (value && this.dataset.testid === 'code' && window.__benchCodeAt === undefined) {
        window.__benchCodeAt = performance.timeOrigin + performance.now();
      }
    },
  });
  window.__benchHooked = true;
}
window.__benchCodeAt = undefined;
window.__benchRedirectAt = undefined;
return true;"#;

/// In the popup: after this script returns, record the time in the wizard and redirect.
const REDIRECT_POPUP: &str = r#"
const url = arguments[0];
setTimeout(() => {
  window.opener.__benchRedirectAt = performance.timeOrigin + performance.now();
  location.href = url;
}, 50);
return true;"#;

/// In the popup: the baseline for the window channels — the same kind of navigation to a bare
/// same-origin page (`/healthz`), timed from its start to the new document's DOMContentLoaded.
const BARE_NAVIGATION: &str = r#"
const url = arguments[0];
setTimeout(() => {
  sessionStorage.setItem('benchBareAt', String(performance.timeOrigin + performance.now()));
  location.href = url;
}, 50);
return true;"#;

/// In the popup, once it shows the bare page: the navigation's milliseconds, or null before.
const READ_BARE_NAVIGATION: &str = r#"
const nav = performance.getEntriesByType('navigation')[0];
const start = sessionStorage.getItem('benchBareAt');
if (!location.search.includes('bench-bare') || !nav || !nav.domContentLoadedEventEnd || start === null) return null;
return performance.timeOrigin + nav.domContentLoadedEventEnd - Number(start);"#;

/// In the wizard: the baseline for the pickup — one request to the relay and its answer.
const FETCH_ROUND_TRIP: &str = r#"
const start = performance.now();
return fetch('/healthz', { credentials: 'omit', cache: 'no-store' })
  .then((response) => response.text())
  .then(() => performance.now() - start);"#;

/// In the wizard: the callback arrives at the relay from elsewhere.
const CALLBACK_ELSEWHERE: &str = r#"
window.__benchRedirectAt = performance.timeOrigin + performance.now();
fetch(arguments[0], { credentials: 'omit', cache: 'no-store' });
return true;"#;

/// Reads both times and the wizard's status line once the code is in.
const READ_RESULT: &str = r#"
if (window.__benchCodeAt === undefined || window.__benchRedirectAt === undefined) return null;
const status = document.querySelector('[data-testid=code-status]');
return { redirect: window.__benchRedirectAt, code: window.__benchCodeAt, status: status ? status.textContent : '' };"#;

/// Sets a field's text as one paste (a single `input` event).
const PASTE: &str = r#"
const field = document.querySelector(arguments[0]);
if (!field) return false;
field.focus();
field.select();
document.execCommand('insertText', false, arguments[1]);
return true;"#;

/// Which way the code travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Channel {
    /// The popup is redirected to `/callback#code=…&state=…`: the fragment never reaches the
    /// relay, so only the page's BroadcastChannel / opener message can deliver.
    Window,
    /// The popup is redirected to `/callback?code=…&state=…`, as providers do: the window
    /// channels race the relay's pickup (which hears of the code before the page even loads).
    Raced,
    /// The callback is requested from elsewhere (no page script runs): only the pickup delivers.
    Pickup,
}

impl Channel {
    const ALL: [Channel; 3] = [Channel::Window, Channel::Raced, Channel::Pickup];

    fn metric(self) -> &'static str {
        match self {
            Channel::Window => "redirect → code, same origin (BroadcastChannel)",
            Channel::Raced => "redirect → code, same origin (channels race pickup)",
            Channel::Pickup => "redirect → code, relay pickup",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Channel::Window => "window channels only",
            Channel::Raced => "window channels racing the pickup",
            Channel::Pickup => "relay pickup only",
        }
    }
}

/// The wizard's status line names the channel that delivered: "from the sign-in window" or
/// "through the relay".
fn delivered_by_relay(status: &str) -> bool {
    status.contains("relay")
}

/// Runs the redirect benchmark. Returns the table rows and detail lines.
pub async fn measure(
    relay_bin: &Path,
    app_dist: &Path,
    work: &Path,
    plan: &Plan,
) -> Result<(Vec<Row>, Vec<String>)> {
    let args: Vec<String> = ["--dist".to_owned(), app_dist.display().to_string()]
        .into_iter()
        .chain(UNLIMITED_RATES.map(str::to_owned))
        .collect();
    let relay = RelayProcess::start(relay_bin, &args, &log_path(work, "redirect"))?;
    let browser = Browser::launch().await?;
    let outcome = measure_with(&browser, &relay.origin(), plan).await;
    let closed = browser.close().await;
    let result = outcome?;
    closed?;
    Ok(result)
}

async fn measure_with(
    browser: &Browser,
    origin: &str,
    plan: &Plan,
) -> Result<(Vec<Row>, Vec<String>)> {
    let wizard = set_up_wizard(browser, origin).await?;
    // One unmeasured run per channel: first-use costs (channel set-up, connections) are not the
    // steady state a user sees on their next authorization.
    for channel in Channel::ALL {
        run_once(browser, &wizard, origin, channel).await?;
    }
    let mut times: [Vec<f64>; 3] = Default::default();
    let (mut bare_navigations, mut round_trips) = (Vec::new(), Vec::new());
    let mut raced_by_relay = 0;
    for i in 0..plan.redirects {
        // Rotate which channel goes first.
        for k in 0..Channel::ALL.len() {
            let index = (k + i) % Channel::ALL.len();
            let channel = Channel::ALL[index];
            let (ms, status, baseline) = run_once(browser, &wizard, origin, channel).await?;
            match channel {
                Channel::Window | Channel::Raced => bare_navigations.push(baseline),
                Channel::Pickup => round_trips.push(baseline),
            }
            let by_relay = delivered_by_relay(&status);
            match channel {
                Channel::Window | Channel::Pickup if by_relay != (channel == Channel::Pickup) => {
                    return Err(BenchError::Measurement(format!(
                        "a \"{}\" run was delivered by another channel (the wizard says {status:?})",
                        channel.name()
                    )));
                }
                Channel::Raced if by_relay => raced_by_relay += 1,
                _ => {}
            }
            times[index].push(ms);
        }
    }
    let format_all = |v: &[f64]| {
        v.iter()
            .map(|ms| format!("{ms:.1}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut details = Vec::new();
    let mut rows = Vec::new();
    for (channel, samples) in Channel::ALL.into_iter().zip(&times) {
        let mut line = format!("redirect, {}: {} runs", channel.name(), samples.len());
        if channel == Channel::Raced {
            line.push_str(&format!(", the relay's pickup won {raced_by_relay}"));
        }
        details.push(format!("{line}; ms: {}", format_all(samples)));
        let (baseline_name, baseline) = match channel {
            Channel::Window | Channel::Raced => ("bare popup navigation", &bare_navigations),
            Channel::Pickup => ("fetch round trip", &round_trips),
        };
        rows.push(
            Row::new(
                channel.metric(),
                Unit::Millis,
                stats::median(samples).unwrap_or(f64::NAN),
            )
            .baseline(baseline_name, stats::median(baseline).unwrap_or(f64::NAN))
            .goal("≤ 100 ms", Goal::ValueAtMost(TARGET_MS)),
        );
    }
    details.push(format!(
        "redirect baselines: popup navigation to /healthz until DOMContentLoaded, ms: {}; fetch('/healthz') round trip, ms: {}",
        format_all(&bare_navigations),
        format_all(&round_trips)
    ));
    Ok((rows, details))
}

/// Opens the wizard, picks the preset, points its authorization URL at `/healthz`, goes to step 2
/// and types a client id. Returns the wizard's window.
async fn set_up_wizard(browser: &Browser, origin: &str) -> Result<WindowHandle> {
    let client = browser.client();
    browser.goto(&format!("{origin}/#/step/1")).await?;
    let option = format!("[data-testid=service-option-{PRESET}]");
    if wait_for(browser, &option, Duration::from_secs(2))
        .await
        .is_err()
    {
        paste(
            browser,
            "[data-testid=service-search]",
            &PRESET.replace('-', " "),
        )
        .await?;
    }
    click(browser, &option).await?;
    wait_for(browser, "[data-testid=service-selected]", WAIT).await?;
    paste(
        browser,
        "[data-testid=authorization-url]",
        &format!("{origin}/healthz"),
    )
    .await?;
    click(browser, "[data-testid=nav-next]").await?;
    wait_for(browser, "[data-testid=client-id]", WAIT).await?;
    paste(browser, "[data-testid=client-id]", "bench-client-id").await?;
    let redirect = field_value(browser, "[data-testid=redirect-uri]").await?;
    if redirect != format!("{origin}/callback") {
        return Err(BenchError::Measurement(format!(
            "the wizard's redirect URI is {redirect:?}, expected the relay's {origin}/callback"
        )));
    }
    client
        .window()
        .await
        .map_err(|err| BenchError::Browser(format!("cannot read the window handle: {err}")))
}

/// One authorization: start, redirect through `channel`, wait for the code. Returns the
/// milliseconds from redirect to code, the wizard's status line, and the channel's baseline
/// (milliseconds) measured in this run just before the redirect.
async fn run_once(
    browser: &Browser,
    wizard: &WindowHandle,
    origin: &str,
    channel: Channel,
) -> Result<(f64, String, f64)> {
    let client = browser.client();
    switch_to(browser, wizard).await?;
    browser.eval(HOOK_CODE_FIELD).await?;
    let before = windows(browser).await?;
    click(browser, "[data-testid=start-authorization]").await?;
    wait_for(browser, "[data-testid=auth-waiting]", WAIT).await?;
    let popup = until("the sign-in popup to open", async || {
        Ok(windows(browser)
            .await?
            .into_iter()
            .find(|w| !before.contains(w)))
    })
    .await?;
    switch_to(browser, &popup).await?;
    let state = until("the popup to reach the authorization URL", async || {
        let url = client
            .current_url()
            .await
            .map_err(|err| BenchError::Browser(format!("cannot read the popup's URL: {err}")))?;
        Ok(url
            .query_pairs()
            .find(|(name, _)| name == "state")
            .map(|(_, value)| value.into_owned()))
    })
    .await?;
    let code = format!("bench-code-{}", RUNS.fetch_add(1, Ordering::Relaxed));
    let callback = url::Url::parse_with_params(
        &format!("{origin}/callback"),
        [("code", code.as_str()), ("state", state.as_str())],
    )
    .map_err(|err| BenchError::Measurement(format!("cannot build the callback URL: {err}")))?;
    // The wizard's pickup long-poll is on its way to the relay once it shows it is waiting; give
    // it a moment to arrive so the figure is the steady state, not a race with the poll's start.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let baseline = match channel {
        Channel::Window | Channel::Raced => {
            client
                .execute(
                    BARE_NAVIGATION,
                    vec![json!(format!("{origin}/healthz?bench-bare"))],
                )
                .await
                .map_err(|err| BenchError::Browser(format!("cannot navigate the popup: {err}")))?;
            until("the popup to load the bare page", async || {
                Ok(browser.eval(READ_BARE_NAVIGATION).await?.as_f64())
            })
            .await?
        }
        Channel::Pickup => {
            switch_to(browser, wizard).await?;
            browser
                .eval(FETCH_ROUND_TRIP)
                .await?
                .as_f64()
                .ok_or_else(|| {
                    BenchError::Measurement("the fetch round trip gave no time".to_owned())
                })?
        }
    };
    match channel {
        Channel::Window | Channel::Raced => {
            let target = if channel == Channel::Window {
                // The same parameters in the fragment, which browsers never send to a server.
                format!("{origin}/callback#{}", callback.query().unwrap_or_default())
            } else {
                callback.to_string()
            };
            client
                .execute(REDIRECT_POPUP, vec![json!(target)])
                .await
                .map_err(|err| BenchError::Browser(format!("cannot redirect the popup: {err}")))?;
            switch_to(browser, wizard).await?;
        }
        Channel::Pickup => {
            client
                .execute(CALLBACK_ELSEWHERE, vec![json!(callback.as_str())])
                .await
                .map_err(|err| {
                    BenchError::Browser(format!("cannot request the callback: {err}"))
                })?;
        }
    }
    let result = until(
        "the code to appear in the wizard's code field",
        async || {
            let value = browser.eval(READ_RESULT).await?;
            Ok((!value.is_null()).then_some(value))
        },
    )
    .await?;
    let ms = |key: &str| result.get(key).and_then(Value::as_f64).unwrap_or(f64::NAN);
    let status = result
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let shown = field_value(browser, "[data-testid=code]").await?;
    if shown != code {
        return Err(BenchError::Measurement(format!(
            "the wizard shows {shown:?} instead of the code sent"
        )));
    }
    // The wizard closes the popup itself once the code is in; close it if it did not.
    let _ = until("the popup to close", async || {
        Ok(windows(browser)
            .await?
            .iter()
            .all(|w| w == wizard)
            .then_some(()))
    })
    .await;
    for window in windows(browser).await?.into_iter().filter(|w| w != wizard) {
        if client.switch_to_window(window).await.is_ok() {
            let _ = client.close_window().await;
        }
    }
    switch_to(browser, wizard).await?;
    Ok((ms("code") - ms("redirect"), status, baseline))
}

async fn windows(browser: &Browser) -> Result<Vec<WindowHandle>> {
    browser
        .client()
        .windows()
        .await
        .map_err(|err| BenchError::Browser(format!("cannot list windows: {err}")))
}

async fn switch_to(browser: &Browser, window: &WindowHandle) -> Result<()> {
    browser
        .client()
        .switch_to_window(window.clone())
        .await
        .map_err(|err| BenchError::Browser(format!("cannot switch windows: {err}")))
}

/// Polls `probe` every 10 ms until it yields a value or [`WAIT`] passes.
async fn until<T>(what: &str, mut probe: impl AsyncFnMut() -> Result<Option<T>>) -> Result<T> {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(value) = probe().await? {
            return Ok(value);
        }
        if Instant::now() >= deadline {
            return Err(BenchError::Measurement(format!(
                "timed out after {WAIT:?} waiting for {what}"
            )));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn wait_for(browser: &Browser, selector: &str, timeout: Duration) -> Result<()> {
    browser
        .client()
        .wait()
        .at_most(timeout)
        .for_element(Locator::Css(selector))
        .await
        .map(drop)
        .map_err(|err| BenchError::Browser(format!("{selector} did not appear: {err}")))
}

async fn click(browser: &Browser, selector: &str) -> Result<()> {
    let deadline = Instant::now() + WAIT;
    loop {
        let element = browser
            .client()
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(selector))
            .await
            .map_err(|err| BenchError::Browser(format!("{selector} did not appear: {err}")))?;
        let enabled = element.is_enabled().await.unwrap_or(false);
        if enabled && element.click().await.is_ok() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(BenchError::Browser(format!(
                "{selector} could not be clicked within {WAIT:?}"
            )));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn paste(browser: &Browser, selector: &str, text: &str) -> Result<()> {
    wait_for(browser, selector, WAIT).await?;
    let pasted = browser
        .client()
        .execute(PASTE, vec![json!(selector), json!(text)])
        .await
        .map_err(|err| BenchError::Browser(format!("cannot type into {selector}: {err}")))?;
    if pasted != json!(true) {
        return Err(BenchError::Browser(format!(
            "{selector} is not on the page"
        )));
    }
    let shown = field_value(browser, selector).await?;
    if shown != text {
        return Err(BenchError::Browser(format!(
            "{selector} shows {shown:?} after typing {text:?}"
        )));
    }
    Ok(())
}

async fn field_value(browser: &Browser, selector: &str) -> Result<String> {
    let value = browser
        .client()
        .execute(
            "const f = document.querySelector(arguments[0]); return f ? f.value : null;",
            vec![json!(selector)],
        )
        .await
        .map_err(|err| BenchError::Browser(format!("cannot read {selector}: {err}")))?;
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| BenchError::Browser(format!("{selector} is not on the page")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delivering_channel_is_read_from_the_wizards_status() {
        // The wizard's wording (app/src/wizard/flow.rs, `Source::describe`).
        assert!(delivered_by_relay(
            "Authorization code received through the relay. Go on to step 3."
        ));
        assert!(!delivered_by_relay(
            "Authorization code received from the sign-in window. Go on to step 3."
        ));
    }
}
