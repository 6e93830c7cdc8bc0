//! `strata cp`: files between a container and the host, both ways, in a
//! running, paused, created or exited container, with docker's
//! SRC_PATH/DEST_PATH rules. Rewrites podman's test/system/065-cp.bats,
//! each test naming the case it mirrors (docker's rules where the two
//! differ: a relative container path starts at `/`, not at the workdir,
//! and a symlink as the source is copied as a link unless `-L`). Needs root.

mod support;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use support::cli::stderr;
use support::containers::Lab;

/// A container running `script`, then idle until removed.
fn running(lab: &Lab, name: &str, extra: &[&str], script: &str) {
    let script = format!("{script}; echo READY; while :; do sleep 0.2; done");
    let mut args = vec!["run", "-d", "--name", name];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["bb:1", "sh", "-c", &script]);
    lab.ok(&args);
    lab.wait_for_log(name, "READY");
}

fn cat(lab: &Lab, name: &str, path: &str) -> String {
    lab.ok(&["exec", name, "cat", path])
}

/// A fresh host dir for the test's files.
fn host_dir(lab: &Lab, name: &str) -> PathBuf {
    let dir = lab.dir.join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, format!("{text}\n")).unwrap();
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .trim_end()
        .to_owned()
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// podman 065-cp "podman cp file from host to container": the destination
/// table, into a running container and into a created one.
#[test]
fn a_host_file_goes_where_the_destination_table_says() {
    require_root!();
    let lab = Lab::new("cp_file_in");
    let src = host_dir(&lab, "src");
    for (i, text) in ["random-0-a1", "random-1-b22", "random-2-c333"]
        .iter()
        .enumerate()
    {
        write(&src.join(format!("hostfile{i}")), text);
    }
    write(&src.join("subdir/dotfile."), "random-2-c333");
    // (source file, destination, where it lands)
    let table = [
        (0, "/", "/hostfile0"),
        (0, "/anotherbase.txt", "/anotherbase.txt"),
        (0, "/tmp", "/tmp/hostfile0"),
        (1, "/tmp/", "/tmp/hostfile1"),
        (2, "/tmp/.", "/tmp/hostfile2"),
        (0, "/tmp/anotherbase.txt", "/tmp/anotherbase.txt"),
        // docker's rule: a relative container path starts at the root.
        (1, "srv", "/srv/hostfile1"),
        (0, "srv/subdir", "/srv/subdir/hostfile0"),
    ];
    let texts = ["random-0-a1", "random-1-b22", "random-2-c333"];
    running(&lab, "run", &[], "mkdir -p /srv/subdir");
    for (i, dest, full) in table {
        lab.ok(&[
            "cp",
            &s(&src.join(format!("hostfile{i}"))),
            &format!("run:{dest}"),
        ]);
        assert_eq!(cat(&lab, "run", full), texts[i], "cp -> run:{dest}");
    }
    // Dots are special for directories, not files.
    lab.ok(&["cp", &s(&src.join("subdir/dotfile.")), "run:/tmp"]);
    assert_eq!(cat(&lab, "run", "/tmp/dotfile."), texts[2]);

    let err = lab.fails(1, &["cp", &s(&src.join("IdoNotExist")), "run:/tmp"]);
    assert!(err.contains("IdoNotExist"), "{err}");
    let err = lab.fails(1, &["cp", &s(&src.join("hostfile0")), "run:/IdoNotExist/"]);
    assert!(err.contains("/IdoNotExist"), "{err}");
    lab.fails(1, &["exec", "run", "test", "-e", "/IdoNotExist"]);

    lab.ok(&["create", "--name", "made", "bb:1", "sleep", "1000"]);
    for (i, dest, _) in table {
        if dest.starts_with("srv") {
            continue;
        }
        lab.ok(&[
            "cp",
            &s(&src.join(format!("hostfile{i}"))),
            &format!("made:{dest}"),
        ]);
    }
    lab.ok(&["start", "made"]);
    for (i, dest, full) in table {
        if !dest.starts_with("srv") {
            assert_eq!(cat(&lab, "made", full), texts[i], "cp -> made:{dest}");
        }
    }
    lab.ok(&["rm", "-f", "run", "made"]);
}

