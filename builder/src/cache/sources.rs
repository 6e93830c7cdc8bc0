//! The per-entry view of a COPY/ADD source selection, kept in the record
//! so a miss can name the file that changed (the key itself uses the one
//! digest of the whole plan).

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use crate::copy::{CopyPlan, ItemKind};
use crate::stat_cache::StatCache;

/// One line per planned entry: named by its path in the context when it
/// comes from there (what the user edits), else by its destination.
pub fn describe(
    plan: &CopyPlan,
    stat: &StatCache,
    context_root: &Path,
) -> io::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for item in &plan.items {
        let (label, what) = match &item.kind {
            ItemKind::Dir => (None, "dir".to_string()),
            ItemKind::File { host } | ItemKind::Archive { host } => {
                let meta = std::fs::metadata(host)?;
                let digest = stat.digest(host, &meta)?;
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
    Ok(out)
}
