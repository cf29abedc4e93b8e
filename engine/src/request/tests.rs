//! Tests of `request`.

use super::*;
use crate::settings::{AuthorizationSettings, ScopeSeparator, VariableSpec};

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn p(name: &str, value: &str) -> Param {
    param(name, value, false)
}

fn google() -> ServiceSettings {
    ServiceSettings {
        client_id_label: "Client ID".into(),
        variables: Vec::new(),
        authorization: Some(AuthorizationSettings {
            url: "https://accounts.google.com/o/oauth2/v2/auth".into(),
            scopes: vec!["openid".into(), "email".into()],
            scope_separator: ScopeSeparator::Space,
            space_encoding: SpaceEncoding::Percent20,
            params: vec![p("access_type", "offline"), p("prompt", "consent")],
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
        token: EndpointSettings::authorization_code("https://oauth2.googleapis.com/token"),
        refresh: Some(EndpointSettings::refresh_token(
            "https://oauth2.googleapis.com/token",
        )),
        follow_up: None,
    }
}

fn google_vars() -> Vars {
    Vars::new()
        .with("client_id", "abc.apps.googleusercontent.com")
        .with("client_secret", "s3cr=t+/")
        .with("redirect_uri", "http://localhost:8080/callback")
        .with("state", "xyz")
        .with("code_verifier", VERIFIER)
        .with("code", "4/0Abc")
        .with("refresh_token", "1//rt")
}

fn header<'a>(request: &'a HttpRequest, name: &str) -> &'a str {
    request
        .header(name)
        .unwrap_or_else(|| panic!("no {name} header in {:?}", request.headers))
}

#[test]
fn golden_authorization_url() {
    let url = authorization_url(&google(), &google_vars()).unwrap();
    assert_eq!(
        url,
        format!(
            "https://accounts.google.com/o/oauth2/v2/auth?response_type=code&client_id=abc.apps.googleusercontent.com\
             &redirect_uri=http%3A%2F%2Flocalhost%3A8080%2Fcallback&scope=openid%20email&state=xyz\
             &code_challenge={CHALLENGE}&code_challenge_method=S256&nonce={}&access_type=offline&prompt=consent",
            crate::pkce::nonce_for("xyz")
        )
    );
}

#[test]
fn golden_token_request() {
    let request = token_request(&google(), &google_vars()).unwrap();
    assert_eq!(
        request,
        HttpRequest {
            method: HttpMethod::Post,
            url: "https://oauth2.googleapis.com/token".into(),
            headers: vec![
                ("Accept".into(), "application/json".into()),
                (
                    "Content-Type".into(),
                    "application/x-www-form-urlencoded".into()
                ),
                (
                    "Authorization".into(),
                    "Basic YWJjLmFwcHMuZ29vZ2xldXNlcmNvbnRlbnQuY29tOnMzY3IlM0R0JTJCJTJG".into()
                ),
            ],
            body: Some(format!(
                "grant_type=authorization_code&code=4%2F0Abc&redirect_uri=http%3A%2F%2Flocalhost%3A8080%2Fcallback\
                 &code_verifier={VERIFIER}"
            )),
        }
    );
}

#[test]
fn golden_refresh_request() {
    let request = refresh_request(&google(), &google_vars()).unwrap();
    assert_eq!(request.method, HttpMethod::Post);
    assert_eq!(request.url, "https://oauth2.googleapis.com/token");
    assert_eq!(
        request.body.as_deref(),
        Some("grant_type=refresh_token&refresh_token=1%2F%2Frt")
    );
    assert_eq!(
        header(&request, "authorization"),
        "Basic YWJjLmFwcHMuZ29vZ2xldXNlcmNvbnRlbnQuY29tOnMzY3IlM0R0JTJCJTJG"
    );
}

