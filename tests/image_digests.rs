//! The digests `images --digests` and `inspect` show for a multi-platform
//! image, against podman's for the same index (podman 4.3 pulls this
//! machine's entry of it, into a store of its own): the DIGEST column is
//! the index's digest, and the entry's RepoDigests name the repository at
//! both the entry's manifest digest and the index's. The index itself is
//! at the index's; a single image at its manifest's; one platform pulled
//! from an index at both, with the index's in the DIGEST column.

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use support::cli::{ok, ok_trimmed, strata};
use support::foreign::import_two_platform_index;
use support::registry::TestRegistry;

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// podman with every store path under `dir`, nothing of the host's.
fn podman(dir: &Path) -> Command {
    let mut c = Command::new("podman");
    c.arg("--root")
        .arg(dir.join("root"))
        .arg("--runroot")
        .arg(dir.join("runroot"))
        .arg("--tmpdir")
        .arg(dir.join("tmp"))
        .args(["--storage-driver", "overlay", "--events-backend", "file"]);
    c
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("an array: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn an_index_shows_podmans_digests() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let made = tmp.path().join("made");
    import_two_platform_index(tmp.path(), &made, "multi");
    let reg = TestRegistry::start();
    let remote = format!("{}/lab/multi:1", reg.host());
    let repo = format!("{}/lab/multi", reg.host());
    let index = ok_trimmed(strata(&made).args(["push", "multi", &format!("docker://{remote}")]));

    let root = tmp.path().join("pulled");
    ok(strata(&root).args(["pull", "--all-platforms", &format!("docker://{remote}")]));
    let peer = tmp.path().join("podman");
    ok(podman(&peer).args(["pull", "-q", "--tls-verify=false", &remote]));
    let theirs = &json(&ok(podman(&peer).args(["inspect", &remote])))[0];

    // images --digests: podman's DIGEST column is the index's digest.
    let table = ok(podman(&peer).args(["images", "--digests", "--format", "{{.Digest}}"]));
    assert_eq!(table.trim(), index);
    let ours = ok(strata(&root).args(["images", "--digests"]));
    let header = ours.lines().next().unwrap_or_default();
    assert!(header.contains("DIGEST"), "{ours}");
    let row = ours
        .lines()
        .find(|l| l.starts_with(&repo))
        .unwrap_or_else(|| panic!("a row for {repo}: {ours}"));
    assert!(row.contains(&index), "{row}");

    // inspect: the host's entry has podman's RepoDigests.
    let inspect = json(&ok(strata(&root).args(["inspect", &remote])));
    let host_arch = theirs["Architecture"]
        .as_str()
        .expect("podman's architecture");
    let entry = inspect["Manifests"]
        .as_array()
        .expect("Manifests")
        .iter()
        .find(|m| m["Architecture"] == host_arch)
        .unwrap_or_else(|| panic!("a {host_arch} entry: {inspect}"));
    let mut want = strings(&theirs["RepoDigests"]);
    want.sort();
    assert_eq!(strings(&entry["RepoDigests"]), want, "{entry}");
    assert!(want.contains(&format!("{repo}@{index}")), "{want:?}");
    assert_eq!(
        strings(&inspect["RepoDigests"]),
        [format!("{repo}@{index}")],
        "{inspect}"
    );

    // A single image: its name at its manifest digest, as podman shows an
    // image it built.
    let entry_digest = entry["Digest"].as_str().expect("the entry's digest");
    ok(strata(&root).args(["tag", entry_digest, "one:1"]));
    let one = json(&ok(strata(&root).args(["inspect", "one:1"])));
    assert_eq!(
        strings(&one["RepoDigests"]),
        [format!("docker.io/library/one@{entry_digest}")],
        "{one}"
    );
}

/// podman's case of pulling one platform of an index: the image is known
/// by its manifest's digest and by the index's, and `images --digests`
/// shows the index's. The name still points at the platform's manifest.
#[test]
fn a_pulled_platform_shows_podmans_digests() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let made = tmp.path().join("made");
    import_two_platform_index(tmp.path(), &made, "multi");
    let reg = TestRegistry::start();
    let remote = format!("{}/lab/one-platform:1", reg.host());
    let repo = format!("{}/lab/one-platform", reg.host());
    let index = ok_trimmed(strata(&made).args(["push", "multi", &format!("docker://{remote}")]));

    let root = tmp.path().join("pulled");
    let manifest = ok_trimmed(strata(&root).args(["pull", &format!("docker://{remote}")]));
    let peer = tmp.path().join("podman");
    ok(podman(&peer).args(["pull", "-q", "--tls-verify=false", &remote]));
    let theirs = &json(&ok(podman(&peer).args(["inspect", &remote])))[0];

    let table = ok(podman(&peer).args(["images", "--digests", "--format", "{{.Digest}}"]));
    assert_eq!(table.trim(), index);
    let ours = ok(strata(&root).args(["images", "--digests"]));
    let row = ours
        .lines()
        .find(|l| l.starts_with(&repo))
        .unwrap_or_else(|| panic!("a row for {repo}: {ours}"));
    assert!(row.contains(&index), "{row}");

    let inspect = json(&ok(strata(&root).args(["inspect", &remote])));
    // Unlike podman's Digest (the index's), ours stays what the name
    // points at: the platform's manifest.
    assert_eq!(inspect["Digest"].as_str(), Some(manifest.as_str()));
    let mut want = strings(&theirs["RepoDigests"]);
    want.sort();
    let mut both = vec![format!("{repo}@{index}"), format!("{repo}@{manifest}")];
    both.sort();
    assert_eq!(want, both);
    assert_eq!(strings(&inspect["RepoDigests"]), want, "{inspect}");
}
