//! The registry client against a real `docker-registry`: what goes up comes
//! back byte for byte under the same digests, through auth, flaky networks
//! and index platform selection.

mod support;

use std::time::Duration;

use strata_store::Digest;
use strata_store::registry::{
    BlobPush, ClientOptions, Credentials, ManifestKind, Platform, RegistryClient, RegistryError,
    RetryPolicy, Target,
};
use support::proxy::{BearerAuth, ProxyBehaviour, TestProxy};
use support::registry::TestRegistry;

fn quick_retries(attempts: u32) -> RetryPolicy {
    RetryPolicy {
        attempts,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
    }
}

fn client(host: &str) -> RegistryClient {
    RegistryClient::new(
        host,
        &ClientOptions {
            retry: quick_retries(3),
            ..ClientOptions::default()
        },
    )
}

fn with_creds(host: &str, user: &str, password: &str) -> RegistryClient {
    RegistryClient::new(
        host,
        &ClientOptions {
            credentials: Some(Credentials {
                username: user.into(),
                password: password.into(),
            }),
            retry: quick_retries(3),
            ..ClientOptions::default()
        },
    )
}

/// Bytes that do not repeat in any short period, so a misplaced chunk
/// changes the digest.
fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

struct TestImage {
    config: Vec<u8>,
    layers: Vec<Vec<u8>>,
    manifest: Vec<u8>,
}

fn image(kind: ManifestKind, arch: &str, layer_sizes: &[usize]) -> TestImage {
    let (config_type, layer_type) = match kind {
        ManifestKind::DockerManifest => (
            "application/vnd.docker.container.image.v1+json",
            "application/vnd.docker.image.rootfs.diff.tar.gzip",
        ),
        _ => (
            "application/vnd.oci.image.config.v1+json",
            "application/vnd.oci.image.layer.v1.tar+gzip",
        ),
    };
    let layers: Vec<Vec<u8>> = layer_sizes
        .iter()
        .enumerate()
        .map(|(i, n)| pseudo_random(*n, i as u64 + arch.len() as u64 * 7))
        .collect();
    let config = format!(
        r#"{{"architecture":"{arch}","os":"linux","rootfs":{{"type":"layers","diff_ids":[]}}}}"#
    )
    .into_bytes();
    let desc = |t: &str, b: &[u8]| {
        format!(
            r#"{{"mediaType":"{t}","digest":"{}","size":{}}}"#,
            Digest::of(b),
            b.len()
        )
    };
    let layer_descs: Vec<String> = layers.iter().map(|l| desc(layer_type, l)).collect();
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"{}","config":{},"layers":[{}]}}"#,
        kind.media_type(),
        desc(config_type, &config),
        layer_descs.join(",")
    )
    .into_bytes();
    TestImage {
        config,
        layers,
        manifest,
    }
}

fn push(c: &RegistryClient, repo: &str, tag: &str, kind: ManifestKind, img: &TestImage) -> Digest {
    for blob in std::iter::once(&img.config).chain(&img.layers) {
        c.push_blob(
            repo,
            &Digest::of(blob),
            blob.len() as u64,
            &mut &blob[..],
            None,
        )
        .expect("push blob");
    }
    c.put_manifest(repo, &Target::Tag(tag.into()), kind, &img.manifest)
        .expect("put manifest")
}

