use super::*;
use crate::token::parse_token_response;

fn entry(code: &str, description: &str, status: Option<u16>) -> KnownError {
    KnownError {
        code: code.to_owned(),
        description: description.to_owned(),
        status,
        fix: "Do this.".to_owned(),
        redirect: false,
        example: "{}".to_owned(),
        example_status: 400,
    }
}

fn answer_to(status: u16, body: &str) -> TokenError {
    parse_token_response(status, None, body).unwrap_err()
}

#[test]
fn a_description_substring_matches_without_case() {
    let error = answer_to(
        401,
        r#"{"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."}"#,
    );
    let known = [entry("", "aadsts7000215", None)];
    assert!(explain(&known, &ErrorAnswer::of(&error)).is_some());
    let other = answer_to(
        400,
        r#"{"error": "invalid_client", "error_description": "AADSTS700016: not found"}"#,
    );
    assert!(explain(&known, &ErrorAnswer::of(&other)).is_none());
}

#[test]
fn every_given_matcher_must_hold() {
    let error = answer_to(
        400,
        r#"{"error": "invalid_grant", "error_description": "Token has been expired or revoked."}"#,
    );
    let answer = ErrorAnswer::of(&error);
    assert!(entry("invalid_grant", "expired or revoked", Some(400)).matches(&answer));
    assert!(entry("INVALID_GRANT", "", None).matches(&answer));
    assert!(!entry("invalid_grant", "", Some(401)).matches(&answer));
    assert!(!entry("invalid_client", "expired or revoked", None).matches(&answer));
    assert!(!entry("invalid_grant", "Bad Request", None).matches(&answer));
    assert!(
        !entry("", "", Some(400)).matches(&answer),
        "a status alone matches nothing"
    );
}

#[test]
fn the_first_matching_entry_wins() {
    let error = answer_to(
        400,
        r#"{"error": "invalid_grant", "error_description": "Bad Request"}"#,
    );
    let known = [
        entry("invalid_grant", "expired or revoked", None),
        entry("invalid_grant", "bad request", None),
        entry("invalid_grant", "", None),
    ];
    let found = explain(&known, &ErrorAnswer::of(&error)).unwrap();
    assert_eq!(found.description, "bad request");
}

#[test]
fn a_page_instead_of_an_oauth_error_is_matched_on_its_text() {
    let error = answer_to(
        400,
        "<html><body>Error 400: redirect_uri_mismatch</body></html>",
    );
    assert!(matches!(error, TokenError::Http { .. }));
    assert!(entry("", "redirect_uri_mismatch", Some(400)).matches(&ErrorAnswer::of(&error)));
}

#[test]
fn a_missing_token_matches_nothing() {
    let error = parse_token_response(200, None, r#"{"token": "x"}"#).unwrap_err();
    assert!(!entry("", "token", None).matches(&ErrorAnswer::of(&error)));
}

#[test]
fn check_names_each_problem() {
    assert!(entry("invalid_grant", "", None).check().is_empty());
    let mut bad = entry("", " ", Some(600));
    bad.fix = "two\nlines".to_owned();
    bad.example = String::new();
    bad.example_status = 99;
    let problems = bad.check();
    assert_eq!(problems.len(), 5, "{problems:?}");
    assert!(problems[0].contains("neither `code` nor `description`"));
    assert!(problems[1].contains("one line"));
    assert!(problems[2].contains("`status` 600"));
    assert!(problems[3].contains("`example-status` 99"));
    assert!(problems[4].contains("`example` is empty"));
}
