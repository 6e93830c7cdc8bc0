//! The escape suite's image and targets: a busybox image holding the
//! static attack helper (testdata/sandbox/escape.c) and a setuid-root
//! program (euid.c), and the host objects the attacks aim at, each made by
//! the test and removed when dropped: a loop device, a pids cgroup, a key.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::busybox::{Flavour, busybox_rootfs};
use super::cli::{ok, run, stderr, strata};

/// root, and `app` for the setuid case.
const ESCAPE: Flavour = Flavour {
    dirs: &["bin", "etc", "tmp", "root"],
    sticky_tmp: true,
    passwd: "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/tmp:/bin/sh\n",
    group: "root:x:0:\napp:x:1000:\n",
};

/// The image `esc:1` in a store of its own.
pub struct EscapeImage {
    pub dir: PathBuf,
}

impl EscapeImage {
    /// Builds the helpers and imports the image under `dir`.
    pub fn create(dir: &Path) -> Self {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).unwrap();
        let rootfs = rootfs(dir);
        let image = Self {
            dir: dir.to_path_buf(),
        };
        ok(image.strata().arg("import").arg(&rootfs).arg("esc:1"));
        image
    }

    pub fn store(&self) -> PathBuf {
        self.dir.join("store")
    }

    pub fn strata(&self) -> Command {
        strata(&self.store())
    }

    /// `strata run --rm FLAGS esc:1 ARGS`.
    pub fn run(&self, flags: &[&str], args: &[&str]) -> Output {
        run(self
            .strata()
            .args(["run", "--rm"])
            .args(flags)
            .arg("esc:1")
            .args(args))
    }

    /// Writes a Dockerfile `FROM esc:1` + `lines` into a fresh context and
    /// builds it with `--progress plain --no-cache` and `flags`.
    pub fn build(&self, name: &str, lines: &[&str], flags: &[&str]) -> Output {
        let ctx = self.context(name, lines);
        run(self
            .strata()
            .args(["build", "--progress", "plain", "--no-cache"])
            .args(flags)
            .arg(&ctx))
    }

    /// A fresh context whose Dockerfile is `FROM esc:1` + `lines`.
    pub fn context(&self, name: &str, lines: &[&str]) -> PathBuf {
        let ctx = self.dir.join(format!("ctx-{name}"));
        let _ = std::fs::remove_dir_all(&ctx);
        std::fs::create_dir_all(&ctx).unwrap();
        let mut text = String::from("FROM esc:1\n");
        for line in lines {
            text.push_str(line);
            text.push('\n');
        }
        std::fs::write(ctx.join("Dockerfile"), text).unwrap();
        ctx
    }
}

/// `dir/rootfs`: busybox, /escape and the setuid-root /euid.
pub fn rootfs(dir: &Path) -> PathBuf {
    let rootfs = busybox_rootfs(dir, &ESCAPE);
    compile("escape.c", &rootfs.join("escape"));
    compile("euid.c", &rootfs.join("euid"));
    set_setuid(&rootfs.join("euid"));
    rootfs
}

/// chmod 4755 (again after a chown, which clears the bit).
pub fn set_setuid(path: &Path) {
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o4755)).unwrap();
}

/// `gcc -static` of testdata/sandbox/NAME to `out`.
pub fn compile(name: &str, out: &Path) {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/sandbox")
        .join(name);
    let made = run(Command::new("gcc")
        .args(["-static", "-O1", "-o"])
        .arg(out)
        .arg(&src));
    assert!(made.status.success(), "gcc {name}: {}", stderr(&made));
}

/// What the helper printed for its attack: stdout of a run, or the line
/// the build's plain progress echoed.
pub fn said(out: &Output, attack: &str) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let prefix = format!("{attack}: ");
    // Build output comes as `  stage-0 | LINE`.
    text.lines()
        .map(|l| l.split_once(" | ").map_or(l, |(_, rest)| rest))
        .find(|l| l.starts_with(&prefix))
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no {prefix:?} line in:\n{text}"))
}

/// A loop device over a small file whose first bytes are `MARK`.
pub struct LoopDevice {
    pub path: String,
    pub minor: u32,
    file: PathBuf,
}

pub const MARK: &str = "strata-loop-test";

impl LoopDevice {
    pub fn create(dir: &Path) -> Self {
        let file = dir.join("loop.img");
        std::fs::write(&file, MARK).unwrap();
        let f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
        f.set_len(1 << 20).unwrap();
        let path = ok(Command::new("losetup").args(["-f", "--show"]).arg(&file))
            .trim()
            .to_owned();
        let minor = path
            .strip_prefix("/dev/loop")
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("losetup gave {path:?}"));
        Self { path, minor, file }
    }
}

impl Drop for LoopDevice {
    fn drop(&mut self) {
        let _ = Command::new("losetup").args(["-d", &self.path]).output();
        let _ = std::fs::remove_file(&self.file);
    }
}

/// A v1 pids cgroup under the host's hierarchy root.
pub struct TestCgroup {
    pub name: String,
    dir: PathBuf,
}

impl TestCgroup {
    pub fn create(tag: &str) -> Self {
        let name = format!("strata-escape-{tag}-{}", std::process::id());
        let dir = Path::new("/sys/fs/cgroup/pids").join(&name);
        std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        Self { name, dir }
    }

    pub fn pids_max(&self) -> String {
        std::fs::read_to_string(self.dir.join("pids.max"))
            .unwrap()
            .trim()
            .to_owned()
    }
}

impl Drop for TestCgroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// Runs `strata ARGS` (with `{KEY}` replaced by the key's id) in a new
/// session keyring holding a user key with `payload`, which is unlinked
/// after. strata and the sandbox inherit that session keyring.
pub fn with_session_key(image: &EscapeImage, payload: &str, args: &[&str]) -> Output {
    let quoted: Vec<String> = args
        .iter()
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")).replace("{KEY}", "'\"$id\"'"))
        .collect();
    let script = format!(
        "id=$(keyctl add user strata-escape-test '{payload}' @s) || exit 99; \
         '{}' --root '{}' {}; rc=$?; keyctl unlink \"$id\" @s >/dev/null; exit $rc",
        env!("CARGO_BIN_EXE_strata"),
        image.store().display(),
        quoted.join(" ")
    );
    let mut keyctl = Command::new("keyctl");
    keyctl.env(super::cli::HOST_NETWORK.0, super::cli::HOST_NETWORK.1);
    run(keyctl.args(["session", "-", "sh", "-c", &script]))
}
