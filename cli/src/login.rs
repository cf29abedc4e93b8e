//! `otw login`: the authorization-code flow from a terminal.
//!
//! The engine builds the authorization URL (PKCE S256, a fresh `state`), which is printed on
//! stderr and opened in the user's browser; the code comes back to a one-shot listener on the
//! loopback redirect URI, or the user pastes the address the browser shows. The callback's
//! `state` (and issuer, when known) is checked by the engine before the code is exchanged.
//! A service without a client flow whose bearer request is client credentials needs no browser:
//! [`crate::client_credentials`] asks for its token.

use std::io::{BufRead, IsTerminal};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use engine::callback::{Callback, parse_callback};
use engine::pkce::{Pkce, new_state};
use engine::settings::PkceMethod;
use engine::{ServiceSettings, Vars};

use crate::error::{Error, Result};
use crate::redirect;

/// Everything the authorization needs.
pub struct Authorization<'a> {
    /// The profile name (for messages).
    pub name: &'a str,
    /// The service's settings.
    pub settings: &'a ServiceSettings,
    /// The values (client id, secret, service variables); `redirect_uri` and `scope` when chosen.
    pub values: Vars,
    /// Print the URL only.
    pub no_browser: bool,
    /// How long to wait for the callback.
    pub timeout: Duration,
}

/// The result: the tokens and the values to keep (the redirect URI actually used, kept callback
/// parameters).
pub struct Authorized {
    /// The token endpoint's answer.
    pub response: engine::token::TokenResponse,
    /// The values, with `redirect_uri` and the kept callback parameters.
    pub values: Vars,
}

/// Where a callback came from.
enum Arrival {
    /// The listener got a request for the redirect path: the full redirect URL.
    Listener(tiny_http::Request, String),
    /// The user pasted something.
    Pasted(String),
}

/// Runs the authorization and the code exchange.
pub fn authorize(auth: Authorization<'_>) -> Result<Authorized> {
    let Some(flow) = &auth.settings.authorization else {
        if crate::client_credentials::reissues(auth.settings) {
            return crate::client_credentials::authorize(auth);
        }
        return Err(Error::Usage(format!(
            "this service has no authorization step (no client flow is configured); import its tokens with `otw import FILE --name {}`",
            auth.name
        )));
    };
    let mut values = auth.values;
    let chosen_uri = values
        .get("redirect_uri")
        .filter(|uri| !uri.is_empty())
        .map(str::to_owned)
        .or_else(|| {
            let suggested = flow.redirect_uri.trim();
            (!suggested.is_empty() && !suggested.contains('{')).then(|| suggested.to_owned())
        })
        .unwrap_or_else(|| "http://127.0.0.1".to_owned());
    let plan = redirect::plan(&chosen_uri).map_err(Error::Usage)?;
    let (server, redirect_uri, path) = match &plan {
        Some(listen) => {
            let server = tiny_http::Server::http((listen.bind, listen.port)).map_err(|error| {
                Error::Usage(format!(
                    "cannot listen on {} port {} for the redirect ({error}); {}",
                    listen.bind,
                    listen.port,
                    if listen.port < 1024 && listen.port != 0 {
                        "ports below 1024 need administrator rights: register a redirect URI with a port, e.g. http://127.0.0.1:8765/callback"
                    } else {
                        "is another program using it? Close it or choose another --redirect-uri"
                    }
                ))
            })?;
            let bound = server
                .server_addr()
                .to_ip()
                .map_or(listen.port, |address| address.port());
            (
                Some(server),
                listen.redirect_uri(bound),
                listen.path.clone(),
            )
        }
        None => (None, chosen_uri, String::new()),
    };
    values.set("redirect_uri", redirect_uri.clone());
    let state = new_state(&crate::random_bytes());
    values.set("state", state.clone());
    if flow.pkce == PkceMethod::S256 {
        let pkce = Pkce::from_random(&crate::random_bytes());
        values.set("code_verifier", pkce.verifier());
    }
    let url = engine::request::authorization_url(auth.settings, &values).map_err(|error| {
        Error::Settings {
            name: auth.name.to_owned(),
            what: "authorization URL",
            detail: error.to_string(),
        }
    })?;

    eprintln!(
        "Open this address in your browser to authorize `{}`:\n\n  {url}\n",
        auth.name
    );
    if !auth.no_browser && webbrowser::open(&url).is_err() {
        eprintln!("(Could not open a browser here: open the address above yourself.)");
    }
    let pasting = std::io::stdin().is_terminal();
    if server.is_none() {
        if !pasting {
            return Err(Error::Usage(format!(
                "the redirect URI {redirect_uri} is not on this machine, so otw cannot receive the code; run otw in a terminal to paste the address, or use a loopback redirect URI such as http://127.0.0.1:8765/callback"
            )));
        }
        eprintln!("After authorizing, paste the address your browser was sent to.");
    } else if pasting {
        eprintln!(
            "Waiting for the service to send the browser back to {redirect_uri} (or paste that address here)."
        );
    }

    let arrival = wait(server.as_ref(), &path, pasting, auth.timeout)?;
    let (callback, reply) = match arrival {
        Arrival::Listener(request, full) => (parse_callback(&full, Some(&state)), Some(request)),
        Arrival::Pasted(text) => (parse_callback(&text, Some(&state)), None),
    };
    let callback = callback.and_then(|callback| {
        if flow.issuer.is_empty() {
            Ok(callback)
        } else {
            callback
                .check_issuer(&flow.issuer, flow.issuer_required)
                .map(|()| callback)
        }
    });
    let callback: Callback = match callback {
        Ok(callback) => {
            if let Some(request) = reply {
                answer(
                    request,
                    200,
                    "Authorized. You can close this tab and go back to the terminal.",
                );
            }
            callback
        }
        Err(error) => {
            if let Some(request) = reply {
                answer(
                    request,
                    400,
                    &format!("The authorization did not complete: {error}"),
                );
            }
            return Err(Error::Login(error.to_string()));
        }
    };

    values.set("code", callback.code.clone());
    for name in &flow.callback_params {
        if let Some(value) = callback.params.get(name) {
            values.set(name.clone(), value.clone());
        }
    }
    crate::sign::sign_assertion(auth.settings, engine::Endpoint::Token, &mut values).map_err(
        |detail| Error::Settings {
            name: auth.name.to_owned(),
            what: "token request",
            detail,
        },
    )?;
    let request = engine::request::token_request(auth.settings, &values).map_err(|error| {
        Error::Settings {
            name: auth.name.to_owned(),
            what: "token request",
            detail: error.to_string(),
        }
    })?;
    let answer = crate::http::send(&request)?;
    let response = crate::keeper::parse_endpoint_answer(auth.name, &auth.settings.token, &answer)
        .map_err(|error| match error {
        crate::keeper::TokenAnswerError::InvalidGrant(detail) => Error::Login(format!(
            "the service refused the code: {detail}; run otw login again"
        )),
        crate::keeper::TokenAnswerError::Other(error) => error,
    })?;
    let response = follow_up(auth.name, auth.settings, &values, response)?;
    for per_run in ["code", "code_verifier", "state", "client_assertion"] {
        values.remove(per_run);
    }
    Ok(Authorized { response, values })
}

