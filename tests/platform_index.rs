//! Multi-platform images in the store: `import --platform` builds up one
//! name's image index (amd64 + arm64 busybox from Debian), `images` and
//! `inspect` show it, `push` writes the index and every manifest to `oci:`,
//! `oci-archive:` and a real docker-registry, and skopeo and umoci read
//! every part back; `pull --all-platforms` / `--platform` take it back.

mod support;

use std::path::Path;

use serde_json::Value;
use support::cli::{ok, ok_trimmed, run, strata, tool};
use support::foreign::busybox_rootfs_for;
use support::registry::TestRegistry;

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// A store where `multi` is an index of an amd64 and an arm64 busybox,
/// the platforms spelled as uname does (normalized on the way in).
fn store_with_index(dir: &Path) -> std::path::PathBuf {
    let root = dir.join("store");
    let amd64 = busybox_rootfs_for(dir, "amd64");
    let arm64 = busybox_rootfs_for(dir, "arm64");
    ok(strata(&root)
        .args(["import", "--platform", "linux/x86_64"])
        .arg(&amd64)
        .arg("multi"));
    ok(strata(&root)
        .args(["import", "--platform", "linux/aarch64"])
        .arg(&arm64)
        .arg("multi"));
    root
}

fn platforms_of_index(index: &Value) -> Vec<String> {
    index["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .map(|m| {
            format!(
                "{}/{}",
                m["platform"]["os"].as_str().unwrap_or(""),
                m["platform"]["architecture"].as_str().unwrap_or("")
            )
        })
        .collect()
}

#[test]
fn a_second_platform_imported_under_a_name_joins_its_index() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = store_with_index(tmp.path());

    let images = json(&ok(strata(&root).args(["images", "--format", "json"])));
    let rows = images.as_array().expect("rows");
    assert_eq!(rows.len(), 1, "the index is listed once: {images}");
    assert_eq!(
        rows[0]["platforms"],
        serde_json::json!(["linux/amd64", "linux/arm64"])
    );
    let table = ok(strata(&root).arg("images"));
    assert!(table.contains("linux/amd64,linux/arm64"), "{table}");

    let inspect = json(&ok(strata(&root).args(["inspect", "multi"])));
    assert_eq!(
        inspect["MediaType"],
        "application/vnd.oci.image.index.v1+json"
    );
    assert_eq!(
        platforms_of_index(&inspect["Index"]),
        ["linux/amd64", "linux/arm64"]
    );
    let arches: Vec<&str> = inspect["Manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .map(|m| m["Architecture"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        arches,
        ["amd64", "arm64"],
        "each image's config says its platform"
    );

    // The same platform again (another spelling) replaces its entry.
    let other = tmp.path().join("other-arm64");
    std::fs::create_dir_all(other.join("etc")).expect("mkdir");
    std::fs::write(other.join("etc/hello"), "new arm64 tree\n").expect("write");
    let replaced = ok_trimmed(
        strata(&root)
            .args(["import", "--platform", "linux/arm64/v8"])
            .arg(&other)
            .arg("multi"),
    );
    let inspect = json(&ok(strata(&root).args(["inspect", "multi"])));
    let entries = inspect["Index"]["manifests"].as_array().expect("manifests");
    assert_eq!(entries.len(), 2, "{inspect}");
    assert_eq!(entries[1]["digest"], replaced.as_str());

    ok(strata(&root).args(["system", "fsck"]));
    ok(strata(&root).args(["rmi", "multi"]));
    let gc = ok(strata(&root).args(["system", "gc"]));
    assert!(
        !gc.starts_with("removed 0 blobs"),
        "the index and its images go: {gc}"
    );
    assert_eq!(
        ok(strata(&root).args(["images", "--format", "json"])).trim(),
        "[]"
    );
}

