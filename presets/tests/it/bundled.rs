//! Checks of the bundled preset files: all present, all listed, all valid, and each service's
//! quirks in place.

use std::collections::BTreeSet;
use std::path::Path;

use engine::encode::Encoding;
use engine::template::Template;
use engine::{ClientAuth, Credentials, HttpMethod, PkceMethod, ScopeSeparator};
use presets::{Preset, all, bundled_file_names, by_id};

use crate::sample;

/// The services the wizard promises, by id: the first sixteen, the twelve of issue #18 and
/// NetSuite's machine-to-machine flow (issue #15).
const EXPECTED_IDS: [&str; 29] = [
    "business-central-online",
    "business-central-on-premises",
    "constant-contact",
    "criteo",
    "dayforce",
    "facebook",
    "google-cloud",
    "instagram",
    "linkedin",
    "mailchimp",
    "microsoft",
    "netsuite",
    "netsuite-m2m",
    "pinterest",
    "quickbooks",
    "twitter",
    "youtube",
    "salesforce",
    "hubspot",
    "xero",
    "zoho-crm",
    "shopify",
    "slack",
    "github",
    "dropbox",
    "box",
    "atlassian",
    "zoom",
    "docusign",
];

fn data_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

#[test]
fn every_file_in_data_is_bundled_and_every_bundled_file_exists() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(data_dir())
        .expect("data/ is readable")
        .map(|entry| {
            entry
                .expect("directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let bundled: BTreeSet<String> = bundled_file_names()
        .iter()
        .map(|name| (*name).to_owned())
        .collect();
    assert_eq!(
        on_disk, bundled,
        "data/ and the list in src/bundled_list.rs differ"
    );
    assert_eq!(
        bundled.len(),
        bundled_file_names().len(),
        "a file is listed twice"
    );
}

/// What the app reads (build.rs's JSON) is exactly what a direct, strict TOML parse of the files
/// on disk gives: the conversion loses, adds and reorders nothing.
#[test]
fn embedded_presets_equal_a_direct_toml_parse_of_the_files() {
    let mut from_toml: Vec<Preset> = bundled_file_names()
        .iter()
        .map(|name| {
            let text =
                std::fs::read_to_string(data_dir().join(name)).expect("bundled file is readable");
            presets::parse(name, &text).unwrap_or_else(|error| panic!("{error}"))
        })
        .collect();
    from_toml.sort_by_key(|preset| preset.id.clone());
    let mut embedded: Vec<Preset> = all().to_vec();
    embedded.sort_by_key(|preset| preset.id.clone());
    assert_eq!(embedded, from_toml);
}

#[test]
fn exactly_the_promised_services() {
    let ids: BTreeSet<&str> = all().iter().map(|preset| preset.id.as_str()).collect();
    assert_eq!(all().len(), EXPECTED_IDS.len());
    assert_eq!(ids, EXPECTED_IDS.into_iter().collect());
}

#[test]
fn ids_and_names_are_unique_and_ids_match_file_names() {
    let mut ids = BTreeSet::new();
    let mut names = BTreeSet::new();
    for preset in all() {
        assert!(ids.insert(preset.id.clone()), "duplicate id {}", preset.id);
        assert!(
            names.insert(preset.name.to_lowercase()),
            "duplicate name {}",
            preset.name
        );
    }
    for file in bundled_file_names() {
        let text =
            std::fs::read_to_string(data_dir().join(file)).expect("bundled file is readable");
        let preset = presets::parse(file, &text).expect("bundled file parses");
        assert_eq!(
            format!("{}.toml", preset.id),
            *file,
            "the id must equal the file name"
        );
    }
}

/// The list sorts by ASCII case folding (no Unicode case tables in the wasm): that is the order a
/// reader expects only while the names are ASCII.
#[test]
fn names_are_ascii_and_listed_in_case_blind_alphabetical_order() {
    let names: Vec<&str> = all().iter().map(|preset| preset.name.as_str()).collect();
    for name in &names {
        assert!(
            name.is_ascii(),
            "{name:?} is not ASCII: sort_key must fold Unicode case"
        );
    }
    let mut sorted = names.clone();
    sorted.sort_by_key(|name| name.to_lowercase());
    assert_eq!(names, sorted);
}

#[test]
fn every_preset_validates_and_is_documented() {
    for preset in all() {
        assert!(
            preset.check().is_empty(),
            "{}: {:?}",
            preset.id,
            preset.check()
        );
        assert!(
            preset.sources.contains(&preset.docs_url),
            "{}: docs-url is not among the sources",
            preset.id
        );
        // The two checks against the services' documentation (first pass, issue #18).
        assert!(
            ["2026-11-29", "2026-12-03"].contains(&preset.checked.as_str()),
            "{}: check date {}",
            preset.id,
            preset.checked
        );
    }
}

/// Every URL template, rendered with the sample values, is an https URL with a host.
#[test]
fn every_url_is_https_after_substituting_sample_values() {
    for preset in all() {
        let vars = sample::vars_for(preset);
        let settings = &preset.settings;
        let mut templates = vec![("token URL", settings.token.url.as_str())];
        if let Some(auth) = &settings.authorization {
            templates.push(("authorization URL", auth.url.as_str()));
        }
        if let Some(refresh) = &settings.refresh {
            templates.push(("refresh URL", refresh.url.as_str()));
        }
        if let Some(follow_up) = &settings.follow_up {
            templates.push(("follow-up URL", follow_up.url.as_str()));
        }
        for (what, source) in templates {
            let template = Template::parse(source)
                .unwrap_or_else(|error| panic!("{}: {what}: {error}", preset.id));
            let rendered = template
                .render(&vars, Encoding::Url)
                .unwrap_or_else(|error| panic!("{}: {what}: {error}", preset.id));
            let url = url::Url::parse(&rendered)
                .unwrap_or_else(|error| panic!("{}: {what} {rendered}: {error}", preset.id));
            assert_eq!(url.scheme(), "https", "{}: {what} {rendered}", preset.id);
            assert!(
                url.host_str().is_some_and(|host| host.contains('.')),
                "{}: {what} {rendered}",
                preset.id
            );
        }
    }
}

/// Every template uses only variables the settings know, and every service variable is used.
#[test]
fn templates_use_only_known_variables_and_every_variable_is_used() {
    for preset in all() {
        let settings = &preset.settings;
        let known = settings.known_variables();
        let mut used = BTreeSet::new();
        let mut sources: Vec<&str> = Vec::new();
        let endpoints = std::iter::once(&settings.token)
            .chain(settings.refresh.as_ref())
            .chain(settings.follow_up.as_ref());
        for endpoint in endpoints {
            sources.push(&endpoint.url);
            sources.extend(
                endpoint
                    .query
                    .iter()
                    .chain(&endpoint.body)
                    .chain(&endpoint.headers)
                    .chain(&endpoint.assertion.claims)
                    .map(|p| p.value.as_str()),
            );
            sources.push(&endpoint.assertion.key_id);
            sources.push(&endpoint.assertion.audience);
        }
        if let Some(auth) = &settings.authorization {
            sources.push(&auth.url);
            sources.extend(auth.params.iter().map(|p| p.value.as_str()));
        }
        for source in sources {
            let template = Template::parse(source).expect("template parses");
            for name in template.variables() {
                assert!(
                    known.iter().any(|known| known == name),
                    "{}: {{{name}}} in {source:?} is unknown",
                    preset.id
                );
                used.insert(name.to_owned());
            }
        }
        for spec in &settings.variables {
            assert!(
                used.contains(&spec.name),
                "{}: variable {} is never used",
                preset.id,
                spec.name
            );
            assert!(
                !spec.help.trim().is_empty(),
                "{}: variable {} has no help",
                preset.id,
                spec.name
            );
        }
    }
}

fn preset(id: &str) -> &'static Preset {
    by_id(id).unwrap_or_else(|| panic!("no preset {id}"))
}

fn param<'a>(params: &'a [engine::Param], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|param| param.name == name)
        .map(|param| param.value.as_str())
}