#[test]
fn golden_json_body_with_client_credentials_in_body_and_query_params() {
    let mut settings = google();
    settings.token.body_format = BodyFormat::Json;
    settings.token.client_auth = ClientAuth::Body;
    settings.token.query = vec![p("api-version", "2.0")];
    settings.token.headers = vec![p("X-Tenant", "{tenant}")];
    settings.variables = vec![VariableSpec {
        name: "tenant".into(),
        label: "Tenant".into(),
        help: String::new(),
        default: "acme corp".into(),
    }];
    let request = token_request(&settings, &google_vars()).unwrap();
    assert_eq!(
        request.url,
        "https://oauth2.googleapis.com/token?api-version=2.0"
    );
    assert_eq!(
        request.headers,
        [
            ("Accept".to_owned(), "application/json".to_owned()),
            ("Content-Type".to_owned(), "application/json".to_owned()),
            ("X-Tenant".to_owned(), "acme corp".to_owned()),
        ]
    );
    assert_eq!(
        request.body.as_deref(),
        Some(
            r#"{"client_id":"abc.apps.googleusercontent.com","client_secret":"s3cr=t+/","code":"4/0Abc","code_verifier":"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk","grant_type":"authorization_code","redirect_uri":"http://localhost:8080/callback"}"#
        )
    );
}

#[test]
fn golden_get_exchange_puts_body_params_in_the_query() {
    // Facebook's code exchange is a GET with everything in the query.
    let mut settings = google();
    settings.token = EndpointSettings {
        method: HttpMethod::Get,
        client_auth: ClientAuth::Body,
        body: vec![p("code", "{code}"), p("redirect_uri", "{redirect_uri}")],
        ..EndpointSettings::authorization_code(
            "https://graph.facebook.com/v19.0/oauth/access_token",
        )
    };
    let request = token_request(&settings, &google_vars()).unwrap();
    assert_eq!(request.method, HttpMethod::Get);
    assert_eq!(request.body, None);
    assert_eq!(request.header("content-type"), None);
    assert_eq!(
        request.url,
        "https://graph.facebook.com/v19.0/oauth/access_token?code=4%2F0Abc\
         &redirect_uri=http%3A%2F%2Flocalhost%3A8080%2Fcallback&client_id=abc.apps.googleusercontent.com\
         &client_secret=s3cr%3Dt%2B%2F"
    );
}

#[test]
fn grant_type_comes_from_the_endpoint() {
    let vars = google_vars().with("grant_type", "password");
    let token = token_request(&google(), &vars).unwrap();
    assert!(
        token
            .body
            .unwrap()
            .starts_with("grant_type=authorization_code&")
    );
    let refresh = refresh_request(&google(), &vars).unwrap();
    assert!(
        refresh
            .body
            .unwrap()
            .starts_with("grant_type=refresh_token&")
    );
}

#[test]
fn empty_required_variable_names_field_and_variable() {
    let vars = google_vars().with("code", "");
    let error = token_request(&google(), &vars).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Token body parameter `code`: variable {code} is empty"
    );
    assert_eq!(
        error.field(),
        Some(&Field::Body(Endpoint::Token, "code".into()))
    );

    let error = refresh_request(
        &google(),
        &Vars::new()
            .with("client_id", "a")
            .with("client_secret", "b"),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "Refresh body parameter `refresh_token`: variable {refresh_token} is empty"
    );
}

#[test]
fn unknown_variable_is_an_error_even_if_the_caller_sets_it() {
    let mut settings = google();
    settings.token.url = "https://{host}/token".into();
    let error = token_request(&settings, &google_vars().with("host", "example.com")).unwrap_err();
    assert_eq!(error.to_string(), "Token URL: unknown variable {host}");
    let mut settings = google();
    settings
        .authorization
        .as_mut()
        .unwrap()
        .params
        .push(p("access_type", "{nope}"));
    let error = authorization_url(&settings, &google_vars()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Authorization parameter `access_type`: unknown variable {nope}"
    );
}

#[test]
fn optional_params_are_dropped_when_empty() {
    let vars = google_vars().with("code_verifier", "");
    let request = token_request(&google(), &vars).unwrap();
    assert!(!request.body.as_deref().unwrap().contains("code_verifier"));
    let mut settings = google();
    settings
        .token
        .body
        .push(param("scope", "{scope} extra", true));
    let request = token_request(&settings, &vars.with("scope", "")).unwrap();
    assert!(
        request.body.as_deref().unwrap().ends_with("&scope=+extra"),
        "{:?}",
        request.body
    );
}

#[test]
fn scope_defaults_to_the_joined_scope_list() {
    let mut settings = google();
    settings.token.body.push(p("scope", "{scope}"));
    let request = token_request(&settings, &google_vars()).unwrap();
    assert!(request.body.unwrap().ends_with("&scope=openid+email"));
    let request = token_request(&settings, &google_vars().with("scope", "a,b")).unwrap();
    assert!(request.body.unwrap().ends_with("&scope=a%2Cb"));
}

