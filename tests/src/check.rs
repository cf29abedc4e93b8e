//! Waiting for what a user sees, and failing with a message that says what was expected, what was
//! seen instead, and the text of the page at that moment.
//!
//! Nothing here sleeps for a fixed time: every check polls until its condition holds or its
//! timeout passes.

use std::future::Future;
use std::time::{Duration, Instant};

use fantoccini::Client;

use crate::{E2eError, Result, find};

/// How long a check waits by default. Token calls go through the relay to the loopback provider
/// and take milliseconds; the margin is for a busy 2-core machine.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// How often a waiting check looks again.
const POLL: Duration = Duration::from_millis(100);

/// Page text longer than this is cut in failure messages.
const PAGE_TEXT_LIMIT: usize = 6000;

/// Polls `probe` until it yields a value or `timeout` passes; the failure names `what`.
pub async fn until<T>(
    client: &Client,
    what: &str,
    timeout: Duration,
    mut probe: impl AsyncFnMut() -> Result<Option<T>>,
) -> Result<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = probe().await? {
            return Ok(value);
        }
        if Instant::now() > deadline {
            return Err(failure(
                client,
                format!("timed out after {} s waiting for {what}", timeout.as_secs()),
            )
            .await);
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until the element with `testid` is described (`aria-describedby`, what a screen reader
/// reads with it) by text containing `needle`.
pub async fn described_as(client: &Client, testid: &str, needle: &str) -> Result<()> {
    let script = format!(
        "const el = document.querySelector({selector:?}); if (!el) return null; \
         return (el.getAttribute('aria-describedby') || '').split(' ').filter(Boolean) \
         .map(id => (document.getElementById(id) || {{}}).textContent || '').join(' ');",
        selector = find::selector(testid)
    );
    until(
        client,
        &format!("[data-testid={testid}] to be described by text containing {needle:?}"),
        TIMEOUT,
        async || {
            let described = client
                .execute(&script, Vec::new())
                .await
                .map_err(|source| E2eError::Command {
                    doing: format!("reading what describes {testid}"),
                    source,
                })?;
            Ok(described
                .as_str()
                .is_some_and(|text| text.contains(needle))
                .then_some(()))
        },
    )
    .await
}

/// Waits until the element with `testid` shows something for which `accept` is true, and returns
/// it. `expected` describes the wanted value for the failure message, which also gives the last
/// value seen.
pub async fn shows_matching_within(
    client: &Client,
    testid: &str,
    expected: &str,
    timeout: Duration,
    accept: impl Fn(&str) -> bool,
) -> Result<String> {
    let deadline = Instant::now() + timeout;
    loop {
        let last = find::shown_now(client, testid).await?;
        if let Some(seen) = &last
            && accept(seen)
        {
            return Ok(seen.clone());
        }
        if Instant::now() > deadline {
            let seen = match &last {
                Some(seen) => format!("it shows {seen:?}"),
                None => "the element does not exist".to_owned(),
            };
            return Err(failure(
                client,
                format!(
                    "[data-testid={testid}] should show {expected} within {} s, but {seen}",
                    timeout.as_secs()
                ),
            )
            .await);
        }
        tokio::time::sleep(POLL).await;
    }
}

/// [`shows_matching_within`] with the default [`TIMEOUT`].
pub async fn shows_matching(
    client: &Client,
    testid: &str,
    expected: &str,
    accept: impl Fn(&str) -> bool,
) -> Result<String> {
    shows_matching_within(client, testid, expected, TIMEOUT, accept).await
}

/// Waits until the element shows exactly `expected` (blanks around it ignored).
pub async fn shows(client: &Client, testid: &str, expected: &str) -> Result<()> {
    let wanted = expected.trim();
    shows_matching(client, testid, &format!("{wanted:?}"), |seen| {
        seen == wanted
    })
    .await
    .map(drop)
}

/// Waits until the element's text contains `needle`, and returns the whole text.
pub async fn shows_containing(client: &Client, testid: &str, needle: &str) -> Result<String> {
    shows_matching(
        client,
        testid,
        &format!("text containing {needle:?}"),
        |seen| seen.contains(needle),
    )
    .await
}

/// Waits until the element shows something not empty, and returns it.
pub async fn shows_something(client: &Client, testid: &str) -> Result<String> {
    shows_matching(client, testid, "a value (not empty)", |seen| {
        !seen.is_empty()
    })
    .await
}

/// Waits until the element exists and is displayed.
pub async fn visible(client: &Client, testid: &str) -> Result<()> {
    until(
        client,
        &format!("[data-testid={testid}] to be visible"),
        TIMEOUT,
        async || {
            Ok(match find::now(client, testid).await? {
                Some(element) => element.is_displayed().await.unwrap_or(false).then_some(()),
                None => None,
            })
        },
    )
    .await
}

/// Waits until the element is gone or hidden.
pub async fn hidden(client: &Client, testid: &str) -> Result<()> {
    until(
        client,
        &format!("[data-testid={testid}] to disappear"),
        TIMEOUT,
        async || {
            Ok(match find::now(client, testid).await? {
                Some(element) => (!element.is_displayed().await.unwrap_or(false)).then_some(()),
                None => Some(()),
            })
        },
    )
    .await
}

/// Waits until the page's URL says the wizard is at step `step` (`#/step/<n>`).
pub async fn at_step(client: &Client, step: u8) -> Result<()> {
    let wanted = format!("/step/{step}");
    until(
        client,
        &format!("the wizard to be at step {step} (URL ending in #{wanted})"),
        TIMEOUT,
        async || {
            let url = client.current_url().await.ok();
            Ok(url
                .and_then(|u| u.fragment().map(str::to_owned))
                .filter(|fragment| *fragment == wanted)
                .map(drop))
        },
    )
    .await
}

/// A failed check: `message` plus the page's URL and visible text.
pub async fn failure(client: &Client, message: String) -> E2eError {
    let url = client
        .current_url()
        .await
        .map(|u| u.to_string())
        .unwrap_or_else(|_| "<unknown>".to_owned());
    let mut page_text = find::page_text(client).await;
    if page_text.len() > PAGE_TEXT_LIMIT {
        let mut cut = PAGE_TEXT_LIMIT;
        while !page_text.is_char_boundary(cut) {
            cut -= 1;
        }
        page_text.truncate(cut);
        page_text.push_str("\n[…]");
    }
    E2eError::Check {
        message,
        url,
        page_text,
    }
}

/// Fails with the page text when `condition` is false.
pub async fn that(
    client: &Client,
    condition: bool,
    message: impl FnOnce() -> String,
) -> Result<()> {
    if condition {
        Ok(())
    } else {
        Err(failure(client, message()).await)
    }
}

/// Fails (without page text) when `condition` is false: for checks on the provider's records.
pub fn expect(condition: bool, message: impl FnOnce() -> String) -> Result<()> {
    if condition {
        Ok(())
    } else {
        Err(E2eError::Expectation(message()))
    }
}

/// Runs `body` with a deadline, so one stuck scenario cannot hang the whole suite.
pub async fn within<T>(
    limit: Duration,
    what: &str,
    body: impl Future<Output = Result<T>>,
) -> Result<T> {
    match tokio::time::timeout(limit, body).await {
        Ok(result) => result,
        Err(_) => Err(E2eError::Expectation(format!(
            "{what} did not finish within {} s",
            limit.as_secs()
        ))),
    }
}
