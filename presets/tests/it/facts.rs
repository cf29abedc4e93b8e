//! The facts that were wrong on 2026-11-29 (issue #18), each checked against what the service
//! documents, so a preset cannot drift back.

use engine::follow_up::{follow_up_request, merge, parse_endpoint_response};
use engine::request::{refresh_request, token_request};
use engine::token::TokenError;
use presets::{Preset, by_id};

use crate::sample;

fn preset(id: &str) -> &'static Preset {
    by_id(id).unwrap_or_else(|| panic!("no preset {id}"))
}

fn form_pairs(body: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(body.as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

fn has_pair(pairs: &[(String, String)], name: &str, value: &str) -> bool {
    pairs.iter().any(|(n, v)| n == name && v == value)
}

/// Instagram documents the code exchange's answer as `{"data": [{"access_token" …}]}`
/// (reference/access_token): the preset must read the token there.
#[test]
fn instagram_reads_the_documented_wrapped_answer() {
    let settings = &preset("instagram").settings;
    let body = r#"{"data": [{"access_token": "IGQ-short-lived", "user_id": "17841400000000000", "permissions": "instagram_business_basic"}]}"#;
    let response = parse_endpoint_response(&settings.token, 200, Some("application/json"), body)
        .expect("the documented shape gives a token");
    assert_eq!(response.access_token, "IGQ-short-lived");
    // The flat shape Instagram also sends.
    let flat = r#"{"access_token": "IGQ-flat", "user_id": 1, "permissions": ["instagram_business_basic"]}"#;
    let response = parse_endpoint_response(&settings.token, 200, None, flat).expect("flat too");
    assert_eq!(response.access_token, "IGQ-flat");
}

/// The refresh (`ig_refresh_token`) works only on the 60-day token, so the short-lived one must be
/// exchanged first (`ig_exchange_token`, with the app secret) and the refresh must send the result.
#[test]
fn instagram_refreshes_the_long_lived_token_from_the_follow_up_exchange() {
    let settings = &preset("instagram").settings;
    let vars = sample::vars_for(preset("instagram"));
    let short = parse_endpoint_response(
        &settings.token,
        200,
        None,
        r#"{"data": [{"access_token": "IGQ-short", "user_id": "1"}]}"#,
    )
    .unwrap();
    let request = follow_up_request(settings, &vars, &short)
        .expect("Instagram has a follow-up exchange")
        .expect("it builds");
    let url = url::Url::parse(&request.url).unwrap();
    assert_eq!(url.host_str(), Some("graph.instagram.com"));
    assert_eq!(url.path(), "/access_token");
    let query = form_pairs(url.query().unwrap_or_default());
    assert!(
        has_pair(&query, "grant_type", "ig_exchange_token"),
        "{query:?}"
    );
    assert!(has_pair(&query, "access_token", "IGQ-short"), "{query:?}");
    assert!(
        has_pair(&query, "client_secret", "sample-client-secret"),
        "{query:?}"
    );

    let long = parse_endpoint_response(
        settings.follow_up.as_ref().unwrap(),
        200,
        None,
        r#"{"access_token": "IGQ-long", "token_type": "bearer", "expires_in": 5183944}"#,
    )
    .unwrap();
    let tokens = merge(short, long);
    assert_eq!(tokens.access_token, "IGQ-long");
    assert_eq!(tokens.expires_in, Some(5_183_944));
    let mut vars = vars;
    vars.set("token", tokens.access_token);
    let refresh = refresh_request(settings, &vars).unwrap();
    let query = form_pairs(
        url::Url::parse(&refresh.url)
            .unwrap()
            .query()
            .unwrap_or_default(),
    );
    assert!(
        has_pair(&query, "grant_type", "ig_refresh_token"),
        "{query:?}"
    );
    assert!(has_pair(&query, "access_token", "IGQ-long"), "{query:?}");
}

#[test]
fn instagram_notes_no_longer_send_the_user_away_for_the_exchange() {
    let notes = &preset("instagram").notes.after_token;
    assert!(!notes.contains("both shapes are accepted"), "{notes}");
    assert!(!notes.contains("right away: GET"), "{notes}");
    assert!(notes.contains("ig_exchange_token"), "{notes}");
    // An error in the wrapped shape's place is still an error.
    let settings = &preset("instagram").settings;
    let error = parse_endpoint_response(
        &settings.token,
        400,
        None,
        r#"{"error_type": "OAuthException", "code": 400, "error_message": "Invalid authorization code"}"#,
    )
    .unwrap_err();
    assert!(matches!(error, TokenError::OAuth { .. }), "{error:?}");
}

/// Criteo: once PKCE is on for an app, every token request must carry `code_verifier`
/// (criteo-apis/docs/oauth-app-authorization-code-pkce-setup); without PKCE it is left out.
#[test]
fn criteo_sends_the_code_verifier_whenever_pkce_is_on() {
    let settings = &preset("criteo").settings;
    let with_pkce = sample::vars_for(preset("criteo"));
    let body = token_request(settings, &with_pkce).unwrap().body.unwrap();
    assert!(
        has_pair(&form_pairs(&body), "code_verifier", sample::CODE_VERIFIER),
        "{body}"
    );
    let mut without = with_pkce;
    without.set("code_verifier", "");
    let body = token_request(settings, &without).unwrap().body.unwrap();
    assert!(!body.contains("code_verifier"), "{body}");
}

/// Pinterest: the 365-day refresh token is no longer issued; refresh tokens last 60 days and are
/// renewed at every refresh, and apps from before 2025-09-25 must send `continuous_refresh=true`.
#[test]
fn pinterest_refresh_is_continuous_with_sixty_day_tokens() {
    let pinterest = preset("pinterest");
    assert!(
        !pinterest.notes.lifetimes.contains("365 days (refresh"),
        "{}",
        pinterest.notes.lifetimes
    );
    assert!(
        pinterest.notes.lifetimes.contains("60 days"),
        "{}",
        pinterest.notes.lifetimes
    );
    let request = refresh_request(&pinterest.settings, &sample::vars_for(pinterest)).unwrap();
    let body = request.body.unwrap();
    assert!(
        has_pair(&form_pairs(&body), "continuous_refresh", "true"),
        "{body}"
    );
    assert!(
        pinterest.notes.after_token.contains("25 September 2025"),
        "the notes say which apps need it"
    );
}

/// Dayforce: configuration and training environments use `dfidconfig.np`, test and stage
/// `dfidtst.np`, production `dfid` (Dayforce developer network, token-based authentication).
#[test]
fn dayforce_names_the_identity_host_of_every_environment() {
    let dayforce = preset("dayforce");
    let host = dayforce
        .settings
        .variables
        .iter()
        .find(|spec| spec.name == "identity_host")
        .expect("identity_host variable");
    assert_eq!(host.default, "dfid");
    assert!(
        host.help
            .contains("`dfidconfig.np` for configuration and training"),
        "{}",
        host.help
    );
    assert!(
        host.help.contains("`dfidtst.np` for test and stage"),
        "{}",
        host.help
    );
    assert!(
        !dayforce
            .notes
            .after_token
            .contains("Test and configuration environments use the test identity service")
    );
    let mut vars = sample::vars_for(dayforce);
    vars.set("identity_host", "dfidconfig.np");
    let request = token_request(&dayforce.settings, &vars).unwrap();
    assert_eq!(
        request.url,
        "https://dfidconfig.np.dayforcehcm.com/connect/token"
    );
}

/// ConstantContact: both refresh token kinds lapse after 180 days without use.
#[test]
fn constant_contact_refresh_tokens_lapse_when_unused() {
    let lifetimes = &preset("constant-contact").notes.lifetimes;
    assert!(!lifetimes.contains("no expiry"), "{lifetimes}");
    assert!(lifetimes.contains("180 days"), "{lifetimes}");
}

/// HubSpot retires the v1 OAuth endpoints on 16 February 2027 (changelog "v1 OAuth API
/// Deprecation"); codes and refresh tokens go to the date-versioned `/oauth/2026-03/token`.
#[test]
fn hubspot_uses_the_versioned_token_endpoint() {
    let hubspot = preset("hubspot");
    let vars = sample::vars_for(hubspot);
    for request in [
        token_request(&hubspot.settings, &vars).unwrap(),
        refresh_request(&hubspot.settings, &vars).unwrap(),
    ] {
        assert_eq!(request.url, "https://api.hubapi.com/oauth/2026-03/token");
    }
}

/// Shopify: public apps must use expiring offline tokens (asked for with `expiring=1`, one hour,
/// renewed with a refresh token); from 1 January 2027 non-expiring ones are refused.
#[test]
fn shopify_asks_for_an_expiring_offline_token_and_refreshes_it() {
    let shopify = preset("shopify");
    let vars = sample::vars_for(shopify);
    let body = token_request(&shopify.settings, &vars)
        .unwrap()
        .body
        .unwrap();
    assert!(has_pair(&form_pairs(&body), "expiring", "1"), "{body}");
    let refresh = refresh_request(&shopify.settings, &vars).unwrap();
    let body = refresh.body.unwrap();
    let pairs = form_pairs(&body);
    assert!(has_pair(&pairs, "grant_type", "refresh_token"), "{body}");
    assert!(
        has_pair(&pairs, "refresh_token", "sample-refresh-token"),
        "{body}"
    );
    assert!(
        !shopify.notes.lifetimes.contains("No refresh token"),
        "{}",
        shopify.notes.lifetimes
    );
}

/// Slack's oauth.v2.access reference: "avoid sending client_id and client_secret as parameters …
/// supply the Client ID and Client Secret using the HTTP Basic authentication scheme".
#[test]
fn slack_sends_the_client_credentials_by_basic_auth() {
    let slack = preset("slack");
    let vars = sample::vars_for(slack);
    for request in [
        token_request(&slack.settings, &vars).unwrap(),
        refresh_request(&slack.settings, &vars).unwrap(),
    ] {
        let body = request.body.clone().unwrap();
        assert!(!body.contains("client_secret"), "{body}");
        assert!(
            request
                .headers
                .iter()
                .any(|(name, value)| name == "Authorization" && value.starts_with("Basic ")),
            "{:?}",
            request.headers
        );
    }
}

/// Zoho CRM's "Token Validity" page: a grant token (code) lasts three minutes by default; Google's
/// "Refresh token expiration" names a limit per client and account but no number.
#[test]
fn zoho_code_lifetime_and_google_refresh_limit_follow_the_pages() {
    let zoho = &preset("zoho-crm").notes.lifetimes;
    assert!(zoho.contains("3 minutes"), "{zoho}");
    assert!(!zoho.contains("2 minutes"), "{zoho}");
    for id in ["google-cloud", "youtube"] {
        let google = preset(id);
        assert!(
            !google.notes.after_token.contains("100"),
            "{id}: {}",
            google.notes.after_token
        );
        for error in &google.errors {
            assert!(!error.fix.contains("over 100"), "{id}: {}", error.fix);
        }
    }
}
