//! The image's own accounts: /etc/passwd and /etc/group read the way a
//! process in the image would see them, through the layer stack (a whiteout
//! or an opaque directory hides what is below it) and following symlinks
//! inside the image, never the host's. A file that is missing or hidden,
//! or an /etc that is gone or not a directory, means "no names", as in
//! docker build: numeric ids still work, names do not resolve.
//!
//! Every lookup of a user or group the builder and `strata run` make goes
//! through here: USER for RUN, WORKDIR's owner, `--chown`, HOME.

use strata_executor::{ExecError, User};

use crate::layer_stack::LayerStack;
use crate::layered::LayeredFs;
use crate::tree::{Tree, resolve};

#[derive(Debug, Clone, Default)]
pub struct Accounts {
    passwd: String,
    group: String,
}

/// One passwd entry's ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswdIds {
    pub uid: u32,
    /// The primary group; `None` when the entry's field is not a number.
    pub gid: Option<u32>,
}

impl Accounts {
    pub fn of(image: &dyn Tree) -> Self {
        Self {
            passwd: read_text(image, "etc/passwd").unwrap_or_default(),
            group: read_text(image, "etc/group").unwrap_or_default(),
        }
    }

    /// Snapshot dirs lowest first, as the executor takes them.
    pub fn of_layers(lowest_first: &[std::path::PathBuf]) -> Self {
        Self::of(&LayeredFs::new(LayerStack::lowest_first(
            lowest_first.to_vec(),
        )))
    }

    /// `strata run`'s `-u` or image USER: "name", "uid", "name:group",
    /// "uid:gid", "" (root), with docker run's groups.
    pub fn user(&self, spec: &str) -> Result<User, ExecError> {
        strata_executor::resolve_run_user_in(&self.passwd, &self.group, spec)
    }

    /// `USER` for a build's RUN, as BuildKit resolves it (no lookup and no
    /// supplementary groups for "uid:gid").
    pub fn build_user(&self, spec: &str) -> Result<User, ExecError> {
        strata_executor::resolve_build_user_in(&self.passwd, &self.group, spec)
    }

    /// The passwd entry named `name`.
    pub fn user_named(&self, name: &str) -> Option<PasswdIds> {
        entries(&self.passwd)
            .find(|f| f.first() == Some(&name))
            .and_then(|f| {
                Some(PasswdIds {
                    uid: field_u32(&f, 2)?,
                    gid: field_u32(&f, 3),
                })
            })
    }

    /// The gid of the group named `name`.
    pub fn group_named(&self, name: &str) -> Option<u32> {
        entries(&self.group)
            .find(|f| f.first() == Some(&name))
            .and_then(|f| field_u32(&f, 2))
    }

    /// The home directory of the first passwd entry with `uid`.
    pub fn home(&self, uid: u32) -> Option<String> {
        entries(&self.passwd)
            .find(|f| field_u32(f, 2) == Some(uid))
            .and_then(|f| f.get(5).map(|h| (*h).to_owned()))
    }
}

fn entries(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split(':').collect())
}

fn field_u32(fields: &[&str], i: usize) -> Option<u32> {
    fields.get(i).and_then(|s| s.trim().parse().ok())
}

/// A small text file of the image, following symlinks inside it; `None`
/// when it is absent, hidden or not a regular file.
pub fn read_text(image: &dyn Tree, file: &str) -> Option<String> {
    let path = resolve(image, file, true).ok()?;
    let node = image.lstat(&path)?;
    node.meta
        .is_file()
        .then(|| std::fs::read(&node.host).ok())?
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::path::Path;

    fn whiteout(path: &Path) {
        rustix::fs::mknodat(
            rustix::fs::CWD,
            path,
            rustix::fs::FileType::CharacterDevice,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
    }

    fn base(dir: &Path) {
        fs::create_dir_all(dir.join("etc")).unwrap();
        fs::write(
            dir.join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n",
        )
        .unwrap();
        fs::write(dir.join("etc/group"), "root:x:0:\nstaff:x:50:app\n").unwrap();
    }

    #[test]
    fn names_come_from_the_topmost_visible_files() {
        let t = tempfile::tempdir().unwrap();
        let (low, top) = (t.path().join("low"), t.path().join("top"));
        base(&low);
        fs::create_dir_all(top.join("etc")).unwrap();
        fs::write(top.join("etc/passwd"), "app:x:7:8::/w:/bin/sh\n").unwrap();
        let a = Accounts::of_layers(&[low, top]);
        assert_eq!(
            a.user_named("app"),
            Some(PasswdIds {
                uid: 7,
                gid: Some(8)
            })
        );
        assert_eq!(a.group_named("staff"), Some(50));
        assert_eq!(a.home(7).as_deref(), Some("/w"));
    }

    #[test]
    fn a_whited_out_file_has_no_names() {
        let t = tempfile::tempdir().unwrap();
        let (low, top) = (t.path().join("low"), t.path().join("top"));
        base(&low);
        fs::create_dir_all(top.join("etc")).unwrap();
        whiteout(&top.join("etc/group"));
        let a = Accounts::of_layers(&[low, top]);
        assert_eq!(a.group_named("staff"), None);
        assert_eq!(a.user("app").unwrap().gid, 1001);
    }

    #[test]
    fn a_whited_out_or_replaced_etc_has_no_names() {
        let t = tempfile::tempdir().unwrap();
        let (low, top) = (t.path().join("low"), t.path().join("top"));
        base(&low);
        fs::create_dir_all(&top).unwrap();
        whiteout(&top.join("etc"));
        let a = Accounts::of_layers(&[low.clone(), top.clone()]);
        assert_eq!(a.user_named("app"), None);
        assert_eq!(a.user("").unwrap().uid, 0);
        assert_eq!(a.user("4242").unwrap().uid, 4242);

        fs::remove_file(top.join("etc")).unwrap();
        fs::write(top.join("etc"), "a file now").unwrap();
        let a = Accounts::of_layers(&[low, top]);
        assert_eq!(a.user_named("app"), None);
    }

    #[test]
    fn an_opaque_etc_hides_the_files_below() {
        let t = tempfile::tempdir().unwrap();
        let (low, top) = (t.path().join("low"), t.path().join("top"));
        base(&low);
        fs::create_dir_all(top.join("etc")).unwrap();
        let marked = ["user.overlay.opaque", "trusted.overlay.opaque"]
            .iter()
            .any(|name| {
                rustix::fs::setxattr(
                    top.join("etc"),
                    *name,
                    b"y",
                    rustix::fs::XattrFlags::empty(),
                )
                .is_ok()
            });
        assert!(marked, "the temp dir takes neither opaque xattr");
        let a = Accounts::of_layers(&[low, top]);
        assert_eq!(a.user_named("app"), None);
    }
}
