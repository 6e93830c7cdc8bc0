//! `-v SRC:DST:OPTS` with docker's and podman's mount options through the
//! `strata` binary: nosuid/nodev/noexec and propagation as the kernel
//! shows them in the container's /proc/self/mountinfo, what noexec does to
//! a script, `inspect`'s Propagation, the options refused, and compose's
//! short and long syntax onto the same. Needs root (the compose case also
//! netavark, support/netenv.rs).

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use support::cli::{stderr, stdout};
use support::compose_project::Project;
use support::containers::Lab;

/// A host directory holding an executable script that says `ran`.
fn host_dir(lab: &Lab, name: &str) -> PathBuf {
    let dir = lab.dir.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("s.sh");
    std::fs::write(&script, "#!/bin/sh\necho ran\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// The mountinfo line of the mount at `target` inside a container run with
/// `volumes`: (its per-mount options, its optional fields).
fn mount_seen(lab: &Lab, volumes: &[String], target: &str) -> (Vec<String>, Vec<String>) {
    let mut args: Vec<&str> = vec!["run", "--rm"];
    for v in volumes {
        args.extend(["-v", v]);
    }
    args.extend(["bb:1", "cat", "/proc/self/mountinfo"]);
    let info = lab.ok(&args);
    let line = info
        .lines()
        .find(|l| l.split(' ').nth(4) == Some(target))
        .unwrap_or_else(|| panic!("no mount at {target}:\n{info}"));
    let fields: Vec<&str> = line.split(' ').collect();
    let options = fields[5].split(',').map(str::to_owned).collect();
    let optional = fields[6..]
        .iter()
        .take_while(|f| **f != "-")
        .map(|f| (*f).to_owned())
        .collect();
    (options, optional)
}

fn has(list: &[String], word: &str) -> bool {
    list.iter().any(|w| w == word)
}

/// podman 060-mount / docker's `-v /h:/c:noexec,nosuid,shared`: the flags
/// land on the bind and the propagation asked for is the bind's; a plain
/// bind next to it has neither (the namespace's mounts are private).
#[test]
fn a_binds_flags_and_propagation_show_in_mountinfo() {
    require_root!();
    let lab = Lab::new("bindopt_mountinfo");
    let h = host_dir(&lab, "h");
    let asked = format!("{}:/o:noexec,nosuid,shared", h.display());
    let (options, optional) = mount_seen(&lab, &[asked], "/o");
    assert!(
        has(&options, "noexec") && has(&options, "nosuid"),
        "{options:?}"
    );
    assert!(!has(&options, "nodev"), "{options:?}");
    assert!(has(&options, "rw"), "{options:?}");
    assert!(
        optional.iter().any(|f| f.starts_with("shared:")),
        "{optional:?}"
    );

    let plain = format!("{}:/p", h.display());
    let (options, optional) = mount_seen(&lab, &[plain], "/p");
    assert!(
        !has(&options, "noexec") && !has(&options, "nosuid"),
        "{options:?}"
    );
    assert!(optional.is_empty(), "{optional:?}");

    let ro = format!("{}:/r:ro,nodev,rprivate,z", h.display());
    let (options, optional) = mount_seen(&lab, &[ro], "/r");
    assert!(has(&options, "ro") && has(&options, "nodev"), "{options:?}");
    assert!(optional.is_empty(), "{optional:?}");
}

/// A named volume takes the flags too (podman's `-v vol:/d:nodev,noexec`).
#[test]
fn a_named_volume_takes_nosuid_nodev_noexec() {
    require_root!();
    let lab = Lab::new("bindopt_named");
    let (options, _) = mount_seen(&lab, &["v1:/d:nodev,noexec,ro".into()], "/d");
    assert!(
        has(&options, "nodev") && has(&options, "noexec") && has(&options, "ro"),
        "{options:?}"
    );
    assert!(!has(&options, "nosuid"), "{options:?}");
}

/// docker's noexec case: a script on a noexec bind is refused with
/// Permission denied (exit 126); the same script on a plain bind runs.
#[test]
fn a_script_on_a_noexec_bind_is_permission_denied() {
    require_root!();
    let lab = Lab::new("bindopt_noexec");
    let h = host_dir(&lab, "h");
    let noexec = format!("{}:/x:noexec", h.display());
    let out = lab.run(&["run", "--rm", "-v", &noexec, "bb:1", "sh", "-c", "/x/s.sh"]);
    assert_eq!(out.status.code(), Some(126), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("Permission denied"),
        "{}",
        stderr(&out)
    );
    let plain = format!("{}:/x:exec", h.display());
    assert_eq!(
        lab.ok(&["run", "--rm", "-v", &plain, "bb:1", "sh", "-c", "/x/s.sh"]),
        "ran"
    );
}

/// `inspect` Mounts shows a bind's Propagation as docker does: the one
/// asked for, else `rprivate`; a volume's is empty.
#[test]
fn inspect_shows_the_propagation_of_each_bind() {
    require_root!();
    let lab = Lab::new("bindopt_inspect");
    let h = host_dir(&lab, "h");
    lab.ok(&[
        "create",
        "--name",
        "c",
        "-v",
        &format!("{}:/a:rslave,ro", h.display()),
        "-v",
        &format!("{}:/b", h.display()),
        "-v",
        "v1:/v:noexec",
        "bb:1",
        "true",
    ]);
    let mounts = lab.inspect("c")["Mounts"].clone();
    let at = |dst: &str| support::containers::mount_at(&mounts, dst);
    assert_eq!(at("/a")["Propagation"], "rslave", "{mounts}");
    assert_eq!(at("/a")["RW"], false, "{mounts}");
    assert_eq!(at("/b")["Propagation"], "rprivate", "{mounts}");
    assert_eq!(at("/v")["Propagation"], "", "{mounts}");
}

/// docker's `bind` vs the default `rbind`: a mount below the source comes
/// along only with rbind.
#[test]
fn bind_leaves_out_the_mounts_below_the_source_and_rbind_keeps_them() {
    require_root!();
    let lab = Lab::new("bindopt_recursive");
    let h = host_dir(&lab, "h");
    let sub = SubMount::new(h.join("sub"));
    std::fs::write(sub.0.join("below"), "below\n").unwrap();
    let look = "cat /m/sub/below 2>/dev/null || echo absent";
    let rbind = format!("{}:/m:rbind", h.display());
    assert_eq!(
        lab.ok(&["run", "--rm", "-v", &rbind, "bb:1", "sh", "-c", look]),
        "below"
    );
    let bind = format!("{}:/m:bind", h.display());
    assert_eq!(
        lab.ok(&["run", "--rm", "-v", &bind, "bb:1", "sh", "-c", look]),
        "absent"
    );
}

/// A tmpfs the test mounts below its own host directory, unmounted on drop.
struct SubMount(PathBuf);

impl SubMount {
    fn new(at: PathBuf) -> Self {
        std::fs::create_dir_all(&at).unwrap();
        rustix::mount::mount(
            "tmpfs",
            &at,
            "tmpfs",
            rustix::mount::MountFlags::empty(),
            None,
        )
        .unwrap();
        Self(at)
    }
}

impl Drop for SubMount {
    fn drop(&mut self) {
        let _ = rustix::mount::unmount(&self.0, rustix::mount::UnmountFlags::DETACH);
    }
}

/// An unknown option, one a named volume cannot take, and a repeated kind
/// are usage errors naming the flag and the option; nothing is made.
#[test]
fn a_bad_option_is_refused_naming_it() {
    require_root!();
    let lab = Lab::new("bindopt_bad");
    let h = host_dir(&lab, "h");
    for (bad, named) in [
        (format!("{}:/x:rw,bogus", h.display()), "\"bogus\""),
        ("vol:/d:rshared".to_owned(), "\"rshared\""),
        ("vol:/d:z".to_owned(), "\"z\""),
        (format!("{}:/x:ro,rw", h.display()), "\"rw\""),
        (format!("{}:/x:ro,", h.display()), "\"\""),
    ] {
        let out = lab.run(&["run", "-d", "-v", &bad, "bb:1", "true"]);
        assert_eq!(out.status.code(), Some(2), "-v {bad}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("--volume") && err.contains(named),
            "-v {bad}: {err}"
        );
    }
    assert!(lab.container_dirs().is_empty());
    assert_eq!(lab.ok(&["volume", "ls", "-q"]), "");
}

/// docker compose's `./x:/y:ro,rshared` and the long syntax's
/// `bind: {propagation}` with `read_only`: the container's mount has the
/// propagation and read-only asked for.
#[test]
fn compose_short_and_long_bind_options_reach_the_mount() {
    require_network!();
    let p = Project::new(
        "bindoptcompose",
        r#"
services:
  svc:
    image: bb:1
    network_mode: none
    command: ["true"]
    volumes:
      - ./x:/y:ro,rshared
      - type: bind
        source: ./x
        target: /z
        read_only: true
        bind:
          propagation: rslave
"#,
    );
    p.file("x/f", "f\n");
    let o = p.compose(&["create"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let id = p.id_of("bindoptcompose-svc-1");
    let record = p.env.json(&["inspect", &id]);
    let mounts = record["Mounts"].clone();
    let at = |dst: &str| support::containers::mount_at(&mounts, dst);
    assert_eq!(at("/y")["Propagation"], "rshared", "{mounts}");
    assert_eq!(at("/y")["RW"], false, "{mounts}");
    assert_eq!(at("/z")["Propagation"], "rslave", "{mounts}");
    assert_eq!(at("/z")["RW"], false, "{mounts}");
    let o = p.compose(&["down"]);
    assert!(o.status.success(), "{}", stderr(&o));
}
