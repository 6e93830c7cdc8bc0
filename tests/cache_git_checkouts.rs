//! Git checkouts (`ROOT/cache/git/COMMIT`, made by `ADD` of a git URL and
//! by git contexts) are build cache entries: `cache ls` lists each (kind
//! `git_checkout`, its size, last use and the URL it came from), `cache du`
//! counts them, and `cache prune` removes them by the rules it applies to
//! steps and cache mounts (`--filter until=`, `--keep-storage`, `--all`,
//! `--dry-run` listing exactly what goes). A checkout a running build holds
//! is never removed, `system fsck` stays clean, and a build killed while it
//! fetches leaves no checkout behind for the next build to use.

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::cache::{
    cache_json, context, entries, fsck_ok, processes_with, spawn_build, wait_for,
};
use support::cli::{ok, stderr};
use support::env::Env;
use support::git::Repo;

fn checkouts(env: &Env) -> Vec<Value> {
    entries(env)
        .into_iter()
        .filter(|e| e["kind"] == "git_checkout")
        .collect()
}

fn ids(list: &[Value]) -> BTreeSet<String> {
    list.iter()
        .filter_map(|e| e["id"].as_str().map(str::to_owned))
        .collect()
}

/// `cache prune --dry-run ARGS`, then `cache prune ARGS`: the dry run
/// removed nothing and listed exactly what the prune removed. The list.
fn dry_run_then_prune(env: &Env, args: &[&str]) -> Vec<Value> {
    let before = ids(&entries(env));
    let mut dry = vec!["prune", "--dry-run"];
    dry.extend_from_slice(args);
    let listed = cache_json(env, &dry)
        .as_array()
        .cloned()
        .expect("the dry run prints an array");
    assert_eq!(ids(&entries(env)), before, "the dry run removed nothing");
    ok(env.strata().args(["cache", "prune"]).args(args));
    let removed: BTreeSet<String> = before.difference(&ids(&entries(env))).cloned().collect();
    assert_eq!(ids(&listed), removed, "cache prune {args:?}");
    listed
}

/// A repository served by git daemon whose `main` holds `kb` kB in
/// `data.txt`; its URL and commit.
/// A commit of `kb` KB in `repo`. Its own marker file keeps two repos
/// committed in the same second from sharing one commit id (the same
/// tree, author and time make the same commit).
fn repo_with(repo: &Repo, kb: usize) -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    repo.write("data.txt", &"x".repeat(kb * 1000), 0o644);
    repo.write("which.txt", &format!("repo {n}\n"), 0o644);
    repo.commit("data")
}

fn checkout_dir(env: &Env, commit: &str) -> std::path::PathBuf {
    env.store.join("cache/git").join(commit)
}

