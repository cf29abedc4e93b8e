//! One `<select>` for every enum of the engine's settings: an option's value is the enum's serde
//! name (the name in presets and exported files), so no enum is mapped to strings by hand.

use engine::{
    BodyFormat, ClientAuth, Credentials, HttpMethod, JwtAlg, ScopeSeparator, SpaceEncoding,
};
use leptos::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::SelectField;

/// An enum the user chooses from a list.
pub trait Choice: Copy + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Every value with the words shown for it, in the order shown.
    const CHOICES: &'static [(Self, &'static str)];
}

/// The serde name of a unit variant (`basic-header`, `POST` …).
pub fn serde_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

/// The variant named `name`, if there is one.
pub fn from_serde_name<T: DeserializeOwned>(name: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}

/// A labelled `<select>` over the choices of `T`.
#[component]
pub fn ChoiceField<T: Choice>(
    /// The visible label.
    #[prop(into)]
    label: String,
    /// The `data-testid` and element id.
    #[prop(into)]
    testid: String,
    /// The chosen value (a `Signal`, not converted `into` one, so that it names `T`).
    value: Signal<T>,
    /// Called with the value chosen.
    #[prop(into)]
    on_change: Callback<(T,)>,
) -> impl IntoView {
    let options = T::CHOICES
        .iter()
        .map(|(choice, words)| (serde_name(choice), *words))
        .collect();
    view! {
        <SelectField
            label=label
            testid=testid
            options=options
            value=Signal::derive(move || serde_name(&value.get()))
            on_change=move |(name,): (String,)| {
                if let Some(choice) = from_serde_name::<T>(&name) {
                    on_change.run((choice,));
                }
            }
        />
    }
}

impl Choice for ScopeSeparator {
    const CHOICES: &'static [(Self, &'static str)] = &[
        (Self::Space, "Space (standard)"),
        (Self::Comma, "Comma"),
        (Self::Semicolon, "Semicolon"),
        (Self::Plus, "Plus (+ in the URL)"),
    ];
}

impl Choice for SpaceEncoding {
    const CHOICES: &'static [(Self, &'static str)] = &[(Self::Percent20, "%20"), (Self::Plus, "+")];
}

impl Choice for HttpMethod {
    const CHOICES: &'static [(Self, &'static str)] = &[(Self::Post, "POST"), (Self::Get, "GET")];
}

impl Choice for BodyFormat {
    const CHOICES: &'static [(Self, &'static str)] =
        &[(Self::Form, "Form (urlencoded)"), (Self::Json, "JSON")];
}

impl Choice for ClientAuth {
    const CHOICES: &'static [(Self, &'static str)] = &[
        (Self::BasicHeader, "Basic header (client_secret_basic)"),
        (Self::Body, "In the body (client_secret_post)"),
        (Self::None, "None"),
        (
            Self::ClientSecretJwt,
            "JWT signed with the secret (client_secret_jwt)",
        ),
        (
            Self::PrivateKeyJwt,
            "JWT signed with a private key (private_key_jwt)",
        ),
    ];
}

/// The algorithms of `private_key_jwt` (HS256 belongs to `client_secret_jwt`, chosen with it).
impl Choice for JwtAlg {
    const CHOICES: &'static [(Self, &'static str)] = &[
        (Self::Rs256, "RS256 (RSA)"),
        (Self::Ps256, "PS256 (RSA-PSS)"),
        (Self::Es256, "ES256 (EC P-256)"),
    ];
}

impl Choice for Credentials {
    const CHOICES: &'static [(Self, &'static str)] = &[
        (Self::Secret, "Secret"),
        (Self::UserIdAndSecret, "User ID and secret"),
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names<T: Choice>() -> Vec<String> {
        T::CHOICES.iter().map(|(c, _)| serde_name(c)).collect()
    }

    fn round_trips<T: Choice + std::fmt::Debug>() {
        for (choice, _) in T::CHOICES {
            assert_eq!(from_serde_name::<T>(&serde_name(choice)), Some(*choice));
        }
        assert_eq!(from_serde_name::<T>("no-such-choice"), None);
    }

    #[test]
    fn every_choice_is_named_as_in_the_settings_files() {
        assert_eq!(
            names::<ScopeSeparator>(),
            ["space", "comma", "semicolon", "plus"]
        );
        assert_eq!(names::<SpaceEncoding>(), ["percent20", "plus"]);
        assert_eq!(names::<HttpMethod>(), ["POST", "GET"]);
        assert_eq!(names::<BodyFormat>(), ["form", "json"]);
        assert_eq!(
            names::<ClientAuth>(),
            [
                "basic-header",
                "body",
                "none",
                "client-secret-jwt",
                "private-key-jwt"
            ]
        );
        assert_eq!(names::<JwtAlg>(), ["RS256", "PS256", "ES256"]);
        assert_eq!(names::<Credentials>(), ["secret", "user-id-and-secret"]);
    }

    #[test]
    fn every_name_reads_back_as_its_choice() {
        round_trips::<ScopeSeparator>();
        round_trips::<SpaceEncoding>();
        round_trips::<HttpMethod>();
        round_trips::<BodyFormat>();
        round_trips::<ClientAuth>();
        round_trips::<JwtAlg>();
        round_trips::<Credentials>();
    }
}
