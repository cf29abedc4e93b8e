//! The benchmark runner. `cargo xtask bench [--smoke]` builds everything it measures and calls
//! it; run it directly only with the paths xtask passes (see `--help`).

use std::path::PathBuf;
use std::process::ExitCode;

use bench::otw::OtwInputs;
use bench::report::{Row, Status, Unit, markdown_table, text_table};
use bench::weight::WeightInputs;
use bench::{Plan, Result, engine, fleet, flood, memory, otw, proxy, redirect, tti, weight};
use clap::Parser;

/// Measure the wizard and the relay next to what users would pick instead, and print one table.
#[derive(Debug, Parser)]
#[command(name = "bench")]
struct Args {
    /// Run each measurement once on tiny inputs (to prove they still work; figures are rough).
    #[arg(long)]
    smoke: bool,
    /// Only these measurements (comma-separated): weight, tti, proxy, flood, memory, redirect,
    /// engine, otw, fleet.
    #[arg(long, value_delimiter = ',')]
    only: Vec<Section>,
    /// The workspace root (for `cargo bench -p engine`).
    #[arg(long)]
    root: PathBuf,
    /// The wizard's built `dist/`.
    #[arg(long)]
    dist: PathBuf,
    /// The baseline counter's built `dist/`.
    #[arg(long)]
    baseline_dist: PathBuf,
    /// The relay binary (release build).
    #[arg(long)]
    relay: PathBuf,
    /// The `otw` binary (the command-line token keeper).
    #[arg(long)]
    otw: PathBuf,
    /// A Python interpreter with `requests` (the hand-written baseline of the otw rows).
    #[arg(long)]
    python: PathBuf,
    /// cors-anywhere's npm prefix (its `node_modules`), the proxy baseline.
    #[arg(long)]
    cors_anywhere: Option<PathBuf>,
    /// cargo's wasm output for the app before wasm-bindgen (for the weight by crate).
    #[arg(long)]
    app_wasm: Option<PathBuf>,
    /// Folder for logs, configurations and profiles (default: a new folder under the temp dir).
    #[arg(long)]
    work: Option<PathBuf>,
    /// Also write the table and details as Markdown to this file.
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// The command line to print as "how this was run".
    #[arg(long, default_value = "cargo xtask bench")]
    command: String,
}

/// One measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Section {
    Weight,
    Tti,
    Proxy,
    Flood,
    Memory,
    Redirect,
    Engine,
    Otw,
    Fleet,
}

const ALL: [Section; 9] = [
    Section::Weight,
    Section::Tti,
    Section::Proxy,
    Section::Flood,
    Section::Memory,
    Section::Redirect,
    Section::Engine,
    Section::Otw,
    Section::Fleet,
];

