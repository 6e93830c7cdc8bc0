//! `strata run IMAGE [CMD...]` on images in the store: imported from a
//! busybox rootfs, or made by umoci in another OCI layout. Needs root.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::busybox::{SANDBOX, busybox_rootfs};
use support::cli::{stderr, stdout, strata_bin};

/// A store holding the busybox rootfs as image `bb:1`, made once per test
/// run (importing is the slow part) and shared: every test only adds to it.
struct Fixture {
    dir: PathBuf,
}

static FIXTURE: std::sync::OnceLock<Fixture> = std::sync::OnceLock::new();

impl Fixture {
    fn get() -> &'static Self {
        FIXTURE.get_or_init(|| {
            let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("run_image");
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            let rootfs = busybox_rootfs(&dir, &SANDBOX);
            let fx = Self { dir };
            let out = fx
                .strata(&["import"])
                .arg(&rootfs)
                .arg("bb:1")
                .output()
                .unwrap();
            assert!(out.status.success(), "import: {}", stderr(&out));
            fx
        })
    }

    fn rootfs(&self) -> PathBuf {
        self.dir.join("rootfs")
    }

    fn store(&self) -> PathBuf {
        self.dir.join("store")
    }

    fn strata(&self, args: &[&str]) -> Command {
        let mut cmd = strata_bin();
        cmd.arg("--root").arg(self.store()).args(args);
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.strata(&["run"]).args(args).output().unwrap()
    }
}

#[test]
fn a_busybox_image_runs_isolated() {
    require_root!();
    let fx = Fixture::get();
    let out = fx.run(&[
        "--rm",
        "--hostname",
        "web",
        "bb:1",
        "sh",
        "-c",
        "id -u; hostname; ls /",
    ]);
    assert_eq!(
        stdout(&out),
        "0\nweb\nbin\ndev\netc\nproc\nsys\ntmp\n",
        "{}",
        stderr(&out)
    );
    // ps as the workload itself: it must see only the init and itself.
    let out = fx.run(&["--rm", "bb:1", "ps", "-o", "pid,comm"]);
    let rows: Vec<String> = stdout(&out)
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(rows, ["1 strata", "2 ps"], "{}", stderr(&out));
}

#[test]
fn the_exit_status_is_stratas() {
    require_root!();
    let fx = Fixture::get();
    assert_eq!(
        fx.run(&["--rm", "bb:1", "sh", "-c", "exit 42"])
            .status
            .code(),
        Some(42)
    );
}

#[test]
fn writes_never_reach_the_images_snapshots() {
    require_root!();
    let fx = Fixture::get();
    let out = fx.run(&[
        "--rm",
        "bb:1",
        "sh",
        "-c",
        "echo x > /etc/passwd && rm /bin/ls && echo ok",
    ]);
    assert_eq!(stdout(&out), "ok\n", "{}", stderr(&out));
    let again = fx.run(&[
        "--rm",
        "bb:1",
        "sh",
        "-c",
        "head -c 5 /etc/passwd; ls / >/dev/null && echo ls-here",
    ]);
    assert_eq!(stdout(&again), "root:ls-here\n", "{}", stderr(&again));
}

