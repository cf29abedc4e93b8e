//! Scenario 7: what the service says when it refuses — the OAuth error, its description, the
//! HTTP status and the wizard's hint — for a wrong secret (`invalid_client`), a used code
//! (`invalid_grant`) and a refused authorization (`access_denied`); and an answer that names
//! another service as its issuer (an RFC 9207 mix-up).

use e2e::static_site::StaticSite;
use e2e::world::World;
use e2e::{Result, action, check};

use crate::flows::{self, Tab};

/// `invalid_client` then `invalid_grant`, each explained in the error box.
pub async fn service_errors_show_description_and_hint(w: &World) -> Result<()> {
    let c = w.client();
    let provider = &w.provider;

    // invalid_client: the right client id with a wrong secret.
    flows::preset_pointed_at_mock(w, "google-cloud").await?;
    flows::to_step_2_with_client_id(w).await?;
    flows::authorize_automatically(w).await?;
    action::next_to(c, 3).await?;
    flows::set_token_url(w, Tab::Bearer, &provider.token_url()).await?;
    action::fill(c, "client-secret", "not-the-secret").await?;
    action::click(c, "call-bearer").await?;
    check::shows(c, "error-code", "invalid_client").await?;
    check::shows_containing(c, "error-description", "Client authentication failed").await?;
    check::shows(c, "error-status", "401").await?;
    check::shows_containing(c, "error-hint", "secret").await?;
    check::hidden(c, "result-access-token").await?;
    w.screenshot_at("error-invalid-client", "error-box").await?;

    // invalid_grant: with the right secret the code works once; the second call reuses it.
    action::fill(c, "client-secret", &provider.config().client_secret).await?;
    check::expect(provider.issued().is_empty(), || {
        "the mock issued tokens although the secret was wrong".to_owned()
    })?;
    // The refused call did not consume the code (the mock checks the client first).
    flows::call_bearer(w).await?;
    action::click(c, "call-bearer").await?;
    check::shows(c, "error-code", "invalid_grant").await?;
    check::shows_containing(c, "error-description", "already used").await?;
    check::shows(c, "error-status", "400").await?;
    check::shows_containing(c, "error-hint", "step 2").await?;
    w.screenshot_at("error-invalid-grant", "error-box").await?;
    Ok(())
}

/// The user (here: the mock) refuses at the authorization page: the wizard shows the service's
/// error and description instead of a code.
pub async fn authorization_denied_is_explained(w: &World) -> Result<()> {
    let c = w.client();
    w.provider
        .configure(|config| config.deny_with = Some("The user declined access.".to_owned()));
    flows::preset_pointed_at_mock(w, "google-cloud").await?;
    flows::to_step_2_with_client_id(w).await?;
    action::click(c, "start-authorization").await?;
    check::shows_containing(c, "code-status", "access_denied").await?;
    check::shows_containing(c, "code-status", "The user declined access.").await?;
    check::hidden(c, "auth-waiting").await?;
    check::shows(c, "code", "").await?;
    w.screenshot_at("2-authorize-denied", "code-status").await?;
    Ok(())
}

/// Discovery says the service names itself in every answer (`iss`, RFC 9207). An answer naming
/// another issuer — what a mix-up attack delivers — is refused, and its code is not kept.
pub async fn answer_from_another_issuer_is_refused(w: &World) -> Result<()> {
    let c = w.client();
    let provider = &w.provider;
    action::choose_custom_service(c).await?;
    action::fill(c, "discovery-issuer", provider.base_url()).await?;
    action::click(c, "discovery-run").await?;
    check::shows_containing(c, "discovery-status", "Filled in").await?;
    flows::to_step_2_with_client_id(w).await?;
    action::click(c, "advanced-toggle").await?;
    check::shows(c, "issuer", provider.base_url()).await?;
    check::shows(c, "issuer-required", "true").await?;
    // Screen readers read each field's help with it.
    check::described_as(c, "issuer-required", "without iss is refused").await?;
    check::described_as(c, "callback-params", "kept as {variables}").await?;

    let other = "https://other-service.example";
    provider.configure(|config| config.answer_as_issuer = Some(other.to_owned()));
    action::click(c, "start-authorization").await?;
    check::shows_containing(c, "code-status", &format!("issuer `{other}`")).await?;
    check::shows_containing(c, "code-status", provider.base_url()).await?;
    check::hidden(c, "auth-waiting").await?;
    check::shows(c, "code", "").await?;

    // The service's own answer goes through.
    provider.configure(|config| config.answer_as_issuer = None);
    flows::authorize_automatically(w).await?;
    Ok(())
}

