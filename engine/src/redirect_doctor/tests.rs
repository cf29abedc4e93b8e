use super::*;

fn only(sent: &str, registered: &str) -> Difference {
    let differences = compare(sent, registered, false);
    assert_eq!(
        differences.len(),
        1,
        "{sent} vs {registered}: {differences:?}"
    );
    differences.into_iter().next().unwrap()
}

#[test]
fn the_same_uri_has_no_difference() {
    assert!(compare("https://a.example/cb", " https://a.example/cb ", false).is_empty());
}

#[test]
fn a_trailing_slash_is_named_with_its_side() {
    assert_eq!(
        only(
            "http://127.0.0.1:8787/callback/",
            "http://127.0.0.1:8787/callback"
        ),
        Difference::TrailingSlash { sent_has_it: true }
    );
    assert_eq!(
        only("https://a.example", "https://a.example/"),
        Difference::TrailingSlash { sent_has_it: false }
    );
    assert!(
        only("https://a.example/cb", "https://a.example/cb/")
            .message()
            .contains("registered URI ends with “/”")
    );
}

#[test]
fn the_scheme_is_named() {
    let found = compare("http://a.example/cb", "https://a.example/cb", false);
    assert!(
        found.contains(&Difference::Scheme {
            sent: "http".into(),
            registered: "https".into()
        }),
        "{found:?}"
    );
    assert!(
        found[0]
            .message()
            .contains("http:// is sent, https:// is registered")
    );
}

#[test]
fn the_port_is_named_unless_the_service_ignores_it_for_loopback() {
    assert_eq!(
        only("http://127.0.0.1:8787/cb", "http://127.0.0.1:9000/cb"),
        Difference::Port {
            sent: 8787,
            registered: 9000
        }
    );
    assert!(compare("http://127.0.0.1:8787/cb", "http://127.0.0.1:9000/cb", true).is_empty());
    assert_eq!(
        compare("https://a.example:8443/cb", "https://a.example/cb", true),
        [Difference::Port {
            sent: 8443,
            registered: 443
        }],
        "only loopback ports are ignored"
    );
}

#[test]
fn localhost_against_127_0_0_1_is_a_spelling_of_the_same_machine() {
    let found = only("http://localhost:8787/cb", "http://127.0.0.1:8787/cb");
    assert!(
        matches!(
            found,
            Difference::Host {
                loopback_spelling: true,
                ..
            }
        ),
        "{found:?}"
    );
    assert!(found.message().contains("Both name this computer"));
    let other = only("https://app.example.com/cb", "https://app.exmple.com/cb");
    assert!(matches!(
        other,
        Difference::Host {
            loopback_spelling: false,
            ..
        }
    ));
    assert!(other.message().contains("“app.exmple.com” is registered"));
}

#[test]
fn a_path_that_differs_in_case_only_is_named_so() {
    assert!(matches!(
        only("https://a.example/Callback", "https://a.example/callback"),
        Difference::PathCase { .. }
    ));
    assert!(matches!(
        only("https://a.example/callback", "https://a.example/auth"),
        Difference::Path { .. }
    ));
}

#[test]
fn the_query_and_a_value_that_is_no_uri_are_named() {
    assert_eq!(
        only("https://a.example/cb?x=1", "https://a.example/cb"),
        Difference::Query
    );
    assert_eq!(
        compare("https://a.example/cb", "a.example/cb", false),
        [Difference::NotAUri]
    );
}

#[test]
fn several_differences_are_all_named() {
    let found = compare(
        "http://localhost:8787/Callback/",
        "https://127.0.0.1/callback",
        false,
    );
    assert_eq!(found.len(), 4, "{found:?}");
}

#[test]
fn rules_name_what_the_service_refuses() {
    let rules = RedirectRules {
        loopback: LoopbackRule::IpOnly,
        ..RedirectRules::default()
    };
    assert!(rules.problems("http://127.0.0.1:8787/cb").is_empty());
    assert!(rules.problems("http://localhost:8787/cb")[0].contains("refuses “localhost”"));
    assert!(rules.problems("http://app.example/cb")[0].contains("requires https"));
    let strict = RedirectRules {
        https: HttpsRule::Always,
        loopback: LoopbackRule::None,
        ..RedirectRules::default()
    };
    let problems = strict.problems("http://127.0.0.1/cb");
    assert_eq!(problems.len(), 2, "{problems:?}");
    let names = RedirectRules {
        loopback: LoopbackRule::LocalhostOnly,
        ..RedirectRules::default()
    };
    assert!(names.problems("http://[::1]:80/cb")[0].contains("accepts “localhost”"));
}

#[test]
fn rules_are_described_and_checked() {
    let rules = RedirectRules {
        console_url: "https://console.example/app".into(),
        any_loopback_port: true,
        ..RedirectRules::default()
    };
    assert!(rules.check().is_empty());
    assert_eq!(rules.describe().len(), 3);
    assert!(rules.describe()[2].contains("may differ"));
    let bad = RedirectRules {
        console_url: "http://console.example".into(),
        ..RedirectRules::default()
    };
    assert!(bad.check()[0].contains("not an https:// link"));
}
