//! Automation for the workspace: `cargo xtask run`, `cargo xtask test`, `cargo xtask bench`.
//!
//! Each command first makes the machine ready (`setup`): it installs exactly the tool versions the
//! build needs when they are missing, so a fresh clone goes to a running app or a green test run
//! with one command. Only std is used so this crate builds in seconds.

mod bench;
mod compress;
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
            eprintln!(
                "xtask: ready (PATH additions: {})",
                tools.path_prefix.display()
            );
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
    setup::redis_server()?;
    setup::nginx()?;
    build_app(&tools)?;
    // Every crate's unit and integration tests (the app's pure logic runs natively too), the
    // browser scenarios against dist/, and the criterion benches once in test mode.
    let mut tests = cargo(&root);
    tests
        .args(["test", "--workspace", "--all-targets"])
        .env("E2E_DIST", root.join("dist"))
        .env("PATH", &tools.path);
    let counts = run_counting_tests(&mut tests)?;
    // Each benchmark once on tiny inputs, so they cannot rot.
    let smoke = bench::Options {
        smoke: true,
        build_app: false,
        runner_args: Vec::new(),
    };
    bench::run(&root, &tools, &smoke)?;
    // One closing line for the whole run: the last `test result:` of cargo is often a crate's
    // empty doc-test run, which reads as if nothing was tested.
    println!("tests: {} passed, {} failed", counts.passed, counts.failed);
    Ok(())
}

/// Test totals summed over every `test result:` line cargo's test binaries print.
#[derive(Debug, Default, PartialEq, Eq)]
struct TestCounts {
    passed: u64,
    failed: u64,
}

impl TestCounts {
    /// Adds the counts of a libtest summary line (`test result: ok. 12 passed; 0 failed; …`).
    fn add_summary_line(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            return;
        };
        for part in rest.split(['.', ';']) {
            let mut words = part.split_whitespace();
            match (
                words.next().and_then(|n| n.parse::<u64>().ok()),
                words.next(),
            ) {
                (Some(n), Some("passed")) => self.passed += n,
                (Some(n), Some("failed")) => self.failed += n,
                _ => {}
            }
        }
    }
}

/// Run `cargo test`, passing its output through while summing the test counts.
fn run_counting_tests(command: &mut Command) -> Result<TestCounts> {
    use std::io::{BufRead, BufReader, Write};
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start the tests: {e}"))?;
    let mut counts = TestCounts::default();
    let stdout = child
        .stdout
        .take()
        .ok_or("the tests' output could not be read")?;
    let mut out = std::io::stdout().lock();
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| format!("reading the tests' output: {e}"))?;
        counts.add_summary_line(&line);
        let _ = writeln!(out, "{line}");
    }
    drop(out);
    let exit = child
        .wait()
        .map_err(|e| format!("waiting for the tests: {e}"))?;
    if exit.success() {
        Ok(counts)
    } else {
        println!(
            "tests: {} passed, {} failed",
            counts.passed,
            counts.failed.max(1)
        );
        Err(format!("the tests failed ({exit})"))
    }
}

/// Build the wizard into `dist/` with trunk, release profile, offline (a version mismatch fails fast),
/// then write the compressed copies the relay serves.
fn build_app(tools: &setup::Tools) -> Result<()> {
    let root = root();
    eprintln!(
        "xtask: building the app into {}",
        root.join("dist").display()
    );
    let mut trunk = Command::new("trunk");
    trunk
        .current_dir(&root)
        .args(["build", "--release", "--offline"])
        .env("PATH", &tools.path)
        // trunk reads these when set by an outer `trunk serve`; a clean build must not inherit them.
        .env_remove("TRUNK_SERVE_PORT");
    status(&mut trunk, "trunk build")?;
    let count = compress::precompress(&root.join("dist"))?;
    eprintln!("xtask: wrote .br and .gz copies of {count} files in dist/");
    Ok(())
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
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::TestCounts;

    #[test]
    fn sums_libtest_summary_lines_and_ignores_the_rest() {
        let mut counts = TestCounts::default();
        for line in [
            "test result: ok. 12 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.02s",
            "test result: FAILED. 3 passed; 2 failed; 1 ignored; 0 measured; 0 filtered out",
            "test parse::works ... ok",
            "running 12 tests",
        ] {
            counts.add_summary_line(line);
        }
        assert_eq!(
            counts,
            TestCounts {
                passed: 15,
                failed: 2
            }
        );
    }
}
