//! A step's snapshot is committed without waiting for the disk; one sync at
//! the end of the build marks them all durable. A snapshot a crash may have
//! cut short (written in another boot, never marked) is not trusted: its
//! step runs again. Marked ones survive a reboot.

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use support::cli::ok;
use support::env::Env;
use support::events::fs_steps_run;

const DOCKERFILE: &str = "FROM busybox\nRUN echo one > /one\nRUN echo two > /two\n";

/// The snapshot dirs of the steps that ran, in step order.
fn step_snapshots(env: &Env, events: &[serde_json::Value]) -> Vec<PathBuf> {
    events
        .iter()
        .filter(|e| e["event"] == "step_done" && e["cached"] == false && !e["key"].is_null())
        .map(|e| {
            let key = e["key"].as_str().expect("a key");
            let hex = key.strip_prefix("sha256:").unwrap_or(key);
            env.store.join("snapshots").join(format!("step-{hex}"))
        })
        .collect()
}

/// What a power cut after the step (and before its build's sync) leaves.
fn pretend_written_in_another_boot(snapshot: &Path, keep_mark: bool) {
    let meta_path = snapshot.join("meta.json");
    let mut meta: serde_json::Value =
        serde_json::from_slice(&fs::read(&meta_path).expect("meta.json")).expect("JSON");
    assert!(
        meta["written_in_boot"].is_string(),
        "a step's snapshot names the boot it was written in: {meta}"
    );
    meta["written_in_boot"] = "a-boot-before-a-crash".into();
    fs::write(&meta_path, meta.to_string()).expect("rewrite meta.json");
    if !keep_mark {
        fs::remove_file(snapshot.join("durable")).expect("remove the mark");
    }
}

/// A store, the context, and the image id and step snapshots of its first build.
fn first_build() -> (Env, PathBuf, String, Vec<PathBuf>) {
    let env = Env::new();
    let ctx = env.path("ctx");
    fs::create_dir_all(&ctx).unwrap();
    fs::write(ctx.join("Dockerfile"), DOCKERFILE).unwrap();
    let (id, events) = env.build_json(&ctx, &[]);
    let snapshots = step_snapshots(&env, &events);
    assert_eq!(snapshots.len(), 2, "{events:?}");
    (env, ctx, id, snapshots)
}

#[test]
fn every_step_of_a_finished_build_is_marked_durable_and_survives_a_reboot() {
    let (env, ctx, first, snapshots) = first_build();
    for s in &snapshots {
        assert!(s.join("durable").is_file(), "{} is marked", s.display());
        pretend_written_in_another_boot(s, true);
    }
    let (again, events) = env.build_json(&ctx, &[]);
    assert_eq!(again, first);
    assert!(fs_steps_run(&events).is_empty(), "{events:?}");
}

#[test]
fn a_step_never_synced_before_a_crash_runs_again() {
    let (env, ctx, _, snapshots) = first_build();
    pretend_written_in_another_boot(&snapshots[1], false);

    let (_, events) = env.build_json(&ctx, &["-t", "dur:1"]);
    assert_eq!(
        fs_steps_run(&events).len(),
        1,
        "only the unsynced step runs again: {events:?}"
    );
    assert!(snapshots[1].join("durable").is_file());
    ok(env.strata().args(["system", "fsck"]));
    let (rootfs, _) = env.unpack("dur:1", "after");
    assert_eq!(fs::read_to_string(rootfs.join("two")).unwrap(), "two\n");
}
