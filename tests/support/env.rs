//! A fresh store holding busybox:latest, and builds run in it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use super::busybox::{BUILD, busybox_rootfs};
use super::cli::{ok, run, strata};
use super::events::json_lines;
use super::layout::unpack_layout;

/// The repository's testdata/build.
pub fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/build")
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
        let rootfs = busybox_rootfs(dir.path(), &BUILD);
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
        let events = json_lines(&out.stdout);
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
