//! BuildKit as Debian's docker.io 20.10 ships it: a private dockerd in a
//! temporary directory that touches no iptables rule and makes no bridge
//! (/work/shared/PEERS.md; benches/lib/buildkit.sh starts it the same way).
//! Dropping the handle stops it and unmounts what it left mounted.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Debian's CLI: another `docker` first on PATH may lack BuildKit.
const DOCKER: &str = "/usr/bin/docker";
const DOCKERD: &str = "/usr/sbin/dockerd";

pub struct Dockerd {
    dir: PathBuf,
    child: Child,
}

impl Dockerd {
    pub fn start(dir: &Path) -> Result<Self, String> {
        std::fs::create_dir_all(dir.join("config")).map_err(|e| e.to_string())?;
        // An empty client config, so no ~/.docker of the caller is read.
        std::fs::write(dir.join("config/config.json"), "{}").map_err(|e| e.to_string())?;
        let log = std::fs::File::create(dir.join("dockerd.log")).map_err(|e| e.to_string())?;
        let child = Command::new(DOCKERD)
            .args([
                "--iptables=false",
                "--ip-forward=false",
                "--ip-masq=false",
                "--bridge=none",
                "--storage-driver=overlay2",
            ])
            .arg("--data-root")
            .arg(dir.join("data"))
            .arg("--exec-root")
            .arg(dir.join("exec"))
            .arg("--pidfile")
            .arg(dir.join("dockerd.pid"))
            .arg("-H")
            .arg(format!("unix://{}", dir.join("docker.sock").display()))
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            // Its own process group: a ^C to the test reaches it only
            // through our Drop.
            .process_group(0)
            .spawn()
            .map_err(|e| format!("{DOCKERD}: {e} (install docker.io)"))?;
        let mut d = Self {
            dir: dir.to_path_buf(),
            child,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let up = d
                .docker()
                .arg("version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if up {
                return Ok(d);
            }
            if Instant::now() > deadline || d.child.try_wait().ok().flatten().is_some() {
                let log = std::fs::read_to_string(dir.join("dockerd.log")).unwrap_or_default();
                return Err(format!("dockerd did not start:\n{log}"));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The 20.10 CLI talking to this daemon, with BuildKit on.
    pub fn docker(&self) -> Command {
        let mut c = Command::new(DOCKER);
        c.env(
            "DOCKER_HOST",
            format!("unix://{}", self.dir.join("docker.sock").display()),
        )
        .env("DOCKER_BUILDKIT", "1")
        .env("DOCKER_CONFIG", self.dir.join("config"));
        c
    }
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        let pid = self.child.id() as i32;
        if let Some(p) = rustix::process::Pid::from_raw(pid) {
            let _ = rustix::process::kill_process(p, rustix::process::Signal::TERM);
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.child.try_wait().ok().flatten().is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        unmount_under(&self.dir);
    }
}

/// Unmounts every mount at or below `dir`, deepest first (the netns bind
/// mount dockerd leaves in its exec root, overlays of killed builds).
pub fn unmount_under(dir: &Path) {
    let Ok(info) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return;
    };
    let prefix = dir.to_string_lossy().into_owned();
    let mut points: Vec<&str> = info
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .filter(|p| p.starts_with(&prefix))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for p in points {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(p)
            .stderr(Stdio::null())
            .status();
    }
}
