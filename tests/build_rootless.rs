//! Rootless builds: an unprivileged user's `strata build` runs inside a user
//! namespace where the user is root and its subordinate ids are the other
//! users, so its images carry the owners the Dockerfile says, exactly as a
//! root build's. Every testdata/build case is built by root and by such a
//! user from the same base image, and the root filesystems (paths, types,
//! modes, owners, contents, link targets) and configs must be equal.
//!
//! The tests need root to create the users (useradd; the user with
//! subordinate ids gets its ranges from /etc/login.defs) and drop to them
//! with setpriv. The user's store is its default one, under its HOME.

mod support;

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use support::case::{Spec, serve};
use support::cli::{ok, stderr};
use support::env::{Env, testdata};
use support::events::{fs_steps_run, json_lines};
use support::layout::unpack_layout;
use support::rootless::{Home, User};
use support::sandbox::is_root;
use support::tree::{self, Entry};

const USER: &str = "strata-rl-build";
const USER_WITHOUT_SUBIDS: &str = "strata-rl-nosub";

/// A root store holding busybox:latest, and a home for `user` whose own
/// store holds the same image (pulled from an OCI layout root pushed).
struct Stores {
    root: Env,
    home: Home,
}

fn stores(user: &User) -> Stores {
    let root = Env::new();
    let base = root.path("base-oci");
    ok(root
        .strata()
        .args(["push", "busybox:latest"])
        .arg(format!("oci:{}:busybox", base.display())));
    user.give(&base);
    let home = user.home(root.dir.path());
    home.ok(&[
        "pull",
        &format!("oci:{}:busybox", base.display()),
        "busybox:latest",
    ]);
    Stores { root, home }
}

/// A copy of `src` at `dest` that `user` owns and can read.
fn context_copy(user: &User, src: &Path, dest: &Path) {
    ok(std::process::Command::new("cp")
        .arg("-a")
        .arg(src)
        .arg(dest));
    user.give(dest);
}

/// Builds `context` with `flags` (which tag `case:strata`) as root and as
/// the user: (root's image, the user's image), unpacked.
fn build_both(s: &Stores, context: &Path, flags: &[String]) -> (Built, Built) {
    let argv: Vec<&str> = flags.iter().map(String::as_str).collect();
    s.root.build_json(context, &argv);
    let (fs, config) = s.root.unpack("case:strata", "root");
    let by_root = Built {
        files: tree::list(&fs),
        config,
    };
    let mut args = vec!["build", "--progress", "plain"];
    args.extend_from_slice(&argv);
    let ctx = context.to_str().expect("UTF-8 path");
    args.push(ctx);
    s.home.ok(&args);
    let layout = s.home.dir.join("out-oci");
    s.home.ok(&[
        "push",
        "case:strata",
        &format!("oci:{}:img", layout.display()),
    ]);
    let (fs, config) = unpack_layout(&layout, &s.root.path("user-rootfs"));
    let by_user = Built {
        files: tree::list(&fs),
        config,
    };
    (by_root, by_user)
}

/// An image's root filesystem and config.
struct Built {
    files: std::collections::BTreeMap<String, Entry>,
    config: serde_json::Value,
}

fn assert_same_image(name: &str, by_root: &Built, by_user: &Built) {
    let d = tree::diff(&by_user.files, &by_root.files);
    assert!(
        d.is_empty(),
        "{name}: the rootless build's files differ from root's (rootless, then root):\n{}",
        d.join("\n")
    );
    assert_eq!(
        by_user.config["config"], by_root.config["config"],
        "{name}: configs differ"
    );
    assert_eq!(
        by_user.config["rootfs"]["diff_ids"]
            .as_array()
            .map(Vec::len),
        by_root.config["rootfs"]["diff_ids"]
            .as_array()
            .map(Vec::len),
        "{name}: layer counts differ"
    );
}

/// One testdata/build case, built by root and rootless.
fn same_image_as_root(name: &str) {
    if !is_root() {
        eprintln!("skipped: needs root to create the test user");
        return;
    }
    let user = User::with_subids(USER);
    let s = stores(&user);
    let ctx = s.root.path("ctx");
    context_copy(&user, &testdata().join(name), &ctx);
    let spec = Spec::load(&ctx);
    let server = spec.http.then(|| serve(ctx.join("www")));
    let flags = spec.flags(&ctx, &spec.build_args_with(server));
    let (by_root, by_user) = build_both(&s, &ctx, &flags);
    assert_same_image(name, &by_root, &by_user);
    assert!(
        s.home.store().join("snapshots").is_dir(),
        "the user's store is under its HOME"
    );
}

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        const CASES: &[&str] = &[$(stringify!($name)),*];

        mod conformance_cases {
            $(
                #[test]
                fn $name() {
                    super::same_image_as_root(stringify!($name));
                }
            )*
        }
    };
}

