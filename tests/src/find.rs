//! Finding the wizard's elements by `data-testid` (contract 4), and reading what they show.
//!
//! Lookups that wait go through [`crate::check::until`], so a missing element fails with the page
//! text in the message.

use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, Locator};

use crate::{CmdContext, Result, check};

/// How long an element may take to appear after the action that reveals it.
pub const APPEAR: Duration = Duration::from_secs(10);

/// The CSS selector of a `data-testid`.
pub fn selector(testid: &str) -> String {
    format!("[data-testid=\"{testid}\"]")
}

/// The element with this testid, waiting up to [`APPEAR`] for it to exist.
pub async fn by_testid(client: &Client, testid: &str) -> Result<Element> {
    check::until(
        client,
        &format!("the element [data-testid={testid}] to appear"),
        APPEAR,
        async || now(client, testid).await,
    )
    .await
}

/// The element with this testid if it exists right now. When several match (say, a hidden copy),
/// the first displayed one wins.
pub async fn now(client: &Client, testid: &str) -> Result<Option<Element>> {
    let css = selector(testid);
    let found = client
        .find_all(Locator::Css(&css))
        .await
        .doing(|| format!("looking for {css}"))?;
    let mut first = None;
    for element in found {
        match element.is_displayed().await {
            Ok(true) => return Ok(Some(element)),
            Ok(false) => {
                first.get_or_insert(element);
            }
            // The page re-rendered between the lookup and this call: look again next time.
            Err(e) if e.is_stale_element_reference() => {}
            Err(e) => return Err(e).doing(|| format!("checking whether {css} is displayed")),
        }
    }
    Ok(first)
}

/// Every element whose testid starts with `prefix`, with its full testid, in document order.
pub async fn with_prefix(client: &Client, prefix: &str) -> Result<Vec<(String, Element)>> {
    let css = format!("[data-testid^=\"{prefix}\"]");
    let found = client
        .find_all(Locator::Css(&css))
        .await
        .doing(|| format!("looking for {css}"))?;
    let mut named = Vec::with_capacity(found.len());
    for element in found {
        let testid = element
            .attr("data-testid")
            .await
            .doing(|| format!("reading the testid of {css}"))?
            .unwrap_or_default();
        named.push((testid, element));
    }
    Ok(named)
}

/// What an element shows a user: the value of a text field, `true`/`false` for a checkbox, the
/// selected value of a `<select>`, otherwise its visible text. Surrounding blanks are trimmed.
pub async fn shown(element: &Element) -> Result<String> {
    let tag = element
        .tag_name()
        .await
        .doing(|| "reading an element's tag".to_owned())?
        .to_ascii_lowercase();
    let shown = match tag.as_str() {
        "input" => {
            let kind = element
                .attr("type")
                .await
                .doing(|| "reading an input's type".to_owned())?
                .unwrap_or_default()
                .to_ascii_lowercase();
            if kind == "checkbox" || kind == "radio" {
                let checked = element
                    .is_selected()
                    .await
                    .doing(|| "reading a checkbox".to_owned())?;
                checked.to_string()
            } else {
                element
                    .prop("value")
                    .await
                    .doing(|| "reading an input's value".to_owned())?
                    .unwrap_or_default()
            }
        }
        "textarea" | "select" => element
            .prop("value")
            .await
            .doing(|| format!("reading a {tag}'s value"))?
            .unwrap_or_default(),
        _ => element
            .text()
            .await
            .doing(|| "reading an element's text".to_owned())?,
    };
    Ok(shown.trim().to_owned())
}

/// What the element with this testid shows right now, `None` when it does not exist.
pub async fn shown_now(client: &Client, testid: &str) -> Result<Option<String>> {
    match now(client, testid).await? {
        None => Ok(None),
        Some(element) => match shown(&element).await {
            Ok(text) => Ok(Some(text)),
            // Re-rendered while being read: report "not there" and let the caller poll again.
            Err(crate::E2eError::Command { source, .. }) if source.is_stale_element_reference() => {
                Ok(None)
            }
            Err(e) => Err(e),
        },
    }
}

/// The visible text of the whole page (best effort: empty when the page cannot be read).
pub async fn page_text(client: &Client) -> String {
    match client
        .execute(
            "return document.body ? document.body.innerText : ''",
            Vec::new(),
        )
        .await
    {
        Ok(serde_json::Value::String(text)) => text,
        _ => String::new(),
    }
}
