//! Cache mounts that travel (moby/buildkit#1474, #1512): `--cache-to
//! ...,cache-mounts=true` carries the contents of the build's `RUN
//! --mount=type=cache` directories, and `--cache-from` on a fresh store
//! gives a cache mount made new that content, through a real
//! docker-registry on 127.0.0.1 and through an OCI layout directory.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::cli::{ok, run};
use support::env::Env;
use support::registry::TestRegistry;

/// A package-cache stand-in: 400 files of 128 KiB in 20 directories
/// (50 MiB), random so that no compressor shrinks the test away.
fn fill(files: u32, bytes: u32) -> String {
    format!(
        "FROM busybox\n\
         RUN --mount=type=cache,id=pkgs,target=/var/cache/pkgs,sharing=locked \
         cd /var/cache/pkgs && i=0 && while [ $i -lt {files} ]; do \
         mkdir -p d$((i % 20)) && head -c {bytes} /dev/urandom > d$((i % 20))/pkg$i.deb; \
         i=$((i + 1)); done && echo filled\n"
    )
}

/// What a later build finds in the cache: how many files, how many
/// bytes, and a digest of their names and contents.
const READ: &str = "FROM busybox\n\
RUN --mount=type=cache,id=pkgs,target=/var/cache/pkgs,sharing=locked \
cd /var/cache/pkgs && echo \"files=$(find . -type f | wc -l) \
bytes=$(find . -type f | xargs cat | wc -c) \
sum=$( (find . -type f | sort; find . -type f | sort | xargs cat) | md5sum | cut -c1-32)\"\n";

fn context(env: &Env, name: &str, dockerfile: &str) -> PathBuf {
    let dir = env.path(name);
    fs::create_dir_all(&dir).expect("mkdir");
    fs::write(dir.join("Dockerfile"), dockerfile).expect("Dockerfile");
    dir
}

/// The binary on `root`, blind to the developer's docker logins.
fn strata(root: &Path) -> std::process::Command {
    let mut c = support::cli::strata(root);
    c.env("DOCKER_CONFIG", root.with_extension("no-docker-config"));
    c.env_remove("REGISTRY_AUTH_FILE");
    c
}

/// Builds `ctx` on store `root` with `--progress json`; (events, stderr).
fn build(root: &Path, ctx: &Path, extra: &[&str]) -> (Vec<Value>, String) {
    let out = run(strata(root)
        .args(["build", "--progress", "json"])
        .args(extra)
        .arg(ctx));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "build of {} failed:\n{stderr}\n{}",
        ctx.display(),
        String::from_utf8_lossy(&out.stdout)
    );
    (support::events::json_lines(&out.stdout), stderr)
}

/// The `files=... bytes=... sum=...` line the READ step printed.
fn census(events: &[Value]) -> String {
    events
        .iter()
        .filter(|e| e["event"] == "step_output")
        .filter_map(|e| e["line"].as_str())
        .find(|l| l.starts_with("files="))
        .unwrap_or_else(|| panic!("the read step printed no census: {events:?}"))
        .to_string()
}

/// A store of its own holding the same busybox as `env`'s.
fn fresh_store(env: &Env, name: &str) -> PathBuf {
    let layout = env.path("busybox-oci");
    if !layout.exists() {
        ok(strata(&env.store)
            .args(["push", "busybox:latest"])
            .arg(format!("oci:{}:img", layout.display())));
    }
    let root = env.path(name);
    ok(strata(&root)
        .arg("pull")
        .arg(format!("oci:{}:img", layout.display()))
        .arg("busybox:latest"));
    root
}

