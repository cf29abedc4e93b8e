//! Tests of `model`: what is kept where, what "forget" leaves, import and export.

use super::*;

fn outcome(expires_in: Option<u64>) -> TokenOutcome {
    TokenOutcome {
        kind: CallKind::Bearer,
        received_at_ms: 1_000_000.0,
        token_type: Some("Bearer".to_owned()),
        expires_in,
        refresh_token_expires_in: None,
        scope_granted: None,
        scope_requested: String::new(),
        id_token: None,
        status: 200,
        raw: String::new(),
    }
}

fn full_secrets() -> Secrets {
    Secrets {
        client_secret: "secret-1".to_owned(),
        user_name: "alice-1".to_owned(),
        private_key: "key-1".to_owned(),
        code: "code-1".to_owned(),
        state: "state-1".to_owned(),
        code_verifier: "verifier-1".to_owned(),
        access_token: "access-1".to_owned(),
        refresh_token: "refresh-1".to_owned(),
        outcome: Some(outcome(Some(60))),
        refresh_count: 3,
        authorized_redirect_uri: "https://app.example/callback".to_owned(),
    }
}

fn model(remember: bool) -> Model {
    let mut service = ServiceModel::fresh(
        presets::by_id("linkedin")
            .expect("the linkedin preset")
            .settings
            .clone(),
        "https://app.example/callback".to_owned(),
    );
    service.client_id = "client-1".to_owned();
    Model {
        prefs: Prefs {
            service: Some("linkedin".to_owned()),
            remember,
            ..Prefs::default()
        },
        service,
        secrets: full_secrets(),
    }
}

#[test]
fn refresh_is_due_at_four_fifths_of_the_lifetime() {
    assert_eq!(
        outcome(Some(3600)).refresh_due_ms(),
        Some(1_000_000.0 + 2_880_000.0)
    );
    assert_eq!(
        outcome(Some(3600)).expires_at_ms(),
        Some(1_000_000.0 + 3_600_000.0)
    );
}

#[test]
fn refresh_is_due_at_least_one_second_before_expiry() {
    // 80 % of 3 s is 2.4 s, but that leaves less than a second: 2 s it is.
    assert_eq!(outcome(Some(3)).refresh_due_ms(), Some(1_002_000.0));
    assert_eq!(outcome(Some(1)).refresh_due_ms(), Some(1_000_000.0));
}

#[test]
fn no_refresh_is_due_without_a_stated_lifetime() {
    assert_eq!(outcome(None).refresh_due_ms(), None);
    assert_eq!(outcome(None).expires_at_ms(), None);
}

#[test]
fn every_secret_variable_is_dropped_unless_remembered() {
    // Whatever the engine calls secret, set alone, is gone without "remember" — except the
    // verifier of the attempt in progress.
    for name in engine::SECRET_VARIABLES {
        if *name == "client_assertion" {
            // Signed afresh for each call from the key, never kept anywhere.
            continue;
        }
        let mut secrets = Secrets::default();
        assert!(
            secrets.set_variable(name, "value".to_owned()),
            "the model has no place for the secret variable {name}"
        );
        let kept = secrets.unremembered();
        let left = kept.variables().into_iter().find(|(n, _)| n == name);
        let expected = if *name == "code_verifier" {
            "value"
        } else {
            ""
        };
        assert_eq!(left.map(|(_, v)| v.as_str()), Some(expected), "{name}");
    }
}

#[test]
fn only_the_authorization_in_progress_survives_a_reload() {
    let kept = full_secrets().unremembered();
    assert_eq!(kept.state, "state-1");
    assert_eq!(kept.code_verifier, "verifier-1");
    assert_eq!(kept.authorized_redirect_uri, "https://app.example/callback");
    let secrets_left = [
        &kept.client_secret,
        &kept.user_name,
        &kept.code,
        &kept.access_token,
        &kept.refresh_token,
    ];
    assert!(secrets_left.iter().all(|value| value.is_empty()));
    assert_eq!(kept.outcome, None);
    assert_eq!(kept.refresh_count, 0);
}

#[test]
fn without_remember_secrets_go_to_the_session_only() {
    let persisted = model(false).persisted();
    let (key, place, secrets) = persisted.secrets.expect("a service is chosen");
    assert_eq!(key, "otw.secrets.linkedin");
    assert_eq!(place, Place::Session);
    assert_eq!(secrets, Some(full_secrets().unremembered()));
    let (key, service) = persisted.service.expect("a service is chosen");
    assert_eq!(key, "otw.service.linkedin");
    assert_eq!(service.client_id, "client-1");
    // The stored settings carry no secret value at all.
    let stored = serde_json::to_string(&service).expect("serialisable");
    for secret in [
        "secret-1",
        "alice-1",
        "code-1",
        "verifier-1",
        "access-1",
        "refresh-1",
    ] {
        assert!(!stored.contains(secret), "{secret} in {stored}");
    }
}

