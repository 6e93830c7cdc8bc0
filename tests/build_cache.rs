//! The step cache through the binary: edits miss exactly the dependent
//! steps, SOURCE_DATE_EPOCH makes digests reproducible across stores, a
//! failed RUN keeps the steps before it, --no-cache runs everything.

mod build_support;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use build_support::{Env, fs_steps_cached, fs_steps_run, ok};

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(p, text).unwrap();
}

/// (stage name, step number) of the steps that ran.
fn ran(events: &[serde_json::Value]) -> BTreeSet<(u64, u64)> {
    fs_steps_run(events).into_iter().collect()
}

#[test]
fn changing_one_context_file_misses_exactly_the_steps_that_depend_on_it() {
    let env = Env::new();
    let ctx = env.path("ctx");
    write(&ctx, "a.txt", "a1");
    write(&ctx, "b.txt", "b1");
    write(
        &ctx,
        "Dockerfile",
        "FROM busybox AS left\n\
         COPY b.txt /b.txt\n\
         RUN cat /b.txt > /b-seen\n\
         FROM busybox AS right\n\
         RUN echo before > /before\n\
         COPY a.txt /a.txt\n\
         RUN cat /a.txt > /a-seen\n\
         FROM busybox\n\
         COPY --from=left /b-seen /b\n\
         COPY --from=right /a-seen /a\n",
    );
    let (first, events) = env.build_json(&ctx, &[]);
    assert_eq!(
        ran(&events).len(),
        7,
        "every filesystem step runs the first time"
    );
    let (same, events) = env.build_json(&ctx, &[]);
    assert_eq!(same, first);
    assert!(ran(&events).is_empty());

    write(&ctx, "a.txt", "a2");
    let (changed, events) = env.build_json(&ctx, &[]);
    assert_ne!(changed, first);
    // Stage 1 (right): its COPY a.txt and the RUN after it; final stage:
    // the COPY of /a-seen (its content changed) and nothing else.
    assert_eq!(
        ran(&events),
        BTreeSet::from([(1, 1), (1, 2), (2, 1)]),
        "events: {events:#?}"
    );
    let cached: BTreeSet<(u64, u64)> = fs_steps_cached(&events).into_iter().collect();
    assert_eq!(cached, BTreeSet::from([(0, 0), (0, 1), (1, 0), (2, 0)]));

    // Touching a file without changing it costs nothing.
    let (id, events) = env.build_json(&ctx, &[]);
    assert_eq!(id, changed);
    assert!(ran(&events).is_empty());
    filetime::set_file_mtime(ctx.join("b.txt"), filetime::FileTime::from_unix_time(1, 0)).unwrap();
    let (id, events) = env.build_json(&ctx, &[]);
    assert_eq!(id, changed, "same content, same image");
    assert!(ran(&events).is_empty());
}

#[test]
fn source_date_epoch_gives_the_same_manifest_digest_in_two_stores() {
    let env = Env::new();
    // A second store with the same base image (imported from the same
    // rootfs with the same epoch).
    let other = env.path("store2");
    ok(build_support::strata(&other)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(["import", "--compression", "gzip"])
        .arg(env.path("rootfs"))
        .arg("busybox:latest"));
    let ctx = env.path("ctx");
    write(&ctx, "file.txt", "same content\n");
    write(
        &ctx,
        "Dockerfile",
        "FROM busybox\nCOPY file.txt /f\nRUN echo built > /built && mkdir -p /var/x && touch /var/x/y\nWORKDIR /new/dir\nENV A=b\n",
    );
    let ids: Vec<String> = [env.store.clone(), other]
        .iter()
        .map(|store| {
            // The builds happen at different times: nothing newer than the
            // epoch may leak into the image.
            std::thread::sleep(std::time::Duration::from_millis(1100));
            let out = ok(build_support::strata(store)
                .env("SOURCE_DATE_EPOCH", "1700000000")
                .args(["build", "-q"])
                .arg(&ctx));
            out.trim().to_string()
        })
        .collect();
    assert!(ids[0].starts_with("sha256:"), "{ids:?}");
    assert_eq!(ids[0], ids[1]);
}

