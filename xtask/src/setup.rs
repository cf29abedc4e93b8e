//! Installing exactly the tools the build needs, when they are missing.
//!
//! The traps this avoids (see DEVELOPERS.md): trunk 0.22 needs a newer rustc than this machine has;
//! trunk uses a system `wasm-bindgen` only if it equals Cargo.lock's version (otherwise it tries to
//! download one, which fails offline); Debian's `wasm-opt` (binaryen 108) silently corrupts current
//! rustc output, so binaryen 132 from npm goes first on PATH.

use crate::{Result, output, status};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// trunk 0.22 needs rustc 1.96.1; 0.21.14 builds on 1.95.
const TRUNK_VERSION: &str = "0.21.14";
/// The binaryen release pinned in Trunk.toml (`wasm_opt = "version_132"`).
const BINARYEN_VERSION: &str = "132";
/// The axe-core minor release the browser suite checks WCAG 2.2 AA with (`e2e::axe`).
const AXE_CORE_VERSION: &str = "4.14";

/// What later steps need to find the tools.
pub struct Tools {
    /// The folder put in front of PATH (binaryen's wasm-opt).
    pub path_prefix: PathBuf,
    /// The full PATH to run trunk and the tests with.
    pub path: OsString,
}

/// Install the wasm target, trunk, wasm-bindgen-cli and binaryen when missing or of the wrong version.
pub fn tools(root: &Path) -> Result<Tools> {
    wasm_target()?;
    trunk()?;
    wasm_bindgen(root)?;
    let path_prefix = binaryen(root)?;
    axe_core(root)?;
    let mut paths = vec![path_prefix.clone()];
    if let Some(home) = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
    {
        paths.push(home.join("bin"));
    }
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let path = std::env::join_paths(paths).map_err(|e| format!("cannot build PATH: {e}"))?;
    Ok(Tools { path_prefix, path })
}

fn wasm_target() -> Result<()> {
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"]))
        .ok_or("rustup is needed to add the wasm32-unknown-unknown target")?;
    if installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        return Ok(());
    }
    eprintln!("xtask: adding the wasm32-unknown-unknown target");
    status(
        Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]),
        "rustup target add",
    )
}

fn trunk() -> Result<()> {
    let want = format!("trunk {TRUNK_VERSION}");
    if output(Command::new("trunk").arg("--version")).is_some_and(|v| v.trim() == want) {
        return Ok(());
    }
    eprintln!("xtask: installing trunk {TRUNK_VERSION} (a few minutes, once)");
    cargo_install(&["--locked", &format!("trunk@{TRUNK_VERSION}")])
}

fn wasm_bindgen(root: &Path) -> Result<()> {
    let version = lock_version(root, "wasm-bindgen")?;
    let trunk_toml = std::fs::read_to_string(root.join("Trunk.toml"))
        .map_err(|e| format!("cannot read Trunk.toml: {e}"))?;
    if !trunk_toml.contains(&format!("wasm_bindgen = \"{version}\"")) {
        return Err(format!(
            "Cargo.lock has wasm-bindgen {version} but Trunk.toml's [tools] wasm_bindgen differs: make them equal"
        ));
    }
    let want = format!("wasm-bindgen {version}");
    if output(Command::new("wasm-bindgen").arg("--version")).is_some_and(|v| v.trim() == want) {
        return Ok(());
    }
    eprintln!("xtask: installing wasm-bindgen-cli {version} (a few minutes, once)");
    // Not --locked: the 0.2.130 package's lock names a crate version the registry no longer has.
    cargo_install(&[&format!("wasm-bindgen-cli@{version}")])
}

/// binaryen from npm into target/tools, returning the folder holding its `wasm-opt`.
fn binaryen(root: &Path) -> Result<PathBuf> {
    let prefix = root.join("target/tools/binaryen");
    let bin = prefix.join("node_modules/.bin");
    let want = format!("version {BINARYEN_VERSION}");
    if output(Command::new(bin.join("wasm-opt")).arg("--version"))
        .is_some_and(|v| v.contains(&want))
    {
        return Ok(bin);
    }
    npm_install(&prefix, &format!("binaryen@{BINARYEN_VERSION}"))?;
    Ok(bin)
}

/// axe-core from npm into target/tools, for the browser suite's accessibility check.
fn axe_core(root: &Path) -> Result<()> {
    let prefix = root.join("target/tools/axe-core");
    let package = prefix.join("node_modules/axe-core/package.json");
    let installed = std::fs::read_to_string(&package).unwrap_or_default();
    if installed.contains(&format!("\"version\": \"{AXE_CORE_VERSION}.")) {
        return Ok(());
    }
    npm_install(&prefix, &format!("axe-core@{AXE_CORE_VERSION}"))
}

