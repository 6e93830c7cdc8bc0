//! oci-archive and docker-archive round trips, with every layer
//! compression, checked against skopeo as the independent reader.

mod support;

use std::path::Path;

use support::busybox::*;
use support::cli::*;
use support::store::*;
use support::tree::*;

fn import_with(store: &Path, rootfs: &Path, name: &str, compression: &str) -> String {
    ok_trimmed(
        strata(store)
            .arg("import")
            .arg(rootfs)
            .arg(name)
            .args(["--compression", compression]),
    )
}

fn layer_media_type(store: &Path, image: &str) -> String {
    inspect(store, image)["Manifest"]["layers"][0]["mediaType"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn oci_archive_round_trips_keep_the_manifest_digest_for_every_compression() {
    let t = tempfile::tempdir().expect("tempdir");
    let rootfs = busybox_rootfs(t.path(), &MINIMAL);
    for (compression, media) in [
        ("gzip", "application/vnd.oci.image.layer.v1.tar+gzip"),
        ("zstd", "application/vnd.oci.image.layer.v1.tar+zstd"),
        ("none", "application/vnd.oci.image.layer.v1.tar"),
    ] {
        let store = t.path().join(format!("store-{compression}"));
        let digest = import_with(&store, &rootfs, "app:1", compression);
        assert_eq!(layer_media_type(&store, "app:1"), media);

        let archive = t.path().join(format!("app-{compression}.tar"));
        // The same compression out as in: nothing to compress on the way.
        ok_trimmed(
            strata(&store)
                .args(["push", "--compression", compression, "app:1"])
                .arg(format!("oci-archive:{}:v1", archive.display())),
        );
        // skopeo reads what we wrote and sees the same manifest.
        let seen = ok_trimmed(
            tool("skopeo")
                .args(["inspect", "--raw"])
                .arg(format!("oci-archive:{}:v1", archive.display())),
        );
        let seen_digest = format!("sha256:{}", sha256_hex(seen.as_bytes()));
        assert_eq!(seen_digest, digest, "{compression}");

        let back = t.path().join(format!("back-{compression}"));
        let pulled = ok_trimmed(
            strata(&back)
                .arg("pull")
                .arg(format!("oci-archive:{}:v1", archive.display()))
                .arg("app:1"),
        );
        assert_eq!(pulled, digest, "{compression}");
        ok_trimmed(strata(&back).args(["system", "fsck"]));

        // Pulling unpacked the layer into its snapshot: the same tree.
        let diff_id = diff_ids(&back, "app:1").remove(0);
        let snapshot = back
            .join("snapshots")
            .join(format!("layer-{}", diff_id.trim_start_matches("sha256:")));
        assert_same_tree(&rootfs, &snapshot.join("fs"));
        if compression != "zstd" {
            // umoci 0.4.7 reads no zstd layers.
            let unpacked = t.path().join(format!("unpacked-{compression}"));
            ok_trimmed(
                tool("umoci")
                    .args(["raw", "unpack", "--image"])
                    .arg(format!("{}:docker.io/library/app:1", back.display()))
                    .arg(&unpacked),
            );
            assert_same_tree(&rootfs, &unpacked);
        }
    }
}

#[test]
fn docker_archive_round_trips_keep_config_and_diff_ids_for_every_compression() {
    let t = tempfile::tempdir().expect("tempdir");
    let rootfs = busybox_rootfs(t.path(), &MINIMAL);
    for compression in ["gzip", "zstd", "none"] {
        let store = t.path().join(format!("store-{compression}"));
        import_with(&store, &rootfs, "app:2", compression);
        let before = inspect(&store, "app:2");

        let archive = t.path().join(format!("app-{compression}.docker.tar"));
        ok_trimmed(
            strata(&store)
                .args(["push", "app:2"])
                .arg(format!("docker-archive:{}", archive.display())),
        );
        // skopeo reads the archive and finds our name in it.
        let seen: serde_json::Value = serde_json::from_str(&ok_trimmed(
            tool("skopeo")
                .arg("inspect")
                .arg(format!("docker-archive:{}", archive.display())),
        ))
        .expect("skopeo json");
        assert_eq!(seen["Layers"].as_array().map(Vec::len), Some(1), "{seen}");

        // Pulled without a name, it comes back under its RepoTag.
        let back = t.path().join(format!("back-{compression}"));
        ok_trimmed(
            strata(&back)
                .arg("pull")
                .arg(format!("docker-archive:{}", archive.display())),
        );
        let after = inspect(&back, "app:2");
        assert_eq!(
            after["Id"], before["Id"],
            "{compression}: config digest (image id)"
        );
        assert_eq!(after["RootFS"], before["RootFS"], "{compression}: diff_ids");
        ok_trimmed(strata(&back).args(["system", "fsck"]));

        // And it exports again to a layout umoci unpacks to the same tree.
        // docker archives hold uncompressed layers, which umoci reads.
        let layout = t.path().join(format!("layout-{compression}"));
        ok_trimmed(
            strata(&back)
                .args(["push", "app:2"])
                .arg(format!("oci:{}:x", layout.display())),
        );
        let unpacked = t.path().join(format!("unpacked-{compression}"));
        ok_trimmed(
            tool("umoci")
                .args(["raw", "unpack", "--image"])
                .arg(format!("{}:x", layout.display()))
                .arg(&unpacked),
        );
        assert_same_tree(&rootfs, &unpacked);
    }
}

#[test]
fn skopeo_made_docker_archive_is_pulled() {
    let t = tempfile::tempdir().expect("tempdir");
    let rootfs = busybox_rootfs(t.path(), &MINIMAL);
    let store = t.path().join("store");
    import_with(&store, &rootfs, "app:3", "gzip");
    let archive = t.path().join("skopeo.tar");
    ok_trimmed(
        tool("skopeo")
            .arg("copy")
            .arg(format!("oci:{}:docker.io/library/app:3", store.display()))
            .arg(format!("docker-archive:{}:foo/bar:9", archive.display())),
    );
    let back = t.path().join("back");
    ok_trimmed(
        strata(&back)
            .arg("pull")
            .arg(format!("docker-archive:{}", archive.display())),
    );
    assert_eq!(diff_ids(&back, "foo/bar:9"), diff_ids(&store, "app:3"));
}

fn sha256_hex(bytes: &[u8]) -> String {
    let mut child = std::process::Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("sha256sum");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(bytes)
        .expect("write");
    let out = child.wait_with_output().expect("sha256sum output");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_multi_platform_index_in_a_layout_resolves_to_the_host_platform() {
    let t = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let rootfs = t.path().join("rootfs");
    std::fs::create_dir_all(rootfs.join("etc")).expect("mkdir");
    std::fs::write(rootfs.join("etc/arch"), "host").expect("write");
    let store = t.path().join("store");
    let digest = import_with(&store, &rootfs, "multi", "gzip");
    let layout = t.path().join("layout");
    ok_trimmed(
        strata(&store)
            .args(["push", "multi"])
            .arg(format!("oci:{}:plain", layout.display())),
    );

    // Wrap the manifest in an image index next to a foreign-platform entry.
    let manifest_size = std::fs::metadata(
        layout
            .join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:")),
    )
    .expect("manifest blob")
    .len();
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    let foreign = if arch == "s390x" { "ppc64le" } else { "s390x" };
    let nested = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": format!("sha256:{}", "0".repeat(64)),
             "size": 1, "platform": {"architecture": foreign, "os": "linux"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest, "size": manifest_size,
             "platform": {"architecture": arch, "os": "linux"}},
        ],
    })
    .to_string();
    let nested_hex = sha256_hex(nested.as_bytes());
    std::fs::write(layout.join("blobs/sha256").join(&nested_hex), &nested).expect("index blob");
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json", "digest": format!("sha256:{nested_hex}"),
                       "size": nested.len(), "annotations": {"org.opencontainers.image.ref.name": "multi"}}],
    });
    std::fs::write(layout.join("index.json"), index.to_string()).expect("index.json");

    let back = t.path().join("back");
    let pulled = ok_trimmed(
        strata(&back)
            .arg("pull")
            .arg(format!("oci:{}:multi", layout.display()))
            .arg("m"),
    );
    assert_eq!(pulled, digest);
}
