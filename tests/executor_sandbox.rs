//! The sandbox, driven through `strata sandbox` on a busybox rootfs: what a
//! process inside can see and do. Needs root (CI runs as root).

mod support;

use std::os::unix::fs::{FileTypeExt, MetadataExt};

use support::busybox::{SANDBOX, busybox_rootfs};
use support::cli::{stderr, stdout, strata_bin};
use support::sandbox::sandbox_sh;

fn image() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = busybox_rootfs(dir.path(), &SANDBOX);
    (dir, root)
}

#[test]
fn the_process_runs_as_the_requested_user() {
    require_root!();
    let (_d, root) = image();
    let out = sandbox_sh(&root, &[], "id -u; id -g");
    assert_eq!(stdout(&out), "0\n0\n", "{}", stderr(&out));
    let out = sandbox_sh(&root, &["-u", "app"], "id -u; id -g; id -G");
    assert_eq!(stdout(&out), "1000\n1000\n1000 50\n", "{}", stderr(&out));
    let out = sandbox_sh(&root, &["-u", "nobody:app"], "id -u; id -g");
    assert_eq!(stdout(&out), "65534\n1000\n", "{}", stderr(&out));
}

#[test]
fn an_unknown_user_is_a_clear_error() {
    require_root!();
    let (_d, root) = image();
    let out = sandbox_sh(&root, &["-u", "ghost"], "true");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("unknown user \"ghost\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_hostname_is_the_sandboxes_own() {
    require_root!();
    let (_d, root) = image();
    let out = sandbox_sh(&root, &["--hostname", "box1"], "hostname");
    assert_eq!(stdout(&out), "box1\n");
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_ne!(host.trim(), "box1");
}

#[test]
fn ps_shows_only_the_sandboxes_processes() {
    require_root!();
    let (_d, root) = image();
    let out = sandbox_sh(&root, &[], "ps -o pid,comm");
    let pids: Vec<u32> = stdout(&out)
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect();
    // The init, the shell and ps itself: nothing of the host.
    assert!(pids.contains(&1), "{}", stdout(&out));
    assert!(
        pids.len() <= 3 && pids.iter().all(|p| *p < 10),
        "{}",
        stdout(&out)
    );
}

#[test]
fn the_root_is_the_image_not_the_host() {
    require_root!();
    let (_d, root) = image();
    let out = sandbox_sh(&root, &[], "ls /");
    let mut seen: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    seen.sort();
    // The image's dirs plus the kernel filesystems the sandbox mounts.
    assert_eq!(
        seen,
        ["bin", "dev", "etc", "proc", "sys", "tmp"],
        "{}",
        stderr(&out)
    );
}

#[test]
fn writes_land_in_the_upper_dir_and_never_in_the_lower_ones() {
    require_root!();
    let (d, root) = image();
    let upper = d.path().join("upper");
    let work = d.path().join("work");
    std::fs::create_dir_all(&upper).unwrap();
    std::fs::create_dir_all(&work).unwrap();
    let out = strata_bin()
        .arg("sandbox")
        .arg("--lower")
        .arg(&root)
        .arg("--upper")
        .arg(&upper)
        .arg("--work")
        .arg(&work)
        .args([
            "--",
            "sh",
            "-c",
            "echo new > /etc/motd && rm /etc/group && rm -r /tmp && mkdir /tmp && cat /etc/motd",
        ])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "new\n", "{}", stderr(&out));
    assert!(!root.join("etc/motd").exists());
    assert!(root.join("etc/group").exists());
    assert_eq!(
        std::fs::read_to_string(upper.join("etc/motd")).unwrap(),
        "new\n"
    );
    // overlayfs's own whiteout: a 0/0 character device.
    let whiteout = std::fs::symlink_metadata(upper.join("etc/group")).unwrap();
    assert!(whiteout.file_type().is_char_device());
    assert_eq!(whiteout.rdev(), 0);
    // A directory replaced wholesale is opaque, with the trusted.* xattr
    // (root, no user namespace).
    assert_eq!(
        support::sandbox::xattr(&upper.join("tmp"), "trusted.overlay.opaque").as_deref(),
        Some(&b"y"[..])
    );
}

#[test]
fn the_exit_status_becomes_stratas() {
    require_root!();
    let (_d, root) = image();
    assert_eq!(sandbox_sh(&root, &[], "exit 42").status.code(), Some(42));
    assert_eq!(sandbox_sh(&root, &[], "true").status.code(), Some(0));
    // Killed by a signal: 128 + n, as a shell reports it.
    assert_eq!(
        sandbox_sh(&root, &[], "kill -9 $$").status.code(),
        Some(137)
    );
}

