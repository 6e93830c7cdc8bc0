//! docker's run/create flags through the `strata` binary: --env-file,
//! --entrypoint, --init, --cidfile, --read-only, --tmpfs, --label-file,
//! and their bad input (exit 2 naming the flag, nothing made). Each test
//! names the podman case it mirrors where there is one. Needs root.

mod support;

use std::path::Path;

use support::cli::{stderr, stdout};
use support::containers::Lab;

fn write(path: &Path, text: &str) -> String {
    std::fs::write(path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// docker's --env-file: KEY=VAL as written, KEY alone from the caller,
/// comments and blank lines skipped, later files and -e win; a created
/// container keeps what the files said at create time.
#[test]
fn env_files_read_as_docker_reads_them_and_e_wins() {
    require_root!();
    let lab = Lab::new("flags_env_file");
    let a = write(
        &lab.dir.join("a.env"),
        "# settings\n\n  A=1\nB=two words \nFROM_CALLER\nNOT_SET_ANYWHERE_4711\nC=from-a\n",
    );
    let b = write(&lab.dir.join("b.env"), "C=from-b\nD=\"quoted\"\n");
    let script = "echo \"$A|$B|$FROM_CALLER|${NOT_SET_ANYWHERE_4711-unset}|$C|$D|$E\"";
    let out = lab
        .strata(&[
            "run",
            "--env-file",
            &a,
            "--env-file",
            &b,
            "-e",
            "E=flag",
            "bb:1",
            "sh",
            "-c",
            script,
        ])
        .env("FROM_CALLER", "inherited")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        "1|two words |inherited|unset|from-b|\"quoted\"|flag"
    );
    let out = lab.ok(&[
        "run",
        "--rm",
        "--name",
        "e2",
        "--env-file",
        &b,
        "-e",
        "C=from-e",
        "bb:1",
        "sh",
        "-c",
        "echo $C",
    ]);
    assert_eq!(out, "from-e");
    lab.ok(&[
        "create",
        "--name",
        "later",
        "--env-file",
        &b,
        "bb:1",
        "sh",
        "-c",
        "echo $C",
    ]);
    write(&lab.dir.join("b.env"), "C=changed\n");
    lab.ok(&["start", "later"]);
    lab.ok(&["wait", "later"]);
    assert_eq!(lab.ok(&["logs", "later"]), "from-b", "read at create time");
}

/// An image with both ENTRYPOINT and CMD.
fn entrypoint_image(lab: &Lab) {
    let ctx = lab.dir.join("ep");
    std::fs::create_dir_all(&ctx).unwrap();
    write(
        &ctx.join("Dockerfile"),
        "FROM bb:1\nENTRYPOINT [\"/bin/echo\", \"ep\"]\nCMD [\"from-cmd\"]\n",
    );
    lab.ok(&["build", "-q", "-t", "ep:1", ctx.to_str().unwrap()]);
}

/// docker's --entrypoint: it replaces the ENTRYPOINT and drops the
/// image's CMD; "" clears the ENTRYPOINT and keeps the CMD.
#[test]
fn entrypoint_replaces_or_clears_the_images() {
    require_root!();
    let lab = Lab::new("flags_entrypoint");
    entrypoint_image(&lab);
    assert_eq!(lab.ok(&["run", "--rm", "ep:1"]), "ep from-cmd");
    assert_eq!(lab.ok(&["run", "--rm", "ep:1", "given"]), "ep given");
    assert_eq!(
        lab.ok(&["run", "--rm", "--entrypoint", "/bin/echo", "ep:1"]),
        "",
        "the image's CMD goes with its ENTRYPOINT"
    );
    assert_eq!(
        lab.ok(&["run", "--rm", "--entrypoint", "/bin/echo", "ep:1", "a", "b"]),
        "a b"
    );
    let out = lab.run(&["run", "--rm", "--entrypoint", "", "ep:1"]);
    assert!(
        stderr(&out).contains("from-cmd"),
        "with the ENTRYPOINT cleared the CMD runs alone: {}",
        stderr(&out)
    );
    assert_eq!(
        lab.ok(&["run", "--rm", "--entrypoint", "", "ep:1", "echo", "plain"]),
        "plain"
    );
    lab.ok(&[
        "create",
        "--name",
        "c",
        "--entrypoint",
        "/bin/echo",
        "ep:1",
        "kept",
    ]);
    lab.ok(&["start", "-a", "c"]);
    assert_eq!(lab.ok(&["logs", "c"]), "kept");
}

/// docker run --init (tini as pid 1): strata's own init is always pid 1,
/// the command its child; an orphan's zombie is reaped, and a signal to
/// the container reaches the command.
#[test]
fn init_is_pid_1_reaps_orphans_and_forwards_signals() {
    require_root!();
    let lab = Lab::new("flags_init");
    let ps = lab.ok(&["run", "--rm", "--init", "bb:1", "ps", "-o", "pid,args"]);
    let pid1 = ps
        .lines()
        .find(|l| l.trim_start().starts_with("1 "))
        .unwrap();
    assert!(pid1.contains("strata-init"), "{ps}");
    assert!(
        ps.lines()
            .any(|l| l.trim_start().starts_with("2 ") && l.contains("ps -o")),
        "the command is pid 1's child: {ps}"
    );
    // The subshell exits at once, leaving its sleep to pid 1, which must
    // reap it when it ends.
    let out = lab.ok(&[
        "run",
        "--rm",
        "--init",
        "bb:1",
        "sh",
        "-c",
        "(sleep 0.2 &); sleep 1; ps -o stat,args | grep -c '^Z' || true",
    ]);
    assert_eq!(out, "0", "a zombie was left");
    lab.ok(&[
        "run",
        "-d",
        "--init",
        "--name",
        "trap",
        "bb:1",
        "sh",
        "-c",
        "trap 'echo got-term; exit 3' TERM; echo ready; while true; do sleep 0.1; done",
    ]);
    lab.wait_for_log("trap", "ready");
    lab.ok(&["kill", "-s", "TERM", "trap"]);
    assert_eq!(lab.ok(&["wait", "trap"]), "3");
    assert!(lab.ok(&["logs", "trap"]).contains("got-term"));
}

/// podman 030-run "--cidfile" and docker's rule: the id is written to the
/// file, an existing file is refused before anything is made, and the
/// file goes with the container.
#[test]
fn cidfile_gets_the_id_refuses_an_existing_file_and_goes_with_rm() {
    require_root!();
    let lab = Lab::new("flags_cidfile");
    let cid = lab.dir.join("cid");
    let cid_s = cid.to_str().unwrap();
    let id = lab.ok(&[
        "run",
        "-d",
        "--name",
        "c1",
        "--cidfile",
        cid_s,
        "bb:1",
        "sleep",
        "100",
    ]);
    assert_eq!(std::fs::read_to_string(&cid).unwrap(), id);
    let err = lab.fails(
        1,
        &[
            "run",
            "-d",
            "--name",
            "c2",
            "--cidfile",
            cid_s,
            "bb:1",
            "true",
        ],
    );
    assert!(err.contains("--cidfile") && err.contains("exists"), "{err}");
    assert_eq!(lab.ps_all().len(), 1, "the refused run made a container");
    lab.ok(&["rm", "-f", "c1"]);
    assert!(!cid.exists(), "rm left the cidfile");

    // A create that fails leaves no cidfile behind.
    let err = lab.fails(1, &["create", "--cidfile", cid_s, "no-such-image:1"]);
    assert!(err.contains("no-such-image"), "{err}");
    assert!(!cid.exists());
    let out = lab.ok(&["create", "--cidfile", cid_s, "bb:1", "true"]);
    assert_eq!(std::fs::read_to_string(&cid).unwrap(), out);
}

/// podman 030-run "read-only from containers.conf": the root refuses
/// writes, the places programs write to still take them.
#[test]
fn read_only_root_keeps_tmp_run_and_dev_writable() {
    require_root!();
    let lab = Lab::new("flags_read_only");
    let out = lab.run(&["run", "--rm", "--read-only", "bb:1", "touch", "/testro"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("Read-only file system"),
        "{}",
        stderr(&out)
    );
    lab.ok(&[
        "run",
        "--rm",
        "--read-only",
        "bb:1",
        "touch",
        "/tmp/a",
        "/var/tmp/b",
        "/dev/c",
        "/dev/shm/d",
        "/run/e",
    ]);
    lab.ok(&["run", "--rm", "bb:1", "touch", "/testrw"]);
    // A -v over one of them is used as it is.
    let host = lab.dir.join("host-tmp");
    std::fs::create_dir_all(&host).unwrap();
    lab.ok(&[
        "run",
        "--rm",
        "--read-only",
        "-v",
        &format!("{}:/tmp", host.display()),
        "bb:1",
        "touch",
        "/tmp/on-host",
    ]);
    assert!(host.join("on-host").exists());
    // Monitored containers too.
    lab.ok(&[
        "run",
        "-d",
        "--name",
        "ro",
        "--read-only",
        "bb:1",
        "sleep",
        "100",
    ]);
    let out = lab.run(&["exec", "ro", "touch", "/x"]);
    assert_ne!(out.status.code(), Some(0), "exec wrote to a read-only root");
    lab.ok(&["exec", "ro", "touch", "/tmp/x"]);
    lab.ok(&["rm", "-f", "ro"]);
}

/// docker's --tmpfs PATH[:OPTS]: a fresh tmpfs, noexec by default, with
/// the size and mode asked for.
#[test]
fn tmpfs_mounts_take_dockers_options() {
    require_root!();
    let lab = Lab::new("flags_tmpfs");
    let out = lab.ok(&[
        "run", "--rm", "--tmpfs", "/scratch:size=2m,mode=1770", "bb:1", "sh", "-c",
        "stat -c %a /scratch; df -k /scratch | tail -1 | awk '{print $2}'; grep ' /scratch ' /proc/mounts",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "1770", "{out}");
    assert_eq!(lines[1], "2048", "{out}");
    assert!(lines[2].contains("noexec"), "noexec by default: {out}");
    let out = lab.ok(&[
        "run",
        "--rm",
        "--tmpfs",
        "/x:exec",
        "bb:1",
        "sh",
        "-c",
        "cp /bin/busybox /x/busybox && /x/busybox echo ran",
    ]);
    assert_eq!(out, "ran");
    let out = lab.run(&["run", "--rm", "--tmpfs", "/x:ro", "bb:1", "touch", "/x/f"]);
    assert_eq!(out.status.code(), Some(1));
    // Nothing of a tmpfs lands in the container's diff.
    lab.ok(&[
        "run",
        "--name",
        "d",
        "--tmpfs",
        "/scratch",
        "bb:1",
        "sh",
        "-c",
        "echo x > /scratch/f",
    ]);
    assert!(!lab.ok(&["diff", "d"]).contains("/scratch/f"));
}

/// docker's --label-file: K=V lines (K alone: empty), # comments; -l wins.
#[test]
fn label_files_set_labels_and_l_wins() {
    require_root!();
    let lab = Lab::new("flags_label_file");
    let f = write(
        &lab.dir.join("labels"),
        "# team labels\nteam=a\ntier=web\nflag\n",
    );
    lab.ok(&[
        "create",
        "--name",
        "c",
        "--label-file",
        &f,
        "-l",
        "team=b",
        "bb:1",
        "true",
    ]);
    let labels = lab.inspect("c")["Config"]["Labels"].clone();
    assert_eq!(labels["team"], "b");
    assert_eq!(labels["tier"], "web");
    assert_eq!(labels["flag"], "");
    assert_eq!(
        lab.ok(&["ps", "-a", "-q", "--filter", "label=tier=web"])
            .len(),
        12
    );
}

/// Bad input of each flag: exit 2, a message naming the flag (and for a
/// file, the file and line), no container and no cidfile made.
#[test]
fn bad_flag_input_is_a_usage_error_and_makes_nothing() {
    require_root!();
    let lab = Lab::new("flags_bad");
    let bad_env = write(&lab.dir.join("bad.env"), "A=1\nBAD KEY=2\n");
    let no_key = write(&lab.dir.join("nokey.labels"), "=v\n");
    let missing = lab.dir.join("missing.env");
    let cid = lab.dir.join("cid");
    let cases: Vec<(Vec<String>, Vec<String>)> = vec![
        (
            vec!["--env-file".into(), bad_env.clone()],
            vec![
                "--env-file".into(),
                format!("{bad_env}:2"),
                "BAD KEY".into(),
            ],
        ),
        (
            vec!["--env-file".into(), missing.display().to_string()],
            vec!["--env-file".into(), "missing.env".into()],
        ),
        (
            vec!["--label-file".into(), no_key.clone()],
            vec!["--label-file".into(), format!("{no_key}:1")],
        ),
        (
            vec!["--tmpfs".into(), "relative".into()],
            vec!["--tmpfs".into(), "absolute".into()],
        ),
        (
            vec!["--tmpfs".into(), "/t:size=lots".into()],
            vec!["--tmpfs".into(), "size".into()],
        ),
        (
            vec!["--tmpfs".into(), "/t:suid".into()],
            vec!["--tmpfs".into(), "suid".into()],
        ),
    ];
    for (flags, wanted) in cases {
        for cmd in ["run", "create"] {
            let mut args: Vec<&str> = vec![cmd, "--name", "x", "--cidfile", cid.to_str().unwrap()];
            if cmd == "run" {
                args.push("-d");
            }
            args.extend(flags.iter().map(String::as_str));
            args.extend(["bb:1", "true"]);
            let out = lab.run(&args);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
            for w in &wanted {
                assert!(
                    stderr(&out).contains(w.as_str()),
                    "{args:?}: no {w:?} in {}",
                    stderr(&out)
                );
            }
            assert!(!cid.exists(), "{args:?} made the cidfile");
        }
    }
    assert!(
        lab.container_dirs().is_empty(),
        "{:?}",
        lab.container_dirs()
    );
}

/// The same flags for an unprivileged user (a user namespace, where the
/// kernel locks mount flags): a read-only root with its tmpfs dirs, a
/// --tmpfs with options, an env file, a cidfile.
#[test]
fn an_unprivileged_user_gets_the_same_flags() {
    use support::busybox::{SANDBOX, busybox_rootfs};
    use support::rootless::User;
    require_root!();
    let user = User::with_subids("strata-rl-flags");
    let tmp = tempfile::tempdir().unwrap();
    let home = user.home(tmp.path());
    let rootfs = busybox_rootfs(&home.dir, &SANDBOX);
    let env = write(&home.dir.join("app.env"), "# x\nA=from-file\n");
    user.give(&home.dir);
    home.ok(&["import", rootfs.to_str().unwrap(), "bb:1"]);
    let out = home.strata(&["run", "--rm", "--read-only", "bb:1", "touch", "/x"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    home.ok(&[
        "run",
        "--rm",
        "--read-only",
        "bb:1",
        "touch",
        "/tmp/a",
        "/run/b",
        "/var/tmp/c",
    ]);
    let out = home.ok(&[
        "run",
        "--rm",
        "--tmpfs",
        "/s:size=1m,mode=700",
        "--env-file",
        &env,
        "bb:1",
        "sh",
        "-c",
        "stat -c %a /s; echo $A",
    ]);
    assert_eq!(out.trim(), "700\nfrom-file");
    let cid = home.dir.join("cid");
    let id = home.ok(&[
        "run",
        "-d",
        "--read-only",
        "--cidfile",
        cid.to_str().unwrap(),
        "bb:1",
        "sleep",
        "100",
    ]);
    assert_eq!(std::fs::read_to_string(&cid).unwrap(), id.trim());
    home.ok(&["rm", "-f", id.trim()]);
    assert!(!cid.exists());
}
