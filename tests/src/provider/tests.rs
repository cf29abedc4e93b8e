//! The mock provider over real HTTP: each test names the rule it checks, and fails if the mock
//! stops enforcing it (a lenient mock would let wizard bugs through).

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{ClientAuthMode, Provider, ProviderConfig};
use crate::http::{self, Answer};

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const STATE: &str = "af0ifjsldkj";
const CALLBACK: &str = "http://127.0.0.1:9/callback";

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

async fn start(change: impl FnOnce(&mut ProviderConfig)) -> Provider {
    let mut config = ProviderConfig::default();
    change(&mut config);
    let provider = Provider::start(config)
        .await
        .expect("the mock provider binds 127.0.0.1:0");
    provider.register_redirect_uri(CALLBACK);
    provider
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        serializer.append_pair(name, value);
    }
    serializer.finish()
}

fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

/// The standard authorization request with PKCE S256, as query pairs.
fn authorize_params(provider: &Provider) -> Vec<(String, String)> {
    let config = provider.config();
    vec![
        ("response_type".into(), "code".into()),
        ("client_id".into(), config.client_id),
        ("redirect_uri".into(), CALLBACK.into()),
        ("scope".into(), "read write".into()),
        ("state".into(), STATE.into()),
        ("code_challenge".into(), challenge(VERIFIER)),
        ("code_challenge_method".into(), "S256".into()),
    ]
}

/// Sends an authorization request and returns the status and the redirect's query pairs.
async fn authorize_with(
    provider: &Provider,
    params: &[(String, String)],
) -> (u16, Vec<(String, String)>) {
    let url = url::Url::parse_with_params(&provider.authorize_url(), params).expect("valid URL");
    let answer = http::get(url.as_str()).await.expect("authorize answers");
    let query = answer
        .header("location")
        .and_then(|l| url::Url::parse(l).ok())
        .map(|l| l.query_pairs().into_owned().collect())
        .unwrap_or_default();
    (answer.status, query)
}

fn get<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    super::first(pairs, name)
}

/// A fresh code for the standard request.
async fn code(provider: &Provider) -> String {
    let (status, query) = authorize_with(provider, &authorize_params(provider)).await;
    assert_eq!(status, 302, "authorize should redirect, got {status}");
    get(&query, "code")
        .expect("the redirect carries a code")
        .to_owned()
}

/// Reading a token endpoint's JSON answer.
trait Fields {
    fn json(&self) -> Value;
    fn field(&self, name: &str) -> String;
}

impl Fields for Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    fn field(&self, name: &str) -> String {
        self.json()[name].as_str().unwrap_or_default().to_owned()
    }
}

async fn post(url: &str, authorization: Option<&str>, body: String) -> Answer {
    let headers: Vec<(&str, &str)> = authorization
        .map(|a| vec![("authorization", a)])
        .unwrap_or_default();
    http::post_form(url, &headers, body)
        .await
        .expect("the token endpoint answers")
}

async fn redeem(provider: &Provider, code: &str, verifier: &str) -> Answer {
    let config = provider.config();
    post(
        &provider.token_url(),
        Some(&basic(&config.client_id, &config.client_secret)),
        form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", verifier),
        ]),
    )
    .await
}

#[tokio::test]
async fn authorization_code_with_pkce_issues_tokens_once() {
    let provider = start(|_| {}).await;
    let (status, query) = authorize_with(&provider, &authorize_params(&provider)).await;
    assert_eq!(status, 302);
    assert_eq!(get(&query, "state"), Some(STATE), "state is echoed");
    let code = get(&query, "code").expect("a code").to_owned();

    let first = redeem(&provider, &code, VERIFIER).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(
        first
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/json"))
    );
    assert_eq!(first.field("token_type"), "Bearer");
    assert_eq!(first.field("scope"), "read write");
    assert_eq!(first.json()["expires_in"], 3600);
    assert_eq!(
        Some(first.field("refresh_token")),
        provider.newest_refresh_token()
    );
    assert_eq!(
        Some(first.field("access_token")),
        provider.newest_access_token()
    );

    let again = redeem(&provider, &code, VERIFIER).await;
    assert_eq!(again.status, 400, "a code is single-use");
    assert_eq!(again.field("error"), "invalid_grant");
    assert!(again.field("error_description").contains("already used"));
}

