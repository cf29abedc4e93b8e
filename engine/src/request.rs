//! Building the three requests of the flow: the authorization URL, the token request and the
//! refresh request, plus showing them safely (`to_curl`, `masked`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::encode::{self, Encoding};
use crate::pkce::Pkce;
use crate::scopes::join_scopes;
use crate::settings::{
    BodyFormat, ClientAuth, Credentials, EndpointSettings, HttpMethod, Param, PkceMethod,
    ServiceSettings, SpaceEncoding,
};
use crate::template::{RenderError, Template};
use crate::validate::{Endpoint, Field, Problem, parse_http_url};
use crate::vars::Vars;

/// What replaces a secret in [`HttpRequest::masked`].
pub const MASK: &str = "••••••";

/// A ready-to-send HTTP request (what the relay's `/api/proxy` envelope carries).
///
/// Its `Debug` output contains secrets: call [`HttpRequest::masked`] before showing or logging it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequest {
    /// GET or POST.
    pub method: HttpMethod,
    /// The full URL, query included.
    pub url: String,
    /// Header names and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body; `None` for GET.
    pub body: Option<String>,
}

/// Why a request cannot be built.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum BuildError {
    /// A field's template or value is wrong, e.g. "Token body parameter `code`: variable {code} is empty".
    #[error("{field}: {problem}")]
    Field {
        /// Where the problem is.
        field: Field,
        /// What is wrong.
        problem: Problem,
    },
    /// `authorization_url` for a service without a client flow.
    #[error("This service has no authorization step (no client flow is configured)")]
    NoAuthorization,
    /// `refresh_request` for a service without refresh settings.
    #[error("This service has no refresh settings, so its token cannot be refreshed")]
    NoRefresh,
    /// A device authorization for a service without a device authorization endpoint.
    #[error("This service has no device authorization endpoint (RFC 8628)")]
    NoDeviceEndpoint,
    /// A userinfo, revocation or introspection call for a service without that endpoint.
    #[error("This service has no {0} endpoint")]
    NoTokenCallEndpoint(&'static str),
}

impl BuildError {
    fn at(field: Field, problem: impl Into<Problem>) -> Self {
        Self::Field {
            field,
            problem: problem.into(),
        }
    }

    /// The field the error is about, if any (to highlight it in the form).
    pub fn field(&self) -> Option<&Field> {
        match self {
            Self::Field { field, .. } => Some(field),
            Self::NoAuthorization
            | Self::NoRefresh
            | Self::NoDeviceEndpoint
            | Self::NoTokenCallEndpoint(_) => None,
        }
    }
}

