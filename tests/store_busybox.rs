//! A busybox root filesystem goes into the store and out to OCI layouts
//! that umoci and skopeo read, and comes back with the same digests.

mod store_support;

use store_support::*;

#[test]
fn imported_busybox_pushed_to_oci_unpacks_with_umoci_to_the_same_tree() {
    let t = tempfile::tempdir().expect("tempdir");
    let rootfs = busybox_rootfs(t.path());
    let store = t.path().join("store");
    let digest = ok(strata(&store).arg("import").arg(&rootfs).arg("busybox"));
    assert!(digest.starts_with("sha256:"), "{digest}");

    let images = ok(strata(&store).arg("images"));
    assert!(
        images.contains("busybox") && images.contains("latest"),
        "{images}"
    );

    let layout = t.path().join("layout");
    ok(strata(&store)
        .args(["push", "busybox"])
        .arg(format!("oci:{}:v1", layout.display())));
    let unpacked = t.path().join("unpacked");
    ok(tool("umoci")
        .args(["raw", "unpack", "--image"])
        .arg(format!("{}:v1", layout.display()))
        .arg(&unpacked));
    assert_same_tree(&rootfs, &unpacked);
    // The store root is itself a layout umoci reads.
    let direct = t.path().join("direct");
    ok(tool("umoci")
        .args(["raw", "unpack", "--image"])
        .arg(format!(
            "{}:docker.io/library/busybox:latest",
            store.display()
        ))
        .arg(&direct));
    assert_same_tree(&rootfs, &direct);
}

#[test]
fn skopeo_copies_from_the_store_root_and_pull_brings_back_the_same_manifest() {
    let t = tempfile::tempdir().expect("tempdir");
    let rootfs = busybox_rootfs(t.path());
    let store = t.path().join("store");
    let digest = ok(strata(&store).arg("import").arg(&rootfs).arg("bb:1"));

    let other = t.path().join("other");
    ok(tool("skopeo")
        .arg("copy")
        .arg(format!("oci:{}:docker.io/library/bb:1", store.display()))
        .arg(format!("oci:{}:bb", other.display())));

    let store2 = t.path().join("store2");
    let pulled = ok(strata(&store2)
        .arg("pull")
        .arg(format!("oci:{}:bb", other.display()))
        .arg("copy:back"));
    assert_eq!(pulled, digest);
    assert_eq!(inspect(&store2, "copy:back")["Digest"], digest.as_str());
    ok(strata(&store2).args(["system", "fsck"]));

    // skopeo's oci-archive, too; without NAME the image is named by REF.
    let archive = t.path().join("skopeo.tar");
    ok(tool("skopeo")
        .arg("copy")
        .arg(format!("oci:{}:docker.io/library/bb:1", store.display()))
        .arg(format!("oci-archive:{}:sk", archive.display())));
    let from_archive = ok(strata(&store2)
        .arg("pull")
        .arg(format!("oci-archive:{}:sk", archive.display())));
    assert_eq!(from_archive, digest);
    assert_eq!(inspect(&store2, "sk")["Digest"], digest.as_str());

    // Without REF or NAME, the layout's only image keeps its ref.name.
    let store3 = t.path().join("store3");
    ok(strata(&store3)
        .arg("pull")
        .arg(format!("oci:{}", other.display())));
    assert_eq!(inspect(&store3, "bb")["Digest"], digest.as_str());
}

#[test]
fn same_tree_and_source_date_epoch_give_the_same_image_digest() {
    let t = tempfile::tempdir().expect("tempdir");
    let rootfs = busybox_rootfs(t.path());
    let a = ok(strata(&t.path().join("s1"))
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .arg("import")
        .arg(&rootfs)
        .arg("x"));
    let b = ok(strata(&t.path().join("s2"))
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .arg("import")
        .arg(&rootfs)
        .arg("x"));
    assert_eq!(a, b);
}

#[test]
fn a_rootfs_tarball_imports_like_its_directory() {
    let t = tempfile::tempdir().expect("tempdir");
    let rootfs = busybox_rootfs(t.path());
    let tarball = t.path().join("rootfs.tar.gz");
    ok(tool("tar")
        .arg("-C")
        .arg(&rootfs)
        .arg("-czf")
        .arg(&tarball)
        .arg("."));
    let store = t.path().join("store");
    ok(strata(&store).arg("import").arg(&tarball).arg("fromtar"));
    ok(strata(&store).arg("import").arg(&rootfs).arg("fromdir"));
    assert_eq!(diff_ids(&store, "fromtar"), diff_ids(&store, "fromdir"));
    let unpacked = t.path().join("unpacked");
    ok(tool("umoci")
        .args(["raw", "unpack", "--image"])
        .arg(format!(
            "{}:docker.io/library/fromtar:latest",
            store.display()
        ))
        .arg(&unpacked));
    assert_same_tree(&rootfs, &unpacked);
}