#[tokio::test]
async fn wrong_or_missing_verifier_is_invalid_grant() {
    let provider = start(|_| {}).await;
    let other_verifier = "x".repeat(43);
    let wrong = redeem(&provider, &code(&provider).await, &other_verifier).await;
    assert_eq!(
        (wrong.status, wrong.field("error").as_str()),
        (400, "invalid_grant")
    );
    assert!(wrong.field("error_description").contains("PKCE"));

    let config = provider.config();
    let missing = post(
        &provider.token_url(),
        Some(&basic(&config.client_id, &config.client_secret)),
        form(&[
            ("grant_type", "authorization_code"),
            ("code", &code(&provider).await),
            ("redirect_uri", CALLBACK),
        ]),
    )
    .await;
    assert_eq!(missing.field("error"), "invalid_grant");
    assert!(missing.field("error_description").contains("code_verifier"));
}

#[tokio::test]
async fn redirect_uri_must_match_at_the_token_endpoint() {
    let provider = start(|_| {}).await;
    let config = provider.config();
    let answer = post(
        &provider.token_url(),
        Some(&basic(&config.client_id, &config.client_secret)),
        form(&[
            ("grant_type", "authorization_code"),
            ("code", &code(&provider).await),
            ("redirect_uri", &provider.echo_url()),
            ("code_verifier", VERIFIER),
        ]),
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.field("error"), "invalid_grant");
    assert!(answer.field("error_description").contains("redirect_uri"));
}

#[tokio::test]
async fn authorize_checks_pkce_state_and_response_type() {
    let provider = start(|_| {}).await;
    let without = |name: &str| -> Vec<(String, String)> {
        authorize_params(&provider)
            .into_iter()
            .filter(|(k, _)| k != name)
            .collect()
    };
    for (params, error, words) in [
        (
            without("code_challenge"),
            "invalid_request",
            "code_challenge",
        ),
        (without("state"), "invalid_request", "state"),
        (without("response_type"), "invalid_request", "response_type"),
    ] {
        let (status, query) = authorize_with(&provider, &params).await;
        assert_eq!(
            status, 302,
            "errors about the request go back to the client"
        );
        assert_eq!(get(&query, "error"), Some(error));
        assert!(get(&query, "error_description").is_some_and(|d| d.contains(words)));
        assert_eq!(get(&query, "code"), None);
    }
    let mut plain = authorize_params(&provider);
    for (name, value) in &mut plain {
        if name == "code_challenge_method" {
            *value = "plain".into();
        }
    }
    let (_, query) = authorize_with(&provider, &plain).await;
    assert_eq!(get(&query, "error"), Some("invalid_request"));
    let mut token = authorize_params(&provider);
    token[0].1 = "token".into();
    let (_, query) = authorize_with(&provider, &token).await;
    assert_eq!(get(&query, "error"), Some("unsupported_response_type"));
}

#[tokio::test]
async fn unknown_client_or_redirect_uri_is_refused_without_redirecting() {
    let provider = start(|_| {}).await;
    for (name, value) in [
        ("client_id", "somebody-else"),
        ("redirect_uri", "http://127.0.0.1:9/elsewhere"),
    ] {
        let params: Vec<(String, String)> = authorize_params(&provider)
            .into_iter()
            .map(|(k, v)| {
                if k == name {
                    (k, value.to_owned())
                } else {
                    (k, v)
                }
            })
            .collect();
        let (status, query) = authorize_with(&provider, &params).await;
        assert_eq!(status, 400, "{name}: never redirect to an unverified place");
        assert!(query.is_empty());
    }
}

