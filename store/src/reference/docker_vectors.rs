//! docker's own reference vectors, as a table: the cases of
//! distribution/reference (github.com/distribution/reference at 0965666,
//! Apache-2.0) `normalize_test.go` (TestValidateReferenceName,
//! TestValidateRemoteName, TestParseRepositoryInfo,
//! TestParseReferenceWithTagAndDigest, TestNormalizedSplitHostname,
//! TestParseDockerRef) and `reference_test.go` (TestReferenceParse),
//! rewritten as input → what `ImageRef` makes of it. TestReferenceParse
//! drives the un-normalized `Parse`; its cases are listed here with the
//! normalized result (`ParseNormalizedNamed`'s), which differs only in the
//! host of a first component without `.`, `:`, upper case or `localhost`.

use super::*;
use crate::registry::{RegistryRef, Target};

const FF: &str = "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
const HEX64: &str = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a";

fn norm(s: &str) -> Result<String, String> {
    ImageRef::parse(s)
        .map(|r| r.to_string())
        .map_err(|e| e.to_string())
}

/// Names docker accepts, with the full reference docker makes of them
/// (`:latest` added as `ParseDockerRef`'s TagNameOnly does).
#[test]
fn accepted_names_normalize_as_docker_does() {
    let long_path = format!("{}a", "a/".repeat(127));
    let cases: Vec<(String, String)> = [
        // TestValidateReferenceName: valid
        ("docker/docker", "docker.io/docker/docker:latest"),
        ("library/debian", "docker.io/library/debian:latest"),
        ("debian", "docker.io/library/debian:latest"),
        ("localhost/library/debian", "localhost/library/debian:latest"),
        ("localhost/debian", "localhost/debian:latest"),
        ("LOCALDOMAIN/library/debian", "LOCALDOMAIN/library/debian:latest"),
        ("LOCALDOMAIN/debian", "LOCALDOMAIN/debian:latest"),
        ("docker.io/docker/docker", "docker.io/docker/docker:latest"),
        ("docker.io/library/debian", "docker.io/library/debian:latest"),
        ("docker.io/debian", "docker.io/library/debian:latest"),
        ("index.docker.io/docker/docker", "docker.io/docker/docker:latest"),
        ("index.docker.io/library/debian", "docker.io/library/debian:latest"),
        ("index.docker.io/debian", "docker.io/library/debian:latest"),
        ("127.0.0.1:5000/docker/docker", "127.0.0.1:5000/docker/docker:latest"),
        ("127.0.0.1:5000/library/debian", "127.0.0.1:5000/library/debian:latest"),
        ("127.0.0.1:5000/debian", "127.0.0.1:5000/debian:latest"),
        ("192.168.0.1", "docker.io/library/192.168.0.1:latest"),
        ("192.168.0.1:80", "docker.io/library/192.168.0.1:80"),
        ("192.168.0.1:8/debian", "192.168.0.1:8/debian:latest"),
        ("192.168.0.2:25000/debian", "192.168.0.2:25000/debian:latest"),
        (
            "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
            "docker.io/library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev:latest",
        ),
        ("[fc00::1]:5000/docker", "[fc00::1]:5000/docker:latest"),
        ("[fc00::1]:5000/docker/docker", "[fc00::1]:5000/docker/docker:latest"),
        (
            "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
            "[fc00:1:2:3:4:5:6:7]:5000/library/debian:latest",
        ),
        ("Docker/docker", "Docker/docker:latest"),
        ("DOCKER/docker", "DOCKER/docker:latest"),
        // TestValidateRemoteName: valid
        ("docker-rules/docker", "docker.io/docker-rules/docker:latest"),
        ("docker---rules/docker", "docker.io/docker---rules/docker:latest"),
        ("doc/docker", "docker.io/doc/docker:latest"),
        ("d/docker", "docker.io/d/docker:latest"),
        ("jess/t", "docker.io/jess/t:latest"),
        ("dock__er/docker", "docker.io/dock__er/docker:latest"),
        // TestParseRepositoryInfo (familiar, full and ambiguous forms)
        ("localhost/fooo/bar", "localhost/fooo/bar:latest"),
        ("LOCALDOMAIN/fooo/bar", "LOCALDOMAIN/fooo/bar:latest"),
        ("fooo/bar", "docker.io/fooo/bar:latest"),
        ("index.docker.io/fooo/bar", "docker.io/fooo/bar:latest"),
        ("ubuntu", "docker.io/library/ubuntu:latest"),
        ("library/ubuntu", "docker.io/library/ubuntu:latest"),
        ("nonlibrary/ubuntu", "docker.io/nonlibrary/ubuntu:latest"),
        ("other/library", "docker.io/other/library:latest"),
        ("127.0.0.1:8000/private/moonbase", "127.0.0.1:8000/private/moonbase:latest"),
        ("127.0.0.1:8000/privatebase", "127.0.0.1:8000/privatebase:latest"),
        ("example.com/private/moonbase", "example.com/private/moonbase:latest"),
        ("example.com:8000/privatebasee", "example.com:8000/privatebasee:latest"),
        ("ubuntu-12.04-base", "docker.io/library/ubuntu-12.04-base:latest"),
        (
            "index.docker.io/library/ubuntu-12.04-base",
            "docker.io/library/ubuntu-12.04-base:latest",
        ),
        ("docker.io/foo", "docker.io/library/foo:latest"),
        ("library/foo/bar", "docker.io/library/foo/bar:latest"),
        ("store/foo/bar", "docker.io/store/foo/bar:latest"),
        ("Foo/bar", "Foo/bar:latest"),
        ("FOO/bar", "FOO/bar:latest"),
        // TestNormalizedSplitHostname
        ("test.com/foo", "test.com/foo:latest"),
        ("test_com/foo", "docker.io/test_com/foo:latest"),
        ("docker/migrator", "docker.io/docker/migrator:latest"),
        ("test.com:8080/foo", "test.com:8080/foo:latest"),
        ("test-com:8080/foo", "test-com:8080/foo:latest"),
        ("xn--n3h.com/foo", "xn--n3h.com/foo:latest"),
        ("xn--n3h.com:18080/foo", "xn--n3h.com:18080/foo:latest"),
        ("docker.io/library/foo/bar", "docker.io/library/foo/bar:latest"),
        // TestReferenceParse (normalized)
        ("test_com", "docker.io/library/test_com:latest"),
        ("test.com:tag", "docker.io/library/test.com:tag"),
        ("test.com:5000", "docker.io/library/test.com:5000"),
        ("test.com/repo:tag", "test.com/repo:tag"),
        ("test:5000/repo", "test:5000/repo:latest"),
        ("test:5000/repo:tag", "test:5000/repo:tag"),
        ("lowercase:Uppercase", "docker.io/library/lowercase:Uppercase"),
        ("sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com/bar/baz/quux:latest"),
        (
            "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
            "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
        ),
        (
            "b.gcr.io/test.example.com/my-app:test.example.com",
            "b.gcr.io/test.example.com/my-app:test.example.com",
        ),
        ("xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com/myimage:xn--n3h.com"),
        ("foo_bar.com:8080", "docker.io/library/foo_bar.com:8080"),
        ("foo/foo_bar.com:8080", "docker.io/foo/foo_bar.com:8080"),
        ("192.168.1.1", "docker.io/library/192.168.1.1:latest"),
        ("192.168.1.1:tag", "docker.io/library/192.168.1.1:tag"),
        ("192.168.1.1/repo", "192.168.1.1/repo:latest"),
        ("192.168.1.1:5000/repo:5050", "192.168.1.1:5000/repo:5050"),
        ("[2001:db8::1]/repo", "[2001:db8::1]/repo:latest"),
        ("[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]/repo:tag"),
        ("[2001:db8::1]:5000/repo:tag", "[2001:db8::1]:5000/repo:tag"),
        ("[2001:db8::]:5000/repo", "[2001:db8::]:5000/repo:latest"),
        ("[::1]:5000/repo", "[::1]:5000/repo:latest"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .chain([
        (
            format!("docker.io/{HEX64}"),
            format!("docker.io/library/{HEX64}:latest"),
        ),
        (format!("test:5000/repo@{FF}"), format!("test:5000/repo@{FF}")),
        (
            format!("test:5000/repo:tag@{FF}"),
            format!("test:5000/repo:tag@{FF}"),
        ),
        (
            format!("xn--7o8h.com/myimage:xn--7o8h.com@{FF}"),
            format!("xn--7o8h.com/myimage:xn--7o8h.com@{FF}"),
        ),
        (
            format!("[2001:db8::1]:5000/repo:tag@{FF}"),
            format!("[2001:db8::1]:5000/repo:tag@{FF}"),
        ),
        // A 255-character path is the longest (the host does not count).
        (
            format!("{long_path}:tag-puts-this-over-max"),
            format!("docker.io/{long_path}:tag-puts-this-over-max"),
        ),
        (
            format!("example.com/{}:tag", "a".repeat(255)),
            format!("example.com/{}:tag", "a".repeat(255)),
        ),
        // TestParseReferenceWithTagAndDigest: a name keeps both.
        (
            "busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa"
                .to_owned(),
            "docker.io/library/busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa"
                .to_owned(),
        ),
    ])
    .collect();
    for (input, want) in &cases {
        assert_eq!(norm(input), Ok(want.clone()), "{input:?}");
    }
}

/// Names docker refuses.
#[test]
fn refused_names_are_refused() {
    let cases: Vec<String> = [
        // TestValidateReferenceName: invalid
        "https://github.com/docker/docker",
        "docker/Docker",
        "-docker",
        "-docker/docker",
        "-docker.io/docker/docker",
        "docker///docker",
        "docker.io/docker/Docker",
        "docker.io/docker///docker",
        "[fc00::1]",
        "[fc00::1]:5000",
        "fc00::1:5000/debian",
        "[fe80::1%eth0]:5000/debian",
        "[2001:db8:3:4::192.0.2.33]:5000/debian",
        HEX64,
        // TestValidateRemoteName: invalid
        "docker-/docker",
        "-docker-/docker",
        "____/____",
        "_docker/_docker",
        "dock..er/docker",
        "dock_.er/docker",
        "dock-.er/docker",
        "docker/",
        "this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255/docker",
        // TestReferenceParse: errors
        "",
        ":justtag",
        "repo@sha256:ffffffffffffffffffffffffffffffffff",
        "validname@invaliddigest:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "validname@sha512:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "Uppercase:tag",
        "test:5000/Uppercase/lowercase:tag",
        "aa/asdf$$^/aa",
        "[2001:db8::1]",
        "[2001:db8::1]:5000",
        "[2001:db8::1]:tag",
        "[fe80::1%eth0]:5000/repo",
        "[fe80::1%@invalidzone]:5000/repo",
        // TestInvalidReferenceComponents
        "-foo",
        "busybox:-foo",
        "busybox@foo",
    ]
    .into_iter()
    .map(str::to_owned)
    .chain([
        format!("@{FF}"),
        format!("domain/{}:tag", "a".repeat(256)),
        format!("a:{}", "t".repeat(129)),
    ])
    .collect();
    for input in &cases {
        assert!(
            norm(input).is_err(),
            "{input:?} accepted as {:?}",
            norm(input)
        );
    }
}

/// The registry's view asks for one thing: a reference with both a tag and
/// a digest asks by digest (TestParseDockerRef).
#[test]
fn registry_view_asks_by_digest_when_there_is_one() {
    let d = "sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582";
    for (input, want) in [
        ("busybox", "docker.io/library/busybox:latest".to_owned()),
        (
            "busybox:latest",
            "docker.io/library/busybox:latest".to_owned(),
        ),
        (
            &format!("busybox@{d}"),
            format!("docker.io/library/busybox@{d}"),
        ),
        (
            "library/busybox",
            "docker.io/library/busybox:latest".to_owned(),
        ),
        (
            "docker.io/busybox",
            "docker.io/library/busybox:latest".to_owned(),
        ),
        (
            "docker.io/library/busybox",
            "docker.io/library/busybox:latest".to_owned(),
        ),
        (
            "docker.io/busybox:latest",
            "docker.io/library/busybox:latest".to_owned(),
        ),
        (
            "library/busybox:latest",
            "docker.io/library/busybox:latest".to_owned(),
        ),
        (
            "gcr.io/library/busybox",
            "gcr.io/library/busybox:latest".to_owned(),
        ),
        (
            &format!("gcr.io/library/busybox:latest@{d}"),
            format!("gcr.io/library/busybox@{d}"),
        ),
    ] {
        let r = input.parse::<RegistryRef>().map(|r| r.to_string());
        assert_eq!(r.map_err(|e| e.to_string()), Ok(want), "{input:?}");
    }
    let r = "docker://busybox:1@".to_owned() + d;
    let parsed = r.parse::<RegistryRef>().map(|r| r.target().clone());
    assert!(matches!(parsed, Ok(Target::Digest(_))), "{parsed:?}");
}

/// FamiliarName of TestParseRepositoryInfo: docker.io and library/ go.
#[test]
fn familiar_names_drop_the_defaults() {
    for (input, want) in [
        ("docker.io/library/ubuntu", "ubuntu:latest"),
        ("index.docker.io/fooo/bar", "fooo/bar:latest"),
        ("docker.io/library/foo/bar", "library/foo/bar:latest"),
        ("localhost/fooo", "localhost/fooo:latest"),
        (
            "example.com:8000/privatebasee",
            "example.com:8000/privatebasee:latest",
        ),
        ("FOO/bar", "FOO/bar:latest"),
    ] {
        assert_eq!(
            ImageRef::parse(input).map(|r| r.familiar()),
            Ok(want.to_owned()),
            "{input:?}"
        );
    }
}
