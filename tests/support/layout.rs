//! Images read back from OCI layouts.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::cli::ok;

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
