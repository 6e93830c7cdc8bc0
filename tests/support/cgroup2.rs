//! A cgroup2 mount for the tests that force the v2 device program
//! (STRATA_DEVICE_CGROUP2) on this v1 or hybrid host.

use std::path::PathBuf;
use std::process::Command;

use super::cli::{run, stderr};

/// A cgroup2 mount: the host's own (/sys/fs/cgroup on a v2 host,
/// /sys/fs/cgroup/unified on a hybrid one), or, where none is mounted, a
/// private mount of the same hierarchy, unmounted on drop.
pub struct Cgroup2 {
    pub path: PathBuf,
    _private: Option<Unmount>,
}

/// Unmounts before the directory is removed.
struct Unmount(tempfile::TempDir);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.0.path()).output();
    }
}

impl Cgroup2 {
    pub fn find_or_mount() -> Self {
        let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
        let mounted = info.lines().find_map(|line| {
            let (head, tail) = line.split_once(" - ")?;
            let fstype = tail.split(' ').next()?;
            let point = head.split(' ').nth(4)?;
            (fstype == "cgroup2").then(|| PathBuf::from(point))
        });
        if let Some(path) = mounted {
            return Self {
                path,
                _private: None,
            };
        }
        let dir = tempfile::tempdir().unwrap();
        let out = run(Command::new("mount")
            .args(["-t", "cgroup2", "cgroup2"])
            .arg(dir.path()));
        assert!(out.status.success(), "mount cgroup2: {}", stderr(&out));
        Self {
            path: dir.path().to_path_buf(),
            _private: Some(Unmount(dir)),
        }
    }
}
