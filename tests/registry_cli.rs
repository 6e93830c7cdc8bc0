//! `strata login`, `strata push IMAGE docker://...` and `strata pull
//! docker://...` end to end, against a real docker-registry, with skopeo as
//! the independent peer.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::proxy::{ProxyBehaviour, TestProxy};
use support::registry::{TestRegistry, put_platform_index};

fn strata(root: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_strata"));
    c.arg("--root").arg(root);
    // Never read the developer's own docker logins.
    c.env("DOCKER_CONFIG", root.join("no-docker-config"));
    c.env_remove("REGISTRY_AUTH_FILE");
    c
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn failed(out: Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A store with one image `app:1` made from a small root filesystem.
fn store_with_image(dir: &Path) -> (std::path::PathBuf, String) {
    let root = dir.join("store-a");
    let rootfs = dir.join("rootfs");
    std::fs::create_dir_all(rootfs.join("etc")).expect("mkdir");
    std::fs::write(rootfs.join("etc/hello"), "hello from strata\n").expect("write");
    std::fs::write(rootfs.join("big"), vec![7u8; 200_000]).expect("write");
    let digest = ok(strata(&root)
        .arg("import")
        .arg(&rootfs)
        .arg("app:1")
        .output()
        .expect("run"));
    (root, digest)
}

fn skopeo_digest(reference: &str, creds: Option<&str>) -> String {
    let mut c = Command::new("skopeo");
    c.args(["inspect", "--tls-verify=false", "--format", "{{.Digest}}"]);
    if let Some(cr) = creds {
        c.arg("--creds").arg(cr);
    }
    ok(c.arg(reference).output().expect("run skopeo"))
}

#[test]
fn push_then_pull_into_an_empty_store_keeps_the_manifest_digest() {
    let reg = TestRegistry::start();
    let tmp = tempfile::tempdir().expect("tempdir");
    let (root_a, digest) = store_with_image(tmp.path());
    let remote = format!("docker://{}/team/app:1", reg.host());

    let pushed = ok(strata(&root_a)
        .args(["push", "app:1", &remote])
        .output()
        .expect("run"));
    assert_eq!(pushed, digest);
    assert_eq!(
        skopeo_digest(&remote, None),
        digest,
        "skopeo sees what we pushed"
    );
    // A second push finds every blob there already.
    let again = strata(&root_a)
        .args(["push", "app:1", &remote])
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));
    assert_eq!(ok(again), digest);

    let root_b = tmp.path().join("store-b");
    let pulled = ok(strata(&root_b)
        .args(["pull", &remote])
        .output()
        .expect("run"));
    assert_eq!(pulled, digest);
    let images = ok(strata(&root_b)
        .args(["images", "--format", "json"])
        .output()
        .expect("run"));
    assert!(
        images.contains(&format!("{}/team/app:1", reg.host())),
        "{images}"
    );
    assert!(images.contains(&digest), "{images}");
    ok(strata(&root_b)
        .args(["system", "fsck"])
        .output()
        .expect("run"));

    // By digest, under a local name of our choosing.
    let by_digest = format!("docker://{}/team/app@{digest}", reg.host());
    let root_c = tmp.path().join("store-c");
    let pulled = ok(strata(&root_c)
        .args(["pull", &by_digest, "mine:latest"])
        .output()
        .expect("run"));
    assert_eq!(pulled, digest);
    let images = ok(strata(&root_c)
        .args(["images", "--format", "json"])
        .output()
        .expect("run"));
    assert!(images.contains("mine"), "{images}");
}

