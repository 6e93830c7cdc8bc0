//! The image's HEALTHCHECK drives a container's healthcheck, as docker and
//! podman 220-healthcheck run it: the builder writes config.Healthcheck
//! (nanoseconds, as BuildKit does: testdata/differential/
//! healthcheck_none_and_shell compares it), `run` uses it unless
//! `--no-healthcheck`, and each `--health-*` flag overrides its field.
//! Needs root.

mod support;

use std::time::{Duration, Instant};

use serde_json::Value;
use support::containers::Lab;

fn build(lab: &Lab, tag: &str, dockerfile: &str) {
    let ctx = lab.dir.join(tag.replace(':', "_"));
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(ctx.join("Dockerfile"), dockerfile).unwrap();
    lab.ok(&["build", "-q", "-t", tag, ctx.to_str().unwrap()]);
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn health(lab: &Lab, name: &str) -> Value {
    lab.inspect(name)["State"]["Health"].clone()
}

const IMAGE: &str = "FROM bb:1\n\
     HEALTHCHECK --interval=200ms --timeout=2s --start-period=0s --retries=2 CMD test -f /tmp/ok\n";

/// podman 220-healthcheck "podman healthcheck", with the check from the
/// image: failing until the file exists, then healthy.
#[test]
fn the_images_healthcheck_runs_with_its_interval_and_retries() {
    require_root!();
    let lab = Lab::new("image_health_runs");
    build(&lab, "hc:1", IMAGE);
    let stored = lab.inspect("hc:1")["Config"]["Healthcheck"].clone();
    assert_eq!(
        stored,
        serde_json::json!({
            "Test": ["CMD-SHELL", "test -f /tmp/ok"],
            "Interval": 200_000_000,
            "Timeout": 2_000_000_000,
            "Retries": 2,
        }),
        "BuildKit's form: nanoseconds, zero fields left out"
    );
    lab.ok(&["run", "-d", "--name", "h", "hc:1", "sleep", "100"]);
    let cfg = lab.inspect("h")["Config"]["Healthcheck"].clone();
    assert_eq!(
        cfg["Test"],
        serde_json::json!(["/bin/sh", "-c", "test -f /tmp/ok"]),
        "CMD-SHELL runs in the image's shell"
    );
    assert_eq!(cfg["IntervalMs"], 200);
    assert_eq!(cfg["TimeoutMs"], 2000);
    assert_eq!(cfg["Retries"], 2);
    wait_for("unhealthy", || health(&lab, "h")["Status"] == "unhealthy");
    assert!(health(&lab, "h")["FailingStreak"].as_u64().unwrap() >= 2);
    lab.ok(&["exec", "h", "touch", "/tmp/ok"]);
    wait_for("healthy", || health(&lab, "h")["Status"] == "healthy");
    lab.ok(&["rm", "-f", "h"]);
}

/// docker's merge: --no-healthcheck drops the image's check; --health-cmd
/// replaces its test and keeps its timings; --health-interval replaces
/// only the interval; unset fields take docker's defaults.
#[test]
fn flags_override_the_images_healthcheck_field_by_field() {
    require_root!();
    let lab = Lab::new("image_health_flags");
    build(&lab, "hc:1", IMAGE);
    lab.ok(&[
        "create",
        "--name",
        "off",
        "--no-healthcheck",
        "hc:1",
        "sleep",
        "100",
    ]);
    assert!(lab.inspect("off")["Config"]["Healthcheck"].is_null());

    lab.ok(&[
        "create",
        "--name",
        "cmd",
        "--health-cmd",
        "true",
        "hc:1",
        "sleep",
        "1",
    ]);
    let cfg = lab.inspect("cmd")["Config"]["Healthcheck"].clone();
    assert_eq!(cfg["Test"], serde_json::json!(["/bin/sh", "-c", "true"]));
    assert_eq!(cfg["IntervalMs"], 200, "the image's interval stays");
    assert_eq!(cfg["Retries"], 2);

    lab.ok(&[
        "create",
        "--name",
        "iv",
        "--health-interval",
        "5s",
        "--health-retries",
        "7",
        "hc:1",
        "sleep",
        "1",
    ]);
    let cfg = lab.inspect("iv")["Config"]["Healthcheck"].clone();
    assert_eq!(
        cfg["Test"],
        serde_json::json!(["/bin/sh", "-c", "test -f /tmp/ok"])
    );
    assert_eq!(cfg["IntervalMs"], 5000);
    assert_eq!(cfg["Retries"], 7);
    assert_eq!(cfg["TimeoutMs"], 2000, "the image's timeout stays");

    build(&lab, "bare:1", "FROM bb:1\nHEALTHCHECK CMD [\"true\"]\n");
    lab.ok(&["create", "--name", "defaults", "bare:1", "sleep", "1"]);
    let cfg = lab.inspect("defaults")["Config"]["Healthcheck"].clone();
    assert_eq!(
        cfg["Test"],
        serde_json::json!(["true"]),
        "CMD is exec'd as it is"
    );
    assert_eq!(cfg["IntervalMs"], 30_000);
    assert_eq!(cfg["TimeoutMs"], 30_000);
    assert_eq!(cfg["Retries"], 3);
    assert_eq!(cfg["StartPeriodMs"], 0);
}

/// HEALTHCHECK NONE in a child image turns off an inherited check; an
/// image without one gives none.
#[test]
fn healthcheck_none_disables_the_inherited_check() {
    require_root!();
    let lab = Lab::new("image_health_none");
    build(&lab, "hc:1", IMAGE);
    build(&lab, "child:1", "FROM hc:1\nHEALTHCHECK NONE\n");
    lab.ok(&["create", "--name", "child", "child:1", "true"]);
    assert!(lab.inspect("child")["Config"]["Healthcheck"].is_null());
    lab.ok(&["create", "--name", "plain", "bb:1", "true"]);
    assert!(lab.inspect("plain")["Config"]["Healthcheck"].is_null());
    // A flag still gives the child a check.
    lab.ok(&[
        "create",
        "--name",
        "again",
        "--health-cmd",
        "true",
        "child:1",
        "true",
    ]);
    assert!(!lab.inspect("again")["Config"]["Healthcheck"].is_null());
}

/// docker commit keeps the image's HEALTHCHECK (and its other docker
/// fields): a container of the committed image gets the same check.
#[test]
fn a_committed_image_keeps_its_healthcheck() {
    require_root!();
    let lab = Lab::new("image_health_commit");
    build(&lab, "hc:1", IMAGE);
    lab.ok(&[
        "run",
        "--name",
        "c",
        "--no-healthcheck",
        "hc:1",
        "touch",
        "/made",
    ]);
    lab.ok(&["commit", "-c", "CMD [\"sleep\", \"100\"]", "c", "hc:2"]);
    lab.ok(&["create", "--name", "d", "hc:2"]);
    let cfg = lab.inspect("d")["Config"]["Healthcheck"].clone();
    assert_eq!(
        cfg["Test"],
        serde_json::json!(["/bin/sh", "-c", "test -f /tmp/ok"])
    );
    assert_eq!(cfg["IntervalMs"], 200);
    assert_eq!(cfg["Retries"], 2);
    assert_eq!(
        lab.inspect("d")["Config"]["Cmd"],
        serde_json::json!(["sleep", "100"])
    );
}
