//! Tests of `validate`.

use super::*;
use crate::settings::{
    AuthorizationSettings, ClientAuth, HttpMethod, PkceMethod, ScopeSeparator, SpaceEncoding,
    VariableSpec,
};

fn p(name: &str, value: &str) -> Param {
    Param {
        name: name.into(),
        value: value.into(),
        optional: false,
    }
}

fn settings() -> ServiceSettings {
    ServiceSettings {
        client_id_label: "Client ID".into(),
        variables: vec![VariableSpec {
            name: "tenant".into(),
            label: "Tenant".into(),
            help: String::new(),
            default: "common".into(),
        }],
        authorization: Some(AuthorizationSettings {
            url: "https://login.example.com/{tenant}/authorize".into(),
            scopes: vec!["openid".into()],
            scope_separator: ScopeSeparator::Space,
            space_encoding: SpaceEncoding::Percent20,
            params: vec![p("prompt", "consent")],
            pkce: PkceMethod::S256,
            callback_params: vec!["realmId".into()],
            redirect_uri: String::new(),
            issuer: String::new(),
            issuer_required: false,
            device_url: String::new(),
            jwks_uri: String::new(),
            userinfo_url: String::new(),
            revocation_url: String::new(),
            introspection_url: String::new(),
        }),
        token: EndpointSettings::authorization_code(
            "https://login.example.com/{tenant}/token?realm={realmId}",
        ),
        refresh: Some(EndpointSettings::refresh_token(
            "https://login.example.com/{tenant}/token",
        )),
        follow_up: None,
    }
}

fn errors(settings: &ServiceSettings) -> Vec<String> {
    settings
        .validate()
        .err()
        .unwrap_or_default()
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn valid_settings_pass() {
    assert_eq!(settings().validate(), Ok(()));
}

#[test]
fn known_variables() {
    let known = settings().known_variables();
    for name in crate::vars::STANDARD_VARIABLES {
        assert!(known.iter().any(|k| k == name), "{name}");
    }
    assert!(known.iter().any(|k| k == "realmId"));
    assert!(known.iter().any(|k| k == "tenant"));
    assert_eq!(known.len(), 15);
}

#[test]
fn unknown_variables_are_named_with_their_fields() {
    let mut s = settings();
    s.token.url = "https://{host}/token".into();
    s.token.body.push(p("audience", "{aud}"));
    s.refresh
        .as_mut()
        .unwrap()
        .headers
        .push(p("X-Key", "{key}"));
    s.authorization
        .as_mut()
        .unwrap()
        .params
        .push(p("access_type", "{mode}"));
    assert_eq!(
        errors(&s),
        [
            "Authorization parameter `access_type`: unknown variable {mode}",
            "Token URL: unknown variable {host}",
            "Token body parameter `audience`: unknown variable {aud}",
            "Refresh header `X-Key`: unknown variable {key}",
        ]
    );
}

#[test]
fn template_syntax_errors() {
    let mut s = settings();
    s.token.body.push(p("claims", "{\"a\": 1}"));
    s.refresh.as_mut().unwrap().url = "https://x/{oops".into();
    let found = errors(&s);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].starts_with("Token body parameter `claims`: `{\"a\": 1}` is not a variable name"),
        "{found:?}"
    );
    assert!(
        found[1].starts_with("Refresh URL: a `{` at character 11 is not closed"),
        "{found:?}"
    );
}

#[test]
fn urls_must_be_http() {
    let mut s = settings();
    s.authorization.as_mut().unwrap().url = "javascript:alert(1)".into();
    s.token.url = "/token".into();
    let found = errors(&s);
    assert_eq!(
        found[0],
        "Authorization URL: the URL must start with https:// (or http://), not `javascript:`"
    );
    assert!(
        found[1].starts_with("Token URL: not a valid URL ("),
        "{found:?}"
    );
}

#[test]
fn non_ascii_hosts_ask_for_the_xn_form() {
    let mut s = settings();
    s.token.url = "https://b\u{fc}cher.example/token".into();
    assert_eq!(
        errors(&s),
        [
            "Token URL: the host may hold only ASCII letters, digits, `-` and `.`: write an \
          internationalised name in its `xn--` form"
        ]
    );
    s.token.url = "https://xn--bcher-kva.example/token".into();
    assert_eq!(s.validate(), Ok(()));
}

#[test]
fn a_url_with_a_port_variable_validates() {
    let mut s = settings();
    s.variables.push(VariableSpec {
        name: "port".into(),
        label: "Port".into(),
        help: String::new(),
        default: String::new(),
    });
    s.token.url = "https://host:{port}/token".into();
    assert_eq!(s.validate(), Ok(()));
}

#[test]
fn redirect_uri_is_checked_when_set() {
    let mut s = settings();
    s.authorization.as_mut().unwrap().redirect_uri = "urn:ietf:wg:oauth:2.0:oob".into();
    assert_eq!(
        errors(&s),
        ["Redirect URI: the URL must start with https:// (or http://), not `urn:`"]
    );
    s.authorization.as_mut().unwrap().redirect_uri = "https://app.example/cb".into();
    assert_eq!(s.validate(), Ok(()));
}

