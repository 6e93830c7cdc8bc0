//! Every path that unpacks a tar (ADD of a local archive, import, pull
//! from a registry, cache import) goes through one applier: entries,
//! symlinks met on the way and hardlink targets stay inside the root, and
//! `--max-layer-size` stops a decompression bomb. A refused tar leaves the
//! store clean (nothing in tmp/, `system fsck` passes) and nothing outside.

mod support;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;
use support::cli::*;
use support::hostile::*;
use support::registry::TestRegistry;
use support::store::count;
use tar::EntryType;

const FILE: EntryType = EntryType::Regular;

struct Case {
    dir: tempfile::TempDir,
    store: PathBuf,
    outside: PathBuf,
}

impl Case {
    fn new() -> Case {
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
        let outside = dir.path().join("outside");
        std::fs::create_dir(&outside).expect("mkdir");
        Case {
            store: dir.path().join("store"),
            outside,
            dir,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn outside_str(&self) -> String {
        self.outside.display().to_string()
    }

    /// `FROM scratch` + `ADD archive /` in a fresh context.
    fn build_add(&self, name: &str, archive: &[u8], extra: &[&str]) -> Output {
        let ctx = self.path(&format!("ctx-{name}"));
        std::fs::create_dir_all(&ctx).expect("mkdir");
        std::fs::write(ctx.join("evil.tar"), archive).expect("write");
        std::fs::write(ctx.join("Dockerfile"), "FROM scratch\nADD evil.tar /\n").expect("write");
        run(strata(&self.store)
            .args(["build", "--progress", "plain", "-t", name])
            .args(extra)
            .arg(&ctx))
    }

    /// The root filesystem of image `name`, unpacked from an OCI layout.
    fn rootfs(&self, name: &str) -> PathBuf {
        let layout = self.path(&format!("{name}-oci"));
        ok(strata(&self.store)
            .arg("push")
            .arg(name)
            .arg(format!("oci:{}:img", layout.display())));
        support::layout::unpack_layout(&layout, &self.path(&format!("{name}-rootfs"))).0
    }

    fn has_image(&self, name: &str) -> bool {
        ok(strata(&self.store).arg("images")).contains(name)
    }
}

/// Layers that try to leave the root, each with the words its refusal
/// names: the same set goes through import, pull and cache import.
fn escaping_layers(outside: &str) -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let abs_link = outside.as_bytes();
    vec![
        (
            "traversal",
            tar_of(&[(b"../escaped", FILE, b"x", None)]),
            "'..'",
        ),
        (
            "absolute",
            tar_of(&[(b"/escaped", FILE, b"x", None)]),
            "absolute path",
        ),
        (
            "write-through-absolute-symlink",
            tar_of(&[
                (b"abs", EntryType::Symlink, b"", Some(abs_link)),
                (b"abs/escaped", FILE, b"x", None),
            ]),
            "outside the layer root",
        ),
        (
            "write-through-relative-symlink",
            tar_of(&[
                (
                    b"up",
                    EntryType::Symlink,
                    b"",
                    Some(b"../../../../../../../.."),
                ),
                (b"up/escaped", FILE, b"x", None),
            ]),
            "outside the layer root",
        ),
        (
            "hardlink-traversal",
            tar_of(&[(b"hl", EntryType::Link, b"", Some(b"../../../etc/passwd"))]),
            "'..'",
        ),
        (
            "hardlink-through-symlink-to-etc",
            tar_of(&[
                (b"s", EntryType::Symlink, b"", Some(b"/etc")),
                (b"h", EntryType::Link, b"", Some(b"s/shadow")),
            ]),
            "outside the layer root",
        ),
    ]
}

#[test]
fn an_imported_tar_that_escapes_is_refused() {
    let case = Case::new();
    for (name, tar, expect) in escaping_layers(&case.outside_str()) {
        let path = case.path(&format!("{name}.tar"));
        std::fs::write(&path, &tar).expect("write");
        let out = run(strata(&case.store).arg("import").arg(&path).arg("evil"));
        assert_failed_with(&out, expect, name);
        assert_eq!(
            std::fs::read_dir(&case.outside).expect("ls").count(),
            0,
            "{name}"
        );
        assert!(!case.has_image("evil"), "{name}");
        assert_eq!(count(&case.store, "snapshots"), 0, "{name}");
        assert_store_clean(&case.store);
    }
}

fn assert_failed_with(out: &Output, expect: &str, what: &str) {
    let text = flat(&out.stderr);
    assert!(!out.status.success(), "{what}: succeeded\n{text}");
    assert!(
        text.contains(expect),
        "{what}: expected {expect:?} in {text}"
    );
}

#[test]
fn add_of_a_tar_hardlinking_through_a_symlink_to_etc_fails_without_touching_the_host() {
    let case = Case::new();
    let links_before = std::fs::symlink_metadata("/etc/shadow")
        .map(|m| m.nlink())
        .ok();
    let evil = tar_of(&[
        (b"s", EntryType::Symlink, b"", Some(b"/etc")),
        (b"h", EntryType::Link, b"", Some(b"s/shadow")),
    ]);
    let out = case.build_add("evil", &evil, &[]);
    // The link resolves as the container would see it: /etc/shadow of the
    // image (which has none), never the host's.
    assert_failed_with(
        &out,
        "hardlink target is missing",
        "ADD s -> /etc, h -> s/shadow",
    );
    assert!(flat(&out.stderr).contains("ADD"), "{}", flat(&out.stderr));
    let links_after = std::fs::symlink_metadata("/etc/shadow")
        .map(|m| m.nlink())
        .ok();
    assert_eq!(
        links_before, links_after,
        "the host's /etc/shadow got a new link"
    );
    assert!(!case.has_image("evil"));
    assert_store_clean(&case.store);
}

#[test]
fn add_refuses_escaping_paths_and_resolves_links_inside_the_image() {
    let case = Case::new();
    let outside = case.outside_str();
    let refused: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "traversal",
            tar_of(&[(b"../escaped", FILE, b"x", None)]),
            "'..'",
        ),
        (
            "absolute",
            tar_of(&[(b"/escaped", FILE, b"x", None)]),
            "absolute path",
        ),
        (
            "hardlink-traversal",
            tar_of(&[(b"hl", EntryType::Link, b"", Some(b"../../../etc/passwd"))]),
            "'..'",
        ),
        (
            "hardlink-via-relative-symlink",
            tar_of(&[
                (
                    b"up",
                    EntryType::Symlink,
                    b"",
                    Some(b"../../../../../../.."),
                ),
                (b"hl", EntryType::Link, b"", Some(b"up/etc/passwd")),
            ]),
            "hardlink target is missing",
        ),
    ];
    for (name, tar, expect) in refused {
        let out = case.build_add(name, &tar, &[]);
        assert_failed_with(&out, expect, name);
        assert!(!case.has_image(name), "{name}");
        assert_store_clean(&case.store);
    }

    // Symlinks leading out resolve inside the image, as Docker's and
    // BuildKit's ADD resolve them (the destination is the root): what is
    // written through them lands in the image, never in the host.
    let through = tar_of(&[
        (b"abs", EntryType::Symlink, b"", Some(outside.as_bytes())),
        (b"abs/escaped", FILE, b"abs", None),
        (
            b"up",
            EntryType::Symlink,
            b"",
            Some(b"../../../../../../.."),
        ),
        (b"up/escaped2", FILE, b"up", None),
        // A file entry over a symlink replaces the link, never writes
        // through it.
        (
            b"over",
            EntryType::Symlink,
            b"",
            Some(format!("{outside}/target").as_bytes()),
        ),
        (b"over", FILE, b"over", None),
        (b"hl", EntryType::Link, b"", Some(b"up/escaped2")),
    ]);
    let out = case.build_add("through", &through, &[]);
    assert!(out.status.success(), "{}", flat(&out.stderr));
    assert_eq!(
        std::fs::read_dir(&case.outside).expect("ls").count(),
        0,
        "wrote outside"
    );
    let root = case.rootfs("through");
    let inside = root.join(outside.trim_start_matches('/'));
    assert_eq!(
        std::fs::read_to_string(inside.join("escaped"))
            .ok()
            .as_deref(),
        Some("abs")
    );
    assert_eq!(
        std::fs::read_to_string(root.join("escaped2"))
            .ok()
            .as_deref(),
        Some("up")
    );
    let over = std::fs::symlink_metadata(root.join("over")).expect("over");
    assert!(over.is_file(), "the symlink was replaced by the file");
    assert_eq!(
        std::fs::read_to_string(root.join("hl")).ok().as_deref(),
        Some("up")
    );
    assert_store_clean(&case.store);
}

