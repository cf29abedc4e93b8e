//! Tests of `scopes`.

use super::*;

fn scopes(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn joins_with_each_separator() {
    let list = scopes(&["openid", "email", "offline_access"]);
    assert_eq!(
        join_scopes(&list, ScopeSeparator::Space),
        "openid email offline_access"
    );
    assert_eq!(
        join_scopes(&list, ScopeSeparator::Comma),
        "openid,email,offline_access"
    );
    assert_eq!(
        join_scopes(&list, ScopeSeparator::Semicolon),
        "openid;email;offline_access"
    );
    // The server receives spaces; the authorization URL writes them as `+`.
    assert_eq!(
        join_scopes(&list, ScopeSeparator::Plus),
        "openid email offline_access"
    );
}

#[test]
fn skips_blank_entries_and_trims() {
    assert_eq!(
        join_scopes(&scopes(&[" a ", "", "  ", "b"]), ScopeSeparator::Comma),
        "a,b"
    );
    assert_eq!(join_scopes(&[], ScopeSeparator::Space), "");
}

#[test]
fn scope_tokens_are_visible_ascii_without_quotes_or_spaces() {
    for good in [
        "openid",
        "offline_access",
        "https://www.googleapis.com/auth/drive",
        "read:user",
    ] {
        assert_eq!(scope_problem(good), None, "{good}");
    }
    assert_eq!(
        scope_problem("read\twrite").as_deref(),
        Some("a scope cannot contain U+0009 (tab)")
    );
    assert!(
        scope_problem("read write")
            .unwrap()
            .contains("a line of its own")
    );
    assert!(scope_problem("say\"hi\"").unwrap().contains("`\"`"));
    assert!(scope_problem("caf\u{e9}").unwrap().contains("U+00E9"));
    assert!(
        scope_problem(&"a".repeat(5000))
            .unwrap()
            .contains("at most 2048")
    );
}

#[test]
fn a_dropped_scope_is_named() {
    assert_eq!(
        super::missing_from_grant("openid read offline_access", Some("read openid")),
        ["offline_access"]
    );
    assert_eq!(
        super::missing_from_grant("a,b", Some("a")),
        ["b"],
        "comma-joined scopes"
    );
    assert!(
        super::missing_from_grant("read", None).is_empty(),
        "not stated"
    );
    assert!(super::missing_from_grant("read", Some("read write")).is_empty());
}

#[test]
fn advice_for_a_dropped_offline_access_names_the_consent_prompt() {
    let missing = vec!["offline_access".to_owned()];
    let advice = super::missing_scope_advice(&missing, None);
    assert_eq!(
        advice,
        "Without offline access no refresh token comes. Services grant it only on a consent screen: add the extra authorization parameter prompt=consent, then run client-flow authorization again and approve every scope."
    );
    let mut google = crate::settings::AuthorizationSettings::blank();
    google.url = "https://accounts.google.com/o/oauth2/v2/auth".to_owned();
    google.params.push(crate::settings::Param {
        name: "prompt".to_owned(),
        value: "consent".to_owned(),
        optional: false,
    });
    let advice = super::missing_scope_advice(&missing, Some(&google));
    assert!(advice.contains("add access_type=offline"), "{advice}");
    assert!(
        !advice.contains("prompt=consent"),
        "it is already sent: {advice}"
    );
}

#[test]
fn advice_for_another_dropped_scope_points_at_the_registration() {
    let advice = super::missing_scope_advice(&["write".to_owned()], None);
    assert!(
        advice.starts_with("The service granted less than was asked"),
        "{advice}"
    );
    assert!(
        advice.contains("check the scopes allowed in the app registration"),
        "{advice}"
    );
}

#[test]
fn the_plus_separator_writes_spaces_as_plus_whatever_the_space_encoding() {
    let mut auth = crate::settings::AuthorizationSettings::blank();
    auth.scopes = vec!["read".to_owned(), "write all".to_owned()];
    auth.scope_separator = crate::settings::ScopeSeparator::Plus;
    auth.space_encoding = crate::settings::SpaceEncoding::Percent20;
    assert_eq!(
        super::scope_space_encoding(&auth),
        crate::settings::SpaceEncoding::Plus
    );
    assert_eq!(
        super::scope_in_url(&auth),
        ("read write all".to_owned(), "read+write+all".to_owned())
    );
    auth.scope_separator = crate::settings::ScopeSeparator::Space;
    assert_eq!(
        super::scope_in_url(&auth),
        ("read write all".to_owned(), "read%20write%20all".to_owned())
    );
    auth.space_encoding = crate::settings::SpaceEncoding::Plus;
    assert_eq!(super::scope_in_url(&auth).1, "read+write+all");
}
