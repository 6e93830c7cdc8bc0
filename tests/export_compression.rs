//! Layers are compressed when the image leaves the store, not while it
//! builds: a build keeps plain tars; `push` (oci:, oci-archive:, docker://),
//! `build --output` and `build --cache-to` compress them (gzip by default,
//! `--compression` to choose), once per layer; layers that came compressed
//! go out as they are. skopeo and umoci are the independent readers.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::cli::{ok, ok_trimmed, run, stderr, tool};
use support::env::Env;
use support::events::{fs_steps_run, json_lines};
use support::layout::unpack_layout;
use support::registry::TestRegistry;

const PLAIN: &str = "application/vnd.oci.image.layer.v1.tar";
const GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
const EPOCH: &str = "1700000000";

/// busybox, a COPY and a RUN: one base layer (imported gzip) and two
/// layers the build makes.
const DOCKERFILE: &str = "FROM busybox\nCOPY a.txt /a.txt\nRUN echo built > /b.txt\n";

fn context(env: &Env) -> PathBuf {
    let ctx = env.path("ctx");
    fs::create_dir_all(&ctx).expect("mkdir");
    fs::write(ctx.join("Dockerfile"), DOCKERFILE).expect("Dockerfile");
    // Some bulk, so the compressed layer is visibly smaller than the tar.
    let text: String = (0..20_000).map(|i| format!("line {i}\n")).collect();
    fs::write(ctx.join("a.txt"), text).expect("a.txt");
    ctx
}

/// The binary on `env`'s store, blind to the developer's docker logins.
fn strata(env: &Env) -> Command {
    let mut c = env.strata();
    c.env("DOCKER_CONFIG", env.path("no-docker-config"));
    c.env_remove("REGISTRY_AUTH_FILE");
    c
}

/// Builds the context as `app:1` with SOURCE_DATE_EPOCH and `extra` flags;
/// returns the image id the build printed.
fn build(env: &Env, extra: &[&str]) -> String {
    let ctx = context(env);
    ok_trimmed(
        strata(env)
            .env("SOURCE_DATE_EPOCH", EPOCH)
            .args(["build", "-q", "-t", "app:1"])
            .args(extra)
            .arg(&ctx),
    )
}

fn read_json(path: &Path) -> Value {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).expect("json")
}

fn hex(digest: &str) -> &str {
    digest.trim_start_matches("sha256:")
}

/// A manifest read from an OCI layout's blobs (the store is one too).
fn manifest(layout: &Path, digest: &str) -> Value {
    read_json(&layout.join("blobs/sha256").join(hex(digest)))
}

/// The digest of the manifest named `reference` in an OCI layout.
fn layout_digest(layout: &Path, reference: &str) -> String {
    let index = read_json(&layout.join("index.json"));
    index["manifests"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == reference)
        .and_then(|m| m["digest"].as_str())
        .unwrap_or_else(|| panic!("no {reference} in {index}"))
        .to_owned()
}

fn media_types(manifest: &Value) -> Vec<String> {
    layers(manifest, "mediaType")
}

fn layer_digests(manifest: &Value) -> Vec<String> {
    layers(manifest, "digest")
}