#[tokio::test]
async fn loopback_ip_redirects_may_use_any_port_only_when_allowed() {
    let provider = start(|_| {}).await;
    provider.register_redirect_uri("http://127.0.0.1/oauth/cb");
    let with_redirect = |uri: &str| -> Vec<(String, String)> {
        authorize_params(&provider)
            .into_iter()
            .map(|(k, v)| {
                if k == "redirect_uri" {
                    (k, uri.to_owned())
                } else {
                    (k, v)
                }
            })
            .collect()
    };
    let other_port = with_redirect("http://127.0.0.1:50123/oauth/cb");
    let (status, _) = authorize_with(&provider, &other_port).await;
    assert_eq!(
        status, 400,
        "exact matching unless RFC 8252 port freedom is on"
    );

    provider.configure(|c| c.loopback_any_port = true);
    let answer = http::get(
        url::Url::parse_with_params(&provider.authorize_url(), &other_port)
            .expect("valid URL")
            .as_str(),
    )
    .await
    .expect("authorize answers");
    assert_eq!(answer.status, 302);
    let location = answer.header("location").unwrap_or_default();
    assert!(
        location.starts_with("http://127.0.0.1:50123/oauth/cb?code="),
        "the redirect goes to the port sent: {location}"
    );
    for (uri, why) in [
        (
            "http://localhost:50123/oauth/cb",
            "localhost is a name, not a loopback IP",
        ),
        ("http://127.0.0.1:50123/other", "the path must still match"),
        (
            "https://127.0.0.1:50123/oauth/cb",
            "the scheme must still match",
        ),
    ] {
        let (status, _) = authorize_with(&provider, &with_redirect(uri)).await;
        assert_eq!(status, 400, "{uri}: {why}");
    }
}

#[tokio::test]
async fn deny_mode_and_extra_params_shape_the_callback() {
    let provider = start(|c| {
        c.extra_callback_params = vec![("realmId".into(), "9130".into())];
    })
    .await;
    let (_, query) = authorize_with(&provider, &authorize_params(&provider)).await;
    assert_eq!(get(&query, "realmId"), Some("9130"));
    assert!(get(&query, "code").is_some());

    provider.configure(|c| c.deny_with = Some("The user said no.".into()));
    let (status, query) = authorize_with(&provider, &authorize_params(&provider)).await;
    assert_eq!(status, 302);
    assert_eq!(get(&query, "error"), Some("access_denied"));
    assert_eq!(get(&query, "error_description"), Some("The user said no."));
    assert_eq!(get(&query, "state"), Some(STATE));
    assert_eq!(get(&query, "code"), None);
}

#[tokio::test]
async fn echo_is_a_registered_redirect_that_shows_the_code() {
    let provider = start(|_| {}).await;
    let params: Vec<(String, String)> = authorize_params(&provider)
        .into_iter()
        .map(|(k, v)| {
            if k == "redirect_uri" {
                (k, provider.echo_url())
            } else {
                (k, v)
            }
        })
        .collect();
    let (status, query) = authorize_with(&provider, &params).await;
    assert_eq!(status, 302);
    let code = get(&query, "code").expect("a code").to_owned();
    let url = url::Url::parse_with_params(&provider.echo_url(), &query).expect("valid URL");
    let html = http::get(url.as_str()).await.expect("echo answers").body;
    assert!(
        html.contains(&format!("<dd id=\"param-code\">{code}</dd>")),
        "{html}"
    );
}

#[tokio::test]
async fn wrong_secret_is_invalid_client_401_with_challenge() {
    let provider = start(|_| {}).await;
    let config = provider.config();
    let answer = post(
        &provider.token_url(),
        Some(&basic(&config.client_id, "wrong")),
        form(&[("grant_type", "client_credentials")]),
    )
    .await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.field("error"), "invalid_client");
    assert!(
        answer
            .header("www-authenticate")
            .is_some_and(|w| w.starts_with("Basic"))
    );
    assert!(!answer.field("error_description").is_empty());
}

#[tokio::test]
async fn client_auth_mode_is_enforced() {
    let provider = start(|c| c.client_auth = ClientAuthMode::Basic).await;
    let config = provider.config();
    let in_body = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", &config.client_id),
        ("client_secret", &config.client_secret),
    ]);
    let refused = post(&provider.token_url(), None, in_body.clone()).await;
    assert_eq!(
        (refused.status, refused.field("error").as_str()),
        (401, "invalid_client")
    );

    provider.configure(|c| c.client_auth = ClientAuthMode::Body);
    let accepted = post(&provider.token_url(), None, in_body).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    let basic_refused = post(
        &provider.token_url(),
        Some(&basic(&config.client_id, &config.client_secret)),
        form(&[("grant_type", "client_credentials")]),
    )
    .await;
    assert_eq!(basic_refused.status, 401);

    // RFC 6749 §2.3: one method per request, even for a client registered for either.
    let both = post(
        &provider.token_url(),
        Some(&basic(&config.client_id, &config.client_secret)),
        form(&[
            ("grant_type", "client_credentials"),
            ("client_secret", &config.client_secret),
        ]),
    )
    .await;
    assert_eq!(
        (both.status, both.field("error").as_str()),
        (400, "invalid_request")
    );
}