#[test]
fn without_rm_the_container_layer_is_kept_and_listed() {
    require_root!();
    let fx = Fixture::get();
    let out = fx.run(&["bb:1", "sh", "-c", "echo data > /kept"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let upper = err
        .lines()
        .find_map(|l| {
            l.split_once("changes kept in ")
                .map(|(_, p)| PathBuf::from(p.trim()))
        })
        .unwrap_or_else(|| panic!("no kept dir listed: {err}"));
    assert!(upper.starts_with(fx.store()));
    assert_eq!(
        std::fs::read_to_string(upper.join("kept")).unwrap(),
        "data\n"
    );
    let out = fx.run(&["--rm", "bb:1", "sh", "-c", "echo data > /gone"]);
    assert!(!stderr(&out).contains("changes kept"));
}

#[test]
fn flags_set_env_workdir_user_and_volumes() {
    require_root!();
    let fx = Fixture::get();
    let scratch = tempfile::tempdir().unwrap();
    let host = scratch.path().join("vol");
    std::fs::create_dir_all(&host).unwrap();
    let vol = format!("{}:/mnt/v", host.display());
    let out = fx.run(&[
        "--rm",
        "-e",
        "A=1",
        "-w",
        "/srv",
        "-u",
        "app:nogroup",
        "-v",
        &vol,
        "bb:1",
        "sh",
        "-c",
        "echo $A; pwd; id -u; id -g; echo $HOME; ls -d /mnt/v",
    ]);
    assert_eq!(
        stdout(&out),
        "1\n/srv\n1000\n65534\n/home/app\n/mnt/v\n",
        "{}",
        stderr(&out)
    );
}

#[test]
fn limits_and_network_none_apply() {
    require_root!();
    let fx = Fixture::get();
    let out = fx.run(&[
        "--rm",
        "--memory",
        "32m",
        "bb:1",
        "dd",
        "if=/dev/zero",
        "of=/dev/null",
        "bs=64M",
        "count=1",
    ]);
    assert_eq!(out.status.code(), Some(137), "{}", stderr(&out));
    let bomb = "n=0; while [ $n -lt 40 ]; do sleep 5 & n=$((n+1)); done; echo all started";
    let out = fx.run(&["--rm", "--pids-limit", "10", "bb:1", "sh", "-c", bomb]);
    assert!(stderr(&out).contains("can't fork") && !stdout(&out).contains("all started"));
    let out = fx.run(&["--rm", "--network", "none", "bb:1", "ls", "/sys/class/net"]);
    assert_eq!(stdout(&out), "lo\n", "{}", stderr(&out));
}

#[test]
fn ulimits_apply_and_the_rest_stay_the_callers() {
    require_root!();
    let fx = Fixture::get();
    let out = fx.run(&[
        "--rm",
        "--ulimit",
        "nofile=256:512",
        "bb:1",
        "sh",
        "-c",
        "ulimit -Sn; ulimit -Hn",
    ]);
    assert_eq!(stdout(&out), "256\n512\n", "{}", stderr(&out));
    let out = fx
        .strata(&["run", "--rm", "bb:1", "sh", "-c", "ulimit -Ss"])
        .output()
        .unwrap();
    let mine = std::process::Command::new("sh")
        .args(["-c", "ulimit -Ss"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), stdout(&mine));
    let out = fx.run(&["--rm", "--ulimit", "nofile=9:3", "bb:1", "true"]);
    assert!(
        stderr(&out).contains("soft limit above the hard one"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn errors_name_the_missing_image_user_or_command() {
    require_root!();
    let fx = Fixture::get();
    let out = fx.run(&["--rm", "nosuch:1", "true"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("image nosuch:1 not found"),
        "{}",
        stderr(&out)
    );
    let out = fx.run(&["--rm", "-u", "ghost", "bb:1", "true"]);
    assert!(
        stderr(&out).contains("unknown user \"ghost\""),
        "{}",
        stderr(&out)
    );
    let out = fx.run(&["--rm", "bb:1", "frobnicate"]);
    assert!(
        stderr(&out).contains("frobnicate: command not found in the image"),
        "{}",
        stderr(&out)
    );
    let out = fx.run(&["--rm", "bb:1"]);
    assert!(
        stderr(&out).contains("no command given"),
        "{}",
        stderr(&out)
    );
}

/// An OCI layout made by umoci, with ENTRYPOINT, CMD, Env, WorkingDir and
/// User in its config.
fn umoci_layout(dir: &Path) -> PathBuf {
    let layout = dir.join("layout");
    let bundle = dir.join("bundle");
    let umoci = |args: &[&str]| {
        let out = Command::new("umoci")
            .args(args)
            .output()
            .expect("umoci is installed");
        assert!(out.status.success(), "umoci {args:?}: {}", stderr(&out));
    };
    let image = format!("{}:app", layout.display());
    umoci(&["init", "--layout", layout.to_str().unwrap()]);
    umoci(&["new", "--image", &image]);
    umoci(&["unpack", "--image", &image, bundle.to_str().unwrap()]);
    busybox_rootfs(&bundle, &SANDBOX);
    umoci(&["repack", "--image", &image, bundle.to_str().unwrap()]);
    umoci(&[
        "config",
        "--image",
        &image,
        "--config.entrypoint",
        "/bin/sh",
        "--config.entrypoint",
        "-c",
        "--config.cmd",
        "echo from-cmd",
        "--config.env",
        "GREETING=hi",
        "--config.workingdir",
        "/srv",
        "--config.user",
        "app",
    ]);
    layout
}

#[test]
fn an_image_made_by_umoci_runs_with_its_config() {
    require_root!();
    let fx = Fixture::get();
    let scratch = tempfile::tempdir().unwrap();
    let layout = umoci_layout(scratch.path());
    let source = format!("oci:{}:app", layout.display());
    // ENTRYPOINT + CMD from the image.
    let out = fx.run(&["--rm", &source]);
    assert_eq!(stdout(&out), "from-cmd\n", "{}", stderr(&out));
    // A given command replaces CMD and follows ENTRYPOINT; Env, WorkingDir
    // and User come from the config.
    let out = fx.run(&["--rm", &source, "echo $GREETING; pwd; id -un"]);
    assert_eq!(stdout(&out), "hi\n/srv\napp\n", "{}", stderr(&out));
    // Flags override the config.
    let out = fx.run(&[
        "--rm",
        "-u",
        "root",
        "-w",
        "/",
        "-e",
        "GREETING=yo",
        &source,
        "echo $GREETING; pwd; id -un",
    ]);
    assert_eq!(stdout(&out), "yo\n/\nroot\n", "{}", stderr(&out));
}

#[test]
fn an_image_built_by_buildah_runs() {
    require_root!();
    let fx = Fixture::get();
    let scratch = tempfile::tempdir().unwrap();
    let d = scratch.path();
    let rootfs = fx.rootfs();
    let buildah = |args: &[&str]| {
        let out = Command::new("buildah")
            .args(["--storage-driver", "vfs", "--root"])
            .arg(d.join("buildah/root"))
            .arg("--runroot")
            .arg(d.join("buildah/run"))
            .args(args)
            .output()
            .expect("buildah is installed");
        assert!(out.status.success(), "buildah {args:?}: {}", stderr(&out));
        stdout(&out).trim().to_owned()
    };
    let ctr = buildah(&["from", "scratch"]);
    buildah(&["copy", &ctr, rootfs.to_str().unwrap(), "/"]);
    buildah(&[
        "config",
        "--cmd",
        r#"["/bin/sh","-c","echo $MADE_BY"]"#,
        "--env",
        "MADE_BY=buildah",
        &ctr,
    ]);
    let layout = format!("oci:{}:bb", d.join("layout").display());
    buildah(&["commit", "-q", &ctr, &layout]);
    buildah(&["rm", &ctr]);
    let out = fx.run(&["--rm", &layout]);
    assert_eq!(stdout(&out), "buildah\n", "{}", stderr(&out));
}