/// podman 065-cp "podman cp file from container to host", from a running
/// container and from the same container once exited (its upper dir).
#[test]
fn a_container_file_comes_out_to_the_host() {
    require_root!();
    let lab = Lab::new("cp_file_out");
    let dest = host_dir(&lab, "dest");
    running(
        &lab,
        "c",
        &[],
        "mkdir -p /srv/subdir; echo random-0 > /tmp/containerfile; echo random-0 > /tmp/dotfile.; \
         echo random-1 > /srv/containerfile1; echo random-2 > /srv/subdir/containerfile2",
    );
    let table = [
        ("/tmp/containerfile", "", "/containerfile", "random-0"),
        ("/tmp/dotfile.", "", "/dotfile.", "random-0"),
        ("/tmp/containerfile", "/", "/containerfile", "random-0"),
        ("/tmp/containerfile", "/.", "/containerfile", "random-0"),
        ("/tmp/containerfile", "/newfile", "/newfile", "random-0"),
        ("srv/containerfile1", "/", "/containerfile1", "random-1"),
        (
            "srv/subdir/containerfile2",
            "/",
            "/containerfile2",
            "random-2",
        ),
    ];
    let check = |state: &str| {
        for (src, to, full, text) in table {
            lab.ok(&["cp", &format!("c:{src}"), &format!("{}{to}", s(&dest))]);
            let landed = PathBuf::from(format!("{}{full}", s(&dest)));
            assert_eq!(read(&landed), text, "{state}: cp c:{src} to dest{to}");
            std::fs::remove_file(&landed).unwrap();
        }
    };
    check("running");
    lab.ok(&["stop", "-t", "0", "c"]);
    check("exited");
    let err = lab.fails(1, &["cp", "c:/nope", &s(&dest)]);
    assert!(
        err.contains("Could not find the file /nope in container c"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(&dest).unwrap().count(), 0, "nothing made");
    lab.ok(&["rm", "c"]);
}

/// podman 065-cp "podman cp dir from host to container": a directory, its
/// `/.` contents, onto an existing or a missing directory; a directory onto
/// a file is refused.
#[test]
fn a_host_directory_goes_in_as_itself_or_as_its_contents() {
    require_root!();
    let lab = Lab::new("cp_dir_in");
    let src = host_dir(&lab, "src");
    write(&src.join("dir/sub/hostfile0"), "random-0");
    write(&src.join("dir/sub/hostfile1"), "random-1");
    // "dir." is a name, not "the contents of".
    write(&src.join("dir./sub/hostfile0"), "random-0");
    write(&src.join("dir./sub/hostfile1"), "random-1");
    let table = [
        ("dir", "/", "/dir/sub"),
        ("dir.", "/", "/dir./sub"),
        ("dir/", "/tmp", "/tmp/dir/sub"),
        ("dir/.", "/usr/", "/usr/sub"),
        ("dir/sub", "/srv", "/srv/sub"),
        ("dir/sub/.", "/srv/subdir/.", "/srv/subdir"),
        ("dir", "/newdir1", "/newdir1/sub"),
        ("dir/", "/newdir2", "/newdir2/sub"),
        ("dir/.", "/newdir3", "/newdir3/sub"),
    ];
    running(&lab, "run", &[], "mkdir -p /srv/subdir /usr");
    lab.ok(&["create", "--name", "made", "bb:1", "sleep", "1000"]);
    for (from, to, _) in table {
        let from = format!("{}/{from}", s(&src));
        lab.ok(&["cp", &from, &format!("run:{to}")]);
    }
    // The created container's /srv/subdir and /usr: a contents copy makes them.
    std::fs::create_dir_all(src.join("skel/srv/subdir")).unwrap();
    std::fs::create_dir_all(src.join("skel/usr")).unwrap();
    lab.ok(&["cp", &format!("{}/skel/.", s(&src)), "made:/"]);
    for (from, to, _) in table {
        let from = format!("{}/{from}", s(&src));
        lab.ok(&["cp", &from, &format!("made:{to}")]);
    }
    lab.ok(&["start", "made"]);
    for name in ["run", "made"] {
        for (from, to, full) in table {
            let both = lab.ok(&[
                "exec",
                name,
                "cat",
                &format!("{full}/hostfile0"),
                &format!("{full}/hostfile1"),
            ]);
            assert_eq!(both, "random-0\nrandom-1", "{name}: cp {from} -> {to}");
        }
    }
    let err = lab.fails(1, &["cp", &s(&src.join("dir")), "run:/etc/passwd"]);
    assert!(err.contains("cannot overwrite non-directory"), "{err}");
    assert!(cat(&lab, "run", "/etc/passwd").starts_with("root:"));
    lab.ok(&["rm", "-f", "run", "made"]);
}

/// podman 065-cp "podman cp dir from container to host".
#[test]
fn a_container_directory_comes_out_as_itself_or_as_its_contents() {
    require_root!();
    let lab = Lab::new("cp_dir_out");
    let dest = host_dir(&lab, "dest");
    running(
        &lab,
        "c",
        &[],
        "mkdir -p /srv/subdir /tmp/subdir.; echo random-0 > /srv/subdir/containerfile0; \
         echo random-1 > /srv/subdir/containerfile1; cp /srv/subdir/* /tmp/subdir./",
    );
    let table = [
        ("/srv", "", "/srv/subdir"),
        ("/srv", "/newdir", "/newdir/subdir"),
        ("/srv/", "", "/srv/subdir"),
        ("/srv/.", "", "/subdir"),
        ("/srv/.", "/newdir", "/newdir/subdir"),
        ("/srv/subdir/.", "", ""),
        ("/tmp/subdir.", "", "/subdir."),
    ];
    let check = |state: &str| {
        for (src, to, full) in table {
            lab.ok(&["cp", &format!("c:{src}"), &format!("{}{to}", s(&dest))]);
            for (i, text) in ["random-0", "random-1"].iter().enumerate() {
                let f = PathBuf::from(format!("{}{full}/containerfile{i}", s(&dest)));
                assert_eq!(read(&f), *text, "{state}: cp c:{src} to dest{to}");
            }
            for e in std::fs::read_dir(&dest).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    std::fs::remove_dir_all(p).unwrap();
                } else {
                    std::fs::remove_file(p).unwrap();
                }
            }
        }
    };
    check("running");
    lab.ok(&["stop", "-t", "0", "c"]);
    check("exited");
    write(&dest.join("testfile"), "untouched");
    let err = lab.fails(1, &["cp", "c:/etc/", &s(&dest.join("testfile"))]);
    assert!(err.contains("cannot overwrite non-directory"), "{err}");
    assert_eq!(read(&dest.join("testfile")), "untouched");
    lab.ok(&["rm", "c"]);
}

