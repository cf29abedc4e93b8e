//! Issue #10: every kind of client gets its tokens. A public client (no secret), the grant that
//! follows the flow choice in either order of clicks, the client authentication chosen once,
//! what discovery decided, and the hints and notes a new user needs on the way.

use std::time::Duration;

use e2e::provider::ClientAuthMode;
use e2e::world::World;
use e2e::{Result, action, check, find};

use crate::flows::{self, Tab};

/// Step 2 with `client_id`, authorized automatically, then step 3.
async fn authorized_as(w: &World, client_id: &str) -> Result<()> {
    let c = w.client();
    action::next_to(c, 2).await?;
    action::fill(c, "client-id", client_id).await?;
    flows::authorize_automatically(w).await?;
    action::next_to(c, 3).await
}

/// A service that lists only `none`: discovery picks client authentication "None" and says why.
pub async fn discovery_of_a_public_only_service_says_what_it_decided(w: &World) -> Result<()> {
    let c = w.client();
    let provider = &w.provider;
    provider.configure(|config| config.token_endpoint_auth_methods = vec!["none".to_owned()]);
    flows::custom_service_discovered(w).await?;
    check::shows_containing(c, "decided-client-auth", "None").await?;
    check::shows_containing(c, "decided-client-auth", "the service lists: none").await?;
    check::shows_containing(c, "decided-pkce", "S256").await?;
    check::shows_containing(c, "decided-token-endpoint", &provider.token_url()).await?;
    check::shows_containing(
        c,
        "decided-authorization-endpoint",
        &provider.authorize_url(),
    )
    .await?;
    check::shows_containing(c, "decided-issuer", provider.base_url()).await?;
    w.screenshot_at("1-discovery-decided", "discovery-summary")
        .await?;
    Ok(())
}

/// A public client: PKCE S256, `client_id` in the body, no secret anywhere — on the code exchange
/// and on the refresh (the mock refuses a public client that omits its id or sends a secret).
pub async fn public_client_gets_and_refreshes_tokens(w: &World) -> Result<()> {
    let c = w.client();
    let provider = &w.provider;
    let public = provider.config().public_client_id;
    provider.configure(|config| config.token_endpoint_auth_methods = vec!["none".to_owned()]);
    flows::custom_service_discovered(w).await?;
    authorized_as(w, &public).await?;
    check::shows(c, "bearer-client-auth", "none").await?;
    let issued = flows::call_bearer(w).await?;
    check::expect(issued.refresh_token.is_some(), || {
        "the mock issued no refresh token to the public client".to_owned()
    })?;
    let exchange = flows::last_request(w, "/token")?;
    flows::expect_param(&exchange, "grant_type", "authorization_code")?;
    flows::expect_param(&exchange, "client_id", &public)?;
    flows::expect_no_param(&exchange, "client_secret")?;
    check::expect(exchange.basic_client_id.is_none(), || {
        "a public client sent a Basic header".to_owned()
    })?;
    let authorize = flows::last_request(w, "/authorize")?;
    flows::expect_param(&authorize, "code_challenge_method", "S256")?;

    flows::call_refresh(w).await?;
    let refresh = flows::last_request(w, "/token")?;
    flows::expect_param(&refresh, "grant_type", "refresh_token")?;
    flows::expect_param(&refresh, "client_id", &public)?;
    flows::expect_no_param(&refresh, "client_secret")?;
    check::expect(refresh.basic_client_id.is_none(), || {
        "the refresh of a public client sent a Basic header".to_owned()
    })
}

/// An empty secret under Basic: the call stops with advice to choose "None" (discovery also said
/// the service takes public clients); choosing it on the bearer tab sets the refresh tab too.
pub async fn empty_secret_under_basic_says_what_to_choose(w: &World) -> Result<()> {
    let c = w.client();
    let public = w.provider.config().public_client_id;
    flows::custom_service_discovered(w).await?;
    check::shows_containing(
        c,
        "decided-client-auth",
        "choose “None” if yours has no secret",
    )
    .await?;
    authorized_as(w, &public).await?;
    check::shows(c, "bearer-client-auth", "basic-header").await?;
    action::click(c, "call-bearer").await?;
    check::shows_containing(c, "error-box", "the client secret is empty").await?;
    check::shows_containing(c, "error-hint", "choose client authentication “None”").await?;
    check::expect(w.provider.requests_to("/token").is_empty(), || {
        "a request that cannot be right was sent anyway".to_owned()
    })?;

    action::select(c, "bearer-client-auth", "none").await?;
    action::click(c, "tab-refresh").await?;
    check::shows(c, "refresh-client-auth", "none").await?;
    flows::call_bearer(w).await?;
    flows::expect_param(&flows::last_request(w, "/token")?, "client_id", &public)
}

