//! `strata stats [--no-stream] [--format json] [CONTAINER...]`: CPU (over
//! a half-second sample), memory and pids of running containers, from the
//! container's own cgroups when it has them (a run with limits, as root),
//! else summed over its processes (`Source` says which; an unprivileged
//! user has no cgroups without delegation).

use miette::{IntoDiagnostic, Result};
use strata_containers::{Container, Status};
use strata_store::Store;

use super::{open, report};
use crate::cli::{ListFormat, StatsArgs};

const SAMPLE: std::time::Duration = std::time::Duration::from_millis(500);

pub fn stats(store: &Store, args: &StatsArgs) -> Result<i32> {
    let containers = open(store)?;
    let chosen: Vec<Container> = if args.containers.is_empty() {
        containers
            .list()
            .map_err(report)?
            .into_iter()
            .filter(|c| {
                c.refresh()
                    .is_ok_and(|s| matches!(s.status, Status::Running | Status::Paused))
            })
            .collect()
    } else {
        args.containers
            .iter()
            .map(|n| containers.find(n).map_err(report))
            .collect::<Result<_>>()?
    };
    loop {
        let rows = chosen
            .iter()
            .map(|c| {
                strata_containers::cpu_percent(c, SAMPLE)
                    .map(|(u, cpu)| (c, u, cpu))
                    .map_err(report)
            })
            .collect::<Result<Vec<_>>>()?;
        match args.format {
            ListFormat::Json => {
                let out: Vec<_> = rows
                    .iter()
                    .map(|(c, u, cpu)| {
                        serde_json::json!({
                            "ID": c.config.short_id(),
                            "Name": c.config.name,
                            "CPUPerc": format!("{cpu:.2}%"),
                            "CPUNanos": u.cpu_ns,
                            "MemUsage": format!("{} / {}", bytes(u.memory_bytes), bytes(u.memory_limit_bytes)),
                            "MemUsageBytes": u.memory_bytes,
                            "MemLimitBytes": u.memory_limit_bytes,
                            "MemPerc": format!("{:.2}%", percent(u.memory_bytes, u.memory_limit_bytes)),
                            "PIDs": u.pids,
                            "Source": u.source,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&out).into_diagnostic()?);
            }
            ListFormat::Table => {
                if !args.no_stream {
                    // Clear the screen, as docker's live view does.
                    print!("\x1b[2J\x1b[H");
                }
                println!(
                    "{:<14} {:<20} {:>8} {:>22} {:>8} {:>5} SOURCE",
                    "CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "PIDS"
                );
                for (c, u, cpu) in &rows {
                    println!(
                        "{:<14} {:<20} {:>7.2}% {:>22} {:>7.2}% {:>5} {}",
                        c.config.short_id(),
                        c.config.name,
                        cpu,
                        format!(
                            "{} / {}",
                            bytes(u.memory_bytes),
                            bytes(u.memory_limit_bytes)
                        ),
                        percent(u.memory_bytes, u.memory_limit_bytes),
                        u.pids,
                        u.source
                    );
                }
                if rows.iter().any(|(_, u, _)| u.source == "processes") {
                    eprintln!(
                        "note: containers without their own cgroup (no limits set, or an unprivileged user without cgroup delegation) are measured by summing their processes' /proc entries"
                    );
                }
            }
        }
        if args.no_stream {
            return Ok(0);
        }
    }
}

fn percent(part: u64, whole: u64) -> f64 {
    100.0 * part as f64 / whole.max(1) as f64
}

/// docker's units: B, KiB, MiB, GiB.
fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n}B")
    } else {
        format!("{v:.2}{}", UNITS[unit])
    }
}
