//! Nothing the user typed is lost: editor text that does not parse yet survives switching tabs
//! and steps; a full browser storage is said, and what was saved before stays; whatever the
//! wizard exports, it imports again; names the settings cannot use are refused where typed.

use std::time::Duration;

use e2e::world::World;
use e2e::{CmdContext, Result, action, check, find};
use serde_json::json;

use crate::flows;

/// What an editor says about text it has not applied.
const NOT_APPLIED: &str = "Not applied yet: line 2: write it as name=value.";

/// A step 3 editor with a line that does not parse keeps the text as typed (good lines
/// included) when the user switches tab or step, and still says what is wrong.
pub async fn unparsed_editor_text_survives_tab_and_step_switches(w: &World) -> Result<()> {
    let c = w.client();
    flows::preset_pointed_at_mock(w, "google-cloud").await?;
    flows::to_step_2_with_client_id(w).await?;
    action::click(c, "skip-to-tokens").await?;
    check::at_step(c, 3).await?;
    let typed = "audience=api\nthis line has no equals sign\nresource=x";
    action::fill(c, "bearer-headers", typed).await?;
    check::described_as(c, "bearer-headers", NOT_APPLIED).await?;

    action::click(c, "tab-refresh").await?;
    check::visible(c, "refresh-headers").await?;
    action::click(c, "tab-bearer").await?;
    check::shows(c, "bearer-headers", typed).await?;
    check::described_as(c, "bearer-headers", NOT_APPLIED).await?;

    action::go_to_step(c, 2).await?;
    action::go_to_step(c, 3).await?;
    check::shows(c, "bearer-headers", typed).await?;
    check::described_as(c, "bearer-headers", NOT_APPLIED).await?;

    // Fixed, it applies: shown again, the editor reads the settings, which hold it.
    let fixed = "audience=api\nresource=x";
    action::fill(c, "bearer-headers", fixed).await?;
    action::click(c, "tab-refresh").await?;
    action::click(c, "tab-bearer").await?;
    check::shows(c, "bearer-headers", fixed).await?;
    let invalid = find::by_testid(c, "bearer-headers")
        .await?
        .attr("aria-invalid")
        .await
        .doing(|| "reading aria-invalid".to_owned())?;
    check::expect(invalid.is_none(), || {
        "the fixed editor is still marked invalid".to_owned()
    })
}

/// When the browser's storage is full, the wizard says the change is not saved, and the value
/// saved before survives a reload; with room again, saving resumes and the message goes.
pub async fn full_storage_is_said_and_saved_values_kept(w: &World) -> Result<()> {
    let c = w.client();
    flows::preset_pointed_at_mock(w, "google-cloud").await?;
    flows::to_step_2_with_client_id(w).await?;
    let saved_id = w.provider.config().client_id;
    check::hidden(c, "save-problem").await?;
    // Another tool on this origin fills the storage to the last byte.
    let filled = c
        .execute(
            "let n = 0;
             for (const size of [1 << 20, 1 << 16, 1 << 10, 32, 1]) {
               const chunk = 'x'.repeat(size);
               try { for (;;) { localStorage.setItem('filler-' + n, chunk); n++; } } catch (e) {}
             }
             return n;",
            Vec::new(),
        )
        .await
        .doing(|| "filling localStorage".to_owned())?;
    check::expect(filled.as_u64().unwrap_or(0) > 0, || {
        "could not fill localStorage".to_owned()
    })?;
    // One edit (a paste), so no shorter value in between gets saved.
    action::paste(
        c,
        "client-id",
        "a-much-longer-client-id-that-cannot-be-saved",
    )
    .await?;
    check::visible(c, "save-problem").await?;
    check::shows_containing(c, "save-problem", "not saved").await?;

    c.refresh().await.doing(|| "reloading".to_owned())?;
    check::at_step(c, 2).await?;
    check::shows(c, "client-id", &saved_id).await?;

    c.execute(
        "Object.keys(localStorage).filter(k => k.startsWith('filler-')).forEach(k => localStorage.removeItem(k)); return null;",
        Vec::new(),
    )
    .await
    .doing(|| "freeing localStorage".to_owned())?;
    action::fill(c, "client-id", "saved-again").await?;
    check::hidden(c, "save-problem").await?;
    c.refresh().await.doing(|| "reloading".to_owned())?;
    check::at_step(c, 2).await?;
    check::shows(c, "client-id", "saved-again").await
}

