//! A root filesystem as a sorted list of entries (path, type, mode, owner,
//! content digest, link target), to compare two builds' results.

use std::collections::BTreeMap;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: char,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// File content (lossy text when short, else a length+checksum).
    pub content: String,
    pub link: String,
    pub size: u64,
}

impl std::fmt::Display for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {:04o} {}:{} {}{}",
            self.kind,
            self.mode,
            self.uid,
            self.gid,
            if self.link.is_empty() { "" } else { "-> " },
            if self.link.is_empty() {
                &self.content
            } else {
                &self.link
            }
        )
    }
}

/// Every entry under `root`, keyed by its path from the root (`/a/b`).
pub fn list(root: &Path) -> BTreeMap<String, Entry> {
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Entry>) {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    names.sort();
    for path in names {
        let m = std::fs::symlink_metadata(&path).expect("lstat");
        let ft = m.file_type();
        let kind = if ft.is_dir() {
            'd'
        } else if ft.is_symlink() {
            'l'
        } else if ft.is_file() {
            'f'
        } else if ft.is_char_device() {
            'c'
        } else if ft.is_block_device() {
            'b'
        } else if ft.is_fifo() {
            'p'
        } else {
            's'
        };
        let content = if kind == 'f' {
            let bytes = std::fs::read(&path).expect("read");
            if bytes.len() <= 200 && !bytes.contains(&0) {
                String::from_utf8_lossy(&bytes).into_owned()
            } else {
                let sum: u64 = bytes.iter().enumerate().fold(0u64, |a, (i, b)| {
                    a.wrapping_mul(31).wrapping_add(u64::from(*b) ^ i as u64)
                });
                format!("<{} bytes, sum {sum:x}>", bytes.len())
            }
        } else {
            String::new()
        };
        let link = if kind == 'l' {
            std::fs::read_link(&path)
                .expect("readlink")
                .to_string_lossy()
                .into_owned()
        } else {
            String::new()
        };
        let rel = format!(
            "/{}",
            path.strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
        );
        out.insert(
            rel,
            Entry {
                kind,
                mode: m.mode() & 0o7777,
                uid: m.uid(),
                gid: m.gid(),
                content,
                link,
                size: m.len(),
            },
        );
        if kind == 'd' {
            walk(root, &path, out);
        }
    }
}

/// Differences between two listings, one line each; empty when equal.
pub fn diff(ours: &BTreeMap<String, Entry>, theirs: &BTreeMap<String, Entry>) -> Vec<String> {
    let mut out = Vec::new();
    for (p, e) in ours {
        match theirs.get(p) {
            None => out.push(format!("only in strata: {p} {e}")),
            Some(t) if t != e => out.push(format!("{p}: strata {e} | peer {t}")),
            _ => {}
        }
    }
    for (p, t) in theirs {
        if !ours.contains_key(p) {
            out.push(format!("only in peer: {p} {t}"));
        }
    }
    out
}