/// podman 065-cp "podman cp symlinked directory from container" (with -L:
/// docker copies a source symlink as a link unless told to follow it), and
/// without -L the link itself comes out.
#[test]
fn a_symlink_source_is_copied_as_a_link_unless_followed() {
    require_root!();
    let lab = Lab::new("cp_symlink_src");
    let dest = host_dir(&lab, "dest");
    running(
        &lab,
        "c",
        &[],
        "echo random-0 > /tmp/containerfile0; echo random-1 > /tmp/containerfile1; \
         mkdir /tmp/sub && cd /tmp/sub && ln -s .. weirdlink",
    );
    for state in ["running", "exited"] {
        lab.ok(&["cp", "-L", "c:/tmp/sub/weirdlink", &s(&dest.join("dest"))]);
        for i in 0..2 {
            let f = dest.join(format!("dest/containerfile{i}"));
            assert_eq!(read(&f), format!("random-{i}"), "{state}");
        }
        std::fs::remove_dir_all(dest.join("dest")).unwrap();
        lab.ok(&["cp", "c:/tmp/sub/weirdlink", &s(&dest.join("link"))]);
        assert_eq!(
            std::fs::read_link(dest.join("link")).unwrap(),
            Path::new("..")
        );
        std::fs::remove_file(dest.join("link")).unwrap();
        if state == "running" {
            lab.ok(&["stop", "-t", "0", "c"]);
        }
    }
    lab.ok(&["rm", "c"]);
}