impl BuildError {
    /// What to do about it, in the words of the wizard, like the hints for the service's errors.
    pub fn hint(&self) -> Option<&'static str> {
        let problem = match self {
            Self::Field { problem, .. } => problem,
            Self::NoAuthorization => {
                return Some(
                    "Tick “This service requires client-flow authorization” in step 1, or go on to the tokens.",
                );
            }
            Self::NoTokenCallEndpoint(_) => {
                return Some("Run discovery in step 1: it fills in the endpoints the service has.");
            }
            Self::NoDeviceEndpoint => {
                return Some(
                    "Enter the device authorization endpoint in step 2 (discovery fills it in when the service has one), or use the authorization-code flow.",
                );
            }
            Self::NoRefresh => {
                return Some(
                    "Add refresh settings on the refresh tab, or call the bearer token request again for a new token.",
                );
            }
        };
        match problem {
            Problem::EmptySecret(ClientAuth::ClientSecretJwt) => Some(
                "Type the client secret under Credentials: client_secret_jwt signs the assertion with it (HS256).",
            ),
            Problem::PrivateKey(_) => Some(
                "Paste the PKCS #8 private key (-----BEGIN PRIVATE KEY-----) or a private JWK whose type fits the algorithm; the service keeps only the public key or certificate.",
            ),
            Problem::EmptySecret(_) => Some(
                "Type the client secret under Credentials. A public client has no secret: choose client authentication “None”, which sends only client_id (PKCE protects the code).",
            ),
            Problem::Render(RenderError::Empty(name)) => Some(match name.as_str() {
                "code" => {
                    "There is no authorization code yet: run client-flow authorization in step 2. For a service that gives tokens without it, untick “This service requires client-flow authorization” in step 1."
                }
                "refresh_token" => {
                    "There is no refresh token yet: call the bearer token request first, or paste a refresh token under Credentials."
                }
                "token" => "There is no access token yet: call the bearer token request first.",
                "client_id" => "Enter the client ID in step 2.",
                "client_secret" => "Type the client secret under Credentials.",
                "user_name" => "Type the user ID under Credentials.",
                "redirect_uri" => "Enter the redirect URI in step 2.",
                "private_key" => {
                    "Paste the private key (PEM “BEGIN PRIVATE KEY” or a JWK) under Credentials."
                }
                "client_assertion" => {
                    "The client assertion is signed when the request is sent; sign it first with the key under Credentials."
                }
                _ => {
                    "Fill in this value in step 1, or write the parameter as name?=value so that it is left out when empty."
                }
            }),
            Problem::Render(RenderError::Unknown(_)) => Some(
                "Only the standard variables and the service's own (step 1, “Define your own variables”) exist: check the spelling, or write {{ and }} for literal braces.",
            ),
            Problem::Template(_) => {
                Some("A variable is written {name}; write {{ and }} for a literal brace.")
            }
            Problem::InvalidUrl(_) | Problem::NotHttp(_) | Problem::NonAsciiHost => {
                Some("Enter the full https:// address, and fill in the variables it uses.")
            }
            _ => None,
        }
    }
}

impl HttpMethod {
    /// `"GET"` or `"POST"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }
}

impl EndpointSettings {
    /// The standard RFC 6749 §4.1.3 code exchange at `url` (a template): `grant_type`, `code`,
    /// `redirect_uri` and, when PKCE is used, `code_verifier`, form-encoded, Basic client auth.
    pub fn authorization_code(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            method: HttpMethod::Post,
            grant_type: "authorization_code".to_owned(),
            client_auth: ClientAuth::BasicHeader,
            credentials: Credentials::Secret,
            assertion: crate::settings::AssertionSettings::default(),
            query: Vec::new(),
            body_format: BodyFormat::Form,
            body: vec![
                param("grant_type", "{grant_type}", false),
                param("code", "{code}", false),
                param("redirect_uri", "{redirect_uri}", false),
                param("code_verifier", "{code_verifier}", true),
            ],
            headers: Vec::new(),
            token_path: String::new(),
        }
    }

    /// The standard RFC 6749 §6 refresh at `url` (a template): `grant_type` and `refresh_token`,
    /// form-encoded, Basic client auth.
    pub fn refresh_token(url: impl Into<String>) -> Self {
        Self {
            grant_type: "refresh_token".to_owned(),
            body: vec![
                param("grant_type", "{grant_type}", false),
                param("refresh_token", "{refresh_token}", false),
            ],
            ..Self::authorization_code(url)
        }
    }
}

impl EndpointSettings {
    /// Whether its client authentication sends the `{client_id}`: Basic and body always, "None"
    /// on a code exchange or refresh (a public client names itself there).
    pub fn client_auth_sends_client_id(&self) -> bool {
        self.client_auth != ClientAuth::None || identifies_public_client(&self.grant_type)
    }
}

fn param(name: &str, value: &str, optional: bool) -> Param {
    Param {
        name: name.to_owned(),
        value: value.to_owned(),
        optional,
    }
}

