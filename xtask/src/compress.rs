//! Brotli and gzip copies of the built app's files, written beside each one (`app.wasm.br`,
//! `app.wasm.gz`): the relay's `ServeDir` sends them to browsers that accept them, so nothing is
//! compressed while serving.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::Result;

/// Files smaller than this are sent as they are (compression saves less than its headers).
const MIN_SIZE: u64 = 512;

/// Writes `.br` and `.gz` beside every file in `dist` (recursively); returns how many files.
pub fn precompress(dist: &Path) -> Result<usize> {
    let mut count = 0;
    for file in files(dist)? {
        let bytes = fs::read(&file).map_err(|e| format!("reading {}: {e}", file.display()))?;
        write_beside(&file, "br", &brotli_bytes(&bytes)?)?;
        write_beside(&file, "gz", &gzip_bytes(&bytes)?)?;
        count += 1;
    }
    Ok(count)
}

/// The files worth compressing: not already compressed copies, not tiny.
fn files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let entries = fs::read_dir(dir).map_err(|e| format!("listing {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("listing {}: {e}", dir.display()))?;
        let path = entry.path();
        let meta = entry
            .metadata()
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        if meta.is_dir() {
            found.extend(files(&path)?);
        } else if meta.len() >= MIN_SIZE
            && !matches!(path.extension().and_then(|e| e.to_str()), Some("br" | "gz"))
        {
            found.push(path);
        }
    }
    Ok(found)
}

fn write_beside(file: &Path, extension: &str, bytes: &[u8]) -> Result<()> {
    let mut name = file.as_os_str().to_owned();
    name.push(".");
    name.push(extension);
    let target = PathBuf::from(name);
    fs::write(&target, bytes).map_err(|e| format!("writing {}: {e}", target.display()))
}

fn brotli_bytes(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)
        .map_err(|e| format!("brotli: {e}"))?;
    Ok(out)
}

fn gzip_bytes(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(bytes)
        .and_then(|()| encoder.finish())
        .map_err(|e| format!("gzip: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn copies_read_back_as_the_original_and_small_or_compressed_files_are_skipped() {
        let dir = std::env::temp_dir().join(format!("xtask-precompress-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("snippets")).unwrap();
        let bundle = "export function step(n) { return n + 1; }\n".repeat(100);
        fs::write(dir.join("snippets/app.js"), &bundle).unwrap();
        fs::write(dir.join("tiny.css"), "a{}").unwrap();
        assert_eq!(precompress(&dir).unwrap(), 1);
        // A second run does not compress the copies again.
        assert_eq!(precompress(&dir).unwrap(), 1);

        let gz = fs::read(dir.join("snippets/app.js.gz")).unwrap();
        let mut text = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, bundle);
        let br = fs::read(dir.join("snippets/app.js.br")).unwrap();
        let mut text = String::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, bundle);
        assert!(br.len() < bundle.len() / 4 && gz.len() < bundle.len() / 4);
        assert!(!dir.join("tiny.css.gz").exists());
        fs::remove_dir_all(&dir).unwrap();
    }
}