/// A code for `client_id` (PKCE S256 with [`VERIFIER`]).
async fn code_for(provider: &Provider, client_id: &str) -> String {
    let mut params = authorize_params(provider);
    params[1].1 = client_id.to_owned();
    let (status, query) = authorize_with(provider, &params).await;
    assert_eq!(status, 302, "authorize should redirect, got {status}");
    get(&query, "code")
        .expect("the redirect carries a code")
        .to_owned()
}

fn code_exchange<'a>(code: &'a str, extra: &[(&'a str, &'a str)]) -> String {
    let mut pairs = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", CALLBACK),
        ("code_verifier", VERIFIER),
    ];
    pairs.extend_from_slice(extra);
    form(&pairs)
}

#[tokio::test]
async fn a_public_client_must_send_its_client_id_in_the_body() {
    let provider = start(|_| {}).await;
    let public = provider.config().public_client_id;
    let code = code_for(&provider, &public).await;
    let anonymous = post(&provider.token_url(), None, code_exchange(&code, &[])).await;
    assert_eq!(
        (anonymous.status, anonymous.field("error").as_str()),
        (400, "invalid_request")
    );
    assert_eq!(
        anonymous.field("error_description"),
        "no client authentication mechanism provided"
    );
    // The refused request did not use the code up.
    let named = post(
        &provider.token_url(),
        None,
        code_exchange(&code, &[("client_id", &public)]),
    )
    .await;
    assert_eq!(named.status, 200, "{}", named.body);
    assert!(!named.field("refresh_token").is_empty());
}

#[tokio::test]
async fn a_public_client_must_not_send_a_secret() {
    let provider = start(|_| {}).await;
    let public = provider.config().public_client_id;
    let code = code_for(&provider, &public).await;
    let in_body = post(
        &provider.token_url(),
        None,
        code_exchange(&code, &[("client_id", &public), ("client_secret", "guess")]),
    )
    .await;
    assert_eq!(
        (in_body.status, in_body.field("error").as_str()),
        (401, "invalid_client")
    );
    let empty_basic = post(
        &provider.token_url(),
        Some(&basic(&public, "")),
        code_exchange(&code, &[]),
    )
    .await;
    assert_eq!(
        (empty_basic.status, empty_basic.field("error").as_str()),
        (401, "invalid_client")
    );
    let client_credentials = post(
        &provider.token_url(),
        None,
        form(&[("grant_type", "client_credentials"), ("client_id", &public)]),
    )
    .await;
    assert_eq!(client_credentials.field("error"), "unauthorized_client");
}

#[tokio::test]
async fn a_public_client_must_use_pkce_even_when_others_need_not() {
    let provider = start(|c| c.require_pkce = false).await;
    let mut params = authorize_params(&provider);
    params[1].1 = provider.config().public_client_id;
    params.retain(|(name, _)| !name.starts_with("code_challenge"));
    let (status, query) = authorize_with(&provider, &params).await;
    assert_eq!(status, 302);
    assert_eq!(get(&query, "error"), Some("invalid_request"));
    assert_eq!(
        get(&query, "error_description"),
        Some("code_challenge is required (PKCE with S256)")
    );
}

#[tokio::test]
async fn a_public_client_refreshes_with_its_client_id_and_nothing_else() {
    let provider = start(|_| {}).await;
    let public = provider.config().public_client_id;
    let code = code_for(&provider, &public).await;
    let tokens = post(
        &provider.token_url(),
        None,
        code_exchange(&code, &[("client_id", &public)]),
    )
    .await;
    let refresh_token = tokens.field("refresh_token");
    let anonymous = post(
        &provider.token_url(),
        None,
        form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_token),
        ]),
    )
    .await;
    assert_eq!(
        (anonymous.status, anonymous.field("error").as_str()),
        (400, "invalid_request")
    );
    let refreshed = post(
        &provider.token_url(),
        None,
        form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_token),
            ("client_id", &public),
        ]),
    )
    .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    assert_ne!(
        refreshed.field("refresh_token"),
        refresh_token,
        "it rotates"
    );
}

