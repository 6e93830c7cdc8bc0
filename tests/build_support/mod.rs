//! Shared helpers for the build end-to-end tests: a busybox base image in
//! a fresh store (and, for conformance, in a fresh buildah store), builds
//! through the binary, root filesystems and configs read back from OCI
//! layouts with umoci.
#![allow(dead_code)]

pub mod case;
pub mod tree;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The repository's testdata/build.
pub fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/build")
}

pub fn strata(root: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_strata"));
    c.arg("--root").arg(root);
    c.env_remove("SOURCE_DATE_EPOCH");
    c
}

/// Runs and requires success; returns stdout.
pub fn ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"))
}

/// A busybox root filesystem with a few users and groups, so `--chown`
/// and `USER` by name have something to resolve.
pub fn busybox_rootfs(dir: &Path) -> PathBuf {
    let root = dir.join("rootfs");
    for d in ["bin", "etc", "tmp", "root", "usr/share"] {
        std::fs::create_dir_all(root.join(d)).expect("mkdir");
    }
    std::fs::set_permissions(
        root.join("tmp"),
        std::os::unix::fs::PermissionsExt::from_mode(0o1777),
    )
    .expect("chmod tmp");
    std::fs::copy("/bin/busybox", root.join("bin/busybox"))
        .expect("copy busybox (install busybox-static)");
    let list = ok(Command::new("/bin/busybox").arg("--list"));
    for applet in list.lines().filter(|a| !a.is_empty() && *a != "busybox") {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(applet))
            .expect("symlink applet");
    }
    std::fs::write(
        root.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\n\
         daemon:x:1:1:daemon:/usr/sbin:/bin/false\n\
         app:x:1000:1000:app:/home/app:/bin/sh\n\
         nobody:x:65534:65534:nobody:/:/bin/false\n",
    )
    .expect("passwd");
    std::fs::write(
        root.join("etc/group"),
        "root:x:0:\ndaemon:x:1:\nstaff:x:50:app\napp:x:1000:\nnogroup:x:65534:\n",
    )
    .expect("group");
    root
}

/// A store with busybox:latest imported from a fixed rootfs.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub store: PathBuf,
}

impl Env {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = dir.path().join("store");
        let rootfs = busybox_rootfs(dir.path());
        ok(strata(&store)
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .args(["import", "--compression", "gzip"])
            .arg(&rootfs)
            .arg("busybox:latest"));
        Self { dir, store }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn strata(&self) -> Command {
        strata(&self.store)
    }

    /// `strata build` of `context` with extra flags; the Output.
    pub fn build(&self, context: &Path, extra: &[&str]) -> Output {
        let mut c = self.strata();
        c.arg("build").args(extra).arg(context);
        run(&mut c)
    }

    /// Builds with `--progress json`; returns (image id, events).
    pub fn build_json(&self, context: &Path, extra: &[&str]) -> (String, Vec<Value>) {
        let iid = self.dir.path().join("iid");
        let mut args = vec!["--progress", "json", "--iidfile"];
        let iid_s = iid.to_string_lossy().into_owned();
        args.push(&iid_s);
        args.extend_from_slice(extra);
        let out = self.build(context, &args);
        assert!(
            out.status.success(),
            "build of {} failed:\n{}\n{}",
            context.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let events = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        let id = std::fs::read_to_string(&iid).expect("iidfile written");
        (id, events)
    }

    /// Pushes `image` to an OCI layout and unpacks its root filesystem.
    pub fn unpack(&self, image: &str, name: &str) -> (PathBuf, Value) {
        let layout = self.path(&format!("{name}-oci"));
        ok(self
            .strata()
            .arg("push")
            .arg(image)
            .arg(format!("oci:{}:img", layout.display())));
        unpack_layout(&layout, &self.path(&format!("{name}-rootfs")))
    }
}

impl Default for Env {
    fn default() -> Self {
        Self::new()
    }
}

/// `umoci raw unpack` of `layout:img` into `rootfs`; with the config.
pub fn unpack_layout(layout: &Path, rootfs: &Path) -> (PathBuf, Value) {
    ok(Command::new("umoci")
        .args(["raw", "unpack", "--image"])
        .arg(format!("{}:img", layout.display()))
        .arg(rootfs));
    (rootfs.to_path_buf(), layout_config(layout))
}

/// The image config of ref `img` in an OCI layout.
pub fn layout_config(layout: &Path) -> Value {
    let read = |p: PathBuf| -> Value {
        serde_json::from_slice(
            &std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
        )
        .expect("json")
    };
    let blob = |d: &str| {
        layout
            .join("blobs/sha256")
            .join(d.trim_start_matches("sha256:"))
    };
    let index = read(layout.join("index.json"));
    let manifests = index["manifests"].as_array().cloned().unwrap_or_default();
    let m = manifests
        .iter()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == "img")
        .or(manifests.first())
        .expect("a manifest in the layout");
    let manifest = read(blob(m["digest"].as_str().unwrap_or_default()));
    read(blob(
        manifest["config"]["digest"].as_str().unwrap_or_default(),
    ))
}

/// Step events that ran (not cached) and have a cache key: filesystem steps.
pub fn fs_steps_run(events: &[Value]) -> Vec<(u64, u64)> {
    events
        .iter()
        .filter(|e| e["event"] == "step_done" && e["cached"] == false && !e["key"].is_null())
        .map(|e| {
            (
                e["stage"].as_u64().unwrap_or(0),
                e["step"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

pub fn fs_steps_cached(events: &[Value]) -> Vec<(u64, u64)> {
    events
        .iter()
        .filter(|e| e["event"] == "step_done" && e["cached"] == true)
        .map(|e| {
            (
                e["stage"].as_u64().unwrap_or(0),
                e["step"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

/// Copies a directory tree (symlinks as symlinks), for editing a context.
pub fn copy_tree(from: &Path, to: &Path) {
    ok(Command::new("cp").arg("-a").arg(from).arg(to));
}