/// The caller's variables completed for rendering: every known variable is present (absent ones
/// empty, service variables at their defaults), `{scope}` defaults to the joined scope list,
/// `{redirect_uri}` to the settings' suggested one, and `{grant_type}` is the endpoint's. Variables the settings do not know are left out, so using
/// one is an "unknown variable" error.
pub(crate) fn effective_vars(
    settings: &ServiceSettings,
    vars: &Vars,
    grant_type: Option<&str>,
) -> Vars {
    let mut out = Vars::new();
    for name in settings.known_variables() {
        let value = vars.get(&name).map(str::to_owned).unwrap_or_else(|| {
            let spec = settings.variables.iter().find(|spec| spec.name == name);
            spec.map(|spec| spec.default.clone()).unwrap_or_default()
        });
        out.set(name, value);
    }
    if let Some(auth) = &settings.authorization {
        if vars.get("scope").is_none() {
            out.set("scope", join_scopes(&auth.scopes, auth.scope_separator));
        }
        // The redirect URI the service's documentation dictates, unless the caller chose one.
        if vars.get("redirect_uri").is_none()
            && let Ok(template) = Template::parse(&auth.redirect_uri)
            && let Ok(redirect_uri) = template.render(&out, Encoding::Raw)
        {
            out.set("redirect_uri", redirect_uri);
        }
    }
    if let Some(grant_type) = grant_type {
        out.set("grant_type", grant_type);
    }
    out
}

/// Renders a URL template and checks the result is an http(s) URL.
pub(crate) fn render_url(source: &str, vars: &Vars, field: Field) -> Result<url::Url, BuildError> {
    let template = Template::parse(source).map_err(|error| BuildError::at(field.clone(), error))?;
    let rendered = template
        .render(vars, Encoding::Url)
        .map_err(|error| BuildError::at(field.clone(), error))?;
    parse_http_url(&rendered).map_err(|problem| BuildError::at(field, problem))
}

/// Renders parameter values (unencoded: the caller encodes each for where it lands). An optional
/// parameter may use empty variables and is dropped when it renders empty.
fn render_params(
    params: &[Param],
    vars: &Vars,
    encoding: Encoding,
    field: impl Fn(String) -> Field,
) -> Result<Vec<(String, String)>, BuildError> {
    let mut out = Vec::with_capacity(params.len());
    for param in params {
        let field = field(param.name.clone());
        if param.name.trim().is_empty() {
            return Err(BuildError::at(field, Problem::EmptyName));
        }
        let template =
            Template::parse(&param.value).map_err(|error| BuildError::at(field.clone(), error))?;
        let rendered = if param.optional {
            let value = template
                .render_allowing_empty(vars, encoding)
                .map_err(|error| BuildError::at(field, error))?;
            if value.is_empty() {
                continue;
            }
            value
        } else {
            template
                .render(vars, encoding)
                .map_err(|error| BuildError::at(field, error))?
        };
        out.push((param.name.clone(), rendered));
    }
    Ok(out)
}

/// Appends `pairs` to the URL's query (keeping what it has), each name and value encoded with
/// `encode_value`.
fn append_query(
    url: &mut url::Url,
    pairs: &[(String, String)],
    encode_value: impl Fn(&str, &str) -> String,
) {
    if pairs.is_empty() {
        return;
    }
    let mut query = url.query().unwrap_or_default().to_owned();
    for (name, value) in pairs {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(&encode::percent_encode(name));
        query.push('=');
        query.push_str(&encode_value(name, value));
    }
    url.set_query(Some(&query));
}

/// A required variable's value, or the error naming it.
fn required<'a>(
    vars: &'a Vars,
    name: &str,
    field: impl FnOnce() -> Field,
) -> Result<&'a str, BuildError> {
    match vars.get(name) {
        Some(value) if !value.is_empty() => Ok(value),
        _ => Err(BuildError::at(field(), RenderError::Empty(name.to_owned()))),
    }
}

/// The client secret for Basic or body authentication, or a problem that says what to choose
/// instead when it is empty (a public client has no secret).
fn client_secret(vars: &Vars, auth: ClientAuth, which: Endpoint) -> Result<&str, BuildError> {
    match vars.get("client_secret") {
        Some(secret) if !secret.is_empty() => Ok(secret),
        _ => Err(BuildError::at(
            Field::ClientAuth(which),
            Problem::EmptySecret(auth),
        )),
    }
}

