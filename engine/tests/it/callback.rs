//! Callback parser properties.

use engine::callback::{CallbackError, MAX_CALLBACK_LEN, parse_callback};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// Whatever the input, the parser answers: a usable code, or an error with a message.
fn check_outcome(input: &str, state: Option<&str>) -> Result<(), TestCaseError> {
    match parse_callback(input, state) {
        Ok(callback) => {
            prop_assert!(!callback.code.is_empty());
            prop_assert!(
                !callback
                    .code
                    .chars()
                    .any(|c| c.is_control() || c.is_whitespace())
            );
            if let (Some(expected), Some(got)) = (state, &callback.state) {
                prop_assert_eq!(expected, got.as_str());
            }
        }
        Err(error) => prop_assert!(!error.to_string().is_empty()),
    }
    Ok(())
}

proptest! {
    #[test]
    fn never_panics(input in any::<String>(), state in proptest::option::of(any::<String>())) {
        check_outcome(&input, state.as_deref())?;
    }

    #[test]
    fn never_panics_on_callback_like_input(
        input in "(https?://[a-z.:0-9]{0,12}/?)?[?#]?((code|state|error|iss|_)=?[a-zA-Z0-9%&=#+_ ]{0,12}&?){0,4}",
    ) {
        check_outcome(&input, Some("s"))?;
        check_outcome(&input, None)?;
    }

    #[test]
    fn round_trips_encoded_parameters(
        code in "[!-~&&[^#]]{1,40}",
        state in crate::value(),
        realm in crate::value(),
    ) {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("code", &code)
            .append_pair("state", &state)
            .append_pair("realmId", &realm)
            .finish();
        let callback = parse_callback(&format!("https://app.example/cb?{query}"), Some(&state)).unwrap();
        prop_assert_eq!(callback.code, code);
        prop_assert_eq!(callback.state, Some(state));
        prop_assert_eq!(callback.params.get("realmId"), Some(&realm));
    }

    #[test]
    fn a_different_state_is_always_refused(code in "[a-zA-Z0-9]{1,20}", sent in "[a-zA-Z0-9]{1,20}", got in "[a-zA-Z0-9]{1,20}") {
        prop_assume!(sent != got);
        let result = parse_callback(&format!("?code={code}&state={got}"), Some(&sent));
        prop_assert_eq!(result.unwrap_err(), CallbackError::StateMismatch);
    }

    #[test]
    fn oversized_input_is_refused(extra in 1usize..64) {
        let input = "a".repeat(MAX_CALLBACK_LEN + extra);
        prop_assert_eq!(parse_callback(&input, None).unwrap_err(), CallbackError::TooLong);
    }
}