/// A configuration exported before step 3 is filled (custom settings, empty URLs) imports
/// again, saying which fields still need attention; variable names the settings cannot use are
/// refused where they are typed.
pub async fn what_the_wizard_exports_it_imports(w: &World) -> Result<()> {
    let c = w.client();
    action::choose_custom_service(c).await?;
    action::click(c, "variable-definitions-toggle").await?;
    for (line, says) in [
        ("a b=1", "not a valid variable name"),
        ("{nope}=1", "not a valid variable name"),
        (
            "client_id=x",
            "`client_id` is one of the wizard's own variables",
        ),
        ("code=x", "`code` is one of the wizard's own variables"),
    ] {
        action::fill(c, "variable-definitions", line).await?;
        check::described_as(c, "variable-definitions", says).await?;
    }
    action::fill(c, "variable-definitions", "tenant=common").await?;
    check::visible(c, "variable-tenant").await?;

    let downloads = w.catch_downloads().await?;
    action::click(c, "settings-toggle").await?;
    action::click(c, "export-config").await?;
    check::shows_containing(c, "settings-status", "Exported").await?;
    let file = downloads.join("oauth-custom.json");
    w.downloaded_json(&file).await?;

    action::click(c, "forget-everything").await?;
    check::at_step(c, 1).await?;
    let input = find::by_testid(c, "import-config").await?;
    input
        .send_keys(&file.to_string_lossy())
        .await
        .doing(|| "choosing the exported file".to_owned())?;
    let said = check::shows_containing(c, "settings-status", "Imported.").await?;
    check::expect(said.contains("still need attention"), || {
        format!("the import should name what the settings still need, but said: {said}")
    })?;
    check::visible(c, "variable-tenant").await
}

/// Whether the element with `testid` can be clicked.
async fn enabled(w: &World, testid: &str) -> Result<bool> {
    find::by_testid(w.client(), testid)
        .await?
        .is_enabled()
        .await
        .doing(|| format!("reading whether [data-testid={testid}] is enabled"))
}

/// Bad input is refused where it is typed, with the reason at the field and on the button it
/// blocks: the authorization URL on step 1, the client id, redirect URI and relay URL on step 2,
/// a pasted "code" that is a script address or carries a right-to-left override, and a pasted
/// redirect address when no authorization is in progress.
pub async fn bad_input_is_refused_where_typed(w: &World) -> Result<()> {
    let c = w.client();
    action::choose_custom_service(c).await?;
    action::fill(c, "authorization-url", "https://login.example.com/{nope}").await?;
    check::described_as(c, "authorization-url", "{nope}").await?;
    check::shows_containing(c, "nav-next-reason", "Fix the authorization settings first").await?;
    check::expect(!enabled(w, "nav-next").await?, || {
        "Next is enabled with an authorization URL that names an unknown variable".to_owned()
    })?;

    flows::preset_pointed_at_mock(w, "google-cloud").await?;
    flows::to_step_2_with_client_id(w).await?;
    for (typed, says) in [
        ("javascript:alert(1)", "not `javascript:`"),
        ("foo", "whole address"),
        ("http://example.com/cb", "only for this computer"),
        ("https://exa mple.com/cb", "not a valid address"),
    ] {
        action::paste(c, "redirect-uri", typed).await?;
        check::shows_containing(c, "redirect-uri-error", says).await?;
        check::described_as(c, "redirect-uri", says).await?;
        check::shows_containing(c, "start-blocker", says).await?;
        check::expect(!enabled(w, "start-authorization").await?, || {
            format!("Start is enabled with the redirect URI {typed:?}")
        })?;
    }
    action::paste(c, "redirect-uri", &w.relay.callback_url()).await?;
    check::hidden(c, "redirect-uri-error").await?;

    let client_id = w.provider.config().client_id;
    action::paste(c, "client-id", &format!("{client_id}\u{202E}")).await?;
    check::described_as(c, "client-id", "U+202E (right-to-left override)").await?;
    check::shows_containing(c, "start-blocker", "U+202E").await?;
    action::paste(c, "client-id", &client_id).await?;
    action::paste(c, "scopes", "openid\nread\twrite").await?;
    check::described_as(c, "scopes", "scope 2: a scope cannot contain U+0009 (tab)").await?;
    action::paste(c, "scopes", "openid\nread").await?;

    action::click(c, "settings-toggle").await?;
    action::paste(c, "relay-url", "foo").await?;
    check::described_as(c, "relay-url", "whole address").await?;
    check::shows_containing(c, "start-blocker", "The relay URL (Settings)").await?;
    action::paste(c, "relay-url", "").await?;
    action::click(c, "settings-toggle").await?;
    check::expect(enabled(w, "start-authorization").await?, || {
        "Start stays disabled with every field fixed".to_owned()
    })?;

    action::paste(c, "code", "javascript:alert(1)").await?;
    check::shows_containing(c, "code-status", "This is a `javascript:` address").await?;
    action::paste(c, "code", "abc\u{202E}def").await?;
    check::shows_containing(c, "code-status", "U+202E (right-to-left override)").await?;
    action::paste(
        c,
        "code",
        &format!("{}?code=abc&state=from-elsewhere", w.relay.callback_url()),
    )
    .await?;
    check::shows_containing(c, "code-status", "not in progress here").await?;
    check::shows_containing(c, "nav-next-reason", "authorization code")
        .await
        .map(drop)
}

