//! App weight: the bytes a browser downloads for the wizard (every file index.html loads from
//! `dist/`: html, wasm, js, css, and the preset catalog the app fetches, `catalog.json`), raw and gzip -9, against the bare Leptos counter built the same
//! way; and which crates weigh most in the wasm, from twiggy on the wasm-bindgen output before
//! wasm-opt (the last point where function names survive).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::report::{Goal, Row, Unit};
use crate::{BenchError, IoContext, Result};

/// The target for the gzipped download.
pub const GZIP_TARGET: f64 = 200_000.0;

/// One downloaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileWeight {
    /// File name inside `dist/`.
    pub name: String,
    /// Size on disk (what a server that does not compress sends; the relay compresses, see the
    /// time-to-interactive rows for what Chromium received from it).
    pub raw: usize,
    /// Size after gzip at level 9 (what a compressing static host sends).
    pub gzip: usize,
}

/// The page's files in `dist`: html, wasm, js, css and json (the preset catalog).
pub fn page_files(dist: &Path) -> Result<Vec<FileWeight>> {
    let mut files = Vec::new();
    let entries = std::fs::read_dir(dist).doing(|| format!("listing {}", dist.display()))?;
    for entry in entries {
        let path = entry
            .doing(|| format!("listing {}", dist.display()))?
            .path();
        let downloaded = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "html" | "wasm" | "js" | "css" | "json"));
        if !path.is_file() || !downloaded {
            continue;
        }
        let raw = std::fs::metadata(&path)
            .doing(|| format!("reading {}", path.display()))?
            .len() as usize;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        files.push(FileWeight {
            name,
            raw,
            gzip: gzip9(&path)?,
        });
    }
    if !files.iter().any(|f| f.name.ends_with(".wasm")) {
        return Err(BenchError::Setup(format!(
            "{} holds no .wasm file: build the page first (`cargo xtask build-app`)",
            dist.display()
        )));
    }
    files.sort_by_key(|f| std::cmp::Reverse(f.raw));
    Ok(files)
}