/// Click order 1: untick the client flow, then discover. The choice stays; the token request is
/// client credentials at the discovered endpoint.
pub async fn discovery_after_unticking_keeps_the_choice(w: &World) -> Result<()> {
    let c = w.client();
    let provider = &w.provider;
    action::choose_custom_service(c).await?;
    action::set_checked(c, "client-flow-required", false).await?;
    flows::discover(w).await?;
    check::shows_containing(c, "discovery-status", "stays off").await?;
    check::shows(c, "client-flow-required", "false").await?;
    check::hidden(c, "authorization-url").await?;
    client_credentials_call_works(w).await?;
    // Ticking the box later brings the discovered flow in.
    action::go_to_step(c, 1).await?;
    action::set_checked(c, "client-flow-required", true).await?;
    check::shows(c, "authorization-url", &provider.authorize_url()).await
}

/// Click order 2: discover, then untick. The code exchange becomes client credentials.
pub async fn unticking_after_discovery_switches_the_grant(w: &World) -> Result<()> {
    let c = w.client();
    flows::custom_service_discovered(w).await?;
    action::set_checked(c, "client-flow-required", false).await?;
    client_credentials_call_works(w).await
}

/// Steps 2 and 3 without a client flow: the bearer request is client credentials at the
/// discovered token endpoint, and it gets a token.
async fn client_credentials_call_works(w: &World) -> Result<()> {
    let c = w.client();
    let provider = &w.provider;
    flows::to_step_2_with_client_id(w).await?;
    action::next_to(c, 3).await?;
    check::shows(c, "bearer-grant-type", "client_credentials").await?;
    check::shows(c, "bearer-url", &provider.token_url()).await?;
    action::fill(c, "client-secret", &provider.config().client_secret).await?;
    flows::call_bearer(w).await?;
    let call = flows::last_request(w, "/token")?;
    flows::expect_param(&call, "grant_type", "client_credentials")?;
    flows::expect_no_param(&call, "code")
}

/// Issue #17, item 1: unticking and re-ticking the client flow of a preset keeps its
/// authorization URL, scopes and extra parameters.
pub async fn reticking_the_client_flow_brings_its_settings_back(w: &World) -> Result<()> {
    let c = w.client();
    let provider = &w.provider;
    flows::preset_pointed_at_mock(w, "google-cloud").await?;
    action::next_to(c, 2).await?;
    action::fill_lines(c, "scopes", &["openid", "email", "read"]).await?;
    let param_name = find::shown(&find::by_testid(c, "auth-param-name-0").await?).await?;
    let param_value = find::shown(&find::by_testid(c, "auth-param-value-0").await?).await?;
    check::expect(!param_name.is_empty(), || {
        "the Google Cloud preset should bring an extra authorization parameter".to_owned()
    })?;
    action::go_to_step(c, 1).await?;
    action::set_checked(c, "client-flow-required", false).await?;
    check::hidden(c, "authorization-url").await?;
    action::set_checked(c, "client-flow-required", true).await?;
    check::shows(c, "authorization-url", &provider.authorize_url()).await?;
    action::next_to(c, 2).await?;
    check::shows(c, "scopes", "openid\nemail\nread").await?;
    check::shows(c, "auth-param-name-0", &param_name).await?;
    check::shows(c, "auth-param-value-0", &param_value).await?;
    // One name for one thing.
    check::shows(c, "start-authorization", "Start client-flow authorization…").await
}

