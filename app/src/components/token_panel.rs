//! What is inside a token the service returned: a JWT's header and claims, its times in local
//! time, and the engine's checks (expiry, issuer, audience, nonce) in words; an opaque token is
//! said to be opaque. Props in, nothing out.

use engine::jwt::{Expected, TokenShape, check_claims, decode, duration_words};
use leptos::prelude::*;

/// The panel of one token.
#[component]
pub fn TokenPanel(
    /// `access-token` or `id-token`: the prefix of the `data-testid`s.
    #[prop(into)]
    prefix: String,
    /// The heading ("Access token", "ID token").
    #[prop(into)]
    title: String,
    /// The token; nothing is shown while it is empty.
    #[prop(into)]
    token: Signal<String>,
    /// Whether it is an OpenID ID token (its audience must be the client, its nonce the one sent).
    id_token: bool,
    /// The issuer in the settings (empty: unknown).
    #[prop(into)]
    issuer: Signal<String>,
    /// The client id.
    #[prop(into)]
    client_id: Signal<String>,
    /// The nonce sent with the authorization (empty: none).
    #[prop(into)]
    nonce: Signal<String>,
    /// Now, in ms since the epoch (ticks once a second).
    #[prop(into)]
    now_ms: Signal<f64>,
    /// The signature check, once done: whether it verified, and the words.
    #[prop(into)]
    signature: Signal<Option<(bool, String)>>,
) -> impl IntoView {
    let decoded = Memo::new(move |_| token.with(|t| (!t.is_empty()).then(|| decode(t))));
    let prefix = StoredValue::new(prefix);
    let testid = move |name: &str| format!("{}-{name}", prefix.get_value());
    let pretty = |map: &serde_json::Map<String, serde_json::Value>| {
        serde_json::to_string_pretty(map).unwrap_or_default()
    };
    view! {
        {move || {
            let shape = decoded.get()?;
            Some(match shape {
                TokenShape::Opaque => view! {
                    <p class="help" data-testid=testid("opaque")>
                        {format!("{title}: opaque — a reference only the service can read (not a JWT, so nothing to decode).")}
                    </p>
                }
                .into_any(),
                TokenShape::Encrypted => view! {
                    <p class="help" data-testid=testid("encrypted")>
                        {format!("{title}: an encrypted JWT (JWE) — only the service can read it.")}
                    </p>
                }
                .into_any(),
                TokenShape::Jwt(jwt) => {
                    let now = (now_ms.get() / 1000.0) as u64;
                    let issuer_text = Some(issuer.get()).filter(|s| !s.is_empty());
                    let client_text = Some(client_id.get()).filter(|s| !s.is_empty());
                    let nonce_text = Some(nonce.get()).filter(|s| !s.is_empty());
                    let checks = check_claims(
                        &jwt,
                        Expected {
                            issuer: issuer_text.as_deref(),
                            client_id: client_text.as_deref(),
                            nonce: nonce_text.as_deref(),
                            now,
                        },
                        id_token,
                    );
                    let times = jwt
                        .times()
                        .into_iter()
                        .map(|(name, words, secs)| {
                            let local = crate::browser::local_date_time(secs as f64 * 1000.0);
                            let relative = if secs > now {
                                format!("in {}", duration_words(secs - now))
                            } else {
                                format!("{} ago", duration_words(now - secs))
                            };
                            view! {
                                <li data-testid=testid(&format!("time-{name}"))>
                                    {format!("{words} ({name}): {local}, {relative}")}
                                </li>
                            }
                        })
                        .collect_view();
                    let checks = checks
                        .into_iter()
                        .map(|check| {
                            let mark = if check.ok { "✓" } else { "✗" };
                            view! {
                                <li
                                    class=if check.ok { "check ok" } else { "check failed" }
                                    data-testid=testid(&format!("check-{}", check.claim))
                                >
                                    {format!("{mark} {}: {}", check.claim, check.words)}
                                </li>
                            }
                        })
                        .collect_view();
                    view! {
                        <div class="token-panel" data-testid=testid("panel")>
                            <h3>{format!("{title}: a JWT signed {}", jwt.alg())}</h3>
                            <ul class="checks" data-testid=testid("checks")>
                                {move || {
                                    let (ok, words) = signature
                                        .get()
                                        .unwrap_or_else(|| (false, "not checked yet".to_owned()));
                                    let mark = if ok { "✓" } else { "✗" };
                                    view! {
                                        <li class=if ok { "check ok" } else { "check failed" } data-testid=testid("check-signature")>
                                            {format!("{mark} signature: {words}")}
                                        </li>
                                    }
                                }}
                                {checks}
                            </ul>
                            <ul class="times">{times}</ul>
                            <h4>"Header"</h4>
                            <pre class="code" data-testid=testid("header") tabindex="0">{pretty(&jwt.header)}</pre>
                            <h4>"Claims"</h4>
                            <pre class="code" data-testid=testid("claims") tabindex="0">{pretty(&jwt.claims)}</pre>
                        </div>
                    }
                    .into_any()
                }
            })
        }}
    }
}