// The list is shared with tests/build_conformance.rs; the test below keeps
// it complete.
support::build_cases::with_build_cases!(cases);

#[test]
fn every_testdata_build_case_is_built_rootless() {
    let mut dirs: Vec<String> = std::fs::read_dir(testdata())
        .expect("read testdata/build")
        .filter_map(|e| {
            let e = e.ok()?;
            e.file_type()
                .ok()?
                .is_dir()
                .then(|| e.file_name().to_string_lossy().into_owned())
        })
        .collect();
    dirs.sort();
    let mut listed: Vec<String> = CASES.iter().map(|c| c.to_string()).collect();
    listed.sort();
    assert_eq!(
        listed, dirs,
        "add new testdata/build cases to the list above"
    );
}

/// A tar whose entries belong to users other than root.
fn owned_tar(path: &Path) {
    let mut b = tar::Builder::new(std::fs::File::create(path).expect("create tar"));
    let mut add = |name: &str, kind: tar::EntryType, mode: u32, uid: u64, gid: u64, body: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_uid(uid);
        h.set_gid(gid);
        h.set_mtime(1_700_000_000);
        h.set_size(body.len() as u64);
        b.append_data(&mut h, name, body).expect("append");
    };
    add("x", tar::EntryType::Regular, 0o640, 7, 8, b"seven\n");
    add("d/", tar::EntryType::Directory, 0o750, 1000, 50, b"");
    add(
        "d/y",
        tar::EntryType::Regular,
        0o600,
        65534,
        65534,
        b"nobody\n",
    );
    b.finish().expect("finish tar");
}

const OWNERS_DOCKERFILE: &str = "FROM busybox
COPY --chown=1000:1000 a.txt /owned/a.txt
WORKDIR /src
RUN touch /f && chown 123:456 /f && rm -r /usr/share
ADD owned.tar /t/
";

#[test]
fn a_rootless_build_gives_files_the_owners_the_dockerfile_says() {
    if !is_root() {
        eprintln!("skipped: needs root to create the test user");
        return;
    }
    let user = User::with_subids(USER);
    let s = stores(&user);
    let ctx = s.root.path("ctx");
    std::fs::create_dir(&ctx).expect("mkdir ctx");
    std::fs::write(ctx.join("Dockerfile"), OWNERS_DOCKERFILE).expect("Dockerfile");
    std::fs::write(ctx.join("a.txt"), "a\n").expect("a.txt");
    owned_tar(&ctx.join("owned.tar"));
    user.give(&ctx);
    let flags = vec!["-t".to_string(), "case:strata".to_string()];
    let (by_root, by_user) = build_both(&s, &ctx, &flags);
    assert_same_image("owners", &by_root, &by_user);

    let owner = |p: &str| {
        let e = by_user
            .files
            .get(p)
            .unwrap_or_else(|| panic!("{p} missing from the rootless image"));
        format!("{}:{}", e.uid, e.gid)
    };
    assert_eq!(owner("/owned/a.txt"), "1000:1000", "COPY --chown");
    assert_eq!(owner("/src"), "0:0", "WORKDIR");
    assert_eq!(owner("/f"), "123:456", "RUN chown");
    assert_eq!(owner("/t/x"), "7:8", "ADD of a tar keeps its owners");
    assert_eq!(owner("/t/d"), "1000:50");
    assert_eq!(owner("/t/d/y"), "65534:65534");
    assert!(!by_user.files.contains_key("/usr/share"), "RUN rm");

    // On disk the store's files belong to the user (root inside) and its
    // subordinate ids (everyone else), as in buildah's rootless storage.
    let (subuid, subgid) = user.subids.expect("subordinate ids");
    let on_disk = |rel: &str| -> Vec<(u32, u32)> {
        let snapshots = s.home.store().join("snapshots");
        std::fs::read_dir(&snapshots)
            .expect("read snapshots")
            .filter_map(|e| std::fs::symlink_metadata(e.ok()?.path().join("fs").join(rel)).ok())
            .map(|m| (m.uid(), m.gid()))
            .collect()
    };
    assert_eq!(on_disk("f"), [(subuid + 122, subgid + 455)]);
    assert_eq!(on_disk("owned/a.txt"), [(subuid + 999, subgid + 999)]);
    assert_eq!(on_disk("src"), [(user.uid, user.gid)]);

    // The user cannot remove such files outside the namespace, but can in it.
    let store = s.home.store();
    let rm = s
        .home
        .run(Path::new("rm"), &["-rf", store.to_str().expect("UTF-8")]);
    assert!(!rm.status.success(), "rm outside the namespace");
    let rm = s
        .home
        .strata(&["unshare", "sh", "-c", "rm -rf \"$STRATA_ROOT\""]);
    assert!(rm.status.success(), "{}", stderr(&rm));
    assert!(!store.exists(), "strata unshare removed the store");
}