/// The refresh follows the bearer request's client authentication: the mock's client is
/// registered for client_secret_post, the user chooses "In the body" once, on the bearer tab.
/// Each call button sits with its own request.
pub async fn refresh_follows_the_bearer_client_auth(w: &World) -> Result<()> {
    let c = w.client();
    let provider = &w.provider;
    provider.configure(|config| config.client_auth = ClientAuthMode::Body);
    flows::custom_service_discovered(w).await?;
    authorized_as(w, &provider.config().client_id).await?;
    action::fill(c, "client-secret", &provider.config().client_secret).await?;
    check::hidden(c, "call-refresh").await?;
    action::select(c, "bearer-client-auth", "body").await?;
    action::click(c, "tab-refresh").await?;
    check::hidden(c, "call-bearer").await?;
    check::shows(c, "refresh-client-auth", "body").await?;
    flows::call_bearer(w).await?;
    flows::call_refresh(w).await?;
    let refresh = flows::last_request(w, "/token")?;
    flows::expect_param(&refresh, "grant_type", "refresh_token")?;
    flows::expect_param(&refresh, "client_secret", &provider.config().client_secret)?;
    check::expect(refresh.basic_client_id.is_none(), || {
        "the refresh sent a Basic header although the bearer request chose the body".to_owned()
    })
}

/// An automatic refresh that fails is shown next to the automatic refresh switch, with its
/// error and hint (here the user chose another client authentication on the refresh tab).
pub async fn failing_automatic_refresh_is_shown(w: &World) -> Result<()> {
    let c = w.client();
    let provider = &w.provider;
    provider.configure(|config| config.expires_in = 3);
    flows::custom_service_discovered(w).await?;
    authorized_as(w, &provider.config().client_id).await?;
    action::fill(c, "client-secret", &provider.config().client_secret).await?;
    action::click(c, "tab-refresh").await?;
    action::select(c, "refresh-client-auth", "body").await?;
    action::set_checked(c, "auto-refresh", true).await?;
    flows::call_bearer(w).await?;
    check::shows_matching_within(
        c,
        "auto-refresh-failure",
        "the failed automatic refresh, with invalid_client and a hint",
        Duration::from_secs(20),
        |seen| seen.contains("invalid_client") && seen.contains("client-authentication method"),
    )
    .await?;
    Ok(())
}

/// A request that cannot be built yet (no code) says what to do, like a service's error does.
pub async fn build_errors_come_with_a_hint(w: &World) -> Result<()> {
    let c = w.client();
    flows::custom_service_discovered(w).await?;
    flows::to_step_2_with_client_id(w).await?;
    action::click(c, "skip-to-tokens").await?;
    check::at_step(c, 3).await?;
    action::fill(c, "client-secret", &w.provider.config().client_secret).await?;
    action::click(c, "call-bearer").await?;
    check::shows_containing(c, "error-box", "variable {code} is empty").await?;
    check::shows_containing(c, "error-hint", "run client-flow authorization in step 2").await?;
    check::shows_containing(c, "bearer-template-hint", "run client-flow authorization").await?;
    // A broken template says how templates are written, in the preview and on the call.
    action::fill_lines(
        c,
        "bearer-body",
        &["grant_type={grant_type}", "audience={audience"],
    )
    .await?;
    check::shows_containing(c, "bearer-template-error", "is not closed").await?;
    check::shows_containing(c, "bearer-template-hint", "A variable is written {name}").await?;
    action::click(c, "call-bearer").await?;
    check::shows_containing(c, "error-hint", "A variable is written {name}").await?;
    Ok(())
}

/// The service withholds `offline_access`, so no refresh token comes: the result says which
/// scope is missing and what usually brings it.
pub async fn withheld_offline_access_is_explained(w: &World) -> Result<()> {
    let c = w.client();
    let provider = &w.provider;
    provider.configure(|config| {
        config.withheld_scopes = vec!["offline_access".to_owned()];
        config.refresh_needs_offline_access = true;
    });
    flows::custom_service_discovered(w).await?;
    flows::to_step_2_with_client_id(w).await?;
    action::fill_lines(c, "scopes", &["read", "offline_access"]).await?;
    flows::authorize_automatically(w).await?;
    action::next_to(c, 3).await?;
    action::fill(c, "client-secret", &provider.config().client_secret).await?;
    let issued = flows::call_bearer(w).await?;
    check::expect(issued.refresh_token.is_none(), || {
        "the mock should issue no refresh token without offline_access".to_owned()
    })?;
    check::shows_containing(c, "result-scope-missing", "Not granted: offline_access").await?;
    check::shows_containing(c, "result-scope-missing", "prompt=consent").await?;
    w.screenshot_at("3-scope-missing", "result-scope-missing")
        .await?;
    Ok(())
}