/// Fills the cache on `env`'s store, exporting with `cache_to` and the
/// layer `compression`; returns what the original store's READ sees.
fn fill_and_export(env: &Env, cache_to: &[String], compression: &str) -> String {
    let fill = context(env, "fill", &fill(400, 131_072));
    let mut args: Vec<&str> = vec!["--compression", compression];
    for to in cache_to {
        args.extend(["--cache-to", to.as_str()]);
    }
    let (_, stderr) = build(&env.store, &fill, &args);
    assert!(
        stderr.contains("and 1 cache mounts to"),
        "the export says it carried the cache mount: {stderr}"
    );
    let read = context(env, "read", READ);
    let (events, _) = build(&env.store, &read, &[]);
    let here = census(&events);
    assert!(
        here.starts_with("files=400 bytes=52428800 "),
        "the fill made the package cache: {here}"
    );
    here
}

#[test]
fn registry_cache_with_cache_mounts_brings_the_package_cache_to_a_fresh_store() {
    let env = Env::new();
    let reg = TestRegistry::start();
    let with = format!("{}/app/cache:mounts", reg.host());
    let without = format!("{}/app/cache:records-only", reg.host());
    let here = fill_and_export(
        &env,
        &[
            format!("type=registry,ref={with},cache-mounts=true"),
            format!("type=registry,ref={without}"),
        ],
        // Compressed, so the import decodes; a debug build's gzip of
        // 50 MiB takes four times zstd's.
        "zstd",
    );
    let read = env.path("read");

    let fresh = fresh_store(&env, "fresh");
    let (events, stderr) = build(
        &fresh,
        &read,
        &["--cache-from", &format!("type=registry,ref={with}")],
    );
    assert!(
        stderr.contains("1 cache mounts from"),
        "the import says what it brought: {stderr}"
    );
    assert_eq!(
        census(&events),
        here,
        "the fresh store's RUN found the cache"
    );

    let plain = fresh_store(&env, "plain");
    let (events, _) = build(
        &plain,
        &read,
        &["--cache-from", &format!("type=registry,ref={without}")],
    );
    assert!(
        census(&events).starts_with("files=0 bytes=0 "),
        "without cache-mounts=true the cache stays behind"
    );
}

#[test]
fn local_cache_with_cache_mounts_brings_the_package_cache_to_a_fresh_store() {
    let env = Env::new();
    let dest = env.path("cache-oci");
    let here = fill_and_export(
        &env,
        &[format!(
            "type=local,dest={},cache-mounts=true,mode=max",
            dest.display()
        )],
        // The registry case covers a compressed layer.
        "none",
    );
    let read = env.path("read");

    let fresh = fresh_store(&env, "fresh");
    let from = format!("type=local,src={}", dest.display());
    let (events, _) = build(&fresh, &read, &["--cache-from", &from]);
    assert_eq!(
        census(&events),
        here,
        "the fresh store's RUN found the cache"
    );

    // A cache that already exists is the store's own: an import never
    // overwrites it.
    let own = fresh_store(&env, "own");
    let mine = context(
        &env,
        "mine",
        "FROM busybox\nRUN --mount=type=cache,id=pkgs,target=/var/cache/pkgs,sharing=locked \
         echo mine > /var/cache/pkgs/only\n",
    );
    build(&own, &mine, &[]);
    let (events, _) = build(&own, &read, &["--cache-from", &from]);
    assert!(
        census(&events).starts_with("files=1 bytes=5 "),
        "the store's own cache is kept: {}",
        census(&events)
    );
}

/// Writes `bytes` as a blob of layout `dir`; returns its digest.
fn put_blob(dir: &Path, bytes: &[u8]) -> String {
    let tmp = dir.join("blob.tmp");
    fs::write(&tmp, bytes).expect("write blob");
    let sum = ok(Command::new("sha256sum").arg(&tmp));
    let hex = sum.split_whitespace().next().unwrap_or_default().to_owned();
    fs::rename(&tmp, dir.join("blobs/sha256").join(&hex)).expect("rename blob");
    format!("sha256:{hex}")
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).expect("read")).expect("json")
}

