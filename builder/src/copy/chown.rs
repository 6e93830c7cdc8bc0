//! `--chown=USER[:GROUP]`: numeric ids or names looked up in the image's
//! own /etc/passwd and /etc/group (never the host's).

use crate::accounts::Accounts;
use crate::tree::Tree;

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
        if user.is_empty() {
            return Err(ChownError::Empty(s.to_string()));
        }
        Ok(Self {
            user: Id::parse(user),
            // `usr:` names an empty group, which BuildKit's LLB sends as
            // gid 0 (client/llb/fileop.go, UserOpt.marshal: no name, so
            // by id, and the id is 0). buildah gives the user's own group
            // instead; docker build is the reference.
            group: group.map(|g| {
                if g.is_empty() {
                    Id::Num(0)
                } else {
                    Id::parse(g)
                }
            }),
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
    /// Resolves names against the image, as BuildKit does: a user name
    /// brings its passwd entry's group, a bare number is its own group,
    /// and `root` is 0 whatever the image's files say.
    pub fn resolve(&self, image: &dyn Tree) -> Result<Owner, ChownError> {
        let accounts = Accounts::of(image);
        let (uid, primary) = match &self.user {
            Id::Num(n) => (*n, *n),
            Id::Name(name) if name == "root" => (0, 0),
            Id::Name(name) => {
                let ids = accounts
                    .user_named(name)
                    .ok_or_else(|| ChownError::UnknownUser(name.clone()))?;
                (ids.uid, ids.gid.unwrap_or(ids.uid))
            }
        };
        let gid = match &self.group {
            None => primary,
            Some(Id::Num(n)) => *n,
            Some(Id::Name(name)) if name == "root" => 0,
            Some(Id::Name(name)) => accounts
                .group_named(name)
                .ok_or_else(|| ChownError::UnknownGroup(name.clone()))?,
        };
        Ok(Owner { uid, gid })
    }
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
    fn a_number_alone_is_its_own_group_a_name_brings_its_passwd_group() {
        assert_eq!(resolve("33"), Ok(Owner { uid: 33, gid: 33 }));
        assert_eq!(
            resolve("app"),
            Ok(Owner {
                uid: 1000,
                gid: 1001
            })
        );
    }

    #[test]
    fn an_empty_group_is_gid_0_as_buildkit_sends_it() {
        assert_eq!(resolve("app:"), Ok(Owner { uid: 1000, gid: 0 }));
        assert_eq!(resolve("33:"), Ok(Owner { uid: 33, gid: 0 }));
    }

    #[test]
    fn root_is_zero_even_without_a_passwd() {
        let t = tempfile::tempdir().unwrap();
        let empty = Dir::new(t.path());
        let chown: Chown = "root:root".parse().unwrap();
        assert_eq!(chown.resolve(&empty), Ok(Owner { uid: 0, gid: 0 }));
        let chown: Chown = "app".parse().unwrap();
        assert_eq!(
            chown.resolve(&empty),
            Err(ChownError::UnknownUser("app".into()))
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
