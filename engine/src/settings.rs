//! The settings of one service: everything the wizard's three steps need to build requests.
//!
//! This is the contract shared by `presets` (which ships one value per service), the wizard (which
//! lets the user edit every field) and the request builders in this crate. Every `String` documented
//! as a *template* may contain `{variable}` references (see `crate::template`).

use serde::{Deserialize, Serialize};

/// Everything needed to authorize against one service and get, then refresh, its tokens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ServiceSettings {
    /// What the service calls the client id ("Client ID", "Application ID", "App ID" …).
    #[serde(default = "default_client_id_label")]
    pub client_id_label: String,
    /// Variables the service's URLs need (a tenant, an account id, an API version), asked for in step 1.
    #[serde(default)]
    pub variables: Vec<VariableSpec>,
    /// The client flow (authorization code grant); `None` for services that need none
    /// (client credentials, password grant, a token issued by the service's console).
    #[serde(default)]
    pub authorization: Option<AuthorizationSettings>,
    /// How to get the bearer token (step 3, "Bearer token" tab).
    pub token: EndpointSettings,
    /// How to re-issue it (step 3, "Refresh token settings" tab); `None` when the service has no refresh.
    #[serde(default)]
    pub refresh: Option<EndpointSettings>,
    /// A second exchange run automatically after the code exchange, whose answer replaces the
    /// access token (Instagram's one-hour token → 60-day token); `{token}` is the access token the
    /// code exchange returned. See `crate::follow_up`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<EndpointSettings>,
}

fn default_client_id_label() -> String {
    "Client ID".to_owned()
}

/// A variable that a service's URLs or parameters need, with the words the service uses for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct VariableSpec {
    /// The name used in templates: `tenant` for `{tenant}`. ASCII letters, digits, `_`, `-` and `.`.
    pub name: String,
    /// The label shown to the user ("Tenant ID", "Account ID").
    pub label: String,
    /// How to find the value, in the service's own words.
    #[serde(default)]
    pub help: String,
    /// The value filled in until the user changes it.
    #[serde(default)]
    pub default: String,
}

/// The authorization-code flow: where to send the user and what to ask for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct AuthorizationSettings {
    /// Authorization endpoint (template). It may carry fixed query parameters of its own.
    pub url: String,
    /// Scopes requested by default; the user edits the list.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// How the scope list is joined.
    #[serde(default)]
    pub scope_separator: ScopeSeparator,
    /// How a space is written in the authorization URL's query (`%20` or `+`).
    #[serde(default)]
    pub space_encoding: SpaceEncoding,
    /// Extra authorization parameters (templates), e.g. `access_type=offline`. A parameter named like
    /// a standard one (`response_type`, `client_id`, `redirect_uri`, `scope`, `state`) replaces it.
    #[serde(default)]
    pub params: Vec<Param>,
    /// PKCE method; S256 is the only one the wizard sends (`plain` is refused by services and RFC 9700).
    #[serde(default)]
    pub pkce: PkceMethod,
    /// Callback parameters beyond `code` and `state` to keep as variables (e.g. `realmId`).
    #[serde(default)]
    pub callback_params: Vec<String>,
    /// The redirect URI suggested by the service's documentation, if it dictates one; empty means
    /// "the relay's callback URL".
    #[serde(default)]
    pub redirect_uri: String,
    /// The service's issuer identifier (RFC 9207), usually from discovery; empty when unknown.
    /// When set, an `iss` in the authorization response must equal it (mix-up attacks).
    #[serde(default)]
    pub issuer: String,
    /// The service always sends `iss` (its metadata says
    /// `authorization_response_iss_parameter_supported`): a response without it is refused.
    #[serde(default)]
    pub issuer_required: bool,
    /// The device authorization endpoint (RFC 8628, template), usually from discovery; empty when
    /// the service has none. With it, the user can authorize on another device by a code.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub device_url: String,
    /// The service's signing keys (`jwks_uri`, usually from discovery): ID tokens are verified
    /// against them. Empty when unknown.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub jwks_uri: String,
    /// The OpenID userinfo endpoint (usually from discovery); empty when unknown.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub userinfo_url: String,
    /// The revocation endpoint (RFC 7009); empty when unknown.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub revocation_url: String,
    /// The introspection endpoint (RFC 7662); empty when unknown.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub introspection_url: String,
}

/// How a scope list is joined into one `scope` value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScopeSeparator {
    /// `a b` (RFC 6749).
    #[default]
    Space,
    /// `a,b`.
    Comma,
    /// `a;b`.
    Semicolon,
    /// `a+b` in the URL: a space always written as `+`, whatever `space_encoding` says.
    Plus,
}

/// How a space is written in an authorization URL's query.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SpaceEncoding {
    /// `%20` (RFC 3986).
    #[default]
    Percent20,
    /// `+` (HTML forms).
    Plus,
}

/// The PKCE method the authorization request uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PkceMethod {
    /// No PKCE.
    None,
    /// `code_challenge_method=S256` (RFC 7636).
    #[default]
    S256,
}

/// A name and a templated value: a query, body, header or authorization parameter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Param {
    /// The parameter's name, sent as is (never a template).
    pub name: String,
    /// The value (template).
    pub value: String,
    /// When true, a value that renders empty drops the parameter instead of being an error.
    #[serde(default)]
    pub optional: bool,
}

