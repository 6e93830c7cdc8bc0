//! Parse + plan of every Dockerfile (or Containerfile) in the given directories, in process, so
//! the figure is the parser's cost without a process start per file.
//!
//!     cargo bench --bench parse_plan -- [--runs N] DIR...
//!
//! Prints JSON: files, failed (files that do not parse or plan), total_ms
//! (sum of the per-file medians) and median_ms (median of them). Reading the
//! files is not timed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use strata_parser::{PlanOptions, parse, plan};

struct Args {
    runs: usize,
    dirs: Vec<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut runs = 5;
    let mut dirs = Vec::new();
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--runs" => {
                let n = it.next().ok_or("--runs wants a number")?;
                runs = n
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or(format!("--runs wants a positive number, not {n:?}"))?;
            }
            // cargo bench passes --bench to every bench target.
            "--bench" => {}
            _ => dirs.push(PathBuf::from(arg)),
        }
    }
    if dirs.is_empty() {
        return Err("usage: parse_plan [--runs N] DIR...".into());
    }
    Ok(Args { runs, dirs })
}

fn files_in(dirs: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for dir in dirs {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
            if path.is_file() && is_dockerfile(&path) {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// The corpus keeps its provenance list beside the Dockerfiles.
fn is_dockerfile(path: &Path) -> bool {
    path.file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .is_some_and(|n| n.contains("dockerfile") || n.contains("containerfile"))
}

/// The median of one file's runs, and whether it parsed and planned.
fn time_file(text: &str, runs: usize) -> (Duration, bool) {
    let opts = PlanOptions::default();
    let mut times = Vec::with_capacity(runs);
    let mut ok = true;
    for _ in 0..runs {
        let start = Instant::now();
        ok = parse(text).ok().is_some_and(|df| plan(&df, &opts).is_ok());
        times.push(start.elapsed());
    }
    (median(&mut times), ok)
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    match times.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => times[n / 2],
        n => (times[n / 2 - 1] + times[n / 2]) / 2,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn run(args: &Args) -> Result<serde_json::Value, String> {
    let files = files_in(&args.dirs)?;
    let mut medians = Vec::with_capacity(files.len());
    let mut failed = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let (t, ok) = time_file(&text, args.runs);
        if !ok {
            failed.push(file.as_path());
        }
        medians.push(t);
    }
    for file in &failed {
        eprintln!("rejected: {}", Path::display(file));
    }
    let total: Duration = medians.iter().sum();
    Ok(serde_json::json!({
        "files": files.len(),
        "failed": failed.len(),
        "total_ms": ms(total),
        "median_ms": ms(median(&mut medians)),
    }))
}

fn main() -> ExitCode {
    match parse_args().and_then(|args| run(&args)) {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("parse_plan: {e}");
            ExitCode::from(2)
        }
    }
}
