//! Leaf UI pieces shared by the steps. They know nothing about OAuth: props in, callbacks out.

mod client_assertion;
mod countdown;
mod error_box;
mod field;
mod step_nav;
mod token_panel;

pub use client_assertion::{AssertionFields, PrivateKeyField};
pub use countdown::Countdown;
pub use error_box::ErrorBox;
pub use field::{
    CheckboxField, CopyButton, Drafts, SecretField, SelectField, StatusLine, TextArea, TextField,
};
pub use step_nav::{StepIndicator, StepNav};
pub use token_panel::TokenPanel;