/// podman 065-cp "podman cp - will not recognize symlink pointing into host
/// space": a container's symlinks resolve inside its root. A link to /etc
/// is the container's /etc, both ways, running or not; the host's /etc is
/// never read or written.
#[test]
fn container_symlinks_never_lead_to_the_host() {
    require_root!();
    let lab = Lab::new("cp_confined");
    let dest = host_dir(&lab, "dest");
    let marker = format!("strata-cp-confined-{}", std::process::id());
    write(&dest.join(&marker), "from the host");
    running(
        &lab,
        "c",
        &[],
        "ln -s /etc /tmp/etclink; ln -s ../../../../../../etc/passwd /tmp/deep; \
         ln -s /etc/shadow-of-host /tmp/dangling",
    );
    for state in ["running", "exited"] {
        lab.ok(&["cp", "c:/tmp/etclink/passwd", &s(&dest.join("pw"))]);
        assert!(read(&dest.join("pw")).starts_with("root:x:0:0:root:/root:/bin/sh"));
        assert!(
            !read(&dest.join("pw")).contains("strata-rootless"),
            "{state}"
        );
        lab.ok(&["cp", "-L", "c:/tmp/deep", &s(&dest.join("deep"))]);
        assert_eq!(read(&dest.join("deep")), read(&dest.join("pw")), "{state}");
        lab.ok(&["cp", &s(&dest.join(&marker)), "c:/tmp/etclink/"]);
        assert!(
            !Path::new("/etc").join(&marker).exists(),
            "{state}: host /etc"
        );
        lab.fails(1, &["cp", "c:/tmp/dangling/x", &s(&dest.join("x"))]);
        for f in ["pw", "deep"] {
            std::fs::remove_file(dest.join(f)).unwrap();
        }
        if state == "running" {
            assert_eq!(cat(&lab, "c", &format!("/etc/{marker}")), "from the host");
            lab.ok(&["exec", "c", "rm", &format!("/etc/{marker}")]);
            lab.ok(&["stop", "-t", "0", "c"]);
        }
    }
    lab.ok(&["start", "c"]);
    assert_eq!(cat(&lab, "c", &format!("/etc/{marker}")), "from the host");
    lab.ok(&["rm", "-f", "c"]);
}

/// podman 065-cp "podman cp file from host to container volume": a path in
/// a volume (here one mounted inside another) writes into that volume,
/// also while the container is not running; "... to container mount" for a
/// bind mount.
#[test]
fn a_copy_into_a_volume_path_writes_the_volume() {
    require_root!();
    let lab = Lab::new("cp_volume");
    let src = host_dir(&lab, "src");
    let mount = host_dir(&lab, "mount");
    write(&src.join("hostfile"), "This file should be in volume2");
    lab.ok(&["volume", "create", "vol1"]);
    lab.ok(&["volume", "create", "vol2"]);
    let data = |v: &str| lab.store().join("volumes").join(v).join("_data");
    lab.ok(&[
        "create",
        "--name",
        "c",
        "-v",
        "vol1:/tmp/volume",
        "-v",
        "vol2:/tmp/volume/sub-volume",
        "-v",
        &format!("{}:/tmp/volume/mount", s(&mount)),
        "bb:1",
        "sleep",
        "1000",
    ]);
    lab.ok(&["cp", &s(&src.join("hostfile")), "c:/tmp/volume/sub-volume"]);
    assert_eq!(
        read(&data("vol2").join("hostfile")),
        "This file should be in volume2"
    );
    assert!(!data("vol1").join("hostfile").exists());
    assert!(!data("vol1").join("sub-volume/hostfile").exists());
    lab.ok(&["cp", &s(&src.join("hostfile")), "c:/tmp/volume/mount/m"]);
    assert_eq!(read(&mount.join("m")), "This file should be in volume2");
    // Running: through the container's own mounts.
    lab.ok(&["start", "c"]);
    lab.ok(&["cp", &s(&src.join("hostfile")), "c:/tmp/volume/running"]);
    assert_eq!(
        read(&data("vol1").join("running")),
        "This file should be in volume2"
    );
    lab.ok(&["rm", "-f", "c"]);
}