#[test]
fn google_asks_for_offline_access_with_consent() {
    for id in ["google-cloud", "youtube"] {
        let auth = preset(id)
            .settings
            .authorization
            .as_ref()
            .expect("client flow");
        assert_eq!(param(&auth.params, "access_type"), Some("offline"), "{id}");
        assert_eq!(param(&auth.params, "prompt"), Some("consent"), "{id}");
        assert_eq!(auth.pkce, PkceMethod::S256, "{id}");
    }
}

#[test]
fn refresh_tokens_need_their_scope() {
    let cases = [
        ("microsoft", "offline_access"),
        ("twitter", "offline.access"),
        ("constant-contact", "offline_access"),
    ];
    for (id, scope) in cases {
        let auth = preset(id)
            .settings
            .authorization
            .as_ref()
            .expect("client flow");
        assert!(auth.scopes.iter().any(|s| s == scope), "{id} lacks {scope}");
    }
}

#[test]
fn twitter_requires_pkce_and_basic_auth() {
    let settings = &preset("twitter").settings;
    assert_eq!(
        settings.authorization.as_ref().expect("client flow").pkce,
        PkceMethod::S256
    );
    assert_eq!(
        param(&settings.token.body, "code_verifier"),
        Some("{code_verifier}")
    );
    assert_eq!(settings.token.client_auth, ClientAuth::BasicHeader);
}

