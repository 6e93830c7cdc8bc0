//! COPY from the build context as docker build (BuildKit) does it: what a
//! copy is named, which hardlinks it keeps, where `--parents` starts, the
//! modes of the directories it creates, and which directories a layer marks
//! opaque.

mod support;

use std::fs;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde_json::Value;
use support::cli::ok;
use support::env::Env;

/// One entry of a layer tar.
#[derive(Debug, Clone)]
struct TarEntry {
    path: String,
    kind: tar::EntryType,
    link: String,
}

/// The entries of every layer of `image`, bottom first.
fn layers(env: &Env, image: &str) -> Vec<Vec<TarEntry>> {
    let layout = env.path(&format!("layers-{}", image.replace(':', "-")));
    ok(env
        .strata()
        .args(["push", "--compression", "none", image])
        .arg(format!("oci:{}:img", layout.display())));
    let read = |p: &Path| -> Value {
        serde_json::from_slice(&fs::read(p).expect("read layout file")).expect("json")
    };
    let blob = |d: &str| layout.join("blobs/sha256").join(&d["sha256:".len()..]);
    let index = read(&layout.join("index.json"));
    let manifest = read(&blob(
        index["manifests"][0]["digest"].as_str().expect("digest"),
    ));
    manifest["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| {
            let bytes = fs::read(blob(l["digest"].as_str().expect("digest"))).expect("blob");
            let raw = if bytes.starts_with(&[0x1f, 0x8b]) {
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(&bytes[..])
                    .read_to_end(&mut out)
                    .expect("gunzip");
                out
            } else {
                bytes
            };
            let mut ar = tar::Archive::new(&raw[..]);
            ar.entries()
                .expect("tar")
                .map(|e| {
                    let e = e.expect("tar entry");
                    TarEntry {
                        path: e.path().expect("path").to_string_lossy().into_owned(),
                        kind: e.header().entry_type(),
                        link: e
                            .link_name()
                            .expect("link")
                            .map(|l| l.to_string_lossy().into_owned())
                            .unwrap_or_default(),
                    }
                })
                .collect()
        })
        .collect()
}

/// Builds `context` as `tag`; returns the image's root filesystem.
fn build(env: &Env, context: &Path, tag: &str) -> PathBuf {
    ok(env.strata().args(["build", "-q", "-t", tag]).arg(context));
    let (rootfs, _) = env.unpack(tag, &tag.replace(':', "-"));
    rootfs
}

/// The inode of an entry of the root filesystem.
fn inode(rootfs: &Path, path: &str) -> u64 {
    fs::symlink_metadata(rootfs.join(path))
        .unwrap_or_else(|e| panic!("/{path}: {e}"))
        .ino()
}

/// In one layer: `first` is a regular file and each of `links` a hard
/// link entry naming it.
fn assert_linked(layer: &[TarEntry], first: &str, links: &[&str]) {
    let entry = |p: &str| {
        layer
            .iter()
            .find(|e| e.path == p)
            .unwrap_or_else(|| panic!("{p} not in the layer: {:?}", paths(layer)))
    };
    assert_eq!(entry(first).kind, tar::EntryType::Regular, "{first}");
    for l in links {
        let e = entry(l);
        assert_eq!(
            (e.kind, e.link.as_str()),
            (tar::EntryType::Link, first),
            "{l} is a hard link to {first}"
        );
    }
}

fn paths(layer: &[TarEntry]) -> Vec<&str> {
    layer.iter().map(|e| e.path.as_str()).collect()
}

fn context(env: &Env, name: &str, dockerfile: &str) -> PathBuf {
    let dir = env.path(name);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("Dockerfile"), dockerfile).unwrap();
    dir
}

/// BuildKit follows a source symlink named on the COPY line (or matched by
/// a wildcard there) and names the copy after the source: fsutil's
/// `copy.Copy` joins the destination with `filepath.Base(src)`, not with
/// the target's name. buildah builds the same case alike.
#[test]
fn a_followed_source_symlink_is_copied_under_its_own_name() {
    support::case::run_case("copy_symlink_source");
}