/// `npm install PACKAGE` into `prefix` (no package.json of ours is touched).
fn npm_install(prefix: &Path, package: &str) -> Result<()> {
    eprintln!("xtask: installing {package} from npm");
    std::fs::create_dir_all(prefix)
        .map_err(|e| format!("cannot create {}: {e}", prefix.display()))?;
    status(
        Command::new("npm")
            .args([
                "install",
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--prefix",
            ])
            .arg(prefix)
            .arg(package),
        &format!("npm install {package} (is Node.js with npm installed?)"),
    )
}

/// A Python virtual environment with `requests` in target/tools/python, for the otw benchmark's
/// hand-written baseline; returns its interpreter.
pub fn python_requests(root: &Path) -> Result<PathBuf> {
    let prefix = root.join("target/tools/python");
    let python = prefix.join("bin/python");
    if output(Command::new(&python).args(["-c", "import requests"])).is_some() {
        return Ok(python);
    }
    eprintln!(
        "xtask: installing Python's requests from PyPI into {}",
        prefix.display()
    );
    status(
        Command::new("python3").args(["-m", "venv"]).arg(&prefix),
        "python3 -m venv (Debian: apt-get install python3-venv)",
    )?;
    status(
        Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "requests>=2.32,<3",
        ]),
        "pip install requests",
    )?;
    Ok(python)
}

/// Debian's redis-server for the otw and relay fleet tests (they start their own on a free
/// loopback port).
pub fn redis_server() -> Result<()> {
    if Path::new("/usr/bin/redis-server").exists() {
        return Ok(());
    }
    apt_install(
        &["redis-server"],
        "the otw and relay fleet tests need redis-server",
    )
}

/// Debian's nginx: the relay fleet's load balancer in the browser suite, and the proxy bench's.
pub fn nginx() -> Result<()> {
    if Path::new("/usr/sbin/nginx").exists() {
        return Ok(());
    }
    apt_install(
        &["nginx"],
        "the relay fleet scenario and the proxy bench need nginx",
    )
}

/// The cors-anywhere version the proxy benchmark compares the relay with.
const CORS_ANYWHERE_VERSION: &str = "0.4.4";

/// cors-anywhere from npm into target/tools (the proxy benchmark's baseline), returning the
/// folder whose `node_modules` holds it.
pub fn cors_anywhere(root: &Path) -> Result<PathBuf> {
    let prefix = root.join("target/tools/cors-anywhere");
    let installed = std::fs::read_to_string(prefix.join("node_modules/cors-anywhere/package.json"))
        .is_ok_and(|json| json.contains(&format!("\"version\": \"{CORS_ANYWHERE_VERSION}\"")));
    if installed {
        return Ok(prefix);
    }
    npm_install(&prefix, &format!("cors-anywhere@{CORS_ANYWHERE_VERSION}"))?;
    Ok(prefix)
}

/// Debian's Chromium and ChromeDriver for the browser tests.
pub fn browser() -> Result<()> {
    let present = |p: &str| Path::new(p).exists();
    if present("/usr/bin/chromium") && present("/usr/bin/chromedriver") {
        return Ok(());
    }
    apt_install(
        &["chromium", "chromium-driver"],
        "the browser tests need chromium and chromium-driver",
    )
}

/// `apt-get install` (through sudo unless root), after an update.
fn apt_install(packages: &[&str], why: &str) -> Result<()> {
    eprintln!("xtask: installing Debian's {}", packages.join(" and "));
    let root_user = output(Command::new("id").arg("-u")).is_some_and(|id| id.trim() == "0");
    let apt = |args: &[&str]| {
        let mut command = if root_user {
            Command::new("apt-get")
        } else {
            Command::new("sudo")
        };
        if !root_user {
            command.arg("apt-get");
        }
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        status(&mut command, &format!("apt-get ({why})"))
    };
    apt(&["update", "-q"])?;
    let mut install = vec!["install", "-y", "-q"];
    install.extend_from_slice(packages);
    apt(&install)
}

fn cargo_install(args: &[&str]) -> Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    status(
        Command::new(cargo).arg("install").args(args),
        "cargo install",
    )
}

/// The version of `package` recorded in Cargo.lock.
fn lock_version(root: &Path, package: &str) -> Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("name = \"{package}\"")
            && let Some(version) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = "))
        {
            return Ok(version.trim_matches('"').to_owned());
        }
    }
    Err(format!("Cargo.lock names no `{package}`"))
}
