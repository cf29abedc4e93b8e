//! Checking a service's settings before use, and naming the fields the user sees.
//!
//! [`Field`] names a place in [`ServiceSettings`] in the wizard's own words, and [`Problem`] says
//! what is wrong there; both the settings check and the request builders report with them.

use std::fmt;

use thiserror::Error;

use crate::encode::{self, Encoding};
use crate::pkce::PkceError;
use crate::settings::{BodyFormat, ClientAuth, EndpointSettings, Param, ServiceSettings};
use crate::template::{self, RenderError, Template, TemplateError};
use crate::vars::{STANDARD_VARIABLES, Vars};

/// Which token endpoint call a field belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// Getting the bearer token (step 3, "Bearer token").
    Token,
    /// Re-issuing it (step 3, "Refresh token settings").
    Refresh,
    /// The second exchange run after the code exchange (`ServiceSettings::follow_up`).
    FollowUp,
}

impl Endpoint {
    /// "Token" or "Refresh", as the field labels begin.
    pub fn label(self) -> &'static str {
        match self {
            Self::Token => "Token",
            Self::Refresh => "Refresh",
            Self::FollowUp => "Follow-up exchange",
        }
    }
}

/// A field of the settings, displayed as the user sees it ("Token URL", "Refresh body parameter
/// `refresh_token`", "Authorization parameter `access_type`").
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    /// The authorization endpoint URL.
    AuthorizationUrl,
    /// An authorization request parameter (standard or extra), by name.
    AuthorizationParam(String),
    /// The suggested redirect URI.
    RedirectUri,
    /// A callback parameter kept as a variable, by name.
    CallbackParam(String),
    /// A service variable, by name.
    Variable(String),
    /// The endpoint URL.
    Url(Endpoint),
    /// The endpoint's grant type.
    GrantType(Endpoint),
    /// A query parameter of the endpoint, by name.
    Query(Endpoint, String),
    /// A body parameter of the endpoint, by name.
    Body(Endpoint, String),
    /// A request header of the endpoint, by name.
    Header(Endpoint, String),
    /// The endpoint's client authentication.
    ClientAuth(Endpoint),
    /// Where the access token is in the endpoint's answer.
    TokenPath(Endpoint),
}

impl Field {
    /// The token endpoint call the field belongs to, if it is one of theirs.
    pub fn endpoint(&self) -> Option<Endpoint> {
        match self {
            Self::Url(e)
            | Self::GrantType(e)
            | Self::ClientAuth(e)
            | Self::Query(e, _)
            | Self::Body(e, _)
            | Self::Header(e, _)
            | Self::TokenPath(e) => Some(*e),
            _ => None,
        }
    }
}

/// Headers that are allowed but probably not what the user wants, in words: a name given twice
/// (services read one of them), and `Host`, which the HTTP client derives from the URL.
pub fn header_warnings(headers: &[Param]) -> Vec<String> {
    let mut warnings = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for header in headers {
        let name = header.name.to_ascii_lowercase();
        if name == "host" {
            warnings.push(
                "`Host` is set from the URL by the browser and the relay; this header is not sent as written"
                    .to_owned(),
            );
        } else if seen.contains(&name)
            && !warnings
                .iter()
                .any(|w| w.contains(&format!("`{}`", header.name)))
        {
            warnings.push(format!(
                "`{}` is given more than once; services usually read only one of them",
                header.name
            ));
        }
        seen.push(name);
    }
    warnings
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AuthorizationUrl => write!(f, "Authorization URL"),
            Self::AuthorizationParam(name) => write!(f, "Authorization parameter `{name}`"),
            Self::RedirectUri => write!(f, "Redirect URI"),
            Self::CallbackParam(name) => write!(f, "Callback parameter `{name}`"),
            Self::Variable(name) => write!(f, "Variable `{name}`"),
            Self::Url(endpoint) => write!(f, "{} URL", endpoint.label()),
            Self::GrantType(endpoint) => write!(f, "{} grant type", endpoint.label()),
            Self::Query(endpoint, name) => {
                write!(f, "{} query parameter `{name}`", endpoint.label())
            }
            Self::Body(endpoint, name) => write!(f, "{} body parameter `{name}`", endpoint.label()),
            Self::Header(endpoint, name) => write!(f, "{} header `{name}`", endpoint.label()),
            Self::ClientAuth(endpoint) => write!(f, "{} client authentication", endpoint.label()),
            Self::TokenPath(endpoint) => write!(f, "{} token path", endpoint.label()),
        }
    }
}