#[test]
fn with_remember_everything_is_kept_on_the_device() {
    let (_, place, secrets) = model(true)
        .persisted()
        .secrets
        .expect("a service is chosen");
    assert_eq!(place, Place::Local);
    assert_eq!(secrets, Some(full_secrets()));
}

#[test]
fn nothing_is_stored_for_the_default_model() {
    // "Forget everything" writes the default; nothing is written back until the user chooses.
    let persisted = Model::default().persisted();
    assert_eq!(
        persisted,
        Persisted {
            prefs: None,
            service: None,
            secrets: None
        }
    );
    // A chosen service with nothing secret yet stores no secrets.
    let mut chosen = Model::default();
    chosen.prefs.service = Some(CUSTOM_SERVICE.to_owned());
    let (_, _, secrets) = chosen.persisted().secrets.expect("a service is chosen");
    assert_eq!(secrets, None);
}

#[test]
fn the_default_is_a_blank_custom_service_with_automatic_refresh() {
    let blank = Model::default();
    assert_eq!(blank.prefs.service, None);
    assert!(blank.prefs.auto_refresh && !blank.prefs.remember && !blank.prefs.no_relay);
    assert_eq!(blank.service.settings, ServiceSettings::blank(true));
    assert_eq!(blank.secrets, Secrets::default());
    assert!(blank.secrets.variables().iter().all(|(_, v)| v.is_empty()));
}

#[test]
fn stored_secrets_keep_their_format() {
    // Older saves name each field; a missing field takes its default.
    let saved: Secrets =
        serde_json::from_str(r#"{"client_secret":"s","refresh_token":"r","refresh_count":2}"#)
            .expect("the stored format");
    assert_eq!(saved.client_secret, "s");
    assert_eq!(saved.refresh_token, "r");
    assert_eq!(saved.refresh_count, 2);
    assert_eq!(saved.user_name, "");
    let prefs: Prefs = serde_json::from_str(r#"{"service":"linkedin","relay_url":"","no_relay":false,"remember":true,"auto_refresh":false}"#)
        .expect("the stored format");
    assert_eq!(prefs.service.as_deref(), Some("linkedin"));
    assert!(prefs.remember && !prefs.auto_refresh);
}

#[test]
fn the_verifier_is_sent_only_with_pkce() {
    let mut model = model(false);
    if let Some(auth) = &mut model.service.settings.authorization {
        auth.pkce = engine::PkceMethod::S256;
    }
    assert_eq!(model.vars().get("code_verifier"), Some("verifier-1"));
    assert_eq!(model.vars().get("user_name"), Some("alice-1"));
    assert_eq!(model.vars().get("token"), Some("access-1"));
    if let Some(auth) = &mut model.service.settings.authorization {
        auth.pkce = engine::PkceMethod::None;
    }
    assert_eq!(model.vars().get("code_verifier"), Some(""));
}

#[test]
fn export_then_import_gives_the_same_service_back() {
    let original = model(false);
    let file = export(&original, true).expect("a service is chosen");
    let read = presets::ConfigFile::from_json(&file.to_json()).expect("the file reads");
    assert_eq!(imported_service_id(&read), "linkedin");
    let (service, secrets) = import(read, Secrets::default(), |_| "unused".to_owned());
    assert_eq!(service.settings, original.service.settings);
    assert_eq!(service.client_id, "client-1");
    assert_eq!(service.redirect_uri, "https://app.example/callback");
    assert_eq!(secrets.client_secret, "secret-1");
    assert_eq!(secrets.refresh_token, "refresh-1");
    // One authorization's values never travel in a file.
    assert_eq!(secrets.code, "");
    assert_eq!(secrets.code_verifier, "");
    assert!(!service.values.contains_key("code"));
}

#[test]
fn an_export_without_secrets_keeps_those_in_memory_on_import() {
    let file = export(&model(false), false).expect("a service is chosen");
    assert!(!file.has_secrets());
    let in_memory = Secrets {
        client_secret: "kept".to_owned(),
        ..Secrets::default()
    };
    let (_, secrets) = import(file, in_memory, |_| "unused".to_owned());
    assert_eq!(secrets.client_secret, "kept");
    assert_eq!(secrets.refresh_token, "");
}

#[test]
fn an_import_fills_the_default_redirect_and_variables() {
    let mut settings = ServiceSettings::blank(false);
    settings.variables.push(engine::VariableSpec {
        name: "tenant".to_owned(),
        label: "Tenant".to_owned(),
        help: String::new(),
        default: "common".to_owned(),
    });
    let file = presets::ConfigFile::new(None, settings, &Vars::new(), false);
    assert_eq!(imported_service_id(&file), CUSTOM_SERVICE);
    let (service, _) = import(file, Secrets::default(), |_| {
        "https://relay.example/callback".to_owned()
    });
    assert_eq!(service.redirect_uri, "https://relay.example/callback");
    assert_eq!(
        service.values.get("tenant").map(String::as_str),
        Some("common")
    );
}