#[tokio::test]
async fn a_refresh_must_use_the_method_the_client_is_registered_with() {
    let provider = start(|c| c.client_auth = ClientAuthMode::Body).await;
    let config = provider.config();
    let code = code(&provider).await;
    let tokens = post(
        &provider.token_url(),
        None,
        code_exchange(
            &code,
            &[
                ("client_id", &config.client_id),
                ("client_secret", &config.client_secret),
            ],
        ),
    )
    .await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let refresh_token = tokens.field("refresh_token");
    let by_basic = refresh_basic(&provider, &config, refresh_token.clone()).await;
    assert_eq!(
        (by_basic.status, by_basic.field("error").as_str()),
        (401, "invalid_client")
    );
    assert!(
        by_basic
            .field("error_description")
            .contains("client_secret_post")
    );
    let confidential_without_secret = post(
        &provider.token_url(),
        None,
        form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_token),
            ("client_id", &config.client_id),
        ]),
    )
    .await;
    assert_eq!(confidential_without_secret.status, 401);
}

#[tokio::test]
async fn discovery_can_list_only_none() {
    let provider = start(|c| c.token_endpoint_auth_methods = vec!["none".to_owned()]).await;
    let answer = http::get(&provider.url("/.well-known/openid-configuration"))
        .await
        .expect("discovery answers");
    assert_eq!(
        answer.json()["token_endpoint_auth_methods_supported"],
        serde_json::json!(["none"])
    );
}

#[tokio::test]
async fn a_withheld_offline_access_means_no_refresh_token() {
    let provider = start(|c| {
        c.withheld_scopes = vec!["offline_access".to_owned()];
        c.refresh_needs_offline_access = true;
    })
    .await;
    let mut params = authorize_params(&provider);
    params[3].1 = "read offline_access".to_owned();
    let (_, query) = authorize_with(&provider, &params).await;
    let code = get(&query, "code").expect("a code").to_owned();
    let tokens = redeem(&provider, &code, VERIFIER).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    assert_eq!(tokens.field("scope"), "read");
    assert!(
        tokens.json().get("refresh_token").is_none(),
        "{}",
        tokens.body
    );

    provider.configure(|c| c.withheld_scopes.clear());
    let (_, query) = authorize_with(&provider, &params).await;
    let code = get(&query, "code").expect("a code").to_owned();
    let tokens = redeem(&provider, &code, VERIFIER).await;
    assert_eq!(tokens.field("scope"), "read offline_access");
    assert!(!tokens.field("refresh_token").is_empty());
}

