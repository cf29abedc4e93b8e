//! `cargo xtask bench [--smoke]`: build what the benchmarks measure, then run the `bench` binary
//! (bench/), which measures and prints the table. This module only builds and calls.
//!
//! The full run measures release builds; `--smoke` runs every measurement once on tiny inputs
//! with debug builds of the relay and the runner (what `cargo xtask test` already compiled), so
//! it stays fast and only proves the benchmarks still work.

use crate::setup::{self, Tools};
use crate::{Result, build_app, cargo, output, root, status};
use std::path::{Path, PathBuf};
use std::process::Command;

/// How to run the benchmarks.
pub struct Options {
    /// Each measurement once on tiny inputs.
    pub smoke: bool,
    /// Build the app first (off when the caller just built it).
    pub build_app: bool,
    /// Arguments passed on to the runner (`--only …`, `--markdown FILE`).
    pub runner_args: Vec<String>,
}

/// `cargo xtask bench [--smoke] [--only LIST] [--markdown FILE]`.
pub fn command(args: &[String]) -> Result<()> {
    let mut options = Options {
        smoke: false,
        build_app: true,
        runner_args: Vec::new(),
    };
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--smoke" => options.smoke = true,
            "--only" => {
                let value = rest
                    .next()
                    .ok_or("--only needs a list, e.g. `--only proxy,memory`")?;
                options.runner_args.extend([arg.clone(), value.clone()]);
            }
            "--markdown" => {
                let value = rest.next().ok_or("--markdown needs a file name")?;
                // The runner works in the workspace root; keep the path the user meant.
                let path = std::env::current_dir()
                    .map_or_else(|_| PathBuf::from(value), |cwd| cwd.join(value));
                options
                    .runner_args
                    .extend([arg.clone(), path.display().to_string()]);
            }
            other => {
                return Err(format!(
                    "unknown option `{other}` for bench\n\n{}",
                    crate::USAGE
                ));
            }
        }
    }
    let root = root();
    let tools = setup::tools(&root)?;
    run(&root, &tools, &options)
}

/// Builds the app (unless told not to), the baseline page, the relay and the runner, then runs it.
pub fn run(root: &Path, tools: &Tools, options: &Options) -> Result<()> {
    setup::browser()?;
    setup::redis_server()?;
    let python = setup::python_requests(root)?;
    if options.build_app {
        build_app(tools)?;
    }
    let target = target_dir(root);
    let baseline_dist = target.join("bench/baseline-dist");
    eprintln!(
        "xtask: building the baseline counter page into {}",
        baseline_dist.display()
    );
    let mut trunk = Command::new("trunk");
    trunk
        .current_dir(root.join("bench/baseline-counter"))
        .args(["build", "--release", "--offline", "--dist"])
        .arg(&baseline_dist)
        .env("PATH", &tools.path)
        .env_remove("TRUNK_SERVE_PORT");
    status(&mut trunk, "trunk build (baseline counter)")?;
    // Served by the relay like the app, with the same precompressed copies.
    crate::compress::precompress(&baseline_dist)?;

    let profile = if options.smoke { "debug" } else { "release" };
    eprintln!("xtask: building the relay, otw and the benchmark runner ({profile})");
    let mut build = cargo(root);
    build.args([
        "build",
        "--quiet",
        "--package",
        "relay",
        "--package",
        "cli",
        "--package",
        "bench",
    ]);
    if !options.smoke {
        build.arg("--release");
        twiggy()?;
    }
    status(&mut build, "cargo build (relay, otw, bench)")?;
    let cors_anywhere = setup::cors_anywhere(root)?;

    let command_line = if options.smoke {
        "cargo xtask bench --smoke"
    } else {
        "cargo xtask bench"
    };
    let mut runner = Command::new(target.join(profile).join("bench"));
    runner
        .current_dir(root)
        .arg("--root")
        .arg(root)
        .arg("--dist")
        .arg(root.join("dist"))
        .arg("--baseline-dist")
        .arg(&baseline_dist)
        .arg("--relay")
        .arg(target.join(profile).join("relay"))
        .arg("--otw")
        .arg(target.join(profile).join("otw"))
        .arg("--python")
        .arg(&python)
        .arg("--app-wasm")
        .arg(target.join("wasm32-unknown-unknown/wasm-release/app.wasm"))
        .arg("--cors-anywhere")
        .arg(&cors_anywhere)
        .args(["--command", command_line])
        .args(&options.runner_args)
        .env("PATH", &tools.path)
        .env(
            "CARGO",
            std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()),
        );
    if options.smoke {
        runner.arg("--smoke");
    }
    status(&mut runner, "the benchmarks")
}

/// twiggy (the wasm size profiler) for the weight-by-crate breakdown; 0.8 builds on rustc 1.95.
fn twiggy() -> Result<()> {
    if output(Command::new("twiggy").arg("--version")).is_some() {
        return Ok(());
    }
    eprintln!("xtask: installing twiggy (a few minutes, once)");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    status(
        Command::new(cargo).args(["install", "--locked", "twiggy"]),
        "cargo install twiggy",
    )
}

/// Where cargo (and trunk's cargo) put build output; cargo reads a relative CARGO_TARGET_DIR
/// from the current folder.
fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from) {
        Some(dir) if dir.is_relative() => {
            std::env::current_dir().map_or(dir.clone(), |cwd| cwd.join(&dir))
        }
        Some(dir) => dir,
        None => root.join("target"),
    }
}