impl Section {
    fn name(self) -> &'static str {
        match self {
            Section::Weight => "app weight",
            Section::Tti => "time to interactive",
            Section::Proxy => "relay proxy",
            Section::Flood => "relay under a connection flood",
            Section::Memory => "relay memory",
            Section::Redirect => "redirect to wizard",
            Section::Engine => "engine render",
            Section::Otw => "otw token keeper",
            Section::Fleet => "relay fleet on Redis",
        }
    }

    /// The unit of the row that stands for the section when it cannot be measured.
    fn unit(self) -> Unit {
        match self {
            Section::Weight => Unit::Bytes,
            Section::Tti | Section::Redirect | Section::Flood | Section::Otw | Section::Fleet => {
                Unit::Millis
            }
            Section::Proxy => Unit::PerSecond,
            Section::Memory => Unit::MemoryBytes,
            Section::Engine => Unit::Nanos,
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let plan = if args.smoke {
        Plan::smoke()
    } else {
        Plan::full()
    };
    let work = args.work.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("oauth-wizard-bench-{}", std::process::id()))
    });
    if let Err(err) = std::fs::create_dir_all(&work) {
        eprintln!("bench: cannot create {}: {err}", work.display());
        return ExitCode::FAILURE;
    }
    let sections: Vec<Section> = if args.only.is_empty() {
        ALL.to_vec()
    } else {
        args.only.clone()
    };

    let mut rows: Vec<Row> = Vec::new();
    let mut details: Vec<String> = Vec::new();
    let mut broken = false;
    for section in sections {
        eprintln!("bench: measuring {}…", section.name());
        match run_section(section, &args, &plan, &work).await {
            Ok((section_rows, section_details)) => {
                // Smoke figures come from debug builds and tiny inputs: they prove the
                // measurement runs, not where the targets stand.
                rows.extend(
                    section_rows
                        .into_iter()
                        .map(|row| if plan.smoke { row.unchecked() } else { row }),
                );
                details.extend(section_details);
            }
            Err(err) => {
                broken = true;
                eprintln!("bench: {} could not be measured: {err}", section.name());
                rows.push(Row::unmeasured(
                    section.name(),
                    section.unit(),
                    "—",
                    Status::Failed(err.to_string()),
                ));
            }
        }
    }
    broken |= rows
        .iter()
        .any(|row| matches!(row.status(), Status::Failed(_)));

    let heading = heading(&args, &plan);
    println!("\n{}\n", heading.join("\n"));
    print!("{}", text_table(&rows));
    println!();
    for line in &details {
        println!("{line}");
    }
    if let Some(path) = &args.markdown {
        let bullets: String = heading.iter().map(|line| format!("- {line}\n")).collect();
        let text = format!(
            "{bullets}\n{}\n```text\n{}\n```\n",
            markdown_table(&rows),
            details.join("\n")
        );
        if let Err(err) = std::fs::write(path, text) {
            eprintln!("bench: cannot write {}: {err}", path.display());
            broken = true;
        }
    }
    if args.work.is_none() && !broken {
        let _ = std::fs::remove_dir_all(&work);
    } else if broken {
        eprintln!("bench: logs and configurations are in {}", work.display());
    }
    if broken {
        eprintln!("bench: some measurements could not be made (see the FAILED rows)");
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

async fn run_section(
    section: Section,
    args: &Args,
    plan: &Plan,
    work: &std::path::Path,
) -> Result<(Vec<Row>, Vec<String>)> {
    match section {
        Section::Weight => weight::measure(&WeightInputs {
            app_dist: args.dist.clone(),
            baseline_dist: args.baseline_dist.clone(),
            app_wasm: args.app_wasm.clone(),
            work: work.to_path_buf(),
        }),
        Section::Tti => {
            tti::measure(&args.relay, &args.dist, &args.baseline_dist, work, plan).await
        }
        Section::Proxy => {
            proxy::measure(&args.relay, args.cors_anywhere.as_deref(), work, plan).await
        }
        Section::Flood => flood::measure(&args.relay, work, plan).await,
        Section::Memory => memory::measure(&args.relay, work, plan).await,
        Section::Fleet => fleet::measure(&args.relay, work, plan).await,
        Section::Redirect => redirect::measure(&args.relay, &args.dist, work, plan).await,
        Section::Engine => {
            let cargo =
                std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from);
            engine::measure(&cargo, &args.root, work, plan)
        }
        Section::Otw => {
            let inputs = OtwInputs {
                otw: args.otw.clone(),
                python: args.python.clone(),
            };
            otw::measure(&inputs, work, plan).await
        }
    }
}

/// Date, machine and command (one line each), for BENCHMARKS.md.
fn heading(args: &Args, plan: &Plan) -> Vec<String> {
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .and_then(|rest| rest.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_gib = bench::process::vm_field(&meminfo, "MemTotal:")
        .map_or(0.0, |b| b as f64 / (1u64 << 30) as f64);
    let mode = if plan.smoke {
        " (smoke: debug builds, each measurement once, tiny inputs — not figures to quote)"
    } else {
        ""
    };
    vec![
        format!("Date: {}{mode}", bench::report::today()),
        format!("Machine: {cpus} CPUs ({model}), {memory_gib:.1} GiB memory"),
        format!("Command: `{}`", args.command),
    ]
}
