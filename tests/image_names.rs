//! Image names through the binary follow docker's reference grammar (the
//! one parser, store/src/reference.rs): cases from distribution/reference's
//! normalize_test.go and reference_test.go, given to `strata tag` and read
//! back through `inspect` and `images`.

mod support;

use support::cli::*;
use support::store::*;

fn store_with_image(t: &tempfile::TempDir) -> std::path::PathBuf {
    let s = t.path().join("s");
    let root = t.path().join("rootfs");
    std::fs::create_dir_all(root.join("etc")).expect("mkdir");
    std::fs::write(root.join("etc/content"), "names").expect("write");
    ok_trimmed(strata(&s).arg("import").arg(&root).arg("base:1"));
    s
}

fn repo_tags(s: &std::path::Path) -> Vec<String> {
    inspect(s, "base:1")["RepoTags"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn tag_accepts_what_docker_accepts_and_names_it_as_docker_does() {
    let t = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let s = store_with_image(&t);
    let long = format!("example.com/{}:tag", "a".repeat(255));
    for (given, full) in [
        // an upper-case first component is a registry host (TestParseRepositoryInfo)
        ("Foo/bar", "Foo/bar:latest"),
        ("LOCALDOMAIN/debian", "LOCALDOMAIN/debian:latest"),
        // docker.io's single components are official images (TestNormalizedSplitHostname)
        ("docker.io/foo", "docker.io/library/foo:latest"),
        ("index.docker.io/debian", "docker.io/library/debian:latest"),
        // IPv6 hosts (TestReferenceParse)
        ("[::1]:5000/repo", "[::1]:5000/repo:latest"),
        // the 255-character limit is the path's, not the host's
        (long.as_str(), long.as_str()),
    ] {
        ok_trimmed(strata(&s).args(["tag", "base:1", given]));
        let tags = repo_tags(&s);
        assert!(tags.iter().any(|t| t == full), "{given}: {tags:?}");
    }
}

#[test]
fn tag_refuses_what_docker_refuses() {
    let t = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let s = store_with_image(&t);
    let hex = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a";
    for bad in [
        hex,
        "https://github.com/docker/docker",
        "[fe80::1%eth0]:5000/debian",
        "fc00::1:5000/debian",
        "docker/Docker",
    ] {
        let out = run(strata(&s).args(["tag", "base:1", bad]));
        assert_ne!(out.status.code(), Some(0), "{bad} accepted");
        assert!(
            stderr(&out).contains("invalid image reference"),
            "{bad}: {}",
            stderr(&out)
        );
    }
    assert_eq!(repo_tags(&s), ["docker.io/library/base:1"]);
}

#[test]
fn images_shows_familiar_names_as_docker_does() {
    let t = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let s = store_with_image(&t);
    // familiarizeName drops `library/` only before a single component.
    ok_trimmed(strata(&s).args(["tag", "base:1", "library/foo/bar:2"]));
    let listed = ok_trimmed(strata(&s).arg("images"));
    assert!(listed.contains("library/foo/bar"), "{listed}");
}
