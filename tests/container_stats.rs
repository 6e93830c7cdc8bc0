//! `stats --no-stream`: CPU, memory and pids of running containers, from
//! the container's own cgroups (a run with limits, as root) or summed over
//! its processes; as docker's `stats --no-stream` (podman's lifecycle
//! tests have no stats case). Needs root.

mod support;

use serde_json::Value;
use support::containers::Lab;

fn stats(lab: &Lab, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["stats", "--no-stream", "--format", "json"];
    all.extend_from_slice(args);
    serde_json::from_str(&lab.ok(&all)).unwrap()
}

#[test]
fn stats_reports_cpu_memory_and_pids_from_the_containers_cgroup_or_its_processes() {
    require_root!();
    let lab = Lab::new("stats_no_stream");
    lab.ok(&[
        "run",
        "-d",
        "--name",
        "busy",
        "bb:1",
        "sh",
        "-c",
        "while :; do :; done",
    ]);
    lab.ok(&[
        "run",
        "-d",
        "--name",
        "limited",
        "--memory",
        "64m",
        "--pids-limit",
        "50",
        "bb:1",
        "sh",
        "-c",
        "sleep 300 & sleep 301",
    ]);
    lab.ok(&["create", "--name", "idle", "bb:1", "true"]);

    let rows = stats(&lab, &[]);
    let names: Vec<&str> = rows.iter().map(|r| r["Name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 2, "running containers only: {rows:?}");
    assert!(names.contains(&"busy") && names.contains(&"limited"));

    let busy = &stats(&lab, &["busy"])[0];
    assert_eq!(
        busy["Source"], "processes",
        "no limits: no cgroup of its own"
    );
    let cpu: f64 = busy["CPUPerc"]
        .as_str()
        .unwrap()
        .trim_end_matches('%')
        .parse()
        .unwrap();
    assert!(cpu > 5.0, "a busy loop uses CPU: {busy}");
    assert!(busy["MemUsageBytes"].as_u64().unwrap() > 0, "{busy}");

    let limited = &stats(&lab, &["limited"])[0];
    assert_eq!(limited["Source"], "cgroup", "{limited}");
    assert_eq!(limited["MemLimitBytes"], 64 << 20, "{limited}");
    let used = limited["MemUsageBytes"].as_u64().unwrap();
    assert!(used > 0 && used < 64 << 20, "{limited}");
    // The two sleeps, their shell and the sandbox's init(s).
    let pids = limited["PIDs"].as_u64().unwrap();
    assert!((3..=5).contains(&pids), "{limited}");

    let table = lab.ok(&["stats", "--no-stream", "busy"]);
    assert!(table.starts_with("CONTAINER ID"), "{table}");
    assert!(table.contains("busy"), "{table}");
    let err = lab.fails(1, &["stats", "--no-stream", "idle"]);
    assert!(err.contains("not running"), "{err}");
    lab.ok(&["rm", "-f", "busy", "limited", "idle"]);
}