/// The grants whose public clients must send `client_id` (RFC 6749 §4.1.3, §6); other grants
/// (a service's own, like `fb_exchange_token`) carry what they need in their templates.
fn identifies_public_client(grant_type: &str) -> bool {
    matches!(
        grant_type,
        "authorization_code" | "refresh_token" | crate::device::DEVICE_GRANT
    )
}

/// The URL that sends the user to the service to authorize: the authorization URL template (with
/// its fixed query parameters) plus `response_type=code`, `client_id`, `redirect_uri`, `scope`
/// (omitted when empty), `state`, the PKCE challenge (when PKCE is S256 and `{code_verifier}` is
/// set) and the extra parameters; an extra parameter named like a standard one replaces it, and
/// so does a fixed parameter of the URL template.
pub fn authorization_url(settings: &ServiceSettings, vars: &Vars) -> Result<String, BuildError> {
    let auth = settings
        .authorization
        .as_ref()
        .ok_or(BuildError::NoAuthorization)?;
    let vars = effective_vars(settings, vars, None);
    let mut url = render_url(&auth.url, &vars, Field::AuthorizationUrl)?;
    let fixed: Vec<String> = url
        .query_pairs()
        .map(|(name, _)| name.into_owned())
        .collect();
    let extra = render_params(
        &auth.params,
        &vars,
        Encoding::Raw,
        Field::AuthorizationParam,
    )?;
    let overridden =
        |name: &str| fixed.iter().any(|n| n == name) || extra.iter().any(|(n, _)| n == name);
    let field = |name: &str| Field::AuthorizationParam(name.to_owned());

    // Each standard parameter keeps its place even when an extra parameter replaces its value.
    let mut standard: Vec<(&str, String)> = vec![("response_type", "code".to_owned())];
    for name in ["client_id", "redirect_uri", "scope", "state"] {
        let value = vars.get(name).unwrap_or_default();
        if name == "scope" && value.is_empty() && !overridden(name) {
            continue;
        }
        let value = if overridden(name) {
            value
        } else {
            required(&vars, name, || field(name))?
        };
        standard.push((name, value.to_owned()));
    }
    let verifier = vars.get("code_verifier").unwrap_or_default();
    if auth.pkce == PkceMethod::S256 && !verifier.is_empty() {
        let pkce = Pkce::from_verifier(verifier)
            .map_err(|error| BuildError::at(field("code_verifier"), error))?;
        standard.push(("code_challenge", pkce.challenge().to_owned()));
        standard.push(("code_challenge_method", Pkce::METHOD.to_owned()));
    }
    // OpenID Connect Core §3.1.2.1: a `nonce` binds the ID token to this sign-in. It is derived
    // from the `state`, which the session keeps anyway, so nothing more is stored.
    let openid = vars
        .get("scope")
        .is_some_and(|scope| scope.split([' ', ',', ';', '+']).any(|s| s == "openid"));
    let state = vars.get("state").unwrap_or_default();
    if openid && !state.is_empty() {
        standard.push(("nonce", crate::pkce::nonce_for(state)));
    }

    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut replacements: Vec<usize> = Vec::new();
    for (name, value) in standard {
        if let Some(index) = extra.iter().position(|(n, _)| n == name) {
            pairs.push(extra[index].clone());
            replacements.push(index);
        } else if !fixed.iter().any(|n| n == name) {
            pairs.push((name.to_owned(), value));
        }
    }
    // The other extra parameters follow in order; a repeated name (e.g. `resource`) is kept.
    let others = extra
        .iter()
        .enumerate()
        .filter(|(index, _)| !replacements.contains(index));
    pairs.extend(others.map(|(_, pair)| pair.clone()));
    append_query(&mut url, &pairs, |name, value| {
        let spaces = if name == "scope" {
            crate::scopes::scope_space_encoding(auth)
        } else {
            auth.space_encoding
        };
        encode::query_component(value, spaces)
    });
    Ok(url.into())
}

/// The request that exchanges the authorization code (or whatever the token endpoint's grant
/// takes) for the bearer token.
pub fn token_request(settings: &ServiceSettings, vars: &Vars) -> Result<HttpRequest, BuildError> {
    endpoint_request(settings, &settings.token, Endpoint::Token, vars)
}