fn layers(manifest: &Value, field: &str) -> Vec<String> {
    manifest["layers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| l[field].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn diff_ids(env: &Env, image: &str) -> Vec<String> {
    support::store::diff_ids(&env.store, image)
}

/// `skopeo inspect --raw` of `reference`: the manifest's digest as skopeo
/// reads it, and the manifest.
fn skopeo_raw(reference: &str) -> (String, Value) {
    let raw = ok(tool("skopeo")
        .args(["inspect", "--tls-verify=false", "--raw"])
        .arg(reference));
    let digest = strata_store::Digest::of(raw.trim().as_bytes()).to_string();
    (digest, serde_json::from_str(&raw).expect("manifest json"))
}

fn push(env: &Env, image: &str, dest: &str, extra: &[&str]) -> (String, String) {
    let out = run(strata(env).arg("push").args(extra).arg(image).arg(dest));
    assert!(out.status.success(), "push {dest}: {}", stderr(&out));
    (
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        stderr(&out),
    )
}

#[test]
fn a_build_keeps_the_layers_it_makes_uncompressed_in_the_store() {
    let env = Env::new();
    let id = build(&env, &[]);
    let m = manifest(&env.store, &id);
    let types = media_types(&m);
    assert_eq!(types.len(), 3, "{m}");
    assert_eq!(types[0], GZIP, "the imported base stays as it came");
    assert_eq!(&types[1..], [PLAIN, PLAIN], "{m}");
    let diff_ids = diff_ids(&env, "app:1");
    assert_eq!(
        &layer_digests(&m)[1..],
        &diff_ids[1..],
        "a plain layer blob is its own diff_id"
    );
}

#[test]
fn push_to_an_oci_layout_compresses_with_gzip_by_default_and_zstd_on_request() {
    let env = Env::new();
    let id = build(&env, &[]);
    let local = manifest(&env.store, &id);

    let gz = env.path("gz-oci");
    let (pushed, said) = push(&env, "app:1", &format!("oci:{}:img", gz.display()), &[]);
    assert_eq!(
        pushed,
        layout_digest(&gz, "img"),
        "push prints what it wrote"
    );
    assert_ne!(pushed, id, "the layout's manifest lists other blobs");
    assert_eq!(said.matches("compressed sha256:").count(), 2, "{said}");
    let (seen, m) = skopeo_raw(&format!("oci:{}:img", gz.display()));
    assert_eq!(seen, pushed);
    assert_eq!(media_types(&m), [GZIP, GZIP, GZIP]);
    assert_eq!(
        layer_digests(&m)[0],
        layer_digests(&local)[0],
        "base unchanged"
    );
    assert_eq!(m["config"], local["config"], "the config is the same blob");
    let (rootfs, _) = unpack_layout(&gz, &env.path("gz-rootfs"));
    let copied = fs::read(rootfs.join("a.txt")).ok();
    assert!(
        copied.is_some() && copied == fs::read(env.path("ctx/a.txt")).ok(),
        "umoci unpacked the COPY"
    );
    assert_eq!(
        fs::read_to_string(rootfs.join("b.txt")).ok().as_deref(),
        Some("built\n"),
        "umoci unpacked the RUN"
    );

    let zst = env.path("zst-oci");
    let (pushed, _) = push(
        &env,
        "app:1",
        &format!("oci:{}:img", zst.display()),
        &["--compression", "zstd"],
    );
    let (seen, m) = skopeo_raw(&format!("oci:{}:img", zst.display()));
    assert_eq!(seen, pushed);
    assert_eq!(media_types(&m), [GZIP, ZSTD, ZSTD]);
    // umoci 0.4.7 reads no zstd: strata reads it back, checking every
    // blob digest and diff_id on the way.
    let back = env.path("back");
    ok(support::cli::strata(&back)
        .arg("pull")
        .arg(format!("oci:{}:img", zst.display()))
        .arg("app:zstd"));
    assert_eq!(
        support::store::diff_ids(&back, "app:zstd"),
        diff_ids(&env, "app:1")
    );

    let plain = env.path("plain-oci");
    let (pushed, said) = push(
        &env,
        "app:1",
        &format!("oci:{}:img", plain.display()),
        &["--compression", "none"],
    );
    assert_eq!(pushed, id, "nothing to compress: the store's own manifest");
    assert!(!said.contains("compressed"), "{said}");
}

#[test]
fn build_output_is_compressed_while_the_image_id_stays_the_local_manifest() {
    let env = Env::new();
    let archive = env.path("app.tar");
    let iid = env.path("iid");
    let id = build(
        &env,
        &[
            "--output",
            &format!("type=oci-archive,dest={}", archive.display()),
            "--iidfile",
            &iid.to_string_lossy(),
        ],
    );
    assert_eq!(fs::read_to_string(&iid).ok().as_deref(), Some(id.as_str()));
    assert_eq!(media_types(&manifest(&env.store, &id))[1..], [PLAIN, PLAIN]);
    let (seen, m) = skopeo_raw(&format!("oci-archive:{}:1", archive.display()));
    assert_ne!(seen, id);
    assert_eq!(media_types(&m), [GZIP, GZIP, GZIP]);

    let zst = env.path("zst");
    build(
        &env,
        &[
            "--compression",
            "zstd",
            "--output",
            &format!("type=oci,dest={}", zst.display()),
        ],
    );
    let (_, m) = skopeo_raw(&format!("oci:{}:1", zst.display()));
    assert_eq!(media_types(&m), [GZIP, ZSTD, ZSTD]);
}

#[test]
fn registry_push_compresses_with_gzip_by_default_and_zstd_on_request() {
    let env = Env::new();
    let reg = TestRegistry::start();
    build(&env, &[]);
    let layout = env.path("oci");
    let (in_layout, _) = push(&env, "app:1", &format!("oci:{}:img", layout.display()), &[]);

    let remote = format!("docker://{}/team/app:1", reg.host());
    let (pushed, said) = push(&env, "app:1", &remote, &[]);
    assert!(
        !said.contains("compressed"),
        "compressed once, by the first push: {said}"
    );
    let (seen, m) = skopeo_raw(&remote);
    assert_eq!(seen, pushed);
    assert_eq!(pushed, in_layout, "the same manifest as in the OCI layout");
    assert_eq!(media_types(&m), [GZIP, GZIP, GZIP]);

    let remote = format!("docker://{}/team/app:zstd", reg.host());
    let (pushed, _) = push(&env, "app:1", &remote, &["--compression", "zstd"]);
    let (seen, m) = skopeo_raw(&remote);
    assert_eq!(seen, pushed);
    assert_eq!(media_types(&m), [GZIP, ZSTD, ZSTD]);
}

#[test]
fn each_layer_is_compressed_once_while_an_image_uses_it() {
    let env = Env::new();
    build(&env, &[]);
    let first = env.path("first");
    let (digest, said) = push(&env, "app:1", &format!("oci:{}:img", first.display()), &[]);
    assert_eq!(said.matches("compressed sha256:").count(), 2, "{said}");
    let memos: Vec<PathBuf> = diff_ids(&env, "app:1")[1..]
        .iter()
        .map(|d| {
            env.store
                .join("cache/compressed")
                .join(format!("{}.json", hex(d)))
        })
        .collect();
    for memo in &memos {
        assert!(memo.is_file(), "{} remembers the gzip blob", memo.display());
    }

    let second = env.path("second");
    let (again, said) = push(
        &env,
        "app:1",
        &format!("oci-archive:{}", second.display()),
        &[],
    );
    assert_eq!(again, digest);
    assert!(
        !said.contains("compressed"),
        "nothing compressed again: {said}"
    );

    // The layers are still app:1's: gc keeps their compressed blobs and
    // memos, and the next push compresses nothing (the README's "once").
    ok(strata(&env).args(["system", "gc"]));
    for memo in &memos {
        assert!(memo.is_file(), "{} kept for a live layer", memo.display());
    }
    ok(strata(&env).args(["system", "fsck"]));
    let third = env.path("third");
    let (again, said) = push(&env, "app:1", &format!("oci:{}:img", third.display()), &[]);
    assert_eq!(again, digest);
    assert!(
        !said.contains("compressed"),
        "nothing compressed after gc: {said}"
    );

    // Once no image (and no cache record) uses the layers, gc takes the
    // compressed blobs and drops the memos that pointed at them.
    ok(strata(&env).args(["rmi", "app:1"]));
    ok(strata(&env).args(["cache", "prune", "--all"]));
    ok(strata(&env).args(["system", "gc"]));
    for memo in &memos {
        assert!(!memo.exists(), "{} dropped with its blob", memo.display());
    }
    ok(strata(&env).args(["system", "fsck"]));
}

#[test]
fn base_layers_pulled_from_a_registry_are_pushed_as_they_are() {
    let env = Env::new();
    let reg = TestRegistry::start();
    let base = format!("{}/base/busybox:1", reg.host());
    push(&env, "busybox:latest", &format!("docker://{base}"), &[]);
    let (_, registry_base) = skopeo_raw(&format!("docker://{base}"));

    // Another store pulls the base from the registry and builds on it.
    let other = Env {
        dir: tempfile::tempdir().expect("tempdir"),
        store: env.path("other-store"),
    };
    let ctx = context(&env);
    fs::write(
        ctx.join("Dockerfile"),
        DOCKERFILE.replace("FROM busybox", &format!("FROM {base}")),
    )
    .expect("Dockerfile");
    ok(strata(&other)
        .args(["build", "-q", "-t", "app:1"])
        .arg(&ctx));
    let remote = format!("docker://{}/team/app:1", reg.host());
    push(&other, "app:1", &remote, &["--compression", "zstd"]);
    let (_, m) = skopeo_raw(&remote);
    assert_eq!(
        layer_digests(&m)[0],
        layer_digests(&registry_base)[0],
        "the base layer keeps the registry's digest"
    );
    assert_eq!(media_types(&m), [GZIP, ZSTD, ZSTD]);
}

#[test]
fn reproducible_builds_in_two_stores_push_the_same_digests() {
    let a = Env::new();
    let b = Env::new();
    for compression in ["gzip", "zstd"] {
        let mut pushed = Vec::new();
        for env in [&a, &b] {
            build(env, &[]);
            let layout = env.path(&format!("{compression}-oci"));
            let (digest, _) = push(
                env,
                "app:1",
                &format!("oci:{}:img", layout.display()),
                &["--compression", compression],
            );
            pushed.push((
                digest,
                layer_digests(&manifest(&layout, &layout_digest(&layout, "img"))),
            ));
        }
        assert_eq!(pushed[0], pushed[1], "{compression}");
    }
}

#[test]
fn docker_archive_keeps_plain_layer_tars_whatever_the_compression() {
    let env = Env::new();
    let id = build(&env, &[]);
    let archive = env.path("app.docker.tar");
    let (pushed, said) = push(
        &env,
        "app:1",
        &format!("docker-archive:{}", archive.display()),
        &["--compression", "zstd"],
    );
    assert_eq!(pushed, id);
    assert!(!said.contains("compressed"), "{said}");
    let listing = ok(tool("tar").arg("-tf").arg(&archive));
    for d in diff_ids(&env, "app:1") {
        assert!(
            listing.contains(&format!("{}/layer.tar", hex(&d))),
            "{listing}"
        );
    }
    let back = env.path("back");
    ok(support::cli::strata(&back)
        .arg("pull")
        .arg(format!("docker-archive:{}", archive.display()))
        .arg("app:back"));
    assert_eq!(
        support::store::diff_ids(&back, "app:back"),
        diff_ids(&env, "app:1")
    );
}

#[test]
fn cache_export_sends_compressed_layers_and_an_import_rebuilds_the_same_image() {
    let env = Env::new();
    let cache = env.path("cache");
    let id = build(
        &env,
        &[
            "--cache-to",
            &format!("type=local,dest={}", cache.display()),
        ],
    );
    let index = read_json(&cache.join("index.json"));
    let artifact = index["manifests"][0]["digest"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let exported = manifest(&cache, &artifact);
    let types = media_types(&exported);
    assert_eq!(types, [GZIP, GZIP], "{exported}");

    let empty = Env {
        dir: tempfile::tempdir().expect("tempdir"),
        store: env.path("empty"),
    };
    let layout = env.path("busybox-oci");
    push(
        &env,
        "busybox:latest",
        &format!("oci:{}:img", layout.display()),
        &[],
    );
    ok(support::cli::strata(&empty.store)
        .arg("pull")
        .arg(format!("oci:{}:img", layout.display()))
        .arg("busybox:latest"));
    let iid = empty.path("iid");
    let out = ok(strata(&empty)
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .args(["build", "--progress", "json", "--iidfile"])
        .arg(&iid)
        .arg("--cache-from")
        .arg(format!("type=local,src={}", cache.display()))
        .arg(context(&empty)));
    let events = json_lines(out.as_bytes());
    assert_eq!(
        fs_steps_run(&events),
        vec![],
        "every step adopted: {events:?}"
    );
    let again = fs::read_to_string(&iid).expect("iidfile");
    assert_eq!(again, id, "the same image from the imported cache");
    let m = manifest(&empty.store, &again);
    assert_eq!(media_types(&m)[1..], [PLAIN, PLAIN], "kept uncompressed");
}
