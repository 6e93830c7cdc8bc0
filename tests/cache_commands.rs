//! `strata cache ls|du|inspect` and `build --explain-cache` on a store with
//! several builds of one Dockerfile (a busybox base imported as in
//! scripts/demo.sh), driven through the binary.

mod support;

use support::cache::*;
use support::cli::{ok, run};
use support::env::Env;
use support::events::{explanations, fs_steps_run};

const DOCKERFILE: &str = "FROM busybox
COPY a.txt /a.txt
RUN cat /a.txt > /copy.txt
ARG V=1
RUN echo \"v=$V\" > /v.txt
RUN --mount=type=cache,target=/var/cache/app,id=appcache echo hit >> /var/cache/app/log
";

/// Three builds: the first, one with a.txt edited, one with V changed.
fn three_builds(env: &Env) -> [Vec<serde_json::Value>; 3] {
    let ctx = context(
        env,
        "ctx",
        &[("Dockerfile", DOCKERFILE), ("a.txt", "one\n")],
    );
    let (_, first) = env.build_json(&ctx, &["--explain-cache", "-t", "app:1"]);
    std::fs::write(ctx.join("a.txt"), "two\n").expect("edit a.txt");
    let (_, second) = env.build_json(&ctx, &["--explain-cache", "-t", "app:2"]);
    let (_, third) = env.build_json(
        &ctx,
        &["--explain-cache", "-t", "app:3", "--build-arg", "V=2"],
    );
    [first, second, third]
}

#[test]
fn explain_cache_names_the_changed_file_the_changed_build_arg_and_the_parent() {
    let env = Env::new();
    let [first, second, third] = three_builds(&env);

    let first = explanations(&first);
    assert_eq!(first.len(), 4, "every filesystem step missed: {first:?}");
    assert!(
        first
            .iter()
            .all(|(_, r)| r == "no earlier record of this step")
    );

    // Steps: 0 COPY, 1 RUN cat, 2 ARG, 3 RUN echo, 4 RUN --mount.
    let second = explanations(&second);
    let reason = |v: &[(u64, String)], step: u64| {
        v.iter()
            .find(|(s, _)| *s == step)
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| panic!("no explanation for step {step}: {v:?}"))
    };
    assert_eq!(reason(&second, 0), "changed: file a.txt");
    assert_eq!(
        reason(&second, 1),
        "changed: parent (an earlier step changed)"
    );

    let third_explained = explanations(&third);
    assert_eq!(
        third_explained.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        vec![3, 4],
        "only the steps after ARG V miss: {third_explained:?}"
    );
    assert_eq!(reason(&third_explained, 3), "changed: build arg V");
    assert_eq!(fs_steps_run(&third).len(), 2);
}

#[test]
fn ls_du_and_inspect_show_every_record_and_mount() {
    let env = Env::new();
    three_builds(&env);

    let steps = steps(&env);
    // 4 + 4 + 2 filesystem steps missed over the three builds.
    assert_eq!(steps.len(), 10, "{steps:#?}");
    for s in &steps {
        assert!(s["last_used"].as_u64() >= s["created"].as_u64());
        assert_eq!(
            s["dockerfile"].as_str().map(|d| d.ends_with("Dockerfile")),
            Some(true)
        );
        // The RUN that writes only into its cache mount leaves no layer;
        // every other record's layer is in one of the tagged images.
        let empty = s["description"]
            .as_str()
            .is_some_and(|d| d.contains("--mount"));
        assert_eq!(s["size"].as_u64().is_some_and(|n| n > 0), !empty, "{s}");
        assert_eq!(s["in_use"], !empty, "{s}");
    }
    let copies = step_with(&steps, "COPY a.txt /a.txt");
    assert_eq!(copies.len(), 2);
    // The second COPY record was made by build 2 and reused by build 3.
    let uses: Vec<u64> = copies
        .iter()
        .filter_map(|c| c["use_count"].as_u64())
        .collect();
    assert!(
        uses.contains(&2) && uses.contains(&1),
        "use counts {uses:?}"
    );

    let mounts = mounts(&env);
    assert_eq!(mounts.len(), 1, "one cache mount, shared by the builds");
    assert_eq!(mounts[0]["use_count"], 3);
    assert!(
        mounts[0]["description"]
            .as_str()
            .is_some_and(|d| d.contains("appcache") && d.contains("sharing=shared"))
    );

    let table = ok(env.strata().args(["cache", "ls"]));
    assert!(table.starts_with("ID "), "{table}");
    assert_eq!(table.lines().count(), 1 + 10 + 1, "{table}");
    assert!(
        table.contains("[stage-0] COPY a.txt /a.txt (ctx/Dockerfile)"),
        "{table}"
    );

    let du = cache_json(&env, &["du"]);
    let total: u64 = entries(&env)
        .iter()
        .filter_map(|e| e["size"].as_u64())
        .sum();
    assert_eq!(du["entries"], 11);
    assert_eq!(du["total"].as_u64(), Some(total));
    assert_eq!(
        du["reclaimable"].as_u64().unwrap_or(0) + du["in_use"].as_u64().unwrap_or(0),
        total
    );
    assert_eq!(
        du["reclaimable"], mounts[0]["size"],
        "only the cache mount is not held by an image"
    );
    let du_table = ok(env.strata().args(["cache", "du"]));
    assert!(du_table.contains("RECLAIMABLE"), "{du_table}");

    // inspect by an id prefix: every input of the key, and its snapshot.
    let id = copies[0]["id"].as_str().unwrap_or_default();
    let inspected: serde_json::Value =
        serde_json::from_str(&ok(env.strata().args(["cache", "inspect", &id[..12]])))
            .expect("inspect prints JSON");
    assert_eq!(inspected["id"], id);
    assert!(
        inspected["inputs"]["instruction"]
            .as_str()
            .is_some_and(|i| i.starts_with("COPY") && i.contains("a.txt")),
        "{inspected}"
    );
    assert_eq!(inspected["step"]["text"], "COPY a.txt /a.txt");
    assert_eq!(inspected["inputs"]["parent"]["kind"], "image");
    assert!(
        inspected["inputs"]["files"]["a.txt"]
            .as_str()
            .is_some_and(|f| f.starts_with("file sha256:"))
    );
    assert!(inspected["inputs"]["sources"].is_string());
    let dir = inspected["snapshot_dir"].as_str().unwrap_or_default();
    assert!(
        std::path::Path::new(dir).join("a.txt").is_file(),
        "{inspected}"
    );
    let layers = inspected["layers"].as_object().cloned().unwrap_or_default();
    assert!(
        layers
            .iter()
            .any(|(variant, l)| variant.starts_with("none") && l["digest"].is_string()),
        "{inspected}"
    );

    let mount_id = mounts[0]["id"].as_str().unwrap_or_default();
    let m: serde_json::Value =
        serde_json::from_str(&ok(env.strata().args(["cache", "inspect", mount_id])))
            .expect("inspect prints JSON");
    let log = std::path::Path::new(m["dir"].as_str().unwrap_or_default()).join("log");
    assert_eq!(
        std::fs::read_to_string(log).ok().as_deref(),
        Some("hit\nhit\nhit\n"),
        "the three builds appended to one cache directory"
    );

    let missing = run(env.strata().args(["cache", "inspect", "ffffffffffff"]));
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no cache entry"));
}