/// A catalog the page cannot use, two ways: one preset's values fail the preset checks (that
/// preset is refused in words when chosen, the others still work), and a catalog whose schema does
/// not fit (the list says why and custom settings still work). Served from copies of the built
/// wizard, each with its own `catalog.json`.
pub async fn a_broken_catalog_is_refused_in_words(w: &World) -> Result<()> {
    let c = w.client();
    let catalog_of = |edit: &dyn Fn(&mut serde_json::Value)| -> Result<tempfile::TempDir> {
        let site = copy_of_dist(w.dist())?;
        let path = site.path().join("catalog.json");
        let text = std::fs::read_to_string(&path).map_err(|e| io("reading catalog.json", e))?;
        let mut catalog: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            e2e::E2eError::Expectation(format!("dist/catalog.json is not JSON: {e}"))
        })?;
        edit(&mut catalog);
        std::fs::write(&path, catalog.to_string()).map_err(|e| io("writing catalog.json", e))?;
        Ok(site)
    };

    // The GitHub preset with a token URL that is not a URL.
    let bad_values = catalog_of(&|catalog| {
        for preset in catalog.as_array_mut().into_iter().flatten() {
            if preset["id"] == "github" {
                preset["settings"]["token"]["url"] = "not a url".into();
            }
        }
    })?;
    let site = StaticSite::start(bad_values.path()).await?;
    w.open_wizard_fresh(&site.app_url()).await?;
    action::click(c, "service-option-github").await?;
    check::shows_containing(c, "preset-refused", "catalog.json (github)").await?;
    check::shows_containing(c, "preset-refused", "Token URL").await?;
    check::hidden(c, "service-selected").await?;
    action::choose_service(c, "google-cloud").await?;
    check::hidden(c, "preset-refused").await?;

    // A catalog without the field every preset needs.
    let bad_schema = catalog_of(&|catalog| {
        if let Some(first) = catalog.as_array_mut().and_then(|all| all.first_mut()) {
            first.as_object_mut().map(|preset| preset.remove("name"));
        }
    })?;
    let site = StaticSite::start(bad_schema.path()).await?;
    w.open_wizard_fresh(&site.app_url()).await?;
    check::shows_containing(c, "catalog-error", "missing field `name`").await?;
    check::hidden(c, "service-option-github").await?;
    action::choose_custom_service(c).await
}

fn io(doing: &str, source: std::io::Error) -> e2e::E2eError {
    e2e::E2eError::Io {
        doing: doing.to_owned(),
        source,
    }
}

/// The built wizard's files (not the precompressed copies, which a plain static site does not
/// serve) in a fresh temporary folder.
fn copy_of_dist(dist: &std::path::Path) -> Result<tempfile::TempDir> {
    let site = tempfile::tempdir().map_err(|e| io("creating a folder for the site", e))?;
    copy_files(dist, site.path())?;
    Ok(site)
}

fn copy_files(from: &std::path::Path, to: &std::path::Path) -> Result<()> {
    let entries = std::fs::read_dir(from).map_err(|e| io("listing the built wizard", e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io("listing the built wizard", e))?;
        let (path, target) = (entry.path(), to.join(entry.file_name()));
        if path.is_dir() {
            std::fs::create_dir_all(&target).map_err(|e| io("copying the built wizard", e))?;
            copy_files(&path, &target)?;
        } else if !matches!(path.extension().and_then(|e| e.to_str()), Some("br" | "gz")) {
            std::fs::copy(&path, &target).map_err(|e| io("copying the built wizard", e))?;
        }
    }
    Ok(())
}