/// The wizard's Back button and the browser's Back agree, and a redirect the user did not ask
/// for (opening step 3 on a fresh profile) adds no history entry.
pub async fn browser_back_goes_back_and_redirects_add_no_history(w: &World) -> Result<()> {
    let c = w.client();
    let history_length = async || -> Result<u64> {
        let length = c
            .execute("return history.length;", Vec::new())
            .await
            .doing(|| "reading history.length".to_owned())?;
        Ok(length.as_u64().unwrap_or(0))
    };
    let app = w.relay.app_url();
    c.goto("about:blank")
        .await
        .doing(|| "leaving the wizard".to_owned())?;
    c.goto(&format!("{app}#/step/3"))
        .await
        .doing(|| "opening step 3 directly".to_owned())?;
    check::at_step(c, 1).await?;
    let before = history_length().await?;
    let url = c
        .current_url()
        .await
        .doing(|| "reading the URL".to_owned())?;
    check::expect(url.fragment() == Some("/step/1"), || {
        format!("the wizard should show #/step/1, the URL is {url}")
    })?;
    // Give a stray push time to happen, then check none did.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = history_length().await?;
    check::expect(after == before, || {
        format!(
            "redirecting to step 1 added {} history entries",
            after - before
        )
    })?;

    flows::preset_pointed_at_mock(w, "google-cloud").await?;
    action::next_to(c, 2).await?;
    action::click(c, "nav-back").await?;
    check::at_step(c, 1).await?;
    c.back()
        .await
        .doing(|| "pressing the browser's Back".to_owned())?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let url = c
        .current_url()
        .await
        .doing(|| "reading the URL".to_owned())?;
    check::expect(url.fragment() != Some("/step/2"), || {
        "the browser's Back after the wizard's Back went forward to step 2".to_owned()
    })
}

/// A reload while the wizard waits for the service says what happened and how to go on; the
/// address the service sent the user to still completes the authorization.
pub async fn reload_while_waiting_says_how_to_go_on(w: &World) -> Result<()> {
    let c = w.client();
    flows::preset_pointed_at_mock(w, "google-cloud").await?;
    flows::to_step_2_with_client_id(w).await?;
    let landed = flows::authorize_to_echo_page(w).await?;
    c.refresh()
        .await
        .doing(|| "reloading while waiting".to_owned())?;
    check::at_step(c, 2).await?;
    check::hidden(c, "auth-waiting").await?;
    check::shows_containing(
        c,
        "code-status",
        "reloaded while an authorization was in progress",
    )
    .await?;
    action::paste(c, "code", landed.as_str()).await?;
    check::shows_containing(c, "code-status", "received")
        .await
        .map(drop)
}

/// Every step, in light and dark, on a desktop window and a 390 px phone, passes axe-core's
/// WCAG 2.2 AA rules (with tokens shown on step 3).
pub async fn every_step_passes_wcag_2_2_aa(w: &World) -> Result<()> {
    let c = w.client();
    flows::preset_pointed_at_mock(w, "google-cloud").await?;
    flows::to_step_2_with_client_id(w).await?;
    flows::authorize_automatically(w).await?;
    action::next_to(c, 3).await?;
    flows::step_3_pointed_at(w, &w.provider.token_url()).await?;
    flows::call_bearer(w).await?;
    let mut failures = Vec::new();
    for dark in [false, true] {
        let scheme = if dark { "dark" } else { "light" };
        w.cdp(
            "Emulation.setEmulatedMedia",
            json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] }),
        )
        .await?;
        for phone in [false, true] {
            if phone {
                w.cdp(
                    "Emulation.setDeviceMetricsOverride",
                    json!({ "width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true }),
                )
                .await?;
            } else {
                w.cdp("Emulation.clearDeviceMetricsOverride", json!({}))
                    .await?;
            }
            for step in [3u8, 2, 1] {
                action::go_to_step(c, step).await?;
                let context = format!(
                    "step {step}, {scheme}, {}",
                    if phone { "390 px" } else { "desktop" }
                );
                if let Err(failure) = e2e::axe::check_wcag_aa(c, &context).await {
                    failures.push(failure.to_string());
                }
            }
        }
    }
    w.cdp("Emulation.clearDeviceMetricsOverride", json!({}))
        .await?;
    w.cdp("Emulation.setEmulatedMedia", json!({ "features": [] }))
        .await?;
    check::expect(failures.is_empty(), || failures.join("\n"))
}

