//! `system fsck`'s look at the networks' per-container state: what a
//! run that ended should not have left. Every attachment record names a
//! live owner (a dead one's is reaped by any container command, so one
//! still there means its teardown failed), no pasta runs for an owner
//! that is gone, and every namespace file under `$ROOT/netns/` belongs
//! to an attachment (a build's and a foreground pasta run's live in
//! directories of their own there).

use std::path::Path;

use crate::attach::AttachmentRecord;
use crate::record::Networks;

/// One line per problem found, naming the path to look at.
pub fn fsck(store_root: &Path) -> Vec<String> {
    let nets = Networks::new(store_root);
    let base = nets.dir().join("attached");
    let mut problems = Vec::new();
    let mut netns_files = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(&base).into_iter().flatten().flatten() {
        let dir = entry.path();
        let Ok(data) = std::fs::read(dir.join("record.json")) else {
            // Being torn down (renamed to reaping.json) or just made.
            continue;
        };
        let shown = format!("networks/attached/{}", entry.file_name().to_string_lossy());
        let record: AttachmentRecord = match serde_json::from_slice(&data) {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("{shown}: unreadable record: {e}"));
                continue;
            }
        };
        netns_files.insert(record.netns.clone());
        if record.owner.as_ref().is_none_or(|o| o.alive()) {
            continue;
        }
        problems.push(format!(
            "{shown}: the run that made it is gone, and its teardown did not finish"
        ));
        if let Some(p) = record.pasta.as_ref().filter(|p| p.alive()) {
            problems.push(format!(
                "{shown}: its pasta (pid {}) outlived its owner",
                p.pid
            ));
        }
    }
    let netns = store_root.join("netns");
    for entry in std::fs::read_dir(&netns).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_file() && !netns_files.contains(&path) {
            problems.push(format!(
                "netns/{}: a namespace file no attachment names (remove it)",
                entry.file_name().to_string_lossy()
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attach::attached_dir;

    #[test]
    fn a_namespace_file_of_no_attachment_is_a_problem_and_a_live_one_is_not() {
        let root = tempfile::tempdir().unwrap();
        assert!(fsck(root.path()).is_empty(), "an empty store is clean");
        std::fs::create_dir_all(root.path().join("netns/build")).unwrap();
        std::fs::write(root.path().join("netns/left"), b"").unwrap();
        std::fs::write(root.path().join("netns/live"), b"").unwrap();
        let dir = attached_dir(&Networks::new(root.path()), "live");
        std::fs::create_dir_all(&dir).unwrap();
        let record = AttachmentRecord {
            container_id: "live".into(),
            name: "live".into(),
            netns: root.path().join("netns/live"),
            networks: Vec::new(),
            ports: Vec::new(),
            dns: Vec::new(),
            wired: true,
            owner: crate::owner::Owner::me(),
            pasta: None,
        };
        std::fs::write(
            dir.join("record.json"),
            serde_json::to_vec(&record).unwrap(),
        )
        .unwrap();
        assert_eq!(
            fsck(root.path()),
            ["netns/left: a namespace file no attachment names (remove it)"]
        );
    }
}
