//! `build --source-modes=normalize`: the modes of files and directories
//! copied from the build context lose their group and other write bits
//! (`& !0o022`), in the cache key and in the image alike, so one checkout
//! made under umask 0002 and another under 0022 give the same layer and
//! share the cache (moby/buildkit#4374).
//!
//! The image gets the normalized modes too, not only the key: a key that
//! ignored bits the layer keeps would hand a cache hit files whose modes
//! the build that reads it never had (the objection raised in that issue).
//! Git itself records only 0644 or 0755, so nothing a repository says is
//! lost.

use super::{Item, ItemKind};

/// How the modes of context sources enter a COPY/ADD.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SourceModes {
    /// As the checkout has them (BuildKit's behaviour).
    #[default]
    Keep,
    /// Without the group and other write bits.
    Normalize,
}

impl std::str::FromStr for SourceModes {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "keep" => Ok(Self::Keep),
            "normalize" => Ok(Self::Normalize),
            other => Err(format!(
                "--source-modes must be keep or normalize, not {other:?}"
            )),
        }
    }
}

/// The write bits a umask of 0022 clears and one of 0002 keeps, and the
/// group's that 0002 and 0022 agree on.
const UMASK_BITS: u32 = 0o022;

/// Normalizes the modes of `items` (planned from the build context with no
/// `--chmod`: an explicit chmod decides on its own). Symlinks have no mode
/// of their own; an archive's entries keep theirs, as ADD unpacks them.
pub fn normalize(items: &mut [Item]) {
    for item in items {
        if matches!(item.kind, ItemKind::Dir | ItemKind::File { .. }) {
            item.mode &= !UMASK_BITS;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::copy::Owner;
    use filetime::FileTime;

    fn item(kind: ItemKind, mode: u32) -> Item {
        Item {
            dest: "x".into(),
            kind,
            mode,
            owner: Owner::default(),
            mtime: FileTime::zero(),
            merge: false,
        }
    }

    #[test]
    fn group_and_other_write_bits_go_and_the_rest_stays() {
        let mut items = vec![
            item(ItemKind::Dir, 0o2775),
            item(ItemKind::Symlink { target: "t".into() }, 0o777),
        ];
        normalize(&mut items);
        assert_eq!(items[0].mode, 0o2755, "setgid and the exec bits stay");
        assert_eq!(items[1].mode, 0o777, "a symlink is left alone");
        assert_eq!("normalize".parse(), Ok(SourceModes::Normalize));
        assert!("strip".parse::<SourceModes>().is_err());
    }
}
