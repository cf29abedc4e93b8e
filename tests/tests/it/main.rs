//! The end-to-end scenarios, run by a libtest-compatible harness of our own (`harness = false`).
//!
//! Chromium, the relay and the mock provider start once, at the first scenario that runs, and are
//! shared: each scenario gets a fresh page ([`World::fresh_page`]) and runs alone, in order. At the
//! end everything is closed, whatever failed. A failing scenario leaves
//! `tests/screenshots/failed-<name>.png` behind. Filters work as usual:
//! `cargo test -p e2e --test it -- refresh`.

mod authorization;
mod client_assertion;
mod clients;
mod device_flow;
mod errors;
mod explainer;
mod fleet;
mod flows;
mod follow_up;
mod input_kept;
mod persistence;
mod preset_flow;
mod redirect_capture;
mod redirect_doctor;
mod refresh;
mod scripts_export;
mod self_test;
mod token_calls;
mod token_endpoints;
mod token_panel;

use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use e2e::world::World;
use e2e::{Result, check};
use libtest_mimic::{Arguments, Failed, Trial};

/// A scenario: drives the wizard in the shared world and checks what the user sees.
type Scenario = for<'a> fn(&'a World) -> Pin<Box<dyn Future<Output = Result<()>> + 'a>>;

/// The longest one scenario may take before it counts as stuck.
const SCENARIO_LIMIT: Duration = Duration::from_secs(180);

