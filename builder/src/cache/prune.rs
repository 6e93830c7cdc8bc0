//! `cache prune` and the automatic limit after each build: drop entries,
//! least recently used first, then let the store's gc reclaim whatever no
//! name and no remaining record pins. Images are safe by construction: gc
//! keeps everything a name reaches, whatever happens to the records.

use std::time::Duration;

use serde::Serialize;
use strata_store::{Store, StoreError};

use super::record::{CacheDir, RecordError, now};
use super::usage::{self, CacheEntry, EntryKind};
use super::{git_checkouts, mounts};
use strata_store::Digest;

#[derive(Debug, Clone, Default)]
pub struct PruneOptions {
    /// Also drop records whose layers an image uses (they free nothing
    /// now, but stop being cache).
    pub all: bool,
    /// Stop once the cache is at most this big.
    pub keep_storage: Option<u64>,
    /// Only entries not used for at least this long.
    pub unused_for: Option<Duration>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PruneReport {
    pub records_removed: usize,
    pub mounts_removed: usize,
    pub checkouts_removed: usize,
    pub bytes_freed: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum PruneError {
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The entries `opts` selects, in the order they go (least recently used
/// first). Without `keep_storage` every eligible entry goes.
pub fn select(entries: &[CacheEntry], opts: &PruneOptions, now: u64) -> Vec<CacheEntry> {
    let mut eligible: Vec<&CacheEntry> = entries
        .iter()
        .filter(|e| opts.all || !e.in_use)
        .filter(|e| {
            opts.unused_for
                .is_none_or(|d| now.saturating_sub(e.last_used) >= d.as_secs())
        })
        .collect();
    eligible.sort_by_key(|e| (e.last_used, e.created, e.id.clone()));
    let Some(keep) = opts.keep_storage else {
        return eligible.into_iter().cloned().collect();
    };
    let mut total: u64 = entries.iter().map(|e| e.size).sum();
    let mut out = Vec::new();
    for e in eligible {
        if total <= keep {
            break;
        }
        total = total.saturating_sub(e.size);
        out.push(e.clone());
    }
    out
}

/// Prunes the cache of `store` and collects what that freed.
pub fn prune(store: &Store, opts: &PruneOptions) -> Result<PruneReport, PruneError> {
    let cache = CacheDir::open(store)?;
    let mut report = PruneReport::default();
    {
        // Exclusive: no build is between finding a record and pinning its
        // snapshot in an image while records disappear.
        let _lock = store.lock()?;
        let entries = usage::entries(&cache)?;
        git_checkouts::sweep_orphans(store)?;
        for e in select(&entries, opts, now()) {
            match e.kind {
                EntryKind::Step => {
                    let Ok(key) = Digest::from_hex(&e.id) else {
                        continue;
                    };
                    if cache.remove(&key)? {
                        report.records_removed += 1;
                    }
                }
                EntryKind::Mount => {
                    if mounts::remove_if_idle(store, &e.id)? {
                        report.mounts_removed += 1;
                        report.bytes_freed += e.size;
                    }
                }
                EntryKind::GitCheckout => {
                    if git_checkouts::remove_if_idle(store, &e.id)? {
                        report.checkouts_removed += 1;
                        report.bytes_freed += e.size;
                    }
                }
            }
        }
    }
    if report.records_removed > 0 {
        report.bytes_freed += store.gc()?.bytes_freed;
    }
    Ok(report)
}

/// After a build: prune down to `limit` bytes if the cache is over it.
/// Cheap when under the limit (no lock taken), so concurrent builds do not
/// queue behind each other for nothing.
pub fn enforce_limit(store: &Store, limit: u64) -> Result<Option<PruneReport>, PruneError> {
    let cache = CacheDir::open(store)?;
    let total: u64 = usage::entries(&cache)?.iter().map(|e| e.size).sum();
    if total <= limit {
        return Ok(None);
    }
    prune(
        store,
        &PruneOptions {
            keep_storage: Some(limit),
            ..Default::default()
        },
    )
    .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, size: u64, last_used: u64, in_use: bool) -> CacheEntry {
        CacheEntry {
            id: id.into(),
            kind: EntryKind::Step,
            description: String::new(),
            dockerfile: String::new(),
            size,
            in_use,
            shared: in_use,
            created: 0,
            last_used,
            use_count: 1,
        }
    }

    fn ids(v: &[CacheEntry]) -> Vec<&str> {
        v.iter().map(|e| e.id.as_str()).collect()
    }

    #[test]
    fn keep_storage_drops_least_recently_used_first_until_under() {
        let es = [
            entry("new", 100, 30, false),
            entry("old", 100, 10, false),
            entry("mid", 100, 20, false),
        ];
        let opts = PruneOptions {
            keep_storage: Some(150),
            ..Default::default()
        };
        assert_eq!(ids(&select(&es, &opts, 40)), vec!["old", "mid"]);
    }

    #[test]
    fn entries_an_image_uses_stay_unless_all() {
        let es = [entry("img", 100, 1, true), entry("free", 100, 2, false)];
        let opts = PruneOptions::default();
        assert_eq!(ids(&select(&es, &opts, 10)), vec!["free"]);
        let all = PruneOptions {
            all: true,
            ..Default::default()
        };
        assert_eq!(ids(&select(&es, &all, 10)), vec!["img", "free"]);
    }

    #[test]
    fn until_keeps_recently_used_entries() {
        let es = [entry("old", 1, 100, false), entry("recent", 1, 950, false)];
        let opts = PruneOptions {
            unused_for: Some(Duration::from_secs(500)),
            ..Default::default()
        };
        assert_eq!(ids(&select(&es, &opts, 1000)), vec!["old"]);
    }
}
