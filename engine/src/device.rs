//! The device authorization grant (RFC 8628): for a terminal or a device without a browser
//! redirect. The client asks the device authorization endpoint for a `device_code` and a
//! `user_code`, the user enters the code at the `verification_uri` on any device, and the client
//! polls the token endpoint until the user has approved, denied, or the code expired.
//!
//! This module builds both requests, reads the device answer, and holds the polling rules as a
//! pure state machine ([`DevicePoll`]): the caller passes in the time and each token answer, and
//! is told when to poll next or how it ended.
//!
//! Both requests authenticate the client as the token request does. With JWT client
//! authentication the caller signs a new assertion for each one, the token request's
//! (`client_assertion(settings, Endpoint::Token, …)`, audience the token endpoint), and passes
//! it as `{client_assertion}`: a replayed `jti` is refused.

use serde_json::Value;
use thiserror::Error;

use crate::request::{BuildError, HttpRequest, endpoint_request};
use crate::settings::{EndpointSettings, Param, ServiceSettings};
use crate::token::{TokenError, TokenResponse, parse_token_response};
use crate::validate::Endpoint;
use crate::vars::Vars;

/// The `grant_type` of the device access token request (RFC 8628 §3.4).
pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The polling interval when the service names none (RFC 8628 §3.2).
pub const DEFAULT_INTERVAL: u64 = 5;

/// What `slow_down` adds to the interval (RFC 8628 §3.5).
pub const SLOW_DOWN_STEP: u64 = 5;

/// The device authorization request (RFC 8628 §3.1): `client_id` (or the client's own
/// authentication, as the token request does it) and the scopes, form-encoded, to the device
/// authorization endpoint.
pub fn device_authorization_request(
    settings: &ServiceSettings,
    vars: &Vars,
) -> Result<HttpRequest, BuildError> {
    let url = device_url(settings)?;
    let mut endpoint = device_endpoint(settings, url);
    endpoint.body = vec![Param {
        name: "scope".to_owned(),
        value: "{scope}".to_owned(),
        optional: true,
    }];
    endpoint_request(settings, &endpoint, Endpoint::Token, vars)
}

/// The device access token request (RFC 8628 §3.4): `grant_type` and `device_code` to the
/// token endpoint, the client authenticated as for the token.
pub fn device_token_request(
    settings: &ServiceSettings,
    vars: &Vars,
    device_code: &str,
) -> Result<HttpRequest, BuildError> {
    let mut endpoint = device_endpoint(settings, settings.token.url.clone());
    endpoint.body = vec![
        Param {
            name: "grant_type".to_owned(),
            value: "{grant_type}".to_owned(),
            optional: false,
        },
        Param {
            name: "device_code".to_owned(),
            value: crate::template::escape(device_code),
            optional: false,
        },
    ];
    endpoint_request(settings, &endpoint, Endpoint::Token, vars)
}

fn device_url(settings: &ServiceSettings) -> Result<String, BuildError> {
    settings
        .authorization
        .as_ref()
        .map(|auth| auth.device_url.trim())
        .filter(|url| !url.is_empty())
        .map(str::to_owned)
        .ok_or(BuildError::NoDeviceEndpoint)
}

/// A form POST with the token request's client authentication and headers.
fn device_endpoint(settings: &ServiceSettings, url: String) -> EndpointSettings {
    let token = &settings.token;
    EndpointSettings {
        url,
        grant_type: DEVICE_GRANT.to_owned(),
        client_auth: token.client_auth,
        credentials: token.credentials,
        headers: token.headers.clone(),
        assertion: token.assertion.clone(),
        ..EndpointSettings::client_credentials(String::new())
    }
}

/// What the device authorization endpoint answered (RFC 8628 §3.2).
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceAuthorization {
    /// The code the client polls with (a secret: never shown).
    pub device_code: String,
    /// The code the user types at the verification URI.
    pub user_code: String,
    /// Where the user goes.
    pub verification_uri: String,
    /// The verification URI with the user code in it, when the service gives one (for a QR code).
    pub verification_uri_complete: Option<String>,
    /// Seconds until the codes expire.
    pub expires_in: u64,
    /// Seconds between polls.
    pub interval: u64,
}

impl std::fmt::Debug for DeviceAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceAuthorization")
            .field("device_code", &"••••••")
            .field("user_code", &self.user_code)
            .field("verification_uri", &self.verification_uri)
            .field("expires_in", &self.expires_in)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

/// Why the device authorization endpoint gave no codes.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DeviceError {
    /// The service answered with an error (or not in OAuth's words).
    #[error("The device authorization endpoint refused: {0}")]
    Service(TokenError),
    /// A required field of RFC 8628 §3.2 is missing.
    #[error("The device authorization endpoint's answer has no `{0}`")]
    Missing(&'static str),
}

