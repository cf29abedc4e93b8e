//! The OAuth engine: the one place that knows OAuth.
//!
//! Pure logic — no IO, no clock, no randomness source, no web-sys, no leptos — so the wasm wizard
//! and native tools share it and it is tested natively. Callers pass in what the world provides
//! (random bytes, the current time, response bodies).
//!
//! # Layout
//! - [`settings`]: the settings of one service (the contract with presets and the wizard).
//! - [`vars`]: the variables templates draw on; [`template`]: `{variable}` templates;
//!   [`encode`]: how a value is encoded where it lands.
//! - [`scopes`], [`pkce`]: scope joining; PKCE S256 and `state`.
//! - [`request`]: the authorization URL, token and refresh requests; [`assertion`]: the signed
//!   JWT of `client_secret_jwt` / `private_key_jwt` (the caller signs).
//! - [`device`]: the device authorization grant (RFC 8628) and its polling rules.
//! - [`token_calls`]: userinfo, revocation (RFC 7009), introspection (RFC 7662).
//! - [`jwt`]: decoding returned tokens and checking their claims (issuer, audience, expiry, nonce).
//! - [`callback`]: parsing what the redirect brings back; [`token`]: parsing token responses;
//!   [`attempt`]: one authorization attempt as a state machine;
//!   [`wrapped`]: where the token is in a wrapped response; [`follow_up`]: the second exchange
//!   some services need after the code exchange; [`explain`]: a service's known error answers
//!   and their fixes; [`redirect_doctor`]: why a redirect URI is refused, in words;
//!   [`self_test`]: recommended settings for a custom service from discovery and a CORS probe.
//! - [`client_flow`]: switching client-flow authorization on and off, choosing the client
//!   authentication once.
//! - [`usage`]: which variables settings use; [`export`]: the JSON and `.env` export shapes.
//! - [`discovery`]: RFC 8414 / OpenID discovery; [`validate`]: checking settings; [`input`]:
//!   what a one-line field may hold (no invisible or reordering characters, a length cap).

pub mod assertion;
pub mod attempt;
pub mod callback;
pub mod client_flow;
pub mod device;
pub mod discovery;
pub mod encode;
pub mod explain;
pub mod export;
pub mod follow_up;
pub mod input;
pub mod jwt;
pub mod pkce;
pub mod redirect_doctor;
pub mod request;
pub mod scopes;
pub mod self_test;
pub mod settings;
pub mod template;
pub mod token;
pub mod token_calls;
pub mod usage;
pub mod validate;
pub mod vars;
pub mod wrapped;

pub use client_flow::ParkedFlow;
pub use settings::*;
pub use validate::{Endpoint, Field, Problem, SettingsError, header_warnings};
pub use vars::{SECRET_VARIABLES, STANDARD_VARIABLES, Vars};