const BOMB: u64 = 50_000_000;

#[test]
fn a_decompression_bomb_stops_at_max_layer_size_in_add_and_import() {
    let case = Case::new();
    let bomb = gzip_bomb(BOMB);
    assert!(bomb.len() < 200_000, "the bomb is small: {}", bomb.len());

    let out = case.build_add("bomb", &bomb, &["--max-layer-size", "10MB"]);
    assert_failed_with(&out, "size limit of 10000000 bytes", "ADD bomb");
    assert!(
        flat(&out.stderr).contains("\"bomb\""),
        "{}",
        flat(&out.stderr)
    );
    assert!(!case.has_image("bomb"));
    assert_store_clean(&case.store);

    let tar = case.path("bomb.tar.gz");
    std::fs::write(&tar, &bomb).expect("write");
    let out = run(strata(&case.store)
        .args(["import", "--max-layer-size", "10MB"])
        .arg(&tar)
        .arg("bomb"));
    assert_failed_with(&out, "size limit of 10000000 bytes", "import bomb");
    assert!(
        flat(&out.stderr).contains("bomb.tar.gz"),
        "{}",
        flat(&out.stderr)
    );
    assert!(!case.has_image("bomb"));
    assert_eq!(count(&case.store, "snapshots"), 0);
    assert_store_clean(&case.store);

    // Under the limit, the same archive is fine.
    let out = run(strata(&case.store)
        .args(["import", "--max-layer-size", "60MB"])
        .arg(&tar)
        .arg("bomb"));
    assert!(out.status.success(), "{}", flat(&out.stderr));
}