#[test]
fn an_index_is_pushed_whole_to_oci_layouts_that_skopeo_and_umoci_read() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = store_with_index(tmp.path());
    let dir = tmp.path().join("layout");
    let archive = tmp.path().join("layout.tar");
    let pushed = ok_trimmed(
        strata(&root)
            .arg("push")
            .arg("multi")
            .arg(format!("oci:{}:multi", dir.display())),
    );
    let archived = ok_trimmed(
        strata(&root)
            .arg("push")
            .arg("multi")
            .arg(format!("oci-archive:{}:multi", archive.display())),
    );
    assert_eq!(pushed, archived, "the same index either way");

    let raw = json(&ok(tool("skopeo")
        .args(["inspect", "--raw"])
        .arg(format!("oci:{}:multi", dir.display()))));
    assert_eq!(raw["mediaType"], "application/vnd.oci.image.index.v1+json");
    assert_eq!(platforms_of_index(&raw), ["linux/amd64", "linux/arm64"]);
    let arm = json(&ok(tool("skopeo")
        .args(["inspect", "--override-arch", "arm64"])
        .arg(format!("oci:{}:multi", dir.display()))));
    assert_eq!(arm["Architecture"], "arm64");
    let names = ok(tool("umoci").arg("ls").arg("--layout").arg(&dir));
    assert_eq!(names.trim(), "multi");
    // skopeo copies every manifest and blob the archive's index names.
    let copy = tmp.path().join("copy");
    ok(tool("skopeo")
        .args(["copy", "--all"])
        .arg(format!("oci-archive:{}:multi", archive.display()))
        .arg(format!("oci:{}:multi", copy.display())));
    let copied = json(&ok(tool("skopeo")
        .args(["inspect", "--raw"])
        .arg(format!("oci:{}:multi", copy.display()))));
    assert_eq!(platforms_of_index(&copied), ["linux/amd64", "linux/arm64"]);

    // Back in from the layout: the platform asked for, or an error.
    let back = tmp.path().join("back");
    ok(strata(&back)
        .args(["pull", "--platform", "linux/arm64"])
        .arg(format!("oci:{}:multi", dir.display()))
        .arg("arm:1"));
    let arm = json(&ok(strata(&back).args(["inspect", "arm:1"])));
    assert_eq!(arm["Architecture"], "arm64");
    let missing = run(strata(&back)
        .args(["pull", "--platform", "linux/s390x"])
        .arg(format!("oci:{}:multi", dir.display())));
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("linux/s390x"));
}

#[test]
fn an_index_goes_to_a_registry_and_comes_back_whole_or_as_one_platform() {
    let reg = TestRegistry::start();
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = store_with_index(tmp.path());
    let remote = format!("docker://{}/team/multi:1", reg.host());
    let pushed = ok_trimmed(strata(&root).args(["push", "multi", &remote]));

    let raw = json(&ok(tool("skopeo").args([
        "inspect",
        "--tls-verify=false",
        "--raw",
        &remote,
    ])));
    assert_eq!(platforms_of_index(&raw), ["linux/amd64", "linux/arm64"]);
    let copy = tmp.path().join("copy");
    ok(tool("skopeo")
        .args(["copy", "--all", "--src-tls-verify=false", &remote])
        .arg(format!("oci:{}:multi", copy.display())));

    let all = tmp.path().join("all");
    let pulled = ok_trimmed(strata(&all).args(["pull", "--all-platforms", &remote]));
    assert_eq!(pulled, pushed, "the registry's index, byte for byte");
    let images = json(&ok(strata(&all).args(["images", "--format", "json"])));
    assert_eq!(
        images[0]["platforms"],
        serde_json::json!(["linux/amd64", "linux/arm64"])
    );
    ok(strata(&all).args(["system", "fsck"]));

    let one = tmp.path().join("one");
    ok(strata(&one).args(["pull", "--platform", "linux/aarch64", &remote]));
    let inspect = json(&ok(
        strata(&one).args(["inspect", &remote["docker://".len()..]])
    ));
    assert_eq!(inspect["Architecture"], "arm64");

    let missing = run(strata(&one).args(["pull", "--platform", "linux/s390x", &remote]));
    assert!(!missing.status.success());
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(
        err.contains("linux/amd64, linux/arm64"),
        "names what there is: {err}"
    );
}

#[test]
fn an_index_without_this_machines_platform_is_found_by_its_id_and_hides_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("store");
    let arm64 = busybox_rootfs_for(tmp.path(), "arm64");
    for p in ["linux/arm64", "linux/riscv64"] {
        ok(strata(&root)
            .args(["import", "--platform", p])
            .arg(&arm64)
            .arg("foreign"));
    }
    let host = ok_trimmed(strata(&root).arg("import").arg(&arm64).arg("plain"));
    let images = json(&ok(strata(&root).args(["images", "--format", "json"])));
    let id = images
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["name"] == "docker.io/library/foreign:latest")
        .and_then(|r| r["id"].as_str())
        .expect("the index's row")
        .to_owned();
    let short = &id["sha256:".len().."sha256:".len() + 12];
    let inspect = json(&ok(strata(&root).args(["inspect", short])));
    assert_eq!(
        inspect["Platforms"].as_array().map(Vec::len),
        Some(2),
        "{inspect}"
    );
    // The other image's id prefix still resolves past the foreign index.
    let plain = &host["sha256:".len().."sha256:".len() + 12];
    let inspect = json(&ok(strata(&root).args(["inspect", plain])));
    assert_eq!(inspect["Digest"], host.as_str());
    ok(strata(&root).args(["rmi", short]));
    let left = ok(strata(&root).args(["images", "--format", "json"]));
    assert!(!left.contains("foreign"), "{left}");
}
