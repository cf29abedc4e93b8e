//! Tests of `encode`.

use super::*;

#[test]
fn strict_percent_encoding_keeps_only_unreserved() {
    assert_eq!(percent_encode("a-._~Z9"), "a-._~Z9");
    assert_eq!(
        percent_encode("/?#@:%& +="),
        "%2F%3F%23%40%3A%25%26%20%2B%3D"
    );
    assert_eq!(percent_encode("é"), "%C3%A9");
}

#[test]
fn query_component_writes_spaces_as_asked() {
    assert_eq!(
        query_component("a b+c", SpaceEncoding::Percent20),
        "a%20b%2Bc"
    );
    assert_eq!(query_component("a b+c", SpaceEncoding::Plus), "a+b%2Bc");
}

#[test]
fn form_component_uses_plus_for_space() {
    assert_eq!(form_component("a b&c=d+e"), "a+b%26c%3Dd%2Be");
}

#[test]
fn json_string_content_escapes_quotes_and_controls() {
    assert_eq!(json_string_content("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    assert_eq!(json_string_content("plain"), "plain");
}

#[test]
fn header_breaks_and_names() {
    assert!(has_header_break("a\r\nb"));
    assert!(has_header_break("a\nb"));
    assert!(has_header_break("a\0b"));
    assert!(!has_header_break("Bearer abc"));
    assert!(is_header_name("X-Api-Key"));
    assert!(!is_header_name("X Api"));
    assert!(!is_header_name("X:Api"));
    assert!(!is_header_name(""));
}
