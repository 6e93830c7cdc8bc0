//! A layer holding every kind of entry an overlay upper dir can have
//! survives write -> apply -> write with the same diff_id, and applying it
//! recreates each kind faithfully. Needs root (device nodes, chown,
//! trusted.* xattrs), as CI runs.

mod store_support;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::Path;

use rustix::fs::{self as rfs, CWD, FileType, Mode, XattrFlags};
use store_support::*;

/// VFS_CAP_REVISION_2 granting cap_net_bind_service, effective.
const CAP_NET_BIND_SERVICE: [u8; 20] = [1, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

fn mknod(path: &Path, ft: FileType, perm: u32, major: u32, minor: u32) {
    rfs::mknodat(
        CWD,
        path,
        ft,
        Mode::from_raw_mode(perm),
        rfs::makedev(major, minor),
    )
    .expect("mknod (root needed)");
}

fn xattr(path: &Path, name: &str, value: &[u8]) {
    rfs::lsetxattr(path, name, value, XattrFlags::empty()).expect("setxattr");
}

fn get_xattr(path: &Path, name: &str) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 256];
    let n = rfs::lgetxattr(path, name, &mut buf[..]).ok()?;
    buf.truncate(n);
    Some(buf)
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

/// An overlay upper dir as a RUN step leaves it.
fn upper_dir(root: &Path) {
    for d in ["bin", "etc", "var/cache", "tmp", "run", "dev", "shared"] {
        fs::create_dir_all(root.join(d)).expect("mkdir");
    }
    fs::write(root.join("etc/conf"), "x=1\n").expect("write");
    mknod(
        &root.join("etc/removed"),
        FileType::CharacterDevice,
        0o000,
        0,
        0,
    );
    xattr(&root.join("var/cache"), "trusted.overlay.opaque", b"y");
    fs::write(root.join("var/cache/fresh"), "new").expect("write");
    fs::write(root.join("bin/a"), "#!/bin/sh\necho a\n").expect("write");
    fs::hard_link(root.join("bin/a"), root.join("bin/b")).expect("link");
    fs::hard_link(root.join("bin/a"), root.join("bin/c")).expect("link");
    symlink("a", root.join("bin/sh")).expect("symlink");
    symlink("/usr/lib", root.join("lib64")).expect("symlink");
    fs::write(root.join("bin/ping"), "elf").expect("write");
    xattr(
        &root.join("bin/ping"),
        "security.capability",
        &CAP_NET_BIND_SERVICE,
    );
    xattr(&root.join("etc/conf"), "user.note", b"hello");
    fs::write(root.join("bin/su"), "suid").expect("write");
    chmod(&root.join("bin/su"), 0o4755);
    chmod(&root.join("shared"), 0o2775);
    chmod(&root.join("tmp"), 0o1777);
    mknod(&root.join("run/fifo"), FileType::Fifo, 0o644, 0, 0);
    mknod(
        &root.join("dev/null"),
        FileType::CharacterDevice,
        0o666,
        1,
        3,
    );
    std::os::unix::fs::lchown(root.join("etc/conf"), Some(1000), Some(1001)).expect("chown");
    let long = root.join("deep/".repeat(30));
    fs::create_dir_all(&long).expect("mkdir long");
    fs::write(long.join("file-with-a-long-path"), "deep").expect("write");
}

#[test]
fn special_entries_survive_write_apply_write_with_the_same_diff_id() {
    let t = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let upper = t.path().join("upper");
    upper_dir(&upper);

    // write: the upper dir becomes a layer.
    let s1 = t.path().join("s1");
    ok(strata(&s1)
        .env("SOURCE_DATE_EPOCH", "1600000000")
        .arg("import")
        .arg(&upper)
        .arg("special"));
    let first = diff_ids(&s1, "special");

    // apply: moved to another store through an archive, unpacked into a snapshot.
    let archive = t.path().join("special.tar");
    ok(strata(&s1)
        .args(["push", "special"])
        .arg(format!("oci-archive:{}", archive.display())));
    let s2 = t.path().join("s2");
    ok(strata(&s2)
        .arg("pull")
        .arg(format!("oci-archive:{}", archive.display()))
        .arg("special"));
    let snap = s2
        .join("snapshots")
        .join(format!("layer-{}", first[0].trim_start_matches("sha256:")))
        .join("fs");

    // write again: the same diff_id.
    let s3 = t.path().join("s3");
    ok(strata(&s3)
        .env("SOURCE_DATE_EPOCH", "1600000000")
        .arg("import")
        .arg(&snap)
        .arg("again"));
    assert_eq!(diff_ids(&s3, "again"), first);

    // And the snapshot holds each kind as an overlay lower dir needs it.
    let m = |p: &str| fs::symlink_metadata(snap.join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
    let wh = m("etc/removed");
    assert!(std::os::unix::fs::FileTypeExt::is_char_device(&wh.file_type()) && wh.rdev() == 0);
    assert_eq!(
        get_xattr(&snap.join("var/cache"), "trusted.overlay.opaque").as_deref(),
        Some(&b"y"[..])
    );
    assert_eq!(m("bin/a").ino(), m("bin/b").ino());
    assert_eq!(m("bin/a").ino(), m("bin/c").ino());
    assert_eq!(
        fs::read_link(snap.join("lib64")).ok(),
        Some("/usr/lib".into())
    );
    assert_eq!(
        get_xattr(&snap.join("bin/ping"), "security.capability").as_deref(),
        Some(&CAP_NET_BIND_SERVICE[..])
    );
    assert_eq!(
        get_xattr(&snap.join("etc/conf"), "user.note").as_deref(),
        Some(&b"hello"[..])
    );
    assert_eq!(m("bin/su").mode() & 0o7777, 0o4755);
    assert_eq!(m("shared").mode() & 0o7777, 0o2775);
    assert_eq!(m("tmp").mode() & 0o7777, 0o1777);
    assert!(std::os::unix::fs::FileTypeExt::is_fifo(
        &m("run/fifo").file_type()
    ));
    assert_eq!(rfs::major(m("dev/null").rdev()), 1);
    assert_eq!(rfs::minor(m("dev/null").rdev()), 3);
    assert_eq!((m("etc/conf").uid(), m("etc/conf").gid()), (1000, 1001));
    assert!(m("bin/su").mtime() <= 1_600_000_000);
}

#[test]
fn whiteouts_and_opaque_dirs_are_standard_oci_entries_in_the_tar() {
    let t = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let upper = t.path().join("upper");
    upper_dir(&upper);
    let s = t.path().join("s");
    ok(strata(&s)
        .args(["import", "--compression", "none"])
        .arg(&upper)
        .arg("w"));
    let layer = inspect(&s, "w")["Manifest"]["layers"][0]["digest"]
        .as_str()
        .unwrap_or_default()
        .trim_start_matches("sha256:")
        .to_owned();
    let listing = ok(tool("tar")
        .arg("-tvf")
        .arg(s.join("blobs/sha256").join(layer)));
    assert!(listing.contains("etc/.wh.removed"), "{listing}");
    assert!(listing.contains("var/cache/.wh..wh..opq"), "{listing}");
    assert!(listing.contains("bin/b link to bin/a"), "{listing}");
    assert!(!listing.contains("trusted.overlay"), "{listing}");
}