#[test]
fn pushed_image_comes_back_with_the_same_digests() {
    let reg = TestRegistry::start();
    let c = client(&reg.host());
    c.check().expect("registry answers v2");
    let img = image(ManifestKind::OciManifest, "amd64", &[3000, 70_000]);
    let digest = push(&c, "team/app", "v1", ManifestKind::OciManifest, &img);
    assert_eq!(digest, Digest::of(&img.manifest));

    let by_tag = c
        .get_manifest("team/app", &Target::Tag("v1".into()))
        .expect("get");
    assert_eq!(by_tag.bytes, img.manifest);
    assert_eq!(by_tag.digest, digest);
    assert_eq!(by_tag.kind, ManifestKind::OciManifest);
    let (head_digest, head_kind, head_size) = c
        .resolve("team/app", &Target::Tag("v1".into()))
        .expect("head")
        .expect("tag exists");
    assert_eq!(
        (head_digest, head_kind, head_size),
        (digest, ManifestKind::OciManifest, img.manifest.len() as u64)
    );
    assert!(
        c.resolve("team/app", &Target::Tag("nope".into()))
            .expect("head")
            .is_none()
    );

    let resolved = c
        .resolve_image("team/app", &Target::Digest(digest), &Platform::host())
        .expect("resolve");
    assert!(resolved.index.is_none());
    assert_eq!(resolved.image.layers.len(), 2);
    for (desc, want) in resolved.image.layers.iter().zip(&img.layers) {
        let mut got = Vec::new();
        let n = c
            .get_blob("team/app", &desc.digest, &mut got)
            .expect("get blob");
        assert_eq!(n, desc.size);
        assert_eq!(&got, want);
    }
}

#[test]
fn large_blobs_go_up_in_chunks_and_existing_ones_are_not_sent_again() {
    let reg = TestRegistry::start();
    let c = RegistryClient::new(
        &reg.host(),
        &ClientOptions {
            chunk_size: 64 * 1024,
            ..ClientOptions::default()
        },
    );
    let blob = pseudo_random(300_000, 42);
    let d = Digest::of(&blob);
    assert_eq!(c.blob_exists("a/b", &d).expect("head"), None);
    let first = c
        .push_blob("a/b", &d, blob.len() as u64, &mut &blob[..], None)
        .expect("push");
    assert_eq!(first, BlobPush::Uploaded);
    assert_eq!(
        c.blob_exists("a/b", &d).expect("head"),
        Some(blob.len() as u64)
    );
    let again = c
        .push_blob("a/b", &d, blob.len() as u64, &mut &blob[..], None)
        .expect("push");
    assert_eq!(again, BlobPush::Present);
    let mut got = Vec::new();
    c.get_blob("a/b", &d, &mut got).expect("get");
    assert_eq!(got, blob);

    let mounted = c
        .push_blob(
            "other/repo",
            &d,
            blob.len() as u64,
            &mut &[][..],
            Some("a/b"),
        )
        .expect("mount");
    assert_eq!(mounted, BlobPush::Mounted);
    assert_eq!(
        c.blob_exists("other/repo", &d).expect("head"),
        Some(blob.len() as u64)
    );
}

#[test]
fn content_that_does_not_match_its_digest_is_refused() {
    let reg = TestRegistry::start();
    let c = client(&reg.host());
    let blob = b"the real content".to_vec();
    let err = c
        .push_blob(
            "x/y",
            &Digest::of(b"something else"),
            blob.len() as u64,
            &mut &blob[..],
            None,
        )
        .expect_err("wrong digest must fail");
    assert!(matches!(err, RegistryError::DigestMismatch { .. }), "{err}");
    let missing = c
        .get_blob("x/y", &Digest::of(&blob), &mut Vec::new())
        .expect_err("absent");
    assert!(
        matches!(missing, RegistryError::NotFound { .. }),
        "{missing}"
    );
}

