//! Step 3's calls about the token: userinfo, revocation and introspection, each a button when
//! its endpoint is known (discovery or the preset); the answer shown like a token answer and
//! explained by the engine.

use engine::token_calls::TokenCall;
use leptos::prelude::*;

use crate::api;
use crate::components::When;
use crate::state::WizardState;

/// The answer to the last call.
#[derive(Clone, PartialEq)]
struct Answer {
    words: String,
    ok: bool,
    raw: String,
}

/// The buttons and the last answer.
#[component]
pub fn TokenCalls() -> impl IntoView {
    let state = WizardState::expect();
    let answer = RwSignal::new(None::<Answer>);
    let busy = RwSignal::new(false);
    let known = move |call: TokenCall| state.settings.with(|s| !call.url(s).trim().is_empty());
    let any_known = move || {
        [
            TokenCall::Userinfo,
            TokenCall::Revoke,
            TokenCall::Introspect,
        ]
        .into_iter()
        .any(known)
    };
    let run = move |call: TokenCall, refresh: bool| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = send(state, call, refresh).await;
            busy.set(false);
            answer.set(Some(result));
        });
    };
    let has_refresh = move || state.secrets.with(|s| !s.refresh_token.is_empty());
    view! {
        <When when=any_known>
            <div class="token-calls">
                <h3>"Ask the service about the token"</h3>
                <div class="row wrap">
                    <When when=move || known(TokenCall::Userinfo)>
                        <button type="button" class="button secondary" data-testid="call-userinfo" disabled=move || busy.get() on:click=move |_| run(TokenCall::Userinfo, false)>
                            "Who signed in (userinfo)"
                        </button>
                    </When>
                    <When when=move || known(TokenCall::Introspect)>
                        <button type="button" class="button secondary" data-testid="call-introspect" disabled=move || busy.get() on:click=move |_| run(TokenCall::Introspect, false)>
                            "Is it active? (introspect)"
                        </button>
                    </When>
                    <When when=move || known(TokenCall::Revoke)>
                        <button type="button" class="button secondary" data-testid="call-revoke" disabled=move || busy.get() on:click=move |_| run(TokenCall::Revoke, false)>
                            "Revoke the access token"
                        </button>
                        <When when=has_refresh>
                            <button type="button" class="button secondary" data-testid="call-revoke-refresh" disabled=move || busy.get() on:click=move |_| run(TokenCall::Revoke, true)>
                                "Revoke the refresh token"
                            </button>
                        </When>
                    </When>
                </div>
                {move || {
                    answer
                        .get()
                        .map(|answer| {
                            view! {
                                <p class=if answer.ok { "notice" } else { "error-box" } role="status" data-testid="token-call-result">
                                    {answer.words}
                                </p>
                                <pre class="code raw" data-testid="token-call-raw" tabindex="0">{answer.raw}</pre>
                            }
                        })
                }}
            </div>
        </When>
    }
}

async fn send(state: WizardState, call: TokenCall, refresh: bool) -> Answer {
    let failed = |words: String| Answer {
        words,
        ok: false,
        raw: String::new(),
    };
    let (token, hint) = if refresh {
        (
            state.secrets.with_untracked(|s| s.refresh_token.clone()),
            "refresh_token",
        )
    } else {
        (
            state.secrets.with_untracked(|s| s.access_token.clone()),
            "access_token",
        )
    };
    if token.is_empty() {
        return failed("There is no token yet: call the bearer token request first.".to_owned());
    }
    let request = untrack(|| {
        let settings = state.settings.read();
        call.request(&settings, &state.vars(), &token, hint)
    });
    let request = match request {
        Ok(request) => request,
        Err(error) => {
            let hint = error.hint().map(|h| format!(" {h}")).unwrap_or_default();
            return failed(format!("{error}.{hint}"));
        }
    };
    let relay = untrack(|| state.relay());
    let reply = match &relay {
        Some(relay) => relay.proxy(&request).await,
        None => api::direct(&request).await,
    };
    match reply {
        Ok(reply) => Answer {
            words: call.explain(reply.status, &reply.body),
            ok: (200..300).contains(&reply.status),
            raw: serde_json::from_str::<serde_json::Value>(&reply.body)
                .ok()
                .and_then(|v| serde_json::to_string_pretty(&v).ok())
                .unwrap_or(reply.body),
        },
        Err(error) => failed(error.to_string()),
    }
}
