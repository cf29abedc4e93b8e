//! Property tests of the engine's public API: whatever the values, encoded requests parse back to
//! exactly them, nothing is injected, and parsers never panic.

mod callback;
mod request;
mod template;

use proptest::prelude::*;

/// Arbitrary values, weighted towards the characters that break naive encoders.
pub fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9 &=+%#{}\r\n\0/?@:;,.~_'\"\\\\-]{0,16}",
        "[&=+%#{}\r\n ]{1,8}",
        "\\PC{0,12}",
    ]
}

/// Like [`value`], never empty (required variables must be set).
pub fn non_empty_value() -> impl Strategy<Value = String> {
    value().prop_filter("a required value is non-empty", |value| !value.is_empty())
}
