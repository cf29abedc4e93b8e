//! Userinfo, introspection and revocation as buttons in step 3 (the endpoints from discovery):
//! who signed in, whether the token is active, revoking it, and the userinfo refusal explained
//! once it is revoked.

use e2e::world::World;
use e2e::{Result, action, check};

use crate::flows;

pub async fn userinfo_introspection_and_revocation(w: &World) -> Result<()> {
    let c = w.client();
    flows::custom_service_discovered(w).await?;
    action::next_to(c, 2).await?;
    action::fill(c, "client-id", &w.provider.config().client_id).await?;
    action::fill_lines(c, "scopes", &["openid", "read"]).await?;
    flows::authorize_automatically(w).await?;
    action::next_to(c, 3).await?;
    action::fill(c, "client-secret", &w.provider.config().client_secret).await?;
    flows::call_bearer(w).await?;

    action::click(c, "call-userinfo").await?;
    check::shows_containing(c, "token-call-raw", "Alice Liddell").await?;
    action::click(c, "call-introspect").await?;
    check::shows_containing(
        c,
        "token-call-result",
        "Active: the service accepts this token",
    )
    .await?;
    let introspect = flows::last_request(w, "/introspect")?;
    check::expect(introspect.basic_client_id.is_some(), || {
        "introspection authenticates the client as the token request does".to_owned()
    })?;
    action::click(c, "call-revoke").await?;
    check::shows_containing(c, "token-call-result", "Revoked").await?;
    action::click(c, "call-introspect").await?;
    check::shows_containing(c, "token-call-result", "Not active").await?;
    action::click(c, "call-userinfo").await?;
    check::shows_containing(
        c,
        "token-call-result",
        "The userinfo endpoint refused (invalid_token",
    )
    .await?;
    check::shows_containing(c, "token-call-result", "get a new one").await?;
    Ok(())
}