/// Reads the device authorization endpoint's answer.
pub fn parse_device_authorization(
    status: u16,
    content_type: Option<&str>,
    body: &str,
) -> Result<DeviceAuthorization, DeviceError> {
    let fields = match serde_json::from_str::<Value>(body) {
        Ok(Value::Object(fields)) if (200..300).contains(&status) => fields,
        // An error answer reads like a token endpoint's (RFC 8628 §3.2 points to RFC 6749 §5.2).
        _ => {
            let error = parse_token_response(status, content_type, body)
                .err()
                .unwrap_or(TokenError::MissingAccessToken { fields: Vec::new() });
            return Err(DeviceError::Service(error));
        }
    };
    let text = |name: &'static str| {
        fields
            .get(name)
            .and_then(Value::as_str)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    };
    let number = |name: &str| {
        fields.get(name).and_then(|value| {
            value
                .as_u64()
                .or_else(|| value.as_str().and_then(|text| text.parse().ok()))
        })
    };
    Ok(DeviceAuthorization {
        device_code: text("device_code").ok_or(DeviceError::Missing("device_code"))?,
        user_code: text("user_code").ok_or(DeviceError::Missing("user_code"))?,
        // `verification_url` is what Google's older answers say.
        verification_uri: text("verification_uri")
            .or_else(|| text("verification_url"))
            .ok_or(DeviceError::Missing("verification_uri"))?,
        verification_uri_complete: text("verification_uri_complete"),
        expires_in: number("expires_in").ok_or(DeviceError::Missing("expires_in"))?,
        interval: number("interval")
            .filter(|&n| n > 0)
            .unwrap_or(DEFAULT_INTERVAL),
    })
}

/// The polling of one device authorization: when to ask next, and when to stop. Times are Unix
/// seconds, passed in by the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DevicePoll {
    /// When the codes expire.
    pub expires_at: u64,
    /// Seconds between polls now (grows by [`SLOW_DOWN_STEP`] at each `slow_down`).
    pub interval: u64,
    /// When the next poll may go.
    pub next_poll_at: u64,
}

/// What to do after a token answer.
#[derive(Clone, Debug, PartialEq)]
pub enum DeviceStep {
    /// The user approved: the tokens.
    Done(Box<TokenResponse>),
    /// Not yet (`authorization_pending`, or `slow_down` with the interval raised): poll again at
    /// [`DevicePoll::next_poll_at`].
    Wait,
    /// It ended without tokens.
    Failed(DeviceFailure),
}

/// How a device authorization ended without tokens.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DeviceFailure {
    /// `expired_token`, or the code's lifetime ran out while polling.
    #[error(
        "The code expired before it was entered and approved. Start again for a new code, and enter it within the time shown."
    )]
    Expired,
    /// `access_denied`: the user (or the service's policy) said no.
    #[error(
        "The authorization was denied at the verification page. Start again and choose Allow, or ask the service's administrator whether this app may be used."
    )]
    Denied,
    /// Any other answer: the token endpoint's error.
    #[error("{0}")]
    Service(TokenError),
}

impl DevicePoll {
    /// Starts polling for `device`, received at `now`.
    pub fn start(device: &DeviceAuthorization, now: u64) -> Self {
        Self {
            expires_at: now.saturating_add(device.expires_in),
            interval: device.interval.max(1),
            next_poll_at: now.saturating_add(device.interval.max(1)),
        }
    }

    /// Seconds left before the codes expire (for the countdown).
    pub fn seconds_left(&self, now: u64) -> u64 {
        self.expires_at.saturating_sub(now)
    }

    /// Whether the codes are still good at `now`.
    pub fn is_expired(&self, now: u64) -> bool {
        now >= self.expires_at
    }

    /// Takes the token endpoint's answer to the poll sent at `now` (already parsed).
    pub fn on_answer(&mut self, now: u64, answer: Result<TokenResponse, TokenError>) -> DeviceStep {
        let error = match answer {
            Ok(tokens) => return DeviceStep::Done(Box::new(tokens)),
            Err(error) => error,
        };
        let code = match &error {
            TokenError::OAuth { error, .. } => error.as_str(),
            _ => "",
        };
        match code {
            "authorization_pending" | "slow_down" => {
                if code == "slow_down" {
                    self.interval = self.interval.saturating_add(SLOW_DOWN_STEP);
                }
                self.next_poll_at = now.saturating_add(self.interval);
                if self.is_expired(self.next_poll_at) {
                    DeviceStep::Failed(DeviceFailure::Expired)
                } else {
                    DeviceStep::Wait
                }
            }
            "expired_token" => DeviceStep::Failed(DeviceFailure::Expired),
            "access_denied" => DeviceStep::Failed(DeviceFailure::Denied),
            _ => DeviceStep::Failed(DeviceFailure::Service(error)),
        }
    }
}

#[cfg(test)]
mod tests;