#[tokio::test]
async fn basic_credentials_are_form_decoded() {
    let provider = start(|c| c.client_secret = "s3cr:t +&".into()).await;
    let config = provider.config();
    let encoded = |s: &str| form(&[("x", s)])[2..].to_owned();
    let answer = post(
        &provider.token_url(),
        Some(&basic(
            &encoded(&config.client_id),
            &encoded(&config.client_secret),
        )),
        form(&[("grant_type", "client_credentials")]),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

/// A refresh with the confidential client's Basic credentials.
async fn refresh_basic(provider: &Provider, config: &ProviderConfig, token: String) -> Answer {
    let auth = basic(&config.client_id, &config.client_secret);
    post(
        &provider.token_url(),
        Some(&auth),
        form(&[("grant_type", "refresh_token"), ("refresh_token", &token)]),
    )
    .await
}

#[tokio::test]
async fn refresh_tokens_rotate_and_the_old_one_dies() {
    let provider = start(|_| {}).await;
    let config = provider.config();
    let tokens = redeem(&provider, &code(&provider).await, VERIFIER).await;
    let first = tokens.field("refresh_token");
    let refresh = |token: String| refresh_basic(&provider, &config, token);

    let rotated = refresh(first.clone()).await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let second = rotated.field("refresh_token");
    assert!(
        !second.is_empty() && second != first,
        "a new refresh token is issued"
    );
    assert_eq!(rotated.field("scope"), "read write", "the scope is kept");
    assert_eq!(provider.newest_refresh_token(), Some(second.clone()));
    let last = provider.requests_to("/token").pop().expect("recorded");
    assert_eq!(last.param("refresh_token"), Some(first.as_str()));

    assert_eq!(provider.revoked_families(), 0);
    let replay = refresh(first).await;
    assert_eq!(replay.status, 400, "the rotated-out token is dead");
    assert_eq!(replay.field("error"), "invalid_grant");
    assert_eq!(provider.revoked_families(), 1, "the replay is detected");
    let after = refresh(second).await;
    assert_eq!(
        (after.status, after.field("error").as_str()),
        (400, "invalid_grant"),
        "reuse detection revoked the newest token of the family too"
    );
}

#[tokio::test]
async fn without_reuse_detection_a_replay_leaves_the_family_alive() {
    let provider = start(|c| c.revoke_family_on_reuse = false).await;
    let config = provider.config();
    let tokens = redeem(&provider, &code(&provider).await, VERIFIER).await;
    let first = tokens.field("refresh_token");
    let refresh = |token: String| refresh_basic(&provider, &config, token);
    let second = refresh(first.clone()).await.field("refresh_token");
    assert_eq!(
        refresh(first).await.status,
        400,
        "the rotated-out token is dead"
    );
    assert_eq!(provider.revoked_families(), 0);
    assert_eq!(refresh(second).await.status, 200, "the new one still works");
}

#[tokio::test]
async fn reuse_detection_revokes_only_the_family_of_the_replayed_token() {
    let provider = start(|_| {}).await;
    let config = provider.config();
    let one = redeem(&provider, &code(&provider).await, VERIFIER)
        .await
        .field("refresh_token");
    let other = redeem(&provider, &code(&provider).await, VERIFIER)
        .await
        .field("refresh_token");
    let refresh = |token: String| refresh_basic(&provider, &config, token);
    assert_eq!(refresh(one.clone()).await.status, 200);
    assert_eq!(refresh(one).await.status, 400, "replay");
    assert_eq!(
        refresh(other).await.status,
        200,
        "another authorization's family lives on"
    );
}

#[tokio::test]
async fn refresh_without_rotation_keeps_the_token_and_omits_it() {
    let provider = start(|c| c.rotate_refresh_tokens = false).await;
    let config = provider.config();
    let tokens = redeem(&provider, &code(&provider).await, VERIFIER).await;
    let refresh_token = tokens.field("refresh_token");
    for _ in 0..2 {
        let answer = post(
            &provider.token_url(),
            Some(&basic(&config.client_id, &config.client_secret)),
            form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh_token),
            ]),
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert!(answer.json().get("refresh_token").is_none());
    }
}

#[tokio::test]
async fn client_credentials_issue_no_refresh_token_and_honour_expires_in() {
    let provider = start(|c| c.expires_in = 3).await;
    let config = provider.config();
    let answer = post(
        &provider.token_url(),
        Some(&basic(&config.client_id, &config.client_secret)),
        form(&[("grant_type", "client_credentials"), ("scope", "write")]),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["expires_in"], 3);
    assert_eq!(answer.field("scope"), "write");
    assert!(answer.json().get("refresh_token").is_none());
}

#[tokio::test]
async fn password_grant_checks_client_user_and_password() {
    let provider = start(|_| {}).await;
    let config = provider.config();
    let attempt = |client: String, password: String| {
        let url = provider.token_url();
        let user = config.user_name.clone();
        async move {
            post(
                &url,
                None,
                form(&[
                    ("grant_type", "password"),
                    ("client_id", &client),
                    ("username", &user),
                    ("password", &password),
                ]),
            )
            .await
        }
    };
    let ok = attempt(config.password_client_id.clone(), config.password.clone()).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(!ok.field("refresh_token").is_empty());
    let wrong = attempt(config.password_client_id.clone(), "nope".into()).await;
    assert_eq!(
        (wrong.status, wrong.field("error").as_str()),
        (400, "invalid_grant")
    );
    let other = attempt(config.client_id.clone(), config.password.clone()).await;
    assert_eq!(
        (other.status, other.field("error").as_str()),
        (401, "invalid_client")
    );
}