/// Makes the layout's cache mount record claim another diff_id, so its
/// layer no longer unpacks to what the record says.
fn corrupt_mount_record(layout: &Path) {
    let blob = |d: &Value| {
        layout
            .join("blobs/sha256")
            .join(d.as_str().unwrap_or_default().trim_start_matches("sha256:"))
    };
    let mut index = read_json(&layout.join("index.json"));
    let mut manifest = read_json(&blob(&index["manifests"][0]["digest"]));
    let mut config = read_json(&blob(&manifest["config"]["digest"]));
    config["mounts"][0]["layer"]["diff_id"] = Value::from(format!("sha256:{}", "0".repeat(64)));
    let config = serde_json::to_vec(&config).expect("config");
    manifest["config"]["digest"] = Value::from(put_blob(layout, &config));
    manifest["config"]["size"] = Value::from(config.len());
    let manifest = serde_json::to_vec(&manifest).expect("manifest");
    index["manifests"][0]["digest"] = Value::from(put_blob(layout, &manifest));
    index["manifests"][0]["size"] = Value::from(manifest.len());
    fs::write(layout.join("index.json"), index.to_string()).expect("index");
}

#[test]
fn a_cache_mount_that_does_not_unpack_is_a_warning_and_the_cache_starts_empty() {
    let env = Env::new();
    let dest = env.path("cache-oci");
    let ctx = context(&env, "small", &fill(10, 4096));
    let to = format!("type=local,dest={},cache-mounts=true", dest.display());
    build(&env.store, &ctx, &["--cache-to", &to]);
    corrupt_mount_record(&dest);

    let fresh = fresh_store(&env, "fresh");
    let read = context(&env, "read", READ);
    let from = format!("type=local,src={}", dest.display());
    let (events, _) = build(&fresh, &read, &["--cache-from", &from]);
    let warned = events.iter().any(|e| {
        e["event"] == "warning"
            && e["message"].as_str().is_some_and(|m| {
                m.contains("cache mount pkgs from --cache-from not used") && m.contains("diff_id")
            })
    });
    assert!(warned, "the failed import is a warning: {events:?}");
    assert!(
        census(&events).starts_with("files=0 bytes=0 "),
        "the cache starts empty: {}",
        census(&events)
    );
}

/// A cache seeded `from=` a stage (its `/s`), which a RUN then adds a file
/// to; `seed` is what the stage writes, `run` the RUN's command.
fn seeded(seed: &str, run: &str) -> String {
    format!(
        "FROM busybox AS seed\n\
         RUN mkdir /s && echo {seed} > /s/seed.txt\n\
         FROM busybox\n\
         RUN --mount=type=cache,id=built,target=/c,from=seed,source=/s,sharing=locked {run}\n"
    )
}

const SEEDED_READ: &str = "echo \"files=$(cd /c && find . -type f | sort | tr '\\n' ' ')\"";

#[test]
fn a_cache_seeded_from_a_stage_travels_with_its_seed() {
    let env = Env::new();
    let dest = env.path("cache-oci");
    let to = format!(
        "type=local,dest={},cache-mounts=true,mode=max",
        dest.display()
    );
    let fill = context(&env, "fill", &seeded("v1", "echo out > /c/built.o"));
    let (_, stderr) = build(&env.store, &fill, &["--cache-to", &to]);
    assert!(
        stderr.contains("and 1 cache mounts to"),
        "the seeded cache is exported: {stderr}"
    );
    let from = format!("type=local,src={}", dest.display());

    // The same seed on a fresh store: the cache the export carried, not
    // a fresh copy of the seed.
    let fresh = fresh_store(&env, "fresh");
    let read = context(&env, "read", &seeded("v1", SEEDED_READ));
    let (events, _) = build(&fresh, &read, &["--cache-from", &from]);
    assert_eq!(census(&events), "files=./built.o ./seed.txt ");

    // Another seed is another cache: it starts from its own seed.
    let other = fresh_store(&env, "other");
    let read = context(&env, "read-v2", &seeded("v2", SEEDED_READ));
    let (events, _) = build(&other, &read, &["--cache-from", &from]);
    assert_eq!(census(&events), "files=./seed.txt ");
}
