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

/// Imported with SOURCE_DATE_EPOCH, as the other tests' busybox base is (the
/// clamped mtimes are part of what a build sees).
pub fn busybox(work: &Path, store: &Path, dockerd: &Dockerd) {
    let rootfs = busybox_rootfs(&work.join("busybox"), &DIFF);
    give_both(
        &rootfs,
        BUSYBOX_BASE,
        Some("1700000000"),
        work,
        store,
        dockerd,
    );
}

/// Debian 12 minbase (a minute or two): made once per test run. As in
/// Docker's own debian:*-slim images, dpkg skips its fsyncs
/// (force-unsafe-io) and leaves out documentation, man pages and
/// translations (kept in /etc/dpkg/dpkg.cfg.d/99mmdebstrap, so the builds'
/// installs do too); apt fetches no translated descriptions, and the
/// package lists are kept, so a Dockerfile's `apt-get update` only
/// revalidates them.
pub fn debian(work: &Path, store: &Path, dockerd: &Dockerd) {
    let tar = work.join("debian-minbase.tar");
    ok(Command::new("mmdebstrap")
        .args([
            "--variant=minbase",
            "--quiet",
            "--dpkgopt=force-unsafe-io",
            "--dpkgopt=path-exclude=/usr/share/doc/*",
            "--dpkgopt=path-include=/usr/share/doc/*/copyright",
            "--dpkgopt=path-exclude=/usr/share/man/*",
            "--dpkgopt=path-exclude=/usr/share/info/*",
            "--dpkgopt=path-exclude=/usr/share/locale/*",
            "--aptopt=Acquire::Languages \"none\"",
            "--skip=cleanup/apt/lists",
            "bookworm",
        ])
        .arg(&tar)
        .arg("http://deb.debian.org/debian"));
    // Not clamped: strata's import clamps the layer it stores but builds on
    // the unclamped snapshot, so every file a RUN copies up would differ
    // (case run_opens_file_for_write shows it on the busybox base).
    give_both(&tar, DEBIAN_BASE, None, work, store, dockerd);
}

fn give_both(
    rootfs: &Path,
    name: &str,
    epoch: Option<&str>,
    work: &Path,
    store: &Path,
    dockerd: &Dockerd,
) {
    let mut import = strata(store);
    if let Some(e) = epoch {
        import.env("SOURCE_DATE_EPOCH", e);
    }
    ok(import
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
