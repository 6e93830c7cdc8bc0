//! One store, several builds at once: shared steps are built once, records
//! are never corrupted; a build killed with SIGKILL mid-RUN leaves nothing
//! half-written, no process behind, no lock that blocks the next build.

mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use support::cache::*;
use support::cli::ok;
use support::env::Env;
use support::events::json_lines;

/// Every build starts with these steps; the first one appends a line to a
/// shared cache mount each time it really runs.
const COMMON: &str = "FROM busybox
RUN --mount=type=cache,id=witness,target=/w sleep 1 && echo ran >> /w/runs && echo base > /base
RUN echo shared > /shared
";

#[test]
fn four_concurrent_builds_build_each_shared_step_once() {
    let env = Env::new();
    let tails = [
        "RUN echo a > /a\n",
        "RUN echo b > /b\n",
        // Same as the first: the whole Dockerfile overlaps.
        "RUN echo a > /a\n",
        "RUN --mount=type=cache,id=log,target=/l,sharing=locked echo d >> /l/log && echo d > /d\n",
    ];
    let contexts: Vec<_> = tails
        .iter()
        .enumerate()
        .map(|(i, tail)| {
            context(
                &env,
                &format!("ctx{i}"),
                &[("Dockerfile", &format!("{COMMON}{tail}"))],
            )
        })
        .collect();
    let children: Vec<_> = contexts
        .iter()
        .enumerate()
        .map(|(i, ctx)| spawn_build(&env, ctx, &["-t", &format!("c:{i}")]))
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| wait_for(c, Duration::from_secs(120), "a concurrent build"))
        .collect();

    let mut runs_per_key: BTreeMap<String, usize> = BTreeMap::new();
    let mut fs_steps = 0;
    for out in &outputs {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        for e in json_lines(&out.stdout) {
            if e["event"] == "step_done" && e["key"].is_string() {
                fs_steps += 1;
                if e["cached"] == false {
                    *runs_per_key
                        .entry(e["key"].as_str().unwrap_or_default().to_string())
                        .or_default() += 1;
                }
            }
        }
    }
    assert_eq!(fs_steps, 4 * 3, "every build went through its 3 RUN steps");
    // base, shared, a, b, d: each run by exactly one of the builds.
    assert_eq!(runs_per_key.len(), 5, "{runs_per_key:?}");
    assert!(runs_per_key.values().all(|&n| n == 1), "{runs_per_key:?}");

    // The witness mount saw the shared first step run once.
    let witness = mounts(&env)
        .into_iter()
        .find(|m| {
            m["description"]
                .as_str()
                .is_some_and(|d| d.contains("witness"))
        })
        .expect("the witness cache mount is listed");
    let m: serde_json::Value = serde_json::from_str(&ok(env.strata().args([
        "cache",
        "inspect",
        witness["id"].as_str().unwrap_or_default(),
    ])))
    .expect("inspect prints JSON");
    let runs = std::fs::read_to_string(
        std::path::Path::new(m["dir"].as_str().unwrap_or_default()).join("runs"),
    )
    .expect("the witness file");
    assert_eq!(runs, "ran\n");

    // Every record is whole and readable, and the store checks out.
    let steps = steps(&env);
    assert_eq!(steps.len(), 5, "{steps:#?}");
    assert!(steps.iter().all(|s| s["in_use"] == true));
    fsck_ok(&env);
}

