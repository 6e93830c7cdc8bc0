//! `strata cache prune --dry-run` (moby/buildkit#5436): lists what a prune
//! with the same options would remove, with the size, the last use and the
//! rule that selects each entry (over limit, older than `--filter until=`,
//! unused, `--all`), and removes nothing; checked against the real prune
//! that follows it, which must remove exactly the listed entries.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;
use support::cache::{context, entries};
use support::cli::ok;
use support::env::Env;

/// A Dockerfile whose RUN leaves `kb` kB of random bytes in `/NAME.bin`,
/// with a cache mount beside it.
fn dockerfile(name: &str, kb: u32) -> String {
    format!(
        "FROM busybox\nRUN --mount=type=cache,id={name},target=/c \
         head -c {kb}000 /dev/urandom > /{name}.bin && touch /c/{name}\n"
    )
}

fn build(env: &Env, name: &str, kb: u32, extra: &[&str]) {
    let ctx = context(env, name, &[("Dockerfile", &dockerfile(name, kb))]);
    env.build_json(&ctx, extra);
}

fn ids(list: &[Value]) -> BTreeSet<String> {
    list.iter()
        .filter_map(|e| e["id"].as_str().map(str::to_owned))
        .collect()
}

/// The dry run's list for `args`, as JSON.
fn dry_run(env: &Env, args: &[&str]) -> Vec<Value> {
    let out = ok(env
        .strata()
        .args(["cache", "prune", "--dry-run", "--format", "json"])
        .args(args));
    serde_json::from_str::<Vec<Value>>(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// Dry run, then the real prune with the same `args`: the dry run removed
/// nothing, and the prune removed exactly what it listed. Returns the list.
fn dry_run_matches_prune(env: &Env, args: &[&str]) -> Vec<Value> {
    let before = ids(&entries(env));
    let listed = dry_run(env, args);
    assert_eq!(ids(&entries(env)), before, "the dry run removed nothing");
    ok(env.strata().args(["cache", "prune"]).args(args));
    let after = ids(&entries(env));
    let removed: BTreeSet<String> = before.difference(&after).cloned().collect();
    assert_eq!(
        ids(&listed),
        removed,
        "cache prune {args:?}: the dry run listed what the prune removed"
    );
    for e in &listed {
        assert!(
            e["size"].is_u64() && e["last_used"].is_u64() && e["reason"].is_string(),
            "each entry says its size, last use and reason: {e}"
        );
    }
    listed
}

fn rules(e: &Value) -> Vec<&str> {
    e["rules"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

#[test]
fn a_plain_and_an_all_dry_run_list_what_the_prune_then_removes() {
    let env = Env::new();
    build(&env, "kept", 100, &["-t", "kept:1"]);
    build(&env, "loose", 200, &[]);

    let table = ok(env.strata().args(["cache", "prune", "--dry-run"]));
    assert!(
        table.contains("REASON") && table.contains("unused (no image needs it)"),
        "{table}"
    );
    assert!(
        table.contains("would remove 1 records, 2 cache mounts"),
        "{table}"
    );

    let listed = dry_run_matches_prune(&env, &[]);
    assert_eq!(
        listed.len(),
        3,
        "loose's record and both cache mounts: {listed:#?}"
    );
    assert!(listed.iter().all(|e| rules(e) == ["unused"]));

    let listed = dry_run_matches_prune(&env, &["--all"]);
    assert_eq!(listed.len(), 1, "kept:1's record: {listed:#?}");
    assert_eq!(rules(&listed[0]), ["all"]);

    let report = ok(env.strata().args(["cache", "prune", "--format", "json"]));
    let report: Value = serde_json::from_str(&report).unwrap_or_else(|e| panic!("{e}: {report}"));
    assert_eq!(
        (
            report["records_removed"].as_u64(),
            report["mounts_removed"].as_u64()
        ),
        (Some(0), Some(0)),
        "the real prune's counts as JSON: {report}"
    );
}

#[test]
fn keep_storage_and_until_dry_runs_name_their_rule_and_match_the_prune() {
    let env = Env::new();
    build(&env, "old", 300, &[]);
    let old = ids(&entries(&env));
    std::thread::sleep(Duration::from_secs(6));
    build(&env, "new", 300, &[]);

    let listed = dry_run_matches_prune(&env, &["--filter", "until=5s"]);
    assert_eq!(
        ids(&listed),
        old,
        "the old build's entries, and only they, are older than 5s"
    );
    assert!(
        listed.iter().all(|e| rules(e) == ["older-than"]),
        "{listed:#?}"
    );

    build(&env, "more", 300, &[]);
    let listed = dry_run_matches_prune(&env, &["--keep-storage", "350kB"]);
    assert!(!listed.is_empty(), "two 300 kB records are over 350 kB");
    assert!(listed.iter().all(|e| rules(e) == ["over-limit"]));
    let total: u64 = entries(&env)
        .iter()
        .filter_map(|e| e["size"].as_u64())
        .sum();
    assert!(
        total <= 350_000,
        "the prune brought the cache under the limit"
    );
}
