//! Request builder properties: encoding round-trips and injection resistance.

use engine::request::{authorization_url, token_request};
use engine::scopes::join_scopes;
use engine::validate::Problem;
use engine::{
    AuthorizationSettings, BodyFormat, ClientAuth, EndpointSettings, HttpMethod, Param, PkceMethod,
    ScopeSeparator, ServiceSettings, SpaceEncoding, VariableSpec, Vars,
};
use proptest::prelude::*;

fn p(name: &str, value: &str) -> Param {
    Param {
        name: name.into(),
        value: value.into(),
        optional: false,
    }
}

fn settings(method: HttpMethod, body_format: BodyFormat) -> ServiceSettings {
    ServiceSettings {
        client_id_label: "Client ID".into(),
        variables: vec![VariableSpec {
            name: "v".into(),
            label: "V".into(),
            help: String::new(),
            default: String::new(),
        }],
        authorization: Some(AuthorizationSettings {
            url: "https://auth.example.com/authorize?fixed=1".into(),
            scopes: Vec::new(),
            scope_separator: ScopeSeparator::Space,
            space_encoding: SpaceEncoding::Percent20,
            params: vec![p("login_hint", "{v}")],
            pkce: PkceMethod::S256,
            callback_params: Vec::new(),
            redirect_uri: String::new(),
            issuer: String::new(),
            issuer_required: false,
            device_url: String::new(),
            jwks_uri: String::new(),
            userinfo_url: String::new(),
            revocation_url: String::new(),
            introspection_url: String::new(),
        }),
        token: EndpointSettings {
            method,
            body_format,
            // Not a code exchange: "None" then adds no `client_id`, so the body is exactly the
            // templates' parameters.
            grant_type: "urn:example:encoding".into(),
            client_auth: ClientAuth::None,
            query: vec![p("q", "{token}")],
            body: vec![
                p("code", "{code}"),
                p("secret", "pre {client_secret} post"),
                p("v", "{v}"),
            ],
            headers: Vec::new(),
            token_path: String::new(),
            ..EndpointSettings::authorization_code("https://api.example.com/oauth/token")
        },
        refresh: None,
        follow_up: None,
    }
}

fn vars(code: &str, secret: &str, token: &str, v: &str) -> Vars {
    Vars::new()
        .with("code", code)
        .with("client_secret", secret)
        .with("token", token)
        .with("v", v)
}

fn expected_pairs(code: &str, secret: &str, v: &str) -> Vec<(String, String)> {
    vec![
        ("code".to_owned(), code.to_owned()),
        ("secret".to_owned(), format!("pre {secret} post")),
        ("v".to_owned(), v.to_owned()),
    ]
}