#[test]
fn images_pushed_by_skopeo_in_docker_format_pull_unchanged() {
    let reg = TestRegistry::start();
    let tmp = tempfile::tempdir().expect("tempdir");
    let (root_a, _) = store_with_image(tmp.path());
    let layout = tmp.path().join("layout");
    ok(strata(&root_a)
        .args(["push", "app:1"])
        .arg(format!("oci:{}:app", layout.display()))
        .output()
        .expect("run"));
    let remote = format!("docker://{}/peer/app:v2s2", reg.host());
    ok(Command::new("skopeo")
        .args(["copy", "--dest-tls-verify=false", "--format", "v2s2"])
        .arg(format!("oci:{}:app", layout.display()))
        .arg(&remote)
        .output()
        .expect("run skopeo"));
    let want = skopeo_digest(&remote, None);
    let root_b = tmp.path().join("store-b");
    let pulled = ok(strata(&root_b)
        .args(["pull", &remote])
        .output()
        .expect("run"));
    assert_eq!(pulled, want);
    let inspect = ok(strata(&root_b)
        .args(["inspect", &pulled])
        .output()
        .expect("run"));
    assert!(
        inspect.contains("application/vnd.docker.distribution.manifest.v2+json"),
        "{inspect}"
    );
}

#[test]
fn login_saves_working_credentials_and_a_wrong_password_is_named() {
    let reg = TestRegistry::start_with_basic_auth("ci", "hunter2-long");
    let tmp = tempfile::tempdir().expect("tempdir");
    let (root_a, digest) = store_with_image(tmp.path());
    let remote = format!("docker://{}/private/app:1", reg.host());

    let denied = failed(
        strata(&root_a)
            .args(["push", "app:1", &remote])
            .output()
            .expect("run"),
    );
    assert!(denied.contains("strata login"), "{denied}");

    let wrong = failed(
        strata(&root_a)
            .args(["login", "-u", "ci", "-p", "nope", &reg.host()])
            .output()
            .expect("run"),
    );
    assert!(wrong.contains("wrong username or password"), "{wrong}");
    assert!(!root_a.join("no-docker-config/config.json").exists());

    let mut login = strata(&root_a)
        .args(["login", "-u", "ci", "--password-stdin", &reg.host()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run");
    use std::io::Write;
    login
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"hunter2-long\n")
        .expect("write");
    let said = ok(login.wait_with_output().expect("wait"));
    assert!(said.contains("Login Succeeded"), "{said}");
    let config =
        std::fs::read_to_string(root_a.join("no-docker-config/config.json")).expect("saved");
    assert!(config.contains(&reg.host()), "{config}");

    assert_eq!(
        ok(strata(&root_a)
            .args(["push", "app:1", &remote])
            .output()
            .expect("run")),
        digest
    );
    assert_eq!(skopeo_digest(&remote, Some("ci:hunter2-long")), digest);
    let root_b = tmp.path().join("store-b");
    // The other store shares the login (same credentials file).
    let pulled = strata(&root_b)
        .env("DOCKER_CONFIG", root_a.join("no-docker-config"))
        .args(["pull", &remote])
        .output()
        .expect("run");
    assert_eq!(ok(pulled), digest);
    let bad_creds = failed(
        strata(&tmp.path().join("store-c"))
            .args(["pull", "--creds", "ci:wrong", &remote])
            .output()
            .expect("run"),
    );
    assert!(
        bad_creds.contains("wrong username or password"),
        "{bad_creds}"
    );

    ok(strata(&root_a)
        .args(["logout", &reg.host()])
        .output()
        .expect("run"));
    let config =
        std::fs::read_to_string(root_a.join("no-docker-config/config.json")).expect("kept");
    assert!(!config.contains(&reg.host()), "{config}");
}

#[test]
fn pull_and_push_ride_out_a_registry_that_fails_the_first_requests() {
    let reg = TestRegistry::start();
    let tmp = tempfile::tempdir().expect("tempdir");
    let (root_a, digest) = store_with_image(tmp.path());
    // A fresh proxy for each direction, so each starts by failing.
    let flaky_proxy = || {
        TestProxy::start(
            reg.addr,
            ProxyBehaviour {
                fail_first: 3,
                ..ProxyBehaviour::default()
            },
        )
    };
    let flaky = flaky_proxy();
    let remote = format!("docker://{}/flaky/app:1", flaky.host());
    assert_eq!(
        ok(strata(&root_a)
            .args(["push", "app:1", &remote])
            .output()
            .expect("run")),
        digest
    );

    let flaky = flaky_proxy();
    let remote = format!("docker://{}/flaky/app:1", flaky.host());
    let root_b = tmp.path().join("store-b");
    assert_eq!(
        ok(strata(&root_b)
            .args(["pull", &remote])
            .output()
            .expect("run")),
        digest
    );
    let seen = flaky.requests.load(std::sync::atomic::Ordering::SeqCst);
    assert!(seen > 3, "{seen} requests");
}

#[test]
fn a_docker_credential_helper_supplies_the_password() {
    use std::os::unix::fs::PermissionsExt;
    let reg = TestRegistry::start_with_basic_auth("bot", "from-helper");
    let tmp = tempfile::tempdir().expect("tempdir");
    let (root_a, digest) = store_with_image(tmp.path());
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    // Answers only for our registry, as docker's helpers do.
    let helper = bin.join("docker-credential-strata-test");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\nread server\n[ \"$1\" = get ] && [ \"$server\" = \"{}\" ] || {{ echo 'credentials not found in native keychain'; exit 1; }}\n\
             echo '{{\"ServerURL\":\"'$server'\",\"Username\":\"bot\",\"Secret\":\"from-helper\"}}'\n",
            reg.host()
        ),
    )
    .expect("write helper");
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let config_dir = tmp.path().join("docker");
    std::fs::create_dir_all(&config_dir).expect("mkdir");
    std::fs::write(
        config_dir.join("config.json"),
        format!(r#"{{"credHelpers":{{"{}":"strata-test"}}}}"#, reg.host()),
    )
    .expect("write config");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let remote = format!("docker://{}/helped/app:1", reg.host());
    let pushed = strata(&root_a)
        .env("DOCKER_CONFIG", &config_dir)
        .env("PATH", &path)
        .args(["push", "app:1", &remote])
        .output()
        .expect("run");
    assert_eq!(ok(pushed), digest);
}

#[test]
fn pull_picks_the_requested_platform_from_an_index() {
    let reg = TestRegistry::start();
    let tmp = tempfile::tempdir().expect("tempdir");
    let (root_a, first) = store_with_image(tmp.path());
    let other_fs = tmp.path().join("other-rootfs");
    std::fs::create_dir_all(&other_fs).expect("mkdir");
    std::fs::write(other_fs.join("arm"), "another image\n").expect("write");
    let second = ok(strata(&root_a)
        .arg("import")
        .arg(&other_fs)
        .arg("app:2")
        .output()
        .expect("run"));
    let base = format!("docker://{}/multi/app", reg.host());
    ok(strata(&root_a)
        .args(["push", "app:1", &format!("{base}:a")])
        .output()
        .expect("run"));
    ok(strata(&root_a)
        .args(["push", "app:2", &format!("{base}:b")])
        .output()
        .expect("run"));

    put_platform_index(&reg.host(), "multi/app", &[("b", "arm64"), ("a", "amd64")]);

    let latest = format!("{base}:latest");
    let arm = ok(strata(&tmp.path().join("b"))
        .args(["pull", "--platform", "linux/arm64", &latest])
        .output()
        .expect("run"));
    assert_eq!(arm, second);
    let amd = ok(strata(&tmp.path().join("c"))
        .args(["pull", "--platform", "linux/amd64", &latest])
        .output()
        .expect("run"));
    assert_eq!(amd, first);
    let none = failed(
        strata(&tmp.path().join("d"))
            .args(["pull", "--platform", "linux/riscv64", &latest])
            .output()
            .expect("run"),
    );
    assert!(none.contains("linux/arm64, linux/amd64"), "{none}");
}
