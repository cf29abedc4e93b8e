//! Automation for the workspace: `cargo xtask run`, `cargo xtask test`, `cargo xtask bench`.
//!
//! Each command first makes the machine ready (`setup`): it installs exactly the tool versions the
//! build needs when they are missing, so a fresh clone goes to a running app or a green test run
//! with one command. Only std is used so this crate builds in seconds.

mod bench;
mod setup;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  run [--port N] [-- RELAY-ARGS…]   install what is missing, build the app, start the relay serving it (prints the URL)
  test                            install what is missing, build the app, run every test (unit, integration, browser)
  setup [--browser]               only install what is missing (tools; with --browser also Chromium)
  build-app                       only build the app into dist/ (release)
  bench [--smoke] [--only LIST]   build and run the benchmarks, print one table (see BENCHMARKS.md)
";

/// An error that ends the command, already worded for the user.
pub type Result<T> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("test") => test(),
        Some("setup") => setup::tools(&root()).and_then(|tools| {
            if args.iter().any(|a| a == "--browser") {
                setup::browser()?;
            }
            eprintln!("xtask: ready (PATH additions: {})", tools.path_prefix.display());
            Ok(())
        }),
        Some("build-app") => setup::tools(&root()).and_then(|tools| build_app(&tools)),
        Some("bench") => bench::command(&args[1..]),
        Some("-h" | "--help" | "help") | None => {
            print!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the folder holding this crate).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// `cargo xtask run`: build the app and serve it from a relay on loopback.
fn run(args: &[String]) -> Result<()> {
    let root = root();
    let tools = setup::tools(&root)?;
    build_app(&tools)?;
    let (mut port, mut relay_args) = ("8787".to_owned(), Vec::new());
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--port" => port = rest.next().ok_or("--port needs a number")?.clone(),
            "--" => relay_args.extend(rest.by_ref().cloned()),
            other => return Err(format!("unknown option `{other}` for run\n\n{USAGE}")),
        }
    }
    eprintln!("xtask: starting the relay (Ctrl-C stops it)");
    let mut relay = cargo(&root);
    relay
        .args(["run", "--quiet", "--package", "relay", "--"])
        .arg("--dist")
        .arg(root.join("dist"))
        .args(["--port", &port])
        .args(&relay_args);
    status(&mut relay, "the relay")
}

/// `cargo xtask test`: every test the project has, in one go.
fn test() -> Result<()> {
    let root = root();
    let tools = setup::tools(&root)?;
    setup::browser()?;
    build_app(&tools)?;
    // Every crate's unit and integration tests (the app's pure logic runs natively too), the
    // browser scenarios against dist/, and the criterion benches once in test mode.
    let mut tests = cargo(&root);
    tests
        .args(["test", "--workspace", "--all-targets"])
        .env("E2E_DIST", root.join("dist"))
        .env("PATH", &tools.path);
    status(&mut tests, "the tests")?;
    // Each benchmark once on tiny inputs, so they cannot rot.
    let smoke = bench::Options { smoke: true, build_app: false, runner_args: Vec::new() };
    bench::run(&root, &tools, &smoke)
}

/// Build the wizard into `dist/` with trunk, release profile, offline (a version mismatch fails fast).
fn build_app(tools: &setup::Tools) -> Result<()> {
    let root = root();
    eprintln!("xtask: building the app into {}", root.join("dist").display());
    let mut trunk = Command::new("trunk");
    trunk
        .current_dir(&root)
        .args(["build", "--release", "--offline"])
        .env("PATH", &tools.path)
        // trunk reads these when set by an outer `trunk serve`; a clean build must not inherit them.
        .env_remove("TRUNK_SERVE_PORT");
    status(&mut trunk, "trunk build")
}

/// A `cargo` command in the workspace root, using the cargo that runs this xtask.
fn cargo(root: &Path) -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(root);
    command
}

/// Run a command to its end; a failure names what failed.
pub fn status(command: &mut Command, what: &str) -> Result<()> {
    match command.status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("{what} failed ({status})")),
        Err(error) => Err(format!("could not start {what}: {error}")),
    }
}

/// Run a command and return its standard output, or `None` if it cannot run or fails.
pub fn output(command: &mut Command) -> Option<String> {
    let out = command.output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}
