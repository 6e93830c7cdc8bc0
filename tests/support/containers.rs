//! A store with a busybox image `bb:1` for the container lifecycle tests,
//! one per test (containers of one test must not show in another's `ps`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::busybox::{SANDBOX, busybox_rootfs};
use super::cli::{stderr, stdout, strata};

pub struct Lab {
    pub dir: PathBuf,
}

static ROOTFS: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

impl Lab {
    /// A fresh store under the target dir named for the test, holding `bb:1`.
    pub fn new(test: &str) -> Lab {
        let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("containers");
        let rootfs = ROOTFS.get_or_init(|| {
            let dir = base.join("busybox");
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            busybox_rootfs(&dir, &SANDBOX)
        });
        let dir = base.join(test);
        let lab = Lab { dir };
        // Containers a failed earlier run left running would hold its dirs.
        if lab.store().exists() {
            let _ = lab.strata(&["rm", "-f"]).args(lab.all_ids()).output();
        }
        let _ = std::fs::remove_dir_all(&lab.dir);
        std::fs::create_dir_all(&lab.dir).unwrap();
        lab.ok(&["import", &rootfs.to_string_lossy(), "bb:1"]);
        lab
    }

    pub fn store(&self) -> PathBuf {
        self.dir.join("store")
    }

    pub fn strata(&self, args: &[&str]) -> Command {
        let mut cmd = strata(&self.store());
        cmd.args(args);
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.strata(args).output().unwrap()
    }

    /// Runs and requires success; returns stdout trimmed.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "strata {args:?} failed ({:?}): {}",
            out.status.code(),
            stderr(&out)
        );
        stdout(&out).trim().to_owned()
    }

    /// Runs and requires exit code `code`; returns stderr.
    pub fn fails(&self, code: i32, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "strata {args:?}: stdout {} stderr {}",
            stdout(&out),
            stderr(&out)
        );
        stderr(&out)
    }

    pub fn inspect(&self, name: &str) -> Value {
        serde_json::from_str(&self.ok(&["inspect", name])).unwrap()
    }

    pub fn status(&self, name: &str) -> String {
        self.inspect(name)["State"]["Status"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub fn exit_code(&self, name: &str) -> Value {
        self.inspect(name)["State"]["ExitCode"].clone()
    }

    /// `ps -a --format json`.
    pub fn ps_all(&self) -> Vec<Value> {
        serde_json::from_str(&self.ok(&["ps", "-a", "--format", "json"])).unwrap()
    }

    fn all_ids(&self) -> Vec<String> {
        let out = self.run(&["ps", "-a", "-q", "--no-trunc"]);
        stdout(&out).lines().map(str::to_owned).collect()
    }

    /// Polls `logs NAME` until its stdout holds `text`.
    pub fn wait_for_log(&self, name: &str, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let out = self.run(&["logs", name]);
            let all = format!("{}{}", stdout(&out), stderr(&out));
            if all.contains(text) {
                return all;
            }
            assert!(
                Instant::now() < deadline,
                "{name}: no {text:?} in the log: {all}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The containers dir holds only the names lock: no container left.
    pub fn container_dirs(&self) -> Vec<String> {
        std::fs::read_dir(self.store().join("containers"))
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .filter(|e| e.path().is_dir())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn fsck_clean(&self) {
        self.ok(&["system", "fsck"]);
    }
}

/// Whether `pid` is a live (non-zombie) process.
pub fn process_alive(pid: u64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next().map(str::to_owned))
        })
        .is_some_and(|state| state != "Z" && state != "X")
}

/// The entry for `dst` of an `inspect`'s `Mounts`; panics naming it when
/// there is none.
pub fn mount_at(mounts: &Value, dst: &str) -> Value {
    mounts
        .as_array()
        .expect("Mounts is a list")
        .iter()
        .find(|m| m["Destination"] == dst)
        .unwrap_or_else(|| panic!("no mount at {dst}: {mounts}"))
        .clone()
}