#[tokio::test]
async fn token_form_answers_form_encoded() {
    let provider = start(|_| {}).await;
    let config = provider.config();
    let answer = post(
        &provider.token_form_url(),
        Some(&basic(&config.client_id, &config.client_secret)),
        form(&[("grant_type", "client_credentials")]),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let fields: Vec<(String, String)> = form_urlencoded::parse(answer.body.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(
        get(&fields, "access_token").map(str::to_owned),
        provider.newest_access_token()
    );
    assert_eq!(get(&fields, "expires_in"), Some("3600"));

    let error = post(
        &provider.token_form_url(),
        None,
        form(&[("grant_type", "password")]),
    )
    .await;
    assert_eq!(
        error.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert!(
        error.body.contains("error=invalid_client"),
        "{}",
        error.body
    );
}

#[tokio::test]
async fn exchange_by_get_reissues_from_a_valid_token() {
    let provider = start(|_| {}).await;
    let config = provider.config();
    let current = redeem(&provider, &code(&provider).await, VERIFIER)
        .await
        .field("access_token");
    let exchange = |token: String| {
        let url = url::Url::parse_with_params(
            &provider.exchange_url(),
            [
                ("grant_type", "fb_exchange_token"),
                ("client_id", config.client_id.as_str()),
                ("client_secret", config.client_secret.as_str()),
                ("fb_exchange_token", token.as_str()),
            ],
        )
        .expect("valid URL");
        async move { http::get(url.as_str()).await.expect("exchange answers") }
    };
    let long_lived = exchange(current).await;
    assert_eq!(long_lived.status, 200, "{}", long_lived.body);
    assert_eq!(long_lived.json()["expires_in"], 60 * 24 * 3600);
    assert_eq!(
        Some(long_lived.field("access_token")),
        provider.newest_access_token()
    );
    let recorded = provider.requests_to("/exchange").pop().expect("recorded");
    assert_eq!(recorded.method, "GET");

    let bogus = exchange("mock-at-unknown".into()).await;
    assert_eq!(
        (bogus.status, bogus.field("error").as_str()),
        (400, "invalid_grant")
    );
}

#[tokio::test]
async fn slow_endpoint_waits_before_answering() {
    let provider = start(|c| c.slow_delay = Duration::from_millis(600)).await;
    let config = provider.config();
    let started = Instant::now();
    let answer = post(
        &provider.slow_token_url(),
        Some(&basic(&config.client_id, &config.client_secret)),
        form(&[("grant_type", "client_credentials")]),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(600));
}

#[tokio::test]
async fn discovery_lists_the_endpoints() {
    let provider = start(|_| {}).await;
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let answer = http::get(&provider.url(path))
            .await
            .expect("discovery answers");
        let metadata = answer.json();
        assert_eq!(metadata["issuer"], provider.base_url());
        assert_eq!(metadata["authorization_endpoint"], provider.authorize_url());
        assert_eq!(metadata["token_endpoint"], provider.token_url());
        assert_eq!(metadata["code_challenge_methods_supported"][0], "S256");
    }
}

#[tokio::test]
async fn reset_forgets_tokens_records_and_changes() {
    let provider = start(|_| {}).await;
    let tokens = redeem(&provider, &code(&provider).await, VERIFIER).await;
    provider.configure(|c| c.expires_in = 5);
    provider.reset();
    assert!(
        provider
            .config()
            .redirect_uris
            .iter()
            .any(|r| r == CALLBACK),
        "registered redirect URIs survive a reset"
    );
    assert!(
        provider
            .config()
            .redirect_uris
            .contains(&provider.foreign_echo_url()),
        "the echo pages are registered"
    );
    assert!(provider.requests().is_empty());
    assert!(provider.issued().is_empty());
    assert_eq!(provider.config().expires_in, 3600);
    let config = provider.config();
    let refresh = post(
        &provider.token_url(),
        Some(&basic(&config.client_id, &config.client_secret)),
        form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &tokens.field("refresh_token")),
        ]),
    )
    .await;
    assert_eq!(refresh.status, 400, "tokens from before the reset are gone");
}

