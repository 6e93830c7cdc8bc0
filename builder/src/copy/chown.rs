//! `--chown=USER[:GROUP]`: numeric ids or names looked up in the image's
//! own /etc/passwd and /etc/group (never the host's).

use crate::tree::{Tree, resolve};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChownError {
    #[error("--chown: empty user in {0:?}")]
    Empty(String),
    #[error("--chown: no user {0:?} in the image's /etc/passwd")]
    UnknownUser(String),
    #[error("--chown: no group {0:?} in the image's /etc/group")]
    UnknownGroup(String),
}

/// One side of `USER:GROUP`: a number or a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Id {
    Num(u32),
    Name(String),
}

impl Id {
    fn parse(s: &str) -> Self {
        s.parse()
            .map(Id::Num)
            .unwrap_or_else(|_| Id::Name(s.to_string()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chown {
    pub user: Id,
    pub group: Option<Id>,
}

impl std::str::FromStr for Chown {
    type Err = ChownError;
    fn from_str(s: &str) -> Result<Self, ChownError> {
        let (user, group) = match s.split_once(':') {
            Some((u, g)) => (u, Some(g)),
            None => (s, None),
        };
        if user.is_empty() || group == Some("") {
            return Err(ChownError::Empty(s.to_string()));
        }
        Ok(Self {
            user: Id::parse(user),
            group: group.map(Id::parse),
        })
    }
}

/// Numeric owner of copied files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Owner {
    pub uid: u32,
    pub gid: u32,
}

impl Chown {
    /// Resolves names against the image. Docker's rule: a user without a
    /// group gets the same numeric id as group.
    pub fn resolve(&self, image: &dyn Tree) -> Result<Owner, ChownError> {
        let uid = match &self.user {
            Id::Num(n) => *n,
            Id::Name(name) => lookup(image, "etc/passwd", name)
                .ok_or_else(|| ChownError::UnknownUser(name.clone()))?,
        };
        let gid = match &self.group {
            None => uid,
            Some(Id::Num(n)) => *n,
            Some(Id::Name(name)) => lookup(image, "etc/group", name)
                .ok_or_else(|| ChownError::UnknownGroup(name.clone()))?,
        };
        Ok(Owner { uid, gid })
    }
}

/// The id (third field) of `name` in a passwd/group style file.
pub fn lookup(image: &dyn Tree, file: &str, name: &str) -> Option<u32> {
    let text = read_text(image, file)?;
    text.lines().find_map(|line| {
        let mut fields = line.split(':');
        (fields.next()? == name).then_some(())?;
        fields.nth(1)?.trim().parse().ok()
    })
}

/// A small text file of the image, following symlinks inside it.
pub fn read_text(image: &dyn Tree, file: &str) -> Option<String> {
    let path = resolve(image, file, true).ok()?;
    let node = image.lstat(&path)?;
    node.meta
        .is_file()
        .then(|| std::fs::read_to_string(&node.host).ok())?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::testing::Dir;

    fn image() -> (tempfile::TempDir, Dir) {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("etc")).unwrap();
        std::fs::write(
            t.path().join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n",
        )
        .unwrap();
        std::fs::write(t.path().join("etc/group"), "root:x:0:\nstaff:x:50:\n").unwrap();
        let dir = Dir::new(t.path());
        (t, dir)
    }

    fn resolve(spec: &str) -> Result<Owner, ChownError> {
        let (_t, img) = image();
        spec.parse::<Chown>()?.resolve(&img)
    }

    #[test]
    fn numbers_and_names() {
        assert_eq!(resolve("10:20"), Ok(Owner { uid: 10, gid: 20 }));
        assert_eq!(resolve("app:staff"), Ok(Owner { uid: 1000, gid: 50 }));
        assert_eq!(resolve("app:7"), Ok(Owner { uid: 1000, gid: 7 }));
    }

    #[test]
    fn user_alone_uses_the_same_number_as_group() {
        assert_eq!(resolve("33"), Ok(Owner { uid: 33, gid: 33 }));
        assert_eq!(
            resolve("app"),
            Ok(Owner {
                uid: 1000,
                gid: 1000
            })
        );
    }

    #[test]
    fn unknown_names_are_errors() {
        assert_eq!(
            resolve("ghost"),
            Err(ChownError::UnknownUser("ghost".into()))
        );
        assert_eq!(
            resolve("app:ghosts"),
            Err(ChownError::UnknownGroup("ghosts".into()))
        );
        assert!(resolve(":1").is_err());
    }
}