/// Puts a one-layer image holding `layer` (gzip) into `repo:latest`.
fn push_raw_image(host: &str, repo: &str, layer_tar: &[u8]) {
    use strata_store::registry::{ClientOptions, RegistryClient};
    let client = RegistryClient::new(host, &ClientOptions::default());
    let gz = {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(layer_tar).expect("gzip");
        e.finish().expect("gzip")
    };
    push_image_blobs(&client, repo, &gz, &digest_of(layer_tar));
}

fn push_image_blobs(
    client: &strata_store::registry::RegistryClient,
    repo: &str,
    layer: &[u8],
    diff_id: &str,
) {
    use strata_store::registry::{ManifestKind, Target};
    let push = |bytes: &[u8]| -> String {
        let d = strata_store::Digest::of(bytes);
        client
            .push_blob(repo, &d, bytes.len() as u64, &mut &bytes[..], None)
            .expect("push blob");
        d.to_string()
    };
    let layer_digest = push(layer);
    let config = serde_json::json!({
        "architecture": strata_host_arch(), "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    })
    .to_string();
    let config_digest = push(config.as_bytes());
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": layer.len()}],
    })
    .to_string();
    client
        .put_manifest(
            repo,
            &Target::Tag("latest".into()),
            ManifestKind::OciManifest,
            manifest.as_bytes(),
        )
        .expect("put manifest");
}

fn strata_host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

#[test]
fn a_pulled_image_with_an_escaping_layer_or_a_bomb_is_refused() {
    let case = Case::new();
    let registry = TestRegistry::start();
    let host = registry.host();
    for (name, tar, expect) in escaping_layers(&case.outside_str()) {
        let repo = format!("evil/{name}");
        push_raw_image(&host, &repo, &tar);
        let out = run(strata(&case.store)
            .arg("pull")
            .arg(format!("docker://{host}/{repo}:latest"))
            .arg("evil"));
        assert_failed_with(&out, expect, name);
        assert_eq!(
            std::fs::read_dir(&case.outside).expect("ls").count(),
            0,
            "{name}"
        );
        assert!(!case.has_image("evil"), "{name}");
        assert_eq!(count(&case.store, "snapshots"), 0, "{name}");
        assert_store_clean(&case.store);
    }

    // The bomb: a compressed blob of a few kilobytes.
    let bomb = gzip_bomb(BOMB);
    let client = strata_store::registry::RegistryClient::new(
        &host,
        &strata_store::registry::ClientOptions::default(),
    );
    let diff_id = {
        let mut d = flate2::read::GzDecoder::new(&bomb[..]);
        let mut raw = Vec::new();
        std::io::Read::read_to_end(&mut d, &mut raw).expect("gunzip");
        digest_of(&raw)
    };
    push_image_blobs(&client, "evil/bomb", &bomb, &diff_id);
    let out = run(strata(&case.store)
        .args(["pull", "--max-layer-size", "10MB"])
        .arg(format!("docker://{host}/evil/bomb:latest"))
        .arg("bomb"));
    assert_failed_with(&out, "size limit of 10000000 bytes", "pull bomb");
    assert!(
        flat(&out.stderr).contains(&diff_id),
        "{}",
        flat(&out.stderr)
    );
    assert!(!case.has_image("bomb"));
    assert_eq!(count(&case.store, "snapshots"), 0);
    assert_store_clean(&case.store);
}