/// podman 065-cp "podman cp file from host to container tmpfs mount"
/// (running): the copy lands in the container's tmpfs, not under it.
#[test]
fn a_copy_into_a_running_containers_tmpfs_lands_in_the_tmpfs() {
    require_root!();
    let lab = Lab::new("cp_tmpfs");
    let src = host_dir(&lab, "src");
    write(&src.join("file"), "tmpfile-content");
    running(&lab, "c", &["--tmpfs", "/scratch"], "true");
    lab.ok(&["cp", &s(&src.join("file")), "c:/scratch"]);
    assert_eq!(cat(&lab, "c", "/scratch/file"), "tmpfile-content");
    let upper = lab
        .store()
        .join("containers")
        .join(lab.inspect("c")["Id"].as_str().unwrap())
        .join("upper/scratch/file");
    assert!(
        !upper.exists(),
        "written under the tmpfs: {}",
        upper.display()
    );
    lab.ok(&["rm", "-f", "c"]);
}

/// podman 065-cp "podman cp into container: weird symlink expansion": a
/// destination that is a dangling symlink makes its target; one with a
/// trailing `/` must be an existing directory and nothing is made.
#[test]
fn a_dangling_symlink_destination_makes_its_target() {
    require_root!();
    let lab = Lab::new("cp_weird_symlink");
    let src = host_dir(&lab, "src");
    for i in 1..=3 {
        write(&src.join(format!("f{i}")), &format!("content{i}"));
    }
    running(
        &lab,
        "c",
        &[],
        "mkdir /tmp/d1; ln -s /tmp/nonesuch1 /tmp/d1/x; mkdir /tmp/d2; \
         ln -s /tmp/nonesuch2 /tmp/d2/x; mkdir /tmp/d3",
    );
    lab.ok(&["cp", &s(&src.join("f1")), "c:/tmp/d1/x"]);
    let err = lab.fails(1, &["cp", &s(&src.join("f2")), "c:/tmp/d2/x/"]);
    assert!(err.contains("/tmp/d2/x/"), "{err}");
    lab.ok(&["cp", &s(&src.join("f3")), "c:/tmp/d3/x"]);
    assert_eq!(cat(&lab, "c", "/tmp/nonesuch1"), "content1");
    lab.fails(1, &["exec", "c", "test", "-e", "/tmp/nonesuch2"]);
    assert_eq!(cat(&lab, "c", "/tmp/d3/x"), "content3");
    lab.ok(&["rm", "-f", "c"]);
}

/// podman 065-cp "podman cp from stdin to container": a (gzipped) tar on
/// stdin goes into a directory; a file or a missing path is refused.
#[test]
fn a_tar_stream_on_stdin_goes_into_a_directory() {
    require_root!();
    let lab = Lab::new("cp_stdin");
    let src = host_dir(&lab, "src");
    write(&src.join("in/file"), "from-the-tar");
    let tar_file = lab.dir.join("archive.tar.gz");
    let made = Command::new("tar")
        .arg("-zcf")
        .arg(&tar_file)
        .arg("-C")
        .arg(&src)
        .arg("in")
        .status()
        .unwrap();
    assert!(made.success());
    running(&lab, "c", &[], "touch /tmp/file.txt");
    let cp_stdin = |dest: &str| {
        lab.strata(&["cp", "-", dest])
            .stdin(std::fs::File::open(&tar_file).unwrap())
            .output()
            .unwrap()
    };
    let out = cp_stdin("c:/tmp");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(cat(&lab, "c", "/tmp/in/file"), "from-the-tar");
    for dest in ["c:/tmp/file.txt", "c:/tmp/IdoNotExist"] {
        let out = cp_stdin(dest);
        assert_eq!(out.status.code(), Some(1), "{dest}");
        assert!(
            stderr(&out).contains("destination must be a directory when copying from stdin"),
            "{}",
            stderr(&out)
        );
    }
    lab.fails(1, &["exec", "c", "test", "-e", "/tmp/IdoNotExist"]);
    lab.ok(&["rm", "-f", "c"]);
}

