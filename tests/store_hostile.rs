//! Hostile layer tars are refused with a clear error, write nothing outside
//! the store, and leave the store clean: no name, no snapshot, nothing in
//! tmp/, and `system fsck` passes.

mod support;

use std::io::Write;
use std::path::Path;

use support::cli::*;
use support::hostile::{header, tar_of};
use support::store::*;
use tar::EntryType;

fn assert_refused_and_clean(store: &Path, tar_path: &Path, expect: &str, outside: &Path) {
    let out = run(strata(store).arg("import").arg(tar_path).arg("hostile"));
    let stderr = flat(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}: {stderr}",
        tar_path.display()
    );
    assert!(
        stderr.contains(expect),
        "{}: expected {expect:?} in {stderr}",
        tar_path.display()
    );
    assert!(
        !outside.join("escaped").exists(),
        "{}: wrote outside",
        tar_path.display()
    );
    assert!(!ok_trimmed(strata(store).arg("images")).contains("hostile"));
    assert_eq!(count(store, "snapshots"), 0, "{}", tar_path.display());
    assert_eq!(
        count(store, "tmp"),
        0,
        "{}: tmp/ not cleaned",
        tar_path.display()
    );
    ok_trimmed(strata(store).args(["system", "fsck"]));
}

#[test]
fn hostile_rootfs_tars_are_refused_and_leave_the_store_clean() {
    let t = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let outside = t.path().join("outside");
    std::fs::create_dir(&outside).expect("mkdir");
    let outside_abs = outside.display().to_string();
    let store = t.path().join("store");
    let file = EntryType::Regular;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "traversal",
            tar_of(&[(b"../escaped", file, b"x", None)]),
            "'..'",
        ),
        (
            "deep-traversal",
            tar_of(&[(b"a/../../escaped", file, b"x", None)]),
            "'..'",
        ),
        (
            "absolute",
            tar_of(&[(b"/escaped", file, b"x", None)]),
            "absolute path",
        ),
        (
            "symlink-relative",
            tar_of(&[
                (
                    b"up",
                    EntryType::Symlink,
                    b"",
                    Some(b"../../../../../../../.."),
                ),
                (b"up/escaped", file, b"x", None),
            ]),
            "outside the layer root",
        ),
        (
            "symlink-absolute",
            tar_of(&[
                (
                    b"abs",
                    EntryType::Symlink,
                    b"",
                    Some(outside_abs.as_bytes()),
                ),
                (b"abs/escaped", file, b"x", None),
            ]),
            "outside the layer root",
        ),
        (
            "hardlink",
            tar_of(&[(b"hl", EntryType::Link, b"", Some(b"../../../etc/passwd"))]),
            "'..'",
        ),
    ];
    for (name, bytes, expect) in cases {
        let path = t.path().join(format!("{name}.tar"));
        std::fs::write(&path, bytes).expect("write tar");
        assert_refused_and_clean(&store, &path, expect, &outside);
    }

    // A header claiming a terabyte-sized file.
    let mut absurd = header(b"huge", file, 1 << 42, None).as_bytes().to_vec();
    absurd.extend_from_slice(&[0u8; 4096]);
    let path = t.path().join("absurd.tar");
    std::fs::write(&path, absurd).expect("write");
    assert_refused_and_clean(&store, &path, "absurd size", &outside);

    // A file whose data stops early.
    let mut short = header(b"short", file, 100_000, None).as_bytes().to_vec();
    short.extend_from_slice(&[7u8; 1000]);
    let path = t.path().join("short.tar");
    std::fs::write(&path, short).expect("write");
    assert_refused_and_clean(&store, &path, "truncated", &outside);

    // A tar cut at a block boundary: no end-of-archive marker.
    let whole = tar_of(&[(b"first", file, b"1", None), (b"second", file, b"2", None)]);
    let path = t.path().join("cut.tar");
    std::fs::write(&path, &whole[..1024]).expect("write");
    assert_refused_and_clean(&store, &path, "end-of-archive marker", &outside);

    // A gzip stream cut in half.
    let big: Vec<u8> = (0..200_000u32)
        .flat_map(|i| i.wrapping_mul(2_654_435_761).to_le_bytes())
        .collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar_of(&[(b"data", file, &big, None)]))
        .expect("gzip");
    let gz = gz.finish().expect("gzip");
    let path = t.path().join("truncated.tar.gz");
    std::fs::write(&path, &gz[..gz.len() / 2]).expect("write");
    assert_refused_and_clean(&store, &path, "corrupt or truncated", &outside);
}