#[test]
fn each_checkout_is_a_cache_entry_pruned_by_the_rules_of_the_others() {
    let env = Env::new();
    let old_repo = Repo::new(&env.path("git"));
    let old = repo_with(&old_repo, 200);
    let old_ctx = context(
        &env,
        "old",
        &[(
            "Dockerfile",
            &format!("FROM busybox\nADD {} /src\n", old_repo.url("#main")),
        )],
    );
    env.build_json(&old_ctx, &[]);

    let listed = checkouts(&env);
    assert_eq!(ids(&listed), BTreeSet::from([old.clone()]), "{listed:#?}");
    let e = &listed[0];
    assert!(
        e["description"]
            .as_str()
            .is_some_and(|d| d.contains(&old_repo.url(""))),
        "the URL it came from: {e}"
    );
    assert!(
        e["size"].as_u64().is_some_and(|s| s >= 200_000),
        "its size: {e}"
    );
    assert!(e["last_used"].as_u64().is_some_and(|t| t > 0), "{e}");
    assert_eq!(e["use_count"], 1, "{e}");
    let table = ok(env.strata().args(["cache", "ls"]));
    assert!(
        table
            .lines()
            .any(|l| l.contains(&old[..12]) && l.contains(" git ")),
        "{table}"
    );
    let inspected: Value =
        serde_json::from_str(&ok(env.strata().args(["cache", "inspect", &old[..12]])))
            .expect("cache inspect prints JSON");
    assert_eq!(inspected["kind"], "git_checkout", "{inspected}");
    assert_eq!(inspected["checkout"]["remote"], old_repo.url("").as_str());
    let sizes: u64 = entries(&env)
        .iter()
        .filter_map(|e| e["size"].as_u64())
        .sum();
    assert_eq!(
        cache_json(&env, &["du"])["total"].as_u64(),
        Some(sizes),
        "cache du counts the checkout"
    );

    std::thread::sleep(Duration::from_secs(6));
    let new_repo = old_repo.sibling("new");
    let new = repo_with(&new_repo, 100);
    let new_ctx = context(
        &env,
        "new",
        &[(
            "Dockerfile",
            &format!("FROM busybox\nADD {} /src\n", new_repo.url("#main")),
        )],
    );
    env.build_json(&new_ctx, &["-t", "new:1"]);

    let listed = dry_run_then_prune(&env, &["--filter", "until=5s"]);
    assert!(ids(&listed).contains(&old), "the old checkout: {listed:#?}");
    assert!(!ids(&listed).contains(&new), "not the new: {listed:#?}");
    assert!(!checkout_dir(&env, &old).exists(), "its directory is gone");
    assert!(checkout_dir(&env, &new).is_dir());
    fsck_ok(&env);

    // A checkout never has an image's layer: --keep-storage takes it
    // (the tagged image keeps its step) as the least recently used.
    let listed = dry_run_then_prune(&env, &["--keep-storage", "1kB"]);
    let gone: Vec<&Value> = listed.iter().filter(|e| e["id"] == new.as_str()).collect();
    assert_eq!(gone.len(), 1, "{listed:#?}");
    assert_eq!(gone[0]["rules"], serde_json::json!(["over-limit"]));
    assert!(checkouts(&env).is_empty());
    assert!(
        !fs::read_dir(env.store.join("cache/git"))
            .expect("cache/git")
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with(&new)),
        "no metadata or lock file of a removed checkout is left"
    );
    fsck_ok(&env);

    // The next build that needs it checks it out again.
    let (id, _) = env.build_json(&old_ctx, &["--no-cache"]);
    let (root, _) = env.unpack(id.trim(), "again");
    assert_eq!(
        fs::read_to_string(root.join("src/data.txt"))
            .map(|s| s.len())
            .ok(),
        Some(200_000)
    );
    assert_eq!(ids(&checkouts(&env)), BTreeSet::from([old]));
}

