//! `-u USER[:GROUP]` / `USER` instruction: names resolve against the image's
//! own /etc/passwd and /etc/group, never the host's.

use crate::{ExecError, User};

/// Resolves `spec` ("name", "uid", "name:group", "uid:gid", "" = root)
/// against the contents of the image's `etc/passwd` and `etc/group` (empty
/// when the image has none). Reading them through the image's layers is the
/// caller's business: the builder's `Accounts` does it.
pub fn resolve_user_in(passwd: &str, group: &str, spec: &str) -> Result<User, ExecError> {
    let (user_part, group_part) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let user_entry = entries(passwd).find(|f| f.first() == Some(&user_part));
    let (uid, primary_gid) = match (user_entry, user_part.parse::<u32>()) {
        (Some(f), _) => (
            field_u32(&f, 2).ok_or_else(|| ExecError::UnknownUser(user_part.to_owned()))?,
            field_u32(&f, 3),
        ),
        (None, Ok(uid)) => {
            // A numeric uid need not exist in passwd; its gid then is its
            // passwd entry's, if any, else 0, as Docker does.
            let by_id = entries(passwd).find(|f| field_u32(f, 2) == Some(uid));
            (uid, by_id.and_then(|f| field_u32(&f, 3)))
        }
        // BuildKit takes "root" as uid 0 even when no passwd names it.
        (None, Err(_)) if user_part.is_empty() || user_part == "root" => (0, Some(0)),
        (None, Err(_)) => return Err(ExecError::UnknownUser(user_part.to_owned())),
    };
    let name = user_entry_name(passwd, user_part, uid);
    let gid = match group_part {
        Some(g) => resolve_group(group, g)?,
        None => primary_gid.unwrap_or(0),
    };
    // Supplementary groups only come with a user name and no explicit group:
    // every group /etc/group lists the user in, the primary one too when it
    // is listed (runc's GetExecUser).
    let additional_gids = match (&name, group_part) {
        (Some(name), None) => entries(group)
            .filter(|f| {
                f.get(3)
                    .is_some_and(|members| members.split(',').any(|m| m == name))
            })
            .filter_map(|f| field_u32(&f, 2))
            .collect(),
        _ => Vec::new(),
    };
    Ok(User {
        uid,
        gid,
        additional_gids,
    })
}

/// The user `docker run -u SPEC` runs as (moby daemon/oci_linux.go
/// getUser): the primary gid first among the supplementary groups (moby
/// adds it since CVE-2022-36109), then those of [`resolve_user_in`].
pub fn resolve_run_user_in(passwd: &str, group: &str, spec: &str) -> Result<User, ExecError> {
    let mut user = resolve_user_in(passwd, group, spec)?;
    user.additional_gids.insert(0, user.gid);
    Ok(user)
}

/// The user a build's RUN runs as, as BuildKit's executor/oci/user.go
/// GetUser gives it: "" is root and "uid:gid" (numbers or `root`) are taken
/// as they are, with no supplementary groups and no lookup; any other form
/// is looked up as [`resolve_user_in`] does (runc's GetExecUser), so only a
/// user without an explicit group gets the groups /etc/group lists it in.
/// Unlike docker run, the primary gid is not added to them.
pub fn resolve_build_user_in(passwd: &str, group: &str, spec: &str) -> Result<User, ExecError> {
    if spec.is_empty() {
        return Ok(User::default());
    }
    let numeric = |s: &str| {
        if s == "root" {
            Some(0)
        } else {
            s.parse::<u32>().ok()
        }
    };
    if let Some((u, g)) = spec.split_once(':')
        && let (Some(uid), Some(gid)) = (numeric(u), numeric(g))
    {
        return Ok(User {
            uid,
            gid,
            additional_gids: Vec::new(),
        });
    }
    resolve_user_in(passwd, group, spec)
}

fn resolve_group(group: &str, spec: &str) -> Result<u32, ExecError> {
    if let Some(f) = entries(group).find(|f| f.first() == Some(&spec)) {
        return field_u32(&f, 2).ok_or_else(|| ExecError::UnknownGroup(spec.to_owned()));
    }
    if spec == "root" {
        return Ok(0);
    }
    spec.parse()
        .map_err(|_| ExecError::UnknownGroup(spec.to_owned()))
}