/// What is wrong with a field.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum Problem {
    /// The template does not parse.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The template cannot be rendered (unknown or empty variable, line break in a header …).
    #[error(transparent)]
    Render(#[from] RenderError),
    /// The rendered URL does not parse.
    #[error("not a valid URL ({0})")]
    InvalidUrl(String),
    /// The host has characters other than ASCII: the engine carries no Unicode tables
    /// (`idna_adapter` 1.0.0 keeps the wasm small), so it cannot convert them itself.
    #[error(
        "the host may hold only ASCII letters, digits, `-` and `.`: write an internationalised \
         name in its `xn--` form"
    )]
    NonAsciiHost,
    /// The URL's scheme is not http or https.
    #[error("the URL must start with https:// (or http://), not `{0}:`")]
    NotHttp(String),
    /// A parameter or header without a name.
    #[error("the name is empty")]
    EmptyName,
    /// A parameter name with a space or an invisible character, which no service expects.
    #[error("the name contains {0}; parameter names have none")]
    ParamName(String),
    /// A header name with characters HTTP does not allow.
    #[error("not a valid header name (letters, digits and `-` only, no spaces or `:`)")]
    HeaderName,
    /// A variable or callback parameter name with characters templates do not allow.
    #[error("not a valid variable name (letters, digits, `_`, `-` and `.` only)")]
    VariableName,
    /// A variable or callback parameter named like another one.
    #[error("the name is already used by another variable")]
    DuplicateVariable,
    /// A variable or callback parameter named like one of the wizard's own variables.
    #[error(
        "`{0}` is one of the wizard's own variables ({{client_id}}, {{code}}, {{redirect_uri}} …); choose another name"
    )]
    ReservedVariable(String),
    /// The same name twice in a JSON body.
    #[error("appears twice, but a JSON body can hold each name only once")]
    DuplicateJsonKey,
    /// The endpoint has no grant type.
    #[error("the grant type is empty")]
    EmptyGrantType,
    /// The token path does not parse.
    #[error(transparent)]
    TokenPath(#[from] crate::wrapped::PathError),
    /// The code verifier is not a valid PKCE verifier.
    #[error(transparent)]
    Pkce(#[from] PkceError),
    /// Basic or body client authentication without a client secret.
    #[error(
        "the client secret is empty, but client authentication “{}” sends one",
        .0.label()
    )]
    EmptySecret(ClientAuth),
    /// The private key of `private_key_jwt` cannot be used; the words say why.
    #[error("the private key {0}")]
    PrivateKey(String),
}

/// A problem in a service's settings, found by [`ServiceSettings::validate`].
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{field}: {problem}")]
pub struct SettingsError {
    /// Where the problem is.
    pub field: Field,
    /// What is wrong.
    pub problem: Problem,
}

impl SettingsError {
    fn new(field: Field, problem: impl Into<Problem>) -> Self {
        Self {
            field,
            problem: problem.into(),
        }
    }
}

