//! The rootless network tests' world (tests/network_rootless*.rs): an
//! unprivileged user (created; root needed for useradd) whose strata runs
//! inside an `ip netns` of the test's own with a default route, through
//! setpriv, so nothing reaches the host's network, and a store holding
//! busybox as `bb:1` whose /www/index.html says `page of the container`.

use std::path::PathBuf;
use std::process::{Child, Command, Output};
use std::time::Duration;

use super::busybox::{SANDBOX, busybox_rootfs};
use super::cli::stderr;
use super::netns::TestNs;
use super::rootless::{Home, User};

pub const USER: &str = "strata-rl-net";
/// The test namespace's default gateway: pasta maps it to the
/// namespace's loopback.
pub const GATEWAY: &str = "192.0.2.254";

/// Root (to create the user) and pasta: what every rootless network test
/// needs.
pub fn available() -> bool {
    super::sandbox::is_root() && Command::new("pasta").arg("--version").output().is_ok()
}

pub struct Env {
    pub ns: TestNs,
    pub home: Home,
    pub dir: PathBuf,
    _tmp: tempfile::TempDir,
}

impl Env {
    pub fn new(tag: &str) -> Self {
        let user = User::with_subids(USER);
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let rootfs = busybox_rootfs(&dir, &SANDBOX);
        std::fs::create_dir_all(rootfs.join("www")).unwrap();
        std::fs::write(rootfs.join("www/index.html"), "page of the container\n").unwrap();
        std::fs::create_dir_all(dir.join("ctx")).unwrap();
        user.give(&dir);
        let home = user.home(&dir);
        let ns = TestNs::new(&format!("rl{tag}"));
        super::cli::ok(
            ns.cmd("ip")
                .args(["route", "add", "default", "via", GATEWAY, "dev", "out0"]),
        );
        let env = Self {
            ns,
            home,
            dir,
            _tmp: tmp,
        };
        let out = env
            .strata(&["import", rootfs.to_str().unwrap(), "bb:1"])
            .output()
            .unwrap();
        assert!(out.status.success(), "import: {}", stderr(&out));
        env
    }

    /// The user's `strata ARGS`, inside the test namespace. pasta opens
    /// /dev/net/tun, which Debian's udev makes 0666; where it is root's
    /// alone (this kind of CI machine), a private mount namespace gets a
    /// node the user may open, leaving the host's as it is.
    pub fn strata(&self, args: &[&str]) -> Command {
        self.strata_with_path(args, "/usr/sbin:/usr/bin:/sbin:/bin")
    }

    /// [`Env::strata`] with `path` as its PATH.
    pub fn strata_with_path(&self, args: &[&str], path: &str) -> Command {
        let tun = self.dir.join("tun");
        let mut c = self.ns.cmd("unshare");
        c.args(["-m", "--propagation", "private", "sh", "-c"])
            .arg(
                "[ -e \"$0\" ] || { mknod \"$0\" c 10 200 && chmod 666 \"$0\"; } \
                 && mount --bind \"$0\" /dev/net/tun && exec \"$@\"",
            )
            .arg(&tun)
            .arg("setpriv")
            .args(["--reuid", USER, "--regid", USER, "--init-groups"])
            .args(["env", "-i", &format!("PATH={path}")])
            .arg(format!("HOME={}", self.home.dir.display()))
            .arg(&self.home.exe)
            .args(args)
            .current_dir(&self.home.dir);
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.strata(args).output().unwrap()
    }

    /// A busybox httpd on the test namespace's 127.0.0.1:`port`.
    pub fn loopback_server(&self, port: u16) -> Server {
        let www = self.dir.join(format!("www{port}"));
        std::fs::create_dir_all(&www).unwrap();
        std::fs::write(www.join("index.html"), "page of the host\n").unwrap();
        let child = self
            .ns
            .cmd("/bin/busybox")
            .args(["httpd", "-f", "-p", &format!("127.0.0.1:{port}"), "-h"])
            .arg(&www)
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        Server(child)
    }

    /// Namespaces or pasta dirs left in the user's store.
    pub fn leftovers(&self) -> Vec<String> {
        let netns = self.home.store().join("netns");
        let mut left = Vec::new();
        for sub in ["", "build"] {
            if let Ok(d) = std::fs::read_dir(netns.join(sub)) {
                left.extend(
                    d.filter_map(|e| e.ok())
                        .filter(|e| e.file_name() != "build")
                        .map(|e| e.file_name().to_string_lossy().into_owned()),
                );
            }
        }
        left
    }
}

pub struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