fn user_entry_name(passwd: &str, user_part: &str, uid: u32) -> Option<String> {
    entries(passwd)
        .find(|f| f.first() == Some(&user_part) || field_u32(f, 2) == Some(uid))
        .and_then(|f| f.first().map(|s| (*s).to_owned()))
}

fn entries(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split(':').collect())
}

fn field_u32(fields: &[&str], i: usize) -> Option<u32> {
    fields.get(i).and_then(|s| s.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\napp:x:1000:1000::/home/app:/bin/sh\n";
    const GROUP: &str = "root:x:0:\nnogroup:x:65534:\napp:x:1000:\nwheel:x:10:app,other\n";

    #[test]
    fn a_name_takes_its_uid_primary_gid_and_member_groups() {
        let user = resolve_user_in(PASSWD, GROUP, "app").unwrap();
        assert_eq!(
            user,
            User {
                uid: 1000,
                gid: 1000,
                additional_gids: vec![10]
            }
        );
    }

    #[test]
    fn an_explicit_group_replaces_the_primary_one_and_drops_the_rest() {
        let user = resolve_user_in(PASSWD, GROUP, "app:nogroup").unwrap();
        assert_eq!(
            user,
            User {
                uid: 1000,
                gid: 65534,
                additional_gids: vec![]
            }
        );
        let user = resolve_user_in(PASSWD, GROUP, "1000:42").unwrap();
        assert_eq!((user.uid, user.gid), (1000, 42));
    }

    #[test]
    fn a_numeric_uid_need_not_exist() {
        let user = resolve_user_in(PASSWD, GROUP, "4242").unwrap();
        assert_eq!((user.uid, user.gid), (4242, 0));
    }

    #[test]
    fn a_build_user_gets_groups_only_for_a_name_without_a_group_as_in_buildkit() {
        let build = |spec| resolve_build_user_in(PASSWD, GROUP, spec).unwrap();
        assert_eq!(build("app").additional_gids, vec![10]);
        assert_eq!((build("app").uid, build("app").gid), (1000, 1000));
        assert_eq!(build("1000:42").additional_gids, Vec::<u32>::new());
        assert_eq!(build("app:wheel").additional_gids, Vec::<u32>::new());
        assert_eq!(build("app:wheel").gid, 10);
        assert_eq!(build(""), User::default());
        let root = build("root:root");
        assert_eq!((root.uid, root.gid), (0, 0));
    }

    #[test]
    fn a_run_user_has_its_primary_gid_first_among_its_groups_as_in_docker_run() {
        let run = |spec| resolve_run_user_in(PASSWD, GROUP, spec).unwrap();
        assert_eq!(run("app").additional_gids, vec![1000, 10]);
        assert_eq!(run("1000").additional_gids, vec![1000, 10]);
        assert_eq!(run("app:wheel").additional_gids, vec![10]);
        assert_eq!(run("1000:42").additional_gids, vec![42]);
    }

    #[test]
    fn a_user_listed_in_its_primary_group_keeps_it_among_its_groups() {
        let group = "staff:x:50:web\n";
        let passwd = "web:x:1001:50::/:/bin/sh\n";
        let user = resolve_user_in(passwd, group, "web").unwrap();
        assert_eq!((user.gid, user.additional_gids), (50, vec![50]));
        let user = resolve_build_user_in(passwd, group, "web").unwrap();
        assert_eq!(user.additional_gids, vec![50]);
    }

    #[test]
    fn unknown_names_are_errors() {
        assert!(
            matches!(resolve_user_in(PASSWD, GROUP, "ghost"), Err(ExecError::UnknownUser(n)) if n == "ghost")
        );
        assert!(
            matches!(resolve_user_in(PASSWD, GROUP, "app:ghosts"), Err(ExecError::UnknownGroup(n)) if n == "ghosts")
        );
    }
}
