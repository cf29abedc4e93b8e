//! Which preset files ship: the one list, read by the library and by `build.rs` (through
//! `#[path]`), so the two cannot disagree. A test checks that every file in `data/` is here.

/// The bundled preset files under `data/`, by file name.
pub const BUNDLED_FILES: &[&str] = &[
    "business-central-online.toml",
    "business-central-on-premises.toml",
    "constant-contact.toml",
    "criteo.toml",
    "dayforce.toml",
    "facebook.toml",
    "google-cloud.toml",
    "instagram.toml",
    "linkedin.toml",
    "mailchimp.toml",
    "microsoft.toml",
    "netsuite.toml",
    "netsuite-m2m.toml",
    "pinterest.toml",
    "quickbooks.toml",
    "twitter.toml",
    "youtube.toml",
];