#[test]
fn a_rootless_build_imports_a_cache_root_exported_with_its_owners() {
    if !is_root() {
        eprintln!("skipped: needs root to create the test user");
        return;
    }
    let user = User::with_subids(USER);
    let s = stores(&user);
    let ctx = s.root.path("ctx");
    std::fs::create_dir(&ctx).expect("mkdir ctx");
    std::fs::write(ctx.join("Dockerfile"), OWNERS_DOCKERFILE).expect("Dockerfile");
    std::fs::write(ctx.join("a.txt"), "a\n").expect("a.txt");
    owned_tar(&ctx.join("owned.tar"));
    user.give(&ctx);
    let cache = s.root.path("cache");
    let to = format!("type=local,dest={},mode=max", cache.display());
    s.root
        .build_json(&ctx, &["-t", "case:strata", "--cache-to", &to]);
    let (fs, _) = s.root.unpack("case:strata", "root");
    user.give(&cache);

    // A step after the imported ones sees their files with their owners.
    let last = "RUN stat -c '%n %u:%g' /f /owned/a.txt /t/x > /owners\n";
    std::fs::write(ctx.join("Dockerfile"), format!("{OWNERS_DOCKERFILE}{last}"))
        .expect("Dockerfile");
    user.give(&ctx);
    let from = format!("type=local,src={}", cache.display());
    let ctx_s = ctx.to_str().expect("UTF-8");
    let out = s.home.ok(&[
        "build",
        "--progress",
        "json",
        "-t",
        "case:strata",
        "--cache-from",
        &from,
        ctx_s,
    ]);
    let events = json_lines(out.as_bytes());
    assert_eq!(
        fs_steps_run(&events).len(),
        1,
        "only the new step runs, the others come from the imported cache"
    );
    let layout = s.home.dir.join("out-oci");
    s.home.ok(&[
        "push",
        "case:strata",
        &format!("oci:{}:img", layout.display()),
    ]);
    let (theirs, _) = unpack_layout(&layout, &s.root.path("user-rootfs"));
    let mut theirs = tree::list(&theirs);
    let owners = theirs.remove("/owners").expect("/owners written");
    assert_eq!(
        owners.content,
        "/f 123:456\n/owned/a.txt 1000:1000\n/t/x 7:8\n"
    );
    let d = tree::diff(&theirs, &tree::list(&fs));
    assert!(d.is_empty(), "the imported steps differ:\n{}", d.join("\n"));

    // The store's maintenance runs in the namespace too: it removes files
    // only subordinate ids own.
    s.home.ok(&["rmi", "case:strata"]);
    s.home.ok(&["cache", "prune", "--all"]);
    let snapshots = s.home.store().join("snapshots");
    let left: Vec<_> = std::fs::read_dir(&snapshots)
        .expect("read snapshots")
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.join("fs/f").exists() || p.join("fs/owned").exists())
        .collect();
    assert!(left.is_empty(), "prune left {left:?}");
}

