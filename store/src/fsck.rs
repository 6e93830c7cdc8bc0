//! `system fsck`: every blob hashes to its name, every name reaches whole
//! content, every snapshot has its tree and readable metadata.

use std::fs::{self, File};
use std::io::{self, BufReader};

use crate::digest::{Digest, DigestReader};
use crate::error::{IoContext, StoreError};
use crate::store::Store;

#[derive(Debug, Default, Clone)]
pub struct FsckReport {
    pub blobs_checked: usize,
    pub snapshots_checked: usize,
    pub images_checked: usize,
    pub problems: Vec<String>,
}

impl FsckReport {
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

impl Store {
    pub fn fsck(&self) -> Result<FsckReport, StoreError> {
        let mut report = FsckReport::default();
        let layout = fs::read(self.root().join("oci-layout")).unwrap_or_default();
        let version = serde_json::from_slice::<serde_json::Value>(&layout)
            .ok()
            .and_then(|v| {
                v.get("imageLayoutVersion")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
            });
        if version.is_none() {
            report
                .problems
                .push("oci-layout is missing or invalid".to_owned());
        }
        let blobs = self.blobs_dir();
        let mut entries: Vec<_> = fs::read_dir(&blobs)
            .ctx(|| format!("read {}", blobs.display()))?
            .filter_map(Result::ok)
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            report.blobs_checked += 1;
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(expected) = Digest::from_hex(&name) else {
                report
                    .problems
                    .push(format!("blobs/sha256/{name}: not a sha256 digest name"));
                continue;
            };
            match hash_file(&entry.path()) {
                Ok(actual) if actual == expected => {}
                Ok(actual) => report
                    .problems
                    .push(format!("blob {expected}: content hashes to {actual}")),
                Err(e) => report.problems.push(format!("blob {expected}: {e}")),
            }
        }
        let live = self.live_set()?;
        report.problems.extend(live.problems.iter().cloned());
        report.images_checked = self.names()?.len();
        for d in &live.blobs {
            if !self.has_blob(d) {
                report
                    .problems
                    .push(format!("blob {d} is referenced but missing"));
            }
        }
        for id in self.snapshot_ids()? {
            report.snapshots_checked += 1;
            // A tree from an earlier boot that was never marked durable is
            // not a fault: it counts as absent and its step is made again.
            if !self.snapshots_dir().join(id.as_str()).join("fs").is_dir() {
                report.problems.push(format!("snapshot {id}: no fs/ tree"));
            }
            if let Err(e) = self.snapshot_meta(&id) {
                report.problems.push(format!("snapshot {id}: {e}"));
            }
        }
        Ok(report)
    }
}

fn hash_file(path: &std::path::Path) -> io::Result<Digest> {
    let mut r = DigestReader::new(BufReader::with_capacity(1 << 20, File::open(path)?));
    io::copy(&mut r, &mut io::sink())?;
    Ok(r.finish().0)
}
