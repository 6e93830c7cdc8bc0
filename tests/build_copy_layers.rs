//! COPY from the build context as docker build (BuildKit) does it: what a
//! copy is named, which hardlinks it keeps, where `--parents` starts, the
//! modes of the directories it creates, and which directories a layer marks
//! opaque.

mod support;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use support::cli::ok;
use support::env::Env;

/// Builds `context` as `tag`; returns the image's root filesystem.
fn build(env: &Env, context: &Path, tag: &str) -> PathBuf {
    ok(env.strata().args(["build", "-q", "-t", tag]).arg(context));
    let (rootfs, _) = env.unpack(tag, &tag.replace(':', "-"));
    rootfs
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