#[test]
fn a_hostile_layer_in_a_pulled_image_is_refused_before_anything_is_named() {
    let t = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let outside = t.path().join("outside");
    std::fs::create_dir(&outside).expect("mkdir");
    let layer = tar_of(&[
        (
            b"abs",
            EntryType::Symlink,
            b"",
            Some(outside.display().to_string().as_bytes()),
        ),
        (b"abs/escaped", EntryType::Regular, b"x", None),
    ]);
    // A hand-made OCI layout whose digests all check out.
    let layout = t.path().join("layout");
    std::fs::create_dir_all(layout.join("blobs/sha256")).expect("mkdir");
    let put = |bytes: &[u8]| -> String {
        let hex = sha256_hex(bytes);
        std::fs::write(layout.join("blobs/sha256").join(&hex), bytes).expect("blob");
        format!("sha256:{hex}")
    };
    let layer_digest = put(&layer);
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
    })
    .to_string();
    let config_digest = put(config.as_bytes());
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": layer.len()}],
    })
    .to_string();
    let manifest_digest = put(manifest.as_bytes());
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest_digest,
                       "size": manifest.len(), "annotations": {"org.opencontainers.image.ref.name": "evil"}}],
    });
    std::fs::write(layout.join("index.json"), index.to_string()).expect("index");
    std::fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .expect("oci-layout");

    let store = t.path().join("store");
    let out = run(strata(&store)
        .arg("pull")
        .arg(format!("oci:{}:evil", layout.display())));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        flat(&out.stderr).contains("outside the layer root"),
        "{}",
        flat(&out.stderr)
    );
    assert!(!outside.join("escaped").exists());
    assert_eq!(count(&store, "snapshots"), 0);
    assert_eq!(count(&store, "tmp"), 0);
    assert!(
        !store
            .join("blobs/sha256")
            .join(layer_digest.trim_start_matches("sha256:"))
            .exists()
    );
    assert!(!ok_trimmed(strata(&store).arg("images")).contains("evil"));
    ok_trimmed(strata(&store).args(["system", "fsck"]));
}

/// The error text with the report's line wrapping and frame undone.
fn flat(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .split_whitespace()
        .filter(|w| *w != "│" && *w != "×")
        .collect::<Vec<_>>()
        .join(" ")
}

fn sha256_hex(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("b");
    std::fs::write(&p, bytes).expect("write");
    ok_trimmed(tool("sha256sum").arg(&p))
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_layout_with_a_tampered_layer_blob_is_refused() {
    let t = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let rootfs = t.path().join("rootfs");
    std::fs::create_dir_all(rootfs.join("etc")).expect("mkdir");
    std::fs::write(rootfs.join("etc/motd"), "hello").expect("write");
    let src = t.path().join("src");
    ok_trimmed(
        strata(&src)
            .args(["import", "--compression", "none"])
            .arg(&rootfs)
            .arg("t"),
    );
    let layout = t.path().join("layout");
    ok_trimmed(
        strata(&src)
            // Kept plain, so the test can find and change a file's bytes.
            .args(["push", "--compression", "none", "t"])
            .arg(format!("oci:{}:t", layout.display())),
    );
    let layer = inspect(&src, "t")["Manifest"]["layers"][0]["digest"]
        .as_str()
        .unwrap_or_default()
        .trim_start_matches("sha256:")
        .to_owned();
    let blob = layout.join("blobs/sha256").join(&layer);
    let mut bytes = std::fs::read(&blob).expect("read");
    let at = bytes
        .windows(5)
        .position(|w| w == b"hello")
        .expect("content in tar");
    bytes[at] = b'j';
    std::fs::write(&blob, bytes).expect("tamper");

    let store = t.path().join("store");
    let out = run(strata(&store)
        .arg("pull")
        .arg(format!("oci:{}:t", layout.display())));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        flat(&out.stderr).contains("does not match"),
        "{}",
        flat(&out.stderr)
    );
    assert_eq!(count(&store, "snapshots"), 0);
    assert_eq!(count(&store, "tmp"), 0);
    assert!(!store.join("blobs/sha256").join(&layer).exists());
    ok_trimmed(strata(&store).args(["system", "fsck"]));
}
