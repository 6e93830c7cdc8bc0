//! `run --platform` and `system binfmt`: a foreign image's programs run
//! through qemu-user-static registered with binfmt_misc (flag F), and
//! without a handler the run fails saying how to register one. Each test
//! works in a private binfmt_misc (a user namespace's own instance, Linux
//! 6.7+), so the host's handlers are neither needed nor touched.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::cli::{ok, stderr, stdout, strata};
use support::foreign::busybox_rootfs_for;
use support::hostile::flat;

/// A store where `multi` is an index of an amd64 and an arm64 busybox.
fn store_with_index(dir: &Path) -> std::path::PathBuf {
    let root = dir.join("store");
    for arch in ["amd64", "arm64"] {
        let rootfs = busybox_rootfs_for(dir, arch);
        ok(strata(&root)
            .args(["import", "--platform", &format!("linux/{arch}")])
            .arg(&rootfs)
            .arg("multi"));
    }
    root
}

/// Runs `script` (sh, with `$STRATA` the binary and `$ROOT` the store) in
/// a new user and mount namespace with its own empty binfmt_misc.
fn in_private_binfmt(root: &Path, script: &str) -> Output {
    let full =
        format!("mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || exit 99\n{script}");
    Command::new("unshare")
        .args([
            "--user",
            "--map-root-user",
            "--mount",
            "--propagation",
            "private",
        ])
        .args(["sh", "-ec", &full])
        .env("STRATA", env!("CARGO_BIN_EXE_strata"))
        .env("ROOT", root)
        .output()
        .expect("run unshare")
}

#[test]
fn a_foreign_platform_without_a_handler_fails_saying_how_to_register_one() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = store_with_index(tmp.path());
    let out = in_private_binfmt(
        &root,
        r#"$STRATA system binfmt
$STRATA --root "$ROOT" run --rm --platform linux/arm64 multi uname -m"#,
    );
    assert_eq!(out.status.code(), Some(1), "stdout: {}", stdout(&out));
    let stdout = stdout(&out);
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("linux/arm64") && l.contains("none")),
        "nothing registered: {stdout}"
    );
    let err = flat(&out.stderr);
    assert!(err.contains("cannot run programs of linux/arm64"), "{err}");
    assert!(
        err.contains("strata system binfmt --install"),
        "says how: {err}"
    );
    assert!(!stdout.contains("aarch64"), "nothing ran: {stdout}");
}

#[test]
fn run_platform_arm64_prints_aarch64_through_qemu_registered_with_flag_f() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = store_with_index(tmp.path());
    let out = in_private_binfmt(
        &root,
        r#"$STRATA system binfmt --install >/dev/null
$STRATA system binfmt
echo "arm64: $($STRATA --root "$ROOT" run --rm --platform linux/arm64 multi uname -m)"
echo "aarch64: $($STRATA --root "$ROOT" run --rm --platform linux/aarch64 multi uname -m)"
echo "amd64: $($STRATA --root "$ROOT" run --rm --platform linux/amd64 multi uname -m)"
echo "default: $($STRATA --root "$ROOT" run --rm multi uname -m)"
id=$($STRATA --root "$ROOT" create --platform linux/arm64 multi uname -m)
echo "created: $($STRATA --root "$ROOT" start -a "$id")"
$STRATA --root "$ROOT" rm "$id" >/dev/null"#,
    );
    let stdout = stdout(&out);
    assert!(out.status.success(), "{stdout}\n{}", stderr(&out));
    assert!(
        stdout.lines().any(|l| l.starts_with("linux/arm64")
            && l.contains("/usr/bin/qemu-aarch64-static")
            && l.contains("(flags F)")),
        "{stdout}"
    );
    assert!(stdout.contains("arm64: aarch64\n"), "{stdout}");
    assert!(stdout.contains("aarch64: aarch64\n"), "{stdout}");
    assert!(stdout.contains("amd64: x86_64\n"), "{stdout}");
    assert!(
        stdout.contains("default: x86_64\n"),
        "this machine's entry: {stdout}"
    );
    assert!(
        stdout.contains("created: aarch64\n"),
        "a monitored container too: {stdout}"
    );
}

#[test]
fn a_platform_the_image_lacks_is_refused_naming_what_it_has() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = store_with_index(tmp.path());
    let out = strata(&root)
        .args([
            "run",
            "--rm",
            "--platform",
            "linux/riscv64",
            "multi",
            "true",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("linux/riscv64"), "{err}");
    // miette wraps the line; the platforms it names are what matter.
    assert!(
        err.contains("it has: linux/amd64,") && err.contains("arm64)"),
        "{err}"
    );
}
