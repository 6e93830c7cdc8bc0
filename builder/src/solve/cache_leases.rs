//! The cache directories (`RUN --mount=type=cache`) a step leases, and in
//! which order it takes them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{BuildError, Session};

/// Leases the step's cache mounts (see [`cache_lease_plan`]) before any is
/// used. `seeds` holds, per mount index, the content digest of its `from=`;
/// `fill(i, dir)` copies mount i's `from` into a cache made new. Returns the
/// directory per mount index and the locks to hold until the command is
/// done.
pub(super) fn lease_cache_mounts(
    session: &Session,
    mounts: &[strata_parser::Mount],
    seeds: &HashMap<usize, String>,
    fill: &dyn Fn(usize, &Path) -> Result<(), String>,
) -> Result<(HashMap<usize, PathBuf>, Vec<std::fs::File>), BuildError> {
    let mut dirs = HashMap::new();
    let mut locks = Vec::new();
    for lease in cache_lease_plan(mounts, seeds) {
        let first = lease.mounts[0];
        let fill_this = |dir: &Path| fill(first, dir);
        let seed = lease.request.seed;
        let imported = session.cache_imports.mount(lease.request.id, seed);
        // An import that cannot be unpacked is a warning, as an unreadable
        // --cache-from is: the step gets an empty cache (or a fresh copy of
        // its `from=`) and runs.
        let import_this = |dir: &Path| {
            if let Some(m) = imported
                && let Err(e) = crate::cache::remote::fill_mount(session.store, m, dir)
            {
                empty_dir(dir).map_err(|e| format!("emptying {}: {e}", dir.display()))?;
                session.events.emit(super::Event::Warning {
                    message: format!("cache mount {} from --cache-from not used: {e}", m.id),
                });
                if seed.is_some() {
                    return fill_this(dir);
                }
            }
            Ok(())
        };
        // A new cache takes its first content from a `--cache-from` that
        // carried it (with the same seed), or else from its `from=`.
        let seeded: Option<crate::cache::mounts::Fill> = match (seed, imported) {
            (_, Some(_)) => Some(&import_this),
            (Some(_), None) => Some(&fill_this),
            (None, None) => None,
        };
        let taken = crate::cache::mounts::acquire_seeded(session.store, &lease.request, seeded)?;
        for i in lease.mounts {
            dirs.insert(i, taken.dir.clone());
        }
        locks.push(taken.lock);
    }
    Ok((dirs, locks))
}

/// Removes what a failed fill left in `dir`, keeping `dir` (its mode and
/// owner are the mount's).
fn empty_dir(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() && !path.is_symlink() {
            std::fs::remove_dir_all(&path)?;
        } else {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

/// A cache a RUN named, for `--cache-to ...,cache-mounts=true`: its stage,
/// id, and for a cache with `from=` the content digest of its seed.
pub(crate) type NotedMount = (usize, String, Option<String>);

/// Remembers the caches that a RUN of `stage` names, hit or not; `seeds`
/// holds, per mount index, the content digest of its `from=`.
pub(super) fn note_cache_mounts(
    session: &Session,
    stage: usize,
    mounts: &[strata_parser::Mount],
    seeds: &HashMap<usize, String>,
) {
    let mut noted = session
        .cache_mount_ids
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    for (i, m) in mounts.iter().enumerate() {
        if let strata_parser::Mount::Cache { id, target, .. } = m {
            let id = id.as_deref().unwrap_or(target.as_str()).to_string();
            noted.push((stage, id, seeds.get(&i).cloned()));
        }
    }
}

/// One cache directory to lease, and the mounts (by index) it serves.
#[derive(Debug)]
struct CacheLease<'a> {
    request: crate::cache::mounts::MountRequest<'a>,
    mounts: Vec<usize>,
}

/// The order in which a step takes its cache mounts: by id, so two builds
/// that need the same `locked` caches take them in the same order and
/// neither can hold one the other waits for. A cache named twice in one step
/// is leased once, with the stricter sharing: a second flock of the same
/// file from this process would wait for itself. `private` mounts each get
/// their own instance.
fn cache_lease_plan<'a>(
    mounts: &'a [strata_parser::Mount],
    seeds: &'a HashMap<usize, String>,
) -> Vec<CacheLease<'a>> {
    use crate::cache::mounts::MountRequest;
    use strata_parser::Sharing;
    let mut wanted: Vec<(usize, MountRequest)> = mounts
        .iter()
        .enumerate()
        .filter_map(|(i, m)| match m {
            strata_parser::Mount::Cache {
                id,
                target,
                sharing,
                mode,
                uid,
                gid,
                ..
            } => Some((
                i,
                MountRequest {
                    id: id.as_deref().unwrap_or(target.as_str()),
                    sharing: *sharing,
                    mode: *mode,
                    uid: *uid,
                    gid: *gid,
                    seed: seeds.get(&i).map(String::as_str),
                },
            )),
            _ => None,
        })
        .collect();
    wanted.sort_by(|a, b| (a.1.id, a.1.seed, a.0).cmp(&(b.1.id, b.1.seed, b.0)));
    let mut plan: Vec<CacheLease> = Vec::new();
    for (i, req) in wanted {
        let same = plan.iter_mut().find(|l| {
            l.request.id == req.id
                && l.request.seed == req.seed
                && l.request.sharing != Sharing::Private
                && req.sharing != Sharing::Private
        });
        match same {
            Some(lease) => {
                if req.sharing == Sharing::Locked {
                    lease.request.sharing = Sharing::Locked;
                }
                lease.mounts.push(i);
            }
            None => plan.push(CacheLease {
                request: req,
                mounts: vec![i],
            }),
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_parser::{Mount, Sharing};

    fn cache(id: &str, sharing: Sharing) -> Mount {
        Mount::Cache {
            id: Some(id.to_string()),
            target: format!("/{id}"),
            sharing,
            mode: None,
            uid: None,
            gid: None,
            ro: false,
            from: None,
            source: None,
        }
    }

    fn ids(plan: &[CacheLease]) -> Vec<(String, Sharing, Vec<usize>)> {
        plan.iter()
            .map(|l| {
                (
                    l.request.id.to_string(),
                    l.request.sharing,
                    l.mounts.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn caches_are_taken_in_the_order_of_their_ids_whatever_the_order_written() {
        let mounts = [cache("b", Sharing::Locked), cache("a", Sharing::Locked)];
        assert_eq!(
            ids(&cache_lease_plan(&mounts, &HashMap::new())),
            vec![
                ("a".to_string(), Sharing::Locked, vec![1]),
                ("b".to_string(), Sharing::Locked, vec![0]),
            ]
        );
    }

    #[test]
    fn a_cache_named_twice_is_leased_once_with_the_stricter_sharing() {
        let mounts = [cache("c", Sharing::Shared), cache("c", Sharing::Locked)];
        assert_eq!(
            ids(&cache_lease_plan(&mounts, &HashMap::new())),
            vec![("c".to_string(), Sharing::Locked, vec![0, 1])]
        );
    }

    #[test]
    fn private_caches_each_get_their_own_lease() {
        let mounts = [cache("p", Sharing::Private), cache("p", Sharing::Private)];
        assert_eq!(cache_lease_plan(&mounts, &HashMap::new()).len(), 2);
    }
}
