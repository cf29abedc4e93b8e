//! The token panel: an OpenID sign-in sends a nonce, the mock's ID token is decoded and its
//! claims checked against the settings (issuer from discovery, audience = the client, the nonce
//! sent); an opaque access token is said to be opaque; an ID token with another sign-in's nonce
//! is flagged, and so is one whose signature does not verify with the service's JWKS. ID tokens
//! signed PS256, ES256 and EdDSA (Ed25519) verify in Chromium's WebCrypto too, and a JWT access
//! token is verified like the ID token.

use e2e::provider::IdTokenAlg;
use e2e::world::World;
use e2e::{Result, action, check};

use crate::flows;

/// Discovery, `openid read`, a real authorization and the code exchange.
async fn signed_in_with_openid(w: &World) -> Result<()> {
    let c = w.client();
    flows::custom_service_discovered(w).await?;
    action::next_to(c, 2).await?;
    action::fill(c, "client-id", &w.provider.config().client_id).await?;
    action::fill_lines(c, "scopes", &["openid", "read"]).await?;
    flows::authorize_automatically(w).await?;
    action::next_to(c, 3).await?;
    action::fill(c, "client-secret", &w.provider.config().client_secret).await?;
    flows::call_bearer(w).await?;
    Ok(())
}

pub async fn id_token_is_decoded_and_checked(w: &World) -> Result<()> {
    let c = w.client();
    signed_in_with_openid(w).await?;
    let authorize = w.provider.requests_to("/authorize").pop();
    check::expect(
        authorize
            .as_ref()
            .is_some_and(|r| r.param("nonce").is_some_and(|n| n.len() == 43)),
        || "the authorization request should carry a nonce with openid".to_owned(),
    )?;
    check::shows_containing(c, "access-token-opaque", "opaque").await?;
    check::shows_containing(c, "id-token-check-iss", "✓ iss: the service's issuer").await?;
    check::shows_containing(c, "id-token-check-aud", "✓ aud: this client").await?;
    check::shows_containing(c, "id-token-check-nonce", "✓ nonce: matches the one sent").await?;
    check::shows_containing(c, "id-token-check-exp", "✓ exp: valid for").await?;
    check::shows_containing(c, "id-token-claims", "Alice Liddell").await?;
    check::shows_containing(c, "id-token-header", "mock-key-1").await?;
    check::shows_containing(c, "id-token-time-exp", "expires (exp):").await?;
    check::shows_containing(
        c,
        "id-token-check-signature",
        "✓ signature: verified with the service's key mock-key-1 (RS256)",
    )
    .await?;
    Ok(())
}

pub async fn id_token_with_another_nonce_is_flagged(w: &World) -> Result<()> {
    let c = w.client();
    w.provider
        .configure(|config| config.id_token_nonce = Some("minted-for-another-sign-in".to_owned()));
    signed_in_with_openid(w).await?;
    check::shows_containing(
        c,
        "id-token-check-nonce",
        "✗ nonce: differs from the one sent",
    )
    .await?;
    check::shows_containing(c, "id-token-check-aud", "✓").await?;
    check::shows_containing(c, "id-token-check-signature", "✓ signature: verified").await?;
    Ok(())
}

pub async fn id_token_with_a_bad_signature_is_flagged(w: &World) -> Result<()> {
    let c = w.client();
    w.provider
        .configure(|config| config.id_token_bad_signature = true);
    signed_in_with_openid(w).await?;
    check::shows_containing(
        c,
        "id-token-check-signature",
        "✗ signature: does NOT verify",
    )
    .await?;
    check::shows_containing(c, "id-token-check-iss", "✗ iss: names issuer forged").await?;
    Ok(())
}

/// An ID token signed by `alg` verifies with the provider's key of that algorithm.
async fn id_token_signed_with(w: &World, alg: IdTokenAlg) -> Result<()> {
    let c = w.client();
    w.provider.configure(|config| config.id_token_alg = alg);
    signed_in_with_openid(w).await?;
    check::shows_containing(
        c,
        "id-token-panel",
        &format!("ID token: a JWT signed {}", alg.name()),
    )
    .await?;
    check::shows_containing(
        c,
        "id-token-check-signature",
        &format!(
            "✓ signature: verified with the service's key {} ({})",
            alg.kid(),
            alg.name()
        ),
    )
    .await?;
    check::shows_containing(c, "id-token-check-nonce", "✓ nonce: matches the one sent").await?;
    Ok(())
}

pub async fn id_token_signed_eddsa_is_verified(w: &World) -> Result<()> {
    id_token_signed_with(w, IdTokenAlg::EdDsa).await
}

pub async fn id_token_signed_es256_is_verified(w: &World) -> Result<()> {
    id_token_signed_with(w, IdTokenAlg::Es256).await
}

pub async fn id_token_signed_ps256_is_verified(w: &World) -> Result<()> {
    id_token_signed_with(w, IdTokenAlg::Ps256).await
}

pub async fn jwt_access_token_is_verified(w: &World) -> Result<()> {
    let c = w.client();
    w.provider.configure(|config| {
        config.jwt_access_tokens = true;
        config.id_token_alg = IdTokenAlg::EdDsa;
    });
    signed_in_with_openid(w).await?;
    let issued = w.provider.newest_access_token().unwrap_or_default();
    check::expect(issued.split('.').count() == 3, || {
        format!("the provider should have issued a JWT access token, not {issued:?}")
    })?;
    check::shows_containing(c, "access-token-panel", "Access token: a JWT signed EdDSA").await?;
    check::shows_containing(
        c,
        "access-token-check-signature",
        "✓ signature: verified with the service's key mock-key-ed25519 (EdDSA)",
    )
    .await?;
    check::shows_containing(c, "access-token-check-iss", "✓ iss: the service's issuer").await?;
    check::shows_containing(c, "access-token-claims", "\"client_id\"").await?;
    Ok(())
}