#[test]
fn a_missing_command_is_a_clear_error() {
    require_root!();
    let (_d, root) = image();
    let out = strata_bin()
        .arg("sandbox")
        .arg("--rootfs")
        .arg(&root)
        .args(["--", "no-such-tool"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no-such-tool: command not found in the image"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_memory_limit_kills_a_process_that_allocates_past_it() {
    require_root!();
    let (_d, root) = image();
    // dd allocates and fills a 64 MiB buffer for its one block.
    let script = "dd if=/dev/zero of=/dev/null bs=64M count=1";
    let out = sandbox_sh(&root, &["--memory", "32m"], script);
    assert_eq!(out.status.code(), Some(137), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("memory limit was reached"),
        "{}",
        stderr(&out)
    );
    let out = sandbox_sh(&root, &["--memory", "256m"], script);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("memory limit"), "{}", stderr(&out));
}

#[test]
fn a_pids_limit_stops_a_fork_bomb() {
    require_root!();
    let (_d, root) = image();
    // A bounded bomb: 40 sleepers, far past the limit of 10 tasks.
    let script = "n=0; while [ $n -lt 40 ]; do sleep 5 & n=$((n+1)); done; echo all started";
    let out = sandbox_sh(&root, &["--pids-limit", "10"], script);
    assert!(stderr(&out).contains("can't fork"), "{}", stderr(&out));
    assert!(!stdout(&out).contains("all started"));
}

#[test]
fn there_is_no_cap_sys_admin_inside() {
    require_root!();
    let (_d, root) = image();
    let out = sandbox_sh(&root, &[], "mount -t tmpfs none /tmp");
    assert_ne!(out.status.code(), Some(0));
    let out = sandbox_sh(&root, &[], "grep CapEff /proc/self/status");
    let hex = stdout(&out)
        .split_whitespace()
        .nth(1)
        .map(str::to_owned)
        .unwrap_or_default();
    let caps = u64::from_str_radix(&hex, 16).unwrap();
    const CAP_SYS_ADMIN: u32 = 21;
    const CAP_CHOWN: u32 = 0;
    assert_eq!(caps & (1 << CAP_SYS_ADMIN), 0);
    assert_ne!(
        caps & (1 << CAP_CHOWN),
        0,
        "Docker's default set keeps CAP_CHOWN"
    );
}

#[test]
fn kernel_internals_are_masked_or_read_only() {
    require_root!();
    let (_d, root) = image();
    let out = sandbox_sh(
        &root,
        &[],
        "head -c 16 /proc/kcore | wc -c; head -c 16 /proc/keys | wc -c",
    );
    assert_eq!(stdout(&out), "0\n0\n", "{}", stderr(&out));
    // The init is our host binary: its /proc entries stay out of reach.
    let out = sandbox_sh(&root, &[], "head -c 4 /proc/1/exe | wc -c");
    assert_eq!(stdout(&out), "0\n", "{}", stderr(&out));
    let out = sandbox_sh(&root, &[], "echo 1 > /proc/sys/kernel/domainname");
    assert_ne!(out.status.code(), Some(0));
    let out = sandbox_sh(&root, &[], "touch /sys/x");
    assert_ne!(out.status.code(), Some(0));
}

#[test]
fn network_none_has_only_loopback_and_no_route() {
    require_root!();
    let (_d, root) = image();
    let out = sandbox_sh(
        &root,
        &["--network", "none"],
        "ls /sys/class/net; tail -n +2 /proc/net/route | wc -l",
    );
    assert_eq!(stdout(&out), "lo\n0\n", "{}", stderr(&out));
    let out = sandbox_sh(
        &root,
        &["--network", "none"],
        "ping -c 1 -W 1 127.0.0.1 >/dev/null && echo up",
    );
    assert_eq!(stdout(&out), "up\n", "{}", stderr(&out));
}

#[test]
fn env_workdir_and_volumes_apply() {
    require_root!();
    let (d, root) = image();
    let shared = d.path().join("shared");
    std::fs::create_dir_all(&shared).unwrap();
    std::fs::write(shared.join("in"), "from host\n").unwrap();
    let vol = format!("{}:/data", shared.display());
    let ro = format!("{}:/ro:ro", shared.display());
    let script = "echo $GREETING; pwd; cat /data/in; echo out > /data/out; touch /ro/x || echo ro";
    let out = sandbox_sh(
        &root,
        &[
            "-e",
            "GREETING=hi",
            "-w",
            "/work/dir",
            "-v",
            &vol,
            "-v",
            &ro,
        ],
        script,
    );
    assert_eq!(
        stdout(&out),
        "hi\n/work/dir\nfrom host\nro\n",
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(shared.join("out")).unwrap(),
        "out\n"
    );
}

#[test]
fn sigterm_to_strata_reaches_the_process() {
    require_root!();
    let (_d, root) = image();
    let mut child = strata_bin()
        .arg("sandbox")
        .arg("--rootfs")
        .arg(&root)
        .args(["--", "sleep", "30"])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(128 + 15));
}

