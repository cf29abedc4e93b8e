//! Tests of `callback`.

use super::*;

fn ok(input: &str, state: Option<&str>) -> Callback {
    parse_callback(input, state).unwrap_or_else(|error| panic!("{input:?}: {error}"))
}

fn err(input: &str, state: Option<&str>) -> CallbackError {
    parse_callback(input, state).expect_err(input)
}

#[test]
fn full_redirect_url() {
    let callback = ok(
        "https://app.example/callback?code=abc&state=s1&realmId=42&iss=https%3A%2F%2Fas.example",
        Some("s1"),
    );
    assert_eq!(callback.code, "abc");
    assert_eq!(callback.state.as_deref(), Some("s1"));
    assert_eq!(callback.iss.as_deref(), Some("https://as.example"));
    assert_eq!(
        callback.params,
        BTreeMap::from([("realmId".to_owned(), "42".to_owned())])
    );
}

#[test]
fn fragment_and_query_together() {
    let callback = ok(
        "http://localhost:8765/cb?session=1#code=a%2Fb%2Bc&state=s",
        Some("s"),
    );
    assert_eq!(callback.code, "a/b+c");
    assert_eq!(
        callback.params.get("session").map(String::as_str),
        Some("1")
    );
}

#[test]
fn query_fragment_and_pairs_alone() {
    assert_eq!(ok("?code=q&state=s", Some("s")).code, "q");
    assert_eq!(ok("#code=f&state=s", Some("s")).code, "f");
    assert_eq!(ok("code=p&state=s", Some("s")).code, "p");
    assert_eq!(ok("state=s&code=p", Some("s")).code, "p");
    assert_eq!(ok("localhost:8765/cb?code=x&state=s", Some("s")).code, "x");
    assert_eq!(
        ok("com.example.app:/oauth?code=y&state=s", Some("s")).code,
        "y"
    );
}

#[test]
fn bare_code() {
    let callback = ok("  4/0AeanS0Zabc \n", Some("expected"));
    assert_eq!(callback.code, "4/0AeanS0Zabc");
    assert_eq!(callback.state, None);
    assert!(callback.params.is_empty());
    // Copied out of an address bar, still percent-encoded.
    assert_eq!(ok("4%2F0AeanS0Z", None).code, "4/0AeanS0Z");
    // Base64 padding is not a query.
    assert_eq!(ok("YWJjZA==", None).code, "YWJjZA==");
}

#[test]
fn facebook_and_instagram_trailing_junk_is_stripped() {
    assert_eq!(ok("AQDx1#_", None).code, "AQDx1");
    assert_eq!(ok("AQDx1#_=_", None).code, "AQDx1");
    assert_eq!(
        ok("https://app.example/cb?code=AQDx2&state=s#_=_", Some("s")).code,
        "AQDx2"
    );
    assert_eq!(ok("code=AQDx3#_&state=s", Some("s")).code, "AQDx3");
    assert_eq!(
        ok("https://app.example/cb?code=AQDx4%23_&state=s", Some("s")).code,
        "AQDx4"
    );
}

#[test]
fn provider_errors_are_shown_clearly() {
    let error = err(
        "https://app.example/cb?error=access_denied&error_description=The+user+said+no&error_uri=https%3A%2F%2Fdocs&state=s",
        Some("s"),
    );
    assert_eq!(
        error,
        CallbackError::Provider {
            error: "access_denied".into(),
            description: Some("The user said no".into()),
            uri: Some("https://docs".into()),
        }
    );
    assert_eq!(
        error.to_string(),
        "The service refused the authorization: access_denied — The user said no (more: https://docs)"
    );
    // Some services drop the state from errors; the error is still the useful message.
    assert_eq!(
        err("?error=invalid_scope", Some("s")).to_string(),
        "The service refused the authorization: invalid_scope"
    );
}

#[test]
fn duplicated_parameters_are_refused() {
    assert_eq!(
        err("?code=a&code=b&state=s", Some("s")),
        CallbackError::Duplicate("code".into())
    );
    assert_eq!(
        err("?code=a&state=s#state=s", Some("s")),
        CallbackError::Duplicate("state".into())
    );
    assert!(
        err("?code=a&code=b", None)
            .to_string()
            .contains("`code` appears more than once")
    );
}

