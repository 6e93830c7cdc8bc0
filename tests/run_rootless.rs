//! Rootless: the same runs as an unprivileged user go through a user
//! namespace (the user is root inside, mapped to itself outside). The test
//! needs root to create that user; it then drops to it with setpriv.

mod support;

use std::os::unix::fs::{FileTypeExt, MetadataExt};

use support::busybox::{SANDBOX, busybox_rootfs};
use support::cli::{stderr, stdout};
use support::rootless::{USER, as_user, chown_tree, test_user};
use support::sandbox::is_root;

#[test]
fn an_unprivileged_user_runs_images_in_a_user_namespace() {
    if !is_root() {
        eprintln!("skipped: needs root to create the test user");
        return;
    }
    let uid = test_user();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rootfs = busybox_rootfs(d, &SANDBOX);
    for sub in ["upper", "work"] {
        std::fs::create_dir(d.join(sub)).unwrap();
    }
    chown_tree(d);
    let (lower, upper, work) = (rootfs.to_str().unwrap(), d.join("upper"), d.join("work"));

    // The overlay sandbox: root inside, the user outside, writes in upper.
    let out = as_user(
        d,
        &[
            "sandbox",
            "--lower",
            lower,
            "--upper",
            upper.to_str().unwrap(),
            "--work",
            work.to_str().unwrap(),
            "--",
            "sh",
            "-c",
            "id -u; cat /proc/self/uid_map; hostname; rm /etc/group; rm -r /tmp; mkdir /tmp; echo hi > /new",
        ],
    );
    let map: Vec<String> = stdout(&out)
        .lines()
        .nth(1)
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    assert_eq!(stdout(&out).lines().next(), Some("0"), "{}", stderr(&out));
    assert_eq!(map, ["0", &uid.to_string(), "1"]);
    let new =
        std::fs::metadata(upper.join("new")).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    assert_eq!(
        new.uid(),
        uid,
        "files made inside belong to the user outside"
    );
    let whiteout = std::fs::symlink_metadata(upper.join("etc/group"))
        .unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    assert!(whiteout.file_type().is_char_device());
    assert!(rootfs.join("etc/group").exists());
    // In a user namespace overlayfs marks opaque dirs with user.* xattrs.
    assert_eq!(
        support::sandbox::xattr(&upper.join("tmp"), "user.overlay.opaque").as_deref(),
        Some(&b"y"[..])
    );

    // strata run from a store the user owns.
    let store = d.join("store");
    let out = as_user(
        d,
        &["--root", store.to_str().unwrap(), "import", lower, "bb:1"],
    );
    assert!(out.status.success(), "import: {}", stderr(&out));
    let out = as_user(
        d,
        &[
            "--root",
            store.to_str().unwrap(),
            "run",
            "--rm",
            "bb:1",
            "sh",
            "-c",
            "id -u; ls /; exit 42",
        ],
    );
    assert_eq!(out.status.code(), Some(42), "{}", stderr(&out));
    assert_eq!(stdout(&out), "0\nbin\ndev\netc\nproc\nsys\ntmp\n");

    // Bridge networks are root's for now: a clear refusal, before anything
    // is set up (so this touches no network).
    let out = as_user(
        d,
        &[
            "--root",
            store.to_str().unwrap(),
            "run",
            "--rm",
            "--network",
            "bridge",
            "bb:1",
            "true",
        ],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("bridge networks need root"),
        "{}",
        stderr(&out)
    );

    // With subordinate ids (useradd gives the user a range in /etc/subuid),
    // other users exist inside too.
    let has_subids = std::fs::read_to_string("/etc/subuid")
        .is_ok_and(|t| t.lines().any(|l| l.starts_with(&format!("{USER}:"))));
    if has_subids {
        let out = as_user(
            d,
            &[
                "--root",
                store.to_str().unwrap(),
                "run",
                "--rm",
                "-u",
                "app",
                "bb:1",
                "id",
                "-u",
            ],
        );
        assert_eq!(stdout(&out), "1000\n", "{}", stderr(&out));
    }

    // Limits need cgroup delegation, which an unprivileged user lacks: a
    // clear error, not a silent unlimited run.
    let out = as_user(
        d,
        &[
            "--root",
            store.to_str().unwrap(),
            "run",
            "--rm",
            "--memory",
            "64m",
            "bb:1",
            "true",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("memory limits need cgroups"),
        "{}",
        stderr(&out)
    );
}