#[tokio::test]
async fn exchange_by_get_also_redeems_a_code_without_refresh_token() {
    let provider = start(|c| c.require_pkce = false).await;
    let config = provider.config();
    let params: Vec<(String, String)> = authorize_params(&provider)
        .into_iter()
        .filter(|(k, _)| !k.starts_with("code_challenge"))
        .collect();
    let (_, query) = authorize_with(&provider, &params).await;
    let code = get(&query, "code").expect("a code without PKCE").to_owned();
    let url = url::Url::parse_with_params(
        &provider.exchange_url(),
        [
            ("client_id", config.client_id.as_str()),
            ("redirect_uri", CALLBACK),
            ("client_secret", config.client_secret.as_str()),
            ("code", code.as_str()),
        ],
    )
    .expect("valid URL");
    let answer = http::get(url.as_str()).await.expect("exchange answers");
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        Some(answer.field("access_token")),
        provider.newest_access_token()
    );
    assert!(answer.json().get("refresh_token").is_none());
    let again = http::get(url.as_str()).await.expect("exchange answers");
    assert_eq!(
        again.field("error"),
        "invalid_grant",
        "the code is single-use here too"
    );
}

/// RFC 8628 §3.1 with RFC 7523: the device authorization endpoint authenticates a JWT client by
/// the token endpoint's checks, the audience being the token endpoint's URL; the polls too.
#[tokio::test]
async fn the_device_endpoint_verifies_client_assertions_for_the_token_endpoint() {
    use super::assertion::tests::{assertion, claims};
    use super::assertion::{CLIENT_RSA_PEM, OTHER_RSA_PEM};
    let provider = start(|_| {}).await;
    let device_url = provider.url("/device_authorization");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let signed = |aud: &str, jti: &str, key: &str| {
        assertion(&claims(aud, now + 60, jti), "e2e-rsa-key", key)
    };
    let send = |url: String, jwt: String, extra: Vec<(&'static str, String)>| async move {
        let mut pairs = vec![
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_owned(),
            ),
            ("client_assertion", jwt),
            ("client_id", "e2e-jwt-rsa-client".to_owned()),
        ];
        pairs.extend(extra);
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (*n, v.as_str())).collect();
        post(&url, None, form(&pairs)).await
    };
    let refused = |answer: &Answer, why: &str| {
        assert_eq!(
            (answer.status, answer.field("error").as_str()),
            (401, "invalid_client"),
            "{}",
            answer.body
        );
        assert!(
            answer.field("error_description").contains(why),
            "{}",
            answer.body
        );
    };
    let token_url = provider.token_url();

    let good = signed(&token_url, "device-1", CLIENT_RSA_PEM);
    let started = send(device_url.clone(), good.clone(), Vec::new()).await;
    assert_eq!(started.status, 200, "{}", started.body);
    let device_code = started.field("device_code");
    refused(
        &send(device_url.clone(), good, Vec::new()).await,
        "already used",
    );
    refused(
        &send(
            device_url.clone(),
            signed(&device_url, "device-2", CLIENT_RSA_PEM),
            Vec::new(),
        )
        .await,
        "aud is not the token endpoint",
    );
    refused(
        &send(
            device_url.clone(),
            signed(&token_url, "device-3", OTHER_RSA_PEM),
            Vec::new(),
        )
        .await,
        "signature does not verify",
    );
    let unsigned = {
        let jwt = signed(&token_url, "device-4", CLIENT_RSA_PEM);
        format!("{}.", jwt.rsplit_once('.').unwrap().0)
    };
    refused(
        &send(device_url.clone(), unsigned, Vec::new()).await,
        "signature does not verify",
    );

    // Polling: each poll authenticates with a fresh assertion for the token endpoint.
    let poll = |jti: &'static str| {
        send(
            token_url.clone(),
            signed(&token_url, jti, CLIENT_RSA_PEM),
            vec![
                ("grant_type", super::DEVICE_GRANT.to_owned()),
                ("device_code", device_code.clone()),
            ],
        )
    };
    let pending = poll("poll-1").await;
    assert_eq!(
        pending.field("error"),
        "authorization_pending",
        "{}",
        pending.body
    );
}