/// Step 3 shows each settings problem at its own field, all at once, and warns about a header
/// given twice or a `Host` header.
pub async fn step_3_problems_are_shown_at_their_fields(w: &World) -> Result<()> {
    let c = w.client();
    flows::preset_pointed_at_mock(w, "google-cloud").await?;
    flows::to_step_2_with_client_id(w).await?;
    action::click(c, "skip-to-tokens").await?;
    check::at_step(c, 3).await?;
    action::fill(c, "bearer-url", "https://token.example/{nope}").await?;
    action::fill(
        c,
        "bearer-headers",
        "Accept=a\naccept=b\nHost=x\nX-Thing={nope2}",
    )
    .await?;
    action::fill(c, "bearer-query", "tenant={nope3}").await?;
    check::described_as(c, "bearer-url", "Token URL: unknown variable {nope}").await?;
    check::described_as(
        c,
        "bearer-headers",
        "Token header `X-Thing`: unknown variable {nope2}",
    )
    .await?;
    check::described_as(c, "bearer-query", "unknown variable {nope3}").await?;
    check::shows_containing(
        c,
        "bearer-headers-warning",
        "`accept` is given more than once",
    )
    .await?;
    check::shows_containing(c, "bearer-headers-warning", "`Host` is set from the URL").await?;
    action::fill(c, "bearer-headers", "Accept=application/json").await?;
    check::hidden(c, "bearer-headers-warning").await?;
    // A secret field names the character, never the secret.
    action::paste(c, "client-secret", "s3cret\u{202E}").await?;
    check::described_as(c, "client-secret", "U+202E (right-to-left override)").await?;
    let page = find::page_text(c).await;
    check::expect(!page.contains("s3cret"), || {
        "the secret is shown in the page text".to_owned()
    })
}

/// An extra authorization parameter with a space in its name or an unknown variable says so at
/// its row, and Start waits for it.
pub async fn extra_parameter_problems_are_shown_at_their_row(w: &World) -> Result<()> {
    let c = w.client();
    flows::preset_pointed_at_mock(w, "google-cloud").await?;
    flows::to_step_2_with_client_id(w).await?;
    action::click(c, "auth-param-add").await?;
    let index = find::with_prefix(c, "auth-param-name-")
        .await?
        .len()
        .saturating_sub(1);
    let name = format!("auth-param-name-{index}");
    let value = format!("auth-param-value-{index}");
    let error = format!("auth-param-error-{index}");
    action::fill(c, &name, "access type").await?;
    action::fill(c, &value, "offline").await?;
    check::shows_containing(c, &error, "the name contains a space").await?;
    check::described_as(c, &name, "the name contains a space").await?;
    action::fill(c, &name, "resource").await?;
    action::fill(c, &value, "{nope}").await?;
    check::shows_containing(c, &error, "unknown variable {nope}").await?;
    check::shows_containing(c, "start-blocker", "unknown variable {nope}").await?;
    action::fill(c, &value, "x").await?;
    check::hidden(c, &error).await?;
    check::expect(enabled(w, "start-authorization").await?, || {
        "Start stays disabled with the parameter fixed".to_owned()
    })?;
    // A kept callback parameter named like one of the wizard's own variables.
    action::click(c, "advanced-toggle").await?;
    action::fill(c, "callback-params", "client_id").await?;
    check::described_as(c, "callback-params", "one of the wizard's own variables").await?;
    check::shows_containing(c, "start-blocker", "Callback parameter `client_id`").await?;
    action::fill(c, "callback-params", "realmId").await?;
    check::expect(enabled(w, "start-authorization").await?, || {
        "Start stays disabled with the callback parameter fixed".to_owned()
    })
}

/// A relay the page's content security policy does not allow is said to be blocked by that
/// policy, with what to do, not "check that it is running".
pub async fn a_relay_the_page_may_not_call_is_named_as_blocked_by_its_policy(
    w: &World,
) -> Result<()> {
    let c = w.client();
    let other = e2e::relay::RelayServer::start(
        w.dist(),
        &e2e::relay::RelayOptions {
            target_ports: vec![w.provider.port()],
            allowed_origins: vec![w.relay.base_url().to_owned()],
        },
    )
    .await?;
    action::click(c, "settings-toggle").await?;
    action::paste(c, "relay-url", other.base_url()).await?;
    action::click(c, "settings-toggle").await?;
    flows::preset_pointed_at_mock(w, "google-cloud").await?;
    flows::to_step_2_with_client_id(w).await?;
    action::paste(c, "redirect-uri", &other.callback_url()).await?;
    action::click(c, "start-authorization").await?;
    let said = check::shows_containing(c, "code-status", "content security policy").await?;
    check::expect(!said.contains("Check that it is running"), || {
        format!("the message still suggests the relay is down: {said}")
    })?;
    action::close_other_windows(c, w.main_window()).await
}
