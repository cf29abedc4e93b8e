//! Sample inputs shared by the tests: clearly fake values, one per variable a preset can use.

use engine::Vars;
use presets::Preset;

/// A fixed, valid PKCE verifier (43 characters).
pub const CODE_VERIFIER: &str = "dBjftJeZ4CVP-mJ92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// base64url(SHA-256([`CODE_VERIFIER`])), computed outside Rust (Python's hashlib) so the golden
/// files check the engine's S256 against an independent implementation.
pub const CODE_CHALLENGE: &str = "ngF5GsXcbwljx6u133FFr3Xht9xooA_DuaX_3QwODtc";

/// The values every request is built from in the tests, standard variables first.
pub fn vars_for(preset: &Preset) -> Vars {
    let mut vars = Vars::new()
        .with("client_id", "sample-client-id")
        .with("client_secret", "sample-client-secret")
        .with("redirect_uri", "http://127.0.0.1:8787/callback")
        .with("state", "sample-state-0123456789abcdef")
        .with("code", "sample-code")
        .with("code_verifier", CODE_VERIFIER)
        .with("token", "sample-access-token")
        .with("refresh_token", "sample-refresh-token")
        .with("user_name", "sample-user")
        // JWT client authentication: the golden files show where the signed assertion goes.
        .with(
            "private_key",
            include_str!("../../../tests/keys/client-rsa.pem"),
        )
        .with("client_assertion", "sample.signed.assertion");
    for spec in &preset.settings.variables {
        let value = if spec.default.is_empty() {
            sample_value(&spec.name)
        } else {
            spec.default.clone()
        };
        vars.set(spec.name.clone(), value);
    }
    for name in preset
        .settings
        .authorization
        .iter()
        .flat_map(|auth| &auth.callback_params)
    {
        vars.set(name.clone(), sample_value(name));
    }
    vars
}

/// A plausible value for a service variable or callback parameter without a default.
pub fn sample_value(name: &str) -> String {
    match name {
        "account_id" => "1234567-sb1",
        "company" => "1234567_SB1",
        "company_id" => "samplecompany",
        "certificate_id" => "sample-certificate-id",
        "server_app" => "11111111-2222-3333-4444-555555555555",
        "realmId" => "9341453000000000",
        "shop" => "sample-shop",
        "location" => "us",
        "accounts-server" => "https://accounts.zoho.com",
        _ => "sample",
    }
    .to_owned()
}