#[test]
fn service_variables_and_callback_params_fill_the_url() {
    let mut settings = google();
    settings.variables = vec![VariableSpec {
        name: "api_version".into(),
        label: "API version".into(),
        help: String::new(),
        default: "v2".into(),
    }];
    settings.authorization.as_mut().unwrap().callback_params = vec!["realmId".into()];
    settings.token.url = "https://{realmId}.example.com/{api_version}/token".into();
    let request = token_request(&settings, &google_vars().with("realmId", "123")).unwrap();
    assert_eq!(request.url, "https://123.example.com/v2/token");
    let error = token_request(&settings, &google_vars()).unwrap_err();
    assert_eq!(error.to_string(), "Token URL: variable {realmId} is empty");
}

#[test]
fn a_url_variable_cannot_change_the_host_or_add_path_query_or_fragment() {
    let mut settings = google();
    settings.variables = vec![VariableSpec {
        name: "v".into(),
        label: "V".into(),
        help: String::new(),
        default: String::new(),
    }];
    settings.token.url = "https://api.example.com/{v}/token".into();
    for value in ["a/b", "a?b=c", "a#b", "@evil.com", ":80", "..", "x/../../y"] {
        match token_request(&settings, &google_vars().with("v", value)) {
            Ok(request) => {
                let url = url::Url::parse(&request.url).unwrap();
                assert_eq!(url.host_str(), Some("api.example.com"), "{value}");
                assert_eq!(url.path_segments().unwrap().count(), 2, "{value}");
                assert_eq!((url.query(), url.fragment()), (None, None), "{value}");
            }
            Err(error) => assert_eq!(
                error.to_string(),
                "Token URL: variable {v} would make a `.` or `..` path segment, which changes the URL's path",
                "{value}"
            ),
        }
    }
    settings.token.url = "https://{v}.example.com/token".into();
    for value in ["evil.com/", "evil.com#", "evil.com?", "evil.com@", "a%2F"] {
        let error = token_request(&settings, &google_vars().with("v", value)).unwrap_err();
        assert!(
            error.to_string().starts_with("Token URL: not a valid URL"),
            "{value}: {error}"
        );
    }
}

#[test]
fn url_must_be_http_or_https() {
    let mut settings = google();
    settings.token.url = "ftp://example.com/token".into();
    let error = token_request(&settings, &google_vars()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Token URL: the URL must start with https:// (or http://), not `ftp:`"
    );
    settings.token.url = "not a url".into();
    let error = token_request(&settings, &google_vars()).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("Token URL: not a valid URL ("),
        "{error}"
    );
}

#[test]
fn template_syntax_errors_name_the_field() {
    let mut settings = google();
    settings.token.body.push(p("claims", r#"{"a":1}"#));
    let error = token_request(&settings, &google_vars()).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("Token body parameter `claims`: `{\"a\":1}` is not a variable name"),
        "{error}"
    );
}

#[test]
fn header_values_cannot_inject_headers() {
    let mut settings = google();
    settings.token.headers = vec![p("X-Token", "{token}")];
    let error =
        token_request(&settings, &google_vars().with("token", "a\r\nX-Evil: 1")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Token header `X-Token`: variable {token} contains a line break or NUL, which a header cannot carry"
    );
    settings.token.headers = vec![p("X Bad", "1")];
    let error = token_request(&settings, &google_vars()).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("Token header `X Bad`: not a valid header name"),
        "{error}"
    );
}

#[test]
fn user_headers_replace_generated_ones_and_optional_ones_drop() {
    let mut settings = google();
    settings.token.headers = vec![p("accept", "*/*"), param("X-Opt", "{token}", true)];
    let request = token_request(&settings, &google_vars()).unwrap();
    assert_eq!(
        request
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("accept"))
            .count(),
        1
    );
    assert_eq!(header(&request, "Accept"), "*/*");
    assert_eq!(request.header("X-Opt"), None);
}

#[test]
fn basic_auth_form_encodes_before_base64() {
    assert_eq!(
        basic_authorization("my id", "p@ss word"),
        "Basic bXkraWQ6cCU0MHNzK3dvcmQ="
    );
}

