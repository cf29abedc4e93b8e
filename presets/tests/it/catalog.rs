//! The catalog file the wizard fetches (`presets/catalog.json`, copied into `dist/` by trunk):
//! generated from the preset files, read back exactly, refused when it does not fit the schema.
//!
//! `UPDATE_CATALOG=1 cargo test -p presets --test it catalog` rewrites it after a preset changes.

use std::path::Path;

use presets::{all, catalog_json, parse_catalog};

fn catalog_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog.json")
}

#[test]
fn the_catalog_file_is_current() {
    let expected = catalog_json(all());
    if std::env::var_os("UPDATE_CATALOG").is_some_and(|value| value == "1") {
        std::fs::write(catalog_path(), &expected).expect("catalog.json is writable");
        return;
    }
    let actual = std::fs::read_to_string(catalog_path()).unwrap_or_default();
    assert!(
        actual == expected,
        "presets/catalog.json is not what the preset files give: run `UPDATE_CATALOG=1 cargo test -p presets --test it catalog`"
    );
}

#[test]
fn the_catalog_reads_back_as_the_presets() {
    let read = parse_catalog(&catalog_json(all())).expect("the catalog reads");
    assert_eq!(read.as_slice(), all());
}

#[test]
fn the_catalog_file_lists_the_presets_by_name() {
    // The wizard shows the catalog in the file's order: `parse_catalog` does not sort.
    let text = std::fs::read_to_string(catalog_path()).expect("catalog.json is readable");
    let read = parse_catalog(&text).expect("the catalog reads");
    let names: Vec<String> = read.iter().map(|p| p.name.to_ascii_lowercase()).collect();
    assert!(names.len() > 1, "the catalog lists presets");
    assert!(
        names.is_sorted(),
        "catalog.json is not sorted by name: {names:?}"
    );
}

#[test]
fn a_catalog_that_does_not_fit_is_refused_with_the_reason() {
    let error = parse_catalog("[{\"id\": \"x\"}]").unwrap_err().to_string();
    assert!(error.starts_with("catalog.json: missing field"), "{error}");
    let mut json: serde_json::Value = serde_json::from_str(&catalog_json(all())).unwrap();
    json[0]["unknown-key"] = 1.into();
    let error = parse_catalog(&json.to_string()).unwrap_err().to_string();
    assert!(error.contains("unknown field `unknown-key`"), "{error}");
}

#[test]
fn a_preset_with_unacceptable_values_is_refused_when_verified_with_the_reason() {
    let mut json: serde_json::Value = serde_json::from_str(&catalog_json(all())).unwrap();
    let id = json[0]["id"].as_str().unwrap().to_owned();
    json[0]["docs-url"] = "http://insecure.example".into();
    let read = parse_catalog(&json.to_string()).expect("the schema still fits");
    let broken = read.iter().find(|preset| preset.id == id).unwrap();
    let error = broken.verified().unwrap_err().to_string();
    assert!(
        error.starts_with(&format!("catalog.json ({id}): `docs-url`"))
            && error.contains("is not an https:// link"),
        "{error}"
    );
    for preset in read.iter().filter(|preset| preset.id != id) {
        assert!(
            preset.verified().is_ok(),
            "{}: {:?}",
            preset.id,
            preset.verified()
        );
    }
}