#[test]
fn a_build_killed_mid_run_leaves_a_sound_store_and_its_finished_steps() {
    let env = Env::new();
    let ctx = context(
        &env,
        "ctx",
        &[
            (
                "Dockerfile",
                "FROM busybox
RUN echo one > /one
COPY f.txt /f.txt
ARG PAUSE=37
RUN echo started && sleep $PAUSE && echo late > /late
",
            ),
            ("f.txt", "f\n"),
        ],
    );
    let mut child = spawn_build(&env, &ctx, &["-t", "k:1"]);
    let stdout = child.stdout.take().expect("piped stdout");
    // Wait until the last RUN is running (its first output line).
    let started = Instant::now();
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    loop {
        line.clear();
        let n = reader.read_line(&mut line).expect("read progress");
        assert!(n > 0, "the build ended before its last RUN started");
        if line.contains("\"line\":\"started\"") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "RUN never started"
        );
    }
    child.kill().expect("SIGKILL the build");
    let _ = child.wait();

    // The RUN does not outlive the build (its sandbox dies with it).
    let deadline = Instant::now() + Duration::from_secs(5);
    while !processes_with("sleep 37").is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        processes_with("sleep 37").is_empty(),
        "the RUN survived the build"
    );

    fsck_ok(&env);
    // The two finished steps have whole records; the killed one has none.
    let steps = steps(&env);
    assert_eq!(steps.len(), 2, "{steps:#?}");
    assert_eq!(step_with(&steps, "RUN echo started").len(), 0);

    // The next build is not blocked by a lock and reuses both steps.
    let next = env
        .strata()
        .args([
            "build",
            "--progress",
            "plain",
            "--build-arg",
            "PAUSE=0",
            "-t",
            "k:1",
        ])
        .arg(&ctx)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn the rebuild");
    let out = wait_for(next, Duration::from_secs(60), "the rebuild");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("RUN echo one > /one: CACHED"), "{log}");
    assert!(log.contains("COPY f.txt /f.txt: CACHED"), "{log}");
    assert!(
        !log.contains("RUN echo started && sleep $PAUSE && echo late > /late: CACHED"),
        "{log}"
    );
    fsck_ok(&env);
}

#[test]
fn cache_mount_sharing_modes_hold_between_concurrent_builds() {
    let env = Env::new();
    let dockerfile = |who: &str| {
        format!(
            "FROM busybox
RUN --mount=type=cache,id=pv,target=/p,sharing=private echo {who} >> /p/who && sleep 3
RUN --mount=type=cache,id=lk,target=/l,sharing=locked echo start >> /l/log && sleep 1 && echo end >> /l/log && echo {who} > /{who}
"
        )
    };
    let builds: Vec<_> = ["x", "y"]
        .iter()
        .map(|who| {
            let ctx = context(&env, who, &[("Dockerfile", &dockerfile(who))]);
            spawn_build(&env, &ctx, &[])
        })
        .collect();
    for b in builds {
        let out = wait_for(b, Duration::from_secs(120), "a build");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let dir_of = |m: &serde_json::Value| -> std::path::PathBuf {
        let id = m["id"].as_str().unwrap_or_default();
        let inspected: serde_json::Value =
            serde_json::from_str(&ok(env.strata().args(["cache", "inspect", id])))
                .expect("inspect prints JSON");
        std::path::PathBuf::from(inspected["dir"].as_str().unwrap_or_default())
    };
    let all = mounts(&env);
    let with = |id: &str| -> Vec<serde_json::Value> {
        all.iter()
            .filter(|m| {
                m["description"]
                    .as_str()
                    .is_some_and(|d| d.starts_with(&format!("cache mount {id} ")))
            })
            .cloned()
            .collect()
    };
    // private: the second build found the directory busy and got its own.
    let private = with("pv");
    assert_eq!(private.len(), 2, "{all:#?}");
    let mut whos: Vec<String> = private
        .iter()
        .map(|m| std::fs::read_to_string(dir_of(m).join("who")).unwrap_or_default())
        .collect();
    whos.sort();
    assert_eq!(whos, vec!["x\n", "y\n"]);
    // locked: one directory, used by one build at a time.
    let locked = with("lk");
    assert_eq!(locked.len(), 1, "{all:#?}");
    let log = std::fs::read_to_string(dir_of(&locked[0]).join("log")).unwrap_or_default();
    assert_eq!(log, "start\nend\nstart\nend\n");
    fsck_ok(&env);
}

#[test]
fn a_cache_named_twice_in_one_step_is_one_directory() {
    let env = Env::new();
    let ctx = context(
        &env,
        "twice",
        &[(
            "Dockerfile",
            "FROM busybox
RUN --mount=type=cache,id=c,target=/a,sharing=locked --mount=type=cache,id=c,target=/b echo seen > /a/f && cat /b/f > /out
",
        )],
    );
    let out = wait_for(
        spawn_build(&env, &ctx, &["-t", "twice:1"]),
        Duration::from_secs(60),
        "a build naming one locked cache twice",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let caches: Vec<_> = mounts(&env)
        .into_iter()
        .filter(|m| {
            m["description"]
                .as_str()
                .is_some_and(|d| d.starts_with("cache mount c "))
        })
        .collect();
    assert_eq!(caches.len(), 1, "{caches:#?}");
}