/// Every scenario, in the order they run.
const SCENARIOS: &[(&str, Scenario)] = &[
    ("preset_popup_code_bearer_and_rotating_refresh", |w| {
        Box::pin(preset_flow::preset_popup_code_bearer_and_rotating_refresh(
            w,
        ))
    }),
    ("pasted_code", |w| Box::pin(authorization::pasted_code(w))),
    ("pasted_redirect_url_keeps_callback_params", |w| {
        Box::pin(authorization::pasted_redirect_url_keeps_callback_params(w))
    }),
    ("state_mismatch_is_refused", |w| {
        Box::pin(authorization::state_mismatch_is_refused(w))
    }),
    ("custom_service_with_discovery", |w| {
        Box::pin(token_endpoints::custom_service_with_discovery(w))
    }),
    ("client_credentials", |w| {
        Box::pin(token_endpoints::client_credentials(w))
    }),
    ("private_key_jwt_signs_in_the_browser", |w| {
        Box::pin(client_assertion::private_key_jwt_signs_in_the_browser(w))
    }),
    ("client_secret_jwt_signs_with_the_secret", |w| {
        Box::pin(client_assertion::client_secret_jwt_signs_with_the_secret(w))
    }),
    ("device_code_brings_the_tokens_without_a_redirect", |w| {
        Box::pin(device_flow::device_code_brings_the_tokens_without_a_redirect(w))
    }),
    (
        "confidential_client_types_its_secret_for_the_device_flow",
        |w| Box::pin(device_flow::confidential_client_types_its_secret_for_the_device_flow(w)),
    ),
    ("private_key_jwt_signs_every_device_request", |w| {
        Box::pin(device_flow::private_key_jwt_signs_every_device_request(w))
    }),
    ("refused_device_client_assertion_is_explained", |w| {
        Box::pin(device_flow::refused_device_client_assertion_is_explained(w))
    }),
    ("denied_and_expired_device_codes_are_explained", |w| {
        Box::pin(device_flow::denied_and_expired_device_codes_are_explained(
            w,
        ))
    }),
    ("id_token_is_decoded_and_checked", |w| {
        Box::pin(token_panel::id_token_is_decoded_and_checked(w))
    }),
    ("id_token_with_another_nonce_is_flagged", |w| {
        Box::pin(token_panel::id_token_with_another_nonce_is_flagged(w))
    }),
    ("id_token_with_a_bad_signature_is_flagged", |w| {
        Box::pin(token_panel::id_token_with_a_bad_signature_is_flagged(w))
    }),
    ("id_token_signed_eddsa_is_verified", |w| {
        Box::pin(token_panel::id_token_signed_eddsa_is_verified(w))
    }),
    ("id_token_signed_es256_is_verified", |w| {
        Box::pin(token_panel::id_token_signed_es256_is_verified(w))
    }),
    ("id_token_signed_ps256_is_verified", |w| {
        Box::pin(token_panel::id_token_signed_ps256_is_verified(w))
    }),
    ("jwt_access_token_is_verified", |w| {
        Box::pin(token_panel::jwt_access_token_is_verified(w))
    }),
    ("userinfo_introspection_and_revocation", |w| {
        Box::pin(token_calls::userinfo_introspection_and_revocation(w))
    }),
    ("password_grant", |w| {
        Box::pin(token_endpoints::password_grant(w))
    }),
    ("form_encoded_token_response", |w| {
        Box::pin(token_endpoints::form_encoded_token_response(w))
    }),
    ("service_errors_show_description_and_hint", |w| {
        Box::pin(errors::service_errors_show_description_and_hint(w))
    }),
    ("microsoft_wrong_secret_gets_the_known_fix", |w| {
        Box::pin(explainer::microsoft_wrong_secret_gets_the_known_fix(w))
    }),
    ("google_refusals_get_the_known_fix", |w| {
        Box::pin(explainer::google_refusals_get_the_known_fix(w))
    }),
    ("self_test_recommends_and_applies_after_discovery", |w| {
        Box::pin(self_test::self_test_recommends_and_applies_after_discovery(
            w,
        ))
    }),
    ("self_test_tells_cors_allowed_from_refused", |w| {
        Box::pin(self_test::self_test_tells_cors_allowed_from_refused(w))
    }),
    ("google_redirect_doctor_and_mismatch", |w| {
        Box::pin(redirect_doctor::google_redirect_doctor_and_mismatch(w))
    }),
    ("microsoft_redirect_doctor_and_mismatch", |w| {
        Box::pin(redirect_doctor::microsoft_redirect_doctor_and_mismatch(w))
    }),
    ("authorization_denied_is_explained", |w| {
        Box::pin(errors::authorization_denied_is_explained(w))
    }),
    ("answer_from_another_issuer_is_refused", |w| {
        Box::pin(errors::answer_from_another_issuer_is_refused(w))
    }),
    ("a_broken_catalog_is_refused_in_words", |w| {
        Box::pin(errors::a_broken_catalog_is_refused_in_words(w))
    }),
    ("reload_keeps_settings_not_secrets", |w| {
        Box::pin(persistence::reload_keeps_settings_not_secrets(w))
    }),
    ("forget_everything_clears_settings", |w| {
        Box::pin(persistence::forget_everything_clears_settings(w))
    }),
    (
        "export_for_scripts_includes_refresh_token_only_when_chosen",
        |w| Box::pin(scripts_export::export_for_scripts_includes_refresh_token_only_when_chosen(w)),
    ),
    ("automatic_refresh_keeps_rotated_token", |w| {
        Box::pin(refresh::automatic_refresh_keeps_rotated_token(w))
    }),
    ("get_exchange_reissues_with_token_variable", |w| {
        Box::pin(refresh::get_exchange_reissues_with_token_variable(w))
    }),
    (
        "instagram_code_exchange_is_followed_by_the_long_lived_exchange",
        |w| Box::pin(follow_up::instagram_code_exchange_is_followed_by_the_long_lived_exchange(w)),
    ),
    ("static_hosted_page_gets_code_through_relay_pickup", |w| {
        Box::pin(redirect_capture::static_hosted_page_gets_code_through_relay_pickup(w))
    }),
    ("fleet_behind_nginx_delivers_every_code_sealed", |w| {
        Box::pin(fleet::fleet_behind_nginx_delivers_every_code_sealed(w))
    }),
    ("local_listener_catches_loopback_redirect", |w| {
        Box::pin(redirect_capture::local_listener_catches_loopback_redirect(
            w,
        ))
    }),
    ("https_localhost_listener_catches_redirect", |w| {
        Box::pin(redirect_capture::https_localhost_listener_catches_redirect(
            w,
        ))
    }),
    ("trunk_serve_development_flow", |w| {
        Box::pin(redirect_capture::trunk_serve_development_flow(w))
    }),
    ("unparsed_editor_text_survives_tab_and_step_switches", |w| {
        Box::pin(input_kept::unparsed_editor_text_survives_tab_and_step_switches(w))
    }),
    ("full_storage_is_said_and_saved_values_kept", |w| {
        Box::pin(input_kept::full_storage_is_said_and_saved_values_kept(w))
    }),
    ("what_the_wizard_exports_it_imports", |w| {
        Box::pin(input_kept::what_the_wizard_exports_it_imports(w))
    }),
    ("bad_input_is_refused_where_typed", |w| {
        Box::pin(input_kept::bad_input_is_refused_where_typed(w))
    }),
    ("browser_back_goes_back_and_redirects_add_no_history", |w| {
        Box::pin(input_kept::browser_back_goes_back_and_redirects_add_no_history(w))
    }),
    ("reload_while_waiting_says_how_to_go_on", |w| {
        Box::pin(input_kept::reload_while_waiting_says_how_to_go_on(w))
    }),
    ("every_step_passes_wcag_2_2_aa", |w| {
        Box::pin(input_kept::every_step_passes_wcag_2_2_aa(w))
    }),
    ("step_3_problems_are_shown_at_their_fields", |w| {
        Box::pin(input_kept::step_3_problems_are_shown_at_their_fields(w))
    }),
    ("extra_parameter_problems_are_shown_at_their_row", |w| {
        Box::pin(input_kept::extra_parameter_problems_are_shown_at_their_row(
            w,
        ))
    }),
    (
        "a_relay_the_page_may_not_call_is_named_as_blocked_by_its_policy",
        |w| {
            Box::pin(input_kept::a_relay_the_page_may_not_call_is_named_as_blocked_by_its_policy(w))
        },
    ),
    (
        "discovery_of_a_public_only_service_says_what_it_decided",
        |w| Box::pin(clients::discovery_of_a_public_only_service_says_what_it_decided(w)),
    ),
    ("public_client_gets_and_refreshes_tokens", |w| {
        Box::pin(clients::public_client_gets_and_refreshes_tokens(w))
    }),
    ("empty_secret_under_basic_says_what_to_choose", |w| {
        Box::pin(clients::empty_secret_under_basic_says_what_to_choose(w))
    }),
    ("discovery_after_unticking_keeps_the_choice", |w| {
        Box::pin(clients::discovery_after_unticking_keeps_the_choice(w))
    }),
    ("unticking_after_discovery_switches_the_grant", |w| {
        Box::pin(clients::unticking_after_discovery_switches_the_grant(w))
    }),
    ("reticking_the_client_flow_brings_its_settings_back", |w| {
        Box::pin(clients::reticking_the_client_flow_brings_its_settings_back(
            w,
        ))
    }),
    ("refresh_follows_the_bearer_client_auth", |w| {
        Box::pin(clients::refresh_follows_the_bearer_client_auth(w))
    }),
    ("failing_automatic_refresh_is_shown", |w| {
        Box::pin(clients::failing_automatic_refresh_is_shown(w))
    }),
    ("build_errors_come_with_a_hint", |w| {
        Box::pin(clients::build_errors_come_with_a_hint(w))
    }),
    ("withheld_offline_access_is_explained", |w| {
        Box::pin(clients::withheld_offline_access_is_explained(w))
    }),
    (
        "the_password_grant_comes_back_after_ticking_and_unticking",
        |w| Box::pin(clients::the_password_grant_comes_back_after_ticking_and_unticking(w)),
    ),
    ("curl_export_is_masked_unless_secrets_are_included", |w| {
        Box::pin(clients::curl_export_is_masked_unless_secrets_are_included(
            w,
        ))
    }),
];

