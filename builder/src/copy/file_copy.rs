//! Copying regular files into the upper dir: through file descriptors
//! (owner, mode and times set on the open file, no path walked again), and
//! many files at once, since a large COPY is thousands of small files whose
//! copies do not depend on each other.

use std::collections::HashSet;
use std::fs::{File, FileTimes, OpenOptions, Permissions};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use filetime::FileTime;
use rayon::prelude::*;

use super::{CopyError, Owner};

/// One file to write: `src` on the host to `dest` in the upper dir.
pub(super) struct FileJob {
    pub src: PathBuf,
    pub dest: PathBuf,
    pub owner: Owner,
    pub mode: u32,
    pub mtime: FileTime,
}

/// Files waiting to be copied together. The writer flushes the batch before
/// anything that could depend on its files (a directory to create, a link,
/// the same destination again), so a batch's files are independent.
#[derive(Default)]
pub(super) struct FileBatch {
    jobs: Vec<FileJob>,
    dests: HashSet<PathBuf>,
}

impl FileBatch {
    pub fn holds(&self, dest: &Path) -> bool {
        self.dests.contains(dest)
    }

    pub fn push(&mut self, job: FileJob) {
        self.dests.insert(job.dest.clone());
        self.jobs.push(job);
    }

    /// Copies every waiting file, on all cores.
    pub fn flush(&mut self) -> Result<(), CopyError> {
        self.dests.clear();
        std::mem::take(&mut self.jobs)
            .par_iter()
            .try_for_each(copy_file)
    }
}

/// Replaces whatever is at `dest`, then copies `src` there with the job's
/// metadata: owner first, then mode (chown clears setuid bits), then times.
fn copy_file(job: &FileJob) -> Result<(), CopyError> {
    super::write::remove_any(&job.dest)?;
    let err = || CopyError::io(&job.dest);
    let mut from = File::open(&job.src).map_err(CopyError::io(&job.src))?;
    let mut to = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&job.dest)
        .map_err(err())?;
    // File to file: the kernel copies (copy_file_range), no user buffer.
    std::io::copy(&mut from, &mut to).map_err(err())?;
    std::os::unix::fs::fchown(&to, Some(job.owner.uid), Some(job.owner.gid))
        .map_err(CopyError::chown(&job.dest, job.owner))?;
    to.set_permissions(Permissions::from_mode(job.mode))
        .map_err(err())?;
    let t = system_time(job.mtime);
    to.set_times(FileTimes::new().set_accessed(t).set_modified(t))
        .map_err(err())
}

fn system_time(t: FileTime) -> SystemTime {
    let secs = t.unix_seconds();
    let nanos = Duration::from_nanos(u64::from(t.nanoseconds()));
    if secs >= 0 {
        UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs()) + nanos
    } else {
        UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs()) + nanos
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn a_batch_copies_content_and_metadata_and_replaces_what_was_there() {
        let t = tempfile::tempdir().unwrap();
        let mut batch = FileBatch::default();
        for (i, mtime) in [(0, 1_700_000_000), (1, -86_400)] {
            let src = t.path().join(format!("src{i}"));
            std::fs::write(&src, format!("content {i}")).unwrap();
            let dest = t.path().join(format!("dest{i}"));
            std::fs::write(&dest, "old, longer than the new content").unwrap();
            batch.push(FileJob {
                src,
                dest,
                owner: Owner { uid: 0, gid: 0 },
                mode: 0o4750,
                mtime: FileTime::from_unix_time(mtime, 5),
            });
        }
        assert!(batch.holds(&t.path().join("dest1")));
        batch.flush().unwrap();
        assert!(!batch.holds(&t.path().join("dest1")));
        for (i, mtime) in [(0, 1_700_000_000), (1, -86_400)] {
            let dest = t.path().join(format!("dest{i}"));
            assert_eq!(
                std::fs::read_to_string(&dest).unwrap(),
                format!("content {i}")
            );
            let m = std::fs::metadata(&dest).unwrap();
            assert_eq!(m.mode() & 0o7777, 0o4750);
            assert_eq!((m.mtime(), m.mtime_nsec()), (mtime, 5));
        }
    }
}
