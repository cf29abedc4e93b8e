//! The error explainer's data: every known error of every preset is picked for its own example
//! answer, parsed by the same token parser the wizard uses.

use engine::explain::{ErrorAnswer, explain};
use engine::token::parse_token_response;
use presets::{all, by_id};

#[test]
fn every_known_error_is_picked_for_its_example() {
    let mut checked = 0;
    for preset in all() {
        for (index, entry) in preset.errors.iter().enumerate() {
            let error = parse_token_response(entry.example_status, None, &entry.example)
                .err()
                .unwrap_or_else(|| {
                    panic!("{} errors[{index}]: the example gives a token", preset.id)
                });
            let found = explain(&preset.errors, &ErrorAnswer::of(&error));
            assert!(
                found.is_some_and(|found| std::ptr::eq(found, entry)),
                "{} errors[{index}]: its example {error} picks {:?}",
                preset.id,
                found.map(|found| &found.fix)
            );
            checked += 1;
        }
    }
    assert!(checked >= 17, "only {checked} known errors");
}

#[test]
fn the_services_named_in_issue_18_explain_their_errors() {
    let fix = |id: &str, status: u16, body: &str| {
        let preset = by_id(id).unwrap();
        let error = parse_token_response(status, None, body).unwrap_err();
        explain(&preset.errors, &ErrorAnswer::of(&error))
            .map(|entry| (entry.fix.clone(), entry.redirect))
    };
    let (secret, _) = fix(
        "microsoft",
        401,
        r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}"#,
    )
    .unwrap();
    assert!(secret.contains("not its Secret ID"), "{secret}");
    let (redirect, is_redirect) = fix(
        "microsoft",
        400,
        r#"{"error":"invalid_request","error_description":"AADSTS50011: The redirect URI 'x' specified in the request does not match"}"#,
    )
    .unwrap();
    assert!(
        is_redirect && redirect.contains("Redirect URIs"),
        "{redirect}"
    );
    for code in ["AADSTS700016", "AADSTS65001", "AADSTS9002326"] {
        let body = format!(r#"{{"error":"invalid_request","error_description":"{code}: …"}}"#);
        assert!(fix("microsoft", 400, &body).is_some(), "{code}");
    }
    let (testing, _) = fix(
        "google-cloud",
        400,
        r#"{"error": "invalid_grant", "error_description": "Token has been expired or revoked."}"#,
    )
    .unwrap();
    assert!(testing.contains("Testing"), "{testing}");
    assert!(fix("youtube", 400, r#"{"error": "redirect_uri_mismatch"}"#).is_some_and(|(_, r)| r));
    assert!(
        fix("quickbooks", 400, r#"{"error": "invalid_grant"}"#)
            .is_some_and(|(f, _)| f.contains("newest"))
    );
    // A preset without entries explains nothing; the generic hint stays.
    assert!(fix("mailchimp", 400, r#"{"error": "invalid_grant"}"#).is_none());
}

/// The redirect doctor's data: where to register and what each service accepts, and a known
/// redirect rejection in the words of each service that has one.
#[test]
fn redirect_doctor_data_for_the_services_that_have_it() {
    use engine::redirect_doctor::LoopbackRule;
    for id in [
        "google-cloud",
        "youtube",
        "microsoft",
        "facebook",
        "linkedin",
    ] {
        let preset = by_id(id).unwrap();
        let rules = preset
            .redirect
            .as_ref()
            .unwrap_or_else(|| panic!("{id}: no [redirect]"));
        assert!(rules.check().is_empty(), "{id}: {:?}", rules.check());
        assert!(
            !rules.console_path.is_empty(),
            "{id}: where on the console page"
        );
        assert!(
            preset.errors.iter().any(|entry| entry.redirect),
            "{id}: no known redirect rejection"
        );
        assert!(
            rules.problems("http://app.example.com/callback")[0].contains("https"),
            "{id}: plain http on a public host is refused"
        );
    }
    let microsoft = by_id("microsoft").unwrap().redirect.as_ref().unwrap();
    assert!(
        microsoft.any_loopback_port,
        "Entra ID ignores the port of a localhost URI"
    );
    let facebook = by_id("facebook").unwrap().redirect.as_ref().unwrap();
    assert_eq!(facebook.loopback, LoopbackRule::LocalhostOnly);
}