/// A token endpoint call: the bearer request or the refresh request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct EndpointSettings {
    /// Endpoint URL (template).
    pub url: String,
    /// HTTP method.
    #[serde(default)]
    pub method: HttpMethod,
    /// The `{grant_type}` variable: `authorization_code`, `refresh_token`, `client_credentials`,
    /// `password`, `fb_exchange_token` …
    pub grant_type: String,
    /// How the client authenticates.
    #[serde(default)]
    pub client_auth: ClientAuth,
    /// Which credential fields the user fills in.
    #[serde(default)]
    pub credentials: Credentials,
    /// Query parameters (templates), appended to the URL.
    #[serde(default)]
    pub query: Vec<Param>,
    /// How the body is encoded.
    #[serde(default)]
    pub body_format: BodyFormat,
    /// Body parameters (templates). Empty with GET.
    #[serde(default)]
    pub body: Vec<Param>,
    /// Extra request headers (templates).
    #[serde(default)]
    pub headers: Vec<Param>,
    /// Where the access token is in a wrapped answer, e.g. `data[0].access_token` (see
    /// `crate::wrapped`); empty for the usual top-level `access_token`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub token_path: String,
    /// The client assertion of JWT client authentication ([`ClientAuth::ClientSecretJwt`],
    /// [`ClientAuth::PrivateKeyJwt`]); ignored by the other methods.
    #[serde(default, skip_serializing_if = "AssertionSettings::is_default")]
    pub assertion: AssertionSettings,
}

/// How the client assertion is made (RFC 7523 §3, OpenID Connect Core §9).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct AssertionSettings {
    /// The algorithm of `private_key_jwt` (`client_secret_jwt` is always HS256).
    pub alg: JwtAlg,
    /// The `kid` header (template): the id under which the service knows the key (NetSuite: the
    /// certificate id). Empty sends none.
    pub key_id: String,
    /// The `aud` claim (template); empty means the token endpoint's URL, as RFC 7523 §3 asks.
    pub audience: String,
    /// Seconds between `iat` and `exp`; services accept at most a few minutes.
    pub lifetime: u64,
    /// Extra claims (templates, sent as strings), e.g. NetSuite's `scope`. One named like a
    /// standard claim replaces it.
    pub claims: Vec<Param>,
}

impl Default for AssertionSettings {
    fn default() -> Self {
        Self {
            alg: JwtAlg::Rs256,
            key_id: String::new(),
            audience: String::new(),
            lifetime: 300,
            claims: Vec::new(),
        }
    }
}

impl AssertionSettings {
    /// Whether nothing differs from the default (then it is not written out).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// A JWS algorithm for client assertions (RFC 7518 §3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum JwtAlg {
    /// HMAC with SHA-256, keyed by the client secret.
    #[serde(rename = "HS256")]
    Hs256,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    #[default]
    #[serde(rename = "RS256")]
    Rs256,
    /// RSASSA-PSS with SHA-256 (salt of 32 bytes).
    #[serde(rename = "PS256")]
    Ps256,
    /// ECDSA on P-256 with SHA-256 (signature r‖s, 64 bytes).
    #[serde(rename = "ES256")]
    Es256,
}

impl JwtAlg {
    /// The `alg` header value.
    pub fn name(self) -> &'static str {
        match self {
            Self::Hs256 => "HS256",
            Self::Rs256 => "RS256",
            Self::Ps256 => "PS256",
            Self::Es256 => "ES256",
        }
    }

    /// The algorithm named `name` (`RS256` …), if it is one of them.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Hs256, Self::Rs256, Self::Ps256, Self::Es256]
            .into_iter()
            .find(|alg| alg.name() == name)
    }
}

/// HTTP method of a token endpoint call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    /// GET: parameters go in the query.
    Get,
    /// POST: parameters go in the body.
    #[default]
    Post,
}

/// How the client authenticates at the token endpoint (RFC 6749 §2.3.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientAuth {
    /// `Authorization: Basic base64(client_id:client_secret)` (client_secret_basic).
    #[default]
    BasicHeader,
    /// `client_id` and `client_secret` in the body (client_secret_post).
    Body,
    /// No secret (a public client, RFC 6749 §2.1): `client_id` goes in the body of the code
    /// exchange and of the refresh, unless a template already sends it; other grants get nothing
    /// added (credentials written into the templates by hand).
    None,
    /// A JWT signed with HMAC-SHA256 keyed by the client secret, in `client_assertion`
    /// (client_secret_jwt, RFC 7523 §2.2).
    ClientSecretJwt,
    /// A JWT signed with the client's private key, in `client_assertion` (private_key_jwt).
    PrivateKeyJwt,
}

impl ClientAuth {
    /// The words the wizard's choice shows.
    pub fn label(self) -> &'static str {
        match self {
            Self::BasicHeader => "Basic header",
            Self::Body => "In the body",
            Self::None => "None",
            Self::ClientSecretJwt => "JWT signed with the secret",
            Self::PrivateKeyJwt => "JWT signed with a private key",
        }
    }

    /// Whether the client authenticates with a signed JWT (`client_assertion`).
    pub fn is_jwt(self) -> bool {
        matches!(self, Self::ClientSecretJwt | Self::PrivateKeyJwt)
    }

    /// The RFC 7591 / discovery name of the method (`client_secret_basic` …).
    pub fn method_name(self) -> &'static str {
        match self {
            Self::BasicHeader => "client_secret_basic",
            Self::Body => "client_secret_post",
            Self::None => "none",
            Self::ClientSecretJwt => "client_secret_jwt",
            Self::PrivateKeyJwt => "private_key_jwt",
        }
    }
}

/// Which credential fields the token step asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Credentials {
    /// `{client_secret}` only.
    #[default]
    Secret,
    /// `{user_name}` and `{client_secret}` (a user id and its secret or password).
    UserIdAndSecret,
}

/// How a request body is encoded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BodyFormat {
    /// `application/x-www-form-urlencoded` (RFC 6749).
    #[default]
    Form,
    /// `application/json`, every value a JSON string.
    Json,
}