/// Polls until `f` holds, at most `limit`.
fn until(limit: Duration, what: &str, f: impl Fn() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < limit, "{what} never happened");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_checkout_a_running_build_holds_is_not_pruned() {
    let env = Env::new();
    let idle_repo = Repo::new(&env.path("git"));
    let idle = repo_with(&idle_repo, 10);
    let idle_ctx = context(
        &env,
        "idle",
        &[(
            "Dockerfile",
            &format!("FROM busybox\nADD {} /src\n", idle_repo.url("#main")),
        )],
    );
    env.build_json(&idle_ctx, &[]);

    let busy_repo = idle_repo.sibling("busy");
    let busy = repo_with(&busy_repo, 10);
    let busy_ctx = context(
        &env,
        "busy",
        &[(
            "Dockerfile",
            &format!(
                "FROM busybox\nADD {} /src\nRUN ls /src/data.txt && sleep 5\n",
                busy_repo.url("#main")
            ),
        )],
    );
    let build = spawn_build(&env, &busy_ctx, &["--no-cache"]);
    until(Duration::from_secs(60), "the busy checkout", || {
        checkout_dir(&env, &busy).is_dir()
    });
    // While the build runs: a dry run sees the lease and leaves the busy
    // checkout out, the idle one in.
    let listed = cache_json(&env, &["prune", "--dry-run", "--all"]);
    let listed = ids(listed.as_array().expect("an array"));
    assert!(listed.contains(&idle), "{listed:?}");
    assert!(!listed.contains(&busy), "held by the build: {listed:?}");
    // The real prune waits for the build (which holds the store) and
    // never takes the checkout from under it.
    let prune = env
        .strata()
        .args(["cache", "prune", "--all"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn prune");
    let out = wait_for(build, Duration::from_secs(120), "the build");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = wait_for(prune, Duration::from_secs(60), "the prune");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(checkouts(&env).is_empty(), "both go once the build is done");
    fsck_ok(&env);
}

/// A stand-in for `ssh` on PATH that serves from `$FAKE_SSH_BASE` as an
/// ssh server would, but stalls the fetch (its second connection, after
/// ls-remote) once `$FAKE_SSH_STALL` names a file it may create.
const STALLING_SSH: &str = "#!/bin/sh\n\
while [ $# -gt 0 ]; do case \"$1\" in -o|-p|-l) shift 2;; -*) shift;; *) break;; esac; done\n\
shift\n\
n=$(cat \"$FAKE_SSH_COUNT\" 2>/dev/null || echo 0); n=$((n+1)); echo $n > \"$FAKE_SSH_COUNT\"\n\
if [ \"$n\" -ge 2 ] && [ -n \"$FAKE_SSH_STALL\" ]; then touch \"$FAKE_SSH_STALL\"; while :; do sleep 0.2; done; fi\n\
cd \"$FAKE_SSH_BASE\" && exec sh -c \"$*\"\n";

#[test]
fn a_build_killed_while_it_fetches_leaves_no_checkout_to_use() {
    let env = Env::new();
    let repo = Repo::new(&env.path("git"));
    let commit = repo_with(&repo, 10);
    let bin = env.path("bin");
    fs::create_dir_all(&bin).expect("mkdir");
    fs::write(bin.join("ssh"), STALLING_SSH).expect("fake ssh");
    fs::set_permissions(bin.join("ssh"), fs::Permissions::from_mode(0o755)).expect("chmod");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let ctx = context(
        &env,
        "ctx",
        &[(
            "Dockerfile",
            "FROM busybox\nADD git@git.example:repo.git#main /src\n",
        )],
    );
    let stalled = env.path("stalled");
    let mut build = env
        .strata()
        .env("PATH", &path)
        .env("FAKE_SSH_BASE", env.path("git/served"))
        .env("FAKE_SSH_COUNT", env.path("count-1"))
        .env("FAKE_SSH_STALL", &stalled)
        .args(["build", "--progress", "plain"])
        .arg(&ctx)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn build");
    until(Duration::from_secs(60), "the stalled fetch", || {
        stalled.exists()
    });
    build.kill().expect("kill the build");
    let _ = build.wait();
    // The stalled ssh was the build's (its git fails once it is gone).
    for pid in processes_with(&bin.join("ssh").display().to_string()) {
        let _ = rustix::process::kill_process(
            rustix::process::Pid::from_raw(pid as i32).expect("a pid"),
            rustix::process::Signal::KILL,
        );
    }
    assert!(
        !checkout_dir(&env, &commit).exists(),
        "a fetch that did not finish is no checkout"
    );
    assert!(checkouts(&env).is_empty());
    fsck_ok(&env);
    ok(env.strata().args(["cache", "prune"]));
    assert!(
        fs::read_dir(env.store.join("cache/git"))
            .expect("cache/git")
            .next()
            .is_none(),
        "prune sweeps the lock file the killed build left"
    );

    let out = support::cli::run(
        env.strata()
            .env("PATH", &path)
            .env("FAKE_SSH_BASE", env.path("git/served"))
            .env("FAKE_SSH_COUNT", env.path("count-2"))
            .args(["build", "-t", "after-kill"])
            .arg(&ctx),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let (root, _) = env.unpack("after-kill", "after-kill");
    assert_eq!(
        fs::read_to_string(root.join("src/data.txt"))
            .map(|s| s.len())
            .ok(),
        Some(10_000)
    );
    assert_eq!(ids(&checkouts(&env)), BTreeSet::from([commit]));
}
