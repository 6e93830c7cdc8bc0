//! The image and maintenance commands through the binary: tag, rmi,
//! inspect, history, images, system df|gc|fsck, and their exit codes.

mod store_support;

use std::path::Path;

use store_support::*;

fn tiny_rootfs(dir: &Path, content: &str) -> std::path::PathBuf {
    let root = dir.join(format!("rootfs-{content}"));
    std::fs::create_dir_all(root.join("etc")).expect("mkdir");
    std::fs::write(root.join("etc/content"), content).expect("write");
    root
}

#[test]
fn tag_and_rmi_manage_names_and_gc_then_frees_the_unnamed_image() {
    let t = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let s = t.path().join("s");
    let digest = ok(strata(&s)
        .arg("import")
        .arg(tiny_rootfs(t.path(), "one"))
        .arg("one:1"));
    ok(strata(&s).args([
        "tag",
        "one:1",
        "registry.example:5000/team/one:stable",
        "alias",
    ]));

    let listed = ok(strata(&s).arg("images"));
    assert!(
        listed.contains("registry.example:5000/team/one"),
        "{listed}"
    );
    assert!(listed.contains("alias"), "{listed}");
    // By short id, by full digest, by name: the same image.
    let short = digest.trim_start_matches("sha256:")[..12].to_owned();
    assert_eq!(inspect(&s, &short)["Digest"], digest.as_str());
    assert_eq!(inspect(&s, &digest)["Digest"], digest.as_str());
    let names = inspect(&s, "alias")["RepoTags"].as_array().map(Vec::len);
    assert_eq!(names, Some(3));

    assert_eq!(
        ok(strata(&s).args(["rmi", "alias"])),
        "Untagged: docker.io/library/alias:latest"
    );
    let gone = run(strata(&s).args(["inspect", "alias"]));
    assert_eq!(gone.status.code(), Some(1));
    // Removing by digest removes every remaining name.
    let out = ok(strata(&s).args(["rmi", &digest]));
    assert_eq!(out.lines().count(), 2, "{out}");
    assert_eq!(
        run(strata(&s).args(["rmi", "nothing-here"])).status.code(),
        Some(1)
    );

    let df = ok(strata(&s).args(["system", "df"]));
    assert!(df.contains("reclaimable"), "{df}");
    let gc = ok(strata(&s).args(["system", "gc"]));
    assert!(gc.contains("removed 3 blobs"), "{gc}");
    assert_eq!(count(&s, "blobs/sha256"), 0);
    assert_eq!(count(&s, "snapshots"), 0);
    ok(strata(&s).args(["system", "fsck"]));
}

#[test]
fn gc_keeps_named_images_whole() {
    let t = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let s = t.path().join("s");
    ok(strata(&s)
        .arg("import")
        .arg(tiny_rootfs(t.path(), "kept"))
        .arg("kept"));
    let dropped = ok(strata(&s)
        .arg("import")
        .arg(tiny_rootfs(t.path(), "dropped"))
        .arg("dropped"));
    ok(strata(&s).args(["rmi", "dropped"]));
    ok(strata(&s).args(["system", "gc"]));
    let layout = t.path().join("out");
    ok(strata(&s)
        .args(["push", "kept"])
        .arg(format!("oci:{}:k", layout.display())));
    let unpacked = t.path().join("unpacked");
    ok(tool("umoci")
        .args(["raw", "unpack", "--image"])
        .arg(format!("{}:k", layout.display()))
        .arg(&unpacked));
    assert_same_tree(&tiny_rootfs(t.path(), "kept"), &unpacked);
    assert!(
        !s.join("blobs/sha256")
            .join(dropped.trim_start_matches("sha256:"))
            .exists()
    );
}

#[test]
fn fsck_exits_1_and_lists_a_corrupted_blob() {
    let t = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let s = t.path().join("s");
    ok(strata(&s)
        .arg("import")
        .arg(tiny_rootfs(t.path(), "x"))
        .arg("x"));
    ok(strata(&s).args(["system", "fsck"]));
    let layer = inspect(&s, "x")["Manifest"]["layers"][0]["digest"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    std::fs::write(
        s.join("blobs/sha256")
            .join(layer.trim_start_matches("sha256:")),
        "bitrot",
    )
    .expect("corrupt");
    let out = run(strata(&s).args(["system", "fsck"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&layer));
}

#[test]
fn history_and_inspect_describe_the_image() {
    let t = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let s = t.path().join("s");
    let rootfs = tiny_rootfs(t.path(), "h");
    ok(strata(&s)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .arg("import")
        .arg(&rootfs)
        .arg("h"));
    let history = ok(strata(&s).args(["history", "h"]));
    assert!(history.contains("strata import"), "{history}");
    assert!(history.contains("2023-11-14T22:13:20Z"), "{history}");
    let info = inspect(&s, "h");
    assert_eq!(info["RepoTags"][0], "docker.io/library/h:latest");
    assert_eq!(info["Os"], "linux");
    assert_eq!(info["RootFS"]["diff_ids"].as_array().map(Vec::len), Some(1));
}

#[test]
fn bad_names_and_transports_are_errors_not_panics() {
    let t = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let s = t.path().join("s");
    let rootfs = tiny_rootfs(t.path(), "b");
    for args in [
        vec!["import", rootfs.to_str().unwrap_or_default(), "Bad:Name"],
        vec![
            "import",
            rootfs.to_str().unwrap_or_default(),
            "ok",
            "--compression",
            "lz4",
        ],
        vec!["push", "missing", "oci:/nonexistent"],
        vec!["pull", "oci:/nonexistent/layout"],
        vec!["pull", "not-in-store"],
        vec!["inspect", "sha256:0000"],
    ] {
        let out = run(strata(&s).args(&args));
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains("panicked"),
            "{args:?}"
        );
    }
}