/// Replaces, everywhere in `v`, the descriptor of `old` with `new` (of
/// `size` bytes) and any string equal to `old` with `new`.
fn swap_digest(v: &mut Value, old: &str, new: &str, size: u64) {
    match v {
        Value::String(s) if s == old => *s = new.to_string(),
        Value::Object(map) => {
            if map.get("digest").and_then(Value::as_str) == Some(old) && map.contains_key("size") {
                map.insert("size".into(), size.into());
            }
            for (_, child) in map.iter_mut() {
                swap_digest(child, old, new, size);
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|i| swap_digest(i, old, new, size)),
        _ => {}
    }
}

fn blob(layout: &Path, digest: &str) -> PathBuf {
    layout
        .join("blobs/sha256")
        .join(digest.trim_start_matches("sha256:"))
}

/// Rewrites JSON blob `digest` of `layout` with `edit`; returns its new digest.
fn rewrite_json(layout: &Path, digest: &str, edit: impl FnOnce(&mut Value)) -> (String, u64) {
    let mut v: Value =
        serde_json::from_slice(&std::fs::read(blob(layout, digest)).expect("read")).expect("json");
    edit(&mut v);
    let bytes = serde_json::to_vec(&v).expect("json");
    let new = digest_of(&bytes);
    std::fs::write(blob(layout, &new), &bytes).expect("write");
    (new, bytes.len() as u64)
}

/// Swaps the exported cache's (only) layer for `tar` (uncompressed, so
/// digest and diff_id are one), with every digest above it made to agree:
/// only the layer's content is hostile.
fn tamper_cache_layer(layout: &Path, tar: &[u8]) {
    let index_path = layout.join("index.json");
    let mut index: Value =
        serde_json::from_slice(&std::fs::read(&index_path).expect("index")).expect("json");
    let manifest_digest = index["manifests"][0]["digest"]
        .as_str()
        .expect("manifest")
        .to_string();
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(blob(layout, &manifest_digest)).expect("read"))
            .expect("json");
    let old_layer = manifest["layers"][0]["digest"]
        .as_str()
        .expect("layer")
        .to_string();
    let config_digest = manifest["config"]["digest"]
        .as_str()
        .expect("config")
        .to_string();
    let new_layer = digest_of(tar);
    std::fs::write(blob(layout, &new_layer), tar).expect("write");
    let size = tar.len() as u64;
    let (new_config, config_size) = rewrite_json(layout, &config_digest, |c| {
        swap_digest(c, &old_layer, &new_layer, size)
    });
    let (new_manifest, manifest_size) = rewrite_json(layout, &manifest_digest, |m| {
        swap_digest(m, &old_layer, &new_layer, size);
        swap_digest(m, &config_digest, &new_config, config_size);
    });
    swap_digest(&mut index, &manifest_digest, &new_manifest, manifest_size);
    std::fs::write(&index_path, serde_json::to_vec(&index).expect("json")).expect("write");
}

