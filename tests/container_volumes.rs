//! Named and anonymous volumes through the `strata` binary: `volume
//! create|ls|inspect|rm|prune`, `-v NAME:/path`, `-v /path`, the image's
//! VOLUME, `rm -v`, and volumes in `system df|fsck|prune`. Each test
//! names the podman 160-volumes case it rewrites. Needs root (the rootless
//! case drops to a test user).

mod support;

use std::path::PathBuf;

use serde_json::Value;
use support::cli::{stderr, stdout};
use support::containers::Lab;

fn volumes(lab: &Lab) -> Vec<Value> {
    serde_json::from_str(&lab.ok(&["volume", "ls", "--format", "json"])).unwrap()
}

fn mountpoint(lab: &Lab, name: &str) -> PathBuf {
    let v: Value = serde_json::from_str(&lab.ok(&["volume", "inspect", name])).unwrap();
    PathBuf::from(v[0]["Mountpoint"].as_str().unwrap())
}

fn sorted_lines(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text.lines().map(str::to_owned).collect();
    v.sort();
    v
}

/// An image whose VOLUME /data holds a file from the build.
fn image_with_volume(lab: &Lab) {
    let ctx = lab.dir.join("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(ctx.join("seed"), "seeded by the image\n").unwrap();
    std::fs::write(
        ctx.join("Dockerfile"),
        "FROM bb:1\nCOPY seed /data/seed\nVOLUME /data\n",
    )
    .unwrap();
    lab.ok(&["build", "-q", "-t", "vol:1", ctx.to_str().unwrap()]);
}

/// podman 160 "podman volume create / run": a labelled volume shows in
/// `ls --format json`; what a container writes there is in its mountpoint.
#[test]
fn a_created_volume_is_listed_and_keeps_what_a_container_writes() {
    require_root!();
    let lab = Lab::new("volume_create_run");
    assert_eq!(
        lab.ok(&["volume", "create", "--label", "l=blue", "myvol"]),
        "myvol"
    );
    let ls = volumes(&lab);
    assert_eq!(ls.len(), 1);
    assert_eq!(ls[0]["Name"], "myvol");
    assert_eq!(ls[0]["Driver"], "local");
    assert_eq!(ls[0]["Labels"]["l"], "blue");
    assert_eq!(lab.ok(&["volume", "ls", "-q"]), "myvol");
    lab.ok(&[
        "run",
        "--rm",
        "-v",
        "myvol:/vol",
        "bb:1",
        "sh",
        "-c",
        "echo r4nd > /vol/myfile",
    ]);
    let mp = mountpoint(&lab, "myvol");
    assert!(mp.starts_with(lab.store().join("volumes")), "{mp:?}");
    assert_eq!(
        std::fs::read_to_string(mp.join("myfile")).unwrap(),
        "r4nd\n"
    );
    assert_eq!(lab.ok(&["volume", "rm", "myvol"]), "myvol");
    assert_eq!(lab.ok(&["volume", "ls", "-q"]), "");
}

/// podman 160 "podman volume duplicates": a second create of a name fails
/// and leaves the first volume as it was.
#[test]
fn a_volume_name_is_taken_once() {
    require_root!();
    let lab = Lab::new("volume_duplicates");
    lab.ok(&["volume", "create", "--label", "first=1", "dup"]);
    let err = lab.fails(1, &["volume", "create", "dup"]);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(volumes(&lab)[0]["Labels"]["first"], "1");
}

/// podman 160 "podman volume rm --force": a volume a container uses is
/// refused (exit 2, naming the container); -f removes the container too.
#[test]
fn a_volume_in_use_is_refused_unless_forced() {
    require_root!();
    let lab = Lab::new("volume_rm_force");
    let id = lab.ok(&[
        "run",
        "-d",
        "--name",
        "user",
        "-v",
        "myvol:/myvol",
        "bb:1",
        "sleep",
        "100",
    ]);
    assert_eq!(
        lab.ok(&["volume", "ls", "-q"]),
        "myvol",
        "made on first use"
    );
    let err = lab.fails(2, &["volume", "rm", "myvol"]);
    assert!(
        err.contains("myvol") && err.contains(&id[..12]),
        "the refusal names the volume and its user: {err}"
    );
    assert_eq!(
        lab.status("user"),
        "running",
        "a refused rm touches nothing"
    );
    assert_eq!(lab.ok(&["volume", "rm", "-f", "myvol"]), "myvol");
    assert_eq!(lab.ok(&["volume", "ls", "-q"]), "");
    assert!(
        lab.container_dirs().is_empty(),
        "{:?}",
        lab.container_dirs()
    );
    lab.fsck_clean();
}

/// podman 160 "podman volume, implicit creation with run": `-v /path`
/// makes an anonymous volume that `rm --volumes` removes; a named one made
/// by `run --rm` (twice in one run) outlives the container and serves the
/// next one.
#[test]
fn anonymous_volumes_go_with_rm_v_and_named_ones_stay() {
    require_root!();
    let lab = Lab::new("volume_implicit");
    lab.ok(&[
        "run",
        "--name",
        "anon",
        "-v",
        "/myvol",
        "bb:1",
        "sh",
        "-c",
        "echo a1 > /myvol/myfile",
    ]);
    let anon = lab.ok(&["volume", "ls", "-q"]);
    assert_eq!(anon.len(), 64, "an anonymous volume gets an id: {anon}");
    assert_eq!(
        std::fs::read_to_string(mountpoint(&lab, &anon).join("myfile")).unwrap(),
        "a1\n"
    );
    lab.ok(&["rm", "--volumes", "anon"]);
    assert_eq!(lab.ok(&["volume", "ls", "-q"]), "", "rm -v took the volume");

    lab.ok(&[
        "run",
        "--rm",
        "-v",
        "named1:/myvol",
        "-v",
        "named1:/myvol2",
        "bb:1",
        "sh",
        "-c",
        "echo n1 > /myvol/myfile; cat /myvol2/myfile",
    ]);
    assert_eq!(lab.ok(&["volume", "ls", "-q"]), "named1");
    let out = lab.ok(&[
        "run",
        "--rm",
        "-v",
        "named1:/myvol",
        "bb:1",
        "sh",
        "-c",
        "cp /myvol/myfile /myvol/myfile2 && cat /myvol/myfile2",
    ]);
    assert_eq!(out, "n1");
    lab.ok(&["volume", "rm", "named1"]);
}

/// podman 160 "podman volume prune", "prune without -a keeps named
/// volumes", "prune removes only anonymous unused volumes".
#[test]
fn prune_removes_unused_anonymous_volumes_and_with_all_unused_named_ones() {
    require_root!();
    let lab = Lab::new("volume_prune");
    for v in ["v1", "v2", "v3", "v4"] {
        lab.ok(&["volume", "create", v]);
    }
    let anon = lab.ok(&["volume", "create"]);
    lab.ok(&["run", "--name", "c1", "-v", "v1:/vol1", "bb:1", "true"]);
    lab.ok(&[
        "run", "--name", "c2", "-v", "v2:/vol2", "-v", "v3:/vol3", "bb:1", "true",
    ]);
    assert_eq!(lab.ok(&["volume", "prune", "--force"]), anon);
    assert_eq!(
        lab.ok(&["volume", "prune"]),
        "",
        "nothing anonymous is left"
    );
    assert_eq!(lab.ok(&["volume", "prune", "-f", "-a"]), "v4");
    lab.ok(&["rm", "c2"]);
    assert_eq!(
        sorted_lines(&lab.ok(&["volume", "prune", "-f", "-a"])),
        ["v2", "v3"]
    );
    lab.ok(&["rm", "c1"]);
    assert_eq!(lab.ok(&["volume", "prune", "-f", "-a"]), "v1");
    assert_eq!(lab.ok(&["volume", "prune", "-f", "-a"]), "");
}

/// podman 160 "podman volume create copyup": a volume mounted over a path
/// the image has nothing at stays waiting for content; mounted over /etc
/// it is filled with the image's /etc, once.
#[test]
fn an_empty_volume_is_filled_from_the_image_at_its_mount_point() {
    require_root!();
    let lab = Lab::new("volume_copyup");
    lab.ok(&["volume", "create", "myvol"]);
    let needs = |lab: &Lab| -> Value {
        let v: Value = serde_json::from_str(&lab.ok(&["volume", "inspect", "myvol"])).unwrap();
        v[0]["NeedsCopyUp"].clone()
    };
    assert_eq!(needs(&lab), true);
    lab.ok(&["run", "--rm", "-v", "myvol:/vol", "bb:1", "true"]);
    assert_eq!(
        needs(&lab),
        true,
        "/vol is empty in the image: nothing copied"
    );
    assert_eq!(
        lab.ok(&[
            "run",
            "--rm",
            "-v",
            "myvol:/etc",
            "bb:1",
            "ls",
            "/etc/passwd"
        ]),
        "/etc/passwd"
    );
    assert_eq!(needs(&lab), false);
    let mp = mountpoint(&lab, "myvol");
    let passwd = std::fs::read_to_string(mp.join("passwd")).unwrap();
    assert!(passwd.starts_with("root:x:0:0:"), "{passwd}");
    // Filled once: a later mount elsewhere copies nothing over it.
    std::fs::remove_file(mp.join("group")).unwrap();
    lab.ok(&["run", "--rm", "-v", "myvol:/etc", "bb:1", "true"]);
    assert!(!mp.join("group").exists(), "the volume was filled again");
}

/// The image's VOLUME gives each container an anonymous volume holding
/// the image's files there (docker's rule); `run --rm` and `rm -v` remove
/// it, plain `rm` keeps it.
#[test]
fn the_images_volume_is_an_anonymous_volume_seeded_from_the_image() {
    require_root!();
    let lab = Lab::new("volume_image");
    image_with_volume(&lab);
    let out = lab.ok(&[
        "run",
        "--name",
        "one",
        "vol:1",
        "sh",
        "-c",
        "cat /data/seed; echo mine > /data/own",
    ]);
    assert_eq!(out, "seeded by the image");
    let anon = lab.ok(&["volume", "ls", "-q"]);
    assert_eq!(anon.len(), 64, "{anon}");
    assert_eq!(
        std::fs::read_to_string(mountpoint(&lab, &anon).join("own")).unwrap(),
        "mine\n"
    );
    lab.ok(&["rm", "one"]);
    assert_eq!(lab.ok(&["volume", "ls", "-q"]), anon, "plain rm keeps it");
    lab.ok(&["volume", "prune"]);

    lab.ok(&["run", "--rm", "--name", "two", "vol:1", "true"]);
    assert_eq!(lab.ok(&["volume", "ls", "-q"]), "", "run --rm removed it");
    lab.ok(&["run", "--rm", "vol:1", "true"]);
    assert_eq!(lab.ok(&["volume", "ls", "-q"]), "", "a foreground --rm too");

    // A -v over the same path replaces the image's volume.
    lab.ok(&["run", "--rm", "-v", "mine:/data", "vol:1", "true"]);
    assert_eq!(lab.ok(&["volume", "ls", "-q"]), "mine");
    let mp = mountpoint(&lab, "mine");
    assert_eq!(
        std::fs::read_to_string(mp.join("seed")).unwrap(),
        "seeded by the image\n"
    );
}

/// What compose needs: two running containers on one named volume see
/// each other's writes.
#[test]
fn two_containers_sharing_a_named_volume_see_each_others_writes() {
    require_root!();
    let lab = Lab::new("volume_shared");
    lab.ok(&[
        "run",
        "-d",
        "--name",
        "a",
        "-v",
        "shared:/s",
        "bb:1",
        "sh",
        "-c",
        "echo from-a > /s/a; sleep 100",
    ]);
    lab.ok(&[
        "run",
        "-d",
        "--name",
        "b",
        "-v",
        "shared:/s",
        "bb:1",
        "sleep",
        "100",
    ]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while lab.run(&["exec", "b", "cat", "/s/a"]).status.code() != Some(0) {
        assert!(std::time::Instant::now() < deadline, "b never saw a's file");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(lab.ok(&["exec", "b", "cat", "/s/a"]), "from-a");
    lab.ok(&["exec", "b", "sh", "-c", "echo from-b > /s/b"]);
    assert_eq!(lab.ok(&["exec", "a", "cat", "/s/b"]), "from-b");
    lab.ok(&["rm", "-f", "a", "b"]);
    lab.ok(&["volume", "rm", "shared"]);
}

/// Volumes are part of the store's accounts: `system df` counts them,
/// `system fsck` notices a broken one, `system prune --volumes` removes
/// unused anonymous ones and keeps named ones.
#[test]
fn volumes_count_in_system_df_fsck_and_prune() {
    require_root!();
    let lab = Lab::new("volume_system");
    lab.ok(&["volume", "create", "keep"]);
    let anon = lab.ok(&["volume", "create"]);
    std::fs::write(mountpoint(&lab, "keep").join("blob"), vec![7u8; 300_000]).unwrap();
    let df = lab.ok(&["system", "df"]);
    let row = df
        .lines()
        .find(|l| l.starts_with("volumes"))
        .unwrap_or_else(|| panic!("no volumes row: {df}"));
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cols[1], "2", "{row}");
    assert!(cols[2].starts_with("300"), "{row}");
    lab.fsck_clean();

    let out = lab.ok(&["system", "prune", "--volumes"]);
    assert!(out.contains(&anon), "{out}");
    assert_eq!(lab.ok(&["volume", "ls", "-q"]), "keep");

    std::fs::remove_dir_all(mountpoint(&lab, "keep")).unwrap();
    let out = lab.run(&["system", "fsck"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("volume keep"), "{}", stdout(&out));
}

/// Bad volume input: a clear message naming the flag, exit 2, nothing made.
#[test]
fn bad_volume_input_is_refused_with_a_usage_error() {
    require_root!();
    let lab = Lab::new("volume_bad");
    for bad in ["data:relative", "data:/d:zz", "a:b:c:d"] {
        let out = lab.run(&["run", "-d", "-v", bad, "bb:1", "true"]);
        assert_eq!(out.status.code(), Some(2), "-v {bad}: {}", stderr(&out));
        assert!(stderr(&out).contains("--volume"), "{}", stderr(&out));
    }
    let out = lab.run(&["volume", "create", "no/slash"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("no/slash"), "{}", stderr(&out));
    assert_eq!(lab.ok(&["volume", "ls", "-q"]), "");
    assert!(lab.container_dirs().is_empty());
    assert!(lab.run(&["volume", "inspect", "nope"]).status.code() == Some(1));
}

/// podman 160 "podman volume create / run" and "implicit creation with
/// run", rootless: an unprivileged user's volumes live in its store, are
/// filled from the image with the image's owners, and two of its
/// containers share one.
#[test]
fn an_unprivileged_user_has_volumes_too() {
    use support::busybox::{SANDBOX, busybox_rootfs};
    use support::rootless::User;
    require_root!();
    let user = User::with_subids("strata-rl-vol");
    let tmp = tempfile::tempdir().unwrap();
    let home = user.home(tmp.path());
    let rootfs = busybox_rootfs(&home.dir, &SANDBOX);
    user.give(&home.dir);
    home.ok(&["import", rootfs.to_str().unwrap(), "bb:1"]);
    let ok = |args: &[&str]| home.ok(args).trim().to_owned();

    ok(&["run", "--rm", "-v", "etc:/etc", "bb:1", "true"]);
    let v: Value = serde_json::from_str(&ok(&["volume", "inspect", "etc"])).unwrap();
    let mp = PathBuf::from(v[0]["Mountpoint"].as_str().unwrap());
    assert!(mp.starts_with(home.store()), "{mp:?}");
    let owner = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(mp.join("passwd")).unwrap());
    assert_eq!(
        owner, user.uid,
        "the image's root owns its copied files (mapped to the user)"
    );
    let ls = ok(&[
        "run",
        "--rm",
        "-v",
        "etc:/mnt",
        "bb:1",
        "stat",
        "-c",
        "%u",
        "/mnt/passwd",
    ]);
    assert_eq!(ls, "0", "inside, the copy is root's as in the image");

    ok(&[
        "run",
        "-d",
        "--name",
        "w",
        "-v",
        "shared:/s",
        "bb:1",
        "sh",
        "-c",
        "echo from-w > /s/f; sleep 100",
    ]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let out = home.strata(&["run", "--rm", "-v", "shared:/s", "bb:1", "cat", "/s/f"]);
        if out.status.success() {
            assert_eq!(stdout(&out).trim(), "from-w");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{}", stderr(&out));
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let out = home.strata(&["volume", "rm", "shared"]);
    assert_eq!(out.status.code(), Some(2), "in use: {}", stderr(&out));
    ok(&["rm", "-f", "w"]);
    ok(&["volume", "rm", "shared", "etc"]);
    assert_eq!(ok(&["volume", "ls", "-q"]), "");
}

/// Containers made at once on one new volume all get it, made once, and
/// a `volume prune -a` running meanwhile never removes a volume a
/// container is being made with (its record is the only mark of use).
#[test]
fn concurrent_creates_and_prunes_never_leave_a_container_without_its_volume() {
    require_root!();
    let lab = std::sync::Arc::new(Lab::new("volume_concurrency"));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let pruner = {
        let (lab, stop) = (lab.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                lab.ok(&["volume", "prune", "-a", "-f"]);
            }
        })
    };
    let makers: Vec<_> = (0..4)
        .map(|i| {
            let lab = lab.clone();
            std::thread::spawn(move || {
                let name = format!("c{i}");
                lab.ok(&[
                    "create",
                    "--name",
                    &name,
                    "-v",
                    "shared:/s",
                    "-v",
                    "/anon",
                    "bb:1",
                    "true",
                ]);
            })
        })
        .collect();
    for m in makers {
        m.join().unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    pruner.join().unwrap();
    let names = lab.ok(&["volume", "ls", "-q"]);
    assert_eq!(
        names.lines().filter(|n| *n == "shared").count(),
        1,
        "{names}"
    );
    assert_eq!(
        names.lines().count(),
        5,
        "one shared and four anonymous: {names}"
    );
    lab.fsck_clean();
    for i in 0..4 {
        lab.ok(&["start", "-a", &format!("c{i}")]);
    }
}

/// A foreground `strata run` has no container record, yet the volumes it
/// binds are in use while it runs: rm (even -f) and prune leave them, and
/// once it ends they can go.
#[test]
fn a_foreground_run_keeps_its_volumes_in_use_while_it_runs() {
    require_root!();
    let lab = Lab::new("volume_foreground");
    let mut run = lab
        .strata(&[
            "run",
            "--rm",
            "-v",
            "fg:/d",
            "-v",
            "/anon",
            "bb:1",
            "sh",
            "-c",
            "touch /d/started; sleep 3",
        ])
        .spawn()
        .unwrap();
    let started = mountpoint_when_ready(&lab, "fg");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !started.join("started").exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the run never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let err = lab.fails(2, &["volume", "rm", "-f", "fg"]);
    assert!(err.contains("fg"), "{err}");
    assert_eq!(
        lab.ok(&["volume", "prune", "-a"]),
        "",
        "prune took a volume in use"
    );
    assert!(run.wait().unwrap().success());
    assert_eq!(
        lab.ok(&["volume", "ls", "-q"]),
        "fg",
        "--rm took the anonymous one"
    );
    assert_eq!(lab.ok(&["volume", "rm", "fg"]), "fg");
}

/// The volume's mountpoint, once the volume exists.
fn mountpoint_when_ready(lab: &Lab, name: &str) -> PathBuf {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let out = lab.run(&["volume", "inspect", name]);
        if out.status.success() {
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            return PathBuf::from(v[0]["Mountpoint"].as_str().unwrap());
        }
        assert!(std::time::Instant::now() < deadline, "no volume {name}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// podman 160 "podman volume filter --name", plus label= and dangling=.
#[test]
fn volume_ls_filters_by_name_label_and_use() {
    require_root!();
    let lab = Lab::new("volume_filter");
    lab.ok(&["volume", "create", "volume_1_x"]);
    lab.ok(&["volume", "create", "-l", "app=web", "volume_2_x"]);
    lab.ok(&["volume", "create", "-l", "app=db", "other"]);
    lab.ok(&["create", "--name", "c", "-v", "other:/o", "bb:1", "true"]);
    let ls = |f: &[&str]| {
        let mut args = vec!["volume", "ls", "-q"];
        for x in f {
            args.extend(["--filter", x]);
        }
        sorted_lines(&lab.ok(&args))
    };
    assert_eq!(ls(&["name=volume_1"]), ["volume_1_x"]);
    assert_eq!(ls(&["name=volume_"]), ["volume_1_x", "volume_2_x"]);
    assert_eq!(ls(&["label=app"]), ["other", "volume_2_x"]);
    assert_eq!(ls(&["label=app=db"]), ["other"]);
    assert_eq!(
        ls(&["label=app=db", "label=app=web"]),
        ["other", "volume_2_x"]
    );
    assert_eq!(ls(&["label=app", "name=volume"]), ["volume_2_x"]);
    assert_eq!(ls(&["dangling=true"]), ["volume_1_x", "volume_2_x"]);
    assert_eq!(ls(&["dangling=false"]), ["other"]);
    let out = lab.run(&["volume", "ls", "--filter", "driver=local"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--filter"));
}

/// `inspect` lists a container's mounts as docker's Mounts does: volumes by
/// name, binds by source; `:ro` is read-only inside.
#[test]
fn inspect_lists_volumes_and_binds_and_ro_holds() {
    require_root!();
    let lab = Lab::new("volume_inspect_mounts");
    let host = lab.dir.join("host");
    std::fs::create_dir_all(&host).unwrap();
    lab.ok(&[
        "create",
        "--name",
        "c",
        "-v",
        "data:/d:ro",
        "-v",
        &format!("{}:/h", host.display()),
        "--tmpfs",
        "/t",
        "bb:1",
        "touch",
        "/d/x",
    ]);
    let mounts = lab.inspect("c")["Mounts"].clone();
    let at = |dst: &str| support::containers::mount_at(&mounts, dst);
    assert_eq!(at("/d")["Type"], "volume", "{mounts}");
    assert_eq!(at("/d")["Name"], "data");
    assert_eq!(at("/d")["RW"], false);
    assert_eq!(at("/h")["Type"], "bind", "{mounts}");
    assert_eq!(at("/h")["Source"], host.to_str().unwrap());
    assert_eq!(at("/t")["Type"], "tmpfs", "{mounts}");
    lab.ok(&["start", "c"]);
    assert_eq!(lab.ok(&["wait", "c"]), "1", ":ro let the write through");
}
