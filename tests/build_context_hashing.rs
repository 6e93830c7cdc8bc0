//! Hashing the build context through the binary: the `context_hashed`
//! event says how much of the context a COPY had to read, the stat cache
//! makes an unchanged rebuild read nothing, and a stat cache that cannot be
//! trusted (corrupt, or the JSON of earlier versions) only costs a re-read.

mod support;

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use serde_json::Value;
use support::env::Env;
use support::events::{fs_steps_cached, fs_steps_run};

/// A context of files in nested directories, some ignored; returns the
/// number and total size of the files a `COPY . /ctx/` takes.
fn make_context(ctx: &Path) -> (u64, u64) {
    let (mut files, mut bytes) = (0, 0);
    for d in 0..3 {
        for f in 0..7 {
            let dir = ctx.join(format!("d{d}/sub{}", f % 2));
            fs::create_dir_all(&dir).unwrap();
            let body = vec![b'a' + f as u8; 1000 * d + 37 * f + 1];
            fs::write(dir.join(format!("f{f}.txt")), &body).unwrap();
            files += 1;
            bytes += body.len() as u64;
        }
        fs::write(ctx.join(format!("d{d}/skip.log")), "ignored").unwrap();
    }
    let ignore = "*/skip.log\n";
    fs::write(ctx.join(".dockerignore"), ignore).unwrap();
    (files + 1, bytes + ignore.len() as u64)
}

/// The Dockerfile lives outside the context: the context is exactly what
/// `make_context` made.
fn dockerfile(env: &Env) -> String {
    let df = env.path("Dockerfile");
    fs::write(&df, "FROM busybox\nCOPY . /ctx/\n").unwrap();
    df.to_string_lossy().into_owned()
}

fn context_hashed(events: &[Value]) -> &Value {
    let found: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "context_hashed")
        .collect();
    assert_eq!(found.len(), 1, "one COPY from the context: {events:?}");
    found[0]
}

fn counts(e: &Value) -> [u64; 4] {
    ["files", "bytes", "hashed_files", "hashed_bytes"].map(|k| {
        e[k].as_u64()
            .unwrap_or_else(|| panic!("{k} missing in {e}"))
    })
}

#[test]
fn a_cold_build_hashes_every_context_file_and_an_unchanged_rebuild_none() {
    let env = Env::new();
    let ctx = env.path("ctx");
    let (files, bytes) = make_context(&ctx);
    let df = dockerfile(&env);

    let (first, events) = env.build_json(&ctx, &["-f", &df]);
    let cold = context_hashed(&events);
    assert_eq!(counts(cold), [files, bytes, files, bytes]);
    assert!(cold["duration_ms"].is_u64());
    assert_eq!(cold["stage"], 0);
    assert_eq!(cold["step"], 0);

    let (again, events) = env.build_json(&ctx, &["-f", &df]);
    assert_eq!(again, first);
    assert_eq!(fs_steps_cached(&events).len(), 1);
    assert_eq!(
        counts(context_hashed(&events)),
        [files, bytes, 0, 0],
        "nothing changed: nothing read"
    );

    // Same size, so only the inode's times tell the change.
    let edited = ctx.join("d1/sub0/f2.txt");
    let len = fs::metadata(&edited).unwrap().len();
    fs::write(&edited, vec![b'z'; len as usize]).unwrap();
    let (changed, events) = env.build_json(&ctx, &["-f", &df]);
    assert_ne!(changed, first);
    assert_eq!(fs_steps_run(&events).len(), 1);
    assert_eq!(counts(context_hashed(&events)), [files, bytes, 1, len]);
}

#[test]
fn plain_progress_says_how_much_of_the_context_was_read() {
    let env = Env::new();
    let ctx = env.path("ctx");
    let (files, _) = make_context(&ctx);
    let df = dockerfile(&env);
    let out = env.build(&ctx, &["--progress", "plain", "-f", &df]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("context: {files} files ("))
            && err.contains(&format!("{files} read and hashed")),
        "{err}"
    );
}

#[test]
fn a_corrupt_or_old_stat_cache_is_ignored_and_the_files_read_again() {
    let env = Env::new();
    let ctx = env.path("ctx");
    let (files, bytes) = make_context(&ctx);
    let df = dockerfile(&env);
    let (first, _) = env.build_json(&ctx, &["-f", &df]);
    let cache = env.store.join("cache/statcache.bin");
    assert!(cache.is_file(), "the cold build saved its stat cache");

    // A torn write (the rename makes it unlikely, a full disk does not).
    let whole = fs::read(&cache).unwrap();
    fs::write(&cache, &whole[..whole.len() / 2]).unwrap();
    let (id, events) = env.build_json(&ctx, &["-f", &df]);
    assert_eq!(id, first, "same content, same image");
    assert_eq!(
        counts(context_hashed(&events)),
        [files, bytes, files, bytes]
    );

    // The JSON of earlier versions, claiming a wrong digest for every file:
    // never read, and removed.
    fs::remove_file(&cache).unwrap();
    let lie = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
    let mut old = serde_json::Map::new();
    for entry in walk(&ctx) {
        let m = fs::symlink_metadata(&entry).unwrap();
        let ns = |s: i64, n: i64| s * 1_000_000_000 + n;
        let stamp = serde_json::json!({
            "size": m.size(),
            "mtime_ns": ns(m.mtime(), m.mtime_nsec()),
            "ctime_ns": ns(m.ctime(), m.ctime_nsec()),
            "ino": m.ino(),
        });
        old.insert(
            entry.to_string_lossy().into_owned(),
            serde_json::json!({"stamp": stamp, "digest": lie}),
        );
    }
    let legacy = env.store.join("cache/statcache.json");
    fs::write(&legacy, serde_json::to_vec(&old).unwrap()).unwrap();
    let (id, events) = env.build_json(&ctx, &["-f", &df]);
    assert_eq!(id, first);
    assert_eq!(counts(context_hashed(&events))[2], files);
    assert!(!legacy.exists(), "the old JSON cache is cleaned up");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
