use super::*;
use crate::settings::HttpMethod;

fn names(token: &EndpointSettings) -> Vec<&str> {
    token
        .body
        .iter()
        .chain(&token.query)
        .map(|p| p.name.as_str())
        .collect()
}

fn with_flow() -> ServiceSettings {
    let mut auth = AuthorizationSettings::blank();
    auth.url = "https://id.example/authorize".to_owned();
    auth.scopes = vec!["openid".to_owned(), "offline_access".to_owned()];
    auth.params.push(crate::settings::Param {
        name: "prompt".to_owned(),
        value: "consent".to_owned(),
        optional: false,
    });
    ServiceSettings {
        client_id_label: "Client ID".to_owned(),
        variables: Vec::new(),
        authorization: Some(auth),
        token: EndpointSettings::authorization_code("https://id.example/token"),
        refresh: Some(EndpointSettings::refresh_token("https://id.example/token")),
        follow_up: None,
    }
}

#[test]
fn unticking_the_flow_turns_the_code_exchange_into_client_credentials() {
    let mut settings = with_flow();
    settings.token.client_auth = ClientAuth::Body;
    let mut parked = ParkedFlow::default();
    settings.set_client_flow(false, &mut parked);
    assert!(!settings.client_flow());
    assert_eq!(settings.token.grant_type, "client_credentials");
    assert_eq!(names(&settings.token), ["grant_type", "scope"]);
    assert!(
        settings.token.body[1].optional,
        "an empty scope is left out"
    );
    assert_eq!(
        settings.token.url, "https://id.example/token",
        "the URL stays"
    );
    assert_eq!(
        settings.token.client_auth,
        ClientAuth::Body,
        "so does the client auth"
    );
}

#[test]
fn ticking_the_flow_again_brings_back_everything_it_had() {
    let original = with_flow();
    let mut settings = original.clone();
    let mut parked = ParkedFlow::default();
    settings.set_client_flow(false, &mut parked);
    settings.set_client_flow(true, &mut parked);
    assert_eq!(settings, original);
    assert_eq!(parked.authorization, None);
    assert_eq!(
        parked.token.map(|t| t.grant_type).as_deref(),
        Some("client_credentials"),
        "the no-flow request waits for the next switch"
    );
}

#[test]
fn the_no_flow_request_the_user_edited_comes_back_too() {
    let mut settings = with_flow();
    let mut parked = ParkedFlow::default();
    settings.set_client_flow(false, &mut parked);
    settings.token.grant_type = "password".to_owned();
    let edited = settings.token.clone();
    settings.set_client_flow(true, &mut parked);
    assert_eq!(settings.token.grant_type, "authorization_code");
    settings.set_client_flow(false, &mut parked);
    assert_eq!(settings.token, edited);
}

#[test]
fn ticking_a_service_without_a_flow_makes_a_code_exchange() {
    let mut settings = with_flow();
    settings.authorization = None;
    settings.token = EndpointSettings::client_credentials("https://id.example/token");
    let mut parked = ParkedFlow::default();
    settings.set_client_flow(true, &mut parked);
    assert_eq!(settings.authorization, Some(AuthorizationSettings::blank()));
    assert_eq!(settings.token.grant_type, "authorization_code");
    assert_eq!(
        names(&settings.token),
        ["grant_type", "code", "redirect_uri", "code_verifier"]
    );
    assert_eq!(settings.token.url, "https://id.example/token");
}

#[test]
fn a_get_exchange_keeps_its_parameters_in_the_query() {
    let mut settings = with_flow();
    settings.token.method = HttpMethod::Get;
    settings.token.query = std::mem::take(&mut settings.token.body);
    let mut parked = ParkedFlow::default();
    settings.set_client_flow(false, &mut parked);
    assert!(settings.token.body.is_empty());
    assert_eq!(names(&settings.token), ["grant_type", "scope"]);
}

#[test]
fn a_request_of_the_right_kind_is_left_alone() {
    let mut settings = with_flow();
    settings.authorization = None;
    settings.token.grant_type = "password".to_owned();
    let token = settings.token.clone();
    settings.set_client_flow(false, &mut ParkedFlow::default());
    assert_eq!(settings.token, token);
}

#[test]
fn the_refresh_follows_the_bearer_client_auth_while_they_agree() {
    let mut settings = with_flow();
    settings.set_client_auth(Endpoint::Token, ClientAuth::None);
    assert_eq!(
        settings.client_auth(Endpoint::Refresh),
        Some(ClientAuth::None)
    );
    settings.set_client_auth(Endpoint::Refresh, ClientAuth::Body);
    settings.set_client_auth(Endpoint::Token, ClientAuth::BasicHeader);
    assert_eq!(
        settings.client_auth(Endpoint::Refresh),
        Some(ClientAuth::Body),
        "a choice made on the refresh tab stays"
    );
    assert_eq!(
        settings.client_auth(Endpoint::Token),
        Some(ClientAuth::BasicHeader)
    );
}

#[test]
fn client_credentials_start_from_the_standard_request() {
    let token = EndpointSettings::client_credentials("https://id.example/token");
    assert_eq!(token.grant_type, "client_credentials");
    assert_eq!(names(&token), ["grant_type", "scope"]);
    assert_eq!(token.client_auth, ClientAuth::BasicHeader);
}

#[test]
fn client_credentials_expect_no_refresh_token() {
    let mut settings = with_flow();
    assert!(settings.expects_refresh_token());
    settings.set_client_flow(false, &mut ParkedFlow::default());
    assert!(!settings.expects_refresh_token());
    settings.token.grant_type = "password".to_owned();
    assert!(settings.expects_refresh_token());
    settings.refresh = None;
    assert!(!settings.expects_refresh_token());
}

#[test]
fn custom_settings_start_with_the_standard_requests() {
    let with_flow = ServiceSettings::blank(true);
    assert!(
        with_flow
            .authorization
            .as_ref()
            .is_some_and(|a| a.url.is_empty() && a.pkce == crate::settings::PkceMethod::S256)
    );
    assert_eq!(with_flow.token.grant_type, "authorization_code");
    assert_eq!(
        with_flow.refresh.as_ref().map(|r| r.grant_type.as_str()),
        Some("refresh_token")
    );
    let without_flow = ServiceSettings::blank(false);
    assert!(without_flow.authorization.is_none());
    assert_eq!(without_flow.token.grant_type, "client_credentials");
    assert_eq!(names(&without_flow.token), ["grant_type", "scope"]);
    assert!(
        without_flow.token.body[1].optional,
        "an empty scope must be left out"
    );
    assert_eq!(
        EndpointSettings::blank_token(true),
        EndpointSettings::authorization_code("")
    );
    assert_eq!(
        EndpointSettings::blank_token(false),
        EndpointSettings::client_credentials("")
    );
}
