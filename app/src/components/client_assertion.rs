//! The fields of JWT client authentication: the algorithm and key id of one request, and the
//! private key (a secret, multi-line: a PEM block or a JWK). Props in, callbacks out.

use engine::JwtAlg;
use leptos::prelude::*;

use super::{ChoiceField, TextField, When};

/// Algorithm, key id and lifetime of one request's client assertion.
#[component]
pub fn AssertionFields(
    /// `bearer` or `refresh`: the prefix of the `data-testid`s.
    #[prop(into)]
    prefix: String,
    /// Whether the key is a private key (`private_key_jwt`); otherwise the secret signs (HS256).
    #[prop(into)]
    private_key: Signal<bool>,
    /// `RS256`, `PS256` or `ES256`.
    alg: Signal<JwtAlg>,
    /// Called with the algorithm chosen.
    #[prop(into)]
    on_alg: Callback<(JwtAlg,)>,
    /// The `kid` template.
    #[prop(into)]
    key_id: Signal<String>,
    /// Called with the new key id.
    #[prop(into)]
    on_key_id: Callback<(String,)>,
) -> impl IntoView {
    let alg_id = format!("{prefix}-assertion-alg");
    let kid_id = format!("{prefix}-assertion-kid");
    view! {
        <div class="grid two" data-testid=format!("{prefix}-assertion")>
            <When
                when=move || private_key.get()
                fallback=|| view! { <p class="help">"The assertion is signed with the client secret (HS256)."</p> }
            >
                <ChoiceField
                    label="Signing algorithm"
                    testid=alg_id.clone()
                    value=alg
                    on_change=on_alg
                />
            </When>
            <TextField
                label="Key ID (kid)"
                testid=kid_id
                value=key_id
                on_input=on_key_id
                help="The id the service gave the key or certificate; may use {variables}. Empty sends none."
                mono=true
            />
        </div>
    }
}

/// The private key of `private_key_jwt`: pasted whole, hidden unless `reveal`, checked as it is
/// typed (`problem`: what is wrong with it, never what it holds).
#[component]
pub fn PrivateKeyField(
    /// The current key text.
    #[prop(into)]
    value: Signal<String>,
    /// Whether to show it in clear.
    #[prop(into)]
    reveal: Signal<bool>,
    /// What is wrong with the key for the algorithm chosen, if anything.
    #[prop(into)]
    problem: Signal<Option<String>>,
    /// Called with the new text.
    #[prop(into)]
    on_input: Callback<(String,)>,
    /// The field's id and `data-testid` (its help and error take it as a prefix).
    #[prop(default = "private-key")]
    testid: &'static str,
) -> impl IntoView {
    let help_id = format!("{testid}-help");
    view! {
        <div class="field">
            <label for=testid>"Private key"</label>
            <textarea
                id=testid
                data-testid=testid
                class=move || if reveal.get() { "mono" } else { "mono secret-text" }
                rows="4"
                spellcheck="false"
                autocomplete="off"
                aria-describedby=help_id.clone()
                aria-invalid=move || problem.with(Option::is_some).then_some("true")
                prop:value=move || value.get()
                on:input=move |ev| on_input.run((event_target_value(&ev),))
            ></textarea>
            <p class="help" id=help_id>
                "PKCS #8 PEM (-----BEGIN PRIVATE KEY-----) or a private JWK. It signs the client assertion in this browser and is never sent."
            </p>
            {move || {
                problem
                    .get()
                    .map(|text| view! { <p class="field-error" data-testid=format!("{testid}-error")>{format!("The private key {text}.")}</p> })
            }}
        </div>
    }
}
