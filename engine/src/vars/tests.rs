//! Tests of `vars`.

use super::*;

#[test]
fn set_get_and_replace() {
    let mut vars = Vars::new();
    vars.set("client_id", "a").set("tenant", "t");
    vars.set("client_id", "b");
    assert_eq!(vars.get("client_id"), Some("b"));
    assert_eq!(vars.get("tenant"), Some("t"));
    assert_eq!(vars.get("missing"), None);
    assert!(vars.contains("tenant"));
    assert_eq!(vars.remove("tenant").as_deref(), Some("t"));
    assert!(!vars.contains("tenant"));
    assert_eq!(
        Vars::new().with("a", "1").iter().collect::<Vec<_>>(),
        [("a", "1")]
    );
}

#[test]
fn lists_are_consistent() {
    assert_eq!(STANDARD_VARIABLES.len(), 13);
    for secret in SECRET_VARIABLES {
        assert!(STANDARD_VARIABLES.contains(secret), "{secret}");
        assert!(is_secret(secret));
    }
    assert!(!is_secret("client_id"));
    assert!(!is_secret("state"));
}

#[test]
fn debug_masks_secret_values() {
    let vars = Vars::new()
        .with("client_secret", "hunter2")
        .with("client_id", "public-id")
        .with("code", "");
    let debug = format!("{vars:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("public-id"), "{debug}");
}

#[test]
fn secret_values_longest_first_without_empties() {
    let vars = Vars::new()
        .with("code", "abc")
        .with("client_secret", "abcdef")
        .with("token", "")
        .with("client_id", "not-a-secret-but-long");
    assert_eq!(vars.secret_values(), ["abcdef", "abc"]);
}

#[test]
fn serializes_as_a_plain_map() {
    let vars = Vars::new().with("a", "1");
    assert_eq!(serde_json::to_string(&vars).unwrap(), r#"{"a":"1"}"#);
    assert_eq!(serde_json::from_str::<Vars>(r#"{"a":"1"}"#).unwrap(), vars);
}

#[test]
fn masked_hides_only_the_secrets_that_are_set() {
    let vars = Vars::new()
        .with("client_id", "my-app")
        .with("client_secret", "s")
        .with("code", "")
        .with("refresh_token", "rt-123");
    let masked = vars.masked();
    assert_eq!(masked.get("client_id"), Some("my-app"));
    assert_eq!(masked.get("client_secret"), Some(crate::request::MASK));
    assert_eq!(masked.get("refresh_token"), Some(crate::request::MASK));
    // An empty secret stays empty, so the request still says which one is missing.
    assert_eq!(masked.get("code"), Some(""));
}
