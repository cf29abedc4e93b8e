//! The relay's copy of the presets' token hosts (`relay/src/preset_token_hosts.txt`): the relay
//! includes that file instead of linking this crate (and the engine), so it must stay current.

use std::path::Path;

#[test]
fn the_relays_token_host_list_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../relay/src/preset_token_hosts.txt");
    let mut wanted = presets::token_host_patterns().join("\n");
    wanted.push('\n');
    if std::env::var_os("UPDATE_TOKEN_HOSTS").is_some() {
        std::fs::write(&path, &wanted).expect("writing the relay's token host list");
    }
    let found = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        found == wanted,
        "{} is out of date with the presets; rewrite it with \
         `UPDATE_TOKEN_HOSTS=1 cargo test -p presets --test it token_host` and commit it",
        path.display()
    );
}

/// A wildcard may stand for a subdomain, never for the domain a relay trusts: `accounts.zoho.*`
/// would let the relay call `accounts.zoho.attacker.example`.
#[test]
fn no_token_host_pattern_leaves_the_domain_open() {
    for pattern in presets::token_host_patterns() {
        let labels: Vec<&str> = pattern.split('.').collect();
        assert!(
            labels.len() >= 2 && labels[labels.len() - 2..].iter().all(|label| *label != "*"),
            "{pattern}: the last two labels must be literal"
        );
    }
}