fn query_pairs(url: &url::Url) -> Vec<(String, String)> {
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

proptest! {
    #[test]
    fn form_body_parses_back_to_exactly_the_values(
        code in crate::non_empty_value(), secret in crate::non_empty_value(),
        token in crate::non_empty_value(), v in crate::non_empty_value(),
    ) {
        let request = token_request(&settings(HttpMethod::Post, BodyFormat::Form), &vars(&code, &secret, &token, &v)).unwrap();
        let body = request.body.unwrap();
        let parsed: Vec<(String, String)> =
            form_urlencoded::parse(body.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        prop_assert_eq!(parsed, expected_pairs(&code, &secret, &v));
        let url = url::Url::parse(&request.url).unwrap();
        prop_assert_eq!(url.host_str(), Some("api.example.com"));
        prop_assert_eq!(url.path(), "/oauth/token");
        prop_assert_eq!(query_pairs(&url), vec![("q".to_owned(), token)]);
    }

    #[test]
    fn get_query_parses_back_to_exactly_the_values(
        code in crate::non_empty_value(), secret in crate::non_empty_value(),
        token in crate::non_empty_value(), v in crate::non_empty_value(),
    ) {
        let request = token_request(&settings(HttpMethod::Get, BodyFormat::Form), &vars(&code, &secret, &token, &v)).unwrap();
        prop_assert_eq!(request.body, None);
        let url = url::Url::parse(&request.url).unwrap();
        prop_assert_eq!(url.host_str(), Some("api.example.com"));
        prop_assert_eq!(url.path(), "/oauth/token");
        prop_assert_eq!(url.fragment(), None);
        let mut expected = vec![("q".to_owned(), token)];
        expected.extend(expected_pairs(&code, &secret, &v));
        prop_assert_eq!(query_pairs(&url), expected);
    }

    #[test]
    fn json_body_round_trips(
        code in crate::non_empty_value(), secret in crate::non_empty_value(),
        token in crate::non_empty_value(), v in crate::non_empty_value(),
    ) {
        let request = token_request(&settings(HttpMethod::Post, BodyFormat::Json), &vars(&code, &secret, &token, &v)).unwrap();
        let parsed: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&request.body.unwrap()).unwrap();
        let expected: serde_json::Map<String, serde_json::Value> =
            expected_pairs(&code, &secret, &v).into_iter().map(|(k, v)| (k, serde_json::Value::String(v))).collect();
        prop_assert_eq!(parsed, expected);
    }

    #[test]
    fn header_values_cannot_inject_headers(token in crate::non_empty_value()) {
        let mut s = settings(HttpMethod::Post, BodyFormat::Form);
        s.token.headers = vec![p("X-Token", "Bearer {token}")];
        match token_request(&s, &vars("c", "s", &token, "v")) {
            Ok(request) => {
                prop_assert!(!token.contains(['\r', '\n', '\0']));
                prop_assert_eq!(request.headers.len(), 3);
                let expected = format!("Bearer {token}");
                prop_assert_eq!(request.header("X-Token"), Some(expected.as_str()));
            }
            Err(error) => {
                prop_assert!(token.contains(['\r', '\n', '\0']), "{}", error);
                prop_assert!(error.to_string().contains("line break"), "{}", error);
            }
        }
    }

    #[test]
    fn a_path_variable_cannot_change_host_path_shape_query_or_fragment(v in crate::non_empty_value()) {
        let mut s = settings(HttpMethod::Post, BodyFormat::Form);
        s.token.url = "https://api.example.com/{v}/token".into();
        s.token.query.clear();
        match token_request(&s, &vars("c", "s", "t", &v)) {
            Ok(request) => {
                let url = url::Url::parse(&request.url).unwrap();
                prop_assert_eq!(url.host_str(), Some("api.example.com"));
                prop_assert_eq!(url.port(), None);
                prop_assert_eq!(url.username(), "");
                prop_assert_eq!(url.path_segments().unwrap().count(), 2);
                prop_assert_eq!(url.query(), None);
                prop_assert_eq!(url.fragment(), None);
            }
            Err(error) => prop_assert!(matches!(error.field().map(ToString::to_string).as_deref(), Some("Token URL")), "{}", error),
        }
    }

    #[test]
    fn a_host_variable_stays_inside_its_label(v in crate::non_empty_value()) {
        let mut s = settings(HttpMethod::Post, BodyFormat::Form);
        s.token.url = "https://{v}.example.com/token".into();
        s.token.query.clear();
        match token_request(&s, &vars("c", "s", "t", &v)) {
            Ok(request) => {
                let url = url::Url::parse(&request.url).unwrap();
                prop_assert!(url.host_str().unwrap().ends_with(".example.com"), "{}", url);
                prop_assert_eq!(url.port(), None);
                prop_assert_eq!(url.username(), "");
                prop_assert_eq!(url.path(), "/token");
                prop_assert_eq!(url.query(), None);
                prop_assert_eq!(url.fragment(), None);
            }
            Err(engine::request::BuildError::Field { problem, .. }) => {
                prop_assert!(matches!(problem, Problem::InvalidUrl(_)), "{:?}", problem);
            }
            Err(other) => prop_assert!(false, "{}", other),
        }
    }

    #[test]
    fn authorization_url_parses_back(
        client_id in crate::non_empty_value(), redirect in crate::non_empty_value(),
        state in crate::non_empty_value(), hint in crate::non_empty_value(),
        scopes in proptest::collection::vec(crate::value(), 0..4),
        plus in any::<bool>(), separator in prop_oneof![Just(ScopeSeparator::Space), Just(ScopeSeparator::Comma), Just(ScopeSeparator::Plus)],
    ) {
        let mut s = settings(HttpMethod::Post, BodyFormat::Form);
        let auth = s.authorization.as_mut().unwrap();
        auth.scopes = scopes.clone();
        auth.scope_separator = separator;
        auth.space_encoding = if plus { SpaceEncoding::Plus } else { SpaceEncoding::Percent20 };
        auth.pkce = PkceMethod::None;
        let vars = Vars::new().with("client_id", client_id.clone()).with("redirect_uri", redirect.clone())
            .with("state", state.clone()).with("v", hint.clone());
        let url = url::Url::parse(&authorization_url(&s, &vars).unwrap()).unwrap();
        prop_assert_eq!(url.host_str(), Some("auth.example.com"));
        prop_assert_eq!(url.path(), "/authorize");
        prop_assert_eq!(url.fragment(), None);
        let mut expected = vec![
            ("fixed".to_owned(), "1".to_owned()),
            ("response_type".to_owned(), "code".to_owned()),
            ("client_id".to_owned(), client_id),
            ("redirect_uri".to_owned(), redirect),
        ];
        let scope = join_scopes(&scopes, separator);
        if !scope.is_empty() {
            expected.push(("scope".to_owned(), scope));
        }
        expected.push(("state".to_owned(), state));
        expected.push(("login_hint".to_owned(), hint));
        prop_assert_eq!(query_pairs(&url), expected);
    }

    #[test]
    fn masked_requests_never_show_a_secret(secret in "[a-zA-Z0-9 +/=&%-]{8,24}", code in "[a-zA-Z0-9/+=%-]{8,24}") {
        let mut s = settings(HttpMethod::Post, BodyFormat::Form);
        s.token.client_auth = ClientAuth::BasicHeader;
        let vars = vars(&code, &secret, "tttttttt", "v").with("client_id", "id");
        let masked = token_request(&s, &vars).unwrap().masked(&vars);
        let shown = masked.to_curl();
        prop_assert!(!shown.contains(&secret), "{}", shown);
        prop_assert!(!shown.contains(&code), "{}", shown);
        prop_assert!(!shown.contains(&form_urlencoded::byte_serialize(code.as_bytes()).collect::<String>()), "{}", shown);
    }
}