#[test]
fn an_empty_secret_under_basic_or_body_says_what_to_choose_instead() {
    for auth in [ClientAuth::BasicHeader, ClientAuth::Body] {
        let mut settings = google();
        settings.token.client_auth = auth;
        let error = token_request(&settings, &google_vars().with("client_secret", "")).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "Token client authentication: the client secret is empty, but client authentication “{}” sends one",
                auth.label()
            )
        );
        let hint = error.hint().unwrap_or_default();
        assert!(
            hint.contains("choose client authentication “None”"),
            "{hint}"
        );
    }
}

#[test]
fn body_client_auth_respects_templates() {
    let mut settings = google();
    settings.token.client_auth = ClientAuth::Body;
    settings
        .token
        .body
        .push(p("client_id", "{client_id}-custom"));
    settings
        .token
        .body
        .push(p("client_secret", "{client_secret}"));
    let request = token_request(&settings, &google_vars()).unwrap();
    assert_eq!(request.header("authorization"), None);
    let body = request.body.unwrap();
    assert_eq!(body.matches("client_id=").count(), 1, "{body}");
    assert_eq!(body.matches("client_secret=").count(), 1, "{body}");
    assert!(
        body.contains("client_id=abc.apps.googleusercontent.com-custom"),
        "{body}"
    );
}

#[test]
fn a_public_client_sends_its_id_in_the_body_and_no_secret() {
    let mut settings = google();
    settings.token.client_auth = ClientAuth::None;
    if let Some(refresh) = &mut settings.refresh {
        refresh.client_auth = ClientAuth::None;
    }
    // Even a secret typed by mistake is not sent: "None" means no client authentication.
    let vars = google_vars().with("refresh_token", "1//rt");
    for request in [
        token_request(&settings, &vars).unwrap(),
        refresh_request(&settings, &vars).unwrap(),
    ] {
        assert_eq!(request.header("authorization"), None);
        let body = request.body.unwrap_or_default();
        assert_eq!(body.matches("client_id=").count(), 1, "{body}");
        assert!(
            body.contains("client_id=abc.apps.googleusercontent.com"),
            "{body}"
        );
        assert!(!body.contains("client_secret"), "{body}");
    }
    let error = token_request(&settings, &google_vars().with("client_id", "")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Token client authentication: variable {client_id} is empty"
    );
    assert_eq!(error.hint(), Some("Enter the client ID in step 2."));
}

#[test]
fn client_auth_none_adds_nothing_to_other_grants() {
    let mut settings = google();
    settings.token.client_auth = ClientAuth::None;
    settings.token.grant_type = "ig_exchange_token".to_owned();
    let request = token_request(&settings, &google_vars()).unwrap();
    assert_eq!(request.header("authorization"), None);
    assert!(!request.body.unwrap().contains("client_"));
}

#[test]
fn build_errors_come_with_a_hint() {
    let error = token_request(&google(), &google_vars().with("code", "")).unwrap_err();
    assert!(
        error
            .hint()
            .unwrap_or_default()
            .contains("run client-flow authorization in step 2"),
        "{:?}",
        error.hint()
    );
    let mut settings = google();
    settings.token.body.push(p("audience", "{audience"));
    let error = token_request(&settings, &google_vars()).unwrap_err();
    assert_eq!(
        error.hint(),
        Some("A variable is written {name}; write {{ and }} for a literal brace.")
    );
    assert!(
        BuildError::NoRefresh.hint().is_some(),
        "every build error says what to do"
    );
}

#[test]
fn refresh_without_settings_is_an_error() {
    let mut settings = google();
    settings.refresh = None;
    let error = refresh_request(&settings, &google_vars()).unwrap_err();
    assert_eq!(error, BuildError::NoRefresh);
    assert!(error.to_string().contains("no refresh settings"));
    settings.authorization = None;
    assert_eq!(
        authorization_url(&settings, &google_vars()),
        Err(BuildError::NoAuthorization)
    );
}

#[test]
fn authorization_params_replace_standard_ones_and_fixed_ones_stay() {
    let mut settings = google();
    let auth = settings.authorization.as_mut().unwrap();
    auth.url = "https://example.com/authorize?audience=api&response_type=code%20id_token".into();
    auth.params = vec![p("scope", "custom {scope}"), p("state", "fixed-{state}")];
    let url = authorization_url(&settings, &google_vars()).unwrap();
    assert_eq!(
        url,
        format!(
            "https://example.com/authorize?audience=api&response_type=code%20id_token\
             &client_id=abc.apps.googleusercontent.com&redirect_uri=http%3A%2F%2Flocalhost%3A8080%2Fcallback\
             &scope=custom%20openid%20email&state=fixed-xyz&code_challenge={CHALLENGE}&code_challenge_method=S256\
             &nonce={}",
            crate::pkce::nonce_for(google_vars().get("state").unwrap())
        )
    );
}