/// The curl export is masked unless "Include secrets", next to the export buttons, is ticked.
pub async fn curl_export_is_masked_unless_secrets_are_included(w: &World) -> Result<()> {
    let c = w.client();
    let config = w.provider.config();
    action::choose_custom_service(c).await?;
    action::set_checked(c, "client-flow-required", false).await?;
    flows::to_step_2_with_client_id(w).await?;
    action::next_to(c, 3).await?;
    flows::set_token_url(w, Tab::Bearer, &w.provider.token_url()).await?;
    action::fill(c, "client-secret", &config.client_secret).await?;
    flows::call_bearer(w).await?;
    let basic = engine_basic(&config.client_id, &config.client_secret);
    action::click(c, "export-curl").await?;
    let masked = check::shows_containing(c, "export-output", "curl -X POST").await?;
    check::expect(
        masked.contains("••••••") && !masked.contains(&basic),
        || format!("the default curl export should be masked: {masked}"),
    )?;
    check::hidden(c, "export-secrets-warning").await?;
    action::set_checked(c, "export-curl-secrets", true).await?;
    check::shows_containing(c, "export-secrets-warning", "in clear").await?;
    action::click(c, "export-curl").await?;
    check::shows_containing(c, "export-output", &basic).await?;
    check::shows_containing(c, "export-output", "keep it private").await?;
    // Unticking masks the command on show again.
    action::set_checked(c, "export-curl-secrets", false).await?;
    check::shows_containing(c, "export-output", "Secrets are masked").await?;
    action::set_checked(c, "export-curl-secrets", true).await?;
    check::shows_containing(c, "export-output", &basic).await?;
    w.screenshot_at("3-export-with-secrets", "export-secrets-warning")
        .await?;
    Ok(())
}

/// The Basic credential the wizard sends (RFC 6749 §2.3.1), as it appears in a curl command.
fn engine_basic(id: &str, secret: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
}

/// A service that uses the password grant (Dayforce): ticking client-flow authorization makes
/// the token request a code exchange, and unticking brings the password request back as it was,
/// which still gets a token.
pub async fn the_password_grant_comes_back_after_ticking_and_unticking(w: &World) -> Result<()> {
    let c = w.client();
    let config = w.provider.config();
    w.provider.configure(|config| {
        config.password_client_id = "Dayforce.HCMAnywhere.Client".to_owned();
    });
    action::choose_service(c, "dayforce").await?;
    action::fill(c, "variable-company_id", "acme").await?;
    action::set_checked(c, "client-flow-required", true).await?;
    action::fill(c, "authorization-url", &w.provider.authorize_url()).await?;
    action::go_to_step(c, 3).await?;
    check::shows(c, "bearer-grant-type", "authorization_code").await?;
    check::shows_containing(c, "bearer-body", "code={code}").await?;
    action::go_to_step(c, 1).await?;
    action::set_checked(c, "client-flow-required", false).await?;
    action::go_to_step(c, 3).await?;
    check::shows(c, "bearer-grant-type", "password").await?;
    flows::set_token_url(w, Tab::Bearer, &w.provider.token_url()).await?;
    action::fill(c, "user-name", &config.user_name).await?;
    action::fill(c, "client-secret", &config.password).await?;
    let issued = flows::call_bearer(w).await?;
    check::expect(issued.grant_type == "password", || {
        format!("the mock issued tokens for {}", issued.grant_type)
    })?;
    let call = flows::last_request(w, "/token")?;
    flows::expect_param(&call, "companyId", "acme")?;
    flows::expect_param(&call, "client_id", "Dayforce.HCMAnywhere.Client")
}