#[test]
fn a_failed_run_names_the_step_and_keeps_the_steps_before_it() {
    let env = Env::new();
    let ctx = env.path("ctx");
    write(
        &ctx,
        "Dockerfile",
        "FROM busybox\nRUN echo ok > /ok\nRUN echo to-stdout; echo to-stderr >&2; exit 7\n",
    );
    let out = env.build(&ctx, &["--progress", "plain"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    for want in [
        "step 2/2",
        "line 3",
        "exit 7",
        "exit code 7",
        "to-stdout",
        "to-stderr",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
    write(
        &ctx,
        "Dockerfile",
        "FROM busybox\nRUN echo ok > /ok\nRUN echo fixed > /fixed\n",
    );
    let (_, events) = env.build_json(&ctx, &[]);
    assert_eq!(
        fs_steps_cached(&events),
        vec![(0, 0)],
        "the first RUN was kept"
    );
    assert_eq!(fs_steps_run(&events), vec![(0, 1)]);
}

#[test]
fn no_cache_runs_every_step_and_quiet_prints_only_the_id() {
    let env = Env::new();
    let ctx = env.path("ctx");
    write(
        &ctx,
        "Dockerfile",
        "FROM busybox\nRUN echo one > /one\nRUN echo two > /two\n",
    );
    env.build_json(&ctx, &[]);
    let (_, events) = env.build_json(&ctx, &["--no-cache"]);
    assert_eq!(fs_steps_run(&events).len(), 2);
    let out = ok(env
        .strata()
        .args(["build", "--progress", "quiet"])
        .arg(&ctx));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1, "{out}");
    assert!(
        lines[0].starts_with("sha256:") && lines[0].len() == 71,
        "{out}"
    );
}

#[test]
fn independent_stages_run_at_the_same_time() {
    let env = Env::new();
    let ctx = env.path("ctx");
    write(
        &ctx,
        "Dockerfile",
        "FROM busybox AS a\nRUN sleep 1 && echo a > /a\n\
         FROM busybox AS b\nRUN sleep 1 && echo b > /b\n\
         FROM busybox\nCOPY --from=a /a /a\nCOPY --from=b /b /b\n",
    );
    let (_, events) = env.build_json(&ctx, &[]);
    let pos = |kind: &str, stage: u64| {
        events
            .iter()
            .position(|e| e["event"] == kind && e["stage"] == stage)
            .unwrap_or_else(|| panic!("no {kind} for stage {stage}"))
    };
    assert!(
        pos("stage_start", 1) < pos("stage_done", 0),
        "stage b started before a finished"
    );
    assert!(
        pos("stage_start", 0) < pos("stage_done", 1),
        "stage a started before b finished"
    );
    assert!(
        pos("stage_done", 0) < pos("stage_start", 2)
            && pos("stage_done", 1) < pos("stage_start", 2)
    );
}

#[test]
fn explain_cache_names_the_changed_file_input_and_build_arg() {
    let env = Env::new();
    let ctx = env.path("ctx");
    write(&ctx, "a.txt", "1");
    write(
        &ctx,
        "Dockerfile",
        "FROM busybox\nARG LEVEL=1\nCOPY a.txt /a\nRUN echo $LEVEL > /level\n",
    );
    env.build_json(&ctx, &[]);
    write(&ctx, "a.txt", "2");
    let (_, events) = env.build_json(&ctx, &["--explain-cache"]);
    let reasons: Vec<String> = events
        .iter()
        .filter(|e| e["event"] == "step_explain")
        .map(|e| e["reason"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(reasons[0].contains("sources"), "{reasons:?}");
    assert!(reasons[1].contains("parent"), "{reasons:?}");
    let (_, events) = env.build_json(&ctx, &["--explain-cache", "--build-arg", "LEVEL=2"]);
    let reasons: Vec<String> = events
        .iter()
        .filter(|e| e["event"] == "step_explain")
        .map(|e| e["reason"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("env LEVEL")),
        "{reasons:?}"
    );
}

#[test]
fn outputs_and_iidfile_write_the_image_out() {
    let env = Env::new();
    let ctx = env.path("ctx");
    write(&ctx, "Dockerfile", "FROM busybox\nRUN echo out > /out\n");
    let oci = env.path("out-oci");
    let archive = env.path("out.tar");
    let iid = env.path("iid");
    ok(env
        .strata()
        .args(["build", "-q", "-t", "exported:1"])
        .arg("--output")
        .arg(format!("type=oci,dest={}", oci.display()))
        .arg("--output")
        .arg(format!("type=docker-archive,dest={}", archive.display()))
        .arg("--iidfile")
        .arg(&iid)
        .arg(&ctx));
    let id = fs::read_to_string(&iid).unwrap();
    assert!(id.starts_with("sha256:"));
    let rootfs = env.path("unpacked");
    ok(std::process::Command::new("umoci")
        .args(["raw", "unpack", "--image"])
        .arg(format!("{}:1", oci.display()))
        .arg(&rootfs));
    assert_eq!(fs::read_to_string(rootfs.join("out")).unwrap(), "out\n");
    let inspected = ok(std::process::Command::new("skopeo")
        .arg("inspect")
        .arg(format!("docker-archive:{}", archive.display())));
    assert!(inspected.contains("\"Layers\""), "{inspected}");
}

#[test]
fn concurrent_builds_of_one_dockerfile_run_each_step_once() {
    let env = Env::new();
    let ctx = env.path("ctx");
    write(
        &ctx,
        "Dockerfile",
        "FROM busybox\nRUN sleep 1 && echo slow > /slow\nRUN echo after > /after\n",
    );
    let spawn = || {
        env.strata()
            .args(["build", "--progress", "json"])
            .arg(&ctx)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn build")
    };
    let builds = [spawn(), spawn(), spawn()];
    let mut ran = 0;
    let mut ids = BTreeSet::new();
    for b in builds {
        let out = b.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let events: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        ran += fs_steps_run(&events).len();
        ids.extend(
            events
                .iter()
                .filter(|e| e["event"] == "image_written")
                .map(|e| e["manifest"].as_str().unwrap_or_default().to_string()),
        );
    }
    assert_eq!(ran, 2, "each of the two RUN steps ran in exactly one build");
    assert_eq!(
        ids.len(),
        1,
        "all three builds made the same image: {ids:?}"
    );
}