/// podman 065-cp "podman cp from container to stdout": `-` writes a tar of
/// the file or directory; /dev/stdout is no special name.
#[test]
fn a_copy_to_dash_writes_a_tar_stream() {
    require_root!();
    let lab = Lab::new("cp_stdout");
    let dest = host_dir(&lab, "dest");
    running(
        &lab,
        "c",
        &[],
        "echo rand-content > /tmp/file.txt; touch /tmp/empty.txt",
    );
    let err = lab.fails(1, &["cp", "c:/tmp/file.txt", "/dev/stdout"]);
    assert!(
        err.contains("must be a directory or a regular file"),
        "{err}"
    );
    assert!(
        Path::new("/dev/stdout").exists(),
        "the host's link is left alone"
    );
    for (src, check) in [("c:/tmp/file.txt", "file.txt"), ("c:/tmp", "tmp/file.txt")] {
        let tar = lab.dir.join("stdout.tar");
        let out = lab
            .strata(&["cp", src, "-"])
            .stdout(std::fs::File::create(&tar).unwrap())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let x = Command::new("tar")
            .arg("xf")
            .arg(&tar)
            .arg("-C")
            .arg(&dest)
            .stderr(Stdio::inherit())
            .status()
            .unwrap();
        assert!(x.success());
        assert_eq!(read(&dest.join(check)), "rand-content");
    }
    assert!(!dest.join("empty.txt").exists(), "only the file was sent");
    assert_eq!(read(&dest.join("tmp/empty.txt")), "");
    lab.ok(&["rm", "-f", "c"]);
}

/// podman 065-cp "podman cp --overwrite file - host/ctr" (without
/// --overwrite, which docker lacks): a file never replaces a directory nor
/// a directory a file.
#[test]
fn a_file_never_replaces_a_directory_nor_the_reverse() {
    require_root!();
    let lab = Lab::new("cp_no_overwrite");
    let host = host_dir(&lab, "host");
    running(&lab, "dir", &[], "mkdir /tmp/foo");
    running(&lab, "file", &[], "echo keep > /tmp/foo");
    write(&host.join("f/foo"), "a file");
    let err = lab.fails(1, &["cp", &s(&host.join("f/foo")), "dir:/tmp"]);
    assert!(err.contains("/tmp/foo"), "{err}");
    lab.ok(&["exec", "dir", "test", "-d", "/tmp/foo"]);
    write(&host.join("d/foo/file.txt"), "a dir");
    let err = lab.fails(1, &["cp", &s(&host.join("d/foo")), "file:/tmp"]);
    assert!(err.contains("cannot overwrite non-directory"), "{err}");
    assert_eq!(cat(&lab, "file", "/tmp/foo"), "keep");
    lab.ok(&["rm", "-f", "dir", "file"]);
}

