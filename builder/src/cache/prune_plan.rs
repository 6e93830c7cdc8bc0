//! `cache prune --dry-run` (moby/buildkit#5436): what a prune with the same
//! options would remove and why, removing nothing. It selects with
//! [`super::prune::select`], the function the real prune uses, over the same
//! entries, so the list is what a prune run now would take. A cache mount
//! or git checkout a running build holds is left out, as the real prune
//! skips it.

use serde::Serialize;
use strata_store::Store;

use super::prune::{PruneError, PruneOptions, select};
use super::record::{CacheDir, now};
use super::usage::{self, CacheEntry, EntryKind};
use super::{git_checkouts, mounts};
use crate::cache::ByteSize;

/// Why an entry is selected: the rules of [`PruneOptions`] it falls under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PruneRule {
    /// `--keep-storage`: the cache is over it, and this entry is among the
    /// least recently used that bring it under.
    OverLimit,
    /// `--filter until=`: not used for at least that long.
    OlderThan,
    /// No image needs it (the rule when no limit or filter narrows it).
    Unused,
    /// `--all`: an image uses its layer; the record goes, the image keeps
    /// its content.
    All,
}

/// One entry a prune would remove.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedRemoval {
    #[serde(flatten)]
    pub entry: CacheEntry,
    pub rules: Vec<PruneRule>,
    /// The rules in words, with the numbers that decided them.
    pub reason: String,
}

/// What `prune(store, opts)` would remove now, in the order it would.
pub fn dry_run(store: &Store, opts: &PruneOptions) -> Result<Vec<PlannedRemoval>, PruneError> {
    let cache = CacheDir::open(store)?;
    // Shared: nothing is removed, but no prune or gc changes the entries
    // while they are read.
    let _lock = store.lock_shared()?;
    let entries = usage::entries(&cache)?;
    let total: u64 = entries.iter().map(|e| e.size).sum();
    let now = now();
    Ok(select(&entries, opts, now)
        .into_iter()
        .filter(|e| match e.kind {
            EntryKind::Step => true,
            EntryKind::Mount => !mounts::is_busy(store, &e.id),
            EntryKind::GitCheckout => !git_checkouts::is_busy(store, &e.id),
        })
        .map(|entry| {
            let (rules, reason) = why(&entry, opts, total, now);
            PlannedRemoval {
                entry,
                rules,
                reason,
            }
        })
        .collect())
}

fn why(e: &CacheEntry, opts: &PruneOptions, total: u64, now: u64) -> (Vec<PruneRule>, String) {
    let mut rules = Vec::new();
    let mut words = Vec::new();
    if let Some(keep) = opts.keep_storage {
        rules.push(PruneRule::OverLimit);
        words.push(format!(
            "over limit (the cache is {}, --keep-storage {})",
            ByteSize(total),
            ByteSize(keep)
        ));
    }
    if let Some(d) = opts.unused_for {
        rules.push(PruneRule::OlderThan);
        words.push(format!(
            "unused for {}s (--filter until={}s)",
            now.saturating_sub(e.last_used),
            d.as_secs()
        ));
    }
    if e.in_use {
        rules.push(PruneRule::All);
        words.push("--all (an image uses its layer and keeps its content)".to_string());
    } else if rules.is_empty() {
        rules.push(PruneRule::Unused);
        words.push("unused (no image needs it)".to_string());
    }
    (rules, words.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn entry(in_use: bool, last_used: u64) -> CacheEntry {
        CacheEntry {
            id: "x".into(),
            kind: EntryKind::Step,
            description: String::new(),
            dockerfile: String::new(),
            size: 10,
            in_use,
            shared: false,
            created: 0,
            last_used,
            use_count: 1,
        }
    }

    #[test]
    fn each_option_that_selected_an_entry_is_named() {
        let plain = PruneOptions::default();
        assert_eq!(why(&entry(false, 0), &plain, 10, 0).0, [PruneRule::Unused]);
        let narrow = PruneOptions {
            all: true,
            keep_storage: Some(5),
            unused_for: Some(Duration::from_secs(60)),
        };
        let (rules, reason) = why(&entry(true, 100), &narrow, 10, 400);
        assert_eq!(
            rules,
            [PruneRule::OverLimit, PruneRule::OlderThan, PruneRule::All]
        );
        assert!(reason.contains("unused for 300s"), "{reason}");
    }
}