/// The request that re-issues the token with the refresh settings.
pub fn refresh_request(settings: &ServiceSettings, vars: &Vars) -> Result<HttpRequest, BuildError> {
    let refresh = settings.refresh.as_ref().ok_or(BuildError::NoRefresh)?;
    endpoint_request(settings, refresh, Endpoint::Refresh, vars)
}

pub(crate) fn endpoint_request(
    settings: &ServiceSettings,
    endpoint: &EndpointSettings,
    which: Endpoint,
    vars: &Vars,
) -> Result<HttpRequest, BuildError> {
    let vars = effective_vars(settings, vars, Some(&endpoint.grant_type));
    let mut url = render_url(&endpoint.url, &vars, Field::Url(which))?;
    let mut query = render_params(&endpoint.query, &vars, Encoding::Raw, |name| {
        Field::Query(which, name)
    })?;
    let mut body = render_params(&endpoint.body, &vars, Encoding::Raw, |name| {
        Field::Body(which, name)
    })?;

    let mut headers = vec![("Accept".to_owned(), "application/json".to_owned())];
    if endpoint.method == HttpMethod::Post {
        let content_type = match endpoint.body_format {
            BodyFormat::Form => "application/x-www-form-urlencoded",
            BodyFormat::Json => "application/json",
        };
        headers.push(("Content-Type".to_owned(), content_type.to_owned()));
    }
    let has = |name: &str| body.iter().chain(&query).any(|(n, _)| n == name);
    match endpoint.client_auth {
        ClientAuth::BasicHeader => {
            let field = || Field::ClientAuth(which);
            let id = required(&vars, "client_id", field)?;
            let secret = client_secret(&vars, ClientAuth::BasicHeader, which)?;
            headers.push(("Authorization".to_owned(), basic_authorization(id, secret)));
        }
        ClientAuth::Body => {
            let (has_id, has_secret) = (has("client_id"), has("client_secret"));
            if !has_id {
                let id = required(&vars, "client_id", || Field::ClientAuth(which))?;
                body.push(("client_id".to_owned(), id.to_owned()));
            }
            if !has_secret {
                let secret = client_secret(&vars, ClientAuth::Body, which)?;
                body.push(("client_secret".to_owned(), secret.to_owned()));
            }
        }
        // RFC 6749 §4.1.3 and §6: a client that does not authenticate names itself with
        // `client_id` in the body of the code exchange and of every refresh.
        ClientAuth::None if identifies_public_client(&endpoint.grant_type) && !has("client_id") => {
            let id = required(&vars, "client_id", || Field::ClientAuth(which))?;
            body.push(("client_id".to_owned(), id.to_owned()));
        }
        ClientAuth::None => {}
        // RFC 7523 §2.2: the signed assertion authenticates; `client_id` is added where a public
        // client would send it (the code exchange and the refresh), as OpenID providers expect.
        ClientAuth::ClientSecretJwt | ClientAuth::PrivateKeyJwt => {
            if identifies_public_client(&endpoint.grant_type) && !has("client_id") {
                let id = required(&vars, "client_id", || Field::ClientAuth(which))?;
                body.push(("client_id".to_owned(), id.to_owned()));
            }
            let assertion = required(&vars, "client_assertion", || Field::ClientAuth(which))?;
            body.push((
                "client_assertion_type".to_owned(),
                crate::assertion::ASSERTION_TYPE.to_owned(),
            ));
            body.push(("client_assertion".to_owned(), assertion.to_owned()));
        }
    }
    for header in &endpoint.headers {
        let field = Field::Header(which, header.name.clone());
        if !encode::is_header_name(&header.name) {
            let problem = if header.name.is_empty() {
                Problem::EmptyName
            } else {
                Problem::HeaderName
            };
            return Err(BuildError::at(field, problem));
        }
        let rendered = render_params(
            std::slice::from_ref(header),
            &vars,
            Encoding::Header,
            |_| field.clone(),
        )?;
        let Some((name, value)) = rendered.into_iter().next() else {
            continue;
        };
        // A header the user sets replaces the one the engine would send.
        headers.retain(|(existing, _)| !existing.eq_ignore_ascii_case(&name));
        headers.push((name, value));
    }

    let body = match endpoint.method {
        HttpMethod::Get => {
            // A GET exchange carries its parameters in the query.
            query.append(&mut body);
            None
        }
        HttpMethod::Post => Some(match endpoint.body_format {
            BodyFormat::Form => form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&body)
                .finish(),
            BodyFormat::Json => json_body(&body, which)?,
        }),
    };
    append_query(&mut url, &query, |_, value| encode::percent_encode(value));
    Ok(HttpRequest {
        method: endpoint.method,
        url: url.into(),
        headers,
        body,
    })
}