#[test]
fn an_index_resolves_to_the_requested_platform() {
    let reg = TestRegistry::start();
    let c = client(&reg.host());
    for (kind, list) in [
        (ManifestKind::OciManifest, ManifestKind::OciIndex),
        (
            ManifestKind::DockerManifest,
            ManifestKind::DockerManifestList,
        ),
    ] {
        let amd = image(kind, "amd64", &[1000]);
        let arm = image(kind, "arm64", &[2000]);
        let amd_d = push(&c, "multi", "amd", kind, &amd);
        let arm_d = push(&c, "multi", "arm", kind, &arm);
        let entry = |d: &Digest, m: &[u8], arch: &str, variant: &str| {
            format!(
                r#"{{"mediaType":"{}","digest":"{d}","size":{},"platform":{{"os":"linux","architecture":"{arch}"{variant}}}}}"#,
                kind.media_type(),
                m.len()
            )
        };
        let index = format!(
            r#"{{"schemaVersion":2,"mediaType":"{}","manifests":[{},{}]}}"#,
            list.media_type(),
            entry(&arm_d, &arm.manifest, "arm64", r#","variant":"v8""#),
            entry(&amd_d, &amd.manifest, "amd64", "")
        );
        c.put_manifest(
            "multi",
            &Target::Tag("latest".into()),
            list,
            index.as_bytes(),
        )
        .expect("put index");
        let latest = Target::Tag("latest".into());
        let pick = |p: &str| c.resolve_image("multi", &latest, &p.parse().expect("platform"));
        let got = pick("linux/amd64").expect("amd64");
        assert_eq!(got.manifest.digest, amd_d);
        assert_eq!(got.index.map(|i| i.kind), Some(list));
        assert_eq!(pick("linux/arm64").expect("arm64").manifest.digest, arm_d);
        assert_eq!(
            pick("linux/arm64/v8").expect("arm64/v8").manifest.digest,
            arm_d
        );
        let none = pick("linux/s390x").expect_err("no such platform");
        assert!(
            none.to_string().contains("linux/arm64/v8, linux/amd64"),
            "{none}"
        );
    }
}

#[test]
fn basic_auth_lets_the_right_password_in_and_names_the_wrong_one() {
    let reg = TestRegistry::start_with_basic_auth("ci", "correct horse");
    let good = with_creds(&reg.host(), "ci", "correct horse");
    good.check().expect("right password");
    let img = image(ManifestKind::OciManifest, "amd64", &[500]);
    push(&good, "private/app", "1", ManifestKind::OciManifest, &img);
    assert_eq!(
        good.get_manifest("private/app", &Target::Tag("1".into()))
            .expect("get")
            .bytes,
        img.manifest
    );

    let bad = with_creds(&reg.host(), "ci", "wrong")
        .check()
        .expect_err("wrong password");
    assert!(
        matches!(
            bad,
            RegistryError::Unauthorized {
                had_credentials: true,
                ..
            }
        ),
        "{bad}"
    );
    assert!(
        bad.to_string().contains("wrong username or password"),
        "{bad}"
    );
    let anon = client(&reg.host()).get_manifest("private/app", &Target::Tag("1".into()));
    let anon = anon.expect_err("anonymous is refused");
    assert!(anon.to_string().contains("strata login"), "{anon}");
}

#[test]
fn bearer_tokens_are_fetched_from_the_challenge_realm_and_reused() {
    let reg = TestRegistry::start();
    let proxy = TestProxy::start(
        reg.addr,
        ProxyBehaviour {
            bearer: Some(BearerAuth {
                token: "tok-123".into(),
                user: Some(("robot".into(), "s3cret".into())),
            }),
            ..ProxyBehaviour::default()
        },
    );
    let c = with_creds(&proxy.host(), "robot", "s3cret");
    let img = image(ManifestKind::OciManifest, "amd64", &[100, 200, 300]);
    let d = push(&c, "tok/app", "t", ManifestKind::OciManifest, &img);
    assert_eq!(
        c.get_manifest("tok/app", &Target::Digest(d))
            .expect("get")
            .bytes,
        img.manifest
    );
    // One token per scope set (push, pull), not one per request.
    let tokens = proxy
        .token_requests
        .load(std::sync::atomic::Ordering::SeqCst);
    assert!((1..=3).contains(&tokens), "{tokens} token requests");

    let bad = with_creds(&proxy.host(), "robot", "guess")
        .get_manifest("tok/app", &Target::Tag("t".into()))
        .expect_err("wrong password at the token endpoint");
    assert!(
        bad.to_string().contains("wrong username or password"),
        "{bad}"
    );
}

#[test]
fn server_errors_are_retried_with_backoff_until_the_budget_runs_out() {
    let reg = TestRegistry::start();
    let img = image(ManifestKind::OciManifest, "amd64", &[4096]);
    let proxy = TestProxy::start(
        reg.addr,
        ProxyBehaviour {
            fail_first: 3,
            ..ProxyBehaviour::default()
        },
    );
    let patient = RegistryClient::new(
        &proxy.host(),
        &ClientOptions {
            retry: quick_retries(4),
            ..ClientOptions::default()
        },
    );
    let d = push(&patient, "flaky/app", "1", ManifestKind::OciManifest, &img);
    assert_eq!(d, Digest::of(&img.manifest));
    assert!(proxy.requests.load(std::sync::atomic::Ordering::SeqCst) > 3);

    let proxy = TestProxy::start(
        reg.addr,
        ProxyBehaviour {
            fail_first: 5,
            ..ProxyBehaviour::default()
        },
    );
    let impatient = RegistryClient::new(
        &proxy.host(),
        &ClientOptions {
            retry: quick_retries(2),
            ..ClientOptions::default()
        },
    );
    let err = impatient
        .get_manifest("flaky/app", &Target::Tag("1".into()))
        .expect_err("two tries are not enough");
    assert!(
        matches!(err, RegistryError::RetriesExhausted { attempts: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("500"), "{err}");
}

#[test]
fn an_unreachable_registry_is_a_clear_error_after_bounded_retries() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let err = client(&format!("127.0.0.1:{port}"))
        .check()
        .expect_err("nothing listens");
    assert!(
        matches!(
            err,
            RegistryError::RetriesExhausted { attempts: 3, .. } | RegistryError::Connect { .. }
        ),
        "{err}"
    );
}

#[test]
fn a_download_cut_midway_resumes_where_it_stopped() {
    let reg = TestRegistry::start();
    let blob = pseudo_random(500_000, 9);
    let d = Digest::of(&blob);
    client(&reg.host())
        .push_blob("cut/app", &d, blob.len() as u64, &mut &blob[..], None)
        .expect("push");
    let proxy = TestProxy::start(
        reg.addr,
        ProxyBehaviour {
            cut_first_blob_after: Some(100_000),
            ..ProxyBehaviour::default()
        },
    );
    let mut got = Vec::new();
    let n = client(&proxy.host())
        .get_blob("cut/app", &d, &mut got)
        .expect("resumed");
    assert_eq!(n, blob.len() as u64);
    assert_eq!(got, blob);
    let ranges = proxy.ranges.lock().expect("lock").clone();
    assert_eq!(ranges.len(), 1, "{ranges:?}");
    let from: u64 = ranges[0]
        .strip_prefix("bytes=")
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|r| r.parse().ok())
        .expect("bytes=N-");
    assert!(from > 0 && from < 100_000, "resumed from {from}");
}

#[test]
fn a_streamed_upload_is_resent_from_the_start_after_a_server_error() {
    let reg = TestRegistry::start();
    let blob = pseudo_random(400_000, 77);
    let d = Digest::of(&blob);
    let proxy = TestProxy::start(
        reg.addr,
        ProxyBehaviour {
            fail_method: Some(("PUT", 2)),
            ..ProxyBehaviour::default()
        },
    );
    let c = RegistryClient::new(
        &proxy.host(),
        &ClientOptions {
            retry: quick_retries(5),
            ..ClientOptions::default()
        },
    );
    let mut source = std::io::Cursor::new(blob.clone());
    let how = c
        .push_blob_stream("s/app", &d, blob.len() as u64, &mut source, None)
        .expect("push");
    assert_eq!(how, BlobPush::Uploaded);
    let mut got = Vec::new();
    client(&reg.host())
        .get_blob("s/app", &d, &mut got)
        .expect("get");
    assert_eq!(got, blob);

    let wrong = Digest::of(b"not this");
    let mut source = std::io::Cursor::new(blob.clone());
    let err = client(&reg.host())
        .push_blob_stream("s/app", &wrong, blob.len() as u64, &mut source, None)
        .expect_err("the registry checks the digest");
    assert!(err.to_string().contains("refused the content"), "{err}");
}