/// The shared world: started by the first scenario that runs, closed at the end.
enum Slot {
    NotStarted,
    Ready(Box<World>),
    /// Starting failed; every scenario reports this message.
    Failed(String),
    Closed,
}

fn main() -> ExitCode {
    let mut args = Arguments::from_args();
    // One browser: the scenarios take turns.
    args.test_threads = Some(1);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => Arc::new(runtime),
        Err(e) => {
            eprintln!("cannot start the Tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let slot = Arc::new(Mutex::new(Slot::NotStarted));
    let trials = SCENARIOS
        .iter()
        .map(|&(name, scenario)| {
            let runtime = runtime.clone();
            let slot = slot.clone();
            Trial::test(name, move || run_scenario(&runtime, &slot, name, scenario))
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    let world = std::mem::replace(&mut *lock(&slot), Slot::Closed);
    if let Slot::Ready(world) = world
        && let Err(e) = runtime.block_on(world.close())
    {
        eprintln!("closing the browser: {e}");
    }
    conclusion.exit_code()
}

fn lock(slot: &Mutex<Slot>) -> std::sync::MutexGuard<'_, Slot> {
    // A panicking scenario poisons the lock; the world itself is still usable (or closable).
    slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn run_scenario(
    runtime: &tokio::runtime::Runtime,
    slot: &Mutex<Slot>,
    name: &str,
    scenario: Scenario,
) -> std::result::Result<(), Failed> {
    let mut slot = lock(slot);
    runtime.block_on(async {
        if matches!(*slot, Slot::NotStarted) {
            *slot = match World::start().await {
                Ok(world) => Slot::Ready(Box::new(world)),
                Err(e) => Slot::Failed(e.to_string()),
            };
        }
        let world = match &*slot {
            Slot::Ready(world) => world,
            Slot::Failed(message) => return Err(Failed::from(message.as_str())),
            Slot::NotStarted | Slot::Closed => {
                return Err(Failed::from("the test world is not running"));
            }
        };
        let outcome = check::within(SCENARIO_LIMIT, name, async {
            world.fresh_page().await?;
            scenario(world).await
        })
        .await;
        match outcome {
            Ok(()) => Ok(()),
            Err(error) => {
                let shot = match world.screenshot(&format!("failed-{name}")).await {
                    Ok(path) => format!("\nscreenshot: {}", path.display()),
                    Err(_) => String::new(),
                };
                Err(Failed::from(format!("{error}{shot}")))
            }
        }
    })
}