impl ServiceSettings {
    /// Every variable the service's templates may use: the standard ones, the callback parameters
    /// it keeps, and its own variables.
    pub fn known_variables(&self) -> Vec<String> {
        let mut names: Vec<String> = STANDARD_VARIABLES
            .iter()
            .map(|&name| name.to_owned())
            .collect();
        let callback = self
            .authorization
            .iter()
            .flat_map(|auth| &auth.callback_params);
        let own = self.variables.iter().map(|spec| &spec.name);
        for name in callback.chain(own) {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        names
    }

    /// Checks every template parses and uses only known variables, every URL is http(s), and
    /// every name is valid. Returns all problems found, not just the first.
    pub fn validate(&self) -> Result<(), Vec<SettingsError>> {
        let mut errors = Vec::new();
        self.validate_variables(&mut errors);
        let known = self.known_variables();
        let sample = self.sample_vars(&known);
        if let Some(auth) = &self.authorization {
            check_url(
                &auth.url,
                Field::AuthorizationUrl,
                &known,
                &sample,
                &mut errors,
            );
            check_params(&auth.params, Field::AuthorizationParam, &known, &mut errors);
            if !auth.redirect_uri.trim().is_empty() {
                check_url(
                    &auth.redirect_uri,
                    Field::RedirectUri,
                    &known,
                    &sample,
                    &mut errors,
                );
            }
        }
        check_endpoint(&self.token, Endpoint::Token, &known, &sample, &mut errors);
        if let Some(refresh) = &self.refresh {
            check_endpoint(refresh, Endpoint::Refresh, &known, &sample, &mut errors);
        }
        if let Some(follow_up) = &self.follow_up {
            check_endpoint(follow_up, Endpoint::FollowUp, &known, &sample, &mut errors);
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn validate_variables(&self, errors: &mut Vec<SettingsError>) {
        let mut seen: Vec<&str> = Vec::new();
        let callback = self
            .authorization
            .iter()
            .flat_map(|auth| &auth.callback_params);
        let named = callback
            .map(|name| (name, Field::CallbackParam(name.clone())))
            .chain(
                self.variables
                    .iter()
                    .map(|spec| (&spec.name, Field::Variable(spec.name.clone()))),
            );
        for (name, field) in named {
            if !template::is_variable_name(name) {
                errors.push(SettingsError::new(field, Problem::VariableName));
            } else if STANDARD_VARIABLES.contains(&name.as_str()) {
                errors.push(SettingsError::new(
                    field,
                    Problem::ReservedVariable(name.clone()),
                ));
            } else if seen.contains(&name.as_str()) {
                errors.push(SettingsError::new(field, Problem::DuplicateVariable));
            } else {
                seen.push(name);
            }
        }
    }

    /// Harmless stand-in values for checking that URL templates render to valid URLs.
    fn sample_vars(&self, known: &[String]) -> Vars {
        let mut vars: Vars = known
            .iter()
            .map(|name| (name.clone(), "1".to_owned()))
            .collect();
        for spec in self
            .variables
            .iter()
            .filter(|spec| !spec.default.is_empty())
        {
            vars.set(spec.name.clone(), spec.default.clone());
        }
        vars
    }
}

fn check_endpoint(
    endpoint: &EndpointSettings,
    which: Endpoint,
    known: &[String],
    sample: &Vars,
    errors: &mut Vec<SettingsError>,
) {
    check_url(&endpoint.url, Field::Url(which), known, sample, errors);
    if let Err(error) = crate::wrapped::TokenPath::parse(&endpoint.token_path) {
        errors.push(SettingsError::new(Field::TokenPath(which), error));
    }
    if endpoint.grant_type.trim().is_empty() {
        errors.push(SettingsError::new(
            Field::GrantType(which),
            Problem::EmptyGrantType,
        ));
    }
    check_params(
        &endpoint.query,
        |name| Field::Query(which, name),
        known,
        errors,
    );
    check_params(
        &endpoint.body,
        |name| Field::Body(which, name),
        known,
        errors,
    );
    check_params(
        &endpoint.headers,
        |name| Field::Header(which, name),
        known,
        errors,
    );
    if endpoint.client_auth.is_jwt() {
        // The assertion's templates: its key id, audience and extra claims.
        let field = Field::ClientAuth(which);
        let assertion = &endpoint.assertion;
        let claims = assertion.claims.iter().map(|claim| claim.value.as_str());
        for source in [assertion.key_id.as_str(), assertion.audience.as_str()]
            .into_iter()
            .chain(claims)
        {
            check_template(source, &field, known, errors);
        }
    }
    for header in &endpoint.headers {
        let field = Field::Header(which, header.name.clone());
        if !header.name.is_empty() && !encode::is_header_name(&header.name) {
            errors.push(SettingsError::new(field.clone(), Problem::HeaderName));
        }
        if encode::has_header_break(&header.value) {
            errors.push(SettingsError::new(
                field,
                RenderError::HeaderBreak { variable: None },
            ));
        }
    }
    if endpoint.body_format == BodyFormat::Json {
        for (index, param) in endpoint.body.iter().enumerate() {
            if endpoint.body[..index]
                .iter()
                .any(|earlier| earlier.name == param.name)
            {
                errors.push(SettingsError::new(
                    Field::Body(which, param.name.clone()),
                    Problem::DuplicateJsonKey,
                ));
            }
        }
    }
}

/// Parses `source` and checks its variables are known; `None` after recording a problem.
fn check_template(
    source: &str,
    field: &Field,
    known: &[String],
    errors: &mut Vec<SettingsError>,
) -> Option<Template> {
    let template = match Template::parse(source) {
        Ok(template) => template,
        Err(error) => {
            errors.push(SettingsError::new(field.clone(), error));
            return None;
        }
    };
    let mut all_known = true;
    for name in template.variables() {
        if !known.iter().any(|known| known == name) {
            errors.push(SettingsError::new(
                field.clone(),
                RenderError::Unknown(name.to_owned()),
            ));
            all_known = false;
        }
    }
    all_known.then_some(template)
}

fn check_url(
    source: &str,
    field: Field,
    known: &[String],
    sample: &Vars,
    errors: &mut Vec<SettingsError>,
) {
    let Some(template) = check_template(source, &field, known, errors) else {
        return;
    };
    let rendered = match template.render_allowing_empty(sample, Encoding::Url) {
        Ok(rendered) => rendered,
        Err(error) => return errors.push(SettingsError::new(field, error)),
    };
    if let Err(problem) = parse_http_url(&rendered) {
        errors.push(SettingsError::new(field, problem));
    }
}

fn check_params(
    params: &[Param],
    field: impl Fn(String) -> Field,
    known: &[String],
    errors: &mut Vec<SettingsError>,
) {
    for param in params {
        let field = field(param.name.clone());
        if param.name.trim().is_empty() {
            errors.push(SettingsError::new(field.clone(), Problem::EmptyName));
        } else if let Some(c) = param
            .name
            .chars()
            .find(|c| c.is_whitespace() || c.is_control())
        {
            errors.push(SettingsError::new(
                field.clone(),
                Problem::ParamName(crate::input::describe_char(c)),
            ));
        }
        check_template(&param.value, &field, known, errors);
    }
}

/// Parses a rendered URL and checks it is http(s).
pub(crate) fn parse_http_url(rendered: &str) -> Result<url::Url, Problem> {
    let url = url::Url::parse(rendered.trim()).map_err(|error| match error {
        url::ParseError::IdnaError if !rendered.is_ascii() => Problem::NonAsciiHost,
        other => Problem::InvalidUrl(other.to_string()),
    })?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(Problem::NotHttp(other.to_owned())),
    }
}

#[cfg(test)]
mod tests;