/// podman 065-cp "podman cp - dot notation - host to container" and
/// "... - container to host": `test1.` is a name, not the contents of.
#[test]
fn a_name_ending_in_a_dot_is_a_name() {
    require_root!();
    let lab = Lab::new("cp_dot_names");
    let src = host_dir(&lab, "src");
    let dest = host_dir(&lab, "dest");
    write(&src.join("test1./file1"), "");
    write(&src.join("test2/file2"), "");
    running(
        &lab,
        "c",
        &[],
        "mkdir -p /foo/test1. /foo/test2; touch /foo/test1./file1 /foo/test2/file2",
    );
    lab.ok(&["cp", &s(&src.join("test1.")), "c:/tmp/foo"]);
    assert_eq!(lab.ok(&["exec", "c", "ls", "-1", "/tmp/foo/"]), "file1");
    lab.ok(&["cp", "c:/foo/test1.", &s(&dest.join("foo"))]);
    let names: Vec<String> = std::fs::read_dir(dest.join("foo"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["file1"]);
    lab.ok(&["rm", "-f", "c"]);
}

/// docker's ownership rule: into a container, files belong to its root
/// unless -a keeps their uid and gid; out of it, to the user running cp
/// unless -a.
#[test]
fn archive_mode_keeps_owners_and_the_default_gives_them_to_root() {
    require_root!();
    let lab = Lab::new("cp_owners");
    let host = host_dir(&lab, "host");
    write(&host.join("owned"), "owned");
    std::os::unix::fs::chown(host.join("owned"), Some(1234), Some(5678)).unwrap();
    running(
        &lab,
        "c",
        &[],
        "echo theirs > /tmp/theirs; chown 42:43 /tmp/theirs",
    );
    lab.ok(&["cp", &s(&host.join("owned")), "c:/tmp/plain"]);
    lab.ok(&["cp", "-a", &s(&host.join("owned")), "c:/tmp/kept"]);
    assert_eq!(
        lab.ok(&["exec", "c", "stat", "-c", "%u:%g", "/tmp/plain"]),
        "0:0"
    );
    assert_eq!(
        lab.ok(&["exec", "c", "stat", "-c", "%u:%g", "/tmp/kept"]),
        "1234:5678"
    );
    lab.ok(&["cp", "c:/tmp/theirs", &s(&host.join("plain"))]);
    lab.ok(&["cp", "--archive", "c:/tmp/theirs", &s(&host.join("kept"))]);
    let ids = |f: &str| {
        let m = std::fs::metadata(host.join(f)).unwrap();
        (m.uid(), m.gid())
    };
    assert_eq!(ids("plain"), (0, 0));
    assert_eq!(ids("kept"), (42, 43));
    lab.ok(&["rm", "-f", "c"]);
}

/// A stopped container's deleted file is a whiteout in its upper dir: it
/// cannot be copied out, and copying over it brings the file back (the
/// whiteout goes); a paused container takes copies too.
#[test]
fn copies_respect_whiteouts_and_work_in_a_paused_container() {
    require_root!();
    let lab = Lab::new("cp_whiteout");
    let host = host_dir(&lab, "host");
    write(&host.join("group"), "restored:x:7:");
    lab.ok(&["run", "--name", "c", "bb:1", "rm", "/etc/group"]);
    let err = lab.fails(1, &["cp", "c:/etc/group", &s(&host.join("out"))]);
    assert!(
        err.contains("Could not find the file /etc/group in container c"),
        "{err}"
    );
    assert!(lab.ok(&["diff", "c"]).contains("D /etc/group"));
    lab.ok(&["cp", &s(&host.join("group")), "c:/etc/group"]);
    let diff = lab.ok(&["diff", "c"]);
    assert!(diff.contains("C /etc/group"), "{diff}");
    assert!(!diff.contains("D /etc/group"), "{diff}");
    lab.ok(&["cp", "c:/etc/group", &s(&host.join("back"))]);
    assert_eq!(read(&host.join("back")), "restored:x:7:");

    running(&lab, "p", &[], "true");
    if lab.run(&["pause", "p"]).status.success() {
        lab.ok(&["cp", &s(&host.join("group")), "p:/tmp/while-paused"]);
        lab.ok(&["cp", "p:/etc/passwd", &s(&host.join("paused-passwd"))]);
        lab.ok(&["unpause", "p"]);
        assert_eq!(cat(&lab, "p", "/tmp/while-paused"), "restored:x:7:");
    } else {
        eprintln!("pause unsupported here: the paused case is skipped");
    }
    lab.ok(&["rm", "-f", "c", "p"]);
}

/// Bad input: no container side or two (usage, exit 2), an unknown
/// container (exit 1), with nothing written.
#[test]
fn bad_arguments_are_refused_with_nothing_written() {
    require_root!();
    let lab = Lab::new("cp_bad_input");
    let host = host_dir(&lab, "host");
    write(&host.join("f"), "f");
    lab.ok(&["create", "--name", "c", "bb:1", "true"]);
    lab.fails(2, &["cp", &s(&host.join("f")), &s(&host.join("g"))]);
    lab.fails(2, &["cp", "c:/etc/passwd", "c:/tmp/x"]);
    lab.fails(2, &["cp", "-", "-"]);
    lab.fails(2, &["cp", "c:/etc/passwd"]);
    let err = lab.fails(1, &["cp", "nosuch:/etc/passwd", &s(&host.join("g"))]);
    assert!(err.contains("nosuch"), "{err}");
    let err = lab.fails(1, &["cp", &s(&host.join("f")), "nosuch:/tmp"]);
    assert!(err.contains("nosuch"), "{err}");
    assert!(!host.join("g").exists());
    lab.ok(&["rm", "c"]);
}

const ROOTLESS_USER: &str = "strata-rootless";

/// strata as the unprivileged test user (tests/container_rootless.rs's
/// pattern: a copy of the binary in `dir`, the store in `dir/store`).
fn as_user(dir: &Path, args: &[&str]) -> std::process::Output {
    let exe = dir.join("strata");
    if !exe.exists() {
        std::fs::copy(env!("CARGO_BIN_EXE_strata"), &exe).unwrap();
    }
    Command::new("setpriv")
        .args(["--reuid", ROOTLESS_USER, "--regid", ROOTLESS_USER])
        .args(["--init-groups", "env"])
        .arg(format!("HOME={}", dir.display()))
        // In the host's namespace: the host's network, not pasta.
        .arg(format!(
            "{}={}",
            support::cli::HOST_NETWORK.0,
            support::cli::HOST_NETWORK.1
        ))
        .arg(&exe)
        .arg("--root")
        .arg(dir.join("store"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn user_ok(dir: &Path, args: &[&str]) -> String {
    let out = as_user(dir, args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    support::cli::stdout(&out).trim().to_owned()
}

/// Rootless: the copy works in a created container (the overlay mounted in
/// the user's namespace) and a running one (its namespaces joined); files
/// copied in belong to the container's root, files copied out to the user.
#[test]
fn an_unprivileged_user_copies_both_ways() {
    require_root!();
    let exists = Command::new("id").arg(ROOTLESS_USER).output().unwrap();
    if !exists.status.success() {
        let made = Command::new("useradd")
            .args(["-M", "-s", "/bin/sh", ROOTLESS_USER])
            .output()
            .unwrap();
        assert!(made.status.success(), "useradd: {}", stderr(&made));
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let rootfs = support::busybox::busybox_rootfs(d, &support::busybox::SANDBOX);
    write(&d.join("hostfile"), "from the user");
    let chown = Command::new("chown")
        .args(["-R", &format!("{ROOTLESS_USER}:{ROOTLESS_USER}")])
        .arg(d)
        .status()
        .unwrap();
    assert!(chown.success());
    user_ok(d, &["import", &s(&rootfs), "bb:1"]);
    user_ok(d, &["create", "--name", "c", "bb:1", "sleep", "1000"]);
    user_ok(d, &["cp", "hostfile", "c:/tmp/created"]);
    user_ok(d, &["cp", "c:/tmp/created", "back-created"]);
    assert_eq!(read(&d.join("back-created")), "from the user");
    user_ok(d, &["start", "c"]);
    user_ok(d, &["cp", "hostfile", "c:/tmp/running"]);
    let owners = user_ok(
        d,
        &[
            "exec",
            "c",
            "stat",
            "-c",
            "%u:%g",
            "/tmp/created",
            "/tmp/running",
        ],
    );
    assert_eq!(owners, "0:0\n0:0");
    user_ok(d, &["cp", "c:/etc/passwd", "back-running"]);
    let uid = user_ok(d, &["exec", "c", "id", "-u"]);
    assert_eq!(uid, "0");
    let meta = std::fs::metadata(d.join("back-running")).unwrap();
    assert_ne!(meta.uid(), 0, "copied out as the user, not root");
    assert!(read(&d.join("back-running")).starts_with("root:"));
    user_ok(d, &["rm", "-f", "c"]);
}
