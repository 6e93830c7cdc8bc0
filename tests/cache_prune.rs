//! `strata cache prune` and the automatic limit: least recently used first,
//! never what a tagged image needs; `system fsck` passes after each.

mod support;

use std::time::Duration;

use support::cache::*;
use support::cli::ok;
use support::env::Env;
use support::events::{fs_steps_cached, fs_steps_run};

/// A Dockerfile whose one RUN leaves `kb` kB of random bytes (random so
/// compression does not make the sizes meaningless).
fn big_step(tag: &str, kb: u32) -> String {
    format!(
        "FROM busybox\nRUN head -c {}000 /dev/urandom > /{tag}.bin\n",
        kb
    )
}

fn prune(env: &Env, args: &[&str]) -> String {
    ok(env.strata().args(["cache", "prune"]).args(args))
}

#[test]
fn prune_never_removes_what_a_tagged_image_needs() {
    let env = Env::new();
    let ctx = context(
        &env,
        "ctx",
        &[
            (
                "Dockerfile",
                "FROM busybox\nCOPY a.txt /a.txt\nRUN --mount=type=cache,target=/c echo x >> /c/log && cp /a.txt /b.txt\n",
            ),
            ("a.txt", "one\n"),
        ],
    );
    env.build_json(&ctx, &["-t", "app:1"]);
    std::fs::write(ctx.join("a.txt"), "two\n").expect("edit");
    env.build_json(&ctx, &["-t", "app:2"]);
    ok(env.strata().args(["rmi", "app:1"]));
    assert_eq!(steps(&env).len(), 4);
    assert_eq!(mounts(&env).len(), 1);

    // --filter until: everything was used just now, nothing is old enough.
    let out = prune(&env, &["--filter", "until=1h"]);
    assert!(out.contains("removed 0 records, 0 cache mounts"), "{out}");

    // Plain prune: app:1's records and the idle cache mount go; app:2's
    // records stay, since removing them would free nothing.
    let out = prune(&env, &[]);
    assert!(out.contains("removed 2 records, 1 cache mounts"), "{out}");
    let left = steps(&env);
    assert_eq!(left.len(), 2);
    assert!(left.iter().all(|s| s["in_use"] == true), "{left:#?}");
    assert!(mounts(&env).is_empty());
    fsck_ok(&env);

    // app:2 still rebuilds fully from the cache; app:1's content misses.
    let (_, events) = env.build_json(&ctx, &["-t", "app:2"]);
    assert_eq!(fs_steps_run(&events), vec![], "app:2 is fully cached");
    assert_eq!(fs_steps_cached(&events).len(), 2);

    // --all forgets the cache, but the image keeps all of its content.
    let out = prune(&env, &["--all"]);
    assert!(out.contains("removed 2 records"), "{out}");
    assert!(steps(&env).is_empty());
    fsck_ok(&env);
    let (rootfs, _) = env.unpack("app:2", "after-prune");
    assert_eq!(
        std::fs::read_to_string(rootfs.join("rootfs/b.txt"))
            .or_else(|_| std::fs::read_to_string(rootfs.join("b.txt")))
            .ok()
            .as_deref(),
        Some("two\n")
    );
}

#[test]
fn keep_storage_removes_the_least_recently_used_first() {
    let env = Env::new();
    let a = context(&env, "a", &[("Dockerfile", &big_step("a", 300))]);
    let b = context(&env, "b", &[("Dockerfile", &big_step("b", 300))]);
    let c = context(&env, "c", &[("Dockerfile", &big_step("c", 300))]);
    // Untagged builds: no image holds them, all reclaimable. Times are kept
    // in seconds, so space the uses apart.
    for ctx in [&a, &b, &c] {
        env.build_json(ctx, &["--cache-limit", "none"]);
        std::thread::sleep(Duration::from_millis(1100));
    }
    // Using a again makes b the least recently used, then c.
    let (_, events) = env.build_json(&a, &["--cache-limit", "none"]);
    assert_eq!(fs_steps_cached(&events).len(), 1);

    let all = steps(&env);
    assert_eq!(all.len(), 3);
    let size = |name: &str| -> u64 {
        step_with(&all, &format!("/{name}.bin"))
            .first()
            .and_then(|s| s["size"].as_u64())
            .unwrap_or(0)
    };
    assert!(size("a") > 300_000, "snapshot plus layer blob: {all:#?}");
    let total: u64 = all.iter().filter_map(|s| s["size"].as_u64()).sum();

    // Keeping a bit more than two entries' worth removes exactly b.
    let keep = total - size("b") + 1000;
    let out = prune(&env, &["--keep-storage", &keep.to_string()]);
    assert!(out.contains("removed 1 records"), "{out}");
    let left = steps(&env);
    assert!(step_with(&left, "/b.bin").is_empty(), "{left:#?}");
    assert_eq!(left.len(), 2);

    // Keeping just over one entry removes c next, then a is what is left.
    let out = prune(&env, &["--keep-storage", &(size("a") + 1000).to_string()]);
    assert!(out.contains("removed 1 records"), "{out}");
    let left = steps(&env);
    assert_eq!(step_with(&left, "/a.bin").len(), 1, "{left:#?}");
    assert_eq!(left.len(), 1);
    fsck_ok(&env);

    let bad = support::cli::run(
        env.strata()
            .args(["cache", "prune", "--keep-storage", "lots"]),
    );
    assert!(!bad.status.success());
}

#[test]
fn the_automatic_limit_prunes_after_a_build_but_keeps_images() {
    let env = Env::new();
    let a = context(&env, "a", &[("Dockerfile", &big_step("a", 200))]);
    let b = context(&env, "b", &[("Dockerfile", &big_step("b", 200))]);
    env.build_json(&a, &["-t", "kept:1", "--cache-limit", "none"]);
    assert_eq!(steps(&env).len(), 1);
    // Over the limit (from the environment): the untagged build's record
    // goes right after it, the tagged image's record stays.
    let out = env
        .strata()
        .env("STRATA_CACHE_LIMIT", "10kB")
        .args(["build", "--progress", "plain"])
        .arg(&b)
        .output()
        .expect("run build");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let left = steps(&env);
    assert_eq!(left.len(), 1, "{left:#?}");
    assert_eq!(step_with(&left, "/a.bin").len(), 1);

    // The store's own limit file applies when nothing else says.
    std::fs::write(env.store.join("cache/limit"), "10kB\n").expect("write limit");
    env.build_json(&b, &[]);
    assert_eq!(steps(&env).len(), 1);
    // ... and the flag beats it.
    env.build_json(&b, &["--cache-limit", "1GB"]);
    assert_eq!(steps(&env).len(), 2);
    fsck_ok(&env);
}