fn json_body(pairs: &[(String, String)], which: Endpoint) -> Result<String, BuildError> {
    let mut object = serde_json::Map::new();
    for (name, value) in pairs {
        if object
            .insert(name.clone(), serde_json::Value::String(value.clone()))
            .is_some()
        {
            return Err(BuildError::at(
                Field::Body(which, name.clone()),
                Problem::DuplicateJsonKey,
            ));
        }
    }
    Ok(serde_json::Value::Object(object).to_string())
}

/// `Basic base64(form-urlencode(id) ":" form-urlencode(secret))` (RFC 6749 §2.3.1).
pub fn basic_authorization(client_id: &str, client_secret: &str) -> String {
    let credential = format!(
        "{}:{}",
        encode::form_component(client_id),
        encode::form_component(client_secret)
    );
    format!("Basic {}", STANDARD.encode(credential))
}

impl HttpRequest {
    /// The value of the first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A copy with every secret replaced by [`MASK`]: each non-empty secret variable's value, raw
    /// and in each encoding the builders use, and the credential of a Basic `Authorization` header.
    ///
    /// It masks by substring, so a one-letter secret would garble every word holding that letter:
    /// to show a request, build it from [`Vars::masked`] and call this with those variables, which
    /// then only turns the encoded masks back into [`MASK`] and hides the Basic credential.
    #[must_use]
    pub fn masked(&self, vars: &Vars) -> Self {
        let mut needles = vars.secret_values();
        let encoded: Vec<String> = needles
            .iter()
            .flat_map(|secret| {
                [
                    encode::percent_encode(secret),
                    encode::query_component(secret, SpaceEncoding::Plus),
                    encode::form_component(secret),
                    encode::json_string_content(secret),
                ]
            })
            .collect();
        needles.extend(encoded.iter().map(String::as_str));
        crate::vars::longest_first(&mut needles);
        let mask = |text: &str| {
            needles
                .iter()
                .fold(text.to_owned(), |text, needle| text.replace(needle, MASK))
        };
        let headers = self
            .headers
            .iter()
            .map(|(name, value)| {
                let is_basic = name.eq_ignore_ascii_case("authorization")
                    && value
                        .get(..6)
                        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("basic "));
                let value = if is_basic {
                    format!("{} {MASK}", &value[..5])
                } else {
                    mask(value)
                };
                (name.clone(), value)
            })
            .collect();
        Self {
            method: self.method,
            url: mask(&self.url),
            headers,
            body: self.body.as_deref().map(mask),
        }
    }

    /// The request as a `curl` command line, every argument single-quoted for a POSIX shell.
    /// Call it on a [`masked`](HttpRequest::masked) copy unless the user asked to see secrets.
    pub fn to_curl(&self) -> String {
        let mut lines = vec![format!(
            "curl -X {} {}",
            self.method.as_str(),
            shell_quote(&self.url)
        )];
        for (name, value) in &self.headers {
            lines.push(format!("-H {}", shell_quote(&format!("{name}: {value}"))));
        }
        if let Some(body) = &self.body {
            lines.push(format!("--data-raw {}", shell_quote(body)));
        }
        lines.join(" \\\n  ")
    }
}

/// Quotes `text` as one POSIX shell word: inside single quotes nothing is special, and a single
/// quote is written as `'\''`.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests;