#[test]
fn host_network_sees_the_hosts_resolver_config_read_only() {
    require_root!();
    let (_d, root) = image();
    if !std::path::Path::new("/etc/resolv.conf").is_file() {
        eprintln!("skipped: the host has no /etc/resolv.conf");
        return;
    }
    std::fs::write(root.join("etc/resolv.conf"), "# image's own\n").unwrap();
    let host = std::fs::read_to_string("/etc/resolv.conf").unwrap();
    let out = sandbox_sh(
        &root,
        &[],
        "cat /etc/resolv.conf; echo x >> /etc/resolv.conf || echo ro",
    );
    assert_eq!(stdout(&out), format!("{host}ro\n"), "{}", stderr(&out));
    let out = sandbox_sh(&root, &["--network", "none"], "cat /etc/resolv.conf");
    assert_eq!(stdout(&out), "# image's own\n");
}

#[test]
fn many_long_lower_dirs_stack_with_the_top_most_winning() {
    require_root!();
    let (d, root) = image();
    // 60 layers of ~120-byte paths: far past mount(2)'s one-page options.
    let mut args = vec![
        "sandbox".to_owned(),
        "--lower".to_owned(),
        root.display().to_string(),
    ];
    for i in 0..60 {
        let layer = d
            .path()
            .join(format!("layer-sha256:{}-{i:02}", "ab".repeat(40)));
        std::fs::create_dir_all(&layer).unwrap();
        std::fs::write(layer.join("which"), format!("{i}\n")).unwrap();
        args.extend(["--lower".to_owned(), layer.display().to_string()]);
    }
    for sub in ["upper", "work"] {
        std::fs::create_dir_all(d.path().join(sub)).unwrap();
        args.extend([format!("--{sub}"), d.path().join(sub).display().to_string()]);
    }
    args.extend(["--", "cat", "/which"].map(str::to_owned));
    let out = strata_bin().args(&args).output().unwrap();
    assert_eq!(stdout(&out), "59\n", "{}", stderr(&out));
}

#[test]
fn pid_1_reaps_orphans_from_any_session() {
    require_root!();
    let (_d, root) = image();
    // The sleeper's parent exits at once, so pid 1 inherits it; it runs in
    // its own session, as daemons do.
    let script = "setsid sh -c 'sleep 0.2 &'; sleep 1; ps -o stat | grep -c Z";
    let out = sandbox_sh(&root, &[], script);
    assert_eq!(stdout(&out), "0\n", "{}", stderr(&out));
}

#[test]
fn a_terminal_on_stdin_gives_the_process_its_own_terminal() {
    require_root!();
    let (_d, root) = image();
    // `script` runs strata on a pseudo-terminal and feeds it our stdin.
    let inner = format!(
        "{} sandbox --rootfs {} -- sh -c '[ -t 0 ] && [ -t 1 ] && echo tty-ok; read x; echo got:$x; exit 7'",
        env!("CARGO_BIN_EXE_strata"),
        root.display()
    );
    let mut child = std::process::Command::new("script")
        .args(["-qec", &inner, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("script (bsdutils) is installed");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"hello\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let text = stdout(&out);
    assert!(text.contains("tty-ok"), "{text}");
    assert!(text.contains("got:hello"), "{text}");
    assert_eq!(out.status.code(), Some(7));
}

#[test]
fn dev_is_minimal_and_privileges_cannot_grow() {
    require_root!();
    let (_d, root) = image();
    let out = sandbox_sh(
        &root,
        &[],
        "ls /dev | tr '\\n' ' '; echo; echo x > /dev/null && head -c 4 /dev/zero | wc -c",
    );
    assert_eq!(
        stdout(&out),
        "core fd full null ptmx pts random shm stderr stdin stdout tty urandom zero \n4\n",
        "{}",
        stderr(&out)
    );
    // no_new_privs is opt-in, as in Docker and BuildKit (setuid and sudo
    // keep working by default; the bounding set still caps what they get).
    let out = sandbox_sh(
        &root,
        &["--security-opt", "no-new-privileges"],
        "grep NoNewPrivs /proc/self/status",
    );
    assert_eq!(
        stdout(&out).split_whitespace().collect::<Vec<_>>(),
        ["NoNewPrivs:", "1"]
    );
    let out = sandbox_sh(&root, &[], "grep NoNewPrivs /proc/self/status");
    assert_eq!(
        stdout(&out).split_whitespace().collect::<Vec<_>>(),
        ["NoNewPrivs:", "0"]
    );
}