/// Runs the service's follow-up exchange after the code exchange answered `first` (Instagram's
/// short-lived → 60-day token); without one, `first` as it is.
fn follow_up(
    name: &str,
    settings: &ServiceSettings,
    values: &Vars,
    first: engine::token::TokenResponse,
) -> Result<engine::token::TokenResponse> {
    let (Some(endpoint), Some(request)) = (
        &settings.follow_up,
        engine::follow_up::follow_up_request(settings, values, &first),
    ) else {
        return Ok(first);
    };
    let request = request.map_err(|error| Error::Settings {
        name: name.to_owned(),
        what: "follow-up exchange",
        detail: error.to_string(),
    })?;
    let answer = crate::http::send(&request)?;
    let second = crate::keeper::parse_endpoint_answer(name, endpoint, &answer).map_err(
        |error| match error {
            crate::keeper::TokenAnswerError::InvalidGrant(detail) => Error::Login(format!(
                "the code exchange worked, but the service refused the follow-up exchange: {detail}; run otw login again"
            )),
            crate::keeper::TokenAnswerError::Other(error) => error,
        },
    )?;
    Ok(engine::follow_up::merge(first, second))
}

/// Waits for the callback on the listener or a pasted line, with a spinner showing the time left.
fn wait(
    server: Option<&tiny_http::Server>,
    path: &str,
    pasting: bool,
    timeout: Duration,
) -> Result<Arrival> {
    let (pasted_tx, pasted) = mpsc::channel::<String>();
    if pasting {
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { return };
                if !line.trim().is_empty() && pasted_tx.send(line).is_err() {
                    return;
                }
            }
        });
    }
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.enable_steady_tick(Duration::from_millis(120));
    let started = Instant::now();
    let result = loop {
        let left = timeout.saturating_sub(started.elapsed());
        if left.is_zero() {
            break Err(Error::Login(format!(
                "no answer came within {} s; run otw login again",
                timeout.as_secs()
            )));
        }
        spinner.set_message(format!(
            "Waiting for the authorization… {}:{:02} left",
            left.as_secs() / 60,
            left.as_secs() % 60
        ));
        if let Ok(text) = pasted.try_recv() {
            break Ok(Arrival::Pasted(text));
        }
        let Some(server) = server else {
            std::thread::sleep(Duration::from_millis(100));
            continue;
        };
        match server.recv_timeout(Duration::from_millis(100)) {
            Ok(Some(request)) => {
                let target = request.url().to_owned();
                let request_path = target.split('?').next().unwrap_or_default();
                if request_path == path && matches!(request.method(), tiny_http::Method::Get) {
                    break Ok(Arrival::Listener(
                        request,
                        format!("http://loopback{target}"),
                    ));
                }
                answer(request, 404, "Not the redirect address otw is waiting on.");
            }
            Ok(None) => {}
            Err(error) => {
                break Err(Error::Login(format!(
                    "the redirect listener failed: {error}"
                )));
            }
        }
    };
    spinner.finish_and_clear();
    result
}

/// A small HTML page for the browser tab.
fn answer(request: tiny_http::Request, status: u16, message: &str) {
    let escaped = message
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let page = format!(
        "<!doctype html><meta charset=utf-8><title>otw</title><p id=\"otw-result\">{escaped}</p>"
    );
    let response = tiny_http::Response::from_string(page)
        .with_status_code(status)
        .with_header(
            tiny_http::Header::from_bytes("Content-Type", "text/html; charset=utf-8")
                .expect("a valid static header"),
        )
        .with_header(
            tiny_http::Header::from_bytes("Cache-Control", "no-store")
                .expect("a valid static header"),
        );
    // The browser may have gone; the code is already in hand.
    let _ = request.respond(response);
}
