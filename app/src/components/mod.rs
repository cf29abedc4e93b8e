//! Leaf UI pieces shared by the steps. They know nothing about OAuth: props in, callbacks out.

mod choice;
mod client_assertion;
mod countdown;
mod error_box;
mod field;
mod known_fix;
mod redirect_doctor;
mod step_nav;
mod token_panel;
mod when;

pub use choice::{Choice, ChoiceField};
pub use client_assertion::{AssertionFields, PrivateKeyField};
pub use countdown::Countdown;
pub use error_box::ErrorBox;
pub use field::{
    CheckboxField, CopyButton, Drafts, SecretField, SelectField, StatusLine, TextArea, TextField,
};
pub use known_fix::KnownFix;
pub use redirect_doctor::RedirectDoctor;
pub use step_nav::{StepIndicator, StepNav};
pub use token_panel::TokenPanel;
pub use when::When;
