//! A sandbox dies with the strata that started it: `kill -9` of strata
//! (what a CI runner does to a job it times out) must not leave the
//! container's workload running, as root and rootless, whenever it lands:
//! while the workload runs, and at any point of the sandbox's start, when
//! pid 1 of the sandbox may not yet have tied itself to the outer init
//! (its parent, which sits outside its pid namespace).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::busybox::{SANDBOX, busybox_rootfs};
use support::cli::ok;
use support::rootless::{USER, chown_tree, test_user};
use support::sandbox::is_root;

macro_rules! require_root {
    () => {
        if !is_root() {
            eprintln!("skipped: needs root (a device-free store, the test user)");
            return;
        }
    };
}

/// Host pids of processes whose command line is `sleep MARKER`.
fn sleepers(marker: &str) -> Vec<u32> {
    let want = format!("sleep\0{marker}\0");
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
            cmdline.ends_with(want.as_bytes()).then_some(pid)
        })
        .collect()
}

fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}

/// A store holding `pd:1` (busybox), owned by `owner` when given.
struct Store {
    dir: tempfile::TempDir,
    rootless: bool,
}

impl Store {
    fn new(rootless: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let rootfs = busybox_rootfs(dir.path(), &SANDBOX);
        let store = Self { dir, rootless };
        if rootless {
            test_user();
            std::fs::copy(env!("CARGO_BIN_EXE_strata"), store.exe()).unwrap();
            chown_tree(store.dir.path());
        }
        let mut import = store.command(&["import", rootfs.to_str().unwrap(), "pd:1"]);
        ok(&mut import);
        store
    }

    fn exe(&self) -> PathBuf {
        if self.rootless {
            self.dir.path().join("strata")
        } else {
            PathBuf::from(env!("CARGO_BIN_EXE_strata"))
        }
    }

    /// `strata --root STORE ARGS`, as the test user when rootless; the
    /// process started is strata itself (setpriv and env exec it).
    fn command(&self, args: &[&str]) -> Command {
        let store = self.dir.path().join("store");
        let mut cmd = if self.rootless {
            let mut c = Command::new("setpriv");
            c.args(["--reuid", USER, "--regid", USER, "--init-groups", "env"])
                .arg(format!("HOME={}", self.dir.path().display()))
                // The host's network, not rootless strata's default pasta.
                .arg(format!(
                    "{}={}",
                    support::cli::HOST_NETWORK.0,
                    support::cli::HOST_NETWORK.1
                ))
                .arg(self.exe());
            c
        } else {
            Command::new(self.exe())
        };
        cmd.arg("--root")
            .arg(&store)
            .args(args)
            .current_dir(self.dir.path());
        cmd
    }

    /// `strata run --rm pd:1 sleep MARKER` in the background.
    fn start_sleeper(&self, marker: &str) -> Child {
        self.command(&["run", "--rm", "pd:1", "sleep", marker])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// A marker unique to this test process and call: `sleep` takes it as
/// seconds, so it is a number, and large enough never to end by itself.
fn marker(case: u32) -> String {
    format!(
        "{}",
        700_000_000 + std::process::id() % 100_000 * 100 + case
    )
}

fn kill_9(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Kills every sleeper left, so a failing test does not leak them.
fn reap(marker: &str) {
    for pid in sleepers(marker) {
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    }
}

fn the_workload_dies_with_strata(store: &Store) {
    let m = marker(0);
    let mut strata = store.start_sleeper(&m);
    let started = wait_until(Duration::from_secs(30), || !sleepers(&m).is_empty());
    if !started {
        kill_9(&mut strata);
        panic!(
            "the workload never started (store {})",
            store.path().display()
        );
    }
    kill_9(&mut strata);
    let gone = wait_until(Duration::from_secs(10), || sleepers(&m).is_empty());
    reap(&m);
    assert!(gone, "the workload outlived strata's SIGKILL");
}

/// SIGKILL at a spread of moments of the sandbox's start: whatever was
/// half set up, nothing of the run may go on to exec the workload.
fn no_start_survives_strata(store: &Store) {
    let delays_ms = [0u64, 1, 2, 3, 5, 8, 12, 16, 20, 25, 30, 40, 50, 60, 80, 100];
    let markers: Vec<String> = (1..=delays_ms.len() as u32).map(marker).collect();
    for (delay, m) in delays_ms.iter().zip(&markers) {
        let mut strata = store.start_sleeper(m);
        std::thread::sleep(Duration::from_millis(*delay));
        kill_9(&mut strata);
    }
    // Long enough for a surviving pid 1 to finish its setup and exec.
    std::thread::sleep(Duration::from_secs(2));
    let left: Vec<&String> = markers.iter().filter(|m| !sleepers(m).is_empty()).collect();
    for m in &markers {
        reap(m);
    }
    assert!(left.is_empty(), "workloads outlived strata: {left:?}");
}

#[test]
fn a_root_run_dies_with_strata() {
    require_root!();
    the_workload_dies_with_strata(&Store::new(false));
}

#[test]
fn a_root_run_killed_while_it_starts_leaves_nothing() {
    require_root!();
    no_start_survives_strata(&Store::new(false));
}

#[test]
fn a_rootless_run_dies_with_strata() {
    require_root!();
    the_workload_dies_with_strata(&Store::new(true));
}

#[test]
fn a_rootless_run_killed_while_it_starts_leaves_nothing() {
    require_root!();
    no_start_survives_strata(&Store::new(true));
}
