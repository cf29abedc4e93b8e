//! What a user does: click, type, tick a box, pick a service, move between steps, switch to the
//! authorization popup. Each action waits for its element and says which one failed.

use std::time::Duration;

use fantoccini::Client;
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::wd::WindowHandle;

use crate::{CmdContext, Result, check, find};

/// How long an element may stay disabled or covered before a click gives up.
const CLICKABLE: Duration = Duration::from_secs(10);

/// The element with `testid` once it is displayed and enabled.
async fn ready(client: &Client, testid: &str) -> Result<Element> {
    check::until(
        client,
        &format!("[data-testid={testid}] to be visible and enabled"),
        CLICKABLE,
        async || {
            let Some(element) = find::now(client, testid).await? else {
                return Ok(None);
            };
            let displayed = element.is_displayed().await.unwrap_or(false);
            let enabled = element.is_enabled().await.unwrap_or(false);
            Ok((displayed && enabled).then_some(element))
        },
    )
    .await
}

/// Clicks the element, retrying while something covers it (a re-render, a closing overlay).
pub async fn click(client: &Client, testid: &str) -> Result<()> {
    check::until(
        client,
        &format!("a click on [data-testid={testid}] to land"),
        CLICKABLE,
        async || {
            let element = ready(client, testid).await?;
            match element.click().await {
                Ok(()) => Ok(Some(())),
                Err(e)
                    if e.is_element_not_interactable()
                        || e.is_stale_element_reference()
                        || e.to_string().contains("click intercepted") =>
                {
                    Ok(None)
                }
                Err(e) => Err(e).doing(|| format!("clicking [data-testid={testid}]")),
            }
        },
    )
    .await
}

/// Replaces the content of a text field or textarea by typing, as a user would (select all,
/// delete, type), then waits until the field holds exactly `text`.
pub async fn fill(client: &Client, testid: &str, text: &str) -> Result<()> {
    let element = ready(client, testid).await?;
    let select_all_and_delete = format!(
        "{}a{}{}",
        char::from(Key::Control),
        char::from(Key::Null),
        char::from(Key::Backspace)
    );
    element
        .send_keys(&select_all_and_delete)
        .await
        .doing(|| format!("clearing [data-testid={testid}]"))?;
    if !text.is_empty() {
        element
            .send_keys(text)
            .await
            .doing(|| format!("typing into [data-testid={testid}]"))?;
    }
    check::shows(client, testid, text).await
}

/// Pastes `text` into a field, replacing its content, as one edit: a paste fires a single `input`
/// event, where typing would fire one per character (and a half-typed redirect address would be
/// judged on the way).
pub async fn paste(client: &Client, testid: &str, text: &str) -> Result<()> {
    let element = ready(client, testid).await?;
    let element_ref = serde_json::to_value(&element).map_err(|e| {
        crate::E2eError::Expectation(format!("cannot pass an element to a script: {e}"))
    })?;
    client
        .execute(
            "const field = arguments[0];
             field.focus();
             field.select();
             document.execCommand('insertText', false, arguments[1]);
             return null;",
            vec![element_ref, serde_json::Value::String(text.to_owned())],
        )
        .await
        .doing(|| format!("pasting into [data-testid={testid}]"))?;
    Ok(())
}

/// Fills a textarea editor with one entry per line (scopes, `name=value` parameters).
pub async fn fill_lines(client: &Client, testid: &str, lines: &[&str]) -> Result<()> {
    fill(client, testid, &lines.join("\n")).await
}

/// Ticks or unticks a checkbox, then waits until it shows that state.
pub async fn set_checked(client: &Client, testid: &str, checked: bool) -> Result<()> {
    let element = ready(client, testid).await?;
    if find::shown(&element).await? != checked.to_string() {
        click(client, testid).await?;
    }
    check::shows(client, testid, &checked.to_string()).await
}

/// Chooses `value` in a `<select>` (by option value), or types it when the field is a text input.
pub async fn select(client: &Client, testid: &str, value: &str) -> Result<()> {
    let element = ready(client, testid).await?;
    let tag = element
        .tag_name()
        .await
        .doing(|| format!("reading the tag of [data-testid={testid}]"))?;
    if tag.eq_ignore_ascii_case("select") {
        element
            .select_by_value(value)
            .await
            .doing(|| format!("choosing {value:?} in [data-testid={testid}]"))?;
        check::shows(client, testid, value).await
    } else {
        fill(client, testid, value).await
    }
}

/// Picks a preset in step 1; searches for it first when the list does not show it.
pub async fn choose_service(client: &Client, preset_id: &str) -> Result<()> {
    let option = format!("service-option-{preset_id}");
    if find::now(client, &option).await?.is_none() {
        fill(client, "service-search", &preset_id.replace('-', " ")).await?;
    }
    click(client, &option).await?;
    check::visible(client, "service-selected").await
}

/// Starts a custom service in step 1.
pub async fn choose_custom_service(client: &Client) -> Result<()> {
    click(client, "service-custom").await?;
    check::visible(client, "service-selected").await
}

/// Clicks "Next" and waits until the wizard is at `step`.
pub async fn next_to(client: &Client, step: u8) -> Result<()> {
    click(client, "nav-next").await?;
    check::at_step(client, step).await
}

/// Clicks the step indicator's entry for `step` and waits until the wizard is there.
pub async fn go_to_step(client: &Client, step: u8) -> Result<()> {
    click(client, &format!("step-{step}")).await?;
    check::at_step(client, step).await
}

/// Waits for a window that is not in `known` (the authorization popup or tab) and returns it.
pub async fn new_window(client: &Client, known: &[WindowHandle]) -> Result<WindowHandle> {
    check::until(
        client,
        "the authorization popup (a new window) to open",
        check::TIMEOUT,
        async || {
            let windows = client
                .windows()
                .await
                .doing(|| "listing windows".to_owned())?;
            Ok(windows.into_iter().find(|w| !known.contains(w)))
        },
    )
    .await
}

/// Makes `window` the one the next commands act on.
pub async fn switch_to(client: &Client, window: &WindowHandle) -> Result<()> {
    client
        .switch_to_window(window.clone())
        .await
        .doing(|| "switching windows".to_owned())
}

/// Closes every window but `keep`, and switches to `keep`.
pub async fn close_other_windows(client: &Client, keep: &WindowHandle) -> Result<()> {
    let windows = client
        .windows()
        .await
        .doing(|| "listing windows".to_owned())?;
    for window in windows.into_iter().filter(|w| w != keep) {
        // A popup may close itself between the listing and this call.
        if client.switch_to_window(window).await.is_ok() {
            let _ = client.close_window().await;
        }
    }
    switch_to(client, keep).await
}
