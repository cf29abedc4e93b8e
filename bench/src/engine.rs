//! Engine render time: runs the criterion bench `engine/benches/render.rs` and reads the medians
//! criterion writes (`<CRITERION_HOME>/render/<function>/new/estimates.json`). The baseline is the
//! same request written by hand in that bench. `--smoke` runs each bench function once
//! (`cargo test --bench render`), which proves it still works but yields no figure.

use std::path::Path;
use std::process::Command;

use crate::report::{Row, Status, Unit};
use crate::{BenchError, IoContext, Plan, Result};

/// The criterion group and functions of `engine/benches/render.rs`.
const GROUP: &str = "render";
const ENGINE: &str = "token_request_google";
const HANDWRITTEN: &str = "handwritten_google";
const ALL_PRESETS: &str = "token_request_all_presets";

/// Runs the bench with `cargo` in the workspace `root`. Returns the table rows and detail lines.
pub fn measure(
    cargo: &Path,
    root: &Path,
    work: &Path,
    plan: &Plan,
) -> Result<(Vec<Row>, Vec<String>)> {
    let home = work.join("criterion");
    let mut command = Command::new(cargo);
    // `cargo test` runs a criterion bench once per function, unoptimised: enough for a smoke run
    // and already compiled by `cargo xtask test`.
    let subcommand = if plan.smoke { "test" } else { "bench" };
    command
        .current_dir(root)
        .args([
            subcommand,
            "--quiet",
            "--package",
            "engine",
            "--bench",
            "render",
        ])
        .env("CRITERION_HOME", &home);
    if !plan.smoke {
        command.args([
            "--",
            "--noplot",
            "--warm-up-time",
            "2",
            "--measurement-time",
            "6",
        ]);
    }
    let what = format!("`cargo {subcommand} -p engine --bench render`");
    let status = command.status().doing(|| format!("running {what}"))?;
    if !status.success() {
        return Err(BenchError::Setup(format!("{what} failed ({status})")));
    }
    if plan.smoke {
        let row = Row::unmeasured(
            "engine: token request from a preset",
            Unit::Nanos,
            "—",
            Status::Skipped("smoke run: each bench ran once, no timing".to_owned()),
        );
        return Ok((vec![row], Vec::new()));
    }
    let engine = median_ns(&home, ENGINE)?;
    let handwritten = median_ns(&home, HANDWRITTEN)?;
    let all = median_ns(&home, ALL_PRESETS)?;
    let rows = vec![
        Row::new("engine: token request from a preset", Unit::Nanos, engine)
            .baseline("hand-written", handwritten),
    ];
    let details = vec![format!(
        "engine: every bundled preset's token request, once each: {:.1} µs (criterion median)",
        all / 1000.0
    )];
    Ok((rows, details))
}

/// Criterion's median estimate for `function`, in nanoseconds.
fn median_ns(home: &Path, function: &str) -> Result<f64> {
    let path = home
        .join(GROUP)
        .join(function)
        .join("new")
        .join("estimates.json");
    let text = std::fs::read_to_string(&path)
        .doing(|| format!("reading criterion's {}", path.display()))?;
    median_from_estimates(&text).ok_or_else(|| {
        BenchError::Measurement(format!("{} has no median.point_estimate", path.display()))
    })
}

/// `median.point_estimate` of a criterion `estimates.json`.
fn median_from_estimates(json: &str) -> Option<f64> {
    let value: serde_json::Value = serde_json::from_str(json).ok()?;
    value.get("median")?.get("point_estimate")?.as_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_median_point_estimate() {
        let json = r#"{"mean":{"point_estimate":812.5,"standard_error":2.0},"median":{"point_estimate":790.25,"standard_error":1.5}}"#;
        assert_eq!(median_from_estimates(json), Some(790.25));
        assert_eq!(
            median_from_estimates(r#"{"mean":{"point_estimate":1.0}}"#),
            None
        );
        assert_eq!(median_from_estimates("not json"), None);
    }
}
