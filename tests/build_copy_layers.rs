//! COPY from the build context as docker build (BuildKit) does it: what a
//! copy is named, which hardlinks it keeps, where `--parents` starts, the
//! modes of the directories it creates, and which directories a layer marks
//! opaque.

mod support;

/// BuildKit follows a source symlink named on the COPY line (or matched by
/// a wildcard there) and names the copy after the source: fsutil's
/// `copy.Copy` joins the destination with `filepath.Base(src)`, not with
/// the target's name. buildah builds the same case alike.
#[test]
fn a_followed_source_symlink_is_copied_under_its_own_name() {
    support::case::run_case("copy_symlink_source");
}
