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
}
