//! Resource use of a running container for `stats`: from its own cgroups
//! when it has them (cgroup v1 memory, cpuacct and pids, made for a run
//! with limits), else summed over its processes from /proc, which is what
//! an unprivileged user without cgroup delegation has.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::container::Container;
use crate::error::ContainerError;

const CGROUP_ROOT: &str = "/sys/fs/cgroup";

#[derive(Debug, Clone, Serialize)]
pub struct Usage {
    /// CPU time used so far, in nanoseconds.
    pub cpu_ns: u64,
    pub memory_bytes: u64,
    /// The memory limit, or the host's memory without one.
    pub memory_limit_bytes: u64,
    pub pids: u64,
    /// Where the numbers come from: "cgroup" or "processes".
    pub source: &'static str,
}

/// The container's usage now.
pub fn usage(c: &Container) -> Result<Usage, ContainerError> {
    let pids = crate::processes(c)?;
    let state = c.refresh()?;
    let outer = state.init.as_ref().map_or(0, |i| i.pid);
    let monitor = state.monitor.as_ref().map_or(0, |m| m.pid);
    let host_memory = meminfo_total().unwrap_or(0);
    // The run's own cgroup: the outer init's, where the monitor's differs.
    let own = |controller: &str| {
        let ours = cgroup_of(outer, controller)?;
        (cgroup_of(monitor, controller).as_ref() != Some(&ours))
            .then(|| PathBuf::from(CGROUP_ROOT).join(controller).join(ours))
    };
    if let Some(mem) = own("memory") {
        let read = |dir: &PathBuf, file: &str| read_u64(&dir.join(file));
        let limit = read(&mem, "memory.limit_in_bytes").unwrap_or(u64::MAX);
        let cpu_ns = own("cpuacct")
            .and_then(|d| read(&d, "cpuacct.usage"))
            .unwrap_or_else(|| process_cpu_ns(&pids));
        return Ok(Usage {
            cpu_ns,
            memory_bytes: read(&mem, "memory.usage_in_bytes").unwrap_or(0),
            memory_limit_bytes: limit.min(host_memory.max(1)),
            pids: own("pids")
                .and_then(|d| read(&d, "pids.current"))
                .unwrap_or(pids.len() as u64),
            source: "cgroup",
        });
    }
    Ok(Usage {
        cpu_ns: process_cpu_ns(&pids),
        memory_bytes: pids.iter().filter_map(|p| rss_bytes(*p)).sum(),
        memory_limit_bytes: host_memory,
        pids: pids.len() as u64,
        source: "processes",
    })
}

/// CPU use as a percentage of one CPU over `interval` (two samples).
pub fn cpu_percent(c: &Container, interval: Duration) -> Result<(Usage, f64), ContainerError> {
    let first = usage(c)?;
    std::thread::sleep(interval);
    let second = usage(c)?;
    let used = second.cpu_ns.saturating_sub(first.cpu_ns) as f64;
    let percent = 100.0 * used / interval.as_nanos().max(1) as f64;
    Ok((second, percent))
}

/// The path of `pid`'s cgroup in the v1 hierarchy of `controller`.
fn cgroup_of(pid: u32, controller: &str) -> Option<String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    text.lines().find_map(|line| {
        let mut parts = line.splitn(3, ':');
        let (_, names, path) = (parts.next()?, parts.next()?, parts.next()?);
        names
            .split(',')
            .any(|n| n == controller)
            .then(|| path.trim_start_matches('/').to_owned())
    })
}

fn read_u64(path: &std::path::Path) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

fn meminfo_total() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kb: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// utime + stime of the processes, in nanoseconds.
fn process_cpu_ns(pids: &[u32]) -> u64 {
    let tick = rustix::param::clock_ticks_per_second().max(1);
    let ticks: u64 = pids
        .iter()
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let (_, rest) = stat.rsplit_once(')')?;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            // utime and stime are fields 14 and 15; `rest` starts at field 3.
            let utime: u64 = fields.get(11)?.parse().ok()?;
            let stime: u64 = fields.get(12)?.parse().ok()?;
            Some(utime + stime)
        })
        .sum();
    ticks * (1_000_000_000 / tick)
}

fn rss_bytes(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}