/// The size of `path` after `gzip -9 -n` (GNU gzip, part of every Debian system; `-n` leaves out
/// the file name and time, as a web server's compression does).
pub fn gzip9(path: &Path) -> Result<usize> {
    let output = Command::new("gzip")
        .args(["-9", "-n", "-c"])
        .arg(path)
        .output()
        .doing(|| format!("running gzip -9 on {}", path.display()))?;
    if !output.status.success() {
        return Err(BenchError::Setup(format!(
            "gzip -9 {} failed: {}",
            path.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(output.stdout.len())
}

/// What to measure the weight of.
#[derive(Debug, Clone)]
pub struct WeightInputs {
    /// The wizard's `dist/`.
    pub app_dist: PathBuf,
    /// The baseline counter's `dist/`.
    pub baseline_dist: PathBuf,
    /// cargo's wasm output for the app (before wasm-bindgen and wasm-opt), for the breakdown.
    pub app_wasm: Option<PathBuf>,
    /// A folder for intermediate files.
    pub work: PathBuf,
}

/// Measures the download weight. Returns the table rows and detail lines.
pub fn measure(inputs: &WeightInputs) -> Result<(Vec<Row>, Vec<String>)> {
    let app = page_files(&inputs.app_dist)?;
    let baseline = page_files(&inputs.baseline_dist)?;
    let total = |files: &[FileWeight], gz: bool| {
        files
            .iter()
            .map(|f| if gz { f.gzip } else { f.raw })
            .sum::<usize>() as f64
    };
    let rows = vec![
        Row::new("app download, gzip -9", Unit::Bytes, total(&app, true))
            .baseline("bare counter", total(&baseline, true))
            .goal("≤ 200 KB", Goal::ValueAtMost(GZIP_TARGET)),
        Row::new(
            "app download, raw (the files in dist/)",
            Unit::Bytes,
            total(&app, false),
        )
        .baseline("bare counter", total(&baseline, false)),
    ];
    let mut details: Vec<String> = app
        .iter()
        .map(|f| {
            format!(
                "weight: {:<40} raw {:>9} B, gzip -9 {:>8} B",
                f.name, f.raw, f.gzip
            )
        })
        .collect();
    match &inputs.app_wasm {
        Some(wasm) => match crate_breakdown(wasm, &inputs.work) {
            Ok(lines) => details.extend(lines),
            Err(err) => details.push(format!("weight by crate: not available: {err}")),
        },
        None => details.push("weight by crate: not measured (no --app-wasm given)".to_owned()),
    }
    Ok((rows, details))
}

/// Shallow bytes per crate in the app's wasm, largest first, as detail lines.
fn crate_breakdown(cargo_wasm: &Path, work: &Path) -> Result<Vec<String>> {
    if !cargo_wasm.is_file() {
        return Err(BenchError::Setup(format!(
            "{} does not exist",
            cargo_wasm.display()
        )));
    }
    let out_dir = work.join("wasm-bindgen");
    let output = Command::new("wasm-bindgen")
        .args(["--target", "web", "--no-typescript", "--out-dir"])
        .arg(&out_dir)
        .arg(cargo_wasm)
        .output()
        .doing(|| {
            "running wasm-bindgen (is it on PATH? `cargo xtask setup` installs it)".to_owned()
        })?;
    if !output.status.success() {
        return Err(BenchError::Setup(format!(
            "wasm-bindgen failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let stem = cargo_wasm
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let bound = out_dir.join(format!("{stem}_bg.wasm"));
    let output = Command::new("twiggy")
        .args(["top", "-n", "1000000", "--format", "json"])
        .arg(&bound)
        .output()
        .doing(|| "running twiggy (install it with `cargo install twiggy --locked`)".to_owned())?;
    if !output.status.success() {
        return Err(BenchError::Setup(format!(
            "twiggy failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let items: Vec<TwiggyItem> = serde_json::from_slice(&output.stdout)
        .map_err(|err| BenchError::Setup(format!("cannot read twiggy's JSON: {err}")))?;
    let by_crate = shares_by_crate(&items);
    let total: u64 = by_crate.iter().map(|(_, bytes)| bytes).sum();
    let mut lines = vec![format!(
        "weight by crate (twiggy top, shallow bytes of the wasm before wasm-opt, {total} B without the name section):"
    )];
    for (name, bytes) in by_crate.iter().take(12) {
        lines.push(format!(
            "  {name:<28} {bytes:>8} B  {:>5.1}%",
            *bytes as f64 * 100.0 / total.max(1) as f64
        ));
    }
    Ok(lines)
}

/// One row of `twiggy top --format json`.
#[derive(Debug, Clone, serde::Deserialize)]
struct TwiggyItem {
    name: String,
    shallow_size: u64,
}

/// Bytes per crate, largest first. The name section is left out (wasm-opt strips it from what
/// users download).
fn shares_by_crate(items: &[TwiggyItem]) -> Vec<(String, u64)> {
    let mut by_crate: BTreeMap<String, u64> = BTreeMap::new();
    for item in items {
        if item.name.contains("names\" subsection") {
            continue;
        }
        *by_crate.entry(crate_of(&item.name)).or_default() += item.shallow_size;
    }
    let mut sorted: Vec<(String, u64)> = by_crate.into_iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    sorted
}

/// The crate a wasm item belongs to, from its demangled name: the first `path::` segment
/// (`<alloc::vec::Vec<T> as Drop>::drop` → `alloc`). Items without a path are data, tables,
/// sections or wasm-bindgen's generated glue.
pub fn crate_of(name: &str) -> String {
    if name.starts_with("data segment") {
        return "(data segments)".to_owned();
    }
    let bytes = name.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = (bytes[i].is_ascii_alphabetic() || bytes[i] == b'_')
            && (i == 0 || !is_ident(bytes[i - 1]));
        if !starts_word {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_ident(bytes[i]) {
            i += 1;
        }
        let ident = &name[start..i];
        // rustc's disambiguator, e.g. `dlmalloc[e24a27700634d609]::`.
        if bytes.get(i) == Some(&b'[')
            && let Some(close) = name[i..].find(']')
        {
            i += close + 1;
        }
        if name[i..].starts_with("::") {
            return ident.to_owned();
        }
    }
    if name.starts_with("__wbg") || name.starts_with("__wbindgen") || name.starts_with("import ") {
        "(wasm-bindgen glue and imports)".to_owned()
    } else {
        "(tables, types and other sections)".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_their_crate() {
        assert_eq!(crate_of("tachys::view::Render::build::h1234"), "tachys");
        assert_eq!(
            crate_of(
                "<dlmalloc[e24a27700634d609]::dlmalloc::Dlmalloc<dlmalloc[e2]::sys::System>>::malloc"
            ),
            "dlmalloc"
        );
        assert_eq!(crate_of("<&T as core::fmt::Debug>::fmt::h00"), "core");
        assert_eq!(crate_of("alloc::sync::Arc<T,A>::drop_slow::h6d"), "alloc");
        assert_eq!(crate_of("data segment \".rodata\""), "(data segments)");
        assert_eq!(
            crate_of("__wbindgen_malloc"),
            "(wasm-bindgen glue and imports)"
        );
        assert_eq!(crate_of("table[0]"), "(tables, types and other sections)");
    }

    #[test]
    fn breakdown_sums_by_crate_without_the_name_section() {
        let items = [
            TwiggyItem {
                name: "\"function names\" subsection".to_owned(),
                shallow_size: 1000,
            },
            TwiggyItem {
                name: "leptos::mount::h1".to_owned(),
                shallow_size: 10,
            },
            TwiggyItem {
                name: "leptos::view::h2".to_owned(),
                shallow_size: 15,
            },
            TwiggyItem {
                name: "serde_json::de::h3".to_owned(),
                shallow_size: 20,
            },
        ];
        assert_eq!(
            shares_by_crate(&items),
            vec![("leptos".to_owned(), 25), ("serde_json".to_owned(), 20)]
        );
    }

    #[test]
    fn page_files_counts_what_the_page_downloads() {
        let dir = std::env::temp_dir().join(format!("bench-weight-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("index.html"), "<html></html>").expect("write");
        std::fs::write(dir.join("app_bg.wasm"), vec![0u8; 5000]).expect("write");
        std::fs::write(dir.join("app.js"), "x".repeat(300)).expect("write");
        std::fs::write(dir.join("notes.txt"), "not downloaded").expect("write");
        let files = page_files(&dir).expect("files");
        std::fs::remove_dir_all(&dir).expect("clean up");
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["app_bg.wasm", "app.js", "index.html"]);
        assert_eq!(files[0].raw, 5000);
        assert!(
            files[0].gzip < 100,
            "zeros compress well: {}",
            files[0].gzip
        );
    }

    #[test]
    fn a_dist_without_wasm_is_an_error_that_says_what_to_do() {
        let dir = std::env::temp_dir().join(format!("bench-weight-empty-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let err = page_files(&dir).expect_err("no wasm");
        std::fs::remove_dir_all(&dir).expect("clean up");
        assert!(err.to_string().contains("build-app"), "{err}");
    }
}