#[test]
fn state_is_checked() {
    assert_eq!(
        err("?code=a&state=other", Some("mine")),
        CallbackError::StateMismatch
    );
    assert_eq!(
        err("?code=a&state=min", Some("mine")),
        CallbackError::StateMismatch
    );
    assert_eq!(err("?code=a", Some("mine")), CallbackError::MissingState);
    assert_eq!(
        err("?error=x&state=other", Some("mine")),
        CallbackError::StateMismatch
    );
    // Without an authorization in progress a state matches nothing; a bare code has none.
    assert_eq!(
        err("?code=a&state=any", None),
        CallbackError::NoAuthorizationInProgress
    );
    assert_eq!(
        err("https://app.example/cb?code=a&state=any", None),
        CallbackError::NoAuthorizationInProgress
    );
    assert_eq!(ok("?code=a", None).state, None);
}

#[test]
fn missing_code_and_bad_codes() {
    assert_eq!(err("?state=s", Some("s")), CallbackError::MissingCode);
    assert_eq!(err("?code=&state=s", Some("s")), CallbackError::MissingCode);
    assert_eq!(
        err("https://app.example/cb", None),
        CallbackError::MissingCode
    );
    assert_eq!(err("#_=_", None), CallbackError::MissingCode);
    assert_eq!(
        err("?code=a%0Ab&state=s", Some("s")),
        CallbackError::InvalidCode('\n')
    );
    assert_eq!(err("two words", None), CallbackError::InvalidCode(' '));
    assert_eq!(
        err("abc\u{202E}fed", None),
        CallbackError::InvalidCode('\u{202E}')
    );
    assert_eq!(err("caf\u{e9}", None), CallbackError::InvalidCode('é'));
    assert_eq!(
        err("abc\u{202E}fed", None).to_string(),
        "The code contains U+202E (right-to-left override), which no authorization code has \
         (only visible ASCII characters); paste only the code itself"
    );
    assert_eq!(
        err("javascript:alert(1)", None),
        CallbackError::NotACode("javascript".into())
    );
    assert_eq!(
        err("DATA:text/html,x", None),
        CallbackError::NotACode("data".into())
    );
    // Codes with `:` or `/` in them are still codes.
    assert_eq!(ok("4/0AbC:xyz", None).code, "4/0AbC:xyz");
    assert_eq!(err("   ", None), CallbackError::Empty);
}

#[test]
fn input_length_is_capped() {
    let long = format!("?code={}", "a".repeat(MAX_CALLBACK_LEN));
    assert_eq!(err(&long, None), CallbackError::TooLong);
    assert!(CallbackError::TooLong.to_string().contains("16 KiB"));
    let just_fits = "a".repeat(MAX_CALLBACK_LEN);
    assert_eq!(ok(&just_fits, None).code.len(), MAX_CALLBACK_LEN);
}

#[test]
fn invalid_urls_are_reported() {
    let error = err("https://exa mple.com/cb?code=a", None);
    assert!(matches!(error, CallbackError::InvalidUrl(_)), "{error:?}");
}

#[test]
fn debug_hides_the_code() {
    let debug = format!("{:?}", ok("?code=secret-code&state=s", Some("s")));
    assert!(!debug.contains("secret-code"), "{debug}");
}

#[test]
fn constant_time_comparison() {
    assert!(constant_time_eq(b"abc", b"abc"));
    assert!(!constant_time_eq(b"abc", b"abd"));
    assert!(!constant_time_eq(b"abc", b"ab"));
    assert!(constant_time_eq(b"", b""));
}

#[test]
fn issuer_check() {
    let callback = ok("?code=a&state=s&iss=https%3A%2F%2Fas.example", Some("s"));
    assert_eq!(callback.check_issuer("https://as.example", true), Ok(()));
    let error = callback
        .check_issuer("https://other.example", false)
        .unwrap_err();
    assert_eq!(
        error,
        CallbackError::IssuerMismatch {
            expected: "https://other.example".into(),
            found: "https://as.example".into()
        }
    );
    let without = ok("?code=a&state=s", Some("s"));
    assert_eq!(without.check_issuer("https://as.example", false), Ok(()));
    assert!(matches!(
        without.check_issuer("https://as.example", true),
        Err(CallbackError::IssuerMismatch { .. })
    ));
}