#[test]
fn long_lived_tokens_are_re_issued_by_exchanging_the_current_one_with_get() {
    let facebook = preset("facebook")
        .settings
        .refresh
        .as_ref()
        .expect("exchange");
    assert_eq!(facebook.method, HttpMethod::Get);
    assert_eq!(facebook.grant_type, "fb_exchange_token");
    assert_eq!(param(&facebook.query, "fb_exchange_token"), Some("{token}"));
    let instagram = preset("instagram")
        .settings
        .refresh
        .as_ref()
        .expect("refresh");
    assert_eq!(instagram.method, HttpMethod::Get);
    assert_eq!(instagram.grant_type, "ig_refresh_token");
    assert_eq!(param(&instagram.query, "access_token"), Some("{token}"));
}

#[test]
fn quickbooks_keeps_the_realm_id_and_uses_basic_auth() {
    let settings = &preset("quickbooks").settings;
    assert_eq!(
        settings
            .authorization
            .as_ref()
            .expect("client flow")
            .callback_params,
        ["realmId"]
    );
    assert_eq!(settings.token.client_auth, ClientAuth::BasicHeader);
}

#[test]
fn account_and_tenant_hosts_are_variables() {
    assert!(
        preset("netsuite")
            .settings
            .token
            .url
            .starts_with("https://{account_id}.suitetalk.api.netsuite.com/")
    );
    for id in [
        "microsoft",
        "business-central-online",
        "business-central-on-premises",
    ] {
        assert!(preset(id).settings.token.url.contains("/{tenant}/"), "{id}");
    }
}

#[test]
fn dayforce_is_a_password_grant_with_a_fixed_client_id() {
    let settings = &preset("dayforce").settings;
    assert!(settings.authorization.is_none());
    assert!(settings.refresh.is_none());
    assert_eq!(settings.token.grant_type, "password");
    assert_eq!(settings.token.credentials, Credentials::UserIdAndSecret);
    assert_eq!(
        param(&settings.token.body, "client_id"),
        Some("Dayforce.HCMAnywhere.Client")
    );
}

#[test]
fn services_without_refresh_have_none() {
    for id in ["mailchimp", "dayforce"] {
        assert!(preset(id).settings.refresh.is_none(), "{id}");
    }
}

#[test]
fn comma_separated_scopes_where_the_service_wants_them() {
    for id in ["facebook", "instagram", "pinterest"] {
        let auth = preset(id)
            .settings
            .authorization
            .as_ref()
            .expect("client flow");
        assert_eq!(auth.scope_separator, ScopeSeparator::Comma, "{id}");
    }
}