#[test]
fn authorization_scope_spaces_and_separators() {
    let mut settings = google();
    let auth = settings.authorization.as_mut().unwrap();
    auth.params.clear();
    auth.pkce = PkceMethod::None;
    auth.space_encoding = SpaceEncoding::Plus;
    let url = authorization_url(&settings, &google_vars()).unwrap();
    assert!(url.contains("&scope=openid+email&"), "{url}");
    let auth = settings.authorization.as_mut().unwrap();
    auth.space_encoding = SpaceEncoding::Percent20;
    auth.scope_separator = ScopeSeparator::Plus;
    auth.params = vec![p("login_hint", "a b")];
    let url = authorization_url(&settings, &google_vars()).unwrap();
    assert!(url.contains("&scope=openid+email&"), "{url}");
    assert!(url.ends_with("&login_hint=a%20b"), "{url}");
    assert!(!url.contains("code_challenge"), "PKCE off: {url}");
    let auth = settings.authorization.as_mut().unwrap();
    auth.scope_separator = ScopeSeparator::Comma;
    let url = authorization_url(&settings, &google_vars()).unwrap();
    assert!(url.contains("&scope=openid%2Cemail&"), "{url}");
}

#[test]
fn empty_scope_is_omitted_and_missing_state_is_an_error() {
    let mut settings = google();
    settings.authorization.as_mut().unwrap().scopes.clear();
    let url = authorization_url(&settings, &google_vars()).unwrap();
    assert!(!url.contains("scope="), "{url}");
    let error = authorization_url(&settings, &google_vars().with("state", "")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Authorization parameter `state`: variable {state} is empty"
    );
    let error = authorization_url(&settings, &google_vars().with("client_id", "")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Authorization parameter `client_id`: variable {client_id} is empty"
    );
}

#[test]
fn pkce_needs_a_valid_verifier() {
    let error =
        authorization_url(&google(), &google_vars().with("code_verifier", "short")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Authorization parameter `code_verifier`: the code verifier must be 43 to 128 characters long, not 5"
    );
    let url = authorization_url(&google(), &google_vars().with("code_verifier", "")).unwrap();
    assert!(!url.contains("code_challenge"), "{url}");
}

#[test]
fn masked_hides_every_secret_in_every_encoding() {
    let mut settings = google();
    settings.token.client_auth = ClientAuth::Body;
    settings.token.query = vec![p("t", "{token}")];
    settings.token.headers = vec![p("X-Secret", "{client_secret}")];
    let vars = google_vars().with("token", "tok en/1");
    let request = token_request(&settings, &vars).unwrap();
    let masked = request.masked(&vars);
    let shown = format!(
        "{} {:?} {}",
        masked.url,
        masked.headers,
        masked.body.clone().unwrap()
    );
    for secret in [
        "s3cr", "4/0Abc", "4%2F0Abc", VERIFIER, "tok en", "tok%20en", "tok+en",
    ] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert_eq!(masked.url, "https://oauth2.googleapis.com/token?t=••••••");
    assert_eq!(masked.header("X-Secret"), Some("••••••"));
    assert!(masked.body.unwrap().contains("code=••••••&"));
    assert!(
        shown.contains("abc.apps.googleusercontent.com"),
        "non-secrets stay: {shown}"
    );

    let basic = token_request(&google(), &google_vars())
        .unwrap()
        .masked(&Vars::new());
    assert_eq!(basic.header("authorization"), Some("Basic ••••••"));
}

