use std::time::Duration;

use super::*;

fn tokens(obtained: u64, expires: Option<u64>) -> Tokens {
    Tokens {
        access_token: Some("at".to_owned()),
        obtained_at_ms: Some(obtained),
        expires_at_ms: expires,
        refresh_token: Some("rt".to_owned()),
        ..Tokens::default()
    }
}

#[test]
fn margin_is_five_minutes_or_a_tenth_of_a_short_lifetime() {
    assert_eq!(default_margin(Some(3_600_000)), DEFAULT_MARGIN);
    assert_eq!(default_margin(Some(60_000)), Duration::from_secs(6));
    assert_eq!(default_margin(Some(1_000)), Duration::from_millis(100));
    assert_eq!(default_margin(None), DEFAULT_MARGIN);
}

#[test]
fn an_hour_token_is_refreshed_five_minutes_before_it_expires() {
    let hour = tokens(0, Some(3_600_000));
    assert!(hour.is_fresh(3_600_000 - 300_001, None));
    assert!(!hour.is_fresh(3_600_000 - 300_000, None));
    assert!(!hour.is_fresh(3_600_000 + 1, None));
}

#[test]
fn a_one_second_token_is_fresh_for_nine_tenths_of_its_life() {
    let short = tokens(10_000, Some(11_000));
    assert!(short.is_fresh(10_899, None));
    assert!(!short.is_fresh(10_900, None));
}

#[test]
fn min_ttl_overrides_the_margin() {
    let hour = tokens(0, Some(3_600_000));
    assert!(!hour.is_fresh(1_000_000, Some(Duration::from_secs(3000))));
    assert!(hour.is_fresh(1_000_000, Some(Duration::from_secs(60))));
}

#[test]
fn no_access_token_is_never_fresh_and_no_expiry_always_is() {
    let mut none = tokens(0, Some(u64::MAX));
    none.access_token = None;
    assert!(!none.is_fresh(0, None));
    none.access_token = Some(String::new());
    assert!(!none.is_fresh(0, None));
    assert!(tokens(0, None).is_fresh(u64::MAX / 2, None));
}

#[test]
fn a_response_without_refresh_token_keeps_the_old_one() {
    let response = engine::token::parse_token_response(
        200,
        Some("application/json"),
        r#"{"access_token":"new","expires_in":60}"#,
    )
    .unwrap();
    let kept = Tokens::from_response(response, Some("old-rt"), 1_000, 7);
    assert_eq!(kept.refresh_token.as_deref(), Some("old-rt"));
    assert_eq!(kept.access_token.as_deref(), Some("new"));
    assert_eq!(kept.expires_at_ms, Some(61_000));
    assert_eq!(kept.generation, 7);

    let rotated = engine::token::parse_token_response(
        200,
        None,
        r#"{"access_token":"new","refresh_token":"rotated"}"#,
    )
    .unwrap();
    let rotated = Tokens::from_response(rotated, Some("old-rt"), 1_000, 8);
    assert_eq!(rotated.refresh_token.as_deref(), Some("rotated"));
    assert_eq!(rotated.expires_at_ms, None);
}

#[test]
fn debug_hides_tokens_and_secrets() {
    let text = format!("{:?}", tokens(0, None));
    assert!(
        !text.contains("\"at\"") && !text.contains("\"rt\""),
        "{text}"
    );
    let mut profile = sample();
    profile
        .values
        .insert("client_secret".to_owned(), "hush".to_owned());
    let text = format!("{profile:?}");
    assert!(!text.contains("hush") && !text.contains("\"rt\""), "{text}");
    assert!(
        text.contains("\"id\""),
        "non-secret values are shown: {text}"
    );
}

fn sample() -> Profile {
    Profile {
        format_version: PROFILE_FORMAT_VERSION,
        preset_id: Some("google-cloud".to_owned()),
        settings: presets::by_id("google-cloud").unwrap().settings.clone(),
        values: [("client_id".to_owned(), "id".to_owned())].into(),
        tokens: tokens(1, Some(2)),
    }
}

#[test]
fn a_profile_round_trips() {
    let profile = sample();
    assert_eq!(
        Profile::from_json(&profile.to_json(), "x").unwrap(),
        profile
    );
}

#[test]
fn a_damaged_profile_names_the_file_and_the_place() {
    let json = sample().to_json();
    let truncated = &json[..json.len() / 2];
    let error = Profile::from_json(truncated, "/store/work.json").unwrap_err();
    let message = error.to_string();
    assert!(message.contains("/store/work.json"), "{message}");
    assert!(message.contains("line "), "{message}");
    assert!(message.contains("untouched"), "{message}");
    assert_eq!(error.exit_code(), crate::EXIT_USAGE);

    let misspelt = json.replace("\"refresh-token\"", "\"refresh_tokn\"");
    let message = Profile::from_json(&misspelt, "/store/work.json")
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("unknown field `refresh_tokn`"),
        "{message}"
    );
    assert!(
        !message.contains("\"rt\""),
        "no token in the message: {message}"
    );

    let newer = json.replace("\"format-version\": 1", "\"format-version\": 9");
    let message = Profile::from_json(&newer, "/store/work.json")
        .unwrap_err()
        .to_string();
    assert!(message.contains("format version 9"), "{message}");
    let message = Profile::from_json("", "/store/work.json")
        .unwrap_err()
        .to_string();
    assert!(message.contains("/store/work.json"), "{message}");
}

#[test]
fn a_token_typed_into_the_wrong_field_is_not_echoed() {
    let json = sample()
        .to_json()
        .replace("\"generation\": 0", "\"generation\": \"mock-rt-secret\"");
    let message = Profile::from_json(&json, "/store/work.json")
        .unwrap_err()
        .to_string();
    assert!(!message.contains("mock-rt-secret"), "{message}");
    assert!(message.contains("invalid type: string \"…\""), "{message}");
}

#[test]
fn names_are_file_and_key_safe() {
    for good in ["work", "gh.ci", "a_b-c", "X1"] {
        assert!(check_name(good).is_ok(), "{good}");
    }
    for bad in ["", ".hidden", "a/b", "a b", "{x}", "ü", &"x".repeat(65)] {
        let error = check_name(bad).unwrap_err();
        assert_eq!(error.exit_code(), crate::EXIT_USAGE, "{bad}");
    }
}

#[test]
fn durations() {
    assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
    assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
    assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
    assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
    for bad in ["", "m", "5x", "-1", "1.5m", "99999999999999999999", "9000h"] {
        assert!(
            parse_duration(bad).unwrap_err().contains("not a duration"),
            "{bad}"
        );
    }
}
