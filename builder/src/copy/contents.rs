//! The contents of a plan's files: their digests through the stat cache,
//! and what that cost (how much had to be read), for the progress events.

use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use super::{CopyPlan, ItemKind};
use crate::stat_cache::{Digested, FileStamp, StatCache};
use strata_store::Digest;

/// What hashing a plan's files took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HashStats {
    /// Files and archives in the plan, and their bytes.
    pub files: u64,
    pub bytes: u64,
    /// Those the stat cache did not know: read and hashed.
    pub hashed_files: u64,
    pub hashed_bytes: u64,
    pub duration: Duration,
}

/// The digest of every file and archive item in plan order, with the cost.
#[derive(Debug, Clone, Default)]
pub struct HashedFiles {
    pub digests: Vec<Digest>,
    pub stats: HashStats,
}

impl CopyPlan {
    /// The content digest of every file and archive item, in plan order.
    pub fn file_digests(&self, cache: &StatCache) -> io::Result<Vec<Digest>> {
        Ok(self.hash_files(cache)?.digests)
    }

    /// [`CopyPlan::file_digests`] with what it cost. Files the stat cache
    /// knows cost a map lookup (the plan carries their stat); the others
    /// are read on all cores, largest first, so one big file started last
    /// does not leave the other cores idle at the end.
    pub fn hash_files(&self, cache: &StatCache) -> io::Result<HashedFiles> {
        let started = Instant::now();
        let mut files: Vec<(&Path, Option<FileStamp>)> = Vec::new();
        for item in &self.items {
            match &item.kind {
                ItemKind::File { host, stamp, .. } => files.push((host, Some(*stamp))),
                ItemKind::Archive { host, .. } => files.push((host, None)),
                ItemKind::Dir | ItemKind::Symlink { .. } => {}
            }
        }
        let stamped = files
            .par_iter()
            .map(|&(host, stamp)| match stamp {
                Some(s) => Ok(s),
                None => Ok(FileStamp::of(&std::fs::metadata(host)?)),
            })
            .collect::<io::Result<Vec<FileStamp>>>()?;
        let mut order: Vec<usize> = (0..files.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(stamped[i].size));
        let done = order
            .par_iter()
            .map(|&i| Ok((i, cache.digest_stamped(files[i].0, stamped[i])?)))
            .collect::<io::Result<Vec<(usize, Digested)>>>()?;
        let mut digests = vec![None; files.len()];
        let mut stats = HashStats {
            files: files.len() as u64,
            ..HashStats::default()
        };
        for (i, d) in done {
            let size = stamped[i].size;
            stats.bytes += size;
            if d.hashed {
                stats.hashed_files += 1;
                stats.hashed_bytes += size;
            }
            digests[i] = Some(d.digest);
        }
        stats.duration = started.elapsed();
        Ok(HashedFiles {
            digests: digests.into_iter().flatten().collect(),
            stats,
        })
    }
}