/// Built from masked variables, a one-letter secret cannot garble the rest of the request, as
/// masking the finished request by substring alone would ("application/x-www-form-urlencoded").
#[test]
fn a_request_built_from_masked_vars_shows_a_short_secret_cleanly() {
    let mut settings = google();
    settings.token.client_auth = ClientAuth::Body;
    let vars = google_vars().with("client_secret", "s").masked();
    let shown = token_request(&settings, &vars).unwrap().masked(&vars);
    assert_eq!(
        shown.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let body = shown.body.unwrap();
    assert!(body.contains("client_secret=••••••"), "{body}");
    assert!(body.contains("grant_type=authorization_code"), "{body}");
}

#[test]
fn masked_json_body() {
    let mut settings = google();
    settings.token.body_format = BodyFormat::Json;
    let vars = google_vars().with("code", "a\"b\\c");
    let masked = token_request(&settings, &vars).unwrap().masked(&vars);
    assert!(masked.body.unwrap().contains(r#""code":"••••••""#));
}

#[test]
fn curl_is_shell_safe() {
    let request = HttpRequest {
        method: HttpMethod::Post,
        url: "https://example.com/token?a=1&b=2".into(),
        headers: vec![("X-Quote".into(), "it's $HOME `x`".into())],
        body: Some("a=b'c".into()),
    };
    assert_eq!(
        request.to_curl(),
        "curl -X POST 'https://example.com/token?a=1&b=2' \\\n  -H 'X-Quote: it'\\''s $HOME `x`' \\\n  --data-raw 'a=b'\\''c'"
    );
    let get = HttpRequest {
        method: HttpMethod::Get,
        url: "https://e.com/".into(),
        headers: Vec::new(),
        body: None,
    };
    assert_eq!(get.to_curl(), "curl -X GET 'https://e.com/'");
}

#[test]
fn serializes_as_the_relay_envelope() {
    let request = HttpRequest {
        method: HttpMethod::Post,
        url: "https://e.com/t".into(),
        headers: vec![("Accept".into(), "application/json".into())],
        body: None,
    };
    assert_eq!(
        serde_json::to_string(&request).unwrap(),
        r#"{"method":"POST","url":"https://e.com/t","headers":[["Accept","application/json"]],"body":null}"#
    );
}

#[test]
fn json_body_refuses_duplicate_names() {
    let mut settings = google();
    settings.token.body_format = BodyFormat::Json;
    settings.token.body.push(p("code", "again"));
    let error = token_request(&settings, &google_vars()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Token body parameter `code`: appears twice, but a JSON body can hold each name only once"
    );
}

#[test]
fn unnamed_params_are_errors() {
    let mut settings = google();
    settings.token.query.push(p(" ", "x"));
    let error = token_request(&settings, &google_vars()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Token query parameter ` `: the name is empty"
    );
}

#[test]
fn redirect_uri_defaults_to_the_suggested_one() {
    let mut settings = google();
    settings.authorization.as_mut().unwrap().redirect_uri = "https://app.example/cb".into();
    let mut vars = google_vars();
    vars.remove("redirect_uri");
    let url = authorization_url(&settings, &vars).unwrap();
    assert!(
        url.contains("&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&"),
        "{url}"
    );
    let url = authorization_url(&settings, &google_vars()).unwrap();
    assert!(
        url.contains("&redirect_uri=http%3A%2F%2Flocalhost%3A8080%2Fcallback&"),
        "{url}"
    );
}

#[test]
fn repeated_extra_authorization_params_are_kept() {
    let mut settings = google();
    let auth = settings.authorization.as_mut().unwrap();
    auth.params = vec![p("resource", "https://a"), p("resource", "https://b")];
    let url = authorization_url(&settings, &google_vars()).unwrap();
    assert!(
        url.ends_with("&resource=https%3A%2F%2Fa&resource=https%3A%2F%2Fb"),
        "{url}"
    );
}

#[test]
fn which_client_auth_sends_the_client_id() {
    let mut token = EndpointSettings::client_credentials("https://id.example/token");
    assert!(token.client_auth_sends_client_id(), "Basic");
    token.client_auth = ClientAuth::None;
    assert!(
        !token.client_auth_sends_client_id(),
        "None with client credentials"
    );
    let mut refresh = EndpointSettings::refresh_token("https://id.example/token");
    refresh.client_auth = ClientAuth::None;
    assert!(
        refresh.client_auth_sends_client_id(),
        "a public client's refresh"
    );
}

#[test]
fn a_nonce_goes_with_openid_only() {
    let vars = google_vars().with("state", "st");
    let nonce = crate::pkce::nonce_for("st");
    assert_ne!(nonce, crate::pkce::nonce_for("st2"));
    let url = authorization_url(&google(), &vars).unwrap();
    assert!(
        url.contains(&format!("&code_challenge_method=S256&nonce={nonce}&")),
        "{url}"
    );
    let mut settings = google();
    settings.authorization.as_mut().unwrap().scopes = vec!["email".into()];
    let url = authorization_url(&settings, &vars).unwrap();
    assert!(!url.contains("nonce"), "{url}");
}