#[test]
fn a_cache_import_with_an_escaping_layer_or_a_bomb_is_not_used() {
    let case = Case::new();
    let context = |name: &str, size: usize| -> PathBuf {
        let ctx = case.path(name);
        std::fs::create_dir_all(&ctx).expect("mkdir");
        std::fs::write(ctx.join("data"), vec![7u8; size]).expect("write");
        std::fs::write(ctx.join("Dockerfile"), "FROM scratch\nCOPY data /data\n").expect("write");
        ctx
    };
    let export = |ctx: &Path, name: &str| -> PathBuf {
        let dest = case.path(name);
        ok(strata(&case.path("exporter"))
            .args(["build", "--progress", "plain", "--compression", "none"])
            .arg("--cache-to")
            .arg(format!("type=local,dest={},mode=max", dest.display()))
            .arg(ctx));
        dest
    };
    let import = |ctx: &Path, store: &Path, src: &Path, extra: &[&str]| -> String {
        let out = run(strata(store)
            .args(["build", "--progress", "plain"])
            .args(extra)
            .arg("--cache-from")
            .arg(format!("type=local,src={}", src.display()))
            .arg(ctx));
        assert!(out.status.success(), "{}", flat(&out.stderr));
        format!("{} {}", flat(&out.stdout), flat(&out.stderr))
    };

    // Sanity: an untouched export is used.
    let big = context("big", 12_000_000);
    let good = export(&big, "good");
    let text = import(&big, &case.path("fresh"), &good, &[]);
    assert!(!text.contains("imported cache record"), "{text}");

    // Past the limit given: the record is not used (a warning), the step
    // runs instead, nothing half-unpacked stays.
    let bomb_store = case.path("bomb-store");
    let text = import(&big, &bomb_store, &good, &["--max-layer-size", "10MB"]);
    assert!(text.contains("size limit of 10000000 bytes"), "{text}");
    assert_store_clean(&bomb_store);

    // Each escaping layer in place of the record's: the record is not
    // used, the step runs, nothing is written outside.
    let small = context("small", 10);
    let clean = export(&small, "clean");
    for (name, tar, expect) in escaping_layers(&case.outside_str()) {
        let evil = case.path(&format!("evil-{name}"));
        support::tree::copy_tree(&clean, &evil);
        tamper_cache_layer(&evil, &tar);
        let evil_store = case.path(&format!("store-{name}"));
        let text = import(&small, &evil_store, &evil, &[]);
        assert!(text.contains(expect), "{name}: {text}");
        let written = std::fs::read_dir(&case.outside).expect("ls").count();
        assert_eq!(written, 0, "{name}");
        assert_store_clean(&evil_store);
    }
}

#[test]
fn add_keeps_the_archive_owners_unless_chown_replaces_them_as_buildkit_does() {
    let case = Case::new();
    let mut owned = header(b"f", FILE, 1, None);
    owned.set_uid(5);
    owned.set_gid(6);
    owned.set_cksum();
    let mut b = tar::Builder::new(Vec::new());
    b.append(&owned, &b"x"[..]).expect("append");
    let tar = b.into_inner().expect("tar");

    let out = case.build_add("owned", &tar, &[]);
    assert!(out.status.success(), "{}", flat(&out.stderr));
    let f = std::fs::symlink_metadata(case.rootfs("owned").join("f")).expect("f");
    assert_eq!((f.uid(), f.gid()), (5, 6));

    let ctx = case.path("ctx-chown");
    std::fs::create_dir_all(&ctx).expect("mkdir");
    std::fs::write(ctx.join("evil.tar"), &tar).expect("write");
    std::fs::write(
        ctx.join("Dockerfile"),
        "FROM scratch\nADD --chown=7:8 evil.tar /\n",
    )
    .expect("write");
    ok(strata(&case.store)
        .args(["build", "--progress", "plain", "-t", "chowned"])
        .arg(&ctx));
    let f = std::fs::symlink_metadata(case.rootfs("chowned").join("f")).expect("f");
    assert_eq!((f.uid(), f.gid()), (7, 8));
}

#[test]
fn an_archive_directory_over_an_image_directory_takes_the_archive_metadata() {
    use std::os::unix::fs::PermissionsExt;
    let case = Case::new();
    let ctx = case.path("ctx-dir");
    std::fs::create_dir_all(ctx.join("opt")).expect("mkdir");
    std::fs::write(ctx.join("opt/kept"), "k").expect("write");
    std::fs::set_permissions(ctx.join("opt"), std::fs::Permissions::from_mode(0o755))
        .expect("chmod");
    let mut dir = header(b"opt/", EntryType::Directory, 0, None);
    dir.set_mode(0o700);
    dir.set_uid(3);
    dir.set_gid(4);
    dir.set_cksum();
    let mut b = tar::Builder::new(Vec::new());
    b.append(&dir, &[][..]).expect("append");
    b.append(&header(b"opt/new", FILE, 1, None), &b"n"[..])
        .expect("append");
    std::fs::write(ctx.join("meta.tar"), b.into_inner().expect("tar")).expect("write");
    std::fs::write(
        ctx.join("Dockerfile"),
        "FROM scratch\nCOPY opt /opt\nADD meta.tar /\n",
    )
    .expect("write");
    ok(strata(&case.store)
        .args(["build", "--progress", "plain", "-t", "meta"])
        .arg(&ctx));
    let root = case.rootfs("meta");
    let opt = std::fs::symlink_metadata(root.join("opt")).expect("opt");
    assert_eq!((opt.mode() & 0o7777, opt.uid(), opt.gid()), (0o700, 3, 4));
    assert!(root.join("opt/kept").is_file(), "merged with the image's");
    assert!(root.join("opt/new").is_file());
}
