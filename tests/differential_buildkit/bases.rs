//! The base images both builders start from, made here so that nothing is
//! pulled: busybox from the host's static binary, and Debian 12 minbase by
//! mmdebstrap through Debian's mirror. Each is imported into strata's store
//! and handed to BuildKit as the same docker-archive (`docker load`), so
//! both see identical base layers.

use std::path::Path;
use std::process::Command;

use super::case::DEBIAN_BASE;
use super::dockerd::Dockerd;
use super::support::busybox::{Flavour, busybox_rootfs};
use super::support::cli::{ok, strata};

/// busybox with users whose primary group differs from their uid (`web`,
/// `svc`), so `--chown=NAME` shows which gid a builder picks.
const DIFF: Flavour = Flavour {
    dirs: &["bin", "etc", "tmp", "root", "usr/share", "home/app"],
    sticky_tmp: true,
    passwd: "root:x:0:0:root:/root:/bin/sh\n\
             daemon:x:1:1:daemon:/usr/sbin:/bin/false\n\
             app:x:1000:1000:app:/home/app:/bin/sh\n\
             web:x:1001:50:web:/var/www:/bin/sh\n\
             svc:x:1002:1003:svc:/srv:/bin/false\n\
             nobody:x:65534:65534:nobody:/:/bin/false\n",
    group: "root:x:0:\ndaemon:x:1:\nstaff:x:50:app,web\napp:x:1000:\n\
            svcgrp:x:1003:\ndevs:x:2000:app\nnogroup:x:65534:\n",
};

pub const BUSYBOX_BASE: &str = "busybox:latest";

pub fn busybox(work: &Path, store: &Path, dockerd: &Dockerd) {
    let rootfs = busybox_rootfs(&work.join("busybox"), &DIFF);
    give_both(&rootfs, BUSYBOX_BASE, work, store, dockerd);
}

/// Debian 12 minbase (~100 MB, a minute or two): made once per test run.
pub fn debian(work: &Path, store: &Path, dockerd: &Dockerd) {
    let tar = work.join("debian-minbase.tar");
    ok(Command::new("mmdebstrap")
        .args(["--variant=minbase", "--quiet", "bookworm"])
        .arg(&tar)
        .arg("http://deb.debian.org/debian"));
    give_both(&tar, DEBIAN_BASE, work, store, dockerd);
}

fn give_both(rootfs: &Path, name: &str, work: &Path, store: &Path, dockerd: &Dockerd) {
    ok(strata(store)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(["import", "--compression", "none"])
        .arg(rootfs)
        .arg(name));
    let archive = work.join(format!("{}.docker.tar", name.replace([':', '/'], "_")));
    ok(strata(store).arg("push").arg(name).arg(format!(
        "docker-archive:{}:docker.io/library/{name}",
        archive.display()
    )));
    ok(dockerd.docker().arg("load").arg("-i").arg(&archive));
}