/// The directory a directory source's contents land in is created by the
/// copy, so it is 0755 (fsutil's `prepareTargetDir` makes it with
/// `defaultDirectoryMode`), whatever the source directory's mode (0775 in
/// a checkout made with umask 002); an existing one keeps its mode, and
/// every directory copied from inside the source keeps the source's.
#[test]
fn directories_the_copy_creates_are_0755_and_copied_ones_keep_their_mode() {
    let env = Env::new();
    let ctx = context(
        &env,
        "dir-modes",
        "FROM busybox\n\
         COPY src /made\n\
         COPY src/ /made-slash/\n\
         COPY src /deep/er/\n\
         COPY src /tmp/\n\
         COPY . /app\n",
    );
    fs::create_dir_all(ctx.join("src/private")).unwrap();
    fs::write(ctx.join("src/private/f"), "f").unwrap();
    fs::write(ctx.join("src/top"), "t").unwrap();
    for (dir, mode) in [(".", 0o775), ("src", 0o775), ("src/private", 0o700)] {
        fs::set_permissions(ctx.join(dir), fs::Permissions::from_mode(mode)).unwrap();
    }
    let rootfs = build(&env, &ctx, "dir-modes:1");
    let mode = |p: &str| {
        fs::symlink_metadata(rootfs.join(p))
            .unwrap_or_else(|e| panic!("/{p}: {e}"))
            .mode()
            & 0o7777
    };
    for created in ["made", "made-slash", "deep", "deep/er", "app"] {
        assert_eq!(mode(created), 0o755, "/{created} is made by the copy");
    }
    assert_eq!(
        mode("tmp"),
        0o1777,
        "an existing destination keeps its mode"
    );
    for copied in [
        "made/private",
        "deep/er/private",
        "tmp/private",
        "app/src/private",
    ] {
        assert_eq!(mode(copied), 0o700, "/{copied} is copied from the source");
    }
    assert_eq!(mode("app/src"), 0o775, "/app/src is copied from the source");
}

/// BuildKit's copy keeps a group of hardlinked files hardlinked (fsutil's
/// copier remembers each inode it copied and links later names to it), so
/// the layer holds the content once and hard link entries for the other
/// names. It does so per source: two sources that are links of each other
/// are two files. A wildcard's matches share one copier in current fsutil
/// (`copy.Copy` makes the copier before looping over the matches), so
/// they stay linked; BuildKit 0.8 (docker 20.10) copied them apart. The
/// rest was checked against docker 20.10, `COPY --from` a stage included.
/// The same holds for `--parents`.
#[test]
fn hardlinked_files_stay_hardlinked_within_each_source() {
    let env = Env::new();
    let ctx = context(
        &env,
        "hardlinks",
        "FROM busybox AS stage\n\
         RUN mkdir /h && echo x > /h/a && ln /h/a /h/b\n\
         FROM busybox\n\
         COPY tree /t/\n\
         COPY --parents tree/./ /p/\n\
         COPY tree/a tree/c /two-sources/\n\
         COPY tree/[ac] /glob/\n\
         COPY --from=stage /h /from-stage/\n",
    );
    fs::create_dir_all(ctx.join("tree/sub")).unwrap();
    fs::write(ctx.join("tree/a"), "shared content\n").unwrap();
    fs::hard_link(ctx.join("tree/a"), ctx.join("tree/c")).unwrap();
    fs::hard_link(ctx.join("tree/a"), ctx.join("tree/sub/b")).unwrap();
    fs::write(ctx.join("tree/solo"), "alone\n").unwrap();
    let rootfs = build(&env, &ctx, "hardlinks:1");
    let layers = layers(&env, "hardlinks:1");
    let copies = &layers[layers.len() - 5..];

    assert_linked(&copies[0], "t/a", &["t/c", "t/sub/b"]);
    assert_linked(&copies[4], "from-stage/a", &["from-stage/b"]);
    assert_eq!(inode(&rootfs, "t/a"), inode(&rootfs, "t/sub/b"));
    assert_ne!(inode(&rootfs, "t/a"), inode(&rootfs, "t/solo"));
    assert_linked(&copies[1], "p/a", &["p/c", "p/sub/b"]);
    assert_linked(&copies[3], "glob/a", &["glob/c"]);

    let two = &copies[2];
    for p in ["two-sources/a", "two-sources/c"] {
        let e = two.iter().find(|e| e.path == p).expect("copied");
        assert_eq!(e.kind, tar::EntryType::Regular, "{p}: a source of its own");
    }
    assert_eq!(
        fs::read_to_string(rootfs.join("two-sources/c")).unwrap(),
        "shared content\n"
    );
}

