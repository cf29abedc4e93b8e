//! The OAuth engine: the one place that knows OAuth.
//!
//! Pure logic — no IO, no clock, no randomness source, no web-sys, no leptos — so the wasm wizard
//! and native tools share it and it is tested natively. Callers pass in what the world provides
//! (random bytes, the current time, response bodies).

pub mod settings;

pub use settings::*;
