//! The per-entry view of a COPY/ADD source selection, kept in the record
//! so a miss can name the file that changed (the key itself uses the one
//! digest of the whole plan).

use std::collections::BTreeMap;
use std::path::Path;

use crate::copy::{CopyPlan, ItemKind};
use strata_store::Digest;

/// One line per planned entry: named by its path in the context when it
/// comes from there (what the user edits), else by its destination.
/// `file_digests` is [`CopyPlan::file_digests`] of the same plan.
pub fn describe(
    plan: &CopyPlan,
    file_digests: &[Digest],
    context_root: &Path,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut digests = file_digests.iter();
    for item in &plan.items {
        let (label, what) = match &item.kind {
            ItemKind::Dir => (None, "dir".to_string()),
            ItemKind::File { host, .. } | ItemKind::Archive { host, .. } => {
                let digest = digests.next().map(|d| d.to_string()).unwrap_or_default();
                let rel = host
                    .strip_prefix(context_root)
                    .ok()
                    .map(|p| p.display().to_string());
                (rel, format!("file {digest}"))
            }
            ItemKind::Symlink { target } => (None, format!("symlink {}", target.display())),
        };
        let name = label.unwrap_or_else(|| format!("/{}", item.dest));
        let line = format!(
            "{what} mode {:o} owner {}:{}",
            item.mode, item.owner.uid, item.owner.gid
        );
        out.insert(name, line);
    }
    out
}