/// `COPY --parents` drops everything up to a `/./` in a source from the
/// destination path (BuildKit's dockerfile2llb cuts the source at the
/// first `/./`: the part before is the copy's root). The directories it
/// keeps above a match are the source's own, with their modes; only the
/// destination is made 0755.
#[test]
fn parents_start_at_the_pivot_and_keep_the_source_directories() {
    let env = Env::new();
    let ctx = context(
        &env,
        "parents-pivot",
        "FROM busybox\n\
         COPY --parents ./x/./y /p/\n\
         COPY --parents ./x/./ /root-of-x/\n\
         COPY --parents x/y/h1 /full/\n\
         COPY --parents x/link ./x/./l* /links/\n",
    );
    fs::create_dir_all(ctx.join("x/y")).unwrap();
    fs::write(ctx.join("x/y/h1"), "linked\n").unwrap();
    fs::hard_link(ctx.join("x/y/h1"), ctx.join("x/y/h2")).unwrap();
    fs::write(ctx.join("x/other"), "other\n").unwrap();
    std::os::unix::fs::symlink("y/h1", ctx.join("x/link")).unwrap();
    fs::set_permissions(ctx.join("x"), fs::Permissions::from_mode(0o750)).unwrap();
    fs::set_permissions(ctx.join("x/y"), fs::Permissions::from_mode(0o700)).unwrap();
    let rootfs = build(&env, &ctx, "parents-pivot:1");
    let layers = layers(&env, "parents-pivot:1");
    let copies = &layers[layers.len() - 4..];
    let mode = |p: &str| {
        fs::symlink_metadata(rootfs.join(p))
            .unwrap_or_else(|e| panic!("/{p}: {e}"))
            .mode()
            & 0o7777
    };

    assert_eq!(
        fs::read_to_string(rootfs.join("p/y/h1")).unwrap(),
        "linked\n"
    );
    assert!(
        !rootfs.join("p/x").exists(),
        "nothing before the pivot is kept"
    );
    assert_linked(&copies[0], "p/y/h1", &["p/y/h2"]);
    assert_eq!((mode("p"), mode("p/y")), (0o755, 0o700));

    assert_eq!(
        fs::read_to_string(rootfs.join("root-of-x/other")).unwrap(),
        "other\n"
    );
    assert!(
        !rootfs.join("root-of-x/x").exists(),
        "x/./ copies x's contents"
    );
    assert_linked(&copies[1], "root-of-x/y/h1", &["root-of-x/y/h2"]);
    assert_eq!(mode("root-of-x"), 0o755);

    assert_eq!((mode("full/x"), mode("full/x/y")), (0o750, 0o700));
    assert!(!rootfs.join("full/x/y/h2").exists());

    // What a --parents source matches is copied as it is: a symlink stays
    // one (the copy's root is followed, not the match).
    for link in ["links/x/link", "links/link"] {
        let target = fs::read_link(rootfs.join(link)).unwrap_or_else(|e| panic!("/{link}: {e}"));
        assert_eq!(target, Path::new("y/h1"), "/{link}");
    }
}

/// A layer marks a directory opaque (`.wh..wh..opq`) only where the layers
/// below have its path: where a step removed something and made a
/// directory there. New directories, made by RUN or by COPY, carry no
/// marker, though kernels with overlayfs' redirect_dir or index on mark
/// every directory made in a merged one (this one marks only those made
/// over a whiteout). Built with docker 20.10 (BuildKit 0.8) on this kernel,
/// the same steps give markers on exactly /usr/share and /plain; current
/// BuildKit's overlay differ counts an opaque directory only when its path
/// exists below (`checkOpaque`).
#[test]
fn only_directories_made_over_something_below_are_opaque() {
    let env = Env::new();
    let ctx = context(
        &env,
        "opaque",
        "FROM busybox\n\
         RUN mkdir -p /newdir/a/b /usr/share/new/x && echo f > /plain\n\
         COPY tree /copied/tree/\n\
         COPY tree /tmp/more/\n\
         RUN rm -rf /usr/share && mkdir -p /usr/share/sub && echo x > /usr/share/sub/new\n\
         RUN rm /plain && mkdir /plain\n",
    );
    fs::create_dir_all(ctx.join("tree/d/e")).unwrap();
    fs::write(ctx.join("tree/d/e/f"), "f").unwrap();
    let rootfs = build(&env, &ctx, "opaque:1");
    let layers = layers(&env, "opaque:1");
    let steps = &layers[layers.len() - 5..];
    let markers = |layer: &[TarEntry]| -> Vec<String> {
        layer
            .iter()
            .filter(|e| e.path.ends_with(".wh..wh..opq"))
            .map(|e| e.path.clone())
            .collect()
    };
    let want: [&[&str]; 5] = [
        &[],
        &[],
        &[],
        &["usr/share/.wh..wh..opq"],
        &["plain/.wh..wh..opq"],
    ];
    for (i, (step, want)) in steps.iter().zip(want).enumerate() {
        assert_eq!(markers(step), want, "step {}: {:?}", i + 1, paths(step));
    }
    assert!(rootfs.join("plain").is_dir());
    assert!(rootfs.join("usr/share/sub/new").is_file());
    assert!(
        !rootfs.join("usr/share/new").exists(),
        "the old /usr/share is hidden"
    );
}
/// buildah's tests/bud/dockerignore fixture (`*`, `test*`, `!test2*`,
/// `subdir`, `!*/sub1*`), by current BuildKit's rule: fsutil's context
/// walker enters excluded directories when a `!` pattern has a wildcard
/// and matches each path with its parent's results (patternmatcher's
/// `MatchesUsingParentResults`), so subdir/sub1.txt is sent, with subdir,
/// and an excluded directory with nothing re-included inside is not.
/// buildah 1.28 and BuildKit 0.8 never entered subdir (case.json says
/// why the case has no peer).
#[test]
fn dockerignore_reincludes_by_buildkits_walker() {
    support::case::run_case("dockerignore_reinclude_wildcard");
}