#[test]
fn names_are_checked() {
    let mut s = settings();
    s.token.headers.push(p("Bad Header", "x"));
    s.token.headers.push(p("X-Line", "a\r\nb"));
    s.token.query.push(p("", "x"));
    s.refresh.as_mut().unwrap().grant_type = " ".into();
    s.variables.push(VariableSpec {
        name: "bad name".into(),
        label: String::new(),
        help: String::new(),
        default: String::new(),
    });
    s.variables.push(VariableSpec {
        name: "code".into(),
        label: String::new(),
        help: String::new(),
        default: String::new(),
    });
    s.authorization
        .as_mut()
        .unwrap()
        .callback_params
        .push("tenant".into());
    let found = errors(&s);
    for expected in [
        "Token header `Bad Header`: not a valid header name (letters, digits and `-` only, no spaces or `:`)",
        "Token header `X-Line`: the value contains a line break or NUL, which a header cannot carry",
        "Token query parameter ``: the name is empty",
        "Refresh grant type: the grant type is empty",
        "Variable `bad name`: not a valid variable name (letters, digits, `_`, `-` and `.` only)",
        "Variable `code`: `code` is one of the wizard's own variables ({client_id}, {code}, {redirect_uri} …); choose another name",
        "Variable `tenant`: the name is already used by another variable",
    ] {
        assert!(
            found.iter().any(|f| f == expected),
            "missing {expected:?} in {found:#?}"
        );
    }
}

#[test]
fn json_body_duplicates() {
    let mut s = settings();
    s.token.body_format = BodyFormat::Json;
    s.token.body.push(p("code", "x"));
    assert_eq!(
        errors(&s),
        [
            "Token body parameter `code`: appears twice, but a JSON body can hold each name only once"
        ]
    );
}

#[test]
fn services_without_client_flow_or_refresh() {
    let mut s = settings();
    s.authorization = None;
    s.refresh = None;
    s.token = EndpointSettings {
        grant_type: "client_credentials".into(),
        method: HttpMethod::Post,
        client_auth: ClientAuth::BasicHeader,
        body: vec![p("grant_type", "{grant_type}")],
        ..EndpointSettings::authorization_code("https://login.example.com/{tenant}/token")
    };
    assert_eq!(s.validate(), Ok(()));
    // Without the client flow, its callback parameters are no longer variables.
    s.token.url = "https://x/{realmId}".into();
    assert_eq!(errors(&s), ["Token URL: unknown variable {realmId}"]);
}

#[test]
fn field_labels() {
    assert_eq!(Field::AuthorizationUrl.to_string(), "Authorization URL");
    assert_eq!(
        Field::AuthorizationParam("access_type".into()).to_string(),
        "Authorization parameter `access_type`"
    );
    assert_eq!(Field::Url(Endpoint::Token).to_string(), "Token URL");
    assert_eq!(
        Field::Body(Endpoint::Refresh, "refresh_token".into()).to_string(),
        "Refresh body parameter `refresh_token`"
    );
    assert_eq!(
        Field::Query(Endpoint::Token, "a".into()).to_string(),
        "Token query parameter `a`"
    );
    assert_eq!(
        Field::Header(Endpoint::Refresh, "X".into()).to_string(),
        "Refresh header `X`"
    );
    assert_eq!(
        Field::ClientAuth(Endpoint::Token).to_string(),
        "Token client authentication"
    );
    assert_eq!(
        Field::GrantType(Endpoint::Refresh).to_string(),
        "Refresh grant type"
    );
    assert_eq!(Field::RedirectUri.to_string(), "Redirect URI");
    assert_eq!(
        Field::CallbackParam("realmId".into()).to_string(),
        "Callback parameter `realmId`"
    );
    assert_eq!(
        Field::Variable("tenant".into()).to_string(),
        "Variable `tenant`"
    );
}

#[test]
fn variable_names_must_be_valid_unreserved_and_unique() {
    let spec = |name: &str| VariableSpec {
        name: name.into(),
        label: name.into(),
        help: String::new(),
        default: String::new(),
    };
    let mut s = settings();
    s.variables = ["a b", "{nope}", "client_id", "code", "tenant", "tenant"]
        .into_iter()
        .map(spec)
        .collect();
    let problems: Vec<(Field, Problem)> = s
        .validate()
        .unwrap_err()
        .into_iter()
        .filter(|e| matches!(e.field, Field::Variable(_)))
        .map(|e| (e.field, e.problem))
        .collect();
    let v = |name: &str| Field::Variable(name.into());
    assert_eq!(
        problems,
        [
            (v("a b"), Problem::VariableName),
            (v("{nope}"), Problem::VariableName),
            (
                v("client_id"),
                Problem::ReservedVariable("client_id".into())
            ),
            (v("code"), Problem::ReservedVariable("code".into())),
            (v("tenant"), Problem::DuplicateVariable),
        ]
    );
    assert!(
        Problem::ReservedVariable("code".into())
            .to_string()
            .starts_with("`code` is one of the wizard's own variables ({client_id}"),
    );
}

#[test]
fn fields_know_their_endpoint() {
    assert_eq!(
        Field::Url(Endpoint::Token).endpoint(),
        Some(Endpoint::Token)
    );
    assert_eq!(
        Field::Header(Endpoint::Refresh, "X".into()).endpoint(),
        Some(Endpoint::Refresh)
    );
    assert_eq!(Field::AuthorizationUrl.endpoint(), None);
}

#[test]
fn duplicate_and_host_headers_are_warned_about() {
    let headers = [
        p("Accept", "a"),
        p("accept", "b"),
        p("Host", "x"),
        p("X-Id", "1"),
    ];
    assert_eq!(
        header_warnings(&headers),
        [
            "`accept` is given more than once; services usually read only one of them",
            "`Host` is set from the URL by the browser and the relay; this header is not sent as written",
        ]
    );
    assert!(header_warnings(&[p("Accept", "a")]).is_empty());
}

#[test]
fn parameter_names_with_spaces_are_refused() {
    let mut s = settings();
    s.authorization
        .as_mut()
        .unwrap()
        .params
        .push(p("access type", "offline"));
    assert!(
        errors(&s).contains(
            &"Authorization parameter `access type`: the name contains a space; parameter names have none"
                .to_owned()
        ),
        "{:?}",
        errors(&s)
    );
}
