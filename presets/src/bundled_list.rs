//! Which preset files ship: the one list, read by the library and by `build.rs` (through
//! `#[path]`), so the two cannot disagree. A test checks that every file in `data/` is here.

/// The bundled preset files under `data/`, by file name.
pub const BUNDLED_FILES: &[&str] = &[
    "atlassian.toml",
    "box.toml",
    "business-central-on-premises.toml",
    "business-central-online.toml",
    "constant-contact.toml",
    "criteo.toml",
    "dayforce.toml",
    "docusign.toml",
    "dropbox.toml",
    "facebook.toml",
    "github.toml",
    "google-cloud.toml",
    "hubspot.toml",
    "instagram.toml",
    "linkedin.toml",
    "mailchimp.toml",
    "microsoft.toml",
    "netsuite.toml",
    "pinterest.toml",
    "quickbooks.toml",
    "salesforce.toml",
    "shopify.toml",
    "slack.toml",
    "twitter.toml",
    "xero.toml",
    "youtube.toml",
    "zoho-crm.toml",
    "zoom.toml",
];
