//! Which variables settings use: the one walk over every template of a request, and the
//! questions the wizard asks of it (is a client id needed, does the refresh exchange the access
//! token itself).

use std::collections::BTreeSet;

use crate::settings::{AuthorizationSettings, EndpointSettings, ServiceSettings};
use crate::template::Template;

/// Adds the variables of the template `source` to `into` (nothing when it does not parse: the
/// validation reports that).
fn collect(source: &str, into: &mut BTreeSet<String>) {
    if let Ok(template) = Template::parse(source) {
        for name in template.variables() {
            into.insert(name.to_owned());
        }
    }
}

/// Whether the template `source` refers to `{name}` (not when it does not parse).
fn refers_to(source: &str, name: &str) -> bool {
    Template::parse(source).is_ok_and(|template| template.variables().contains(&name))
}

impl EndpointSettings {
    /// The sources of the request's templates: URL, query, body and headers.
    fn templates(&self) -> impl Iterator<Item = &str> {
        let params = self.query.iter().chain(&self.body).chain(&self.headers);
        std::iter::once(self.url.as_str()).chain(params.map(|param| param.value.as_str()))
    }

    /// Every variable the request's templates refer to: URL, query, body and headers.
    pub fn variables(&self) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        for source in self.templates() {
            collect(source, &mut names);
        }
        names
    }

    /// Whether one of its templates refers to `{name}`. Asked without building the set of
    /// [`Self::variables`], so the wasm, which only asks this, has no `BTreeSet` code for it.
    pub fn uses_variable(&self, name: &str) -> bool {
        self.templates().any(|source| refers_to(source, name))
    }
}

impl AuthorizationSettings {
    /// Every variable the authorization URL and its extra parameters refer to.
    pub fn variables(&self) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        collect(&self.url, &mut names);
        for param in &self.params {
            collect(&param.value, &mut names);
        }
        names
    }
}

impl ServiceSettings {
    /// Whether the requests use the client id: a client flow, client authentication (a public
    /// client's included), or a template with `{client_id}`.
    pub fn needs_client_id(&self) -> bool {
        let endpoint_uses =
            |e: &EndpointSettings| e.client_auth_sends_client_id() || e.uses_variable("client_id");
        self.authorization.is_some()
            || endpoint_uses(&self.token)
            || self.refresh.as_ref().is_some_and(endpoint_uses)
    }

    /// Whether the refresh exchanges the access token itself (`{token}`, as Facebook's
    /// `fb_exchange_token` does) rather than a refresh token.
    pub fn refresh_uses_access_token(&self) -> bool {
        self.refresh
            .as_ref()
            .is_some_and(|refresh| refresh.uses_variable("token"))
    }
}

#[cfg(test)]
mod tests {
    use crate::settings::{ClientAuth, EndpointSettings, Param, ServiceSettings};

    fn param(name: &str, value: &str) -> Param {
        Param {
            name: name.to_owned(),
            value: value.to_owned(),
            optional: false,
        }
    }

    #[test]
    fn an_endpoint_knows_the_variables_of_every_template() {
        let mut endpoint = EndpointSettings::refresh_token("https://{tenant}.example/token");
        endpoint.query.push(param("api", "{version}"));
        endpoint
            .headers
            .push(param("X-Account", "{account}-{tenant}"));
        let names: Vec<String> = endpoint.variables().into_iter().collect();
        assert_eq!(
            names,
            [
                "account",
                "grant_type",
                "refresh_token",
                "tenant",
                "version"
            ]
        );
        for name in &names {
            assert!(endpoint.uses_variable(name), "{name}");
        }
        assert!(!endpoint.uses_variable("code"));
    }

    #[test]
    fn a_template_that_does_not_parse_adds_nothing() {
        let endpoint = EndpointSettings {
            body: vec![param("x", "{unclosed")],
            ..EndpointSettings::client_credentials("https://auth.example/token")
        };
        assert!(!endpoint.uses_variable("unclosed"));
    }

    #[test]
    fn the_authorization_knows_its_variables() {
        let mut settings = ServiceSettings::blank(true);
        let auth = settings.authorization.as_mut().unwrap();
        auth.url = "https://{tenant}.example/authorize".to_owned();
        auth.params.push(param("prompt", "{prompt}"));
        let names: Vec<String> = auth.variables().into_iter().collect();
        assert_eq!(names, ["prompt", "tenant"]);
    }

    #[test]
    fn the_client_id_is_needed_only_when_something_uses_it() {
        let mut settings = ServiceSettings::blank(false);
        assert!(
            settings.needs_client_id(),
            "Basic client authentication sends it"
        );
        settings.token.client_auth = ClientAuth::None;
        assert!(
            settings.needs_client_id(),
            "a public client's refresh sends it"
        );
        settings.refresh = None;
        assert!(!settings.needs_client_id());
        settings.token.body.push(param("client_id", "{client_id}"));
        assert!(settings.needs_client_id(), "a template uses {{client_id}}");
        assert!(
            ServiceSettings::blank(true).needs_client_id(),
            "the client flow sends it"
        );
    }

    #[test]
    fn refresh_by_exchange_is_recognised_from_the_token_variable() {
        let mut settings = ServiceSettings::blank(true);
        assert!(!settings.refresh_uses_access_token());
        if let Some(refresh) = &mut settings.refresh {
            refresh.query.push(param("fb_exchange_token", "{token}"));
        }
        assert!(settings.refresh_uses_access_token());
        settings.refresh = None;
        assert!(!settings.refresh_uses_access_token());
    }
}