#[test]
fn a_rootless_import_records_owners_as_the_namespace_sees_them() {
    if !is_root() {
        eprintln!("skipped: needs root to create the test user");
        return;
    }
    let user = User::with_subids(USER);
    let (subuid, subgid) = user.subids.expect("subordinate ids");
    let dir = tempfile::tempdir().expect("tempdir");
    let home = user.home(dir.path());
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).expect("mkdir tree");
    let file = |name: &str, uid: u32, gid: u32| {
        let p = tree.join(name);
        std::fs::write(&p, name).expect("write");
        std::os::unix::fs::lchown(&p, Some(uid), Some(gid)).expect("chown");
    };
    file("users", user.uid, user.gid);
    file("subordinate", subuid + 999, subgid + 49);
    file("hosts-root", 0, 0);
    std::os::unix::fs::lchown(&tree, Some(user.uid), Some(user.gid)).expect("chown tree");
    home.ok(&["import", tree.to_str().expect("UTF-8"), "imported"]);
    let layout = home.dir.join("out-oci");
    home.ok(&["push", "imported", &format!("oci:{}:img", layout.display())]);
    let (fs, _) = unpack_layout(&layout, &dir.path().join("rootfs"));
    let files = tree::list(&fs);
    let owner = |p: &str| files.get(p).map(|e| format!("{}:{}", e.uid, e.gid));
    assert_eq!(owner("/users").as_deref(), Some("0:0"));
    assert_eq!(owner("/subordinate").as_deref(), Some("1000:50"));
    assert_eq!(owner("/hosts-root").as_deref(), Some("65534:65534"));
}

#[test]
fn without_subordinate_ids_only_root_owned_files_can_be_built() {
    if !is_root() {
        eprintln!("skipped: needs root to create the test user");
        return;
    }
    let user = User::without_subids(USER_WITHOUT_SUBIDS);
    let s = stores(&user);
    let ctx = s.root.path("ctx");
    std::fs::create_dir(&ctx).expect("mkdir ctx");
    std::fs::write(ctx.join("a.txt"), "a\n").expect("a.txt");
    std::fs::write(
        ctx.join("Dockerfile"),
        "FROM busybox\nCOPY a.txt /a\nWORKDIR /src\nRUN echo hi > /b && rm /etc/group\n",
    )
    .expect("Dockerfile");
    user.give(&ctx);
    let flags = vec!["-t".to_string(), "case:strata".to_string()];
    let (by_root, by_user) = build_both(&s, &ctx, &flags);
    assert_same_image("root-owned files only", &by_root, &by_user);

    let out = s
        .home
        .strata(&["build", "-q", "-t", "again", ctx.to_str().expect("UTF-8")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("warning: rootless without subordinate ids")
            && stderr(&out).contains("maps only root"),
        "the build says what it cannot do: {}",
        stderr(&out)
    );

    // Another owner has no id to map to: the build stops, naming the file
    // and the owner, instead of storing a different owner.
    std::fs::write(
        ctx.join("Dockerfile"),
        "FROM busybox\nCOPY --chown=1000:1000 a.txt /a\n",
    )
    .expect("Dockerfile");
    let out = s
        .home
        .strata(&["build", "-t", "chowned", ctx.to_str().expect("UTF-8")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let unwrapped = |out: &std::process::Output| stderr(out).replace(['\n', '│', ' '], "");
    assert!(
        unwrapped(&out).contains("/a:cannotgiveitowner1000:1000"),
        "{}",
        stderr(&out)
    );

    // The same for the entries of an ADDed tar...
    owned_tar(&ctx.join("owned.tar"));
    std::fs::write(ctx.join("Dockerfile"), "FROM busybox\nADD owned.tar /t/\n")
        .expect("Dockerfile");
    user.give(&ctx);
    let out = s
        .home
        .strata(&["build", "-t", "added", ctx.to_str().expect("UTF-8")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        unwrapped(&out).contains("/t/x:cannotgiveitowner7:8"),
        "{}",
        stderr(&out)
    );

    // ...and for a base image's layers.
    std::fs::write(
        ctx.join("Dockerfile"),
        "FROM busybox\nCOPY --chown=0:42 a.txt /etc/gshadow\n",
    )
    .expect("Dockerfile");
    s.root.build_json(&ctx, &["-t", "shadowed"]);
    let layout = s.root.path("shadowed-oci");
    ok(s.root
        .strata()
        .args(["push", "shadowed"])
        .arg(format!("oci:{}:img", layout.display())));
    user.give(&layout);
    let out = s
        .home
        .strata(&["pull", &format!("oci:{}:img", layout.display())]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        unwrapped(&out).contains("/etc/gshadow:cannotgiveitowner0:42"),
        "{}",
        stderr(&out)
    );
}
