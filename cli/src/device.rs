//! `otw login --device`: the device authorization grant (RFC 8628) from a terminal. The user
//! code and the verification address go to stderr; otw polls the token endpoint at the service's
//! interval (slower after `slow_down`) with a spinner counting down to the code's expiry. A
//! client that authenticates by JWT signs each request's assertion with [`crate::sign`].

use std::time::{Duration, Instant};

use engine::device::{
    DeviceFailure, DevicePoll, DeviceStep, device_authorization_request, device_token_request,
    parse_device_authorization,
};
use engine::token::parse_token_response;

use crate::error::{Error, Result};
use crate::login::{Authorization, Authorized};

/// Runs the device authorization and returns the tokens.
pub fn authorize(auth: Authorization<'_>) -> Result<Authorized> {
    let values = auth.values;
    let settings_error = |what: &'static str| {
        move |error: engine::request::BuildError| Error::Settings {
            name: auth.name.to_owned(),
            what,
            detail: error.to_string(),
        }
    };
    // A JWT client signs a fresh assertion (new jti) for each request, in a copy of the values:
    // it is for that one request, never stored.
    let signed = |what: &'static str| {
        let mut vars = values.clone();
        crate::sign::sign_assertion(auth.settings, engine::Endpoint::Token, &mut vars).map_err(
            |detail| Error::Settings {
                name: auth.name.to_owned(),
                what,
                detail,
            },
        )?;
        Ok::<_, Error>(vars)
    };
    let request =
        device_authorization_request(auth.settings, &signed("device authorization request")?)
            .map_err(settings_error("device authorization request"))?;
    let answer = crate::http::send(&request)?;
    let device =
        parse_device_authorization(answer.status, answer.content_type.as_deref(), &answer.body)
            .map_err(|error| Error::Login(error.to_string()))?;
    eprintln!(
        "On any device, open\n\n    {}\n\nand enter the code\n\n    {}\n",
        device.verification_uri, device.user_code
    );
    if let Some(complete) = &device.verification_uri_complete {
        eprintln!("(or open {complete}, which carries the code)\n");
    }
    let mut poll = DevicePoll::start(&device, unix_now());
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.enable_steady_tick(Duration::from_millis(120));
    // Waits are measured from each answer, so no poll comes sooner than the interval.
    let mut next = Instant::now() + Duration::from_secs(poll.interval);
    let result = loop {
        let left = poll.seconds_left(unix_now());
        if left == 0 {
            break Err(DeviceFailure::Expired);
        }
        spinner.set_message(format!(
            "Waiting for the code to be entered… {}:{:02} left (code {})",
            left / 60,
            left % 60,
            device.user_code
        ));
        if Instant::now() < next {
            std::thread::sleep(Duration::from_millis(100));
            continue;
        }
        let request = device_token_request(
            auth.settings,
            &signed("device token request")?,
            &device.device_code,
        )
        .map_err(settings_error("device token request"))?;
        let answer = crate::http::send(&request)?;
        let parsed =
            parse_token_response(answer.status, answer.content_type.as_deref(), &answer.body);
        match poll.on_answer(unix_now(), parsed) {
            DeviceStep::Done(response) => break Ok(*response),
            DeviceStep::Wait => next = Instant::now() + Duration::from_secs(poll.interval),
            DeviceStep::Failed(failure) => break Err(failure),
        }
    };
    spinner.finish_and_clear();
    match result {
        Ok(response) => Ok(Authorized { response, values }),
        Err(failure) => Err(Error::Login(failure.to_string())),
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}
