//! Converts the bundled preset files from TOML to JSON at build time, so the wasm app carries no
//! TOML parser: it already needs serde_json, and the presets are only ever read, never edited.
//!
//! Reads exactly the files in `src/bundled_list.rs` (the same list the library uses), checks that
//! each is TOML, and writes `$OUT_DIR/presets.jsonl`: one compact JSON object per line, in the
//! list's order. The strict check against the schema (unknown keys, types) happens when the
//! library reads that JSON, and in the crate's tests, which compare it with a direct TOML parse.
//!
//! A file that is not TOML, or holds a value JSON cannot carry (a date, an infinite number),
//! fails the build with a message that names the file, and the line or the key.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[path = "src/bundled_list.rs"]
mod bundled_list;

fn main() {
    if let Err(message) = run() {
        // The headline for cargo's summary; the full message (TOML's snippet of the line) below.
        println!(
            "cargo::error={}",
            message.lines().next().unwrap_or_default()
        );
        eprintln!("{message}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let manifest_dir = PathBuf::from(env_var("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(env_var("OUT_DIR")?);
    let data_dir = manifest_dir.join("data");

    // The folder too, so a file added to it re-runs the script (and the tests notice it is
    // missing from the list).
    println!("cargo::rerun-if-changed=data");
    println!("cargo::rerun-if-changed=src/bundled_list.rs");

    let mut lines = String::new();
    for file in bundled_list::BUNDLED_FILES {
        println!("cargo::rerun-if-changed=data/{file}");
        let json = convert(&data_dir.join(file), file)?;
        // Compact JSON escapes every newline inside strings, so one object is one line.
        writeln!(lines, "{json}").map_err(|error| error.to_string())?;
    }
    let out = out_dir.join("presets.jsonl");
    std::fs::write(&out, lines).map_err(|error| format!("cannot write {}: {error}", out.display()))
}

fn env_var(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|error| format!("cargo did not set {name}: {error}"))
}

/// One preset file as compact JSON.
fn convert(path: &Path, file: &str) -> Result<String, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("data/{file}: cannot read the file: {error}"))?;
    let table: toml::Table = text.parse().map_err(|error: toml::de::Error| {
        format!("data/{file}: {}", error.to_string().trim_end())
    })?;
    let json = table_to_json(table, "").map_err(|message| format!("data/{file}: {message}"))?;
    serde_json::to_string(&json).map_err(|error| format!("data/{file}: {error}"))
}

fn table_to_json(table: toml::Table, prefix: &str) -> Result<serde_json::Value, String> {
    let mut object = serde_json::Map::new();
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        object.insert(key, value_to_json(value, &path)?);
    }
    Ok(serde_json::Value::Object(object))
}

/// `key` is the value's dotted path (`settings.token.body[1].value`), for the error messages.
fn value_to_json(value: toml::Value, key: &str) -> Result<serde_json::Value, String> {
    Ok(match value {
        toml::Value::String(text) => serde_json::Value::String(text),
        toml::Value::Integer(number) => number.into(),
        toml::Value::Boolean(flag) => flag.into(),
        toml::Value::Float(number) => serde_json::Number::from_f64(number)
            .map(serde_json::Value::Number)
            .ok_or_else(|| format!("`{key}`: {number} is not a finite number"))?,
        // No preset key is a date; the TOML reader would refuse one too ("expected a string").
        toml::Value::Datetime(date) => {
            return Err(format!(
                "`{key}`: {date} is a TOML date; write it in quotes (\"{date}\")"
            ));
        }
        toml::Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(index, item)| value_to_json(item, &format!("{key}[{index}]")))
            .collect::<Result<_, _>>()?,
        toml::Value::Table(table) => table_to_json(table, key)?,
    })
}
